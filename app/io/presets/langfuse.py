"""Langfuse blob-storage export: ``traces/`` and ``observations/`` files (JSONL or CSV).

Why a preset: Langfuse is where many apps trace their LLM calls, with the app's own end-user id
(``user_id``) on each trace. A trace row gives account, time, prompt and response; a
``GENERATION`` observation row gives the model and token usage but, in the legacy layout, no
user, so it carries the trace id as ``request_id`` and ``account=None``: import traces first,
then observations with ``--enrich-by request_id``. Enriched ``observations_v2`` rows that copy
``user_id`` onto the observation import on their own. Spans and events are not model calls
(``None``). Timestamps are zone-less UTC (``2024-05-29 13:46:19.963000``); ``input``/``output``
are JSON strings; ClickHouse may write 64-bit usage numbers as strings.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .base import (Preset, RecordError, blank, canonical, chat_response_text, chat_user_text,
                   first, key_score, maybe_json, ms_between, register, require_dict, text, to_int)

__all__ = ["PRESET", "PRESET_CSV", "score", "convert"]

_TRACE = ("id", "timestamp", "name", "environment", "project_id", "metadata", "user_id",
          "session_id", "release", "version", "public", "bookmarked", "tags", "input", "output")
_OBSERVATION = ("id", "trace_id", "project_id", "environment", "type", "parent_observation_id",
                "start_time", "end_time", "name", "metadata", "level", "status_message",
                "input", "output", "provided_model_name", "model_parameters", "usage_details",
                "cost_details", "completion_start_time", "prompt_name", "prompt_version")

#: keys of a dict ``input``/``output`` that hold the text when it is not a chat body
_QUESTION_KEYS = ("input", "prompt", "query", "question", "text")
_ANSWER_KEYS = ("content", "output", "text", "answer", "completion")


def score(records: Sequence[dict[str, Any]]) -> float:
    """The better of the trace and observation column overlaps."""
    return max(key_score(records, _TRACE, must=("id", "timestamp", "project_id", "user_id")),
               key_score(records, _OBSERVATION, must=("id", "trace_id", "start_time", "type")))


def _decode(value: Any) -> Any:
    """``input``/``output`` are JSON-serialised: objects and arrays, but also string literals."""
    value = maybe_json(blank(value))
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _prompt(value: Any) -> str | None:
    """User text of a trace/observation ``input``: a string, chat messages, or a dict of them."""
    value = _decode(value)
    if isinstance(value, str):
        return value
    t = chat_user_text(value)
    if t is None and isinstance(value, dict):
        t = first(*(value.get(k) for k in _QUESTION_KEYS))
        t = t if isinstance(t, str) else None
    return t


def _response(value: Any) -> str | None:
    """Assistant text of an ``output``: a string, a message, a chat response or a dict."""
    value = _decode(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # a message list: take the assistant turns
        turns = [m.get("content") for m in value
                 if isinstance(m, dict) and m.get("role") == "assistant"
                 and isinstance(m.get("content"), str)]
        return "\n".join(turns) if turns else None
    if isinstance(value, dict):
        t = chat_response_text(value)
        if t is None:
            t = first(*(value.get(k) for k in _ANSWER_KEYS))
        return t if isinstance(t, str) else None
    return None


def _trace(rec: dict[str, Any]) -> dict[str, Any]:
    ts = blank(rec.get("timestamp"))
    if ts is None:
        raise RecordError("Langfuse trace has no timestamp")
    return canonical(
        account=text(rec.get("user_id")) or "unknown:langfuse",
        timestamp=ts,
        org=text(rec.get("project_id")),
        prompt=_prompt(rec.get("input")),
        response=_response(rec.get("output")),
        request_id=text(rec.get("id")),
    )


def _observation(rec: dict[str, Any]) -> dict[str, Any] | None:
    if str(blank(rec.get("type")) or "").upper() != "GENERATION":
        return None
    start = blank(rec.get("start_time"))
    if start is None:
        raise RecordError("Langfuse observation has no start_time")
    usage = maybe_json(blank(rec.get("usage_details")))
    usage = usage if isinstance(usage, dict) else {}
    level = str(blank(rec.get("level")) or "DEFAULT").upper()
    return canonical(
        account=text(rec.get("user_id")),  # only in enriched (observations_v2) rows
        timestamp=start,
        org=text(rec.get("project_id")),
        model=text(rec.get("provided_model_name")),
        prompt=_prompt(rec.get("input")),
        response=_response(rec.get("output")),
        input_tokens=to_int(first(usage.get("input"), usage.get("prompt_tokens"))),
        output_tokens=to_int(first(usage.get("output"), usage.get("completion_tokens"))),
        status=500 if level == "ERROR" else 200,
        latency_ms=ms_between(start, rec.get("end_time")),
        request_id=text(rec.get("trace_id")),
    )


def convert(record: dict[str, Any]) -> dict[str, Any] | None:
    """A trace row or a GENERATION observation row -> canonical; other observations ``None``."""
    rec = require_dict(record)
    if "trace_id" in rec or "start_time" in rec:
        return _observation(rec)
    return _trace(rec)


_SOURCES = {
    "account": "traces.user_id (else unknown:langfuse); observations: none (enrich by trace id)",
    "timestamp": "traces.timestamp | observations.start_time",
    "org": "project_id",
    "model": "observations.provided_model_name",
    "prompt": "input (string, or messages[role=user].content)",
    "response": "output (string, or message / choices[0].message.content)",
    "input_tokens": "observations.usage_details.input",
    "output_tokens": "observations.usage_details.output",
    "status": "observations.level ERROR -> 500, else 200",
    "latency_ms": "observations.end_time - start_time",
    "request_id": "traces.id | observations.trace_id",
}
_MISSING = ("ip", "user_agent", "api_key")

PRESET = register(Preset(
    name="langfuse", title="Langfuse blob export, traces/observations (JSON Lines)",
    container="json", score=score, convert=convert, sources=_SOURCES, missing=_MISSING))
PRESET_CSV = register(Preset(
    name="langfuse-csv", title="Langfuse blob export, traces/observations (CSV)",
    container="csv", score=score, convert=convert, sources=_SOURCES, missing=_MISSING))
