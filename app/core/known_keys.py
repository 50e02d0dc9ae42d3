"""What one import has already staged: 64-bit prompt/template hashes, with facts, in sorted arrays.

Prompts repeat across the batches of an export (on a 1M-row simulator export, ~12 % of the
prompts that are distinct within their batch were already seen in an earlier batch). Without
a memory of them, each repeat is analysed again by the content rules, staged again into
``prompts``/``templates`` and then deleted by the end-of-import deduplication. This keeps the
ids staged so far as sorted numpy arrays (16 bytes per prompt with its staging ordinal),
looked up with one ``searchsorted`` per batch, instead of tens of bytes per Python set entry.
The facts a repeated prompt's events need (template id, class, CoT flag) are kept by ordinal
in a :class:`FactsLog` on the writer's side: the reader assigns ordinals without waiting for
the content analysis, so batches can be analysed while earlier ones are still in flight.

The memory is bounded (:data:`KEY_LIMIT` ids). Once full it stops growing and says it is no
longer *complete*; the writer then runs the end-of-import deduplication as before, so the
stored case is the same either way and only the saved work differs.
"""

from __future__ import annotations

import numpy as np

__all__ = ["KnownKeys", "FactsLog", "KEY_LIMIT"]

#: ids kept per import (16 bytes each with an ordinal, plus 10 in the writer's FactsLog);
#: past this the memory stops growing
KEY_LIMIT = 1_000_000


class KnownKeys:
    """Sorted int64 ids, each with optional payload columns (one numpy array per column).

    Parameters
    ----------
    payload : dict of str to numpy dtype
        Columns stored beside each id, e.g. ``{"template_id": np.int64}``.
    limit : int
        Most ids kept. Adding past it keeps what fits and marks the memory incomplete.
    """

    def __init__(self, payload: dict[str, type] | None = None, limit: int = KEY_LIMIT):
        self.limit = limit
        self.ids = np.empty(0, np.int64)
        self.columns = {name: np.empty(0, dtype) for name, dtype in (payload or {}).items()}
        #: True while every id ever offered to :meth:`add` is held
        self.complete = True

    def __len__(self) -> int:
        return len(self.ids)

    def find(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(found, position)``: which ``ids`` are held and where (position valid where found)."""
        ids = np.asarray(ids, np.int64)
        if len(self.ids) == 0:
            return np.zeros(len(ids), bool), np.zeros(len(ids), np.int64)
        pos = np.searchsorted(self.ids, ids)
        pos = np.minimum(pos, len(self.ids) - 1)
        return self.ids[pos] == ids, pos

    def add(self, ids: np.ndarray, **payload: np.ndarray) -> None:
        """Remember ``ids`` (distinct, none held yet) with their payload values."""
        ids = np.asarray(ids, np.int64)
        room = self.limit - len(self.ids)
        if len(ids) > room:
            self.complete = False
            ids = ids[:max(room, 0)]
        if len(ids) == 0:
            return
        order = np.argsort(ids, kind="stable")
        new = ids[order]
        where = np.searchsorted(self.ids, new)
        self.ids = np.insert(self.ids, where, new)
        for name, col in self.columns.items():
            values = np.asarray(payload[name])[: len(order)][order].astype(col.dtype, copy=False)
            self.columns[name] = np.insert(col, where, values)


class FactsLog:
    """Template id, class and CoT flag of each staged prompt, by staging ordinal (~10 bytes each).

    Written by the writer as batches are stored (in file order), read for the prompts a later
    batch found in :class:`KnownKeys`.
    """

    def __init__(self):
        self.template_id = np.zeros(0, np.int64)
        self.capability = np.zeros(0, np.int8)
        self.cot = np.zeros(0, bool)

    def put(self, ordinals: np.ndarray, template_id: np.ndarray, capability: np.ndarray,
            cot: np.ndarray) -> None:
        """Record the facts of prompts ``ordinals`` (negative ordinals are not recorded)."""
        keep = ordinals >= 0
        if not keep.any():
            return
        ordinals = ordinals[keep]
        top = int(ordinals.max()) + 1
        if top > len(self.template_id):
            size = max(top, 2 * len(self.template_id))
            for name in ("template_id", "capability", "cot"):
                old = getattr(self, name)
                grown = np.zeros(size, old.dtype)
                grown[: len(old)] = old
                setattr(self, name, grown)
        self.template_id[ordinals] = template_id[keep]
        self.capability[ordinals] = capability[keep]
        self.cot[ordinals] = cot[keep]
