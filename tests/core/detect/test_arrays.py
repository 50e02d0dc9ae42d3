"""unique_sorted must give exactly np.unique's answer, including the edge cases."""

import numpy as np

from app.core.detect.arrays import unique_sorted


def test_unique_sorted_matches_numpy():
    rng = np.random.default_rng(1)
    for x in (rng.integers(0, 1 << 40, 10_000), rng.integers(-5, 5, 1_000),
              np.array([], dtype=np.int64), np.array([7]), np.array([[3, 1], [3, 2]])):
        got = unique_sorted(x)
        assert got.tolist() == np.unique(x).tolist()
        assert got.dtype == np.asarray(x).dtype
