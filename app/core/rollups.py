"""Hourly rollup sums of one import, held in memory across batches (bounded).

Each batch yields partial sums per (account, UTC hour). Staging every batch's partials in a
SQLite table and summing them with one ``GROUP BY`` at the end costs an insert per partial,
a sort and a second insert per sum. This keeps the partials in numpy instead and, at the end,
adds them up (exact int64 sums, one sort) and hands the writer one sorted set of sums. Memory
is bounded: past :data:`ROLLUP_LIMIT` partials the writer flushes them to its staging table
and the end-of-import ``GROUP BY`` adds everything up as before. (Exports are mostly in time
order, so partials of different batches rarely share a key: adding up early would not shrink
them, only cost a sort per batch.)
"""

from __future__ import annotations

import numpy as np

__all__ = ["RollupSums", "ROLLUP_LIMIT"]

#: partial sums held in memory (32 bytes each) before the writer flushes them to SQLite
ROLLUP_LIMIT = 500_000


class RollupSums:
    """Partial sums of ``events``, input and output tokens per int64 key, added up on :meth:`take`."""

    def __init__(self, limit: int = ROLLUP_LIMIT):
        self.limit = limit
        self._parts: list[tuple[np.ndarray, ...]] = []
        self._rows = 0

    def __len__(self) -> int:
        return self._rows

    def add(self, keys: np.ndarray, events: np.ndarray, input_tokens: np.ndarray,
            output_tokens: np.ndarray) -> None:
        """Add partial sums (one row per key; keys may repeat across calls)."""
        self._parts.append(tuple(np.asarray(a, np.int64) for a in (keys, events, input_tokens, output_tokens)))
        self._rows += len(keys)

    def full(self) -> bool:
        """True when more partials than the limit are held (time to flush them)."""
        return self._rows > self.limit

    def take(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The sums so far, one row per key, sorted by key; the memory is emptied."""
        self._compact()
        out = self._parts[0] if self._parts else tuple(np.empty(0, np.int64) for _ in range(4))
        self._parts, self._rows = [], 0
        return out

    def _compact(self) -> None:
        if not self._parts:
            return
        cols = [np.concatenate(c) for c in zip(*self._parts)]
        order = np.argsort(cols[0], kind="stable")
        keys = cols[0][order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.empty(0, np.intp)
        summed = [keys[starts]] + [np.add.reduceat(c[order], starts) if len(starts) else c[:0] for c in cols[1:]]
        self._parts = [tuple(summed)]
        self._rows = len(starts)
