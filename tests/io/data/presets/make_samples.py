"""Write the preset sample files (one small, hand-checkable export per real format).

Why this script exists: the samples must follow each public schema field for field (names,
nesting, value styles, timestamp style, container quirks) and must be reproducible, so they are
generated here rather than edited by hand. ``python make_samples.py [OUTDIR]`` rewrites them
(default: this folder); the output is byte-for-byte deterministic (gzip mtime 0, no randomness).

The story shared by the files, so later enrichment tests can join them:

* a distillation-style campaign: several accounts sending one prompt template
  (``CAMPAIGN``) from the same few addresses in 81.2.69.0/24 and 89.160.20.0/24;
* innocent traffic: diverse prompts from other accounts;
* ``nginx_access.jsonl`` sits in front of the LiteLLM proxy and logs the gateway's request id,
  so four of its lines share ``request_id`` with ``litellm_spendlogs.csv``;
* ``envoy_access.jsonl`` fronts an app that calls Bedrock and logs the ``x-amzn-RequestId`` it
  got back, so four of its lines share ``request_id`` with ``bedrock_invocations.jsonl.gz``;
* end-user ``u-7f3a`` appears in Helicone, Cloudflare and Langfuse.

Deliberately broken records are marked ``BROKEN`` below; the tests expect RecordError for them.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

CAMPAIGN = "You are a meticulous tutor. Solve step by step and show every intermediate result: {}"
PROBLEMS = [
    "integrate x^2 * e^x dx",
    "prove that sqrt(2) is irrational",
    "find all real roots of x^3 - 6x^2 + 11x - 6",
    "compute the determinant of [[2,1],[1,3]]",
    "sum the series 1/2 + 1/4 + 1/8 + ...",
    "solve 3x + 7 = 22",
    "differentiate sin(x) * ln(x)",
    "count the subsets of a 5-element set",
]
BENIGN = [
    "Write a haiku about autumn rain.",
    "Summarise the plot of Hamlet in two sentences.",
    "What is the capital of Australia?",
    "Translate 'good morning' into Portuguese.",
    "Suggest a name for a bakery.",
    "Explain what a hash map is to a child.",
]
ANSWER = "Step 1: restate the problem. Step 2: apply the method. Result: done."


def sha256(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def jl(records: list) -> str:
    return "".join(json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n" for r in records)


# ------------------------------------------------------------------------------------ Bedrock
BEDROCK_IDS = [f"{i:08x}-5561-4431-93b8-06a8172759{i:02d}" for i in range(1, 21)]
APP_ROLE = "arn:aws:sts::111122223333:assumed-role/app-backend-role/i-0abc1234def567890"
PARTNER = "arn:aws:sts::444455556666:assumed-role/partner-integration/session-{:02d}"


def _anthropic_in(prompt: str | list, system: str | None = None) -> dict:
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 1024}
    if system:
        body["system"] = system
    body["messages"] = [{"role": "user", "content": prompt}]
    return body


def _anthropic_out(text: str, tin: int, tout: int) -> dict:
    return {"id": "msg_bdrk_01Xq", "type": "message", "role": "assistant",
            "model": "claude-3-5-sonnet-20241022", "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": tin, "output_tokens": tout}}


def bedrock_records() -> list:
    recs = []

    def rec(i, ts, arn, acct, op, model, inp, out, extra=None):
        r = {"schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "timestamp": ts,
             "accountId": acct, "identity": {"arn": arn}, "region": "us-east-1",
             "requestId": BEDROCK_IDS[i], "operation": op, "modelId": model, "input": inp}
        if out is not None:
            r["output"] = out
        r.update(extra or {})
        recs.append(r)

    claude = "anthropic.claude-3-5-sonnet-20241022-v2:0"
    # 0-5: campaign, InvokeModel with Anthropic body, content as a plain string, one system prompt
    for i in range(6):
        p = CAMPAIGN.format(PROBLEMS[i])
        rec(i, f"2025-05-14T02:10:{3 + i * 2:02d}Z", PARTNER.format(i % 3 + 1), "444455556666",
            "InvokeModel", claude,
            {"inputContentType": "application/json",
             "inputBodyJson": _anthropic_in(p, system="Answer like a textbook."),
             "inputTokenCount": 31 + i, "cacheReadInputTokenCount": 0,
             "cacheWriteInputTokenCount": 0},
            {"outputContentType": "application/json",
             "outputBodyJson": _anthropic_out(ANSWER, 31 + i, 17), "outputTokenCount": 17})
    # 6: content as blocks, two user turns
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 512, "messages": [
        {"role": "user", "content": [{"type": "text", "text": BENIGN[0]}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Rain on red leaves..."}]},
        {"role": "user", "content": [{"type": "text", "text": "Now one about snow."},
                                     {"type": "image", "source": {"type": "base64",
                                                                  "media_type": "image/png",
                                                                  "data": "iVBORw0KGgo="}}]}]}
    rec(6, "2025-05-14T02:11:00Z", APP_ROLE, "111122223333", "InvokeModel", claude,
        {"inputContentType": "application/json", "inputBodyJson": body, "inputTokenCount": 40},
        {"outputContentType": "application/json",
         "outputBodyJson": _anthropic_out("Snow hushes the street...", 40, 9),
         "outputTokenCount": 9})
    # 7-9: Converse (Nova), the shape of AWS's own example record
    for j, i in enumerate(range(7, 10)):
        rec(i, f"2025-05-14T02:12:{j * 5:02d}Z", APP_ROLE, "111122223333", "Converse",
            "amazon.nova-lite-v1:0",
            {"inputContentType": "application/json",
             "inputBodyJson": {"messages": [{"role": "user", "content": [{"text": BENIGN[j + 1]}]}],
                               "system": [{"text": "Be brief."}],
                               "inferenceConfig": {"maxTokens": 512, "temperature": 0.7,
                                                   "topP": 0.9, "stopSequences": []},
                               "additionalModelRequestFields": {}},
             "inputTokenCount": 4 + j, "cacheReadInputTokenCount": 0,
             "cacheWriteInputTokenCount": 0},
            {"outputContentType": "application/json",
             "outputBodyJson": {"output": {"message": {"role": "assistant",
                                                       "content": [{"text": f"Answer {j}."}]}},
                                "stopReason": "end_turn", "metrics": {"latencyMs": 300 + j},
                                "usage": {"inputTokens": 4 + j, "outputTokens": 3,
                                          "totalTokens": 7 + j}},
             "outputTokenCount": 3})
    # 10: streaming InvokeModel: the output body is the list of stream events
    events = [{"type": "message_start", "message": {"id": "msg_bdrk_02", "role": "assistant"}},
              {"type": "content_block_start", "index": 0,
               "content_block": {"type": "text", "text": ""}},
              {"type": "content_block_delta", "index": 0,
               "delta": {"type": "text_delta", "text": "Canber"}},
              {"type": "content_block_delta", "index": 0,
               "delta": {"type": "text_delta", "text": "ra."}},
              {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
               "usage": {"output_tokens": 3}},
              {"type": "message_stop"}]
    rec(10, "2025-05-14T02:13:00Z", APP_ROLE, "111122223333", "InvokeModelWithResponseStream",
        claude, {"inputContentType": "application/json",
                 "inputBodyJson": _anthropic_in(BENIGN[2]), "inputTokenCount": 14},
        {"outputContentType": "application/json", "outputBodyJson": events,
         "outputTokenCount": 3})
    # 11: throttled call: errorCode, no output
    rec(11, "2025-05-14T02:13:05Z", PARTNER.format(1), "444455556666", "InvokeModel", claude,
        {"inputContentType": "application/json",
         "inputBodyJson": _anthropic_in(CAMPAIGN.format(PROBLEMS[6])), "inputTokenCount": 0},
        None, {"errorCode": "ThrottlingException"})
    # 12: body larger than 100 KB, offloaded to S3: no prompt in the record
    rec(12, "2025-05-14T02:14:00Z", "arn:aws:iam::111122223333:user/eval-runner",
        "111122223333", "InvokeModel", claude,
        {"inputContentType": "application/json",
         "inputBodyS3Path": "s3://bedrock-logs/AWSLogs/111122223333/BedrockModelInvocationLogs/"
                            "us-east-1/2025/05/14/02/data/amazon-bedrock-logs-00012_input.json.gz",
         "inputTokenCount": 41000},
        {"outputContentType": "application/json",
         "outputBodyJson": _anthropic_out("Summary ready.", 41000, 3), "outputTokenCount": 3})
    # 13-15: more campaign traffic from the second partner session
    for k, i in enumerate(range(13, 16)):
        rec(i, f"2025-05-14T02:15:{k * 2:02d}Z", PARTNER.format(4), "444455556666", "InvokeModel",
            claude, {"inputContentType": "application/json",
                     "inputBodyJson": _anthropic_in(CAMPAIGN.format(PROBLEMS[k + 5])),
                     "inputTokenCount": 33},
            {"outputContentType": "application/json",
             "outputBodyJson": _anthropic_out(ANSWER, 33, 17), "outputTokenCount": 17})
    # not an invocation: another schemaType in the same prefix (convert returns None)
    recs.append({"schemaType": "ModelInvocationLogDeliveryCheck", "schemaVersion": "1.0",
                 "timestamp": "2025-05-14T02:00:00Z", "accountId": "111122223333"})
    # BROKEN: no timestamp
    broken = dict(recs[7])
    del broken["timestamp"]
    broken["requestId"] = BEDROCK_IDS[16]
    recs.append(broken)
    # BROKEN: a JSON value that is not an object
    recs.append(["ModelInvocationLog", "2025-05-14T02:16:00Z"])
    return recs


def write_bedrock(out: Path) -> None:
    recs = bedrock_records()
    data = jl(recs)
    # the last line of a file being written when it was copied: cut mid-record
    tail = json.dumps(recs[0], separators=(",", ":"))[:90]
    raw = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write((data + tail).encode())
    (out / "bedrock_invocations.jsonl.gz").write_bytes(raw.getvalue())


# ------------------------------------------------------------------------------------- Envoy
def write_envoy(out: Path) -> None:
    recs = []
    shared = [0, 1, 2, 13]  # bedrock requests also seen at the edge
    xff = ["81.2.69.17", "81.2.69.17, 10.8.0.4", "89.160.20.112", "81.2.69.23, 10.8.0.4"]
    for n, i in enumerate(shared):
        recs.append({"start_time": f"2025-05-14T02:10:{2 + i * 2 if i < 13 else 59:02d}.{100 + n}Z",
                     "method": "POST", "path": "/v1/tutor/solve", "protocol": "HTTP/1.1",
                     "response_code": 200, "response_flags": "-", "bytes_received": 412,
                     "bytes_sent": 1290, "duration": 1840 + n, "upstream_service_time": "1832",
                     "x_forwarded_for": xff[n], "user_agent": "python-requests/2.32.3",
                     "request_id": BEDROCK_IDS[i], "authority": "tutor.example.com",
                     "upstream_host": "10.8.3.21:8080",
                     "downstream_remote_address": "10.8.0.4:51234",
                     "x_api_key": f"tk-partner-{n % 2}"})
    agents = ["Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15",
              "okhttp/4.12.0", "curl/8.5.0"]
    for n in range(10):
        recs.append({"start_time": f"2025-05-14T02:20:{n * 5:02d}.{300 + n}Z",
                     "method": "GET" if n % 3 else "POST",
                     "path": "/v1/tutor/history" if n % 3 else "/v1/tutor/solve",
                     "protocol": "HTTP/2", "response_code": 429 if n == 4 else 200,
                     "response_flags": "-", "bytes_received": 0 if n % 3 else 377,
                     "bytes_sent": 220 + n, "duration": 12 + n, "upstream_service_time": "10",
                     "x_forwarded_for": None, "user_agent": agents[n % 3],
                     "request_id": f"9f1c2e7a-0d3b-4c11-8e6f-{n:012d}",
                     "authority": "tutor.example.com", "upstream_host": "10.8.3.22:8080",
                     "downstream_remote_address": f"175.16.199.{10 + n}:{40000 + n}",
                     "x_user_id": f"web-user-{n % 4}"})
    # BROKEN: the operator's format without any start time
    recs.append({"method": "GET", "path": "/healthz", "response_code": 200, "duration": 1,
                 "downstream_remote_address": "10.8.0.1:1000", "request_id": "hc-1"})
    (out / "envoy_access.jsonl").write_text(jl(recs))


# ----------------------------------------------------------------------------------- LiteLLM
LITELLM_COLUMNS = [
    "request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens",
    "completion_tokens", "startTime", "endTime", "request_duration_ms", "completionStartTime",
    "model", "model_id", "model_group", "custom_llm_provider", "api_base", "user", "metadata",
    "cache_hit", "cache_key", "request_tags", "team_id", "organization_id", "end_user",
    "requester_ip_address", "messages", "response", "session_id", "status",
    "mcp_namespaced_tool_name", "agent_id", "proxy_server_request"]
LITELLM_KEYS = {"sk-camp-a1": "research-bot-1", "sk-camp-a2": "research-bot-2",
                "sk-camp-a3": None, "sk-web-prod": "web-frontend", "sk-nightly-eval": "nightly-eval"}
LITELLM_IDS = [f"chatcmpl-9gRL{i:02d}hGa8nQstOJKvLjh7EyulsnT" for i in range(24)]


def _pg_ts(sec: float) -> str:
    """``timestamp(3)`` as psql prints it: trailing fractional zeros dropped."""
    whole = int(sec)
    frac = f"{sec - whole:.3f}"[2:].rstrip("0")
    base = f"2025-05-14 02:{10 + whole // 60:02d}:{whole % 60:02d}"
    return f"{base}.{frac}" if frac else base


def jsonb(obj) -> str:
    """``jsonb`` text output: ``", "``/``": "`` separators, keys shortest first."""
    def order(o):
        if isinstance(o, dict):
            return {k: order(o[k]) for k in sorted(o, key=lambda k: (len(k.encode()), k))}
        if isinstance(o, list):
            return [order(v) for v in o]
        return o
    return json.dumps(order(obj), separators=(", ", ": "), ensure_ascii=False)


def litellm_rows() -> list[dict]:
    rows = []
    plan = (  # (key, prompt or None when prompts are not stored, status, ip)
        [("sk-camp-a1", CAMPAIGN.format(PROBLEMS[i]), "success", "81.2.69.17") for i in range(4)]
        + [("sk-camp-a2", CAMPAIGN.format(PROBLEMS[i]), "success", "81.2.69.23") for i in range(4)]
        + [("sk-camp-a3", CAMPAIGN.format(PROBLEMS[i]), "success", "89.160.20.112")
           for i in range(4, 7)]
        + [("sk-camp-a3", CAMPAIGN.format(PROBLEMS[7]), "failure", "89.160.20.112")]
        + [("sk-web-prod", BENIGN[i], "success", "175.16.199.4") for i in range(6)]
        + [("sk-nightly-eval", None, "success", None) for _ in range(3)])
    for i, (key, prompt, status, ip) in enumerate(plan):
        start = i * 3.25 + (0.12 if i % 5 == 1 else 0)
        dur = 0.84 + i * 0.01
        alias = LITELLM_KEYS[key]
        meta = {"user_api_key": sha256(key), "user_api_key_alias": alias,
                "user_api_key_team_id": ("team-research" if "camp" in key else
                                         "team-eval" if "eval" in key else "team-web"),
                "user_api_key_user_id": "default_user_id", "user_api_key_org_id": None,
                "requester_ip_address": ip, "spend_logs_metadata": None,
                "applied_guardrails": [], "status": status}
        if alias is None:
            del meta["user_api_key_alias"]
        msgs = ({} if prompt is None else
                [{"role": "system", "content": "You are a helpful assistant."},
                 {"role": "user", "content": prompt}])
        resp = ({} if prompt is None or status == "failure" else
                {"id": LITELLM_IDS[i], "model": "gpt-4o-mini-2024-07-18", "object": "chat.completion",
                 "choices": [{"index": 0, "message": {"role": "assistant",
                                                      "content": ANSWER if "camp" in key else "Sure."},
                              "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": 40, "completion_tokens": 17, "total_tokens": 57}})
        newer = i >= 4  # the first rows come from before request_duration_ms existed
        rows.append({
            "request_id": LITELLM_IDS[i], "call_type": "acompletion", "api_key": sha256(key),
            "spend": f"{0.0000165 + i * 1e-7:.7f}", "total_tokens": "0" if status == "failure" else "57",
            "prompt_tokens": "0" if status == "failure" else "40",
            "completion_tokens": "0" if status == "failure" else "17",
            "startTime": _pg_ts(start), "endTime": _pg_ts(start + dur),
            "request_duration_ms": str(round(dur * 1000)) if newer else None,
            "completionStartTime": _pg_ts(start + 0.3),
            "model": "gpt-4o-mini", "model_id": "7f2a", "model_group": "gpt-4o-mini",
            "custom_llm_provider": "openai", "api_base": "https://api.openai.com/v1",
            "user": "default_user_id", "metadata": jsonb(meta), "cache_hit": "False",
            "cache_key": "", "request_tags": "[]",
            "team_id": meta["user_api_key_team_id"], "organization_id": None, "end_user": "",
            "requester_ip_address": ip if newer else None,
            "messages": jsonb(msgs), "response": jsonb(resp), "session_id": None,
            "status": status, "mcp_namespaced_tool_name": None, "agent_id": None,
            "proxy_server_request": "{}"})
    # BROKEN: startTime lost (NULL) in a hand-edited dump
    broken = dict(rows[-1], request_id=LITELLM_IDS[23], startTime=None)
    rows.append(broken)
    return rows


def _pg_csv_field(v) -> str:
    if v is None:
        return ""  # NULL: empty and unquoted
    s = str(v)
    if s == "" or any(c in s for c in ',"\n\r') or s != s.strip():
        return '"' + s.replace('"', '""') + '"'
    return s


def write_litellm(out: Path) -> None:
    rows = litellm_rows()
    lines = [",".join(LITELLM_COLUMNS)]
    lines += [",".join(_pg_csv_field(r[c]) for c in LITELLM_COLUMNS) for r in rows]
    (out / "litellm_spendlogs.csv").write_text("\n".join(lines) + "\n")
    # /spend/logs returns the same columns as JSON, jsonb columns as objects
    api = []
    for r in rows[:5] + rows[14:16]:
        o = {}
        for c in LITELLM_COLUMNS:
            v = r[c]
            if c in ("metadata", "messages", "response", "request_tags", "proxy_server_request"):
                v = json.loads(v)
            elif c in ("total_tokens", "prompt_tokens", "completion_tokens",
                       "request_duration_ms") and v is not None:
                v = int(v)
            elif c == "spend":
                v = float(v)
            elif c in ("startTime", "endTime", "completionStartTime") and v is not None:
                # FastAPI serialises the Prisma datetimes in isoformat with an offset
                v = datetime.fromisoformat(v).replace(tzinfo=timezone.utc).isoformat(
                    timespec="microseconds")
            o[c] = v
        api.append(o)
    (out / "litellm_spendlogs.json").write_text(json.dumps(api, indent=2) + "\n")


# ------------------------------------------------------------------------------------- nginx
def write_nginx(out: Path) -> None:
    rows = litellm_rows()
    recs = []
    for n, i in enumerate([0, 1, 4, 8]):  # campaign requests also seen at the edge
        key = "sk-camp-a1" if i < 4 else ("sk-camp-a2" if i < 8 else "sk-camp-a3")
        ip = rows[i]["requester_ip_address"] or json.loads(rows[i]["metadata"])["requester_ip_address"]
        sec = int(i * 3.25)
        recs.append({"time_iso8601": f"2025-05-14T02:{10 + sec // 60:02d}:{sec % 60:02d}+00:00",
                     "remote_addr": "10.0.0.5", "http_x_forwarded_for": f"{ip}, 10.0.0.5",
                     "request_method": "POST", "request_uri": "/v1/chat/completions",
                     "status": "200", "request_length": "612", "body_bytes_sent": "1408",
                     "request_time": f"{0.85 + n * 0.01:.3f}", "upstream_response_time": "0.842",
                     "http_user_agent": "OpenAI/Python 1.82.0",
                     "http_authorization": f"Bearer {key}", "request_id": LITELLM_IDS[i]})
    for n in range(12):
        recs.append({"time_iso8601": f"2025-05-14T03:0{n // 6}:{n * 4:02d}+00:00",
                     "remote_addr": f"216.160.83.{56 + n % 3}", "http_x_forwarded_for": "-",
                     "request_method": "GET", "request_uri": "/v1/models",
                     "status": "401" if n == 7 else "200", "request_length": "180",
                     "body_bytes_sent": "950", "request_time": "0.004",
                     "upstream_response_time": "0.003",
                     "http_user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0",
                     "http_authorization": "-" if n == 7 else "Bearer sk-web-prod",
                     "request_id": f"3f7a9c1e0b2d4e6f8a0b1c2d3e4f{n:04d}"})
    # BROKEN: a line where the operator's format lost its time variable
    recs.append({"remote_addr": "10.0.0.5", "request_uri": "/healthz", "status": "200",
                 "request_id": "hc-0001"})
    (out / "nginx_access.jsonl").write_text(jl(recs))


# ------------------------------------------------------------------------------------ Vertex
def write_vertex(out: Path) -> None:
    recs = []
    ep = ("https://us-central1-aiplatform.googleapis.com/v1/projects/acme-prod/locations/"
          "us-central1/publishers/google/models/gemini-2.0-flash-001")
    for i in range(10):
        camp = i < 6
        prompt = CAMPAIGN.format(PROBLEMS[i]) if camp else BENIGN[i - 6]
        req = {"contents": [{"role": "user", "parts": [{"text": prompt}]}],
               "systemInstruction": {"parts": [{"text": "Answer concisely."}]},
               "generationConfig": {"temperature": 0.2, "maxOutputTokens": 1024}}
        if camp:
            req["labels"] = {"customer_id": f"cust-{30 + i % 2}", "env": "prod"}
        elif i == 6:
            req["labels"] = {"user": "u-7f3a"}
        resp = {"candidates": [{"content": {"role": "model",
                                            "parts": [{"text": "Step 1: ..."}, {"text": " Done."}]},
                                "finishReason": "STOP", "avgLogprobs": -0.21}],
                "usageMetadata": {"promptTokenCount": 30 + i, "candidatesTokenCount": 12,
                                  "totalTokenCount": 42 + i},
                "modelVersion": "gemini-2.0-flash-001"}
        recs.append({"endpoint": ep, "deployed_model_id": None,
                     "logging_time": f"2025-05-14 02:10:{40 + i:02d}.{352000 + i * 1000} UTC",
                     "request_id": str(8461230965438127000 + i), "model": "gemini-2.0-flash-001",
                     "model_version": "001", "api_method": "generateContent",
                     # TO_JSON_STRING extracts: the JSON columns arrive as strings
                     "full_request": json.dumps(req) if i in (3, 8) else req,
                     "full_response": json.dumps(resp) if i in (3, 8) else resp,
                     "metadata": {"request_latency": str(700 + i * 10)},
                     "otel_log": None})
    # multi-turn with a model turn in between: only user turns are the prompt
    req = {"contents": [{"role": "user", "parts": [{"text": "Hi"}]},
                        {"role": "model", "parts": [{"text": "Hello!"}]},
                        {"role": "user", "parts": [{"text": "Tell me a joke"},
                                                   {"text": " about cats."}]}]}
    recs.append({"endpoint": ep, "deployed_model_id": None,
                 "logging_time": "2025-05-14 02:11:02.000000 UTC",
                 "request_id": "8461230965438127100", "model": "gemini-2.0-flash-001",
                 "model_version": "001", "api_method": "streamGenerateContent",
                 "full_request": req,
                 "full_response": [{"candidates": [{"content": {"role": "model",
                                                                "parts": [{"text": "Why did"}]}}]},
                                   {"candidates": [{"content": {"role": "model",
                                                                "parts": [{"text": " the cat..."}]}}],
                                    "usageMetadata": {"promptTokenCount": 12,
                                                      "candidatesTokenCount": 6,
                                                      "totalTokenCount": 18}}],
                 "metadata": {"request_latency": "1210"}, "otel_log": None})
    # Claude on Vertex (rawPredict): an Anthropic Messages body
    cl = ("https://us-east5-aiplatform.googleapis.com/v1/projects/acme-prod/locations/us-east5/"
          "publishers/anthropic/models/claude-3-5-sonnet-v2@20241022")
    recs.append({"endpoint": cl, "deployed_model_id": None,
                 "logging_time": "2025-05-14 02:11:09.125000 UTC",
                 "request_id": "8461230965438127101", "model": "claude-3-5-sonnet-v2@20241022",
                 "model_version": "", "api_method": "rawPredict",
                 "full_request": {"anthropic_version": "vertex-2023-10-16", "max_tokens": 256,
                                  "messages": [{"role": "user", "content": BENIGN[5]}],
                                  "labels": {"customer_id": "cust-30"}},
                 "full_response": {"id": "msg_vrtx_01", "type": "message", "role": "assistant",
                                   "content": [{"type": "text", "text": "A hash map is a magic shelf."}],
                                   "usage": {"input_tokens": 15, "output_tokens": 8}},
                 "metadata": {"request_latency": "980"}, "otel_log": None})
    # BROKEN: no logging_time
    recs.append(dict(recs[0], logging_time=None, request_id="8461230965438127200"))
    # BROKEN: full_request is neither an object nor JSON text
    recs.append(dict(recs[1], full_request="<request dropped: too large>",
                     request_id="8461230965438127201"))
    (out / "vertex_request_response.json").write_text(jl(recs))


# ------------------------------------------------------------------------------------- Azure
AZ_RES = ("/SUBSCRIPTIONS/12CABCB4-86E8-404F-A3D2-1DC9982F45CA/RESOURCEGROUPS/OBS-OPENAI-SERVICE-RS"
          "/PROVIDERS/MICROSOFT.COGNITIVESERVICES/ACCOUNTS/OBS-OPENAI-TEST-01")
APIM_RES = ("/SUBSCRIPTIONS/12CABCB4-86E8-404F-A3D2-1DC9982F45CA/RESOURCEGROUPS/OBS-OPENAI-APIM-TEST"
            "/PROVIDERS/MICROSOFT.APIMANAGEMENT/SERVICE/AZURE-OPENAI-APM")


def write_azure(out: Path) -> None:
    recs = []
    for i in range(14):
        entra = i in (2, 5, 9)
        props = {"apiName": "Azure OpenAI API version 2024-02-15-preview",
                 "requestTime": 638515262815394150 + i * 10_000_000, "requestLength": 128 + i,
                 "responseTime": 638515262825606520 + i * 10_000_000, "responseLength": 1411,
                 "objectId": "4f1c3b9e-2d7a-4e8b-9c0d-1a2b3c4d5e6f" if entra else "",
                 "streamType": "Non-Streaming", "modelDeploymentName": "gpt-chat-pilot",
                 "modelName": "gpt-35-turbo", "modelVersion": "0301"}
        recs.append({"Tenant": "eastus",
                     "callerIpAddress": "81.2.69.***" if i % 4 else "89.160.20.***",
                     "category": "RequestResponse",
                     "correlationId": f"d427a391-2bc7-4f38-9cbc-6560600e{i:04d}",
                     "durationMs": -1021 if i == 7 else 1021 + i, "event": "ShoeboxCallResult",
                     "location": "eastus", "operationName": "ChatCompletions_Create",
                     # some records carry properties as a JSON string, as in Elastic's test data
                     "properties": json.dumps(props, separators=(",", ":")) if i % 3 == 0 else props,
                     "resourceId": AZ_RES, "resultSignature": "429" if i == 11 else "200",
                     "time": f"2024-05-24T12:23:{i:02d}.4350000Z"})
    # not a request: the Audit category (key listing) shares the destination
    recs.append({"callerIpAddress": "81.2.69.***", "category": "Audit",
                 "correlationId": "0e7f3b7a-0000-4c2a-9a51-000000000001", "durationMs": 12,
                 "location": "eastus", "operationName": "ListKey", "properties": "{}",
                 "resourceId": AZ_RES, "resultSignature": "200",
                 "time": "2024-05-24T12:30:00.0000000Z"})
    # BROKEN: properties string cut off mid-object
    recs.append(dict(recs[0], correlationId="d427a391-2bc7-4f38-9cbc-6560600ebad1",
                     properties='{"apiName":"Azure OpenAI API version 2024-02-15-preview","req'))
    # BROKEN: no time
    bad = dict(recs[1], correlationId="d427a391-2bc7-4f38-9cbc-6560600ebad2")
    del bad["time"]
    recs.append(bad)
    (out / "azure_requestresponse.json").write_text(jl(recs))

    gw = []
    for i in range(10):
        prompt = CAMPAIGN.format(PROBLEMS[i % 8]) if i < 6 else BENIGN[i - 6]
        req = json.dumps({"model": "gpt-chat-pilot", "messages": [{"role": "user", "content": prompt}]})
        ok = i != 8
        resp = (json.dumps({"choices": [{"finish_reason": "stop", "index": 0,
                                         "message": {"content": ANSWER, "role": "assistant"}}],
                            "created": 1719901891 + i, "id": f"chatcmpl-9gRL14hGa8nQstOJKvL{i:04d}",
                            "model": "gpt-35-turbo", "object": "chat.completion",
                            "usage": {"completion_tokens": 8, "prompt_tokens": 14 + i,
                                      "total_tokens": 22 + i}}) + "\n"
                if ok else json.dumps({"error": {"code": "content_filter", "status": 400}}))
        url = ("https://azure-openai-apm.azure-api.net/deployments/gpt-chat-pilot/chat/completions"
               "?api-version=2024-02-15-preview")
        gw.append({"DeploymentVersion": "0.44.18652.0", "Level": 4, "Sku": "Basic",
                   "callerIpAddress": "81.2.69.144" if i < 6 else "216.160.83.61",
                   "category": "GatewayLogs",
                   "correlationId": f"99789635-18d0-480f-8182-a3a3c477{i:04d}",
                   "durationMs": 176 + i, "isRequestSuccess": ok, "location": "East US",
                   "operationName": "Microsoft.ApiManagement/GatewayLogs",
                   "properties": {"apiId": "azure-openai-service-api", "apiRevision": "1",
                                  "apimSubscriptionId": f"partner-{i % 3}" if i < 6 else "web-app",
                                  "backendMethod": "POST", "backendProtocol": "HTTP/1.1",
                                  "backendResponseCode": 200 if ok else 400, "backendTime": 170,
                                  "backendUrl": "https://obs-openai-test-01.openai.azure.com/openai/"
                                                "deployments/gpt-chat-pilot/chat/completions"
                                                "?api-version=2024-02-15-preview",
                                  "cache": "none", "clientProtocol": "HTTP/1.1",
                                  "clientTlsVersion": "1.3", "method": "POST",
                                  "operationId": "ChatCompletions_Create", "requestBody": req,
                                  "requestHeaders": {"User-Agent": "AzureOpenAI/Python 1.40.0"},
                                  "requestSize": 536, "responseBody": resp,
                                  "responseCode": 200 if ok else 400, "responseSize": 1604,
                                  "url": url},
                   "resourceId": APIM_RES, "resultType": "Succeeded" if ok else "Failed",
                   "time": f"2024-07-02T06:31:{31 + i}.4465902Z", "truncated": 0})
    (out / "azure_apim_gateway.json").write_text(jl(gw))


# ---------------------------------------------------------------------------------- Langfuse
def _lf_ts(i: int, base: int = 19) -> str:
    return f"2024-05-29 13:46:{base + i:02d}.{963000 + i * 1000:06d}"


def langfuse_traces() -> list[dict]:
    recs = []
    users = ["u-7f3a", "u-7f3a", "u-1c9d", None, "u-camp-01", "u-camp-02", "u-camp-01",
             "u-camp-03", "u-2b44", "u-1c9d"]
    for i, user in enumerate(users):
        camp = user is not None and user.startswith("u-camp")
        prompt = CAMPAIGN.format(PROBLEMS[i]) if camp else BENIGN[i % 6]
        if i == 3:
            inp, outp = json.dumps(prompt), json.dumps("Bom dia.")  # JSON string literals
        elif i == 8:
            inp = json.dumps({"query": prompt})
            outp = json.dumps({"answer": "Canberra."})
        else:
            inp = json.dumps([{"role": "system", "content": "You are helpful."},
                              {"role": "user", "content": prompt}])
            outp = json.dumps({"role": "assistant", "content": ANSWER if camp else "Sure."})
        recs.append({"id": f"trace-{i:04d}-8b1e", "timestamp": _lf_ts(i), "name": "chat",
                     "environment": "production", "project_id": "cm0proj01", "metadata": {},
                     "user_id": user, "session_id": f"sess-{i // 3}", "release": "v1.4.2",
                     "version": None, "public": False, "bookmarked": False,
                     "tags": ["campaign-review"] if camp else [], "input": inp, "output": outp,
                     "created_at": _lf_ts(i), "updated_at": _lf_ts(i, 21)})
    # BROKEN: no timestamp
    recs.append(dict(recs[0], id="trace-bad-0001", timestamp=None))
    return recs


def write_langfuse(out: Path) -> None:
    traces = langfuse_traces()
    (out / "langfuse_traces.jsonl").write_text(jl(traces))
    cols = list(traces[0])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for t in traces:
        w.writerow(["" if t[c] is None else
                    (json.dumps(t[c]) if isinstance(t[c], (dict, list)) else
                     str(t[c]).lower() if isinstance(t[c], bool) else t[c]) for c in cols])
    (out / "langfuse_traces.csv").write_text(buf.getvalue())

    obs = []
    for i in range(10):
        t = traces[i]
        base = {"id": f"obs-{i:04d}-gen", "trace_id": t["id"], "project_id": "cm0proj01",
                "environment": "production", "type": "GENERATION",
                "parent_observation_id": f"obs-{i:04d}-span", "start_time": _lf_ts(i),
                "end_time": f"2024-05-29 13:46:{20 + i:02d}.{463000 + i * 1000:06d}",
                "name": "openai-chat", "metadata": {}, "level": "ERROR" if i == 9 else "DEFAULT",
                "status_message": "rate limited" if i == 9 else None, "version": None,
                "input": t["input"], "output": t["output"] if i != 9 else None,
                "provided_model_name": "gpt-4o-mini-2024-07-18",
                "model_parameters": {"temperature": "0.2"},
                # ClickHouse JSON quotes 64-bit integers
                "usage_details": {"input": str(40 + i), "output": "17", "total": str(57 + i)},
                "cost_details": {"input": 0.0006, "output": 0.00102, "total": 0.00162},
                "completion_start_time": _lf_ts(i), "prompt_name": None, "prompt_version": None}
        span = dict(base, id=f"obs-{i:04d}-span", type="SPAN", parent_observation_id=None,
                    provided_model_name=None, usage_details={}, cost_details={})
        obs += [span, base]
    obs.append(dict(obs[1], id="obs-bad-gen", start_time=None))  # BROKEN: no start_time
    (out / "langfuse_observations.jsonl").write_text(jl(obs))


# ---------------------------------------------------------------------------------- Helicone
HELICONE_CSV = ["response_id", "response_created_at", "response_status", "request_created_at",
                "request_body", "request_properties", "request_user_id", "model",
                "prompt_tokens", "completion_tokens", "latency", "cost"]


def helicone_requests() -> list[dict]:
    recs = []
    users = ["u-7f3a", "u-7f3a", "", "u-camp-01", "u-camp-02", "u-camp-03", "u-camp-01",
             "u-9e21", "", "u-camp-02"]
    for i, user in enumerate(users):
        camp = user.startswith("u-camp")
        prompt = CAMPAIGN.format(PROBLEMS[i % 8]) if camp else BENIGN[i % 6]
        props = {"Helicone-Property-Environment": "prod"}
        if i == 2:
            props["Helicone-Property-User-Id"] = "u-5d10"  # user only as a custom property
        recs.append({
            "response_id": f"b3c1d2e4-0f5a-4b6c-8d7e-{i:012d}",
            "response_created_at": f"2025-05-14T02:10:{i * 5 + 1:02d}.120Z",
            "response_body": {"choices": [{"message": {"role": "assistant",
                                                          "content": ANSWER if camp else "Sure."}}]},
            "response_status": 500 if i == 7 else 200,
            "response_model": "gpt-4o-mini-2024-07-18",
            "request_id": f"a9e8d7c6-1b2a-4c3d-9e8f-{i:012d}",
            "request_created_at": f"2025-05-14T02:10:{i * 5:02d}.456Z",
            "request_body": {"model": "gpt-4o-mini", "messages": [
                {"role": "system", "content": "Be exact."}, {"role": "user", "content": prompt}]},
            "request_path": "https://oai.helicone.ai/v1/chat/completions",
            "request_user_id": user or None, "request_properties": props,
            "request_model": "gpt-4o-mini", "model_override": None, "helicone_user": None,
            "provider": "OPENAI", "delay_ms": 664 + i, "time_to_first_token": 201,
            "total_tokens": 57, "prompt_tokens": 40 + i, "completion_tokens": 17,
            "prompt_cache_write_tokens": 0, "prompt_cache_read_tokens": 0, "prompt_id": None,
            "signed_body_url": None, "country_code": "SE" if camp else "US", "costUSD": 0.000165,
            "model": "gpt-4o-mini", "latency": 664 + i, "cost": 0.000165})
    return recs


def write_helicone(out: Path) -> None:
    recs = helicone_requests()
    # JSONL: the API objects as-is (the CLI's default format); no CSV-only columns
    (out / "helicone_export.jsonl").write_text(
        jl([{k: v for k, v in r.items() if k not in ("model", "latency", "cost")} for r in recs]))

    # CSV: exactly the exporter's convertToCSVRow: objects JSON.stringify'd with quotes doubled,
    # then every value quoted with quotes doubled again; null/undefined -> empty
    def cell(v):
        if isinstance(v, (dict, list)):
            v = json.dumps(v, separators=(",", ":")).replace('"', '""')
        if v is None:
            return ""
        if isinstance(v, bool):
            v = "true" if v else "false"
        return '"' + str(v).replace('"', '""') + '"'

    lines = [",".join(HELICONE_CSV)]
    for i, r in enumerate(recs):
        r = dict(r)
        if i == 5:
            r["latency"] = None  # not a guaranteed field of the API object
            r["cost"] = None
        lines.append(",".join(cell(r.get(c)) for c in HELICONE_CSV))
    # BROKEN: a row whose timestamps were lost
    bad = dict(recs[0], response_id="b3c1d2e4-0f5a-4b6c-8d7e-bad000000001",
               response_created_at=None, request_created_at=None)
    lines.append(",".join(cell(bad.get(c)) for c in HELICONE_CSV))
    (out / "helicone_export.csv").write_text("\n".join(lines) + "\n")


# -------------------------------------------------------------------------------- OpenRouter
OPENROUTER_HEADER = [
    "generation_id", "created_at", "cost_total", "cost_web_search", "cost_cache",
    "cost_file_processing", "byok_usage_inference", "tokens_prompt", "tokens_completion",
    "tokens_reasoning", "tokens_cached", "model_permaslug", "provider_name", "variant",
    "cancelled", "streamed", "user", "finish_reason_raw", "finish_reason_normalized",
    "generation_time_ms", "time_to_first_token_ms", "api_key_disabled", "api_key_name", "app_name"]


def write_openrouter(out: Path) -> None:
    rows = []
    keys = ["distill-a", "distill-b", "distill-a", "distill-c", "prod-chat", "prod-chat",
            "distill-b", "distill-c", "prod-chat", "distill-a", "batch-eval", "distill-b",
            "prod-chat", "distill-c", "batch-eval"]
    for i, k in enumerate(keys):
        err = i == 6
        rows.append({
            "generation_id": f"gen-{1770403970 + i * 7}-Xq{i:02d}b9LmTz",
            "created_at": f"2026-02-06 18:54:{30 + i * 2:02d}.{40 + i:03d}",
            "cost_total": "0" if err else f"{0.000315 + i * 1e-6:.6f}", "cost_web_search": "0",
            "cost_cache": "0", "cost_file_processing": "0", "byok_usage_inference": "0",
            "tokens_prompt": str(52 + i), "tokens_completion": "0" if err else "311",
            "tokens_reasoning": "0", "tokens_cached": "0",
            "model_permaslug": "deepseek/deepseek-chat-v3-0324" if "distill" in k
            else "openai/gpt-4o-mini",
            "provider_name": "DeepInfra" if "distill" in k else "OpenAI", "variant": "standard",
            "cancelled": "false", "streamed": "true", "user": "" if i % 4 else f"end-{i}",
            "finish_reason_raw": "error" if err else "stop",
            "finish_reason_normalized": "error" if err else "stop",
            "generation_time_ms": str(2100 + i * 10), "time_to_first_token_ms": str(380 + i),
            "api_key_disabled": "false", "api_key_name": k,
            "app_name": "" if "distill" in k else "Acme Chat"})
    # BROKEN: created_at missing
    rows.append(dict(rows[0], generation_id="gen-1770404999-badrow0000", created_at=""))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=OPENROUTER_HEADER, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    (out / "openrouter_activity.csv").write_text(buf.getvalue())


# -------------------------------------------------------------------------------- Cloudflare
def write_cloudflare(out: Path) -> None:
    result = []
    metas = [{"user": "u-7f3a", "team": "growth"}, {"user": "u-camp-01", "team": "partners"},
             {"user": "u-camp-02", "team": "partners"}, None, {"customer_id": "cust-30"},
             {"user": "u-camp-01", "team": "partners"}, {"user": "u-2b44"}, None,
             {"user": "u-camp-03", "team": "partners"}, {"user": "u-7f3a", "team": "growth"},
             {"user": "u-camp-02", "team": "partners"}, {"user": "u-9e21"}]
    for i, meta in enumerate(metas):
        camp = meta is not None and str(meta.get("user", "")).startswith("u-camp")
        prompt = CAMPAIGN.format(PROBLEMS[i % 8]) if camp else BENIGN[i % 6]
        req = json.dumps({"model": "gpt-4o-mini", "messages": [
            {"role": "system", "content": "Be exact."}, {"role": "user", "content": prompt}]})
        resp = json.dumps({"id": f"chatcmpl-cf{i:04d}", "object": "chat.completion",
                           "choices": [{"index": 0, "message": {"role": "assistant",
                                                                "content": ANSWER if camp
                                                                else "Sure."},
                                        "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 40, "completion_tokens": 17}})
        complete = i != 8
        if not complete:  # payload over the head limit: cut, and flagged as incomplete
            req = req[:req.index(prompt) + len(prompt) + 2] + ', {"role": "assistant", "con'
        result.append({
            "id": f"01JV{i:02d}QXK8Y2M7R0C9E5TAGW3PZ", "cached": False,
            "created_at": f"2025-05-14T02:1{i // 6}:{(i * 10) % 60:02d}.{500 + i}Z",
            "custom_cost": False, "duration": 930 + i * 11, "metadata":
            json.dumps(meta) if meta is not None else None, "model": "gpt-4o-mini",
            "model_type": "chat", "path": "chat/completions", "provider": "openai",
            "request_content_type": "application/json", "request_head": req,
            "request_head_complete": complete, "request_size": len(req) + (0 if complete else 4000),
            "request_type": "chat", "response_content_type": "application/json",
            "response_head": resp if i != 10 else "", "response_head_complete": True,
            "response_size": len(resp), "status_code": 429 if i == 10 else 200, "step": 0,
            "success": i != 10, "tokens_in": 0 if i == 10 else 40, "tokens_out": 0 if i == 10 else 17,
            "cost": 0.000162})
    result.append(dict(result[0], id="01JVBADQXK8Y2M7R0C9E5TAGW3P", created_at=None))  # BROKEN
    envelope = {"result": result, "result_info": {"page": 1, "per_page": 50,
                                                  "count": len(result),
                                                  "total_count": len(result)},
                "success": True, "errors": [], "messages": []}
    (out / "cloudflare_logs.json").write_text(json.dumps(envelope, indent=1) + "\n")


WRITERS = [write_bedrock, write_envoy, write_litellm, write_nginx, write_vertex, write_azure,
           write_langfuse, write_helicone, write_openrouter, write_cloudflare]


def main(outdir: str | Path | None = None) -> Path:
    """Write every sample into ``outdir`` (default: this folder) and return it."""
    out = Path(outdir) if outdir else Path(__file__).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    for w in WRITERS:
        w(out)
    return out


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
