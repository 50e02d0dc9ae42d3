"""Google Vertex AI request-response logging, as a BigQuery newline-delimited JSON extract.

Why a preset: it is Google's only per-request log with the prompt and the response. It carries
no caller identity, IP or user agent: the account comes from ``full_request.labels`` when the
app sets them (else ``unknown:vertex``), and the rows are sampled (``sampling_rate``), so
counts are lower bounds. BigQuery extracts write TIMESTAMP as ``2025-05-14 02:10:49.352000 UTC``
and NUMERIC as strings; JSON columns come embedded or, from ``TO_JSON_STRING`` queries, as
strings, and both are accepted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .base import (Preset, RecordError, blank, canonical, chat_response_text, chat_user_text, dig,
                   first, key_score, maybe_json, register, require_dict, text, to_int)

__all__ = ["PRESET", "score", "convert", "LABEL_KEYS"]

_SIGNATURE = ("logging_time", "request_id", "model", "model_version", "api_method",
              "full_request", "full_response", "endpoint", "deployed_model_id", "metadata")

#: ``full_request.labels`` keys tried in order for the account (apps name them freely)
LABEL_KEYS = ("customer_id", "user", "user_id", "end_user", "account", "account_id", "tenant",
              "tenant_id", "api_key", "client_id")

_PROJECT = re.compile(r"projects/([^/]+)")


def score(records: Sequence[dict[str, Any]]) -> float:
    """Share of request_response_logging columns; ``logging_time`` and ``full_request`` required."""
    return key_score(records, _SIGNATURE, must=("logging_time", "full_request"))


def _gemini_user_text(req: dict[str, Any]) -> str | None:
    contents = maybe_json(req.get("contents"))
    if not isinstance(contents, list):
        return None
    turns = []
    for c in contents:
        if not isinstance(c, dict) or c.get("role", "user") != "user":
            continue
        parts = c.get("parts")
        parts = parts if isinstance(parts, list) else [parts]
        t = "".join(p["text"] for p in parts
                    if isinstance(p, dict) and isinstance(p.get("text"), str))
        if t:
            turns.append(t)
    return "\n".join(turns) if turns else None


def _gemini_response(resp: Any) -> tuple[str | None, dict[str, Any]]:
    """Response text and ``usageMetadata``; a streamed response is a list of chunks."""
    chunks = resp if isinstance(resp, list) else [resp]
    parts: list[str] = []
    usage: dict[str, Any] = {}
    for ch in chunks:
        ch = maybe_json(ch)
        if not isinstance(ch, dict):
            continue
        for p in _first_candidate_parts(ch):
            if isinstance(p, dict) and isinstance(p.get("text"), str) and not p.get("thought"):
                parts.append(p["text"])
        if isinstance(ch.get("usageMetadata"), dict):
            usage = ch["usageMetadata"]
    return ("".join(parts) if parts else None), usage


def _first_candidate_parts(chunk: dict[str, Any]) -> list[Any]:
    cands = chunk.get("candidates")
    if not isinstance(cands, list) or not cands or not isinstance(cands[0], dict):
        return []
    parts = dig(cands[0], "content.parts")
    return parts if isinstance(parts, list) else []


def convert(record: dict[str, Any]) -> dict[str, Any] | None:
    """One logged request/response row -> canonical."""
    rec = require_dict(record)
    ts = blank(rec.get("logging_time"))
    if ts is None:
        raise RecordError("Vertex row has no logging_time")
    req = maybe_json(rec.get("full_request"))
    resp = maybe_json(rec.get("full_response"))
    if blank(req) is not None and not isinstance(req, dict):
        raise RecordError("Vertex full_request is not a JSON object")
    req = req if isinstance(req, dict) else {}
    labels = maybe_json(req.get("labels"))
    labels = labels if isinstance(labels, dict) else {}
    if "messages" in req:  # Claude on Vertex (rawPredict): an Anthropic Messages body
        prompt = chat_user_text(req)
        response = chat_response_text(resp)
        usage = dig(resp, "usage") or {}
        tok_in, tok_out = dig(usage, "input_tokens"), dig(usage, "output_tokens")
    else:
        prompt = _gemini_user_text(req)
        response, usage = _gemini_response(resp)
        tok_in, tok_out = usage.get("promptTokenCount"), usage.get("candidatesTokenCount")
    endpoint = text(rec.get("endpoint")) or ""
    m = _PROJECT.search(endpoint)
    return canonical(
        account=text(first(*(labels.get(k) for k in LABEL_KEYS))) or "unknown:vertex",
        timestamp=ts,
        org=m.group(1) if m else None,
        model=text(rec.get("model")),
        prompt=prompt,
        response=response,
        input_tokens=to_int(tok_in),
        output_tokens=to_int(tok_out),
        latency_ms=to_int(dig(rec, "metadata.request_latency")),
        request_id=text(rec.get("request_id")),
    )


PRESET = register(Preset(
    name="vertex",
    title="Google Vertex AI request-response logs (BigQuery NDJSON extract)",
    container="json",
    score=score,
    convert=convert,
    sources={
        "account": "full_request.labels." + "|".join(LABEL_KEYS) + " (else unknown:vertex)",
        "timestamp": "logging_time",
        "org": "endpoint (projects/<project>/...)",
        "model": "model",
        "prompt": "full_request.contents[role=user].parts[].text",
        "response": "full_response.candidates[0].content.parts[].text",
        "input_tokens": "full_response.usageMetadata.promptTokenCount",
        "output_tokens": "full_response.usageMetadata.candidatesTokenCount",
        "latency_ms": "metadata.request_latency",
        "request_id": "request_id",
    },
    missing=("ip", "user_agent", "api_key", "status"),
))
