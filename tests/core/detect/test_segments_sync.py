"""Sampling, sentence segments and cluster synchrony, on arrays and a hand-built case."""

import numpy as np
import pytest

from app.core.detect.columns import load_columns
from app.core.detect.segments import SegmentIndex, sample_events
from app.core.detect.synchrony import synchrony_ratio

from .builder import DAY, T0, CaseBuilder


def test_sample_events_evenly_spaced_per_account():
    account = np.array([0] * 10 + [1] * 3 + [2] * 1)
    picked = sample_events(account, 4)
    assert picked.tolist() == [0, 2, 5, 7, 10, 11, 12, 13]
    only = np.array([False, True, False])
    assert sample_events(account, 4, only=only).tolist() == [10, 11, 12]


def test_segments_are_masked_sentences_shared_across_templates(tmp_path):
    b = CaseBuilder(tmp_path / "s.hscase")
    b.event("a", T0, template="t1")
    b.event("b", T0, template="t2")
    case = b.build()
    with case.raw() as con:  # two wrappers around the same task sentence
        con.execute("UPDATE templates SET key = 'you are an expert programmer. sort <num> "
                    "integers in place without extra memory' WHERE key LIKE '%t1%'")
        con.execute("UPDATE templates SET key = '请完成以下任务。sort <num> integers in place "
                    "without extra memory? ok' WHERE key LIKE '%t2%'")
    cols = load_columns(case)
    index = SegmentIndex.empty(cols.template_ids.size)
    index.fetch(case, cols.template_ids, cols.template)
    row, seg = index.expand(cols.template)
    words = {v: k for k, v in index.vocabulary.items()}
    by_event = {}
    for r, s in zip(row.tolist(), seg.tolist()):
        by_event.setdefault(r, set()).add(words[s])
    shared = by_event[0] & by_event[1]
    assert shared == {"sort <num> integers in place without extra memory"}
    assert "you are an expert programmer" in by_event[cols.template.tolist().index(
        cols.template[0])] | by_event[1]
    assert all(len(w) >= 12 for w in words.values())  # "ok" is not a segment


def test_synchrony_scheduler_versus_same_habits():
    rng = np.random.default_rng(3)
    days = 42
    acc, ts = [], []
    # cluster 0: 10 accounts fired together by a dispatcher at random moments of 09-17 h
    for d in range(days):
        for _ in range(20):
            t = d * 86400 + 9 * 3600 + int(rng.integers(0, 8 * 3600))
            for a in range(10):
                acc.append(a)
                ts.append(t + int(rng.integers(0, 10)))
    # cluster 1: 10 office workers, same hours, independent moments
    for a in range(10, 20):
        for d in range(days):
            for _ in range(20):
                acc.append(a)
                ts.append(d * 86400 + 9 * 3600 + int(rng.integers(0, 8 * 3600)))
    acc = np.array(acc)
    ts = np.array(ts, dtype=np.int64) + 1_776_000_000
    cl = np.array([0] * 10 + [1] * 10)
    ratio = synchrony_ratio(cl, acc, ts, 2, np.array([True, True]), bucket_s=20)
    assert ratio[0] > 3
    assert ratio[1] == pytest.approx(1.0, abs=0.15)
