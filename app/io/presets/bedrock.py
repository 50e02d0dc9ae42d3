"""AWS Bedrock model invocation logs: the provider-side record of every InvokeModel/Converse call.

Why a preset: this is the one AWS-side source with both the caller principal and the prompt.
Files are gzip JSON Lines under ``AWSLogs/<acct>/BedrockModelInvocationLogs/...`` (CloudWatch
Logs Insights exports wrap the same JSON in ``@message``, which is unwrapped here). Bedrock logs
no client IP or user agent: join with CloudTrail or an edge log by request id for those.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .base import (Preset, RecordError, blank, canonical, chat_response_text, chat_user_text, dig,
                   first, key_score, maybe_json, register, require_dict, text, to_int)

__all__ = ["PRESET", "score", "convert"]

_SCHEMA = "ModelInvocationLog"
_SIGNATURE = ("schemaType", "schemaVersion", "timestamp", "accountId", "identity", "region",
              "requestId", "operation", "modelId", "input", "output")

#: Bedrock runtime exception names -> the HTTP status the API returns for them
_ERROR_STATUS = {
    "ValidationException": 400, "AccessDeniedException": 403,
    "ResourceNotFoundException": 404, "ModelTimeoutException": 408,
    "ModelErrorException": 424, "ModelNotReadyException": 429, "ThrottlingException": 429,
    "ServiceQuotaExceededException": 429, "InternalServerException": 500,
    "ServiceUnavailableException": 503,
}


def _unwrap(record: Any) -> Any:
    """The invocation record itself, also when a CloudWatch export wrapped it in ``@message``."""
    if isinstance(record, dict) and "@message" in record and "schemaType" not in record:
        return maybe_json(record["@message"])
    return record


def score(records: Sequence[dict[str, Any]]) -> float:
    """1.0 when the first records say ``schemaType: ModelInvocationLog``; else the key overlap."""
    rows = [_unwrap(r) for r in records[:20]]
    if not rows:
        return 0.0
    typed = sum(1 for r in rows if isinstance(r, dict) and r.get("schemaType") == _SCHEMA)
    if typed:
        return min(1.0, 0.5 + typed / len(rows))
    return 0.8 * key_score(rows, _SIGNATURE, must=("modelId", "requestId"))


def _prompt(body: Any) -> str | None:
    body = maybe_json(body)
    if not isinstance(body, dict):
        return None
    t = chat_user_text(body)  # Anthropic InvokeModel and Converse
    if t is not None:
        return t
    # other providers' InvokeModel bodies: Titan inputText, Llama/Mistral prompt
    return first(body.get("inputText"), body.get("prompt"))


def _stream_text(events: list[Any]) -> str | None:
    """Assistant text of a streaming operation's logged event list (Anthropic or Converse)."""
    parts = []
    for ev in events:
        ev = maybe_json(ev)
        if not isinstance(ev, dict):
            continue
        delta = dig(ev, "delta.text")
        if delta is None:
            delta = dig(ev, "contentBlockDelta.delta.text")
        if isinstance(delta, str):
            parts.append(delta)
    return "".join(parts) if parts else None


def _response(body: Any) -> str | None:
    body = maybe_json(body)
    if isinstance(body, list):
        return _stream_text(body)
    t = chat_response_text(body)
    if t is None and isinstance(body, dict):
        t = first(dig(body, "results.0.outputText"), body.get("generation"))
    return t


def _status(rec: dict[str, Any]) -> int:
    st = blank(rec.get("status"))
    code = to_int(st)
    if code is not None:
        return code
    err = blank(rec.get("errorCode"))
    if err is not None:
        n = to_int(err)
        return n if n is not None else _ERROR_STATUS.get(str(err), 500)
    if isinstance(st, str) and st.lower() not in ("success", "succeeded", "ok"):
        return 500
    return 200


def convert(record: dict[str, Any]) -> dict[str, Any] | None:
    """One invocation record -> canonical; ``None`` for records of another ``schemaType``."""
    rec = require_dict(_unwrap(record))
    schema = blank(rec.get("schemaType"))
    if schema is not None and schema != _SCHEMA:
        return None
    ts = blank(rec.get("timestamp"))
    if ts is None:
        raise RecordError("Bedrock record has no timestamp")
    inp = maybe_json(rec.get("input"))
    out = maybe_json(rec.get("output"))
    inp = inp if isinstance(inp, dict) else {}
    out = out if isinstance(out, dict) else {}
    out_body = maybe_json(out.get("outputBodyJson"))
    return canonical(
        account=text(dig(rec, "identity.arn")) or "unknown:bedrock",
        timestamp=ts,
        org=text(rec.get("accountId")),
        model=text(rec.get("modelId")),
        request_id=text(rec.get("requestId")),
        prompt=_prompt(inp.get("inputBodyJson")),
        response=_response(out_body),
        input_tokens=to_int(inp.get("inputTokenCount")),
        output_tokens=to_int(out.get("outputTokenCount")),
        status=_status(rec),
        latency_ms=to_int(dig(out_body, "metrics.latencyMs")),
    )


PRESET = register(Preset(
    name="bedrock",
    title="AWS Bedrock model invocation logs (JSON Lines)",
    container="json",
    score=score,
    convert=convert,
    sources={
        "account": "identity.arn",
        "timestamp": "timestamp",
        "org": "accountId",
        "model": "modelId",
        "request_id": "requestId",
        "prompt": "input.inputBodyJson.messages[role=user].content",
        "response": "output.outputBodyJson (content[].text | output.message.content[].text)",
        "input_tokens": "input.inputTokenCount",
        "output_tokens": "output.outputTokenCount",
        "status": "status / errorCode (else 200)",
        "latency_ms": "output.outputBodyJson.metrics.latencyMs (Converse only)",
    },
    missing=("ip", "user_agent", "api_key"),
))
