"""Per-account features: volume, timing, infrastructure, content and model targeting.

These are the columns an analyst sorts and filters by, the inputs of the IsolationForest
baseline and the raw material of cluster signals. All are computed with numpy group-bys
(``bincount`` over the dense account index) on the columns fetched once in
:mod:`.columns`, which are sorted by (account, time), so consecutive-event quantities such as
inter-arrival gaps are plain array differences.
"""

from __future__ import annotations

import numpy as np

from .columns import EventColumns
from .pairs import Pairs

__all__ = ["compute_features", "newest_model", "RAMP_WINDOW_S"]

RAMP_WINDOW_S = 14 * 86400  # compare the two weeks after a release with the two weeks before


def _safe_div(num: np.ndarray, den: np.ndarray, fill: float = 0.0) -> np.ndarray:
    out = np.full(np.broadcast(num, den).shape, fill, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _entropy(counts: np.ndarray) -> np.ndarray:
    """Shannon entropy (nats) of each row of a count matrix."""
    total = counts.sum(axis=1, keepdims=True)
    p = _safe_div(counts, np.broadcast_to(total, counts.shape))
    logs = np.zeros_like(p)
    np.log(p, out=logs, where=p > 0)
    return -(p * logs).sum(axis=1)


def _sharers(pairs: Pairs, n_accounts: int) -> np.ndarray:
    """Mean number of *other* accounts on each of an account's values."""
    others = (pairs.pair_degree() - 1).astype(np.float64)
    total = np.bincount(pairs.account, weights=others, minlength=n_accounts)
    count = np.bincount(pairs.account, minlength=n_accounts)
    return _safe_div(total, count)


def newest_model(cols: EventColumns) -> int:
    """The model id whose first event is the latest (0 when no event names a model)."""
    has = cols.model != 0
    if not has.any():
        return 0
    models = cols.model[has]
    ts = cols.ts[has]
    first = np.full(int(models.max()) + 1, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, models, ts)
    first[first == np.iinfo(np.int64).max] = -1
    return int(np.argmax(first))


def compute_features(cols: EventColumns, family: np.ndarray, pairs: dict[str, Pairs],
                     shift_hours: int = 8, release_ts: int | None = None) -> dict[str, np.ndarray]:
    """Compute every per-account feature.

    Parameters
    ----------
    cols : EventColumns
    family : numpy.ndarray
        Template family per event (0 = no prompt).
    pairs : dict
        :class:`Pairs` for "ip", "prefix", "ua" and "family".
    shift_hours : int
        Width of the "busiest shift" window.
    release_ts : int, optional
        Release date (UTC epoch seconds) for the post-release ramp; the newest model's first
        event when omitted.

    Returns
    -------
    dict
        Feature name -> array over dense accounts, names as in
        :data:`app.core.schema_analysis.FEATURE_COLUMNS`.
    """
    n = cols.n_accounts
    acc = cols.account
    ts = cols.ts
    f: dict[str, np.ndarray] = {}
    events = np.bincount(acc, minlength=n).astype(np.int64)
    f["events"] = events
    # per-event temporaries are int32/bool and freed as soon as used: at 29M events every int64
    # copy is 232 MB, and this function used to hold 2.2 GB of them at once
    base = int(ts.min()) // 86400 * 86400 if ts.size else 0  # midnight UTC: hours and days align
    hour = ts - base
    hour //= 3600
    hour = hour.astype(np.int32)
    boundary = np.ones(acc.size, dtype=bool)
    boundary[1:] = acc[1:] != acc[:-1]
    new = boundary.copy()
    new[1:] |= hour[1:] != hour[:-1]
    f["active_hours"] = np.bincount(acc[new], minlength=n)
    day = ts - base
    day //= 86400
    day = day.astype(np.int32)
    new = boundary.copy()
    new[1:] |= day[1:] != day[:-1]
    del day
    f["active_days"] = np.bincount(acc[new], minlength=n)
    del new
    f["events_per_active_hour"] = _safe_div(events, f["active_hours"])
    tin = cols.tokens_in
    tout = cols.tokens_out
    f["input_tokens"] = tin.astype(np.int64)
    f["output_tokens"] = tout.astype(np.int64)
    f["output_input_ratio"] = _safe_div(tout, tin)

    slot = ((ts // 3600) % 24).astype(np.int32)  # hour of day (UTC)
    del hour
    slot += acc * np.int32(24)
    hod = np.bincount(slot, minlength=n * 24).reshape(n, 24)
    del slot
    f["hour_entropy"] = _entropy(hod) / np.log(24)
    width = max(1, min(24, int(shift_hours)))
    ring = np.concatenate([hod, hod[:, : width - 1]], axis=1).cumsum(axis=1)
    windows = ring[:, width - 1:].copy()
    windows[:, 1:] -= ring[:, : -width][:, : windows.shape[1] - 1]
    f["busiest_shift_share"] = _safe_div(windows.max(axis=1), events)

    # gaps between an account's consecutive events: their count and sum follow from the
    # account's first and last event; only the squares need the per-event array (in place)
    starts = np.flatnonzero(boundary)
    ends = np.append(starts[1:], acc.size) - 1
    gn = np.zeros(n)
    gs = np.zeros(n)
    gn[acc[starts]] = ends - starts
    gs[acc[starts]] = ts[ends] - ts[starts]
    gaps = np.diff(ts).astype(np.float64)
    gaps[boundary[1:]] = 0.0
    gaps *= gaps
    gq = np.bincount(acc[1:], weights=gaps, minlength=n)
    del gaps
    mean = _safe_div(gs, gn)
    var = np.maximum(_safe_div(gq, gn) - mean * mean, 0.0)
    f["gap_cv"] = _safe_div(np.sqrt(var), mean)

    first = np.zeros(n, dtype=np.int64)
    last = np.zeros(n, dtype=np.int64)
    first[acc[starts]] = ts[starts]
    last[acc[ends]] = ts[ends]
    f["first_seen"] = first * 1000
    f["last_seen"] = last * 1000
    f["age_days"] = (first - (ts.min() if ts.size else 0)) / 86400.0

    for name, short in (("ip", "ips"), ("prefix", "prefixes"), ("ua", "uas")):
        f[f"distinct_{short}"] = np.bincount(pairs[name].account, minlength=n)
        f[f"{name}_sharers"] = _sharers(pairs[name], n)

    slot = acc * np.int32(6)
    slot += cols.cap
    caps = np.bincount(slot, minlength=n * 6).reshape(n, 6)
    del slot
    for i, name in enumerate(("other", "coding", "math", "reasoning", "agentic", "creative")):
        f[f"cap_{name}"] = _safe_div(caps[:, i], events)
    f["cot_rate"] = _safe_div(np.bincount(acc, weights=cols.cot, minlength=n), events)

    fp = pairs["family"]
    f["templates"] = np.bincount(fp.account, minlength=n)
    p = fp.events / np.maximum(events[fp.account], 1)
    ent = np.bincount(fp.account, weights=-p * np.log(p), minlength=n)
    f["template_entropy"] = _safe_div(ent, np.log(np.maximum(events, 1)))
    prompted = np.bincount(fp.account, weights=fp.events, minlength=n)
    shared = np.bincount(fp.account, weights=fp.events * (fp.pair_degree() >= 2), minlength=n)
    f["shared_template_share"] = _safe_div(shared, prompted)

    newest = newest_model(cols)
    if newest:
        f["newest_model_share"] = _safe_div(
            np.bincount(acc, weights=cols.model == newest, minlength=n), events)
        if release_ts is None:
            release_ts = int(ts[cols.model == newest].min())
    else:
        f["newest_model_share"] = np.zeros(n)
    if release_ts is not None:
        after = (ts >= release_ts) & (ts < release_ts + RAMP_WINDOW_S)
        before = (ts < release_ts) & (ts >= release_ts - RAMP_WINDOW_S)
        na = np.bincount(acc, weights=after, minlength=n)
        nb = np.bincount(acc, weights=before, minlength=n)
        f["post_release_ramp"] = _safe_div(na, na + nb, fill=0.5)
    else:
        f["post_release_ramp"] = np.full(n, 0.5)
    return f
