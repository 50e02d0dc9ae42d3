"""The whole analysis on a small hand-built case: flagging needs two families, results persist."""

import json
import math
import random

import pytest

from app.core.detect import (AnalysisCancelled, DetectionConfig, DetectionError, analysis_is_current,
                             analyze, list_clusters, load_config, mixed_accounts,
                             release_timestamp, suspicious_accounts)
from app.core.errors import InputError

from .builder import DAY, MIN, T0, CaseBuilder


def scenario(path, campaign=True, enterprise=True, extra=None):
    rnd = random.Random(7)
    b = CaseBuilder(path)
    for a in range(30):  # ordinary developers: own IPs, own prompts
        for e in range(30):
            b.event(f"dev{a}", T0 + rnd.randrange(20 * DAY), ip=f"100.{a}.0.{rnd.randrange(9)}",
                    ua=f"sdk/{a}", template=f"dev{a}-{e}", capability=rnd.randrange(6))
    if enterprise:  # 8 employees behind one NAT, one org: infrastructure evidence only
        for a in range(8):
            for e in range(40):
                b.event(f"ent{a}", T0 + rnd.randrange(20 * DAY), ip="20.1.1.1", org="acme",
                        template=f"ent{a}-{e}", capability=rnd.randrange(6))
    if campaign:  # 10 accounts, unique IPs, shared coding/CoT templates in lockstep + camouflage
        for a in range(10):  # a dispatcher fires most accounts in the same 60 slots
            for slot in range(0, 150, 2):
                if rnd.random() < 0.2:
                    continue
                b.event(f"camp{a}", T0 + 5 * DAY + slot * 10 * MIN + rnd.randrange(60_000),
                        ip=f"77.{a}.{rnd.randrange(200)}.1", template=f"camp-t{slot % 5}",
                        capability=1, cot=1)
            for e in range(15):
                b.event(f"camp{a}", T0 + rnd.randrange(20 * DAY), ip=f"77.{a}.9.9",
                        template=f"noise{a}-{e}", capability=rnd.randrange(6))
        for e in range(500):  # a reseller: 10% of its traffic is the campaign's
            if e % 10 == 0:
                b.event("reseller", T0 + 5 * DAY + rnd.randrange(150) * 10 * MIN, ip="55.5.5.5",
                        template=f"camp-t{rnd.randrange(5)}", capability=1, cot=1)
            else:
                b.event("reseller", T0 + rnd.randrange(20 * DAY), ip="55.5.5.5",
                        template=f"res-{e}", capability=rnd.randrange(6))
    if extra is not None:
        extra(b, rnd)
    return b.build()


def test_campaign_flagged_enterprise_nat_not(tmp_path):
    case = scenario(tmp_path / "c.hscase")
    summary = analyze(case)
    assert summary.accounts == 49 and summary.flagged == 1
    names = {name for name, *_ in suspicious_accounts(case)}
    assert names == {f"camp{a}" for a in range(10)}
    clusters = list_clusters(case)
    top = clusters[0]
    assert top.flagged and {"content", "timing"} <= set(top.families)
    assert top.signals["lockstep"][0] == pytest.approx(1.0, abs=0.1)
    assert any("template" in r for r in top.reasons)
    total = sum(c for _, c in top.signals.values())
    assert top.score == pytest.approx(1 - pow(2.718281828459045, -total), rel=1e-6)
    ent = [c for c in clusters if c.accounts == 8]
    assert ent and not ent[0].flagged and ent[0].families == []
    assert "8 accounts share 1 network prefix" in ent[0].details["infra_sharing"]


def test_reseller_is_mixed_not_suspicious(tmp_path):
    case = scenario(tmp_path / "c.hscase")
    analyze(case, load_config().with_(share_sample_per_account=1000))  # every event: exact share
    mixed = mixed_accounts(case)
    assert [(m[0], m[3], m[4]) for m in mixed] == [("reseller", 50, 500)]
    assert mixed[0][2] == pytest.approx(0.1)
    assert "reseller" not in {n for n, *_ in suspicious_accounts(case)}


def test_one_family_alone_is_not_enough(tmp_path):
    case = scenario(tmp_path / "c.hscase")
    cfg = load_config().with_(min_families=3)
    analyze(case, cfg)
    assert suspicious_accounts(case) == []
    analyze(case, cfg.with_(min_families=1, single_source_factor=1.0))
    assert {n for n, *_ in suspicious_accounts(case)} >= {f"ent{a}" for a in range(8)}


def test_one_shared_address_is_weak_infrastructure(tmp_path):
    case = scenario(tmp_path / "c.hscase", campaign=False)
    analyze(case)
    ent = [c for c in list_clusters(case) if c.accounts == 8][0]
    # 100% of their traffic on one NAT address: evidence 1.0 * single_source_factor
    assert ent.signals["infra_sharing"][0] == pytest.approx(0.25)
    assert ent.families == []


def test_cancel_keeps_previous_results(tmp_path):
    case = scenario(tmp_path / "c.hscase")
    analyze(case)
    before = suspicious_accounts(case)
    seen = []
    with pytest.raises(AnalysisCancelled):
        analyze(case, DetectionConfig(min_families=1),
                progress=lambda f, m: seen.append(f), cancelled=lambda: len(seen) >= 3)
    assert suspicious_accounts(case) == before
    assert analysis_is_current(case)
    case.set_meta("data_version", "2")
    assert not analysis_is_current(case)


def test_features_stored_per_account(tmp_path):
    case = scenario(tmp_path / "c.hscase", campaign=False)
    analyze(case)
    with case.raw() as con:
        rows = con.execute("SELECT a.name, f.events, f.distinct_ips FROM account_features f "
                           "JOIN accounts a ON a.id = f.account_id WHERE a.name = 'ent0'").fetchall()
        run = con.execute("SELECT config, data_version FROM analysis_runs").fetchone()
    assert rows == [("ent0", 40, 1)]
    assert json.loads(run[0])["min_families"] == 2 and run[1] == "1"


def test_release_date_meta(tmp_path):
    case = scenario(tmp_path / "c.hscase", campaign=False, enterprise=False)
    assert release_timestamp(case) is None
    case.set_meta("release_date", "2026-04-22")
    assert release_timestamp(case) == 1776816000
    case.set_meta("release_date", "next tuesday")
    with pytest.raises(DetectionError, match="release_date"):
        analyze(case)


def test_empty_case_is_a_clear_error(tmp_path):
    from app.core.case import Case
    with pytest.raises(DetectionError, match="no events"):
        analyze(Case(tmp_path / "e.hscase", create=True))


def test_config_file_errors(tmp_path):
    bad = tmp_path / "d.json"
    bad.write_text('{"min_familes": 2}')
    with pytest.raises(InputError, match="unknown detection setting 'min_familes'"):
        load_config(bad)
    bad.write_text('{"signal_weights": {"sise": 1}}')
    with pytest.raises(InputError, match="unknown entries"):
        load_config(bad)
    bad.write_text('{"cluster_threshold": 0.7, "signal_weights": {"size": 0.1}}')
    cfg = load_config(bad)
    assert cfg.cluster_threshold == 0.7 and cfg.signal_weights["size"] == 0.1
    assert cfg.signal_weights["lockstep"] == DetectionConfig().signal_weights["lockstep"]
    assert load_config() == DetectionConfig()  # the bundled file documents the defaults


def test_content_and_volume_signals_by_hand(tmp_path):
    """One 6-account cluster on a private /24 pool, all coding + CoT, against 20 chatty users."""
    b = CaseBuilder(tmp_path / "s.hscase")
    for a in range(20):  # 20 users x 10 events: creative, no CoT
        for e in range(10):
            b.event(f"u{a}", T0 + e * DAY + a * MIN, ip=f"100.{a}.0.1", template=f"u{a}-{e}",
                    capability=5)
    for a in range(6):  # 6 accounts x 50 events on 3 shared templates and 3 shared /24s
        for e in range(50):
            b.event(f"c{a}", T0 + 2 * DAY + e * 30 * MIN, ip=f"66.{e % 3}.0.{a}",
                    template=f"c-t{e % 3}", capability=1, cot=1)
    case = b.build()
    analyze(case)
    top = list_clusters(case)[0]
    assert top.accounts == 6
    sig = {k: v[0] for k, v in top.signals.items()}
    # targeted share 100% vs 300/500 = 60% overall -> lift (1 - 0.6) / (1 - 0.6) = 1
    assert sig["capability_concentration"] == pytest.approx(1.0)
    assert sig["cot_rate"] == pytest.approx(1.0)
    assert sig["template_sharing"] == pytest.approx(1.0)
    # 3 prefixes, each used by all 6 and nobody else: a pool, 100% of their traffic
    assert sig["infra_sharing"] == pytest.approx(1.0)
    # hydra: largest account 1/6 of 300 events; median account has 10 events ->
    # (1 - 1/6) * log10(300 / 10) / 3
    assert sig["hydra_volume"] == pytest.approx((5 / 6) * (math.log10(30) / 3))
    assert sig["size"] == pytest.approx(math.log(6) / math.log(100))
    assert top.flagged and {"infrastructure", "content"} <= set(top.families)



def test_address_shared_with_one_campaign_member_does_not_list_a_developer(tmp_path):
    # camp0 sends its camouflage from 77.0.9.9. A developer on that same address (a shared
    # cafe line) makes an island of one value and two accounts in the campaign's cluster: it
    # counts x single_source_factor x 2 / members. A developer on 77.0.9.50 shares only the
    # /24, which counts for an account only as far as its own addresses are shared: nothing.
    def neighbours(b, rnd):
        for e in range(40):
            b.event("cafedev", T0 + rnd.randrange(20 * DAY), ip="77.0.9.9", ua="sdk/cafe",
                    template=f"cafe-{e}", capability=rnd.randrange(6))
            b.event("vmdev", T0 + rnd.randrange(20 * DAY), ip="77.0.9.50", ua="sdk/vm",
                    template=f"vm-{e}", capability=rnd.randrange(6))

    case = scenario(tmp_path / "c.hscase", extra=neighbours)

    def member(name):
        with case.raw() as con:
            return con.execute("SELECT m.cluster_id, m.campaign_share FROM cluster_members m JOIN "
                               "accounts a ON a.id = m.account_id WHERE a.name = ?", (name,)).fetchone()

    analyze(case, load_config().with_(single_source_factor=1.0))
    top = list_clusters(case)[0]
    assert top.flagged
    assert member("cafedev") == (top.id, pytest.approx(2 / top.accounts))
    assert member("vmdev") in (None, (top.id, 0.0))
    assert "vmdev" not in {name for name, *_ in suspicious_accounts(case)}
    analyze(case)  # default: 0.25 * 2 / members < core_min_share: peeled off the cluster
    assert member("cafedev") is None
    assert {name for name, *_ in suspicious_accounts(case)} == {f"camp{a}" for a in range(10)}


def test_member_with_one_shared_sentence_is_not_listed(tmp_path):
    # three events, one of them a campaign template: Leiden puts the account in the campaign's
    # cluster, and 1 of 3 sampled events is campaign-like, but one sentence in common is not
    # enough (member_min_segments = 2)
    def tiny(b, rnd):
        b.event("tinydev", T0 + 5 * DAY + 20 * MIN, ip="99.9.9.9", template="camp-t1",
                capability=1, cot=1)
        b.event("tinydev", T0 + 5 * DAY + 60 * MIN, ip="99.9.9.9", template="tiny-a", capability=1)
        b.event("tinydev", T0 + 6 * DAY, ip="99.9.9.9", template="tiny-b")

    case = scenario(tmp_path / "c.hscase", extra=tiny)

    def tinydev():
        with case.raw() as con:
            return con.execute("SELECT m.cluster_id, m.campaign_share FROM cluster_members m JOIN "
                               "accounts a ON a.id = m.account_id WHERE a.name = 'tinydev'").fetchone()

    analyze(case, load_config().with_(member_min_segments=1))
    assert tinydev() == (list_clusters(case)[0].id, pytest.approx(1 / 3))
    assert "tinydev" in {name for name, *_ in suspicious_accounts(case)}
    analyze(case)
    assert tinydev() == (list_clusters(case)[0].id, 0.0)
    assert {name for name, *_ in suspicious_accounts(case)} == {f"camp{a}" for a in range(10)}
