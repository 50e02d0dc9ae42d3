"""The preset contract: how one real export format becomes canonical records.

A preset sees records as Python dicts: one parsed JSON object per record for JSON Lines, JSON
arrays and API envelopes (``container="json"``), or one ``{header: value}`` dict per row for
delimited files (``container="csv"``). ``score`` looks at the first few records and says how
sure it is that the file is its format; ``convert`` turns one record into a canonical dict
(keys from :data:`app.core.canonical.FIELDS`, values str/int/None, timestamps left as the
source wrote them: the core parses every style). ``convert`` returns ``None`` for records that
are not events (e.g. another ``schemaType``) and raises :class:`RecordError` with a reason for
records that are broken, which the importer stores as rejected rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Preset", "RecordError", "REGISTRY", "register", "detect", "get", "names",
           "maybe_json", "dig"]


class RecordError(ValueError):
    """One record cannot be converted; the message is the reason stored with the rejected row."""


@dataclass(frozen=True)
class Preset:
    name: str  # CLI name: --format NAME
    title: str  # shown to the analyst
    container: str  # "json" or "csv"
    score: Callable[[Sequence[dict[str, Any]]], float]  # 0..1 confidence from the first records
    convert: Callable[[dict[str, Any]], dict[str, Any] | None]
    #: canonical field -> where it comes from in the source (provenance for the imports table)
    sources: dict[str, str] = field(default_factory=dict)
    #: canonical fields this format never carries (the UI says "cannot judge X from this file")
    missing: tuple[str, ...] = ()


REGISTRY: list[Preset] = []


def register(preset: Preset) -> Preset:
    if any(p.name == preset.name for p in REGISTRY):
        raise ValueError(f"preset {preset.name!r} registered twice")
    REGISTRY.append(preset)
    return preset


def _load_all() -> None:
    # importing the modules registers their presets; kept here so callers import one name
    from . import _all  # noqa: F401


def names() -> list[str]:
    _load_all()
    return [p.name for p in REGISTRY]


def get(name: str) -> Preset:
    _load_all()
    for p in REGISTRY:
        if p.name == name:
            return p
    raise KeyError(name)


def detect(records: Sequence[dict[str, Any]], container: str, threshold: float = 0.5) -> Preset | None:
    """The best-scoring preset of this container kind, or None if none is sure enough."""
    _load_all()
    best, best_score = None, threshold
    for p in REGISTRY:
        if p.container != container:
            continue
        s = p.score(records)
        if s > best_score:
            best, best_score = p, s
    return best


def maybe_json(value: Any) -> Any:
    """Decode JSON that arrives as a string ("JSON in a string" is everywhere in these exports)."""
    if isinstance(value, str):
        s = value.strip()
        if s[:1] in ("{", "["):
            try:
                return json.loads(s)
            except ValueError:
                return value
    return value


def dig(record: Any, path: str, default: Any = None) -> Any:
    """``dig(rec, "identity.arn")``: follow dotted keys through dicts (decoding JSON strings)."""
    cur = record
    for part in path.split("."):
        cur = maybe_json(cur)
        if not isinstance(cur, dict) or part not in cur:
            return default
        cur = cur[part]
    return cur
