"""The CLI's import/info/accounts commands on a real case file, and its error contract."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.cli import main
from tests.io.test_importer import ROWS, write_csv


def test_import_info_accounts(tmp_path, capsys):
    src = write_csv(tmp_path / "log.csv")
    case = tmp_path / "c.hscase"
    assert main(["import", str(src), "--case", str(case)]) == 0
    out = capsys.readouterr().out
    assert "6 records read, 3 stored, 3 rejected" in out
    assert "missing account" in out
    assert main(["info", str(case), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["events"], info["accounts"], info["rejected"]) == (3, 2, 3)
    assert info["imports"][0]["file_name"] == "log.csv"
    assert main(["info", str(case)]) == 0
    assert "2026-05-01 10:00:00 .. 2026-05-01 11:15:00 UTC" in capsys.readouterr().out
    out_csv = tmp_path / "acc.csv"
    assert main(["accounts", str(case), "--out", str(out_csv)]) == 0
    rows = list(csv.DictReader(out_csv.open()))
    assert rows[0] == {"account": "acct-a", "events": "2", "first_seen_utc": "2026-05-01 10:00:00",
                       "last_seen_utc": "2026-05-01 10:30:00"}
    assert main(["import", str(src), "--case", str(case)]) == 0
    assert "already imported as import #1" in capsys.readouterr().out


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "photo.bin"
    bad.write_bytes(b"\x89PNG\x00\x00\x00binary")
    case = tmp_path / "c.hscase"
    assert main(["import", str(bad), "--case", str(case)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "photo.bin" in err and "Traceback" not in err
    assert not case.exists()  # refused before the case was even created
    assert main(["import", str(write_csv(tmp_path / "x.csv")), "--case", str(case), "--map", "x=nope"]) == 2
    assert "unknown field 'nope'" in capsys.readouterr().err
    assert main(["info", str(tmp_path / "missing.hscase")]) == 2
    capsys.readouterr()
    assert main(["import", str(write_csv(tmp_path / "y.csv")), "--case", str(case)]) == 0
    capsys.readouterr()
    assert main(["accounts", str(case), "--out", str(tmp_path / "no_such_dir" / "a.csv")]) == 2
    err = capsys.readouterr().err
    assert "no_such_dir" in err and "No such file or directory" in err and err.count("\n") == 1


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_kill_during_import_leaves_case_as_before(tmp_path, sig):
    """SIGKILL (power-cut-like) or Ctrl-C in the middle of a large import: the case is as before."""
    case = tmp_path / "k.hscase"
    assert main(["import", str(write_csv(tmp_path / "small.csv", ROWS[:3])), "--case", str(case)]) == 0
    big = write_csv(tmp_path / "big.csv", [[f"acct-{i % 997}", f"2026-05-0{1 + i % 9}T10:00:00Z", f"10.0.{i % 250}.{i % 199}",
                                            "ua", "m", f"prompt number {i} about things", "resp", "5", "7", "200",
                                            f"id{i}"] for i in range(600_000)])
    # Ctrl-C as in a terminal: a test run started in the background (`cmd &` in a script)
    # passes an ignored SIGINT down to its children, and Python then keeps ignoring it
    proc = subprocess.Popen([sys.executable, "-m", "app", "import", str(big), "--case", str(case)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    journal = case.with_name(case.name + "-journal")
    deadline = time.time() + 60
    while time.time() < deadline and not journal.exists():  # wait until it is writing
        time.sleep(0.05)
    time.sleep(1.0)
    assert proc.poll() is None, "import finished before it could be killed; make the file bigger"
    children = _children(proc.pid)
    assert children, "a file this size should get a content-analysis worker process"
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)  # Ctrl-C reaches the whole foreground process group
    else:
        proc.send_signal(sig)
    proc.wait(timeout=60)
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(c) for c in children):
        time.sleep(0.1)
    assert not any(_alive(c) for c in children), "the worker process outlived the importer"
    if sig == signal.SIGINT:
        assert proc.returncode == 130
        err = proc.stderr.read().decode()
        assert "rolled back" in err and "Traceback" not in err
    import sqlite3

    con = sqlite3.connect(case)
    assert con.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 3
    assert con.execute("SELECT count(*) FROM imports").fetchone()[0] == 1
    assert con.execute("SELECT sum(events) FROM accounts").fetchone()[0] == 3
    con.close()


def test_a_csv_that_fails_early_exits_cleanly_every_time(tmp_path):
    """A parse error in the first block stops the import while Arrow still reads ahead in its
    own thread; the process must print its one line and exit 2, never abort at shutdown."""
    src = tmp_path / "long.csv"
    src.write_text("account,timestamp,prompt\na,2026-05-01T00:00:00Z," + "y" * 10_000_000 + "\n")
    for _ in range(4):
        proc = subprocess.run([sys.executable, "-m", "app", "import", str(src), "--case", str(tmp_path / "c.hscase")],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stderr[-500:]
        assert "cannot parse as csv" in proc.stderr and "Fatal" not in proc.stderr


def test_progress_names_the_end_of_import_step_on_a_terminal():
    import io

    from app.cli import _Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    bar = _Progress("events.csv", stream=out)
    bar(1_000_000, 1.0)
    bar.stage("indexing events by account")
    assert "events.csv: 1,000,000 rows read; finishing: indexing events by account ..." in out.getvalue()
    width = len(out.getvalue().split("\r")[-1])
    bar.done()
    assert out.getvalue().endswith("\r" + " " * width + "\r")  # the whole line is wiped, however long
