"""End-to-end imports into real case files: containers, compression, rejects, safety, enrichment."""

import bz2
import csv
import gzip
import io
import json
import lzma
import sqlite3
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from app.core.case import Case
from app.core.errors import ImportCancelled, InputError
from app.io.importer import import_file

HEADER = ["account", "timestamp", "ip", "user_agent", "model", "prompt", "response",
          "input_tokens", "output_tokens", "status", "request_id"]
ROWS = [
    ["acct-a", "2026-05-01T10:00:00.000Z", "203.0.113.7", "OpenAI/Python 1.54.3", "m1",
     "Write a function that adds 2 and 3", "def add(): ...", "12", "40", "200", "r1"],
    ["acct-a", "2026-05-01T10:30:00.000Z", "203.0.113.8", "OpenAI/Python 1.54.3", "m1",
     "Write a function that adds 2 and 3", "def add(): ...", "12", "41", "200", "r2"],
    ["acct-b", "2026-05-01T11:15:00.000Z", "198.51.100.9", "curl/8.5.0", "m2",
     "Think step by step: what is 17 * 23?", "391", "20", "", "200", "r3"],
    ["acct-b", "not a time", "198.51.100.9", "curl/8.5.0", "m2", "hello", "", "1", "1", "200", "r4"],
    ["", "2026-05-01T12:00:00Z", "198.51.100.9", "curl/8.5.0", "m2", "hello", "", "1", "1", "200", "r5"],
    ["acct-c", "2026-05-01T12:00:00Z", "198.51.100.10", "curl/8.5.0", "m2", "hi", "", "lots", "1", "200", "r6"],
]


def write_csv(path, rows=ROWS, header=HEADER, delimiter=","):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def q(case_path, sql, *args):
    con = sqlite3.connect(case_path)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


@pytest.fixture
def case_path(tmp_path):
    return tmp_path / "t.hscase"


def test_csv_import_stores_good_rows_and_rejects_bad_ones_with_reasons(tmp_path, case_path):
    src = write_csv(tmp_path / "log.csv")
    with Case(case_path, create=True) as case:
        res = import_file(case, src)
    st = res.stats
    assert res.format == "csv"
    assert (st.rows_read, st.rows_stored, st.rows_rejected) == (6, 3, 3)
    reasons = dict(q(case_path, "SELECT record_no, reason FROM rejected_rows ORDER BY record_no"))
    assert reasons[4] == "unparseable timestamp 'not a time'"
    assert reasons[5] == "missing account"
    assert reasons[6] == "input_tokens is not a number: 'lots'"
    raw = q(case_path, "SELECT raw FROM rejected_rows WHERE record_no = 6")[0][0]
    assert json.loads(raw)["input_tokens"] == "lots"
    # events: UTC ms, dictionary-encoded dimensions, prompts deduplicated by hash
    ev = q(case_path, "SELECT a.name, e.ts, i.address, e.input_tokens, e.output_tokens, e.request_id "
                      "FROM events e JOIN accounts a ON a.id = e.account_id JOIN ips i ON i.id = e.ip_id "
                      "ORDER BY e.ts")
    assert ev[0] == ("acct-a", 1777629600000, "203.0.113.7", 12, 40, "r1")
    assert ev[2][4] is None  # blank output_tokens is missing, not zero
    assert q(case_path, "SELECT count(*) FROM prompts")[0][0] == 2
    assert q(case_path, "SELECT count(DISTINCT prompt_id) FROM events")[0][0] == 2
    assert q(case_path, "SELECT prefix FROM ip_prefixes ORDER BY prefix") == [("198.51.100.0/24",),
                                                                               ("203.0.113.0/24",)]
    lens = q(case_path, "SELECT prompt_len, response_len FROM events ORDER BY ts")
    assert lens[0] == (len(ROWS[0][5]), len(ROWS[0][6]))
    # content facts are denormalised onto events
    cot = q(case_path, "SELECT cot FROM events ORDER BY ts")
    assert [c for (c,) in cot] == [0, 0, 1]
    # account totals and hourly rollups written by the import
    acc = dict((n, (e, f, l)) for n, e, f, l in q(case_path, "SELECT name, events, first_seen, last_seen FROM accounts"))
    assert acc["acct-a"] == (2, 1777629600000, 1777631400000)
    roll = q(case_path, "SELECT a.name, r.hour, r.events, r.input_tokens, r.output_tokens FROM hourly_rollups r "
                        "JOIN accounts a ON a.id = r.account_id ORDER BY a.name")
    assert roll == [("acct-a", 1777629600000, 2, 24, 81), ("acct-b", 1777633200000, 1, 20, 0)]
    # provenance
    imp = q(case_path, "SELECT file_name, format, rows_read, rows_stored, rows_rejected, sha256, mapping FROM imports")[0]
    assert imp[:5] == ("log.csv", "csv", 6, 3, 3)
    assert len(imp[5]) == 64 and json.loads(imp[6])["columns"]["prompt"] == "prompt"
    with Case(case_path) as case:
        assert case.integrity_ok()
        assert case.get_meta("data_version") == "1"


@pytest.mark.parametrize("codec", ["gzip", "bz2", "xz", "zstd"])
def test_compressed_files_read_transparently(tmp_path, case_path, codec):
    data = write_csv(tmp_path / "log.csv").read_bytes()
    packed = {"gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress,
              "zstd": zstandard.ZstdCompressor().compress}[codec](data)
    src = tmp_path / "export.bin"  # the name says nothing: detection is by content
    src.write_bytes(packed)
    with Case(case_path, create=True) as case:
        res = import_file(case, src)
    assert res.stats.rows_stored == 3 and res.stats.rows_rejected == 3


def test_tsv_jsonl_json_array_and_parquet(tmp_path, case_path):
    good = ROWS[:3]
    write_csv(tmp_path / "a.tsv", good, delimiter="\t")
    recs = [dict(zip(HEADER, r)) for r in good]
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r) for r in recs) + "\n{broken\n")
    (tmp_path / "c.json").write_text(json.dumps(recs, indent=2))
    table = pa.table({k: [r[k] for r in recs] for k in HEADER})
    pq.write_table(table, tmp_path / "d.parquet")
    with Case(case_path, create=True) as case:
        formats = []
        for name in ("a.tsv", "b.jsonl", "c.json", "d.parquet"):
            res = import_file(case, tmp_path / name, force=True)
            formats.append(res.format)
            assert res.stats.rows_stored == 3, name
    assert formats == ["tsv", "jsonl", "json", "parquet"]
    assert q(case_path, "SELECT record_no, reason FROM rejected_rows")[0][0] == 4  # the broken JSON line
    assert q(case_path, "SELECT events FROM accounts WHERE name='acct-a'")[0][0] == 8


def test_same_file_twice_is_skipped_unless_forced(tmp_path, case_path):
    src = write_csv(tmp_path / "log.csv", ROWS[:3])
    with Case(case_path, create=True) as case:
        import_file(case, src)
        again = import_file(case, src)
        assert again.skipped and again.duplicate_of["import_id"] == 1
        assert q(case_path, "SELECT count(*) FROM events")[0][0] == 3
        forced = import_file(case, src, force=True)
        assert not forced.skipped
    assert q(case_path, "SELECT count(*) FROM events")[0][0] == 6
    # prompts and templates stay deduplicated across imports, rollups add up
    assert q(case_path, "SELECT count(*), count(DISTINCT id) FROM prompts")[0] == (2, 2)
    assert q(case_path, "SELECT count(*) FROM templates")[0][0] == q(case_path, "SELECT count(DISTINCT template_id) FROM events")[0][0]
    assert q(case_path, "SELECT sum(events) FROM hourly_rollups")[0][0] == 6
    assert q(case_path, "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ux_%' ORDER BY name") == [
        ("ux_prompts_id",), ("ux_templates_id",)]


def test_stored_sha256_is_the_files_whether_hashed_first_or_while_reading(tmp_path, case_path):
    """A file of a new size is hashed during the import's own read; the stored sha256 must be
    the file's, for every container and codec, and a same-size file that differs is imported."""
    import hashlib

    good = ROWS[:3]
    recs = [dict(zip(HEADER, r)) for r in good]
    files = {"a.csv": write_csv(tmp_path / "a.csv", good).read_bytes()}
    files["b.jsonl"] = ("\n".join(json.dumps(r) for r in recs) + "\n").encode()
    files["c.json"] = (json.dumps(recs, indent=2) + "\n\n").encode()  # trailing blank lines
    files["d.csv.gz"] = gzip.compress(files["a.csv"])
    files["e.csv.zst"] = zstandard.ZstdCompressor().compress(files["a.csv"]) + b""
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    pq.write_table(pa.table({k: [r[k] for r in recs] for k in HEADER}), tmp_path / "f.parquet")
    with Case(case_path, create=True) as case:
        for name in [*files, "f.parquet"]:
            res = import_file(case, tmp_path / name, force=True)
            assert res.stats.rows_stored == 3, name
        # same byte size as a.csv, different content: hashed first, not mistaken for a.csv
        twin = bytearray(files["a.csv"])
        twin[twin.index(b"adds 2")] = ord("x")
        (tmp_path / "twin.csv").write_bytes(bytes(twin))
        assert not import_file(case, tmp_path / "twin.csv").skipped
        assert import_file(case, tmp_path / "a.csv").skipped
    stored = dict(q(case_path, "SELECT file_name, sha256 FROM imports"))
    for name in [*files, "f.parquet", "twin.csv"]:
        assert stored[name] == hashlib.sha256((tmp_path / name).read_bytes()).hexdigest(), name


def _snapshot(case_path):
    return (q(case_path, "SELECT count(*) FROM events")[0][0], q(case_path, "SELECT count(*) FROM imports")[0][0],
            q(case_path, "SELECT count(*) FROM accounts")[0][0], q(case_path, "SELECT count(*) FROM rejected_rows")[0][0])


@pytest.mark.parametrize("content,message", [
    (b"\x00\x01\x02binary junk" * 10, "binary data"),
    (b"", "empty"),
    (b"just one line of prose without delimiters\n", "not a recognised log export"),
    (b"colour,size\nred,3\n", "required field 'account'"),
])
def test_unreadable_files_fail_clearly_and_leave_case_unchanged(tmp_path, case_path, content, message):
    with Case(case_path, create=True) as case:
        import_file(case, write_csv(tmp_path / "ok.csv", ROWS[:2]))
        before = _snapshot(case_path)
        bad = tmp_path / "bad.dat"
        bad.write_bytes(content)
        with pytest.raises(InputError) as err:
            import_file(case, bad)
    assert message in str(err.value) and "bad.dat" in str(err.value)
    assert _snapshot(case_path) == before


def test_truncated_archive_fails_and_rolls_back(tmp_path, case_path):
    rows = [[f"acct-{i % 50}", f"2026-05-01T10:{i % 60:02d}:00Z", "203.0.113.7", "ua", "m", f"prompt {i}",
             "r", "1", "1", "200", f"q{i}"] for i in range(200_000)]
    data = gzip.compress(write_csv(tmp_path / "big.csv", rows).read_bytes())
    src = tmp_path / "cut.csv.gz"
    src.write_bytes(data[: len(data) * 2 // 3])
    with Case(case_path, create=True) as case:
        before = _snapshot(case_path)
        with pytest.raises(InputError, match="truncated or corrupt"):
            import_file(case, src)
        assert case.integrity_ok()
    assert _snapshot(case_path) == before


def test_cancel_rolls_back_everything(tmp_path, case_path):
    rows = [[f"acct-{i % 50}", "2026-05-01T10:00:00Z", "203.0.113.7", "ua", "m", f"p{i}", "", "1", "1",
             "200", f"q{i}"] for i in range(150_000)]
    src = write_csv(tmp_path / "big.csv", rows)
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 1  # after the first batch was written

    with Case(case_path, create=True) as case:
        with pytest.raises(ImportCancelled, match="case is unchanged"):
            import_file(case, src, cancelled=cancelled)
    assert _snapshot(case_path) == (0, 0, 0, 0)


def test_enrich_by_request_id_fills_ip_and_user_agent(tmp_path, case_path):
    rows = [r[:] for r in ROWS[:3]]
    for r in rows:
        r[2], r[3] = "", ""  # provider logs: no IP, no UA
    access = [{"time_iso8601": "2026-05-01T10:00:00+00:00", "remote_addr": "192.0.2.44",
               "http_user_agent": "python-httpx/0.27.2", "request_id": "r1", "status": 200},
              {"time_iso8601": "2026-05-01T11:15:00+00:00", "remote_addr": "192.0.2.45",
               "http_user_agent": "curl/8.5.0", "request_id": "r3", "status": 200},
              {"time_iso8601": "2026-05-01T11:16:00+00:00", "remote_addr": "192.0.2.46",
               "http_user_agent": "curl/8.5.0", "request_id": "zzz", "status": 200},
              {"time_iso8601": "2026-05-01T11:17:00+00:00", "remote_addr": "192.0.2.47", "status": 200}]
    log = tmp_path / "access.jsonl"
    log.write_text("\n".join(json.dumps(a) for a in access) + "\n")
    with Case(case_path, create=True) as case:
        import_file(case, write_csv(tmp_path / "provider.csv", rows))
        res = import_file(case, log, enrich_by="request_id")
    assert (res.stats.rows_enriched, res.stats.rows_unmatched, res.stats.rows_rejected) == (2, 1, 1)
    got = q(case_path, "SELECT e.request_id, i.address, u.name FROM events e LEFT JOIN ips i ON i.id = e.ip_id "
                       "LEFT JOIN user_agents u ON u.id = e.ua_id ORDER BY e.request_id")
    assert got == [("r1", "192.0.2.44", "python-httpx/0.27.2"), ("r2", None, None),
                   ("r3", "192.0.2.45", "curl/8.5.0")]
    assert q(case_path, "SELECT count(*) FROM events")[0][0] == 3  # enrichment adds no events


def test_mapping_override_and_prompt_cap(tmp_path, case_path):
    src = tmp_path / "odd.csv"
    long_prompt = "word " * 1000
    write_csv(src, [["k1", "2026-05-01T10:00:00Z", long_prompt]], header=["key_alias", "when", "body"])
    with Case(case_path, create=True) as case:
        case.set_meta("prompt_cap", "100")
        with pytest.raises(InputError, match="required field 'account'"):
            import_file(case, src, mapping={"body": "prompt"})
        res = import_file(case, src, mapping={"key_alias": "account", "when": "timestamp", "body": "prompt"})
    assert res.stats.rows_stored == 1
    text, length = q(case_path, "SELECT text, length FROM prompts")[0]
    assert len(text) == 100 and length == len(long_prompt.strip()) or length == len(long_prompt)


def test_worker_process_analysis_gives_the_same_case(tmp_path, monkeypatch):
    """Large files analyse prompts in a worker process; the stored facts must not change."""
    from app.io import importer

    rows = [[f"acct-{i % 7}", f"2026-05-01T10:{i % 60:02d}:00Z", "203.0.113.7", "ua", "m",
             f"Think step by step about item {i}" if i % 3 else f"Write a Python function number {i}",
             "r", "1", "1", "200", f"q{i}"] for i in range(3000)]
    src = write_csv(tmp_path / "w.csv", rows)
    facts = {}
    for label, threshold in (("inline", 10**12), ("worker", 0)):
        monkeypatch.setattr(importer, "WORKER_THRESHOLD", threshold)
        path = tmp_path / f"{label}.hscase"
        with Case(path, create=True) as case:
            import_file(case, src)
        facts[label] = q(path, "SELECT e.request_id, e.prompt_id, e.template_id, e.capability, e.cot, p.simhash "
                               "FROM events e JOIN prompts p ON p.id = e.prompt_id ORDER BY e.request_id")
    assert len(facts["worker"]) == 3000
    assert facts["worker"] == facts["inline"]
    assert {row[4] for row in facts["worker"]} == {0, 1}


def test_worker_pool_is_safe_from_an_unguarded_script(tmp_path):
    """A script without a __main__ guard must not be re-run by the worker process."""
    import subprocess
    import sys
    import textwrap

    src = write_csv(tmp_path / "s.csv", ROWS[:3])
    script = tmp_path / "analyst_script.py"
    script.write_text(textwrap.dedent(f"""
        from app.core.case import Case
        from app.io import importer
        importer.WORKER_THRESHOLD = 0
        print("script body ran")
        with Case({str(tmp_path / 'u.hscase')!r}, create=True) as case:
            print("stored", importer.import_file(case, {str(src)!r}).stats.rows_stored)
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("script body ran") == 1 and "stored 3" in out.stdout
    assert "Traceback" not in out.stderr


def test_a_case_locked_by_another_program_fails_with_a_clear_message(tmp_path, case_path, monkeypatch):
    from app.core import bulk_db
    from app.core.errors import CaseError

    monkeypatch.setattr(bulk_db, "BUSY_TIMEOUT_MS", 100)
    src = write_csv(tmp_path / "log.csv", ROWS[:3])
    with Case(case_path, create=True) as case:
        import_file(case, src)
        before = _snapshot(case_path)
        # another program writing to the case (a process: within one process SQLite's locks
        # cannot exclude a second copy of the library, see Case.bulk)
        holder = subprocess.Popen(
            [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
             "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); sys.stdin.read()", str(case_path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "locked"
            with pytest.raises(CaseError, match="in use by another program"):
                import_file(case, src, force=True)
        finally:
            holder.communicate("")
    assert _snapshot(case_path) == before


def test_parquet_list_and_binary_columns_are_stored_as_text_structs_flattened(tmp_path, case_path):
    table = pa.table({
        "account": pa.array([b"acct-\xff", b"acct-b"], pa.binary()),
        "timestamp": pa.array([1777629600000, 1777629601000], pa.int64()),
        "prompt": pa.array([["Write", "a poem"], None], pa.list_(pa.string())),
        "user_agent": pa.array([{"name": "curl", "version": "8"}, None]),
    })
    pq.write_table(table, tmp_path / "nested.parquet")
    with Case(case_path, create=True) as case:  # structs are flattened to dotted columns, as JSON is
        res = import_file(case, tmp_path / "nested.parquet", mapping={"user_agent.name": "user_agent"})
    assert res.stats.rows_stored == 2
    assert q(case_path, "SELECT text FROM prompts") == [('["Write", "a poem"]',)]
    assert q(case_path, "SELECT name FROM user_agents") == [("curl",)]
    assert sorted(r[0] for r in q(case_path, "SELECT name FROM accounts")) == ["acct-b", "acct-\ufffd"]
