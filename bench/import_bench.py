"""Import benchmark: Hydrascope's importer against the sqlite3 shell and sqlite-utils, same file, same run.

Usage (from the checkout, with .venv installed)::

    .venv/bin/python bench/import_bench.py --rows 1000000 5000000 --repeat 3

For each size it writes a canonical CSV with the simulator (cached under bench/out/), then
imports it N times with ``hydrascope import`` into a fresh case and, in the same run, loads it
with the sqlite3 shell's ``.import`` (plain and into a typed table with 64 KB pages) and with
``sqlite-utils insert --csv`` (installed into a scratch venv at bench/out/peer-venv, never into
the project). Each tool runs as its own process; wall time and peak RSS come from ``wait4``
(the largest single process), and "tree" is the peak of the summed PSS of the process and
all its descendants, sampled every 0.1 s: Hydrascope's content worker is a second process,
and the memory goal is for the whole import.
Prints a table of medians and the ratio of Hydrascope's rows/s to the sqlite3 shell's.
``--file PATH`` imports one existing export instead (the full-scale run), Hydrascope only.
sqlite-utils is slow (a few thousand rows/s), so it gets at most ``--peer-rows`` rows (a prefix
of the same file) and its rows/s is reported for that prefix.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PY = sys.executable

TYPED_SCHEMA = """CREATE TABLE events(account TEXT, timestamp TEXT, org TEXT, api_key TEXT, ip TEXT,
user_agent TEXT, model TEXT, prompt TEXT, response TEXT, input_tokens INTEGER, output_tokens INTEGER,
status INTEGER, latency_ms INTEGER, request_id TEXT);"""


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return out


def _pss_mb(pids: list[int]) -> float:
    return sum(_pss_each(pids)) / 1024


def _pss_each(pids: list[int]) -> list[int]:
    """PSS (KB) of each process in ``pids`` (0 for one that is gone)."""
    out = []
    for p in pids:
        total = 0
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total = int(line.split()[1])
                        break
        except OSError:
            pass
        out.append(total)
    return out


class TreeMemory(threading.Thread):
    """Peak summed PSS (MB) of a process and its descendants, sampled until :meth:`stop`."""

    def __init__(self, pid: int, every: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak = pid, every, 0.0
        self.samples: list[tuple[float, float, float]] = []  # (s, importer MB, descendants MB)
        self._halt = threading.Event()

    def run(self) -> None:
        t0 = time.perf_counter()
        while not self._halt.is_set():
            each = _pss_each(_descendants(self.pid))
            total = sum(each) / 1024
            self.peak = max(self.peak, total)
            if each:
                self.samples.append((time.perf_counter() - t0, each[0] / 1024, total - each[0] / 1024))
            self._halt.wait(self.every)

    def stop(self) -> float:
        self._halt.set()
        self.join()
        return self.peak


#: peak summed PSS of the last run() (MB)
LAST_TREE_MB = [0.0]
#: where run() writes its memory samples (``--timeline``), if anywhere
TIMELINE: list[Path] = []


def run(cmd: list[str], stdout: Path | None = None, **kw) -> tuple[float, int, int]:
    """(seconds, peak RSS in MB, exit code) of one child process; its tree's peak PSS goes to
    LAST_TREE_MB. Its output goes to ``stdout`` if given, else nowhere."""
    t0 = time.perf_counter()
    out = open(stdout, "w") if stdout is not None else subprocess.DEVNULL
    p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, **kw)
    if stdout is not None:
        out.close()
    sampler = TreeMemory(p.pid)
    sampler.start()
    _, status, usage = os.wait4(p.pid, 0)
    secs = time.perf_counter() - t0
    LAST_TREE_MB[0] = sampler.stop()
    if TIMELINE:
        with open(TIMELINE[0], "w") as fh:
            fh.write("seconds\timporter_mb\tworkers_mb\ttree_mb\n")
            fh.writelines(f"{t:.1f}\t{a:.0f}\t{b:.0f}\t{a + b:.0f}\n" for t, a, b in sampler.samples)
    err = p.stderr.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(f"  ! {' '.join(cmd[:3])} exited {code}: {err.strip()[-300:]}", file=sys.stderr)
    return secs, usage.ru_maxrss // 1024, code


def make_csv(rows: int) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"events_{rows}.csv"
    if path.exists():
        return path
    preset = "medium" if rows <= 1_000_000 else "large"
    tmp = OUT / f"sim_{preset}.csv"
    if not tmp.exists():
        print(f"generating {preset} with the simulator ...", flush=True)
        subprocess.run([PY, "-m", "app", "simulate", "--preset", preset, "--seed", "1", "--out", str(tmp)],
                       check=True, cwd=ROOT)
    with open(tmp, "rb") as src, open(path, "wb") as dst:  # exactly `rows` data rows
        dst.write(src.readline())
        import csv
        import io

        reader = csv.reader(io.TextIOWrapper(src, encoding="utf-8", newline=""))
        writer = csv.writer(io.TextIOWrapper(dst, encoding="utf-8", newline="", write_through=True),
                            lineterminator="\n")
        for i, row in enumerate(reader):
            if i >= rows:
                break
            writer.writerow(row)
    return path


def prefix_csv(path: Path, rows: int) -> Path:
    out = path.with_name(f"{path.stem}_first{rows}.csv")
    if not out.exists():
        import csv
        import io

        with open(path, encoding="utf-8", newline="") as src, open(out, "w", encoding="utf-8", newline="") as dst:
            r, w = csv.reader(src), csv.writer(dst, lineterminator="\n")
            for i, row in enumerate(r):
                if i > rows:
                    break
                w.writerow(row)
    return out


def peer_venv() -> Path | None:
    venv = OUT / "peer-venv"
    exe = venv / "bin" / "sqlite-utils"
    if not exe.exists():
        subprocess.run([PY, "-m", "venv", str(venv)], check=True)
        r = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "sqlite-utils==4.2.1"])
        if r.returncode != 0:
            return None
    return exe


def fresh(path: Path) -> Path:
    for suffix in ("", "-journal", "-wal"):
        p = Path(str(path) + suffix)
        if p.exists():
            p.unlink()
    return path


def bench_file(path: Path, repeat: int, keep: Path | None = None) -> int:
    """Hydrascope alone on one given file (too big to load with the peers as well); the case
    of the last run is kept at ``keep`` if given (to fingerprint it), else deleted."""
    import sqlite3

    hs = ROOT / ".venv" / "bin" / "hydrascope"
    case = fresh(keep if keep is not None else OUT / "file_bench.hscase")
    for _ in range(repeat):
        said = OUT / "file_bench.out"
        secs, rss, code = run([str(hs) if hs.exists() else PY, *([] if hs.exists() else ["-m", "app"]),
                               "import", str(path), "--case", str(fresh(case))], stdout=said)
        if code != 0:
            return code
        for line in said.read_text().splitlines():  # the CLI's breakdown of the end of the import
            if line.strip().startswith("after the last row"):
                print(f"  {line.strip()}", flush=True)
        rows = sqlite3.connect(case).execute("SELECT rows_stored FROM imports").fetchone()[0]
        print(f"  hydrascope import {path.name}: {rows:,} rows in {secs:.1f} s, {rows / secs:,.0f} rows/s, "
              f"peak {rss:,} MB (tree {LAST_TREE_MB[0]:,.0f} MB)", flush=True)
    if keep is None:
        fresh(case)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peer-rows", type=int, default=200_000)
    ap.add_argument("--no-sqlite-utils", action="store_true")
    ap.add_argument("--file", type=Path, help="import this existing export instead (e.g. the full-scale "
                    "simulator CSV); prints Hydrascope's figures only, --repeat times")
    ap.add_argument("--keep", type=Path, help="with --file: keep the case of the last run here")
    ap.add_argument("--timeline", type=Path, help="with --file: write the memory samples of the last run "
                    "(seconds, importer, workers, tree in MB) to this TSV file")
    args = ap.parse_args()
    if args.timeline is not None:
        TIMELINE.append(args.timeline)
    if args.file is not None:
        return bench_file(args.file, args.repeat, args.keep)
    sqlite3_shell = shutil.which("sqlite3")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"sqlite3 shell {subprocess.run([sqlite3_shell, '--version'], capture_output=True, text=True).stdout.split()[0] if sqlite3_shell else 'missing'}")
    hs = str(ROOT / ".venv" / "bin" / "hydrascope") if (ROOT / ".venv" / "bin" / "hydrascope").exists() else None
    sqlite_utils = None if args.no_sqlite_utils else peer_venv()
    db = OUT / "bench.db"
    results = []
    for rows in args.rows:
        csv_path = make_csv(rows)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"\n{rows:,} rows, {size_mb:,.0f} MB CSV", flush=True)
        tools = {
            "hydrascope import": lambda: run([hs or PY, *([] if hs else ["-m", "app"]), "import", str(csv_path),
                                              "--case", str(fresh(db))]),
            "sqlite3 .import": lambda: run([sqlite3_shell, str(fresh(db)), ".mode csv",
                                            f".import {csv_path} events"]),
            "sqlite3 .import typed 64K": lambda: run([sqlite3_shell, str(fresh(db)), "PRAGMA page_size=65536;",
                                                      TYPED_SCHEMA, ".mode csv",
                                                      f".import --skip 1 {csv_path} events"]),
        }
        if sqlite_utils:
            pref = prefix_csv(csv_path, min(rows, args.peer_rows))
            tools[f"sqlite-utils insert (first {min(rows, args.peer_rows):,} rows)"] = lambda: run(
                [str(sqlite_utils), "insert", str(fresh(db)), "events", str(pref), "--csv"])
        for name, fn in tools.items():
            n = min(rows, args.peer_rows) if name.startswith("sqlite-utils") else rows
            reps = 1 if name.startswith("sqlite-utils") else args.repeat
            secs, rss, tree = [], [], []
            for _ in range(reps):
                s, m, code = fn()
                if code == 0:
                    secs.append(s)
                    rss.append(m)
                    tree.append(LAST_TREE_MB[0])
            if not secs:
                continue
            med = statistics.median(secs)
            results.append((rows, name, n / med, med, max(rss), len(secs)))
            print(f"  {name:<44} {n / med:>10,.0f} rows/s  {med:7.1f} s  peak {max(rss):>6,} MB "
                  f"(tree {max(tree):>6,.0f} MB)  (median of {len(secs)})", flush=True)
        base = {r[1]: r[2] for r in results if r[0] == rows}
        if "hydrascope import" in base and "sqlite3 .import" in base:
            print(f"  ratio hydrascope / sqlite3 shell: {base['hydrascope import'] / base['sqlite3 .import']:.2f}x")
    fresh(db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
