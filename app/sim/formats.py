"""How a chunk of simulated events looks in each supported export format.

``canonical`` is the importer's own column set (csv / jsonl / parquet). ``bedrock`` follows AWS
Bedrock model invocation logs (one JSON record per line; no client IP or user agent, because
Bedrock does not log them). ``litellm`` follows a ``psql \\copy`` CSV dump of LiteLLM's
``LiteLLM_SpendLogs`` table (jsonb columns with ``", "`` separators and shortest-key-first key
order, sha256 ``api_key``). See ``/work/shared/log-formats.md`` sections 1, 2 and 13.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .events import Chunk
from .population import MODELS, ROLES, World
from .textcols import hex_id, int_text, iso_ms, join, json_str_or_null, json_text, uuid_str

__all__ = ["CANONICAL_COLUMNS", "LITELLM_COLUMNS", "Tables", "canonical_table", "jsonl_lines",
           "bedrock_lines", "litellm_table", "BEDROCK_MODEL_IDS"]

CANONICAL_COLUMNS = ("account", "timestamp", "org", "api_key", "ip", "user_agent", "model", "prompt",
                     "response", "input_tokens", "output_tokens", "status", "latency_ms", "request_id")
LITELLM_COLUMNS = ("request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens",
                   "completion_tokens", "startTime", "endTime", "completionStartTime", "model",
                   "model_group", "custom_llm_provider", "api_base", "user", "metadata", "cache_hit",
                   "cache_key", "request_tags", "team_id", "organization_id", "end_user",
                   "requester_ip_address", "messages", "response", "session_id", "status",
                   "request_duration_ms")
BEDROCK_MODEL_IDS = ("anthropic.claude-haiku-4-5-20251001-v1:0", "anthropic.claude-sonnet-4-5-20250929-v1:0",
                     "anthropic.claude-opus-4-5-20251101-v1:0", "anthropic.claude-sonnet-5-20260513-v1:0")
_LITELLM_MODELS = ("claude-haiku-4-5-20251001", "claude-sonnet-4-5-20250929", "claude-opus-4-5-20251101",
                   "claude-sonnet-5-20260513")
_PRICE = np.array([(1.0, 5.0), (3.0, 15.0), (5.0, 25.0), (3.0, 15.0)]) / 1e6  # USD per token in/out
_ERROR_CODE = {429: "ThrottlingException", 500: "InternalServerException", 529: "ServiceUnavailableException",
               400: "ValidationException"}
_REGIONS = ("us-east-1", "us-east-1", "us-west-2", "eu-central-1", "eu-west-1", "ap-northeast-1")


class Tables:
    """String tables of one world as Arrow arrays, plus the per-format account names."""

    def __init__(self, w: World, fmt: str):
        rng = np.random.default_rng([w.seed, 77])
        self.w = w
        self.org_of = w.org
        self.orgs, self.keys, self.ips, self.uas = w.orgs, w.keys, w.ips, w.uas
        self.models = pa.array(MODELS, pa.string())
        self.account = w.account_ids
        if fmt == "bedrock":
            aws = rng.integers(10**11, 10**12, len(w.orgs))
            self.aws_account = pa.array([str(a) for a in aws.tolist()], pa.string())
            self.region = pa.array([_REGIONS[i] for i in rng.integers(0, len(_REGIONS), len(w.orgs))],
                                   pa.string())
            role_based = np.isin(w.role, [ROLES.index("enterprise"), ROLES.index("university_lab")])
            self.account = pa.array(
                [f"arn:aws:sts::{aws[o]}:assumed-role/BedrockInvoke/{a}" if r else f"arn:aws:iam::{aws[o]}:user/{a}"
                 for a, o, r in zip(w.account_ids.to_pylist(), w.org.tolist(), role_based.tolist())], pa.string())
        if fmt == "litellm":
            first_key = w.keys.take(pa.array(w.key_off)).to_pylist()
            self.key_hash = pa.array([hashlib.sha256(f"sk-{k[4:]}".encode()).hexdigest()
                                      for k in first_key], pa.string())


def _take(arr: pa.Array, idx: np.ndarray) -> pa.Array:
    return arr.take(pa.array(np.asarray(idx, dtype=np.int64)))


def canonical_table(t: Tables, ch: Chunk) -> pa.Table:
    """The canonical columns, in order, with the documented types."""
    return pa.table({
        "account": _take(t.account, ch.acct),
        "timestamp": iso_ms(ch.ts),
        "org": _take(t.orgs, t.org_of[ch.acct]),
        "api_key": _take(t.keys, ch.key),
        "ip": _take(t.ips, ch.ip),
        "user_agent": _take(t.uas, ch.ua),
        "model": _take(t.models, ch.model),
        "prompt": ch.prompt,
        "response": ch.response,
        "input_tokens": pa.array(ch.in_tok, pa.int64()),
        "output_tokens": pa.array(ch.out_tok, pa.int64()),
        "status": pa.array(ch.status.astype(np.int64), pa.int64()),
        "latency_ms": pa.array(ch.latency, pa.int64()),
        "request_id": hex_id(ch.rid, "req_"),
    })


def jsonl_lines(table: pa.Table) -> pa.Array:
    """One compact JSON object per row (with trailing newline) from a canonical table."""
    parts: list = []
    for i, name in enumerate(table.column_names):
        col = table.column(name).combine_chunks()
        parts.append(("{" if i == 0 else ",") + f'"{name}":')
        if pa.types.is_integer(col.type):
            parts.append(pc.fill_null(col.cast(pa.string()), "null"))
        else:
            parts.append(json_str_or_null(col, escape=name in ("prompt", "response")))
    parts.append("}\n")
    return join(*parts)


def bedrock_lines(t: Tables, ch: Chunk) -> pa.Array:
    """Bedrock ``ModelInvocationLog`` records (Anthropic messages bodies), one per line."""
    org = t.org_of[ch.acct]
    ok = ch.status == 200
    model_id = _take(pa.array(BEDROCK_MODEL_IDS), ch.model)
    stop = pa.array(np.where(ch.out_tok >= ch.max_tokens, "max_tokens", "end_turn"))
    out_body = pc.fill_null(join(
        '{"id":"msg_bdrk_', hex_id(ch.rid, "", 24), '","type":"message","role":"assistant","model":"',
        _take(t.models, ch.model), '","content":[{"type":"text","text":"', json_text(ch.response),
        '"}],"stop_reason":"', stop, '","stop_sequence":null,"usage":{"input_tokens":', int_text(ch.in_tok),
        ',"output_tokens":', int_text(ch.out_tok), "}}"), "null")
    err = pa.array([("" if s == 200 else f',"errorCode":"{_ERROR_CODE.get(s, "InternalServerException")}"')
                    for s in ch.status.tolist()], pa.string()) if not ok.all() else pa.scalar("", pa.string())
    return join(
        '{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"', iso_ms(ch.ts, millis=False),
        '","accountId":"', _take(t.aws_account, org), '","identity":{"arn":"', _take(t.account, ch.acct),
        '"},"region":"', _take(t.region, org), '","requestId":"', uuid_str(ch.rid),
        '","operation":"InvokeModel","modelId":"', model_id,
        '","input":{"inputContentType":"application/json","inputBodyJson":{"anthropic_version":'
        '"bedrock-2023-05-31","max_tokens":', int_text(ch.max_tokens),
        ',"messages":[{"role":"user","content":[{"type":"text","text":"', json_text(ch.prompt),
        '"}]}]},"inputTokenCount":', int_text(ch.in_tok),
        '},"output":{"outputContentType":"application/json","outputBodyJson":', out_body,
        ',"outputTokenCount":', int_text(ch.out_tok), "}", err, "}\n")


def litellm_table(t: Tables, ch: Chunk) -> pa.Table:
    """A ``LiteLLM_SpendLogs`` dump: psql CSV with jsonb text in metadata/messages/response."""
    ok = ch.status == 200
    n = len(ch)
    rid = uuid_str(ch.rid, "chatcmpl-")
    user = _take(t.account, ch.acct)
    key_hash = _take(t.key_hash, ch.acct)
    team = _take(t.orgs, t.org_of[ch.acct])
    ip = _take(t.ips, ch.ip)
    model = _take(pa.array(_LITELLM_MODELS), ch.model)
    group = _take(t.models, ch.model)
    status = pa.array(np.where(ok, "success", "failure"))
    spend = (ch.in_tok * _PRICE[ch.model, 0] + ch.out_tok * _PRICE[ch.model, 1]) * ok
    metadata = join('{"status": "', status, '", "user_api_key": "', key_hash, '", "user_api_key_alias": "',
                    user, '", "user_api_key_org_id": null, "requester_ip_address": "', ip,
                    '", "user_api_key_team_id": "', team, '", "user_api_key_user_id": "', user, '"}')
    messages = join('[{"role": "user", "content": "', json_text(ch.prompt), '"}]')
    created = int_text(ch.ts // 1000)
    tot = int_text(ch.in_tok + ch.out_tok)
    response = pc.fill_null(join(
        '{"id": "', rid, '", "model": "', model, '", "usage": {"total_tokens": ', tot, ', "prompt_tokens": ',
        int_text(ch.in_tok), ', "completion_tokens": ', int_text(ch.out_tok),
        '}, "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", '
        '"content": "', json_text(ch.response), '"}, "finish_reason": "stop"}], "created": ', created, "}"),
        "{}")
    end_user = pa.array(np.char.add("eu-", ch.end_user.astype(str)), pa.string())
    end_user = pc.if_else(pa.array(ch.end_user >= 0), end_user, pa.nulls(n, pa.string()))
    null = pa.nulls(n, pa.string())
    cols = {
        "request_id": rid, "call_type": pa.repeat(pa.scalar("acompletion"), n), "api_key": key_hash,
        "spend": pa.array(np.round(spend, 8)), "total_tokens": pa.array(ch.in_tok + ch.out_tok),
        "prompt_tokens": pa.array(ch.in_tok), "completion_tokens": pa.array(ch.out_tok),
        "startTime": iso_ms(ch.ts, " ", ""), "endTime": iso_ms(ch.ts + ch.latency, " ", ""),
        "completionStartTime": iso_ms(ch.ts + ch.latency // 4, " ", ""), "model": model,
        "model_group": group, "custom_llm_provider": pa.repeat(pa.scalar("anthropic"), n),
        "api_base": pa.repeat(pa.scalar("https://api.anthropic.com/v1/messages"), n), "user": user,
        "metadata": metadata, "cache_hit": pa.repeat(pa.scalar("False"), n),
        "cache_key": pa.repeat(pa.scalar("Cache OFF"), n), "request_tags": pa.repeat(pa.scalar("[]"), n),
        "team_id": team, "organization_id": null, "end_user": end_user, "requester_ip_address": ip,
        "messages": messages, "response": response, "session_id": null, "status": status,
        "request_duration_ms": pa.array(ch.latency),
    }
    return pa.table({k: cols[k] for k in LITELLM_COLUMNS})
