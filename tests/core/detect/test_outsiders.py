"""Who is listed with a flagged cluster: outsiders attached when they are its small camouflaged
members (not a business of their own, not carrying little of it), and no account on the strength
of one stock agent string it shares with the campaign."""

import random

import numpy as np
import pytest

from app.core.detect import analyze, load_config, suspicious_accounts
from app.core.detect.config import DetectionConfig
from app.core.detect.mixed import attach_outsiders
from app.core.detect.scoring import ClusterResult, ScoreResult

from .builder import DAY, MIN, T0, CaseBuilder


def _cluster(members, events, score, flagged):
    return ClusterResult(members=np.array(members), events=int(sum(events[m] for m in members)),
                         score=score, flagged=flagged, families=[], signals={}, reasons=[])


def test_attach_outsiders_by_hand():
    events = np.array([20, 20, 20, 20, 20, 20, 30, 500, 20])
    clusters = [_cluster([0, 1, 2, 3, 4], events, 0.9, True),
                _cluster([5, 6, 7], events, 0.5, False)]
    share = np.array([.6, .6, .6, .6, .6, .4, .0, .6, .2])
    result = ScoreResult(clusters, np.array([0, 0, 0, 0, 0, 1, 1, 1, -1]), share.copy(),
                         np.zeros(9))
    against = np.array([0, 0, 0, 0, 0, 0, -1, 0, 0])
    attached = attach_outsiders(result, against, events, DetectionConfig())
    # 5: share 0.4 >= 0.3 and 20 events < 5 x median 20 -> joins cluster 0
    # 7: share 0.6 but 500 events >= 100: a business of its own, stays (it may be mixed)
    # 8: share 0.2 < 0.3, stays outside
    assert attached.tolist() == [False] * 5 + [True, False, False, False]
    assert clusters[0].members.tolist() == [0, 1, 2, 3, 4, 5]
    assert clusters[0].events == 120
    assert clusters[1].members.tolist() == [6, 7]
    assert clusters[1].events == 530
    assert result.account_cluster.tolist() == [0, 0, 0, 0, 0, 0, 1, 1, -1]
    assert result.account_score[5] == pytest.approx(0.9 * min(1.0, 0.4 / 0.3))


def _ua_case(path):
    rnd = random.Random(3)
    b = CaseBuilder(path)
    for a in range(30):
        for e in range(30):
            b.event(f"dev{a}", T0 + rnd.randrange(20 * DAY), ip=f"100.{a}.0.{rnd.randrange(9)}",
                    ua=f"sdk/{a}", template=f"dev{a}-{e}", capability=rnd.randrange(6))
    for a in range(10):  # the campaign of test_analyze, all on one scripted agent string
        for slot in range(0, 150, 2):
            if rnd.random() < 0.2:
                continue
            b.event(f"camp{a}", T0 + 5 * DAY + slot * 10 * MIN + rnd.randrange(60_000),
                    ip=f"77.{a}.{rnd.randrange(200)}.1", ua="python-httpx/0.27.2",
                    template=f"camp-t{slot % 5}", capability=1, cot=1)
    for e in range(200):  # an evaluation bot: own address, own problems, the same agent string
        b.event("bot", T0 + (e // 20) * DAY + (e % 20) * 5_000, ip="30.3.3.3",
                ua="python-httpx/0.27.2", template=f"bench-{e % 20}", capability=2)
    return b.build()


def test_a_shared_stock_agent_string_alone_does_not_list_an_account(tmp_path):
    case = _ua_case(tmp_path / "ua.hscase")
    analyze(case)
    assert {n for n, *_ in suspicious_accounts(case)} == {f"camp{a}" for a in range(10)}
    # counting the agent string per account (weight 1), 100% of the bot's traffic is on the
    # campaign's exclusive agent: it would be listed with the campaign
    analyze(case, load_config().with_(account_infra={"ua": 1.0}))
    assert "bot" in {n for n, *_ in suspicious_accounts(case)}
