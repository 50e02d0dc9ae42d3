"""Each linking rule on its own, with weights worked out by hand."""

import math

import numpy as np

from app.core.detect.config import DetectionConfig
from app.core.detect.linking import (Links, band_pairs, build_links, cohort_links, content_density, content_rarity,
                                     infra_rarity, lockstep_links, value_links)
from app.core.detect.pairs import Pairs, distinct_pairs

CFG = DetectionConfig()


def _pairs(events):
    acc = np.array([a for a, _ in events], dtype=np.int32)
    val = np.array([v for _, v in events], dtype=np.int64)
    return distinct_pairs(acc, val)


def test_three_accounts_on_a_private_prefix_get_a_known_weight():
    # accounts 0,1,2 share /24 number 7 that nobody else uses; account 3 is alone on prefix 8
    p = _pairs([(0, 7), (0, 7), (1, 7), (2, 7), (3, 8)])
    rarity = infra_rarity(p.degree, CFG.infra_cap)
    links = value_links(p, "prefix", 0.6, CFG.ring_k, rarity, CFG.infra_cap)
    # rarity(3) = 1 - ln(2)/ln(500); each member's strength 0.6*rarity split over 2 partners
    expected = 0.6 * (1 - math.log(2) / math.log(500)) / 2
    assert sorted(zip(links.u.tolist(), links.v.tolist())) == [(0, 1), (0, 2), (1, 2)]
    assert np.allclose(links.w, expected)
    assert round(expected, 4) == 0.2665


def test_ip_shared_by_two_thousand_accounts_contributes_nothing():
    assert infra_rarity(np.array([2000]), 500)[0] == 0.0
    assert infra_rarity(np.array([2]), 500)[0] == 1.0
    p = _pairs([(a, 5) for a in range(2000)])
    links = value_links(p, "ip", 1.0, CFG.ring_k, infra_rarity(p.degree, CFG.infra_cap),
                        CFG.infra_cap)
    assert links.u.size == 0


def test_large_groups_are_banded_not_all_pairs():
    p = _pairs([(a, 3) for a in range(100)])
    links = value_links(p, "content", 1.0, 4, content_rarity(p.degree), 10_000)
    assert links.u.size == 4 * 100 - 10  # a band of width 4, not 4,950 pairs
    strength = np.bincount(links.u, weights=links.w, minlength=100) + \
        np.bincount(links.v, weights=links.w, minlength=100)
    # a member in the middle keeps strength w * rarity(n) = 1/ln(105)
    assert math.isclose(strength[50], 1 / math.log(105))


def test_band_pairs_complete_for_small_groups():
    i, j = band_pairs(np.array([1, 1, 1, 2, 2]), 4)
    assert sorted(zip(i.tolist(), j.tolist())) == [(0, 1), (0, 2), (1, 2), (3, 4)]


def test_lockstep_ten_shared_buckets_make_a_link_and_four_do_not():
    acc, fam, ts = [], [], []
    for k in range(10):  # accounts 0 and 1: same family 3, same 5-minute bucket, 10 times
        for a in (0, 1):
            acc.append(a)
            fam.append(3)
            ts.append(10_000 * 300 + k * 3600 + 30 * a)
    for k in range(4):  # accounts 2 and 3 only 4 times
        for a in (2, 3):
            acc.append(a)
            fam.append(4)
            ts.append(10_000 * 300 + k * 3600 + 10 * a)
    links, counts = lockstep_links(np.array(acc, np.int32), np.array(fam, np.int64),
                                   np.array(ts, np.int64), CFG)
    assert list(zip(links.u.tolist(), links.v.tolist())) == [(0, 1)]
    assert counts.tolist() == [10]
    assert links.w[0] == 2.0 * 10 / 20  # lockstep weight * count / saturation


def test_lockstep_needs_the_same_bucket():
    acc = np.array([0, 1] * 10, np.int32)
    fam = np.full(20, 3, np.int64)
    ts = np.array([k * 3600 + (0 if a == 0 else 1200) for k in range(10) for a in (0, 1)], np.int64)
    links, _ = lockstep_links(acc, fam, ts, CFG)
    assert links.u.size == 0  # 20 minutes apart, never the same 5-minute bucket


def test_cohort_joins_same_window_same_family_only():
    first = np.array([0, 3600, 7200, 30 * 86400, 0], dtype=np.int64)
    main = np.array([5, 5, 5, 5, 6], dtype=np.int64)
    degree = np.zeros(10, dtype=np.int64)
    degree[5] = 4
    degree[6] = 1  # a family nobody else uses makes no cohort
    links = cohort_links(first, main, degree, CFG)
    u, v, w = links.combined(5)
    assert sorted(zip(u.tolist(), v.tolist())) == [(0, 1), (0, 2), (1, 2)]
    # two offset windows both join them: 2 * (0.3 * 1 * 1/2 / 2) with rarity(3) = ln7/ln8
    expected = 2 * 0.3 * (math.log(7) / math.log(8)) / 2 / 2
    assert np.allclose(w, expected)


def test_cohort_only_among_eligible_accounts():
    first = np.array([0, 3600, 7200], dtype=np.int64)
    main = np.array([5, 5, 5], dtype=np.int64)
    degree = np.zeros(10, dtype=np.int64)
    degree[5] = 3
    links = cohort_links(first, main, degree, CFG, eligible=np.array([True, False, True]))
    u, v, _ = links.combined(3)
    assert sorted(zip(u.tolist(), v.tolist())) == [(0, 2)]


def test_content_density_steps_down_to_the_budget():
    # 100 accounts, each on 10 segments shared by 4 accounts: dense is 8 segments x ring 2
    account = np.repeat(np.arange(100), 10).astype(np.int32)
    value = (np.arange(1000) % 250 + 1).astype(np.int64)
    order = np.lexsort((account, value))
    seg = Pairs(account[order], value[order], np.ones(1000, dtype=np.int64),
                np.bincount(value, minlength=251).astype(np.int64))
    rarity = content_rarity(seg.degree)
    rarity[0] = 0.0
    assert content_density(seg, rarity, CFG.with_(content_link_budget=10_000)) == (8, 2)
    assert content_density(seg, rarity, CFG.with_(content_link_budget=1_000)) == (5, 2)  # 2 x 500
    assert content_density(seg, rarity, CFG.with_(content_link_budget=700)) == (3, 2)
    assert content_density(seg, rarity, CFG.with_(content_link_budget=500)) == (5, 1)
    assert content_density(seg, rarity, CFG.with_(content_link_budget=10)) == (3, 1)  # the floor
    links = build_links({k: Pairs(np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.int64),
                                  np.zeros(1, np.int64)) for k in ("ip", "prefix", "ua", "org", "api_key")}
                        | {"segment": seg}, CFG.with_(content_link_budget=500))
    assert 0 < links.u.size <= 500


def test_links_combine_sums_kinds_per_pair():
    links = Links(np.array([0, 0, 1]), np.array([1, 1, 2]), np.array([0.5, 0.25, 1.0]),
                  np.array([0, 5, 6], dtype=np.int8))
    u, v, w = links.combined(3)
    assert list(zip(u.tolist(), v.tolist(), w.tolist())) == [(0, 1, 0.75), (1, 2, 1.0)]
