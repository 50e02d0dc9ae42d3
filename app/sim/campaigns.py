"""Distillation campaigns: accounts, infrastructure and habits of each archetype.

Modelled on the public 2026 reports (~25,000 accounts, 28.8M exchanges in 45 days, proxy
networks running thousands of accounts at once, traffic moved to a new model within a day).
A *hydra* creates accounts in cohorts and rotates them through a datacenter proxy pool; a
*low-and-slow* network gives each account its own residential IP and hides half its prompts
among ordinary ones; a *mixed reseller* is a legitimate reseller whose account also relays a
campaign. All archetypes share a synchronized shift schedule, template-like capability prompts
and a fast move to the newly released model, which is what a corroborating detector can use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import identity as idn
from .corpus import CATEGORIES, CampaignPools, campaign_pools
from .population import DAY_MS, HOUR_MS, ROLES, Builder
from .presets import CampaignSpec

__all__ = ["CampaignInfo", "draw_sizes", "add_campaign", "SHIFT_PATTERNS"]

#: work shifts in the campaign's local time (hours); operators run them every day
SHIFT_PATTERNS: tuple[tuple[tuple[float, float], ...], ...] = (
    ((9.0, 12.0), (13.5, 18.0), (19.0, 22.5)),
    ((8.0, 16.0), (16.0, 24.0)),
    ((9.0, 21.0),),
    ((10.0, 13.0), (14.0, 19.0), (20.0, 23.5)),
    ((0.5, 8.0), (8.5, 16.0), (16.5, 23.5)),
)


@dataclass
class CampaignInfo:
    """Everything the event generator needs to schedule and word one campaign's traffic."""

    index: int
    cid: str
    archetype: str
    members: np.ndarray
    mixed: np.ndarray
    tz: int
    shifts: tuple[tuple[float, float], ...]
    interval_ms: int
    jitter_ms: int
    p_batch: float  # share of requests that take the batch's dispatched template
    p_cot: float  # share of campaign prompts with a CoT-elicitation suffix
    p_camo: float  # share of requests that are ordinary (camouflage) prompts
    pools: CampaignPools
    cohorts: list[dict]
    prefixes: list[str]
    start_ms: int
    new_share: float
    adopt_delay_ms: int
    max_tokens: int
    p_throttle: float


def draw_sizes(specs: tuple[CampaignSpec, ...], total: int | None, rng: np.random.Generator) -> list[int]:
    """Account count per campaign: drawn from each range, or a random split of ``total``."""
    if total is None:
        return [int(rng.integers(s.accounts[0], s.accounts[1] + 1)) for s in specs]
    mixed = sum(s.mixed_resellers for s in specs)
    w = np.array([s.weight for s in specs]) * rng.uniform(0.9, 1.1, len(specs))
    raw = w / w.sum() * (total - mixed)
    sizes = np.floor(raw).astype(int)
    sizes[0] += (total - mixed) - sizes.sum()
    return sizes.tolist()


def _cohorts(b: Builder, n: int, k: int, days: int, spread: tuple[float, float]) -> tuple[np.ndarray, list[dict]]:
    rng = b.rng
    first = rng.uniform(0, min(2.0, days * 0.15))
    later = np.sort(rng.uniform(days * 0.1, max(days * 0.1 + 0.5, days - 4), k - 1)) if k > 1 else []
    starts = np.concatenate([[first], later])
    sizes = np.maximum(1, np.round(rng.dirichlet(np.full(k, 4.0)) * n)).astype(int)
    sizes[0] += n - sizes.sum()
    if sizes[0] < 1:
        sizes = np.full(k, n // k)
        sizes[0] += n - sizes.sum()
    start_days = []
    info = []
    for day, size in zip(starts.tolist(), sizes.tolist()):
        s = rng.uniform(*spread)
        start_days.append(day + rng.uniform(0, s, size))
        info.append(dict(start_day=round(day, 3), spread_days=round(s, 3), accounts=int(size)))
    return np.concatenate(start_days), info


def add_campaign(b: Builder, index: int, spec: CampaignSpec, n: int, reseller_rate: tuple[float, float]
                 ) -> CampaignInfo:
    """Add campaign ``index`` (``n`` own accounts plus its mixed resellers) to the builder."""
    rng, prng, p = b.rng, b.prng, b.preset
    days = p.days
    hydra = spec.archetype == "hydra"
    if spec.archetype not in ("hydra", "low_and_slow"):
        raise ValueError(f"unknown campaign archetype {spec.archetype!r}")
    k = int(rng.integers(spec.cohorts[0], spec.cohorts[1] + 1))
    start_day, cohorts = _cohorts(b, n, k, days, (0.8, 3.0) if hydra else (1.5, 4.0))
    start_ms = (start_day * DAY_MS).astype(np.int64)
    if hydra:
        life = rng.uniform(0.25, 0.75, n) * days
        end_ms = np.minimum(days * DAY_MS, start_ms + (np.maximum(life, 3.0) * DAY_MS).astype(np.int64))
    else:
        end_ms = np.full(n, days * DAY_MS, np.int64)
    rate = rng.uniform(*spec.rate, n) * rng.lognormal(0, 0.25, n)
    new_share = float(rng.uniform(0.5, 0.85))
    delay = int(rng.uniform(4, 30) * HOUR_MS)
    adopt = dict(adopt_share=np.clip(new_share * rng.uniform(0.9, 1.1, n), 0, 0.95),
                 adopt_delay_ms=delay + (rng.uniform(-2, 2, n) * HOUR_MS).astype(np.int64),
                 adopt_scale_ms=int(rng.uniform(3, 8) * HOUR_MS))
    orgs = b.new_orgs(n)
    tz = int(prng.choice([8, 8, 8, 3, 5, 1]))
    if hydra:
        subnets = int(rng.integers(2, 7))
        per = (max(4, min(20, n // 3)), max(6, min(160, n)))
        pool_ips, prefixes = idn.subnet_pool(rng, "datacenter", subnets, per)
        ip_lists = Builder.shared(n, b.new_ips(pool_ips))
        scripted = b.ua_ids([prng.choice(["python-httpx/0.27.2", "OpenAI/Python 1.54.3",
                                          "anthropic-python/0.39.0", "aiohttp/3.10.10"])
                             for _ in range(2)])
        ua_lists = Builder.lists(np.ones(n), scripted[rng.integers(0, len(scripted), n)])
        sticky = False
    else:
        counts = rng.choice([1, 1, 1, 2], n)
        flat = b.new_ips(idn.residential_ips(rng, int(counts.sum()), distinct_24=True))
        ip_lists = Builder.lists(counts, flat)
        prefixes = []
        ua_lists = b.pick_uas("developer", n, (1, 1))
        sticky = True
    role = ROLES.index(spec.archetype)
    members = b.add(n, ip_lists, ua_lists, (0.3, 2.5, 1.5), keys=(1, 1), role=role, label=index,
                    org=orgs, start_ms=start_ms, end_ms=end_ms, ip_sticky=sticky, camp=index,
                    c_rate=rate, sys_tokens=rng.integers(0, 40, n), tz=tz,
                    focus=0.3, topic=rng.integers(0, 10, n), **adopt)
    # legitimate resellers that also relay this campaign's traffic
    m = spec.mixed_resellers
    mixed = np.zeros(0, np.int64)
    if m:
        share = rng.uniform(0.15, 0.35, m)
        total = rng.uniform(*reseller_rate, m)
        n_ips = rng.integers(150, 700, m)
        flat = b.new_ips(idn.residential_ips(rng, int(n_ips.sum())))
        mixed = b.add(m, Builder.lists(n_ips, flat), b.pick_uas("developer", m, (25, 80)), (1.5, 2.0, 0.6),
                      keys=(2, 6), role=ROLES.index("reseller_mixed"), label=index, org=b.new_orgs(m),
                      shape=4, weekend=0.85, d_rate=total * (1 - share), p_active=1.0, ip_sticky=False,
                      camp=index, c_rate=total * share, relays=True, focus=0.1,
                      topic=rng.integers(0, 10, m), **{k: (v[:m] if isinstance(v, np.ndarray) else v)
                                                       for k, v in adopt.items()})
    cat_w = rng.dirichlet(np.full(len(CATEGORIES), 2.0)) + 0.05
    weights = dict(zip(CATEGORIES, (cat_w / cat_w.sum()).tolist()))
    per_template = int(min(3000, max(12, p.pool_scale // 2)))
    pools = campaign_pools(b.seed * 100 + index, int(rng.integers(12, 26)), per_template, weights)
    return CampaignInfo(
        index=index, cid=f"campaign-{index + 1}", archetype=spec.archetype,
        members=np.concatenate([members, mixed]), mixed=mixed,
        tz=tz, shifts=prng.choice(SHIFT_PATTERNS),
        interval_ms=int((rng.uniform(30, 180) if hydra else rng.uniform(120, 600)) * 1000),
        jitter_ms=int((rng.uniform(5, 60) if hydra else rng.uniform(600, 2400)) * 1000),
        p_batch=float(rng.uniform(0.6, 0.85) if hydra else rng.uniform(0.3, 0.5)),
        p_cot=float(rng.uniform(0.3, 0.7)),
        p_camo=float(rng.uniform(0.05, 0.25) if hydra else 0.5),
        pools=pools, cohorts=cohorts, prefixes=prefixes,
        start_ms=int(start_ms.min()), new_share=new_share, adopt_delay_ms=delay,
        max_tokens=int(prng.choice([8192, 16000, 32000])),
        p_throttle=float(rng.uniform(0.03, 0.06) if hydra else 0.01),
    )
