"""Helicone request export (``@helicone/export``: JSON Lines or CSV).

Why a preset: Helicone proxies sit in front of many apps and record the app's end user
(``Helicone-User-Id`` -> ``request_user_id``) with every request. The export never includes the
client IP (only ``country_code``, which has no canonical field) nor the user agent; bodies only
with ``--include-body``. The CSV writer quotes every value and double-escapes object columns, so
after CSV decoding ``request_body``/``request_properties`` still have every quote doubled:
:func:`helicone_json` undoes that before decoding. The CSV has no ``request_id`` column, so
``response_id`` stands in for it there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .base import (Preset, RecordError, blank, canonical, chat_response_text, chat_user_text,
                   first, key_score, register, require_dict, text, to_int)

__all__ = ["PRESET", "PRESET_CSV", "score_json", "score_csv", "convert", "helicone_json",
           "USER_PROPERTIES"]

_CSV_HEADER = ("response_id", "response_created_at", "response_status", "request_created_at",
               "request_body", "request_properties", "request_user_id", "model",
               "prompt_tokens", "completion_tokens", "latency", "cost")
_JSON_KEYS = ("response_id", "response_created_at", "response_status", "request_id",
              "request_created_at", "request_body", "request_path", "request_user_id",
              "request_properties", "request_model", "response_model", "provider", "delay_ms",
              "prompt_tokens", "completion_tokens", "total_tokens", "country_code",
              "helicone_user", "signed_body_url")

#: ``Helicone-Property-*`` names (lower case, prefix dropped) that name a user when
#: ``request_user_id`` is empty
USER_PROPERTIES = ("user", "user-id", "user_id", "userid", "customer", "customer-id",
                   "customer_id", "account", "account-id", "account_id")


def score_json(records: Sequence[dict[str, Any]]) -> float:
    """Share of ``HeliconeRequest`` keys; ``request_created_at``, ``response_status`` required."""
    return key_score(records, _JSON_KEYS, must=("request_created_at", "response_status"))


def score_csv(records: Sequence[dict[str, Any]]) -> float:
    """Share of the exporter's fixed CSV header."""
    return key_score(records, _CSV_HEADER, must=("response_id", "request_created_at"))


def helicone_json(value: Any) -> Any:
    """Decode an object column, also when its quotes are doubled (the CSV export's quirk)."""
    value = blank(value)
    if not isinstance(value, str):
        return value
    s = value.strip()
    if s[:1] not in ("{", "["):
        return value
    for candidate in (s, s.replace('""', '"')):
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    return value


def _account(rec: dict[str, Any], props: Any) -> str:
    user = text(rec.get("request_user_id"))
    if user:
        return user
    if isinstance(props, dict):
        for k, v in props.items():
            name = str(k).lower().removeprefix("helicone-property-")
            if name in USER_PROPERTIES and text(v):
                return text(v)
    return "unknown:helicone"


def convert(record: dict[str, Any]) -> dict[str, Any] | None:
    """One exported request (JSONL object or CSV row) -> canonical."""
    rec = require_dict(record)
    ts = first(rec.get("request_created_at"), rec.get("response_created_at"))
    if ts is None:
        raise RecordError("Helicone row has neither request_created_at nor response_created_at")
    props = helicone_json(rec.get("request_properties"))
    body = helicone_json(rec.get("request_body"))
    return canonical(
        account=_account(rec, props),
        timestamp=ts,
        model=text(first(rec.get("model"), rec.get("request_model"), rec.get("response_model"),
                         body.get("model") if isinstance(body, dict) else None)),
        prompt=chat_user_text(body),
        response=chat_response_text(helicone_json(rec.get("response_body"))),
        input_tokens=to_int(rec.get("prompt_tokens")),
        output_tokens=to_int(rec.get("completion_tokens")),
        status=to_int(rec.get("response_status")),
        latency_ms=to_int(first(rec.get("latency"), rec.get("delay_ms"))),
        request_id=text(first(rec.get("request_id"), rec.get("response_id"))),
    )


_SOURCES = {
    "account": "request_user_id | request_properties user property (else unknown:helicone)",
    "timestamp": "request_created_at",
    "model": "model | request_model | response_model | request_body.model",
    "prompt": "request_body messages[role=user] (only with --include-body)",
    "response": "response_body choices[0].message.content (JSONL, --include-body)",
    "input_tokens": "prompt_tokens",
    "output_tokens": "completion_tokens",
    "status": "response_status",
    "latency_ms": "latency (CSV) | delay_ms (JSONL)",
    "request_id": "request_id (JSONL) | response_id (CSV)",
}
_MISSING = ("ip", "user_agent", "api_key", "org")

PRESET = register(Preset(
    name="helicone", title="Helicone export (JSON Lines)", container="json",
    score=score_json, convert=convert, sources=_SOURCES, missing=_MISSING))
PRESET_CSV = register(Preset(
    name="helicone-csv", title="Helicone export (CSV)", container="csv",
    score=score_csv, convert=convert, sources=_SOURCES, missing=_MISSING))
