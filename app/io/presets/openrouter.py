"""OpenRouter activity export: the per-generation CSV from the Activity page.

Why a preset: for apps that buy inference through OpenRouter, this CSV is the only per-request
record; the analyst can revoke a key by its name, so ``api_key_name`` is the account. It holds
no prompt, response, IP or user agent: only volume, timing, model and token counts.
``created_at`` is zone-less UTC (``2026-02-06 18:54:30.040``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .base import (Preset, RecordError, blank, canonical, key_score, register, require_dict, text,
                   to_int)

__all__ = ["PRESET", "score", "convert"]

_HEADER = ("generation_id", "created_at", "cost_total", "cost_web_search", "cost_cache",
           "cost_file_processing", "byok_usage_inference", "tokens_prompt", "tokens_completion",
           "tokens_reasoning", "tokens_cached", "model_permaslug", "provider_name", "variant",
           "cancelled", "streamed", "user", "finish_reason_raw", "finish_reason_normalized",
           "generation_time_ms", "time_to_first_token_ms", "api_key_disabled", "api_key_name",
           "app_name")


def score(records: Sequence[dict[str, Any]]) -> float:
    """Share of the activity CSV header; ``generation_id`` and ``created_at`` required."""
    return key_score(records, _HEADER, must=("generation_id", "created_at"))


def convert(record: dict[str, Any]) -> dict[str, Any] | None:
    """One generation row -> canonical (status 500 when the finish reason is ``error``)."""
    rec = require_dict(record)
    ts = blank(rec.get("created_at"))
    if ts is None:
        raise RecordError("OpenRouter row has no created_at")
    key = text(rec.get("api_key_name"))
    finish = str(blank(rec.get("finish_reason_normalized")) or "").lower()
    return canonical(
        account=key or "unknown:openrouter",
        timestamp=ts,
        api_key=key,
        model=text(rec.get("model_permaslug")),
        input_tokens=to_int(rec.get("tokens_prompt")),
        output_tokens=to_int(rec.get("tokens_completion")),
        status=500 if finish == "error" else 200,
        latency_ms=to_int(rec.get("generation_time_ms")),
        request_id=text(rec.get("generation_id")),
    )


PRESET = register(Preset(
    name="openrouter",
    title="OpenRouter activity export (CSV)",
    container="csv",
    score=score,
    convert=convert,
    sources={
        "account": "api_key_name",
        "timestamp": "created_at",
        "api_key": "api_key_name",
        "model": "model_permaslug",
        "input_tokens": "tokens_prompt",
        "output_tokens": "tokens_completion",
        "status": "finish_reason_normalized error -> 500, else 200",
        "latency_ms": "generation_time_ms",
        "request_id": "generation_id",
    },
    missing=("ip", "user_agent", "prompt", "response", "org"),
))
