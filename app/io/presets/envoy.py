"""Envoy JSON access logs (``json_format``; Envoy Gateway / Istio key names).

Why a preset: like nginx, Envoy at the edge of an LLM gateway sees the client address and user
agent the provider-side logs lack. ``downstream_remote_address`` carries a port (stripped); the
first public ``x_forwarded_for`` hop wins over it when present, since behind a load balancer the
downstream peer is the balancer. Secrets are hashed, and rows without a key/user field exist to
enrich other events by ``request_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .base import (Preset, RecordError, access_account, blank, canonical, client_ip, first,
                   register, require_dict, text, to_int)

__all__ = ["PRESET", "score", "convert"]

_SIGNATURE = ("start_time", "method", "path", "protocol", "response_code", "response_flags",
              "bytes_received", "bytes_sent", "duration", "upstream_service_time",
              "x_forwarded_for", "user_agent", "request_id", "authority", "upstream_host",
              "downstream_remote_address", "upstream_cluster")


def score(records: Sequence[dict[str, Any]]) -> float:
    """Envoy key overlap; ``start_time`` plus ``response_code`` or ``duration`` required."""
    rows = records[:20]
    if not rows:
        return 0.0
    total = 0.0
    for r in rows:
        if not isinstance(r, dict) or "start_time" not in r:
            continue
        if "response_code" not in r and "duration" not in r:
            continue
        total += min(1.0, sum(1 for k in _SIGNATURE if k in r) / 6)
    return total / len(rows)


def convert(record: dict[str, Any]) -> dict[str, Any] | None:
    """One access-log entry -> canonical (account ``None`` unless a key/user field was logged)."""
    rec = require_dict(record)
    ts = first(rec.get("start_time"), rec.get("timestamp"))
    if ts is None:
        raise RecordError("Envoy record has no start_time")
    account, api_key = access_account(rec)
    return canonical(
        account=account,
        timestamp=ts,
        api_key=api_key,
        ip=client_ip(rec.get("x_forwarded_for"), rec.get("downstream_remote_address")),
        user_agent=text(rec.get("user_agent")),
        status=to_int(rec.get("response_code")),
        latency_ms=to_int(blank(rec.get("duration"))),
        request_id=text(rec.get("request_id")),
    )


PRESET = register(Preset(
    name="envoy",
    title="Envoy JSON access log",
    container="json",
    score=score,
    convert=convert,
    sources={
        "account": "hashed x_api_key | authorization, else x_user_id | user_id",
        "timestamp": "start_time",
        "api_key": "hashed x_api_key | authorization",
        "ip": "first public hop of x_forwarded_for, else downstream_remote_address without port",
        "user_agent": "user_agent",
        "status": "response_code",
        "latency_ms": "duration",
        "request_id": "request_id",
    },
    missing=("org", "model", "prompt", "response", "input_tokens", "output_tokens"),
))
