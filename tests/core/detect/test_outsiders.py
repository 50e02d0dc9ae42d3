"""Accounts outside a flagged cluster: attached when they are its small camouflaged members,
left alone when they are a business of their own (those may be mixed) or carry little of it."""

import numpy as np
import pytest

from app.core.detect.config import DetectionConfig
from app.core.detect.mixed import attach_outsiders
from app.core.detect.scoring import ClusterResult, ScoreResult


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
