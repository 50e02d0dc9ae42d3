"""Innocent look-alikes of a campaign: a university lab shares one address and one problem set.

Hand-built: 30 developers plus 6 lab accounts on one campus IP, 14 days from a Sunday, lab work
on weekdays only between 14 h and 16 h UTC, every lab prompt one of two chain-of-thought maths
templates nobody else uses. Infrastructure and content agree, but a lab is people keeping the
same hours, not a dispatcher: it must not be flagged. The same lab fired together by a
scheduler (every member within 20 s of shared moments) must be.
"""

import random

import pytest

from app.core.detect import analyze, list_clusters, suspicious_accounts

from .builder import DAY, HOUR, T0, CaseBuilder


def lab_case(path, dispatched: bool):
    rnd = random.Random(11)
    b = CaseBuilder(path)
    day0 = T0 - 13 * HOUR  # 2026-04-12 00:00 UTC, a Sunday
    for a in range(30):
        for e in range(30):
            b.event(f"dev{a}", day0 + rnd.randrange(14 * DAY), ip=f"100.{a}.0.{rnd.randrange(9)}",
                    ua=f"sdk/{a}", template=f"dev{a}-{e}", capability=rnd.randrange(6))
    for d in range(14):
        if d % 7 in (0, 6):  # weekends off
            continue
        moments = [day0 + d * DAY + 14 * HOUR + rnd.randrange(2 * HOUR) for _ in range(20)]
        for a in range(6):
            for e in range(20):
                t = (moments[e] + rnd.randrange(20_000) if dispatched
                     else day0 + d * DAY + 14 * HOUR + rnd.randrange(2 * HOUR))
                b.event(f"lab{a}", t, ip="130.5.5.5", ua="sdk/lab",
                        template=f"lab-cot-{rnd.randrange(2)}", capability=2, cot=1)
    return b.build()


def _lab_cluster(case):
    labs = [c for c in list_clusters(case) if c.accounts == 6]
    assert len(labs) == 1
    return labs[0]


def test_lab_on_one_ip_with_exclusive_cot_maths_is_not_flagged(tmp_path):
    case = lab_case(tmp_path / "lab.hscase", dispatched=False)
    analyze(case)
    lab = _lab_cluster(case)
    # one address used by all 6 and nobody else: 100% of their traffic x single_source_factor
    assert lab.signals["infra_sharing"][0] == pytest.approx(1.0 * 0.25)
    # every sampled lab prompt carries an exclusive sentence; all of it is CoT maths
    assert lab.signals["template_sharing"][0] == pytest.approx(1.0)
    assert lab.signals["cot_rate"][0] == pytest.approx(1.0)
    # all 6 have lockstep links (same template, same 5 minutes, >= 5 times) ...
    assert lab.details["lockstep"].startswith("6 of 6 accounts")
    # ... but no more often than their shared hours explain: no timing evidence
    assert lab.signals["lockstep"][0] < 0.3
    assert lab.signals["synchrony"][0] < 0.3
    assert lab.signals["cohort"][0] == 0.0  # first seen at the start of the data
    assert lab.families == ["content"]
    assert not lab.flagged
    assert suspicious_accounts(case) == []


def test_same_lab_fired_by_a_scheduler_is_flagged(tmp_path):
    case = lab_case(tmp_path / "disp.hscase", dispatched=True)
    analyze(case)
    lab = _lab_cluster(case)
    assert lab.signals["synchrony"][0] == pytest.approx(1.0)
    assert lab.signals["lockstep"][0] > 0.3
    assert lab.families == ["content", "timing"]
    assert lab.flagged
    assert {n for n, *_ in suspicious_accounts(case)} == {f"lab{a}" for a in range(6)}


def labs_case(path):
    """Five labs of three on their own campus addresses, one shared problem set, office hours."""
    rnd = random.Random(5)
    b = CaseBuilder(path)
    day0 = T0 - 13 * HOUR
    for a in range(30):
        for e in range(30):
            b.event(f"dev{a}", day0 + rnd.randrange(14 * DAY), ip=f"100.{a}.0.{rnd.randrange(9)}",
                    ua=f"sdk/{a}", template=f"dev{a}-{e}", capability=rnd.randrange(6))
    for lab in range(5):
        for d in range(14):
            if d % 7 in (0, 6):
                continue
            for m in range(3):
                for e in range(15):
                    b.event(f"lab{lab}-{m}", day0 + d * DAY + (13 + lab) * HOUR + rnd.randrange(2 * HOUR),
                            ip=f"130.{lab}.5.5", ua="sdk/lab", template=f"lab-cot-{rnd.randrange(3)}",
                            capability=2, cot=1)
    return b.build()


def test_labs_glued_by_a_shared_problem_set_are_separate_sources_not_a_pool(tmp_path):
    case = labs_case(tmp_path / "labs.hscase")
    analyze(case)
    labs = [c for c in list_clusters(case) if c.accounts == 15]
    assert len(labs) == 1
    lab = labs[0]
    # five campus addresses, each used by its own lab only: five one-value groups, no pool
    assert "in 5 separate groups" in lab.details["infra_sharing"]
    assert lab.signals["infra_sharing"][0] == pytest.approx(1.0 * 0.25)
    assert "infrastructure" not in lab.families
    assert not lab.flagged
    assert suspicious_accounts(case) == []
