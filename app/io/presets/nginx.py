"""nginx JSON access logs (``log_format ... escape=json``), the edge record of an LLM gateway.

Why a preset: the gateway's own logs rarely hold the client IP and user agent; the reverse proxy
in front of it does. Key names are operator-chosen, so the common ``$variable`` names are
matched. The client IP is the first public ``X-Forwarded-For`` hop (``remote_addr`` is the load
balancer when there is one; the first hop is client-supplied and can be forged). An API key or
``Authorization`` header, if logged, is hashed (:func:`~.base.hash_secret`), never stored. With
no key or user field the account is ``None``: such rows serve to enrich other events by
``request_id`` (``--enrich-by request_id``), which is their main use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .base import (Preset, RecordError, access_account, blank, canonical, client_ip, first,
                   register, require_dict, text, to_int)

__all__ = ["PRESET", "score", "convert", "TIME_KEYS"]

TIME_KEYS = ("time_iso8601", "time_local", "time", "timestamp", "@timestamp", "msec")
_SIGNATURE = ("remote_addr", "http_x_forwarded_for", "request_method", "request_uri", "status",
              "request_length", "bytes_sent", "body_bytes_sent", "request_time",
              "upstream_response_time", "http_user_agent", "http_referer", "request_id",
              "server_protocol", "upstream_addr", "host")


def score(records: Sequence[dict[str, Any]]) -> float:
    """nginx ``$variable`` key overlap; a record without ``remote_addr``/``http_*`` keys or a time
    key scores 0 (Envoy's ``start_time``/``downstream_remote_address`` are not nginx's)."""
    rows = records[:20]
    if not rows:
        return 0.0
    total = 0.0
    for r in rows:
        if not isinstance(r, dict) or not any(k in r for k in TIME_KEYS):
            continue
        if "remote_addr" not in r and "http_user_agent" not in r:
            continue
        hits = sum(1 for k in _SIGNATURE if k in r)
        total += min(1.0, hits / 6)  # six common variables are as sure as it gets
    return total / len(rows)


def _ms_from_seconds(value: Any) -> int | None:
    v = blank(value)
    if v is None:
        return None
    try:
        return int(round(float(str(v).split(",")[0]) * 1000))
    except ValueError:
        return None


def convert(record: dict[str, Any]) -> dict[str, Any] | None:
    """One access-log line -> canonical (account ``None`` unless a key/user field was logged)."""
    rec = require_dict(record)
    ts = first(*(rec.get(k) for k in TIME_KEYS))
    if ts is None:
        raise RecordError("nginx record has no time field (" + ", ".join(TIME_KEYS) + ")")
    account, api_key = access_account(rec)
    latency = _ms_from_seconds(rec.get("request_time"))
    if latency is None:
        latency = _ms_from_seconds(rec.get("upstream_response_time"))
    return canonical(
        account=account,
        timestamp=ts,
        api_key=api_key,
        ip=client_ip(rec.get("http_x_forwarded_for"), rec.get("remote_addr")),
        user_agent=text(rec.get("http_user_agent")),
        status=to_int(rec.get("status")),
        latency_ms=latency,
        request_id=text(rec.get("request_id")),
    )


PRESET = register(Preset(
    name="nginx",
    title="nginx JSON access log",
    container="json",
    score=score,
    convert=convert,
    sources={
        "account": "hashed http_x_api_key | http_authorization, else http_x_user_id | remote_user",
        "timestamp": "|".join(TIME_KEYS),
        "api_key": "hashed http_x_api_key | http_authorization",
        "ip": "first public hop of http_x_forwarded_for, else remote_addr",
        "user_agent": "http_user_agent",
        "status": "status",
        "latency_ms": "request_time (seconds) x 1000",
        "request_id": "request_id",
    },
    missing=("org", "model", "prompt", "response", "input_tokens", "output_tokens"),
))
