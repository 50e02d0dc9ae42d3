"""Cohorts near the start of the data and capability measured without camouflage.

A low-and-slow campaign hides half its prompts among ordinary ones and may create its accounts
in the first days of the export, where almost every account is first seen simply because the
data starts. Both are checked by hand here.
"""

import random

import numpy as np
import pytest

from app.core.detect import analyze, list_clusters, suspicious_accounts
from app.core.detect.scoring import new_accounts

from .builder import DAY, HOUR, T0, CaseBuilder

S = 1_776_000_000  # data start, seconds


def test_new_accounts_by_hand():
    day = 86_400
    features = {
        # first seen (s after start), last seen (s after first), active days
        "first_seen": np.array([2 * day, 1.5 * day, 3 * day, 5 * day, 0, 0.2 * day]) * 1000
        + S * 1000,
        "last_seen": (np.array([2 * day, 1.5 * day, 3 * day, 5 * day, 0, 0.2 * day])
                      + np.array([9, 9, 0, 0, 9, 19.7]) * day) * 1000 + S * 1000,
        "active_days": np.array([10, 5, 1, 1, 10, 21]),
    }
    new = new_accounts(features, float(S), 0.05)
    # (1 - 10/11) ** 2 = 0.0083: active almost daily yet unseen for 2 days -> created then
    # (1 - 5/11) ** 1.5 = 0.40: skips half its days, 1.5 quiet days prove nothing
    # one-day account counts as half-active: 0.5 ** 3 = 0.125 (not new), 0.5 ** 5 = 0.031 (new)
    # first seen at the very start: 1.0
    # active on 21 calendar days of a 19.7-day span, first seen 0.2 days in: f = 20 / 21,
    # (1 / 21) ** 0.2 = 0.54 (an existing daily user whose first event came at 05 h)
    assert new.tolist() == [True, False, False, True, False, False]


def camouflaged_cohort(path):
    rnd = random.Random(5)
    b = CaseBuilder(path)
    for a in range(30):  # developers from the first day, own prompts
        for e in range(30):
            b.event(f"dev{a}", T0 + rnd.randrange(14 * DAY), ip=f"100.{a}.0.{rnd.randrange(9)}",
                    template=f"dev{a}-{e}", capability=rnd.randrange(6))
    for a in range(8):  # created together on day 2.5, then active every day, own IPs
        start = T0 + 2 * DAY + 12 * HOUR + rnd.randrange(12 * HOUR)
        for d in range((T0 + 14 * DAY - start) // DAY):
            for e in range(3):  # campaign prompts: one of four shared coding templates
                b.event(f"camp{a}", start + d * DAY + rnd.randrange(DAY), ip=f"77.{a}.0.1",
                        template=f"camp-t{rnd.randrange(4)}", capability=1)
            for e in range(3):  # camouflage: ordinary prompts, "other" capability
                b.event(f"camp{a}", start + d * DAY + rnd.randrange(DAY), ip=f"77.{a}.0.1",
                        template=f"camo{a}-{d}-{e}", capability=0)
    return b.build()


def test_camouflaged_cohort_created_early_is_flagged_on_content_and_cohort(tmp_path):
    case = camouflaged_cohort(tmp_path / "c.hscase")
    analyze(case)
    top = list_clusters(case)[0]
    assert top.accounts == 8
    # every campaign-like (shared-sentence) prompt is coding: lift (1 - base) / (1 - base) = 1,
    # although only about half of all their prompts are targeted
    assert top.signals["capability_concentration"][0] == pytest.approx(1.0)
    # all 8 first seen within 48 h of each other, each active on every day since: new
    assert top.details["cohort"].startswith("100% of accounts first seen within 48 h")
    # minus the share of all 38 accounts that are new and in the window: the 8 themselves
    # plus at most a couple of developers
    assert 1 - 10 / 38 <= top.signals["cohort"][0] <= 1 - 8 / 38
    assert top.signals["infra_sharing"][0] == 0.0
    assert set(top.families) == {"content", "cohort"}
    assert top.flagged
    assert {n for n, *_ in suspicious_accounts(case)} == {f"camp{a}" for a in range(8)}
