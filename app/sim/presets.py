"""Named simulation sizes, from a unit-test world to the public scale of the 2026 campaign.

A preset fixes the size of the world (days, events, population mix) and the *ranges* that
campaign sizes and parameters are drawn from; the seed picks values inside the ranges, so two
seeds give two different but equally plausible worlds. ``run_simulation(**overrides)`` can
replace any top-level field (e.g. ``days=10``, ``campaign_share=0.2``) for experiments.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

__all__ = ["CampaignSpec", "Preset", "PRESETS", "resolve"]


@dataclass(frozen=True)
class CampaignSpec:
    """One campaign: archetype plus the ranges its size and behaviour are drawn from.

    ``archetype`` is ``hydra`` (many short-lived accounts on a shared rotating proxy pool) or
    ``low_and_slow`` (unique residential IPs, diverse user agents, half camouflage prompts).
    ``weight`` is the campaign's share of the preset's campaign accounts when
    ``Preset.campaign_accounts`` fixes the total; otherwise ``accounts`` is drawn directly.
    """

    archetype: str
    accounts: tuple[int, int]
    rate: tuple[float, float]  # requests per active account per day
    cohorts: tuple[int, int] = (1, 2)
    mixed_resellers: int = 0  # legitimate reseller accounts also carrying this campaign
    weight: float = 1.0


@dataclass(frozen=True)
class Preset:
    """A whole simulated world. All counts are before seeded randomisation."""

    name: str
    description: str
    days: int
    target_events: int
    campaigns: tuple[CampaignSpec, ...]
    campaign_share: float = 0.04  # campaign accounts / all accounts
    campaign_accounts: int | None = None  # exact total over campaigns (the public 25,000)
    start: str = "2026-04-22"
    release_day: float | None = None  # day offset of the new model; None = 55% into the period
    enterprises: tuple[int, int, int] = (1, 12, 30)  # (orgs, min accounts, max accounts)
    resellers: int = 1
    reseller_rate: tuple[float, float] = (300.0, 1500.0)
    eval_bots: int = 1
    labs: int = 1
    cloud_pools: tuple[int, int, int] = (1, 6, 12)  # (pools, min accounts, max accounts)
    pool_scale: int = 400  # fragments rendered per topic / template (text variety)
    gzip_level: int = 6  # .gz outputs: 6 keeps samples small, 1 keeps the big presets fast


_HYDRA_RATE = (10.0, 24.0)

PRESETS: dict[str, Preset] = {
    "tiny": Preset(
        name="tiny", description="a few thousand events over a week, for unit tests",
        days=7, target_events=4_000, campaign_share=0.05,
        campaigns=(CampaignSpec("hydra", (12, 16), (8.0, 14.0), (1, 1), mixed_resellers=1),
                   CampaignSpec("low_and_slow", (5, 8), (2.0, 4.0), (1, 1))),
        enterprises=(1, 8, 12), reseller_rate=(40.0, 80.0), cloud_pools=(1, 5, 8), pool_scale=40,
    ),
    "small": Preset(
        name="small", description="~50k events over two weeks; every archetype and look-alike",
        days=14, target_events=50_000, campaign_share=0.04,
        campaigns=(CampaignSpec("hydra", (40, 70), _HYDRA_RATE, (2, 2), mixed_resellers=1),
                   CampaignSpec("low_and_slow", (12, 20), (2.0, 5.0), (1, 2))),
        enterprises=(2, 12, 30), resellers=2, reseller_rate=(120.0, 350.0), eval_bots=2,
        cloud_pools=(2, 6, 12), pool_scale=150,
    ),
    "demo": Preset(
        name="demo", description="~200k events over three weeks, higher campaign share for demos",
        days=21, target_events=200_000, campaign_share=0.10,
        campaigns=(CampaignSpec("hydra", (150, 250), _HYDRA_RATE, (2, 3), mixed_resellers=1),
                   CampaignSpec("low_and_slow", (40, 70), (2.0, 5.0), (1, 2))),
        enterprises=(3, 15, 40), resellers=3, reseller_rate=(300.0, 900.0), eval_bots=3, labs=2,
        cloud_pools=(3, 6, 15), pool_scale=400,
    ),
    "medium": Preset(
        name="medium", description="~1M events over the 45-day campaign window",
        days=45, target_events=1_000_000, campaign_share=0.04,
        campaigns=(CampaignSpec("hydra", (500, 900), _HYDRA_RATE, (3, 4), mixed_resellers=1),
                   CampaignSpec("hydra", (150, 300), _HYDRA_RATE, (1, 2)),
                   CampaignSpec("low_and_slow", (100, 200), (2.0, 5.0), (1, 2))),
        enterprises=(6, 15, 60), resellers=5, reseller_rate=(300.0, 1000.0), eval_bots=4, labs=3,
        cloud_pools=(5, 8, 30), pool_scale=1500,
    ),
    "large": Preset(
        name="large", description="~5M events over 45 days, for import benchmarks",
        days=45, target_events=5_000_000, campaign_share=0.04,
        campaigns=(CampaignSpec("hydra", (2500, 3500), _HYDRA_RATE, (4, 5), mixed_resellers=1),
                   CampaignSpec("hydra", (700, 1200), _HYDRA_RATE, (2, 3), mixed_resellers=1),
                   CampaignSpec("low_and_slow", (400, 700), (2.0, 5.0), (1, 2))),
        enterprises=(12, 15, 80), resellers=8, reseller_rate=(800.0, 2500.0), eval_bots=6, labs=4,
        cloud_pools=(10, 8, 40), pool_scale=4000, gzip_level=1,
    ),
    "full": Preset(
        name="full", description="the public scale: ~28.8M events, 25,000 campaign accounts, "
                                 "Apr 22 - Jun 5 2026",
        days=45, target_events=28_800_000, campaign_share=0.045, campaign_accounts=25_000,
        campaigns=(CampaignSpec("hydra", (0, 0), _HYDRA_RATE, (5, 7), mixed_resellers=2, weight=0.62),
                   CampaignSpec("hydra", (0, 0), _HYDRA_RATE, (2, 4), mixed_resellers=1, weight=0.24),
                   CampaignSpec("low_and_slow", (0, 0), (2.0, 5.0), (2, 3), weight=0.14)),
        enterprises=(40, 15, 120), resellers=12, reseller_rate=(1500.0, 5000.0), eval_bots=10,
        labs=8, cloud_pools=(30, 8, 60), pool_scale=12000, gzip_level=1,
    ),
}

_TUNABLE = {f.name for f in fields(Preset)} - {"name", "description"}


def resolve(name: str, overrides: dict) -> Preset:
    """The preset ``name`` with ``overrides`` applied; raises KeyError/ValueError on bad input."""
    base = PRESETS[name]
    unknown = sorted(set(overrides) - _TUNABLE)
    if unknown:
        raise ValueError(f"unknown simulation option(s): {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(_TUNABLE))})")
    preset = replace(base, **overrides)
    if preset.days < 2:
        raise ValueError("days must be at least 2")
    if not 0.0 < preset.campaign_share < 0.9:
        raise ValueError("campaign_share must be between 0 and 0.9")
    if not 1 <= preset.gzip_level <= 9:
        raise ValueError("gzip_level must be between 1 and 9")
    if preset.target_events < 500:
        raise ValueError("target_events must be at least 500")
    return preset
