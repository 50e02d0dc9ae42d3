"""Cluster synchrony: do members act in the same minutes more often than their habits explain?

Pairwise lockstep needs shared objects; a campaign that words every prompt differently still
fires its accounts together (a dispatcher hands out work in batches). CopyCatch's idea at the
cluster level: count the pairs of distinct members active in the same short bucket, then count
them again after moving each member's whole timeline by a random amount that keeps its habits:
whole weeks when the data spans at least four weeks (hours of the day and days of the week
stay). Shorter data has too few weeks, so two shifts are tried and the larger count is the
null: whole days (exact times of day stay: jobs that all fire at midnight are a habit) and up
to ``jitter_s`` either way (the same days stay: whole-day shifts alone would move weekday
habits onto weekends and make any office or campus look synchronised). The ratio observed /
shifted is about 1 for people who merely keep similar hours, and well above 1 for accounts
driven by one scheduler.

With a ``key`` per event (a template), pairs count only when both members send the same key in
the bucket: lockstep measured against the same null, so that members who use the same few
templates all day (a lab's shared problem set) do not look dispatched.
"""

from __future__ import annotations

import numpy as np

__all__ = ["synchrony_ratio", "copresence"]

_WEEK = 7 * 86400


def _copresent_pairs(cluster: np.ndarray, bucket: np.ndarray, account: np.ndarray,
                     k: int) -> np.ndarray:
    """Per cluster: sum over buckets of d * (d - 1), d = distinct members in the bucket.

    Sorted with ``lexsort`` rather than packed into one int64 key: at full scale a template key
    times the bucket count, plus cluster and account bits, passed 63 bits and wrapped around.
    """
    order = np.lexsort((account, bucket, cluster))
    c, b, a = cluster[order], bucket[order], account[order]
    new = np.r_[True, (c[1:] != c[:-1]) | (b[1:] != b[:-1]) | (a[1:] != a[:-1])]
    c, b = c[new], b[new]
    start = np.flatnonzero(np.r_[True, (c[1:] != c[:-1]) | (b[1:] != b[:-1])])
    d = np.diff(np.r_[start, c.size]).astype(np.float64)
    return np.bincount(c[start], weights=d * (d - 1), minlength=k)


def copresence(cl: np.ndarray, account: np.ndarray, ts: np.ndarray, k: int,
               candidates: np.ndarray, bucket_s: int = 60, key: np.ndarray | None = None,
               jitter_s: int = 3600, max_events: int = 4_000_000, seed: int = 0
               ) -> tuple[np.ndarray, np.ndarray]:
    """Observed and habit-preserving shifted co-presence pair counts per cluster.

    Parameters
    ----------
    cl : numpy.ndarray
        Cluster index per dense account (-1 for none).
    account, ts : numpy.ndarray
        Per-event dense account and UTC seconds.
    k : int
        Number of clusters.
    candidates : numpy.ndarray
        bool per cluster: compute only these (the others get 0).
    bucket_s : int
        Bucket width in seconds.
    key : numpy.ndarray, optional
        Non-negative int per event; when given, co-presence needs the same key in the bucket.
    jitter_s : int
        Largest shift either way of the second null when the data spans less than four weeks.
    max_events : int
        Larger inputs are thinned by a fixed random sample (both counts scale alike).

    Returns
    -------
    (observed, shifted) : float arrays of length ``k`` (shifted: the larger of the nulls)
    """
    observed = np.zeros(k)
    null = np.zeros(k)
    if k == 0 or not candidates.any():
        return observed, null
    ev_cl = cl[account]
    sel = np.flatnonzero((ev_cl >= 0) & candidates[np.maximum(ev_cl, 0)])
    if sel.size < 2:
        return observed, null
    rng = np.random.default_rng(seed)
    if sel.size > max_events:
        sel = np.sort(rng.choice(sel, max_events, replace=False))
    acc = account[sel].astype(np.int64)
    c = ev_cl[sel].astype(np.int64)
    t = ts[sel] - ts[sel].min()
    n_acc = int(acc.max()) + 1
    if int(t.max()) >= 4 * _WEEK:  # whole weeks keep hours and weekdays
        units = [(_WEEK, (int(t.max()) // _WEEK + 1) * _WEEK)]
    else:  # whole days keep exact times of day; the jitter keeps days and weekdays
        units = [(86400, (int(t.max()) // 86400 + 1) * 86400), (0, int(t.max()) + 1)]
    span_all = max(s for _, s in units)
    buckets = span_all // bucket_s + 2
    kk = 0 if key is None else key[sel].astype(np.int64) * buckets
    observed = _copresent_pairs(c, kk + t // bucket_s, acc, k)
    for unit, span in units:
        if unit:
            shift = rng.integers(1, max(2, span // unit), size=n_acc) * unit
        else:
            shift = rng.integers(-jitter_s, jitter_s + 1, size=n_acc)
        shifted = (t + shift[acc]) % span
        null = np.maximum(null, _copresent_pairs(c, kk + shifted // bucket_s, acc, k))
    observed[~candidates] = 0.0
    null[~candidates] = 0.0
    return observed, null


def synchrony_ratio(cl: np.ndarray, account: np.ndarray, ts: np.ndarray, k: int,
                    candidates: np.ndarray, bucket_s: int = 60, key: np.ndarray | None = None,
                    prior: float = 0.0, jitter_s: int = 3600, max_events: int = 4_000_000,
                    seed: int = 0) -> np.ndarray:
    """Observed / shifted co-presence ratio per cluster (0 where not computed).

    ``prior`` pairs are added to both counts, so a handful of chance coincidences in a small
    cluster cannot make a large ratio: (observed + prior) / (shifted + prior). Without a prior,
    a cluster with co-presence but none after shifting gets 10. See :func:`copresence` for the
    other parameters.
    """
    observed, null = copresence(cl, account, ts, k, candidates, bucket_s, key, jitter_s,
                                max_events, seed)
    out = np.zeros(k)
    if prior > 0:
        ok = candidates & (observed + null > 0)
        out[ok] = (observed[ok] + prior) / (null[ok] + prior)
        return out
    ok = candidates & (null > 0)
    out[ok] = observed[ok] / null[ok]
    out[candidates & (null == 0) & (observed > 0)] = 10.0
    return out
