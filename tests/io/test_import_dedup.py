"""Prompts repeated across batches are analysed and staged once, rollups are added up in memory:
the stored case must not change.

The reference is the importer with its memory of earlier batches turned off (every batch
stages all its distinct prompts and templates, the end of the import deduplicates them),
which is how the importer worked before the memory existed.
"""

import csv
import io
import sqlite3

import numpy as np
import pytest

from app.core import ingest
from app.core.case import Case
from app.core.known_keys import KnownKeys, SeenFilter
from app.core.prepare import SeenPrompts
from app.core.rollups import RollupSums
from app.io import importer, readers

HEADER = ["account", "timestamp", "ip", "user_agent", "model", "prompt", "response",
          "input_tokens", "output_tokens", "status", "request_id"]


def _rows(n, salt):
    out = []
    for i in range(n):
        k = (i * 7919 + salt) % 613  # prompts recur all through the file, in every batch
        verb = ("explain", "describe", "outline", "compare", "list", "review", "rewrite")[k % 7]
        prompt = (f"Think step by step: {verb} what is {k} * 3?" if k % 3 == 0 else
                  f"Write a Python function called fn_{k} to {verb} {k} items" if k % 3 == 1 else
                  f'Summarise "report {k}" for Ada Lovelace and {verb} it in {k % 5} lines')
        out.append([f"acct-{i % 37}", f"2026-05-0{1 + i % 5}T{i % 24:02d}:{i % 60:02d}:00Z",
                    f"203.0.113.{i % 200}", "curl/8.5.0", f"m{i % 3}", prompt, "ok",
                    str(i % 90), str(i % 70), "200", f"r{salt}-{i}"])
    return out


def _write(path, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _contents(path):
    """Every stored row of every import-written table, order-free (times left out)."""
    con = sqlite3.connect(path)
    try:
        out = {}
        for table in ("events", "prompts", "templates", "hourly_rollups", "accounts", "orgs", "api_keys",
                      "ips", "ip_prefixes", "user_agents", "models", "rejected_rows"):
            out[table] = sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
        out["imports"] = con.execute("SELECT id, file_name, sha256, format, mapping, mode, rows_read, "
                                     "rows_stored, rows_rejected FROM imports ORDER BY id").fetchall()
        out["meta"] = con.execute("SELECT key, value FROM meta WHERE key != 'created_at' ORDER BY key").fetchall()
        out["indexes"] = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                     "ORDER BY name").fetchall()
        return out
    finally:
        con.close()


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(readers, "CSV_BLOCK", 16 << 10)
    monkeypatch.setattr(readers, "CSV_BATCH_ROWS", 300)


def _import_all(case_path, files):
    with Case(case_path, create=True) as case:
        for f in files:
            importer.import_file(case, f)
    return _contents(case_path)


@pytest.mark.parametrize("worker", [False, True])
def test_memory_of_earlier_batches_stores_the_same_case(tmp_path, monkeypatch, small_batches, worker):
    monkeypatch.setattr(importer, "WORKER_THRESHOLD", 0 if worker else 10**12)
    first = _write(tmp_path / "a.csv", _rows(4000, 1))
    second = _write(tmp_path / "b.csv", _rows(1500, 2))  # same prompts again, into a non-empty case
    # reference: no memory (every batch stages all its prompts; dedup at the end)
    with monkeypatch.context() as m:
        m.setattr(importer, "SeenPrompts", lambda **kw: None)
        m.setattr(ingest, "KnownKeys", lambda: KnownKeys(limit=0))
        reference = _import_all(tmp_path / "ref.hscase", [first, second])
    fast = _import_all(tmp_path / "fast.hscase", [first, second])
    # memories that fill up part-way: the filters of staged ids, the maybe-repeats set aside,
    # the end dedup (second file) and the staged rollups must take over
    with monkeypatch.context() as m:
        m.setattr(importer, "SeenPrompts", lambda **kw: SeenPrompts(limit=100, **kw))
        m.setattr(ingest, "KnownKeys", lambda: KnownKeys(limit=50))
        m.setattr(ingest, "RollupSums", lambda: RollupSums(limit=40))
        partial = _import_all(tmp_path / "partial.hscase", [first, second])
    # the same with 64-bit filters: nearly every new prompt and template after the memory is
    # full is a false "maybe", so the end must store them from the maybe-repeats
    with monkeypatch.context() as m:
        m.setattr(importer, "SeenPrompts", lambda **kw: SeenPrompts(limit=100, seen=SeenFilter(6)))
        m.setattr(ingest, "KnownKeys", lambda: KnownKeys(limit=50))
        m.setattr(ingest.SeenFilter, "for_items", classmethod(lambda cls, *a, **k: cls(6)))
        lossy = _import_all(tmp_path / "lossy.hscase", [first, second])
    assert len(reference["events"]) == 5500
    assert len(reference["prompts"]) == 613 and len({r[0] for r in reference["prompts"]}) == 613
    assert len(reference["templates"]) == len({r[0] for r in reference["templates"]}) > 3
    assert {r[11] for r in reference["events"]} >= {0, 1} and {r[12] for r in reference["events"]} == {0, 1}
    for name in reference:
        assert fast[name] == reference[name], name
        assert partial[name] == reference[name], name
        assert lossy[name] == reference[name], name


def test_repeated_prompts_are_analysed_once(tmp_path, monkeypatch, small_batches):
    monkeypatch.setattr(importer, "WORKER_THRESHOLD", 10**12)
    analysed = []
    real = importer.prepare.__globals__["content"].analyze_prompts

    def counting(texts, rules):
        analysed.append(len(texts))
        return real(texts, rules)

    monkeypatch.setattr(importer.prepare.__globals__["content"], "analyze_prompts", counting)
    src = _write(tmp_path / "a.csv", _rows(4000, 1))
    with Case(tmp_path / "c.hscase", create=True) as case:
        importer.import_file(case, src)
    assert len(analysed) > 5  # several batches
    assert sum(analysed) == 613  # each distinct prompt once, not once per batch


def test_known_keys_find_add_and_limit():
    keys = KnownKeys({"v": np.int8}, limit=5)
    assert keys.find(np.array([3], np.int64))[0].tolist() == [False]
    keys.add(np.array([30, -7, 12], np.int64), v=np.array([3, 1, 2]))
    found, pos = keys.find(np.array([12, 13, -7, 99, -100], np.int64))
    assert found.tolist() == [True, False, True, False, False]
    assert keys.columns["v"][pos[found]].tolist() == [2, 1]
    assert keys.complete
    keys.add(np.array([5, 6, 7], np.int64), v=np.array([9, 9, 9]))  # only two fit
    assert len(keys) == 5 and not keys.complete
    assert keys.find(np.array([5, 6, 7], np.int64))[0].tolist() == [True, True, False]
    assert keys.ids.tolist() == sorted(keys.ids.tolist())


def test_seen_filter_never_forgets_and_rarely_errs():
    rng = np.random.default_rng(7)
    added = rng.integers(-2**63, 2**63 - 1, size=200_000, dtype=np.int64)
    others = rng.integers(-2**63, 2**63 - 1, size=200_000, dtype=np.int64)
    f = SeenFilter.for_items(len(added))
    assert f.nbytes * 8 >= 16 * len(added) // 2  # sized from the items (a power of two of bits)
    assert not f.maybe_contains(added).any()  # empty: every id is certainly new
    for part in np.array_split(added, 7):
        f.add(part)
    assert f.maybe_contains(added).all()  # no false negatives, ever
    assert f.maybe_contains(others).mean() < 0.02  # ~0.5 % false positives at 16 bits per id
    assert SeenFilter.for_items(10**9, max_bytes=1 << 20).nbytes == 1 << 20  # the cap holds
    tiny = SeenFilter(6)
    tiny.add(added[:1000])
    assert tiny.maybe_contains(others[:1000]).all()  # full: everything is a maybe, never a miss


def test_maybe_repeats_are_set_aside_and_only_new_ones_stored(tmp_path, monkeypatch, small_batches):
    """Past the exact memory, certainly-new prompts go straight in and nothing is deduplicated
    by a scan of the whole table; the maybe-repeats are checked at the end."""
    monkeypatch.setattr(importer, "WORKER_THRESHOLD", 10**12)
    monkeypatch.setattr(importer, "SeenPrompts", lambda **kw: SeenPrompts(limit=100, **kw))
    monkeypatch.setattr(ingest, "KnownKeys", lambda: KnownKeys(limit=5))
    src = _write(tmp_path / "a.csv", _rows(4000, 1))
    told: list[str] = []
    with Case(tmp_path / "c.hscase", create=True) as case:
        importer.import_file(case, src, stage=told.append)
    assert "checking possibly repeated prompts" in told and "checking possibly repeated templates" in told
    assert "removing repeated prompts" not in told and "removing repeated templates" not in told
    assert len(_contents(tmp_path / "c.hscase")["prompts"]) == 613


def test_rollup_sums_add_up_exactly_across_calls():
    sums = RollupSums(limit=4)
    big = 2**60
    sums.add(np.array([5, 9]), np.array([1, 2]), np.array([big, 1]), np.array([0, 7]))
    sums.add(np.array([9, 2]), np.array([3, 4]), np.array([1, 5]), np.array([1, 1]))
    assert not sums.full() and len(sums) == 4
    sums.add(np.array([5]), np.array([1]), np.array([3]), np.array([0]))
    assert sums.full()  # five partials held, more than the limit
    key, events, tin, tout = sums.take()
    assert key.tolist() == [2, 5, 9] and events.tolist() == [4, 2, 5]
    assert tin.tolist() == [5, big + 3, 2] and tout.tolist() == [1, 0, 8]
    assert len(sums) == 0 and not sums.full() and len(sums.take()[0]) == 0


def test_end_of_import_steps_are_announced_and_timed(tmp_path, small_batches):
    """The steps after the last row (minutes at full scale) are told to the caller as they start
    and timed in the stats; a second file into a case that holds prompts must dedup them."""
    first, second = _write(tmp_path / "a.csv", _rows(900, 1)), _write(tmp_path / "b.csv", _rows(900, 2))
    with Case(tmp_path / "c.hscase", create=True) as case:
        told: list[str] = []
        res = importer.import_file(case, first, stage=told.append)
        assert told[-1] == "committing"
        assert {"indexing prompts", "indexing templates", "storing hourly rollups",
                "updating account totals", "committing"} <= set(told)
        assert "removing repeated prompts" not in told  # an empty case: nothing to dedup
        assert list(res.stats.finishing) == told
        assert all(secs >= 0 for secs in res.stats.finishing.values())
        assert res.stats.seconds >= sum(res.stats.finishing.values())
        told.clear()
        importer.import_file(case, second, stage=told.append)
        assert "removing repeated prompts" in told
        assert told.index("removing repeated prompts") < told.index("indexing prompts")
        with sqlite3.connect(case.path) as con:
            ids = [r[0] for r in con.execute("SELECT id FROM prompts")]
    assert len(ids) == len(set(ids)) > 0
