"""Azure OpenAI resource logs (``RequestResponse``) and API Management ``GatewayLogs``.

Why a preset: Azure-hosted OpenAI traffic leaves two kinds of diagnostic record. Native
``RequestResponse`` logs name the resource, deployment, status, latency and a *masked* caller IP
(``81.2.69.***``, kept as written: the importer maps it to its /24) but no prompt and, for
API-key callers, no identity beyond the resource. APIM ``GatewayLogs`` in front of it carry the
full IP, the subscription (the key the analyst can revoke) and, with body logging, the request
and response bodies. Both arrive as JSON Lines (``PT1H.json``); ``properties`` is sometimes an
object and sometimes a JSON string. ``Audit`` and ``Trace`` records are not requests (``None``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .base import (Preset, RecordError, blank, canonical, chat_response_text, chat_user_text, dig,
                   first, key_score, maybe_json, register, require_dict, text, to_int)

__all__ = ["PRESET", "PRESET_APIM", "score", "score_apim", "convert"]

_SIGNATURE = ("time", "resourceId", "category", "operationName", "callerIpAddress",
              "correlationId", "durationMs", "properties")
_REQUEST_CATEGORIES = ("RequestResponse", "GatewayLogs")
_SUBSCRIPTION = re.compile(r"/SUBSCRIPTIONS/([^/]+)", re.IGNORECASE)
_ACCOUNT = re.compile(r"/(?:ACCOUNTS|SERVICE)/([^/]+)", re.IGNORECASE)
_DEPLOYMENT = re.compile(r"/deployments/([^/?]+)")


def _score(records: Sequence[dict[str, Any]], category: str) -> float:
    rows = records[:20]
    if not rows:
        return 0.0
    base = key_score(rows, _SIGNATURE, must=("time", "resourceId", "category"))
    cats = sum(1 for r in rows if isinstance(r, dict) and r.get("category") == category)
    return min(1.0, base * 0.6 + 0.4 * cats / len(rows)) if cats else 0.4 * base


def score(records: Sequence[dict[str, Any]]) -> float:
    """Azure diagnostic keys, boosted when ``category`` is ``RequestResponse``."""
    return _score(records, "RequestResponse")


def score_apim(records: Sequence[dict[str, Any]]) -> float:
    """Azure diagnostic keys, boosted when ``category`` is ``GatewayLogs``."""
    return _score(records, "GatewayLogs")


def _properties(rec: dict[str, Any]) -> dict[str, Any]:
    props = rec.get("properties")
    if blank(props) is None:
        return {}
    props = maybe_json(props)
    if not isinstance(props, dict):
        raise RecordError("Azure properties is neither an object nor a JSON object string")
    return props


def _latency(rec: dict[str, Any]) -> int | None:
    ms = to_int(rec.get("durationMs"))
    return ms if ms is not None and ms >= 0 else None  # negative durations occur; they are noise


def _request_response(rec: dict[str, Any], props: dict[str, Any], sub: str | None,
                      resource: str | None) -> dict[str, Any]:
    object_id = text(props.get("objectId"))
    return canonical(
        # API-key callers have no objectId; native logs do not say which key, so every
        # key-auth caller of one resource is one account ("apikey:<resource>")
        account=object_id or (f"apikey:{resource}" if resource else "unknown:azure"),
        timestamp=blank(rec.get("time")),
        org=sub,
        ip=text(rec.get("callerIpAddress")),
        model=text(first(props.get("modelName"), props.get("modelDeploymentName"))),
        status=to_int(rec.get("resultSignature")),
        latency_ms=_latency(rec),
        request_id=text(rec.get("correlationId")),
    )


def _gateway(rec: dict[str, Any], props: dict[str, Any], sub: str | None) -> dict[str, Any]:
    req = maybe_json(first(props.get("requestBody"), props.get("backendRequestBody")))
    resp = maybe_json(first(props.get("responseBody"), props.get("backendResponseBody")))
    headers = maybe_json(props.get("requestHeaders"))
    ua = None
    if isinstance(headers, dict):
        ua = first(*(v for k, v in headers.items() if str(k).lower() == "user-agent"))
    model = dig(req, "model") if isinstance(req, dict) else None
    if model is None:
        m = _DEPLOYMENT.search(text(first(props.get("backendUrl"), props.get("url"))) or "")
        model = m.group(1) if m else None
    return canonical(
        account=text(props.get("apimSubscriptionId")) or "unknown:azure-apim",
        timestamp=blank(rec.get("time")),
        org=sub,
        ip=text(rec.get("callerIpAddress")),
        user_agent=text(ua),
        model=text(model),
        prompt=chat_user_text(req),
        response=chat_response_text(resp),
        input_tokens=to_int(dig(resp, "usage.prompt_tokens")),
        output_tokens=to_int(dig(resp, "usage.completion_tokens")),
        status=to_int(first(props.get("responseCode"), props.get("backendResponseCode"))),
        latency_ms=_latency(rec),
        request_id=text(rec.get("correlationId")),
    )


def convert(record: dict[str, Any]) -> dict[str, Any] | None:
    """One diagnostic record -> canonical; ``None`` for non-request categories (Audit, Trace)."""
    rec = require_dict(record)
    category = blank(rec.get("category"))
    if category is not None and category not in _REQUEST_CATEGORIES:
        return None
    if blank(rec.get("time")) is None:
        raise RecordError("Azure record has no time")
    props = _properties(rec)
    resource_id = text(rec.get("resourceId")) or ""
    m = _SUBSCRIPTION.search(resource_id)
    sub = m.group(1).lower() if m else None
    if category == "GatewayLogs" or "apimSubscriptionId" in props:
        return _gateway(rec, props, sub)
    m = _ACCOUNT.search(resource_id)
    return _request_response(rec, props, sub, m.group(1).lower() if m else None)


_COMMON = {
    "timestamp": "time",
    "org": "resourceId subscription id (lower case)",
    "latency_ms": "durationMs (negative values dropped)",
    "request_id": "correlationId",
}

PRESET = register(Preset(
    name="azure",
    title="Azure OpenAI resource logs, RequestResponse category (JSON Lines)",
    container="json",
    score=score,
    convert=convert,
    sources={
        **_COMMON,
        "account": "properties.objectId (Entra callers) | apikey:<resource name> (key callers)",
        "ip": "callerIpAddress (last octet masked, kept as written)",
        "model": "properties.modelName | properties.modelDeploymentName",
        "status": "resultSignature",
    },
    missing=("api_key", "user_agent", "prompt", "response", "input_tokens", "output_tokens"),
))

PRESET_APIM = register(Preset(
    name="azure-apim",
    title="Azure API Management GatewayLogs in front of Azure OpenAI (JSON Lines)",
    container="json",
    score=score_apim,
    convert=convert,
    sources={
        **_COMMON,
        "account": "properties.apimSubscriptionId",
        "ip": "callerIpAddress (full address)",
        "user_agent": "properties.requestHeaders.User-Agent (only when configured)",
        "model": "properties.requestBody.model | /deployments/<name> in backendUrl",
        "prompt": "properties.requestBody messages (body logging only)",
        "response": "properties.responseBody choices[0].message.content",
        "input_tokens": "properties.responseBody.usage.prompt_tokens",
        "output_tokens": "properties.responseBody.usage.completion_tokens",
        "status": "properties.responseCode",
    },
    missing=("api_key",),
))
