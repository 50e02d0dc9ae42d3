"""Distinct (account, value) pairs and the inverted index value -> accounts, computed once.

Every infrastructure feature, every sharing count and every link comes from the question
"which accounts used this value?". Sorting ``(value, account)`` keys once per attribute gives
both directions without a Python loop per event, and bounds all later work by the number of
distinct pairs rather than the number of events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Pairs", "distinct_pairs"]


@dataclass
class Pairs:
    """Distinct (account, value) pairs sorted by value, then account.

    ``events`` counts the events behind each pair; ``degree[value]`` is the number of distinct
    accounts that used the value (0 for unused values).
    """

    account: np.ndarray  # int32
    value: np.ndarray  # int64
    events: np.ndarray  # int64
    degree: np.ndarray  # int64, indexed by value

    def pair_degree(self) -> np.ndarray:
        """Degree of each pair's value (accounts sharing it, including this one)."""
        return self.degree[self.value]


def distinct_pairs(account: np.ndarray, value: np.ndarray, n_values: int | None = None,
                   weights: np.ndarray | None = None) -> Pairs:
    """Build :class:`Pairs` from per-event account and value arrays; value 0 means missing.

    Events arrive sorted by account and time, and most accounts keep one IP, agent, org and
    key for long stretches, so runs of identical consecutive pairs are collapsed first
    (linear) and only the runs are sorted. ``weights`` (events per row) lets pairs be built
    from other pairs, e.g. (account, /24) from (account, IP).
    """
    keep = value != 0
    key = value[keep].astype(np.int64)
    key <<= 32
    key |= account[keep]
    if key.size:
        start = np.flatnonzero(key[1:] != key[:-1])
        start += 1
        start = np.r_[0, start]
        if weights is None:
            w = np.diff(np.r_[start, key.size])
        else:
            w = np.add.reduceat(weights[keep].astype(np.int64), start)
        key = key[start]
        del start
    else:
        w = np.zeros(0, dtype=np.int64)
    keys, inv = np.unique(key, return_inverse=True)
    del key
    counts = np.bincount(inv, weights=w, minlength=keys.size).astype(np.int64)
    pv = keys >> 32
    pa = (keys & 0xFFFFFFFF).astype(np.int32)
    size = int(n_values if n_values is not None else (int(value.max()) + 1 if value.size else 1))
    degree = np.bincount(pv, minlength=size).astype(np.int64)
    return Pairs(account=pa, value=pv, events=counts, degree=degree)
