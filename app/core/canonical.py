"""The canonical event record every reader produces and the case stores.

Readers in ``app.io`` map whatever an export calls its columns onto these names; the ingest
step in :mod:`app.core.ingest` only ever sees these. Keeping the list in one place is what
lets a CSV from one gateway and a Bedrock log from another land in the same case.
"""

__all__ = ["FIELDS", "REQUIRED", "INTEGER_FIELDS", "describe"]

#: canonical field -> one-line meaning (shown by ``hydrascope import --help`` and the mapping dialog)
FIELDS: dict[str, str] = {
    "account": "the actor that can be banned: API key alias, user id, IAM principal, subscription",
    "timestamp": "request time: ISO 8601 (with or without offset) or epoch s/ms/us/ns; stored as UTC ms",
    "org": "organisation, team, workspace, project or cloud account",
    "api_key": "API key id, alias or hash",
    "ip": "client IP address (first public hop when behind a proxy)",
    "user_agent": "client user-agent string",
    "model": "model requested or served",
    "prompt": "user-turn prompt text",
    "response": "model response text",
    "input_tokens": "prompt tokens",
    "output_tokens": "completion tokens",
    "status": "HTTP status code (or 200/500 for success/failure)",
    "latency_ms": "request duration in milliseconds",
    "request_id": "the export's request id, used to join sources (--enrich-by request_id)",
}

REQUIRED: tuple[str, ...] = ("account", "timestamp")

INTEGER_FIELDS: tuple[str, ...] = ("input_tokens", "output_tokens", "status", "latency_ms")


def describe() -> str:
    """Return the field list as aligned text, required fields marked."""
    width = max(map(len, FIELDS))
    lines = []
    for name, meaning in FIELDS.items():
        mark = " (required)" if name in REQUIRED else ""
        lines.append(f"  {name:<{width}}  {meaning}{mark}")
    return "\n".join(lines)
