"""Sampling, sentence segments and cluster synchrony, on arrays and a hand-built case."""

import numpy as np
import pytest

from app.core.detect.columns import load_columns
from app.core.detect.segments import SegmentIndex, sample_events
from app.core.detect.synchrony import copresence, synchrony_ratio

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
    by_event = {}
    for r, s in zip(row.tolist(), seg.tolist()):
        by_event.setdefault(r, set()).add(s)
    task, wrapper, cjk, short = index.lookup([
        "sort <num> integers in place without extra memory", "you are an expert programmer",
        "请完成以下任务", "ok"]).tolist()
    assert by_event[0] & by_event[1] == {task}
    assert task and wrapper
    assert by_event[0] | by_event[1] == {task, wrapper}
    assert cjk == 0  # six characters: too short to carry identity
    assert short == 0  # "ok" is not a segment
    assert index.n_segments == 3  # ids 1 and 2, plus 0 for "none"


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


def test_copresence_counts_and_prior_by_hand():
    # three accounts of cluster 0 each act in the same 5 one-second-apart moments; d = 3
    # distinct members per bucket -> 3 * 2 = 6 ordered pairs per bucket, 30 in all
    acc = np.repeat(np.arange(3), 5)
    ts = 1_776_000_000 + np.tile(np.arange(5) * 600, 3)
    cl = np.zeros(3, dtype=np.int64)
    observed, shifted = copresence(cl, acc, ts, 1, np.array([True]), bucket_s=20)
    assert observed[0] == 30.0
    ratio = synchrony_ratio(cl, acc, ts, 1, np.array([True]), bucket_s=20, prior=20.0)
    assert ratio[0] == pytest.approx((30.0 + 20.0) / (shifted[0] + 20.0))
    # the same key is needed when a key is given: the third account uses another template
    key = np.r_[np.zeros(10, dtype=np.int64), np.ones(5, dtype=np.int64)]
    observed, _ = copresence(cl, acc, ts, 1, np.array([True]), bucket_s=20, key=key)
    assert observed[0] == 10.0  # 2 * 1 pairs in each of 5 buckets


def test_weekday_office_hours_under_four_weeks_are_not_synchrony():
    rng = np.random.default_rng(5)
    acc, ts = [], []
    for d in range(14):  # day 0 is a Sunday; weekends silent
        if d % 7 in (0, 6):
            continue
        for a in range(8):  # independent moments between 14 h and 16 h
            for _ in range(30):
                acc.append(a)
                ts.append(d * 86400 + 14 * 3600 + int(rng.integers(0, 2 * 3600)))
        for _ in range(30):  # 8 dispatched accounts: shared moments, within 10 s
            t = d * 86400 + 14 * 3600 + int(rng.integers(0, 2 * 3600))
            for a in range(8, 16):
                acc.append(a)
                ts.append(t + int(rng.integers(0, 10)))
    acc = np.array(acc)
    ts = np.array(ts, dtype=np.int64) + 1_775_952_000  # 2026-04-12 00:00 UTC, a Sunday
    cl = np.array([0] * 8 + [1] * 8)
    ratio = synchrony_ratio(cl, acc, ts, 2, np.array([True, True]), bucket_s=20, prior=20.0)
    # a 2-hour window loses a little to the +-1 h jitter (about 1.3x here), far below the
    # 1 + 0.3 * (sync_ratio_full - 1) = 1.6x that would make it timing evidence
    assert 0.8 < ratio[0] < 1.45
    assert ratio[1] > 3


def test_copresent_pairs_survive_keys_beyond_63_bits():
    """Full-scale sizes: huge bucket keys, many accounts and clusters must not wrap around."""
    import numpy as np

    from app.core.detect.synchrony import _copresent_pairs

    big = np.int64(1) << 45  # template key x bucket count at full scale
    cluster = np.array([3000, 3000, 3000, 3000, 7], dtype=np.int64)
    bucket = np.array([big, big, big, big + 1, big], dtype=np.int64)
    account = np.array([600_000, 600_001, 600_001, 600_002, 5], dtype=np.int64)
    out = _copresent_pairs(cluster, bucket, account, 3001)
    # cluster 3000: bucket big has 2 distinct members (2*1), bucket big+1 has 1 (0)
    assert out[3000] == 2.0 and out[7] == 0.0 and out.sum() == 2.0
