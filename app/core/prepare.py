"""Turn one canonical batch into ready-to-store columns, without touching the database.

This is the CPU half of an import: validate rows (account present, timestamp parseable,
numbers numeric) and say why the bad ones are bad, parse timestamps, clean dimension strings,
deduplicate prompts within the batch and compute their content facts. It is pure (no SQL, no
shared state), so the importer runs it in a producer thread while the writer thread stores the
previous batch; most of the work happens in Arrow/numpy kernels that release the GIL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import content
from .canonical import INTEGER_FIELDS
from .dimensions import clean_strings
from .known_keys import KnownKeys, SeenFilter
from .timeparse import parse_timestamps

__all__ = ["Prepared", "SeenPrompts", "prepare", "raw_rows_of", "parse_integers", "clean_text",
           "RAW_LIMIT"]

RAW_LIMIT = 4096
_STATUS_WORDS = {"success": 200, "ok": 200, "true": 200, "failure": 500, "error": 500,
                 "failed": 500, "false": 500}
DIMENSION_FIELDS = ("org", "api_key", "ip", "user_agent", "model")
#: integers stored must fit SQLite's 64-bit INTEGER; beyond this a value is junk, not a number
_INT64_LIMIT = 2 ** 63 - 1024

#: raw_rows(positions) -> the raw text of those rows of the batch, for rejected-row evidence
RawRows = Callable[[list[int]], list[str]]


@dataclass
class Prepared:
    """A batch ready for :class:`app.core.ingest.CaseWriter`."""

    n: int = 0
    rejects: list[tuple[int, str, str]] = field(default_factory=list)
    skipped: int = 0
    ts: np.ndarray | None = None
    strings: dict[str, pa.Array] = field(default_factory=dict)  # account + dimension fields, cleaned
    ints: dict[str, pa.Array] = field(default_factory=dict)
    request_id: pa.Array | None = None
    response_len: pa.Array | None = None
    prompt_len: pa.Array | None = None
    # distinct prompts of the batch and, per event, the index of its prompt (null = no prompt)
    prompt_index: pa.Array | None = None
    prompt_ids: np.ndarray | None = None
    #: positions (into ``prompt_ids``) of the prompts to stage: those this import has not
    #: staged in an earlier batch (all of them when no :class:`SeenPrompts` is used)
    stage: np.ndarray | None = None
    #: per staged prompt, True when it is certainly not staged before by this import (it can
    #: go straight into ``prompts``); None when no :class:`SeenPrompts` is used
    stage_sure: np.ndarray | None = None
    #: staging ordinal of each staged prompt (-1: not remembered, the memory was full)
    stage_ordinals: np.ndarray | None = None
    #: positions (into ``prompt_ids``) of the prompts staged earlier, and their ordinals
    known: np.ndarray | None = None
    known_ordinals: np.ndarray | None = None
    # the staged prompts: capped text, full length, content facts (all aligned with ``stage``)
    prompt_text: pa.Array | None = None
    prompt_length: np.ndarray | None = None
    facts: content.PromptFacts | None = None
    #: set instead of ``facts`` when the analysis runs elsewhere (a worker process)
    facts_future: Future | None = None
    rules: content.ContentRules | None = None

    def prompt_facts(self) -> content.PromptFacts | None:
        """The content facts of the staged prompts, waiting for the worker if needed.

        If the worker died (for instance a script without a ``__main__`` guard, which a
        spawned worker re-imports), the batch is analysed here instead: slower, same result.
        """
        if self.facts is None and self.facts_future is not None:
            try:
                self.facts = self.facts_future.result()
            except BrokenProcessPool:
                self.facts = content.analyze_prompts(self.prompt_text, self.rules)
            self.facts_future = None
        return self.facts


class SeenPrompts:
    """The prompts one import has staged so far, each with its staging ordinal.

    The importer's producer passes one to every :func:`prepare` call of an import, in file
    order. A prompt already staged by an earlier batch is neither analysed nor staged again;
    the writer finds its facts by ordinal in its :class:`app.core.known_keys.FactsLog`. No
    lookup waits for an analysis, so several batches can be analysed at once. Once the exact
    memory is full, a repeat of a prompt it could not keep is analysed again, and a
    :class:`app.core.known_keys.SeenFilter` over every staged id says whether the writer may
    store it at once (certainly new) or must set it aside as a maybe-repeat (``stage_sure``).
    ``expected_rows`` sizes that filter.
    """

    def __init__(self, limit: int | None = None, expected_rows: int = 0, seen: SeenFilter | None = None):
        payload = {"ordinal": np.int64}
        self.keys = KnownKeys(payload) if limit is None else KnownKeys(payload, limit)
        self.next_ordinal = 0
        #: every id staged so far, for the time after ``keys`` is full
        self.seen = seen if seen is not None else SeenFilter.for_items(expected_rows)

    def lookup(self, out: Prepared) -> None:
        """Fill ``out.stage`` (with ``out.stage_sure``) and ``out.known`` (with ordinals);
        remember the staged prompts."""
        found, pos = self.keys.find(out.prompt_ids)
        out.stage = np.flatnonzero(~found)
        staged_ids = out.prompt_ids[out.stage]
        out.stage_sure = self.seen.admit(staged_ids, exact=self.keys.complete)
        out.known = np.flatnonzero(found)
        out.known_ordinals = self.keys.columns["ordinal"][pos[found]]
        fits = min(max(self.keys.limit - len(self.keys), 0), len(out.stage))
        ordinals = np.full(len(out.stage), -1, np.int64)
        ordinals[:fits] = np.arange(self.next_ordinal, self.next_ordinal + fits)
        self.next_ordinal += fits
        self.keys.add(staged_ids, ordinal=ordinals)
        out.stage_ordinals = ordinals


def clean_text(arr) -> pa.Array:
    """Prompt/response text: kept as written, but empty strings are missing."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.string())
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)


def parse_integers(arr, name: str) -> tuple[pa.Array, np.ndarray]:
    """Column -> (int64 array with nulls, bad mask). Blank is null; junk is bad."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    n = len(arr)
    if pa.types.is_integer(arr.type) or pa.types.is_boolean(arr.type):
        return pc.cast(arr, pa.int64()), np.zeros(n, dtype=bool)
    if pa.types.is_floating(arr.type):  # NaN, infinities and values beyond int64 are junk
        arr = pc.cast(arr, pa.float64())
        fits = pc.and_(pc.is_finite(arr), pc.less(pc.abs(arr), float(_INT64_LIMIT)))
        bad = pc.fill_null(pc.invert(fits), False).to_numpy(zero_copy_only=False)
        kept = pc.if_else(pa.array(bad), pa.scalar(None, arr.type), arr)
        return pc.cast(pc.round(kept), pa.int64(), safe=False), bad
    s = clean_strings(arr)
    try:
        return pc.cast(s, pa.int64()), np.zeros(n, dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    out: list[int | None] = [None] * n
    bad = np.zeros(n, dtype=bool)
    for i, v in enumerate(s.to_pylist()):
        if v is None:
            continue
        try:
            value = int(round(float(v)))
            if not -_INT64_LIMIT < value < _INT64_LIMIT:
                raise OverflowError(v)
            out[i] = value
        except (ValueError, OverflowError):
            word = _STATUS_WORDS.get(v.lower()) if name == "status" else None
            if word is None:
                bad[i] = True
            else:
                out[i] = word
    return pa.array(out, type=pa.int64()), bad


def raw_rows_of(table: pa.Table) -> RawRows:
    """Rejected-row evidence from a table's own columns, as JSON text."""
    def raw(rows: list[int]) -> list[str]:
        picked = table.take(pa.array(rows, type=pa.int64())).to_pylist()
        return [json.dumps(r, default=str, ensure_ascii=False) for r in picked]
    return raw


def _validate(canon: pa.Table, numbers: np.ndarray, raw_rows: RawRows | None, out: Prepared
              ) -> tuple[np.ndarray, np.ndarray, pa.Array, dict[str, pa.Array]]:
    n = canon.num_rows
    reason = np.full(n, None, dtype=object)
    account = clean_strings(canon.column("account"))
    reason[~pc.is_valid(account).to_numpy(zero_copy_only=False)] = "missing account"
    ts, ok = parse_timestamps(canon.column("timestamp"))
    if not ok.all():
        bad_idx = np.flatnonzero(~ok)
        raw_ts = canon.column("timestamp").take(pa.array(bad_idx)).to_pylist()
        for i, v in zip(bad_idx, raw_ts):
            if reason[i] is None:
                reason[i] = "missing timestamp" if v in (None, "") else f"unparseable timestamp {str(v)[:60]!r}"
    ints: dict[str, pa.Array] = {}
    for name in INTEGER_FIELDS:
        if name in canon.column_names:
            values, bad = parse_integers(canon.column(name), name)
            if bad.any():
                bad_idx = np.flatnonzero(bad)
                raw_vals = canon.column(name).take(pa.array(bad_idx)).to_pylist()
                for i, v in zip(bad_idx, raw_vals):
                    if reason[i] is None:
                        reason[i] = f"{name} is not a number: {str(v)[:60]!r}"
            ints[name] = values
    keep = np.equal(reason, None)
    bad_rows = np.flatnonzero(~keep).tolist()
    if bad_rows:
        texts = (raw_rows or raw_rows_of(canon))(bad_rows)
        out.rejects.extend((int(numbers[i]), reason[i], t[:RAW_LIMIT]) for i, t in zip(bad_rows, texts))
    return keep, ts, account, ints


def prepare(canon: pa.Table, numbers: np.ndarray, raw_rows: RawRows | None, prompt_cap: int,
            rules: content.ContentRules, enrich: bool = False,
            submit: Callable[[pa.Array], Future] | None = None,
            seen: SeenPrompts | None = None) -> Prepared:
    """Validate and compute everything a batch needs before it is stored.

    ``submit``, if given, runs the content analysis of the batch's distinct prompts elsewhere
    (the importer passes a one-process pool for large files, so the regex work of the content
    rules uses the second core while this process writes). ``seen``, if given, is the
    import's memory of prompts staged by earlier batches (pass the same one, in file order):
    those are neither analysed nor staged again.
    """
    out = Prepared()
    if canon.num_rows == 0:
        return out
    if enrich:
        return _prepare_enrich(canon, numbers, raw_rows, out)
    keep, ts, account, ints = _validate(canon, numbers, raw_rows, out)
    if not keep.all():
        mask = pa.array(keep)
        canon, ts, account = canon.filter(mask), ts[keep], pc.filter(account, mask)
        ints = {k: pc.filter(v, mask) for k, v in ints.items()}
    n = out.n = canon.num_rows
    if n == 0:
        return out
    out.ts, out.ints = ts, ints
    out.strings["account"] = account
    for name in DIMENSION_FIELDS:
        if name in canon.column_names:
            out.strings[name] = clean_strings(canon.column(name))
    if "request_id" in canon.column_names:
        out.request_id = clean_strings(canon.column("request_id"))
    if "response" in canon.column_names:
        out.response_len = pc.cast(pc.utf8_length(clean_text(canon.column("response"))), pa.int64())
    if "prompt" in canon.column_names:
        _prompts(clean_text(canon.column("prompt")), prompt_cap, rules, out, submit, seen)
    return out


def _prompts(prompt: pa.Array, cap: int, rules: content.ContentRules, out: Prepared,
             submit: Callable[[pa.Array], Future] | None, seen: SeenPrompts | None) -> None:
    out.prompt_len = pc.cast(pc.utf8_length(prompt), pa.int64())
    encoded = pc.dictionary_encode(prompt)  # distinct prompts and each event's index: one hash pass
    uniq = encoded.dictionary
    if len(uniq) == 0:
        return
    out.prompt_ids = content.hash64(uniq)
    out.prompt_index = encoded.indices
    if seen is not None:
        seen.lookup(out)
        staged = uniq if len(out.stage) == len(uniq) else uniq.take(pa.array(out.stage))
    else:
        out.stage, staged = np.arange(len(uniq)), uniq
    longest = pc.max(pc.binary_length(staged)).as_py() or 0  # bytes >= characters
    out.prompt_text = staged if longest <= cap else pc.utf8_slice_codeunits(staged, 0, cap)
    out.prompt_length = pc.utf8_length(staged).to_numpy(zero_copy_only=False)
    if submit is not None and len(staged):
        out.facts_future, out.rules = submit(out.prompt_text), rules
    else:
        out.facts = content.analyze_prompts(out.prompt_text, rules)


def _prepare_enrich(canon: pa.Table, numbers: np.ndarray, raw_rows: RawRows | None, out: Prepared) -> Prepared:
    n = canon.num_rows
    rid = (clean_strings(canon.column("request_id")) if "request_id" in canon.column_names
           else pa.nulls(n, pa.string()))
    valid = pc.is_valid(rid).to_numpy(zero_copy_only=False)
    bad = np.flatnonzero(~valid).tolist()
    if bad:
        texts = (raw_rows or raw_rows_of(canon))(bad)
        out.rejects.extend((int(numbers[i]), "missing request_id (needed to enrich)", t[:RAW_LIMIT])
                           for i, t in zip(bad, texts))
    mask = pa.array(valid)
    canon = canon.filter(mask)
    out.n = canon.num_rows
    out.request_id = pc.filter(rid, mask)
    for name in ("ip", "user_agent"):
        if name in canon.column_names:
            out.strings[name] = clean_strings(canon.column(name))
    return out
