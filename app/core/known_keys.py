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
longer *complete*; from then on a :class:`SeenFilter` over every staged id tells the prompts
certainly never staged (stored at once) from the maybe-repeats (set aside and checked at the
end), so the stored case is the same either way and only the saved work differs.
"""

from __future__ import annotations

import numpy as np

from .content_simhash import mix64

__all__ = ["KnownKeys", "FactsLog", "SeenFilter", "KEY_LIMIT", "FILTER_MAX_BYTES"]

#: ids kept per import (16 bytes each with an ordinal, plus 10 in the writer's FactsLog);
#: past this the memory stops growing
KEY_LIMIT = 1_000_000
#: largest :class:`SeenFilter` (bytes): 16 MB holds the 21M distinct prompts of a full-scale
#: export at a few % false positives (each only costs a row set aside, checked at the end);
#: 32 MB (<1 %) took 50 MB more of the import's 1 GB budget with the template filter
FILTER_MAX_BYTES = 16 << 20


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


_U = np.uint64


class SeenFilter:
    """Every id one import has staged, in a Bloom filter: "certainly not staged" or "maybe".

    :class:`KnownKeys` is exact but bounded; past its bound a repeat of an evicted prompt was
    staged again and the end of the import had to find and delete the copies: at full scale
    5.9M of 27M staged prompts, 96 s of dedup plus 36 s for templates. This filter holds
    *all* staged ids in a fixed number of bits. An id it has never been given always answers
    "not staged" (no false negatives), so such a prompt goes straight into ``prompts`` with no
    dedup to follow; only the "maybe" answers (true repeats, and false positives at a rate
    set by the size) are set aside and checked against ``prompts`` at the end.

    It is a *blocked* Bloom filter: the ``hashes`` bits of an id all lie in one 64-bit word,
    so adding or testing a batch is one gather or scatter per id (numpy), a few times faster
    than independent positions for a slightly higher false-positive rate (~0.5 % at 16 bits
    per id).

    Parameters
    ----------
    bits_log2 : int
        The filter holds ``2 ** bits_log2`` bits (at least 64).
    hashes : int
        Bits set per id, at most 10 (each takes 6 bits of a second hash of the id, which is
        already a 64-bit hash).
    """

    def __init__(self, bits_log2: int, hashes: int = 5):
        bits_log2 = max(int(bits_log2), 6)
        self.words = np.zeros(1 << (bits_log2 - 6), np.uint64)
        self._word_mask = _U(len(self.words) - 1)
        self.hashes = min(max(int(hashes), 1), 10)

    @classmethod
    def for_items(cls, items: int, bits_per_item: int = 16, max_bytes: int | None = None) -> "SeenFilter":
        """A filter sized for ``items`` ids (a power of two of bits, at most ``max_bytes``,
        by default :data:`FILTER_MAX_BYTES`)."""
        cap = FILTER_MAX_BYTES if max_bytes is None else max_bytes
        bits_log2 = int(max(items, 1) * bits_per_item - 1).bit_length()  # rounded up
        while bits_log2 > 16 and 1 << bits_log2 > cap * 8:
            bits_log2 -= 1
        return cls(max(bits_log2, 16))

    @property
    def nbytes(self) -> int:
        return self.words.nbytes

    def _slots(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The word of each id and the bits it sets there."""
        h = np.asarray(ids, np.int64).view(np.uint64)
        word = (h & self._word_mask).astype(np.int64)
        h2 = mix64(h.copy())
        bits = np.zeros(len(h), np.uint64)
        for j in range(self.hashes):
            bits |= _U(1) << ((h2 >> _U(6 * j)) & _U(63))
        return word, bits

    def maybe_contains(self, ids: np.ndarray) -> np.ndarray:
        """False where an id was certainly never added, True where it may have been."""
        word, bits = self._slots(ids)
        return (self.words[word] & bits) == bits

    def add(self, ids: np.ndarray) -> None:
        word, bits = self._slots(ids)
        np.bitwise_or.at(self.words, word, bits)

    def admit(self, ids: np.ndarray, exact: bool) -> np.ndarray:
        """Remember ``ids``, about to be staged, and say which are certainly new.

        ``exact`` says the caller's exact memory still holds every id staged so far, so ids it
        did not find are new for sure; otherwise this filter decides.
        """
        word, bits = self._slots(ids)  # once for the test and the add
        sure = np.ones(len(ids), bool) if exact else (self.words[word] & bits) != bits
        np.bitwise_or.at(self.words, word, bits)
        return sure
