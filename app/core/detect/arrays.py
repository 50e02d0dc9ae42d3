"""Sort-based distinct values for the big integer arrays of detection.

Detection deduplicates tens of millions of packed int64 keys ((template, bucket, account),
(template, segment), (value, account)). numpy 2.4's plain ``np.unique(x)`` takes a hash-table
path for integer arrays, measured here at 15.9 s for 10M random int64 keys against 0.38 s for
sorting the array and masking repeats (with ``return_counts`` or ``return_inverse`` numpy sorts
and is fine). :func:`unique_sorted` gives exactly ``np.unique(x)`` through the sort.
"""

from __future__ import annotations

import numpy as np

__all__ = ["unique_sorted"]


def unique_sorted(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an array, flattened (same result as ``np.unique(x)``)."""
    s = np.sort(np.asarray(x).ravel())
    if s.size < 2:
        return s
    keep = np.empty(s.size, dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]
