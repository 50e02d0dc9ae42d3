"""Statistical shape of the simulated world: the traits analysts and detectors rely on."""

from __future__ import annotations

import random
import re

import numpy as np
import pandas as pd

from app.sim.population import ROLES

COT = re.compile(r"step by step|step-by-step|chain of thought|reasoning", re.I)


def _slash24(ip: pd.Series) -> pd.Series:
    return ip.str.rsplit(".", n=1).str[0]


def _shingles(text: str, k: int = 5) -> set:
    w = text.lower().split()
    return {" ".join(w[i:i + k]) for i in range(max(1, len(w) - k + 1))}


def _max_jaccard(prompts: list[str]) -> float:
    sh = [_shingles(p) for p in prompts]
    best = []
    for i, a in enumerate(sh):
        m = 0.0
        for j, b in enumerate(sh):
            if i != j and a and b:
                m = max(m, len(a & b) / len(a | b))
        best.append(m)
    return float(np.median(best))


def test_truth_matches_export_and_hides_nothing_in_it(small_world):
    df, truth = small_world["df"], small_world["truth"]
    assert list(truth.columns) == ["account", "label", "role"]
    assert set(truth.account) == set(small_world["raw"].account)
    assert truth.account.is_unique
    assert set(truth.role) == set(ROLES)  # every archetype and look-alike role is present
    assert set(truth.label) == {"benign", "campaign-1", "campaign-2"}
    assert (truth[truth.label == "benign"].role.isin(
        ["developer", "reseller", "enterprise", "eval_bot", "university_lab", "cloud_shared"])).all()
    # ids are opaque: nothing in the export names a role or a campaign
    assert df.account.str.fullmatch(r"acct_[0-9a-f]{10}").all()
    assert df.org.str.fullmatch(r"org_[0-9a-f]{10}").all()
    assert not {"label", "role"} & set(small_world["raw"].columns)


def test_timestamps_iso_and_time_ordered(small_world):
    raw = small_world["raw"]
    assert raw.timestamp.str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z").all()
    assert raw.timestamp.is_monotonic_increasing
    assert raw.request_id.is_unique


def test_campaign_share_is_a_few_percent(small_world):
    s = small_world["summary"]
    share = s.campaign_accounts / s.accounts
    assert 0.02 <= share <= 0.07, share
    assert s.accounts == small_world["truth"].shape[0]


def test_developer_volumes_are_heavy_tailed(small_world):
    df = small_world["df"]
    per = df[df.role == "developer"].groupby("account").size().sort_values(ascending=False)
    assert per.median() <= 10
    assert per.max() >= 50 * per.median()
    top = per.head(max(1, len(per) // 100)).sum() / per.sum()
    assert top >= 0.15, top


def test_hydra_shares_few_slash24s(small_world):
    df = small_world["df"]
    hydra = df[df.role == "hydra"]
    acc = hydra.account.nunique()
    nets = _slash24(hydra.ip)
    assert acc >= 30
    assert nets.nunique() <= 6
    # rotating pool: every /24 is used by many of the campaign's accounts, every account by many IPs
    assert hydra.groupby(nets).account.nunique().min() >= 0.3 * acc
    assert hydra.groupby("ip").account.nunique().mean() >= 3


def test_low_and_slow_ips_are_unique_per_account(small_world):
    df = small_world["df"]
    ls = df[df.role == "low_and_slow"]
    owners = df[df.ip.isin(ls.ip)].groupby("ip").account.nunique()
    assert (owners == 1).all()
    nets = ls.groupby(_slash24(ls.ip)).account.nunique()
    assert (nets == 1).all()
    assert ls.user_agent.nunique() >= 0.5 * ls.account.nunique()


def test_campaign_cohorts_first_seen_clustered(small_world):
    df, sc = small_world["df"], small_world["scenario"]
    first = df.groupby("account").t.min()
    start = df.t.min().normalize()
    truth = small_world["truth"].set_index("account")
    for camp in sc["campaigns"]:
        if camp["archetype"] != "hydra":
            continue
        accts = truth.index[(truth.label == camp["id"]) & (truth.role == "hydra")]
        day = ((first[accts] - start).dt.total_seconds() / 86400).to_numpy()
        near = np.zeros(len(day), bool)
        for c in camp["cohorts"]:
            near |= (day >= c["start_day"] - 0.01) & (day <= c["start_day"] + c["spread_days"] + 1.0)
        assert near.mean() >= 0.9
        assert len(camp["cohorts"]) <= 7
    # benign developers, by contrast, first appear all through the period
    devs = truth.index[truth.role == "developer"]
    dev_days = ((first[devs] - start).dt.days).nunique()
    assert dev_days >= 0.7 * sc["days"]


def test_enterprise_accounts_share_one_nat_ip(small_world):
    df = small_world["df"]
    ent = df[df.role == "enterprise"]
    per_org = ent.groupby("org").agg(accounts=("account", "nunique"), ips=("ip", "nunique"))
    assert (per_org.accounts >= 8).all()
    assert (per_org.ips == 1).all()
    for _, g in ent.groupby("org"):  # office hours, not round the clock
        hist = np.bincount(g.t.dt.hour, minlength=24) / len(g)
        best = max(np.roll(hist, -h)[:11].sum() for h in range(24))
        assert best >= 0.85


def test_eval_bot_fixed_cadence_and_repeating_set(small_world):
    df, sc = small_world["df"], small_world["scenario"]
    cadences = {b["cadence_s"] for b in sc["eval_bots"]}
    for acct, g in df[df.role == "eval_bot"].groupby("account"):
        gaps = g.t.diff().dt.total_seconds().dropna().to_numpy()
        within = gaps[gaps < 60]
        cad = np.median(within)
        assert any(abs(cad - c) < 0.3 for c in cadences)
        assert within.std() / within.mean() < 0.1
        counts = g.prompt.value_counts()
        assert counts.min() >= sc["days"] - 1  # the same problems every day
        assert len(counts) <= 250


def test_university_lab_runs_cot_math_from_one_ip(small_world):
    df = small_world["df"]
    lab = df[df.role == "university_lab"]
    assert lab.groupby("org").ip.nunique().max() == 1
    assert lab.prompt.str.contains(COT).mean() >= 0.7
    dev = df[df.role == "developer"]
    assert dev.prompt.str.contains(COT).mean() <= 0.1


def test_reseller_volume_and_many_ips(small_world):
    df = small_world["df"]
    per = df.groupby("account").size()
    for role in ("reseller", "reseller_mixed"):
        g = df[df.role == role].groupby("account").agg(n=("ip", "size"), ips=("ip", "nunique"))
        assert (g.ips >= 100).all()
        assert (g.n >= 20 * per.median()).all()


def test_cloud_egress_shared_by_unrelated_accounts(small_world):
    df = small_world["df"]
    cs = df[df.role == "cloud_shared"]
    orgs_per_ip = cs.groupby("ip").org.nunique()
    shared_ips = orgs_per_ip.index[orgs_per_ip >= 2]
    accounts = cs.groupby("account").ip.apply(lambda s: bool(set(s) & set(shared_ips)))
    assert accounts.mean() >= 0.8
    assert cs.org.nunique() == cs.account.nunique()  # unrelated: one org each


def test_campaign_prompts_template_like_but_not_identical(small_world):
    df = small_world["df"]
    rng = random.Random(0)
    camp = df[(df.role == "hydra")].prompt.tolist()
    dev = df[df.role == "developer"].prompt.tolist()
    sample_c = rng.sample(camp, 200)
    sample_d = rng.sample(dev, 200)
    assert len(set(camp)) / len(camp) > 0.8  # not one fixed string
    assert _max_jaccard(sample_c) >= 0.3  # but each has a near-twin from the same template
    assert _max_jaccard(sample_d) <= 0.2
    assert df[df.role == "hydra"].prompt.str.contains(COT).mean() >= 0.3


def test_campaign_shifts_and_lockstep(small_world):
    df, sc = small_world["df"], small_world["scenario"]
    truth = small_world["truth"].set_index("account")
    for camp in sc["campaigns"]:
        ev = df[(df.label == camp["id"]) & (df.role == "hydra")]
        if ev.empty:
            continue
        hour = (ev.t.dt.hour + ev.t.dt.minute / 60 + camp["timezone_utc_offset"]) % 24
        inside = np.zeros(len(ev), bool)
        for a, b in camp["shifts_local"]:
            inside |= (hour >= a - 0.3) & (hour <= b + 0.3)
        assert inside.mean() >= 0.9
        # lockstep: most requests have another account of the campaign within two minutes
        ts = ev.t.astype("int64").to_numpy() // 10**6
        order = np.argsort(ts)
        ts, acc = ts[order], ev.account.to_numpy()[order]
        near = np.zeros(len(ts), bool)
        for shift in (1, 2, 3):
            same = (np.abs(ts[shift:] - ts[:-shift]) <= 120_000) & (acc[shift:] != acc[:-shift])
            near[shift:] |= same
            near[:-shift] |= same
        assert near.mean() >= 0.7
    assert len(truth) > 0


def test_release_ramp(small_world):
    df, sc = small_world["df"], small_world["scenario"]
    new = sc["new_model"]
    release = pd.Timestamp(sc["new_model_release"])
    day = pd.Timedelta(days=1)
    camp = df[df.role == "hydra"]
    dev = df[df.role == "developer"]

    def share(frame, a, b):
        w = frame[(frame.t >= a) & (frame.t < b)]
        return (w.model == new).mean()

    assert (df[df.t < release].model == new).sum() == 0
    assert share(camp, release + 2 * day, release + 3 * day) >= 0.4
    assert share(dev, release + 2 * day, release + 3 * day) <= 0.15
    end = df.t.max()
    assert share(dev, end - day, end) > share(dev, release, release + day)


def test_status_and_tokens_plausible(small_world):
    df = small_world["df"]
    assert (df.status == 200).mean() > 0.95
    assert set(df.status.unique()) <= {200, 400, 429, 500, 529}
    ok = df[df.status == 200]
    assert ok.response.notna().all()
    assert df[df.status != 200].response.isna().all()
    assert (ok.output_tokens > 0).all() and (df.input_tokens > 0).all()
    assert df.response.str.len().max() < 2000  # modest responses keep files a sensible size
    camp_out = df[(df.role == "hydra") & (df.status == 200)].output_tokens.median()
    assert camp_out > 2 * df[(df.role == "developer") & (df.status == 200)].output_tokens.median()
