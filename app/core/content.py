"""Per-prompt content facts computed during import: template key, SimHash, CoT flag, capability.

Distillation campaigns send the same prompt template with different slot fills, ask the model
to spell out its reasoning, and aim at particular capabilities. The importer turns every distinct
prompt into four small facts that the detectors can count per account and per cluster:

* a **template key**: the prompt with code, quotes, URLs, e-mails, names/identifiers and numbers
  masked, white space collapsed and lower-cased (``template_id`` is its 64-bit hash);
* a **SimHash** of that key, so template variants that differ by a word land a few bits apart;
* a **chain-of-thought elicitation** flag;
* a **capability class** (:data:`CAPABILITIES`).

All the rules are data in ``resources/rules/content_rules.json`` (see
:mod:`app.core.content_rules` and docs/content-rules.md). Speed comes from running each rule
once over the whole batch with pyarrow's RE2 kernels, and from doing everything after masking
once per distinct template: masked templates repeat heavily, so the flag, the class, the SimHash
and the id are computed for each distinct key and broadcast back to the prompts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from app.core.content_rules import CAPABILITIES, ContentRules, MaskRule, load_rules
from app.core.content_simhash import hamming64, simhash64, string_buffers

__all__ = [
    "CAPABILITIES",
    "ContentRules",
    "load_rules",
    "PromptFacts",
    "analyze_prompts",
    "hash64",
    "hamming64",
]

#: prompts masked per batch (bounds the memory of the intermediate arrays)
MASK_BATCH = 65536
#: below this share of matching rows a guarded rule rewrites only the matching rows
_GUARD_SUBSET = 0.25
#: a pattern pass filters the undecided keys into a smaller array once they are fewer than this
_SUBSET_SHARE = 0.8


@dataclass
class PromptFacts:
    """Content facts for a batch of prompts, aligned with the input.

    The template keys are held once per distinct key (``keys``) with an index per prompt
    (``key_index``), not expanded per prompt: the facts travel back from a worker process by
    pickling, and the expanded keys were the bulk of that payload.

    Attributes
    ----------
    keys:
        pyarrow string array: the distinct masked, normalised prompts (template keys).
    key_index:
        int64 (or int32) index into ``keys`` of each prompt.
    template_id:
        int64 :func:`hash64` of each prompt's template key.
    simhash:
        int64 64-bit SimHash of each prompt's template key (bit pattern of the unsigned value).
    capability:
        int8 index into :data:`CAPABILITIES`, per prompt.
    cot:
        bool, chain-of-thought elicitation, per prompt.
    """

    keys: pa.Array
    key_index: np.ndarray
    template_id: np.ndarray
    simhash: np.ndarray
    capability: np.ndarray
    cot: np.ndarray

    @property
    def template_key(self) -> pa.Array:
        """pyarrow string array: the template key of each prompt (``keys.take(key_index)``)."""
        return self.keys.take(pa.array(self.key_index))

    def __len__(self) -> int:
        return len(self.key_index)


def _as_strings(texts, what: str) -> pa.Array:
    """Check and flatten the input: a string/large_string Array (or ChunkedArray) without nulls."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks != 1 else texts.chunk(0)
    if not isinstance(texts, pa.Array):
        raise TypeError(f"{what}: expected a pyarrow Array, got {type(texts).__name__}")
    if not (pa.types.is_string(texts.type) or pa.types.is_large_string(texts.type)):
        raise TypeError(f"{what}: expected a string or large_string array, got {texts.type}")
    if texts.null_count:
        raise ValueError(f"{what}: the array holds {texts.null_count} nulls")
    return texts


def hash64(texts: pa.Array) -> np.ndarray:
    """Stable 64-bit hash of each string: xxh3_64 of its UTF-8 bytes, as signed int64.

    The same text gives the same value in every process and on every machine, and the signed
    representation fits a SQLite INTEGER.

    Parameters
    ----------
    texts:
        pyarrow string or large_string array without nulls (may be empty).

    Returns
    -------
    numpy.ndarray
        int64 array of ``len(texts)``.
    """
    texts = _as_strings(texts, "hash64")
    n = len(texts)
    if n == 0:
        return np.empty(0, np.int64)
    data, offsets = string_buffers(texts)
    view = memoryview(data)
    bounds = offsets.tolist()
    digest = xxhash.xxh3_64_intdigest
    values = np.fromiter((digest(view[a:b]) for a, b in zip(bounds, bounds[1:])), dtype=np.uint64, count=n)
    return values.view(np.int64)


def _lower(arr: pa.Array) -> pa.Array:
    data, _ = string_buffers(arr)
    if len(data) == 0 or int(data.max()) < 0x80:
        return pc.ascii_lower(arr)  # same result as utf8_lower on pure ASCII, several times faster
    return pc.utf8_lower(arr)


def _rewrite(arr: pa.Array, rule: MaskRule) -> pa.Array:
    if rule.builtin == "lower":
        return _lower(arr)
    if rule.builtin == "trim":
        return pc.utf8_trim_whitespace(arr)
    if rule.guard_regex is not None:
        hit = pc.match_substring_regex(arr, rule.guard_regex)
        hits = hit.true_count
        if hits == 0:
            return arr
        if hits < _GUARD_SUBSET * len(arr):
            changed = pc.replace_substring_regex(arr.filter(hit), rule.pattern, rule.replace)
            return pc.replace_with_mask(arr, hit, changed)
    return pc.replace_substring_regex(arr, rule.pattern, rule.replace)


def _apply_timed(arr: pa.Array, steps, stage: str, clock, tick) -> pa.Array:
    """Apply rewrite ``steps`` in order, reporting each one's time to ``tick`` if given."""
    for rule in steps:
        t0 = clock()
        arr = _rewrite(arr, rule)
        if tick:
            tick(f"{stage} {rule.name}", t0)
    return arr


def _distinct(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Distinct values and, for each row, the index of its value."""
    encoded = pc.dictionary_encode(arr)
    return encoded.dictionary, encoded.indices.to_numpy().astype(np.int64, copy=False)


def _merge(keys_parts: list[pa.Array], index_parts: list[np.ndarray]) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Merge the per-batch distinct keys: (distinct keys, key index per prompt, hash64 of each key).

    Keys are matched across batches by their 64-bit :func:`hash64` (which the template id needs
    anyway) instead of by hashing the strings again into one large table. Every key that is
    matched to an earlier one is compared with it byte for byte, and on any disagreement (a hash
    collision) the merge falls back to matching the strings, so the result is always that of
    :func:`_distinct` on the concatenated keys: same keys in the same (first-seen) order.
    """
    ids_parts = [hash64(k) for k in keys_parts]
    ids = np.concatenate(ids_parts)
    encoded = pc.dictionary_encode(pa.array(ids))
    part_to_key = encoded.indices.to_numpy().astype(np.int64, copy=False)
    rows = np.arange(len(ids))
    first = np.empty(len(encoded.dictionary), np.int64)
    first[part_to_key[::-1]] = rows[::-1]  # the last write wins: the first row of each key
    every = pa.concat_arrays(keys_parts)
    repeat = np.flatnonzero(first[part_to_key] != rows)
    if len(repeat):
        earlier = first[part_to_key[repeat]]
        same = pc.equal(every.take(pa.array(repeat)), every.take(pa.array(earlier)))
        if not pc.all(same).as_py():
            keys, part_to_key = _distinct(every)
            return keys, _spread(keys_parts, part_to_key, index_parts), hash64(keys)
    # first rows are ascending (keys are numbered in first-seen order), so a filter keeps them in order
    keep = np.zeros(len(ids), bool)
    keep[first] = True
    return every.filter(pa.array(keep)), _spread(keys_parts, part_to_key, index_parts), ids[first]


def _spread(keys_parts: list[pa.Array], part_to_key: np.ndarray, index_parts: list[np.ndarray]) -> np.ndarray:
    """Key index of every prompt from the per-batch indexes and each batch key's merged index."""
    base = np.cumsum([0] + [len(k) for k in keys_parts[:-1]])
    return np.concatenate([part_to_key[b + idx] for b, idx in zip(base, index_parts)])


def _templates(texts: pa.Array, rules: ContentRules, tick=None) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Distinct template keys of ``texts``, the key index of every prompt and the keys' hash64.

    ``tick(step_name, process_time_at_start)``, when given, is called after each step (for the
    benchmark's per-step figures).
    """
    clock = time.process_time
    keys_parts: list[pa.Array] = []
    index_parts: list[np.ndarray] = []
    for start in range(0, len(texts), MASK_BATCH):
        part = texts.slice(start, MASK_BATCH)
        if pa.types.is_large_string(part.type):
            part = part.cast(pa.string())
        part = _apply_timed(part, rules.mask, "mask", clock, tick)
        t0 = clock()
        masked, row_to_masked = _distinct(part)
        if tick:
            tick("distinct masked", t0)
        masked = _apply_timed(masked, rules.normalise, "normalise", clock, tick)
        t0 = clock()
        keys, masked_to_key = _distinct(masked)
        keys_parts.append(keys)
        index_parts.append(masked_to_key[row_to_masked])
        if tick:
            tick("distinct keys", t0)
    t0 = clock()
    if len(keys_parts) == 1:
        out = keys_parts[0], index_parts[0], hash64(keys_parts[0])
    else:
        out = _merge(keys_parts, index_parts)
    if tick:
        tick("merge batches + hash64", t0)
    return out


def _first_match(keys: pa.Array, patterns) -> np.ndarray:
    """Position in ``patterns`` of the first pattern that matches each key, or -1.

    Each pattern runs only on the keys that no earlier pattern matched: once enough keys are
    decided, the rest are filtered into a smaller array first.
    """
    first = np.full(len(keys), -1, np.int64)
    todo = keys  # keys still undecided (all of them, or a filtered copy)
    where = None  # positions of ``todo`` in ``keys``; None while todo is keys itself
    open_ = np.ones(len(keys), bool)  # undecided, over ``todo``
    for i, pattern in enumerate(patterns):
        if where is not None and len(where) == 0:
            break
        if open_.sum() < _SUBSET_SHARE * len(open_):  # shrink the working set
            where = np.flatnonzero(open_) if where is None else where[open_]
            todo = todo.filter(pa.array(open_))
            open_ = np.ones(len(todo), bool)
        hit = pc.match_substring_regex(todo, pattern).to_numpy(zero_copy_only=False)
        hit &= open_
        first[hit.nonzero()[0] if where is None else where[hit]] = i
        open_ &= ~hit
    return first


def _matches(keys: pa.Array, patterns: tuple[str, ...]) -> np.ndarray:
    """True where any of ``patterns`` matches."""
    return _first_match(keys, patterns) >= 0


def _classify(keys: pa.Array, rules: ContentRules) -> np.ndarray:
    """Capability class of each key: that of the first class (in priority order) that matches."""
    classes = np.array([0] + [cls for cls, _ in rules.capability_patterns], np.int8)
    return classes[_first_match(keys, [pattern for _, pattern in rules.capability_patterns]) + 1]


def analyze_prompts(texts: pa.Array, rules: ContentRules) -> PromptFacts:
    """Template key, template id, SimHash, capability class and CoT flag of each prompt.

    Parameters
    ----------
    texts:
        pyarrow string or large_string array without nulls, one entry per distinct prompt
        (duplicates are allowed, only slower). May be empty.
    rules:
        Rules from :func:`load_rules`.

    Returns
    -------
    PromptFacts
        Arrays aligned with ``texts``. Prompts with the same template key always share the
        template id, SimHash, class and flag: all four are functions of the key.
    """
    texts = _as_strings(texts, "analyze_prompts")
    n = len(texts)
    if n == 0:
        return PromptFacts(
            keys=pa.array([], pa.string()),
            key_index=np.empty(0, np.int64),
            template_id=np.empty(0, np.int64),
            simhash=np.empty(0, np.int64),
            capability=np.empty(0, np.int8),
            cot=np.empty(0, bool),
        )
    keys, index, ids = _templates(texts, rules)
    return PromptFacts(
        keys=keys,
        key_index=index,
        template_id=ids[index],
        simhash=simhash64(keys)[index],
        capability=_classify(keys, rules)[index],
        cot=_matches(keys, rules.cot_patterns)[index],
    )
