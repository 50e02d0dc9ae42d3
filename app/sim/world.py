"""Builds the whole population for a preset and seed: benign roles, look-alikes and campaigns.

The benign developer population is sized last: campaign accounts are a fixed share of all
accounts (``Preset.campaign_share``), and developer request rates are scaled so the expected
event total matches ``Preset.target_events``. That keeps every preset's campaign share and file
size predictable while every individual draw stays random.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from . import identity as idn
from .campaigns import add_campaign, draw_sizes
from .corpus import load, user_agent_pool
from .population import DAY_MS, HOUR_MS, ROLES, Builder, World, eval_bot_specs
from .presets import Preset

__all__ = ["build_world", "expected_events"]

_DEV_TZ = np.array([-8, -7, -6, -5, -3, 0, 1, 2, 3, 5, 7, 8, 9, 10])
_DEV_TZ_W = np.array([.12, .03, .06, .14, .05, .08, .16, .05, .03, .09, .03, .07, .06, .03])
_ENTERPRISE_TOPICS = ("email_writing", "summarize", "sql_data", "python_help", "app_backend",
                      "data_analysis", "explain", "marketing")


def _topics() -> tuple[list[str], np.ndarray]:
    spec = load("benign")["topics"]
    names = list(spec)
    w = np.array([float(spec[t].get("weight", 1)) for t in names])
    return names, w / w.sum()


def _dev_adoption(rng: np.random.Generator, n: int) -> dict:
    share = np.where(rng.random(n) < 0.45, 0.0, rng.beta(2.0, 2.5, n))
    return dict(adopt_share=share, adopt_delay_ms=(rng.uniform(24, 500, n) * HOUR_MS).astype(np.int64),
                adopt_scale_ms=(rng.uniform(12, 96, n) * HOUR_MS).astype(np.int64))


def _sys_tokens(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.where(rng.random(n) < 0.5, 0, rng.lognormal(np.log(250), 0.8, n)).astype(np.int32)


def _dev_habits(rng: np.random.Generator, n: int) -> dict:
    return dict(d_rate=rng.lognormal(0.0, 1.6, n), p_active=rng.beta(0.7, 3.5, n),
                weekend=rng.uniform(0.3, 0.9, n))


def _appear_share(h: dict, scale: float, days: int) -> float:
    """Expected share of developers with at least one request when rates are multiplied by scale."""
    rate = np.minimum(h["d_rate"] * scale, 6000.0)
    m = np.sqrt(h["weekend"])
    quiet_wd = 1 - h["p_active"] * (1 - np.exp(-rate))
    quiet_we = 1 - h["p_active"] * m * (1 - np.exp(-rate * m))
    return float(np.mean(1 - quiet_wd ** (days * 5 / 7) * quiet_we ** (days * 2 / 7)))


def _dev_count(p: Preset, budget: float, wanted: int) -> int:
    """How many developers to create so about ``wanted`` of them send at least one request."""
    h = _dev_habits(np.random.default_rng(12345), 20_000)
    per = float(np.mean(h["d_rate"] * h["p_active"] * (5 + 2 * h["weekend"]) / 7)) * p.days
    n = max(wanted, 10)
    for _ in range(30):
        share = _appear_share(h, budget / (n * per), p.days)
        nxt = max(10, int(round(wanted / max(share, 1e-6))))
        if abs(nxt - n) <= max(1, n // 200):
            break
        n = nxt
    return n


def _add_developers(b: Builder, n: int, topic_w: np.ndarray) -> np.ndarray:
    rng = b.rng
    k = rng.choice([1, 2, 3], n, p=[.55, .35, .10])
    total = int(k.sum())
    v6 = rng.random(total) < 0.12
    addrs = np.array(idn.residential_ips(rng, total), dtype=object)
    if v6.any():
        addrs[v6] = idn.ipv6_ips(rng, int(v6.sum()))
    flat = b.new_ips(addrs.tolist())
    return b.add(n, Builder.lists(k, flat), b.pick_uas("developer", n, (1, 2), pool=max(400, n // 50)),
                 (1.2, 2.0, 0.5), keys=(1, 2), role=ROLES.index("developer"), org=b.new_orgs(n),
                 tz=rng.choice(_DEV_TZ, n, p=_DEV_TZ_W), shape=np.where(rng.random(n) < 0.2, 3, 0),
                 **_dev_habits(rng, n), topic=rng.choice(len(topic_w), n, p=topic_w),
                 focus=rng.uniform(0.3, 0.8, n), sys_tokens=_sys_tokens(rng, n), **_dev_adoption(rng, n))


def _add_benign_lookalikes(b: Builder, names: list[str], topic_w: np.ndarray, sizes: dict) -> None:
    rng, prng, p = b.rng, b.prng, b.preset
    ent_topics = np.array([names.index(t) for t in _ENTERPRISE_TOPICS])
    for m in sizes["enterprise"]:
        nat = b.new_ips(idn.single_ips(rng, 1, "business"))
        uas = b.ua_ids(list(dict.fromkeys(user_agent_pool("enterprise", prng, 2))))
        b.add(m, Builder.shared(m, nat), Builder.shared(m, uas), (1.0, 2.5, 0.4), keys=(1, 1),
              role=ROLES.index("enterprise"), org=b.new_orgs(1)[0], tz=prng.choice([-8, -5, -5, 0, 1, 1, 9, 5]),
              shape=1, weekend=0.04, d_rate=rng.lognormal(np.log(12), 0.8, m), p_active=rng.beta(6, 2, m),
              topic=rng.choice(ent_topics, m), focus=0.5, sys_tokens=_sys_tokens(rng, m),
              **_dev_adoption(rng, m))
    n = sizes["reseller"]
    if n:
        n_ips = rng.integers(150, 700, n)
        flat = b.new_ips(idn.residential_ips(rng, int(n_ips.sum())))
        b.add(n, Builder.lists(n_ips, flat), b.pick_uas("developer", n, (25, 80)), (1.5, 2.0, 0.6),
              keys=(2, 6), role=ROLES.index("reseller"), org=b.new_orgs(n), shape=4, weekend=0.85,
              d_rate=rng.uniform(*p.reseller_rate, n), p_active=1.0, ip_sticky=False, relays=True,
              focus=0.1, topic=rng.choice(len(topic_w), n, p=topic_w), **_dev_adoption(rng, n))
    for bot in b.bots:
        ip = b.new_ips(idn.single_ips(rng, 1, "cloud"))
        bot["account"] = int(b.add(1, Builder.shared(1, ip), b.pick_uas("bot", 1, (1, 1), pool=20),
                                   (0.5, 2.0, 1.0), keys=(1, 1), role=ROLES.index("eval_bot"),
                                   org=b.new_orgs(1))[0])
    py_topics = np.array([names.index("explain"), names.index("python_help")])
    for m in sizes["lab"]:
        ip = b.new_ips(idn.single_ips(rng, 1, "university"))
        b.add(m, Builder.shared(m, ip), b.pick_uas("developer", m, (1, 1)), (0.6, 2.0, 1.0), keys=(1, 1),
              role=ROLES.index("university_lab"), org=b.new_orgs(1)[0], tz=prng.choice([-5, -8, 0, 1, 8, 9]),
              shape=5, weekend=0.2, d_rate=rng.lognormal(np.log(60), 0.6, m), p_active=0.6,
              lab_share=rng.uniform(0.8, 0.95, m), topic=rng.choice(py_topics, m), focus=0.6,
              **_dev_adoption(rng, m))
    app = names.index("app_backend")
    for m in sizes["cloud"]:
        pool_ips, _ = idn.subnet_pool(rng, "cloud", int(rng.integers(1, 3)), (3, 8))
        pool = b.new_ips(pool_ips)
        k = rng.integers(1, min(4, len(pool)) + 1, m)
        flat = np.concatenate([rng.choice(pool, size=int(c), replace=False) for c in k])
        b.add(m, Builder.lists(k, flat), b.pick_uas("scripted", m, (1, 1), pool=60), (2.0, 1.5, 0.3),
              keys=(1, 2), role=ROLES.index("cloud_shared"), org=b.new_orgs(m),
              tz=rng.choice(_DEV_TZ, m, p=_DEV_TZ_W), shape=np.where(rng.random(m) < 0.6, 2, 0),
              weekend=0.9, d_rate=rng.lognormal(np.log(8), 1.0, m), p_active=rng.beta(3, 1.5, m),
              ip_sticky=False, topic=np.where(rng.random(m) < 0.5, app, rng.choice(len(topic_w), m, p=topic_w)),
              focus=0.6, sys_tokens=_sys_tokens(rng, m), **_dev_adoption(rng, m))


def expected_events(w: World) -> np.ndarray:
    """Expected number of requests per account over the period (before Poisson noise)."""
    span = (w.end_ms - w.start_ms) / DAY_MS
    diurnal = w.d_rate * w.p_active * span * (5 + 2 * w.weekend) / 7
    campaign = w.c_rate * 0.92 * span
    exp = diurnal + campaign
    for bot in w.bots:
        exp[bot["account"]] += bot["size"] * len(bot["run_hours"]) * w.days
    return exp


def build_world(p: Preset, seed: int) -> World:
    """The complete, seeded population for preset ``p`` (developer rates calibrated to size)."""
    b = Builder(p, seed)
    rng = b.rng
    names, topic_w = _topics()
    camp_sizes = draw_sizes(p.campaigns, p.campaign_accounts, rng)
    n_camp = sum(camp_sizes) + sum(s.mixed_resellers for s in p.campaigns)
    sizes = dict(
        enterprise=rng.integers(p.enterprises[1], p.enterprises[2] + 1, p.enterprises[0]).tolist(),
        reseller=p.resellers,
        lab=rng.integers(1, 4, p.labs).tolist(),
        cloud=rng.integers(p.cloud_pools[1], p.cloud_pools[2] + 1, p.cloud_pools[0]).tolist(),
    )
    b.bots, b.bench_prompts = eval_bot_specs(b, p.eval_bots)
    n_other = sum(sizes["enterprise"]) + p.resellers + p.eval_bots + sum(sizes["lab"]) + sum(sizes["cloud"])
    n_total = int(round(n_camp / p.campaign_share))
    _add_benign_lookalikes(b, names, topic_w, sizes)
    campaigns = [add_campaign(b, i, spec, n, p.reseller_rate)
                 for i, (spec, n) in enumerate(zip(p.campaigns, camp_sizes))]
    # developers fill the event budget; their count is set so the campaign share holds among
    # the accounts that actually appear in the export (quiet accounts leave no rows)
    partial = b.finish(0, 0)
    partial.bots = b.bots
    others = float(expected_events(partial).sum())
    budget = max(p.target_events - others, 0.2 * p.target_events)
    wanted = max(10, n_total - n_camp - n_other)
    dev = _add_developers(b, _dev_count(p, budget, wanted), topic_w)
    start = dt.datetime.fromisoformat(p.start).replace(tzinfo=dt.timezone.utc)
    release_day = p.release_day if p.release_day is not None else round(p.days * 0.55)
    world = b.finish(int(start.timestamp() * 1000), int(release_day * DAY_MS + 17 * HOUR_MS))
    world.bots, world.bench_prompts, world.campaigns = b.bots, b.bench_prompts, campaigns
    # scale developer rates so the expected total meets the preset's target
    exp = expected_events(world)
    world.d_rate[dev] *= budget / max(exp[dev].sum(), 1e-9)
    np.minimum(world.d_rate, 6000.0, out=world.d_rate)
    return world
