"""LiteLLM proxy ``LiteLLM_SpendLogs``: one row per request that went through a LiteLLM gateway.

Why a preset: LiteLLM is the most common self-hosted gateway, and its spend log is the only
place that ties a virtual key to every request. Analysts hold it as a ``psql \\copy ... CSV
HEADER`` dump (container ``csv``: columns mapped by name, NULL is an empty field) or as the JSON
rows of ``/spend/logs`` (container ``json``); both share this converter.

Account choice: the ``api_key`` column (sha256 of the virtual key) is the account, because it is
on every row, unique per key and stable, while ``metadata.user_api_key_alias`` is optional, can
be renamed and is not unique across teams. The alias, when present, goes to ``api_key`` so the
analyst still sees a readable name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .base import (Preset, RecordError, blank, canonical, chat_response_text, chat_user_text, dig,
                   first, key_score, maybe_json, ms_between, register, require_dict, text, to_int)

__all__ = ["PRESET_CSV", "PRESET_JSON", "score", "convert"]

_SIGNATURE = ("request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens",
              "completion_tokens", "startTime", "endTime", "model", "api_base", "user",
              "metadata", "cache_hit", "cache_key", "request_tags")


def score(records: Sequence[dict[str, Any]]) -> float:
    """Share of SpendLogs columns present; ``startTime`` and ``api_key`` are required."""
    return key_score(records, _SIGNATURE, must=("request_id", "startTime", "api_key"))


def _status(rec: dict[str, Any], meta: Any) -> int:
    st = first(rec.get("status"), dig(meta, "status"))
    if st is None:
        return 200  # versions without the column logged failures elsewhere (LiteLLM_ErrorLogs)
    n = to_int(st)
    if n is not None:
        return n
    return 200 if str(st).lower() == "success" else 500


def convert(record: dict[str, Any]) -> dict[str, Any] | None:
    """One SpendLogs row -> canonical (empty ``{}`` messages/response give ``None`` text)."""
    rec = require_dict(record)
    start = blank(rec.get("startTime"))
    if start is None:
        raise RecordError("LiteLLM row has no startTime")
    meta = maybe_json(blank(rec.get("metadata")))
    meta = meta if isinstance(meta, dict) else {}
    key_hash = first(rec.get("api_key"), meta.get("user_api_key"))
    messages = maybe_json(blank(rec.get("messages")))
    prompt = chat_user_text(messages)
    if prompt is None:
        prompt = chat_user_text(maybe_json(blank(rec.get("proxy_server_request"))))
    latency = to_int(rec.get("request_duration_ms"))
    if latency is None:
        latency = ms_between(start, rec.get("endTime"))
    return canonical(
        account=text(key_hash) or "unknown:litellm",
        timestamp=start,
        org=text(first(rec.get("team_id"), rec.get("organization_id"),
                       meta.get("user_api_key_team_id"), meta.get("user_api_key_org_id"))),
        api_key=text(first(meta.get("user_api_key_alias"), key_hash)),
        ip=text(first(rec.get("requester_ip_address"), meta.get("requester_ip_address"))),
        user_agent=text(meta.get("user_agent")),
        model=text(first(rec.get("model"), rec.get("model_group"))),
        prompt=prompt,
        response=chat_response_text(maybe_json(blank(rec.get("response")))),
        input_tokens=to_int(rec.get("prompt_tokens")),
        output_tokens=to_int(rec.get("completion_tokens")),
        status=_status(rec, meta),
        latency_ms=latency,
        request_id=text(rec.get("request_id")),
    )


_SOURCES = {
    "account": "api_key (sha256 of the virtual key; else metadata.user_api_key)",
    "timestamp": "startTime",
    "org": "team_id | organization_id | metadata.user_api_key_team_id",
    "api_key": "metadata.user_api_key_alias | api_key",
    "ip": "requester_ip_address | metadata.requester_ip_address",
    "user_agent": "metadata.user_agent (newer versions only)",
    "model": "model | model_group",
    "prompt": "messages[role=user].content (empty unless store_prompts_in_spend_logs)",
    "response": "response.choices[0].message.content",
    "input_tokens": "prompt_tokens",
    "output_tokens": "completion_tokens",
    "status": "status success/failure -> 200/500 (no column: 200)",
    "latency_ms": "request_duration_ms | endTime - startTime",
    "request_id": "request_id",
}

PRESET_CSV = register(Preset(
    name="litellm", title="LiteLLM SpendLogs (psql CSV dump)", container="csv",
    score=score, convert=convert, sources=_SOURCES, missing=()))
PRESET_JSON = register(Preset(
    name="litellm-json", title="LiteLLM SpendLogs (/spend/logs JSON)", container="json",
    score=score, convert=convert, sources=_SOURCES, missing=()))
