"""Cluster synchrony: do members act in the same minutes more often than their habits explain?

Pairwise lockstep needs shared objects; a campaign that words every prompt differently still
fires its accounts together (a dispatcher hands out work in batches). CopyCatch's idea at the
cluster level: count the pairs of distinct members active in the same one-minute bucket, then
count them again after moving each member's whole timeline by a random number of whole weeks
(which keeps every member's hours of the day and days of the week, so office hours and shift
work are part of the null). The ratio observed / shifted is about 1 for people who merely keep
similar hours, and well above 1 for accounts driven by one scheduler.
"""

from __future__ import annotations

import numpy as np

__all__ = ["synchrony_ratio"]

_WEEK = 7 * 86400


def _copresent_pairs(cluster: np.ndarray, bucket: np.ndarray, account: np.ndarray,
                     k: int) -> np.ndarray:
    """Per cluster: sum over buckets of d * (d - 1), d = distinct members in the bucket."""
    b_bits = max(1, int(bucket.max()).bit_length())
    a_bits = max(1, int(account.max()).bit_length())
    key = np.unique((((cluster << b_bits) | bucket) << a_bits) | account)
    group = key >> a_bits
    start = np.r_[0, np.flatnonzero(group[1:] != group[:-1]) + 1]
    d = np.diff(np.r_[start, group.size]).astype(np.float64)
    return np.bincount(group[start] >> b_bits, weights=d * (d - 1), minlength=k)


def synchrony_ratio(cl: np.ndarray, account: np.ndarray, ts: np.ndarray, k: int,
                    candidates: np.ndarray, bucket_s: int = 60, max_events: int = 4_000_000,
                    seed: int = 0) -> np.ndarray:
    """Observed / week-shifted co-presence ratio per cluster (0 where not computed).

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
    max_events : int
        Larger inputs are thinned by a fixed random sample (both counts scale alike).
    """
    out = np.zeros(k)
    if k == 0 or not candidates.any():
        return out
    ev_cl = cl[account]
    sel = np.flatnonzero((ev_cl >= 0) & candidates[np.maximum(ev_cl, 0)])
    if sel.size < 2:
        return out
    rng = np.random.default_rng(seed)
    if sel.size > max_events:
        sel = np.sort(rng.choice(sel, max_events, replace=False))
    acc = account[sel].astype(np.int64)
    c = ev_cl[sel].astype(np.int64)
    t = ts[sel] - ts[sel].min()
    observed = _copresent_pairs(c, t // bucket_s, acc, k)
    # whole weeks keep weekdays too; under four weeks there are too few to draw from: days
    unit = _WEEK if int(t.max()) >= 4 * _WEEK else 86400
    span = (int(t.max()) // unit + 1) * unit
    units = span // unit
    shift = rng.integers(1, max(2, units), size=int(acc.max()) + 1) * unit
    shifted = (t + shift[acc]) % span
    null = _copresent_pairs(c, shifted // bucket_s, acc, k)
    ok = candidates & (null > 0)
    out[ok] = observed[ok] / null[ok]
    out[candidates & (null == 0) & (observed > 0)] = 10.0
    return out
