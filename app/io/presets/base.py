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

import hashlib
import ipaddress
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


from app.core.canonical import FIELDS

__all__ = ["Preset", "RecordError", "REGISTRY", "register", "detect", "get", "names",
           "maybe_json", "dig", "blank", "first", "to_int", "canonical", "require_dict",
           "key_score", "chat_user_text", "chat_response_text", "hash_secret", "ms_between", "text",
           "strip_port", "client_ip", "access_account"]


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


# ---------------------------------------------------------------------------------------------
# Small shared helpers for preset modules (values arrive typed from JSON, or as strings from CSV)
# ---------------------------------------------------------------------------------------------

_NULLS = ("", "null", "NULL", "None", "\\N", "-")


def blank(value: Any) -> Any:
    """``None`` for the ways exports spell "nothing" ("", "null", "-", "\\N"), else the value."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip() in _NULLS:
        return None
    return value


def first(*values: Any) -> Any:
    """The first value that is not blank (see :func:`blank`), or ``None``."""
    for v in values:
        v = blank(v)
        if v is not None:
            return v
    return None


def to_int(value: Any) -> int | None:
    """An integer from an int, float or numeric string ("12", "12.0", "1e3"); ``None`` otherwise.

    Booleans are not numbers here, and non-finite or non-numeric text gives ``None`` rather than
    an error: a token count the export garbled should not cost the whole row.
    """
    value = blank(value)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f):
        return None
    return int(round(f))


def text(value: Any) -> str | None:
    """A non-blank value as ``str`` (numbers become their decimal text), else ``None``."""
    value = blank(value)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, str) else str(value)


def canonical(**values: Any) -> dict[str, Any]:
    """A canonical record with every field of :data:`FIELDS`, absent ones ``None``.

    Raises ``KeyError`` for a field name that is not canonical (a bug in the preset).
    """
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise KeyError(f"not canonical fields: {sorted(unknown)}")
    out = dict.fromkeys(FIELDS)
    out.update(values)
    return out


def require_dict(record: Any, what: str = "record") -> dict[str, Any]:
    """The record as a dict (decoding a JSON string), or :class:`RecordError` if it is not one."""
    record = maybe_json(record)
    if not isinstance(record, dict):
        raise RecordError(f"{what} is not a JSON object (got {type(record).__name__})")
    return record


def key_score(records: Sequence[Any], signature: Iterable[str], must: Iterable[str] = (),
              sample: int = 20) -> float:
    """Mean share of ``signature`` keys present in the first dict records (0 if ``must`` lacks).

    A record missing any key of ``must`` scores 0; non-dict records score 0. The result is in
    0..1 and is what most presets return from ``score`` (sometimes after a value check).
    """
    sig = tuple(signature)
    req = tuple(must)
    rows = list(records[:sample])
    if not rows or not sig:
        return 0.0
    total = 0.0
    for r in rows:
        if not isinstance(r, dict) or any(k not in r for k in req):
            continue
        total += sum(1 for k in sig if k in r) / len(sig)
    return total / len(rows)


def _content_text(content: Any) -> str | None:
    """Text of one message ``content``: a string, or a list of text blocks (others skipped)."""
    content = maybe_json(content)
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict):
                t = block.get("text")
                if isinstance(t, str) and block.get("type", "text") in ("text", "input_text"):
                    parts.append(t)
        return "\n".join(parts) if parts else None
    return None


def chat_user_text(messages: Any) -> str | None:
    """User turns of a chat request body, joined with a newline; system turns are left out.

    Accepts OpenAI chat ``messages`` (content string or parts), Anthropic Messages (string or
    ``[{"type": "text", "text": ...}]``) and Bedrock Converse (``[{"text": ...}]``), either as the
    list itself or as a body dict holding ``messages``. ``None`` when there is no user text.
    """
    messages = maybe_json(messages)
    if isinstance(messages, dict):
        messages = maybe_json(messages.get("messages"))
    if not isinstance(messages, list):
        return None
    turns = []
    for m in messages:
        if isinstance(m, dict) and m.get("role") == "user":
            t = _content_text(m.get("content"))
            if t:
                turns.append(t)
    return "\n".join(turns) if turns else None


def chat_response_text(body: Any) -> str | None:
    """Assistant text of a chat response body: OpenAI ``choices[0].message.content``,
    Anthropic ``content[].text`` or Bedrock Converse ``output.message.content[].text``."""
    body = maybe_json(body)
    if not isinstance(body, dict):
        return None
    choices = maybe_json(body.get("choices"))
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        msg = choices[0].get("message")
        if isinstance(msg, dict):
            return _content_text(msg.get("content"))
        t = choices[0].get("text")  # legacy completions
        return t if isinstance(t, str) else None
    converse = dig(body, "output.message.content")
    if converse is not None:
        return _content_text(converse)
    if isinstance(body.get("content"), list):
        return _content_text(body["content"])
    return None


def hash_secret(secret: str) -> str:
    """sha256 hex of an API key or bearer token, so no raw secret is ever stored.

    sha256 of the raw key is exactly what LiteLLM stores in its ``api_key`` column, so a
    gateway access log and a LiteLLM spend log name the same account the same way. An
    ``Authorization`` value's scheme (``Bearer``, ``Basic``...) is dropped first, so the same
    key sent as ``Bearer sk-1`` or as an ``x-api-key: sk-1`` header hashes to the same account.
    """
    s = secret.strip()
    head, _, rest = s.partition(" ")
    if rest and head.lower() in ("bearer", "basic", "token", "apikey", "api-key"):
        s = rest.strip()
    return hashlib.sha256(s.encode("utf-8")).hexdigest()


def _parse_dt(value: Any) -> datetime | None:
    value = blank(value)
    if not isinstance(value, str):
        return None
    s = value.strip().replace("Z", "+00:00")
    if s.endswith(" UTC"):
        s = s[:-4] + "+00:00"
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def ms_between(start: Any, end: Any) -> int | None:
    """Milliseconds from ``start`` to ``end`` (ISO-ish strings, zone-less = UTC); ``None`` if
    either does not parse or the span is negative."""
    a, b = _parse_dt(start), _parse_dt(end)
    if a is None or b is None or b < a:
        return None
    return int(round((b - a).total_seconds() * 1000))


def strip_port(addr: Any) -> str | None:
    """``"1.2.3.4:5678"`` -> ``"1.2.3.4"``, ``"[2001:db8::1]:443"`` -> ``"2001:db8::1"``."""
    a = text(addr)
    if a is None:
        return None
    a = a.strip()
    if a.startswith("["):
        return a[1:a.index("]")] if "]" in a else a[1:]
    if a.count(":") == 1:
        return a.split(":", 1)[0]
    return a


def client_ip(forwarded_for: Any, peer: Any) -> str | None:
    """The client address behind proxies: the first *public* hop of ``X-Forwarded-For``, else
    its first valid hop, else the peer address (port stripped). Masked values such as Azure's
    ``81.2.69.***`` are not parsed here; they only come from the peer field and pass as-is.
    """
    hops = []
    for part in (text(forwarded_for) or "").split(","):
        h = strip_port(part)
        if not h:
            continue
        try:
            hops.append(ipaddress.ip_address(h))
        except ValueError:
            continue
    for ip in hops:
        if ip.is_global:
            return str(ip)
    if hops:
        return str(hops[0])
    return strip_port(peer)


#: access-log fields holding a secret (hashed, never stored raw) and ones naming a user (as-is)
SECRET_FIELDS = ("http_x_api_key", "http_api_key", "http_authorization", "http_x_goog_api_key",
                 "x_api_key", "api_key", "authorization")
USER_FIELDS = ("http_x_user_id", "http_x_account_id", "x_user_id", "x_account_id", "user_id",
               "account_id", "consumer", "remote_user")


def access_account(rec: dict[str, Any]) -> tuple[str | None, str | None]:
    """``(account, api_key)`` of an access-log record: the hashed key when a key or
    ``Authorization`` header was logged (bans are per key), else a user header, else ``None``."""
    for f in SECRET_FIELDS:
        v = text(rec.get(f))
        if v:
            key = hash_secret(v)
            return key, key
    for f in USER_FIELDS:
        v = text(rec.get(f))
        if v:
            return v, None
    return None, None
