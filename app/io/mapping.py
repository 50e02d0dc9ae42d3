"""Guess which source column holds which canonical field, and let the analyst override it.

Generic exports (a CSV from a home-grown gateway, a JSON Lines dump) name their columns in a
hundred ways; the guess compares normalised names against the aliases below, exact matches
first. ``--map source_column=field`` always wins, and the final mapping is stored with the
import so the case records how every column was read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from app.core.canonical import FIELDS, REQUIRED
from app.core.errors import InputError

__all__ = ["ALIASES", "guess_mapping", "parse_overrides", "resolve_mapping", "flatten_record"]

#: canonical field -> source names seen in real exports (normalised: lower case, alnum only)
ALIASES: dict[str, tuple[str, ...]] = {
    "account": ("account", "accountid", "accountname", "user", "userid", "username", "customer",
                "customerid", "client", "clientid", "principal", "principalid", "identity",
                "identityarn", "apikeyname", "keyname", "subscription", "subscriptionid",
                "enduser", "enduserid", "requestuserid", "actor"),
    "timestamp": ("timestamp", "ts", "time", "datetime", "eventtime", "createdat", "created",
                  "requesttime", "requestcreatedat", "starttime", "loggingtime", "timeiso8601",
                  "date", "eventtimestamp", "timegenerated"),
    "org": ("org", "orgid", "organization", "organizationid", "organisation", "team", "teamid",
            "workspace", "workspaceid", "project", "projectid", "tenant", "tenantid"),
    "api_key": ("apikey", "apikeyid", "apikeyhash", "key", "keyid", "keyhash", "token", "tokenid"),
    "ip": ("ip", "ipaddress", "clientip", "clientipaddress", "remoteaddr", "remoteip", "sourceip",
           "sourceipaddress", "callerip", "calleripaddress", "requesteripaddress", "cip", "srcip"),
    "user_agent": ("useragent", "ua", "httpuseragent", "csuseragent", "agent", "clientuseragent"),
    "model": ("model", "modelid", "modelname", "engine", "deployment", "modelpermaslug",
              "requestmodel"),
    "prompt": ("prompt", "prompttext", "input", "inputtext", "query", "question", "requesttext",
               "message", "usermessage"),
    "response": ("response", "responsetext", "completion", "completiontext", "output",
                 "outputtext", "answer"),
    "input_tokens": ("inputtokens", "prompttokens", "tokensin", "tokensprompt", "inputtokencount",
                     "ntokensin"),
    "output_tokens": ("outputtokens", "completiontokens", "tokensout", "tokenscompletion",
                      "outputtokencount"),
    "status": ("status", "statuscode", "httpstatus", "responsecode", "responsestatus",
               "resultsignature"),
    "latency_ms": ("latencyms", "latency", "durationms", "duration", "elapsedms",
                   "responsetimems", "generationtimems"),
    "request_id": ("requestid", "xrequestid", "generationid", "correlationid", "traceid",
                   "responseid"),
}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def guess_mapping(columns: Sequence[str]) -> dict[str, str]:
    """Map source columns to canonical fields by name; returns {source_column: field}.

    A dotted JSON path is matched on its full name first, then on its last part
    (``identity.arn`` -> ``identityarn``, then ``arn``), so nested logs map too.
    """
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(_norm(col), col)
    for col in columns:  # last path part, weaker than a full-name match
        if "." in col:
            by_norm.setdefault(_norm(col.rsplit(".", 1)[1]), col)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for field, aliases in ALIASES.items():
        for alias in aliases:
            col = by_norm.get(alias)
            if col is not None and col not in taken:
                mapping[col] = field
                taken.add(col)
                break
    return mapping


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """``["src=field", ...]`` -> {src: field}; unknown fields are an InputError."""
    out: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise InputError(f"--map {pair!r}: expected SOURCE_COLUMN=FIELD")
        src, field = (p.strip() for p in pair.rsplit("=", 1))
        if field not in FIELDS:
            raise InputError(f"--map {pair!r}: unknown field {field!r} (fields: {', '.join(FIELDS)})")
        if not src:
            raise InputError(f"--map {pair!r}: empty source column")
        out[src] = field
    return out


def resolve_mapping(columns: Sequence[str], overrides: dict[str, str], where: str) -> dict[str, str]:
    """The final {source: field} mapping: guesses, overridden, checked for required fields."""
    missing_src = [src for src in overrides if src not in columns]
    if missing_src:
        shown = ", ".join(list(columns)[:40])
        raise InputError(f"{where}: --map names a column that is not in the file: "
                         f"{', '.join(missing_src)} (columns: {shown})")
    mapping = guess_mapping(columns)
    overridden_fields = set(overrides.values())
    mapping = {src: f for src, f in mapping.items() if f not in overridden_fields and src not in overrides}
    mapping.update(overrides)
    have = set(mapping.values())
    for field in REQUIRED:
        if field not in have:
            shown = ", ".join(list(columns)[:40])
            raise InputError(f"{where}: no column for the required field '{field}' "
                             f"(columns: {shown}); name it with --map COLUMN={field}")
    return mapping


def flatten_record(obj: dict[str, Any], prefix: str = "", out: dict[str, Any] | None = None,
                   depth: int = 0) -> dict[str, Any]:
    """Nested JSON object -> {dotted.path: scalar}; lists are kept as JSON text."""
    if out is None:
        out = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and depth < 6:
            flatten_record(value, name + ".", out, depth + 1)
        elif isinstance(value, list):
            out[name] = json.dumps(value, ensure_ascii=False)
        else:
            out[name] = value
    return out
