"""Per-account features and template families on hand-built cases, values worked out by hand."""

import math

import numpy as np
import pytest

from app.core.detect.columns import load_columns
from app.core.detect.features import compute_features
from app.core.detect.pairs import distinct_pairs

from .builder import DAY, HOUR, MIN, T0, CaseBuilder


@pytest.fixture()
def feats(tmp_path):
    b = CaseBuilder(tmp_path / "f.hscase")
    # "bot": 6 events exactly 10 minutes apart inside one hour, coding + CoT, one template
    for k in range(6):
        b.event("bot", T0 + k * 10 * MIN, ip="10.0.0.1", ua="py/1", template="tA", capability=1,
                cot=1, tin=100, tout=300, model="m1")
    # "human": 4 events on two days at 13:00 and 01:00, model m2 (the newest: first used last)
    for k, t in enumerate((T0 + 2 * DAY, T0 + 2 * DAY + 12 * HOUR, T0 + 3 * DAY,
                           T0 + 3 * DAY + 12 * HOUR)):
        b.event("human", t, ip="10.0.0.2", ua="firefox", template=f"h{k}", capability=5,
                model="m2" if k >= 2 else "m1", tin=50, tout=50)
    # "peer" shares bot's template and bot's IP
    b.event("peer", T0 + 5 * DAY, ip="10.0.0.1", ua="py/1", template="tA", capability=1)
    case = b.build()
    cols = load_columns(case)
    family = np.arange(cols.template_ids.size)[cols.template]
    pairs = dict(cols.pairs)  # ip, prefix, ua, org, api_key: reduced while reading
    pairs["family"] = distinct_pairs(cols.account, family, cols.template_ids.size)
    f = compute_features(cols, family, pairs, 8, release_ts=(T0 + 3 * DAY) // 1000)
    index = {n: int(np.flatnonzero(cols.account_ids == b.dims["accounts"][n])[0])
             for n in ("bot", "human", "peer")}
    return f, index


def test_volume(feats):
    f, i = feats
    assert f["events"][i["bot"]] == 6
    assert f["active_hours"][i["bot"]] == 1
    assert f["active_days"][i["human"]] == 3  # 13:00 d2, 01:00+13:00 d3, 01:00 d4
    assert f["active_hours"][i["human"]] == 4
    assert f["events_per_active_hour"][i["bot"]] == 6
    assert f["input_tokens"][i["bot"]] == 600 and f["output_tokens"][i["bot"]] == 1800
    assert f["output_input_ratio"][i["bot"]] == 3.0


def test_timing(feats):
    f, i = feats
    assert f["gap_cv"][i["bot"]] == 0.0  # a metronome
    assert f["hour_entropy"][i["bot"]] == 0.0
    # human: two hours of the day, two events each -> ln 2 / ln 24
    assert math.isclose(f["hour_entropy"][i["human"]], math.log(2) / math.log(24))
    assert f["busiest_shift_share"][i["human"]] == 0.5  # 13:00 and 01:00 never in one 8 h shift
    assert f["busiest_shift_share"][i["bot"]] == 1.0
    # human gaps: 12 h, 12 h, 12 h -> cv 0; first seen two days after the case starts
    assert f["age_days"][i["human"]] == 2.0
    assert f["first_seen"][i["bot"]] == T0


def test_infrastructure_and_content(feats):
    f, i = feats
    assert f["distinct_ips"][i["bot"]] == 1
    assert f["ip_sharers"][i["bot"]] == 1.0  # peer is on its IP
    assert f["ip_sharers"][i["human"]] == 0.0
    assert f["cap_coding"][i["bot"]] == 1.0
    assert f["cap_creative"][i["human"]] == 1.0
    assert f["cot_rate"][i["bot"]] == 1.0
    assert f["templates"][i["human"]] == 4
    assert math.isclose(f["template_entropy"][i["human"]], 1.0)  # 4 distinct of 4
    assert f["shared_template_share"][i["bot"]] == 1.0
    assert f["shared_template_share"][i["human"]] == 0.0


def test_model_targeting(feats):
    f, i = feats
    assert f["newest_model_share"][i["human"]] == 0.5
    assert f["newest_model_share"][i["bot"]] == 0.0
    # release at day 3: human has 2 events before (day 2) and 2 after
    assert f["post_release_ramp"][i["human"]] == 0.5
    assert f["post_release_ramp"][i["bot"]] == 0.0  # all before
    assert f["post_release_ramp"][i["peer"]] == 1.0  # day 5, after
