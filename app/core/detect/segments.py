"""Prompt segments: the sentences of masked templates, the unit campaigns share.

A campaign prompt is assembled: a wrapper ("You are an expert programmer..."), a task body
whose slots are refilled every time, and often a chain-of-thought suffix. Whole-prompt
fingerprints do not bring its variants together (measured on the simulator: the SimHash of two
prompts of one campaign differ in 29 bits at the median, like unrelated prompts), and exact
template ids split into thousands of wrapper x body x suffix combinations. The sentences of the
masked template key do repeat, exactly: the body's masked sentences belong to the campaign
and, through exclusivity, almost nobody else uses them.

Reading the text of tens of millions of distinct templates would dominate the analysis, so
segments come from a sample of each account's events (evenly spaced over its history): a
first, small sample links accounts; a second, larger one measures the campaign share of the
members of flagged clusters precisely.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from app.core.arrow_sql import query_table
from app.core.content import hash64

from .arrays import unique_sorted
from ..memory import release_freed_memory

__all__ = ["SegmentIndex", "sample_events", "SEGMENT_SPLIT", "MIN_SEGMENT_CHARS"]

#: sentence boundaries (ASCII and CJK punctuation, line breaks)
SEGMENT_SPLIT = r"[.?!:;\n。？！：；]+\s*"
#: shorter segments ("task", "ok") carry no identity
MIN_SEGMENT_CHARS = 12
_FETCH = 500_000  # template rows per scanned chunk


def sample_events(account: np.ndarray, per_account: int,
                  only: np.ndarray | None = None) -> np.ndarray:
    """Indices of up to ``per_account`` events per account, evenly spaced in time.

    Parameters
    ----------
    account : numpy.ndarray
        Dense account per event, sorted (events are grouped by account, in time order).
    per_account : int
    only : numpy.ndarray, optional
        bool per account: sample only these accounts.
    """
    if account.size == 0 or per_account <= 0:
        return np.zeros(0, dtype=np.int64)
    start = np.r_[0, np.flatnonzero(account[1:] != account[:-1]) + 1]
    count = np.diff(np.r_[start, account.size])
    if only is not None:
        keep = only[account[start]]
        start, count = start[keep], count[keep]
    take = np.minimum(count, per_account)
    owner = np.repeat(np.arange(start.size), take)
    k = np.arange(owner.size) - np.repeat(np.cumsum(take) - take, take)
    return start[owner] + (k * count[owner]) // take[owner]


@dataclass
class SegmentIndex:
    """Segment ids of known templates (CSR: ``offsets`` over dense template codes).

    A segment is known by the 64-bit hash of its text (xxh3, as prompts and templates are)
    rather than by the text: at full scale the sample holds millions of distinct sentences,
    and a dict of them cost more memory than all event columns together. Hashes get dense ids
    (1-based, in order of discovery) so that later fetches keep the ids already handed out.
    """

    known: np.ndarray  # bool per template code: segments fetched
    offsets: np.ndarray  # int64, size n_templates + 1 (valid once ``rebuild`` ran)
    segments: np.ndarray  # int64 segment ids (1-based) in template order
    _tpl: list  # pending (template code, segment hash) chunks of the current fetch
    _hash: list
    _sorted_hash: np.ndarray  # known segment hashes, sorted
    _sorted_id: np.ndarray  # their ids

    @classmethod
    def empty(cls, n_templates: int) -> "SegmentIndex":
        z = np.zeros(0, dtype=np.int64)
        return cls(np.zeros(n_templates, dtype=bool), np.zeros(n_templates + 1, dtype=np.int64),
                   z, [], [], z.copy(), z.copy())

    @property
    def n_segments(self) -> int:
        return int(self._sorted_id.size) + 1

    def lookup(self, texts: list[str]) -> np.ndarray:
        """Ids of segment texts (as split and trimmed from a template key); 0 when unknown."""
        h = hash64(pa.array(texts, pa.string()))
        if not self._sorted_hash.size:
            return np.zeros(h.size, dtype=np.int64)
        pos = np.clip(np.searchsorted(self._sorted_hash, h), 0, self._sorted_hash.size - 1)
        return np.where(self._sorted_hash[pos] == h, self._sorted_id[pos], 0)

    def fetch(self, case, template_ids: np.ndarray, codes: np.ndarray) -> None:
        """Read and split the template keys of ``codes`` not fetched yet.

        The templates table is scanned in rowid order and the wanted rows picked out in numpy:
        a sample of every account wants a good part of all templates, and one lookup per id
        through the id index cost 12 s per million at full scale, where the whole 12.6M-row
        table streams through ADBC in about 6 s.
        """
        codes = unique_sorted(codes[(codes > 0) & ~self.known[codes]])
        if not codes.size:
            return
        self.known[codes] = True
        wanted = template_ids[codes]  # sorted: template_ids[1:] is sorted, codes are too
        with case.raw() as con:
            top = con.execute("SELECT max(rowid) FROM templates").fetchone()[0] or 0
        for lo in range(0, top + 1, _FETCH):
            table = query_table(case.path, "SELECT id, key FROM templates "
                                           "WHERE rowid >= ? AND rowid < ?", (lo, lo + _FETCH))
            if not table.num_rows:
                continue
            ids = table.column(0).to_numpy()
            pos = np.clip(np.searchsorted(wanted, ids), 0, wanted.size - 1)
            hit = wanted[pos] == ids
            if hit.any():
                keys = table.column(1).filter(pa.array(hit)).combine_chunks()
                self._add(codes[pos[hit]], keys)
            del table
        self._rebuild()
        release_freed_memory()

    def _add(self, codes: np.ndarray, keys: pa.Array) -> None:
        parts = pc.split_pattern_regex(keys, pattern=SEGMENT_SPLIT)
        flat = pc.utf8_trim_whitespace(pc.list_flatten(parts))
        parent = pc.list_parent_indices(parts).to_numpy()
        long_enough = pc.greater_equal(pc.utf8_length(flat), MIN_SEGMENT_CHARS).to_numpy(
            zero_copy_only=False)
        flat = flat.filter(pa.array(long_enough))
        parent = parent[long_enough]
        if not len(flat):
            return
        enc = pc.dictionary_encode(flat)
        local = enc.indices.to_numpy(zero_copy_only=False)
        self._tpl.append(codes[parent])
        self._hash.append(hash64(enc.dictionary)[local])

    def _assign(self, hashes: np.ndarray) -> np.ndarray:
        """Dense ids of ``hashes``: known ones keep theirs, new ones are numbered on."""
        new = unique_sorted(hashes)
        if self._sorted_hash.size:
            pos = np.clip(np.searchsorted(self._sorted_hash, new), 0, self._sorted_hash.size - 1)
            new = new[self._sorted_hash[pos] != new]
        new_id = np.arange(self.n_segments, self.n_segments + new.size, dtype=np.int64)
        all_hash = np.concatenate([self._sorted_hash, new])
        all_id = np.concatenate([self._sorted_id, new_id])
        order = np.argsort(all_hash, kind="stable")
        self._sorted_hash, self._sorted_id = all_hash[order], all_id[order]
        return self._sorted_id[np.searchsorted(self._sorted_hash, hashes)]

    def _rebuild(self) -> None:
        z = np.zeros(0, dtype=np.int64)
        new_tpl = np.concatenate(self._tpl) if self._tpl else z
        new_seg = self._assign(np.concatenate(self._hash)) if self._hash else z
        self._tpl, self._hash = [], []
        # the pairs known so far, in template order, plus the new ones, deduplicated as one
        # packed key (segment ids stay far below 2**32)
        old_tpl = np.repeat(np.arange(self.known.size), np.diff(self.offsets))
        tpl = np.concatenate([old_tpl, new_tpl]).astype(np.int64)
        seg = np.concatenate([self.segments, new_seg])
        key = unique_sorted((tpl << 32) | seg)
        tpl = key >> 32
        self.segments = key & 0xFFFFFFFF
        counts = np.bincount(tpl, minlength=self.known.size)
        self.offsets = np.r_[0, np.cumsum(counts)]

    def expand(self, template: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, segment) for each segment of each given template code (rows index the input)."""
        n = self.offsets[template + 1] - self.offsets[template]
        row = np.repeat(np.arange(template.size), n)
        first = np.repeat(self.offsets[template], n)
        k = np.arange(row.size) - np.repeat(np.cumsum(n) - n, n)
        return row, self.segments[first + k]
