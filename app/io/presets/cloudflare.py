"""Cloudflare AI Gateway logs, as returned by the Logs API (envelope ``result[]`` or JSONL).

Why a preset: apps behind an AI Gateway get one log per request with model, tokens, status and
timing, and the first bytes of the bodies (``request_head``/``response_head``, truncated when
``*_complete`` is false). Identity exists only if the app sent ``cf-aig-metadata`` (a JSON
string of up to five keys), so the account comes from there, else ``unknown:cloudflare``. A
truncated head is still mined for complete user turns by a tolerant scan.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from .base import (Preset, RecordError, blank, canonical, chat_response_text, chat_user_text,
                   first, key_score, maybe_json, register, require_dict, text, to_int)

__all__ = ["PRESET", "score", "convert", "ACCOUNT_KEYS", "ORG_KEYS"]

_SIGNATURE = ("id", "created_at", "provider", "model", "model_type", "path", "metadata",
              "request_head", "request_head_complete", "response_head", "response_head_complete",
              "tokens_in", "tokens_out", "cost", "status_code", "duration", "success", "cached",
              "step")

#: metadata keys tried in order for the account and the org (apps choose the names)
ACCOUNT_KEYS = ("user", "user_id", "userId", "account", "account_id", "accountId", "customer",
                "customer_id", "api_key", "key")
ORG_KEYS = ("org", "org_id", "orgId", "team", "team_id", "teamId", "tenant", "tenant_id",
            "workspace")

_USER_TURN = re.compile(r'"role"\s*:\s*"user"\s*,\s*"content"\s*:\s*("(?:[^"\\]|\\.)*")')


def score(records: Sequence[dict[str, Any]]) -> float:
    """Share of AI Gateway log keys; ``tokens_in`` and ``created_at`` required."""
    return key_score(records, _SIGNATURE, must=("id", "created_at", "tokens_in"))


def _prompt(head: Any) -> str | None:
    body = maybe_json(blank(head))
    if isinstance(body, dict):
        return chat_user_text(body)
    if isinstance(body, str):  # truncated JSON: keep the user turns that are complete
        turns = []
        for m in _USER_TURN.finditer(body):
            try:
                turns.append(json.loads(m.group(1)))
            except ValueError:
                continue
        return "\n".join(turns) if turns else None
    return None


def convert(record: dict[str, Any]) -> dict[str, Any] | None:
    """One gateway log -> canonical."""
    rec = require_dict(record)
    ts = blank(rec.get("created_at"))
    if ts is None:
        raise RecordError("AI Gateway log has no created_at")
    meta = maybe_json(blank(rec.get("metadata")))
    meta = meta if isinstance(meta, dict) else {}
    status = to_int(rec.get("status_code"))
    if status is None and isinstance(rec.get("success"), bool):
        status = 200 if rec["success"] else 500
    return canonical(
        account=text(first(*(meta.get(k) for k in ACCOUNT_KEYS))) or "unknown:cloudflare",
        timestamp=ts,
        org=text(first(*(meta.get(k) for k in ORG_KEYS))),
        user_agent=text(rec.get("user_agent")),
        model=text(rec.get("model")),
        prompt=_prompt(rec.get("request_head")),
        response=chat_response_text(maybe_json(blank(rec.get("response_head")))),
        input_tokens=to_int(rec.get("tokens_in")),
        output_tokens=to_int(rec.get("tokens_out")),
        status=status,
        latency_ms=to_int(rec.get("duration")),
        request_id=text(rec.get("id")),
    )


PRESET = register(Preset(
    name="cloudflare",
    title="Cloudflare AI Gateway logs (Logs API JSON / JSON Lines)",
    container="json",
    score=score,
    convert=convert,
    sources={
        "account": "metadata." + "|".join(ACCOUNT_KEYS) + " (else unknown:cloudflare)",
        "timestamp": "created_at",
        "org": "metadata." + "|".join(ORG_KEYS),
        "user_agent": "user_agent (newer API responses only)",
        "model": "model",
        "prompt": "request_head messages[role=user] (may be truncated)",
        "response": "response_head choices[0].message.content (complete heads only)",
        "input_tokens": "tokens_in",
        "output_tokens": "tokens_out",
        "status": "status_code (else success -> 200/500)",
        "latency_ms": "duration",
        "request_id": "id",
    },
    missing=("ip", "api_key"),
))
