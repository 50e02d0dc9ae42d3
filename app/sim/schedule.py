"""When requests happen: one day of timestamps per account, for every kind of actor.

Three clocks run side by side. People and their apps follow daily and weekly cycles in their
own time zone and arrive in sessions (bursts of a few requests). Evaluation bots fire a fixed
problem list at a fixed cadence from fixed start times. Campaigns run a dispatcher: within the
operators' shifts, batches go out every few minutes, each batch hands one template to many
accounts at once, and each account's request follows the batch within a small jitter -- the
lockstep that SynchroTrap-style detectors look for, blurred by jitter and camouflage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .campaigns import CampaignInfo
from .population import DAY_MS, HOUR_MS, SHAPE_CDF, World

__all__ = ["Diurnal", "CampaignDay", "diurnal_day", "eval_day", "campaign_day"]

_SESSION_LEN = np.array([6, 1, 5, 1, 8, 1, 1, 6, 1], dtype=np.int64)  # by role code
_MINUTE = 60_000


@dataclass
class Diurnal:
    acct: np.ndarray
    ts: np.ndarray


@dataclass
class CampaignDay:
    acct: np.ndarray
    ts: np.ndarray
    camp: np.ndarray
    tpl: np.ndarray
    camo: np.ndarray


def _is_weekend(w: World, day: int) -> bool:
    date = dt.datetime.fromtimestamp((w.t0_ms + day * DAY_MS) / 1000, dt.timezone.utc)
    return date.weekday() >= 5


def _local_hours(rng: np.random.Generator, shape: np.ndarray) -> np.ndarray:
    u = rng.random(len(shape))
    hours = np.empty(len(shape), np.int64)
    for s in np.unique(shape):
        m = shape == s
        hours[m] = np.minimum(np.searchsorted(SHAPE_CDF[s], u[m]), 23)
    return hours


def diurnal_day(w: World, day: int, rng: np.random.Generator, cand: np.ndarray) -> Diurnal:
    """Requests of people and their apps on ``day`` (``cand``: accounts with a diurnal rate)."""
    lo, hi = day * DAY_MS, (day + 1) * DAY_MS
    idx = cand[(w.start_ms[cand] < hi) & (w.end_ms[cand] > lo)]
    mult = np.sqrt(w.weekend[idx]) if _is_weekend(w, day) else np.ones(len(idx), np.float32)
    active = rng.random(len(idx)) < w.p_active[idx] * mult
    idx, mult = idx[active], mult[active]
    counts = rng.poisson(w.d_rate[idx] * mult)
    keep = counts > 0
    idx, counts = idx[keep], counts[keep]
    # sessions: bursts of a few requests around a session start drawn from the daily shape
    per = _SESSION_LEN[w.role[idx]]
    n_sess = -(-counts // per)
    sess_acct = np.repeat(idx, n_sess)
    local = _local_hours(rng, w.shape[sess_acct])
    utc_h = (local - w.tz[sess_acct]) % 24
    sess_ts = lo + utc_h * HOUR_MS + rng.integers(0, HOUR_MS, len(sess_acct))
    acct = np.repeat(idx, counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    k = np.arange(len(acct)) - first
    sess_first = np.repeat(np.cumsum(n_sess) - n_sess, counts)
    sess = sess_first + (k * np.repeat(n_sess, counts)) // np.repeat(counts, counts)
    gap = rng.exponential(4 * _MINUTE, len(acct)).astype(np.int64)
    ts = np.minimum(sess_ts[sess] + gap, hi - 1)
    return Diurnal(acct.astype(np.int64), ts)


def eval_day(w: World, day: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Benchmark runs on ``day``: (account, timestamp, index into ``w.bench_prompts``)."""
    accts, tss, probs = [], [], []
    for bot in w.bots:
        k = np.arange(bot["size"])
        for hour in bot["run_hours"]:
            start = day * DAY_MS + hour * HOUR_MS + bot["run_minute"] * _MINUTE
            tss.append(start + k * bot["cadence_ms"] + rng.integers(0, 250, len(k)))
            accts.append(np.full(len(k), bot["account"]))
            probs.append(bot["off"] + k)
    if not accts:
        z = np.zeros(0, np.int64)
        return z, z, z
    ts = np.concatenate(tss)
    keep = ts < (day + 1) * DAY_MS
    return np.concatenate(accts)[keep], ts[keep], np.concatenate(probs)[keep]


def _batch_times(c: CampaignInfo, day: int, rng: np.random.Generator) -> np.ndarray:
    out = []
    for a, b in c.shifts:
        start = (a - c.tz) * HOUR_MS
        t = np.arange(start, (b - c.tz) * HOUR_MS, c.interval_ms, dtype=np.int64)
        t = t + rng.integers(0, max(1, c.interval_ms // 3), len(t))
        out.append(t % DAY_MS)
    return day * DAY_MS + np.sort(np.concatenate(out))


def campaign_day(w: World, day: int, rng: np.random.Generator) -> CampaignDay:
    """Dispatcher-driven campaign requests of every campaign on ``day``."""
    lo, hi = day * DAY_MS, (day + 1) * DAY_MS
    parts = []
    for c in w.campaigns:
        if hi <= c.start_ms:
            continue
        m = c.members
        m = m[(w.start_ms[m] < hi) & (w.end_ms[m] > lo)]
        m = m[rng.random(len(m)) < 0.92]
        if not len(m):
            continue
        counts = rng.poisson(w.c_rate[m])
        acct = np.repeat(m, counts)
        batches = _batch_times(c, day, rng)
        n_tpl = len(c.pools.body_start)
        batch_tpl = rng.integers(0, n_tpl, len(batches))
        b = rng.integers(0, len(batches), len(acct))
        jitter = rng.normal(0, c.jitter_ms, len(acct))
        if c.archetype == "hydra":
            jitter = np.abs(jitter)
        ts = batches[b] + jitter.astype(np.int64)
        ts = np.where(ts < lo, ts + DAY_MS, np.where(ts >= hi, ts - DAY_MS, ts))
        tpl = np.where(rng.random(len(acct)) < c.p_batch, batch_tpl[b], rng.integers(0, n_tpl, len(acct)))
        camo = rng.random(len(acct)) < c.p_camo
        camo[np.isin(acct, c.mixed)] = False
        keep = (ts >= np.maximum(w.start_ms[acct], c.start_ms)) & (ts < w.end_ms[acct])
        parts.append((acct[keep], ts[keep], np.full(int(keep.sum()), c.index), tpl[keep], camo[keep]))
    if not parts:
        z = np.zeros(0, np.int64)
        return CampaignDay(z, z, z, z, np.zeros(0, bool))
    cols = [np.concatenate(x) for x in zip(*parts)]
    return CampaignDay(cols[0].astype(np.int64), cols[1].astype(np.int64), cols[2], cols[3], cols[4])
