"""Who is in the simulated world: every account, its role, habits, addresses and clients.

The world is built once per run as flat numpy arrays indexed by account (so the per-day event
generator can work on hundreds of thousands of accounts without Python loops). Each look-alike
role is confusable with a campaign on exactly one signal family: enterprises share a NAT IP,
eval bots repeat a template set on a fixed cadence, labs send chain-of-thought math, resellers
have volume and hundreds of IPs, cloud-shared accounts share datacenter egress. Campaigns
(:mod:`app.sim.campaigns`) add accounts that combine several families at once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from . import identity as idn
from .corpus import benchmark_set, user_agent_pool
from .presets import Preset

__all__ = ["ROLES", "MODELS", "SHAPES", "World", "Builder", "DAY_MS", "HOUR_MS"]

ROLES: tuple[str, ...] = ("developer", "reseller", "enterprise", "eval_bot", "university_lab",
                          "cloud_shared", "hydra", "low_and_slow", "reseller_mixed")
#: model names; the last one is released mid-period
MODELS: tuple[str, ...] = ("claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-5", "claude-sonnet-5")
DAY_MS = 86_400_000
HOUR_MS = 3_600_000


def _shape(points: dict[int, float]) -> np.ndarray:
    h = np.arange(25)
    keys = sorted(points)
    w = np.interp(h, keys, [points[k] for k in keys])[:24]
    return w / w.sum()


#: hour-of-day weights in the account's local time
SHAPES = np.stack([
    _shape({0: .25, 3: .08, 6: .15, 9: .9, 11: 1.0, 13: .8, 15: 1.0, 17: .8, 19: .6, 21: .7, 23: .45, 24: .25}),  # developer
    _shape({0: .01, 7: .02, 8: .35, 9: 1.0, 12: .8, 13: .65, 14: 1.0, 17: .7, 18: .15, 20: .02, 24: .01}),     # office
    _shape({0: .8, 6: .75, 12: 1.0, 18: .95, 24: .8}),                                                          # flat / server
    _shape({0: .7, 2: .5, 5: .06, 9: .15, 12: .5, 16: .7, 20: 1.0, 23: .9, 24: .7}),                             # night owl
    _shape({0: .85, 4: .6, 8: .8, 13: 1.0, 16: 1.0, 20: .9, 24: .85}),                                          # global relay
    _shape({0: .15, 3: .03, 8: .1, 10: .8, 14: 1.0, 18: .9, 21: .6, 24: .15}),                                  # academic
])
SHAPE_CDF = np.cumsum(SHAPES, axis=1)


@dataclass
class World:
    """Every account as parallel arrays, plus the string tables the arrays index into."""

    preset: Preset
    seed: int
    t0_ms: int
    days: int
    release_ms: int  # relative to t0
    account_ids: pa.Array  # string tables are Arrow arrays: a fraction of a list's memory
    role: np.ndarray
    label: np.ndarray  # -1 benign, else campaign index
    org: np.ndarray
    orgs: pa.Array
    tz: np.ndarray
    shape: np.ndarray
    weekend: np.ndarray
    d_rate: np.ndarray  # diurnal requests per active day (0 = not diurnal)
    p_active: np.ndarray
    start_ms: np.ndarray
    end_ms: np.ndarray
    ip_off: np.ndarray
    ip_cnt: np.ndarray
    ip_sticky: np.ndarray  # True: first IP dominates (home); False: uniform over the list
    acct_ip: np.ndarray
    ips: pa.Array
    ua_off: np.ndarray
    ua_cnt: np.ndarray
    acct_ua: np.ndarray
    uas: pa.Array
    key_off: np.ndarray
    key_cnt: np.ndarray
    keys: pa.Array
    topic: np.ndarray
    focus: np.ndarray
    lab_share: np.ndarray  # share of diurnal events that are lab CoT math
    model_cdf: np.ndarray  # (n, 3) cumulative weights over MODELS[:3]
    adopt_share: np.ndarray
    adopt_delay_ms: np.ndarray
    adopt_scale_ms: np.ndarray
    sys_tokens: np.ndarray
    camp: np.ndarray  # campaign index or -1
    c_rate: np.ndarray  # campaign-scheduled requests per day
    relays: np.ndarray  # True for resellers (forward end-user ids)
    bots: list[dict] = field(default_factory=list)
    bench_prompts: list[str] = field(default_factory=list)
    campaigns: list = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.account_ids)


class Builder:
    """Accumulates blocks of accounts; ``finish`` concatenates them into a :class:`World`."""

    _DEFAULTS = dict(role=0, label=-1, org=-1, tz=0, shape=0, weekend=0.6, d_rate=0.0, p_active=1.0,
                     start_ms=0, end_ms=-1, ip_sticky=True, topic=0, focus=0.5, lab_share=0.0,
                     adopt_share=0.0, adopt_delay_ms=0, adopt_scale_ms=HOUR_MS, sys_tokens=0, camp=-1,
                     c_rate=0.0, relays=False)
    _DTYPES = dict(role=np.int8, label=np.int16, org=np.int32, tz=np.int16, shape=np.int8,
                   weekend=np.float32, d_rate=np.float64, p_active=np.float32, start_ms=np.int64,
                   end_ms=np.int64, ip_sticky=bool, topic=np.int16, focus=np.float32,
                   lab_share=np.float32, adopt_share=np.float32, adopt_delay_ms=np.int64,
                   adopt_scale_ms=np.int64, sys_tokens=np.int32, camp=np.int16, c_rate=np.float64,
                   relays=bool)

    def __init__(self, preset: Preset, seed: int):
        self.preset = preset
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.prng = random.Random(seed)
        self.n = 0
        self.cols: dict[str, list[np.ndarray]] = {k: [] for k in self._DEFAULTS}
        self.ips: list[str] = []
        self.ip_lists: list[np.ndarray] = []  # per block: flat ip indices
        self.ip_off: list[np.ndarray] = []
        self.ip_cnt: list[np.ndarray] = []
        self.uas: list[str] = []
        self.ua_index: dict[str, int] = {}
        self.ua_lists: list[np.ndarray] = []
        self.ua_off: list[np.ndarray] = []
        self.ua_cnt: list[np.ndarray] = []
        self.acct_ip_len = 0
        self.acct_ua_len = 0
        self.n_orgs = 0
        self.model_cdf: list[np.ndarray] = []
        self.key_cnt: list[np.ndarray] = []
        self.bots: list[dict] = []
        self.bench_prompts: list[str] = []

    # -- tables -------------------------------------------------------------------------
    def new_ips(self, addrs: list[str]) -> np.ndarray:
        base = len(self.ips)
        self.ips += addrs
        return np.arange(base, base + len(addrs), dtype=np.int32)

    def ua_ids(self, strings: list[str]) -> np.ndarray:
        out = np.empty(len(strings), dtype=np.int32)
        for i, s in enumerate(strings):
            j = self.ua_index.get(s)
            if j is None:
                j = self.ua_index[s] = len(self.uas)
                self.uas.append(s)
            out[i] = j
        return out

    def new_orgs(self, k: int) -> np.ndarray:
        base = self.n_orgs
        self.n_orgs += k
        return np.arange(base, base + k, dtype=np.int32)

    # -- blocks -------------------------------------------------------------------------
    def add(self, n: int, ip_lists: tuple[np.ndarray, np.ndarray, np.ndarray],
            ua_lists: tuple[np.ndarray, np.ndarray, np.ndarray], model_alpha: tuple[float, float, float],
            keys: tuple[int, int] = (1, 2), **attrs) -> np.ndarray:
        """Append ``n`` accounts; ``ip_lists``/``ua_lists`` are (flat ids, offsets, counts)."""
        idx = np.arange(self.n, self.n + n)
        for k, default in self._DEFAULTS.items():
            v = attrs.pop(k, default)
            self.cols[k].append(np.broadcast_to(np.asarray(v), (n,)).astype(self._DTYPES[k]))
        if attrs:
            raise TypeError(f"unknown account attributes {sorted(attrs)}")
        flat, off, cnt = ip_lists
        self.ip_lists.append(flat)
        self.ip_off.append(off + self.acct_ip_len)
        self.ip_cnt.append(cnt)
        self.acct_ip_len += len(flat)
        flat, off, cnt = ua_lists
        self.ua_lists.append(flat)
        self.ua_off.append(off + self.acct_ua_len)
        self.ua_cnt.append(cnt)
        self.acct_ua_len += len(flat)
        self.model_cdf.append(np.cumsum(self.rng.dirichlet(model_alpha, n), axis=1).astype(np.float32))
        self.key_cnt.append(self.rng.integers(keys[0], keys[1] + 1, n).astype(np.int32))
        self.n += n
        return idx

    def finish(self, t0_ms: int, release_ms: int) -> World:
        c = {k: np.concatenate(v) if v else np.zeros(0, self._DTYPES[k]) for k, v in self.cols.items()}
        end = c["end_ms"]
        end[end < 0] = self.preset.days * DAY_MS
        key_cnt = np.concatenate(self.key_cnt)
        key_off = np.concatenate([[0], np.cumsum(key_cnt)[:-1]]).astype(np.int64)
        ids = np.random.default_rng([self.seed, 99])  # own stream: finish() may run twice
        account_ids = pa.array(idn.unique_hex(ids, self.n, 10, "acct_"), pa.string())
        keys = pa.array(idn.unique_hex(ids, int(key_cnt.sum()), 12, "key_"), pa.string())
        orgs = pa.array(idn.unique_hex(ids, self.n_orgs, 10, "org_"), pa.string())
        return World(
            preset=self.preset, seed=self.seed, t0_ms=t0_ms, days=self.preset.days, release_ms=release_ms,
            account_ids=account_ids, orgs=orgs, ips=pa.array(self.ips, pa.string()),
            uas=pa.array(self.uas, pa.string()), keys=keys,
            ip_off=np.concatenate(self.ip_off).astype(np.int64), ip_cnt=np.concatenate(self.ip_cnt).astype(np.int64),
            acct_ip=np.concatenate(self.ip_lists).astype(np.int32),
            ua_off=np.concatenate(self.ua_off).astype(np.int64), ua_cnt=np.concatenate(self.ua_cnt).astype(np.int64),
            acct_ua=np.concatenate(self.ua_lists).astype(np.int32),
            key_off=key_off, key_cnt=key_cnt.astype(np.int64),
            model_cdf=np.concatenate(self.model_cdf), **c,
        )

    # -- list helpers ---------------------------------------------------------------------
    @staticmethod
    def lists(counts: np.ndarray, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        counts = np.asarray(counts, dtype=np.int64)
        off = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        return np.asarray(flat, dtype=np.int32), off, counts

    @staticmethod
    def shared(n: int, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every one of ``n`` accounts points at the same list ``flat``."""
        return (np.asarray(flat, dtype=np.int32), np.zeros(n, np.int64),
                np.full(n, len(flat), np.int64))

    def pick_uas(self, kind: str, n_accounts: int, per: tuple[int, int], pool: int = 400
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each account gets ``per`` UAs drawn (weighted) from a rendered pool of ``kind``."""
        rendered = self.ua_ids(user_agent_pool(kind, self.prng, pool))
        counts = self.rng.integers(per[0], per[1] + 1, n_accounts)
        flat = rendered[self.rng.integers(0, len(rendered), int(counts.sum()))]
        return self.lists(counts, flat)


def eval_bot_specs(b: Builder, n_bots: int) -> tuple[list[dict], list[str]]:
    """Benchmark replay bots: fixed problem set, fixed run times, fixed cadence.

    Together the bots send about 3% of the preset's events: a bot replays its whole set (or
    the first part of it) once or a few times a day at the same minutes.
    """
    p = b.preset
    per_day = max(30, int(0.03 * p.target_events / p.days / max(n_bots, 1)))
    sets = ("code_completion", "grade_school_math", "multiple_choice")
    bots, prompts = [], []
    for i in range(n_bots):
        name = sets[i % len(sets)] if i < len(sets) else b.prng.choice(sets)
        problems = benchmark_set(name, b.prng.randrange(3))
        size = min(len(problems), per_day)
        runs = max(1, min(4, per_day // size))
        runs = 4 if runs == 3 else runs
        first = b.prng.randrange(0, 24 // runs)
        bots.append(dict(set=name, off=len(prompts), size=size,
                         cadence_ms=int(b.prng.choice([2000, 3000, 5000, 6000, 10000])),
                         run_hours=[first + k * (24 // runs) for k in range(runs)],
                         run_minute=b.prng.randrange(0, 60)))
        prompts += problems[:size]
    return bots, prompts
