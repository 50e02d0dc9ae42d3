"""Format presets against sample files that follow each public export schema field for field.

The samples (tests/io/data/presets, written by make_samples.py there) are parsed here with the
standard library (json per line, csv.DictReader), independently of the lead's streaming readers,
so these tests pin down only what the presets do: detection, conversion, rejection.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from pathlib import Path

import pytest

from app.core.canonical import FIELDS
from app.io.presets import base
from app.io.presets.base import RecordError

DATA = Path(__file__).parent / "data" / "presets"

#: sample file -> (preset that must claim it, number of deliberately broken records in it)
SAMPLES = {
    "bedrock_invocations.jsonl.gz": ("bedrock", 2),
    "vertex_request_response.json": ("vertex", 2),
    "azure_requestresponse.json": ("azure", 2),
    "azure_apim_gateway.json": ("azure-apim", 0),
    "litellm_spendlogs.csv": ("litellm", 1),
    "litellm_spendlogs.json": ("litellm-json", 0),
    "langfuse_traces.jsonl": ("langfuse", 1),
    "langfuse_observations.jsonl": ("langfuse", 1),
    "langfuse_traces.csv": ("langfuse-csv", 1),
    "helicone_export.jsonl": ("helicone", 0),
    "helicone_export.csv": ("helicone-csv", 1),
    "openrouter_activity.csv": ("openrouter", 1),
    "cloudflare_logs.json": ("cloudflare", 1),
    "nginx_access.jsonl": ("nginx", 1),
    "envoy_access.jsonl": ("envoy", 1),
}

CAMPAIGN = "You are a meticulous tutor. Solve step by step and show every intermediate result: {}"
ANSWER = "Step 1: restate the problem. Step 2: apply the method. Result: done."


def load(name: str) -> tuple[list, str]:
    """Records of a sample and their container; unparseable JSON lines are skipped (reader's job)."""
    path = DATA / name
    if name.endswith(".csv"):
        with path.open(newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f)), "csv"
    raw = gzip.open(path, "rt", encoding="utf-8").read() if name.endswith(".gz") else path.read_text()
    if name == "cloudflare_logs.json":
        return json.loads(raw)["result"], "json"  # Logs API envelope
    if name == "litellm_spendlogs.json":
        return json.loads(raw), "json"  # /spend/logs returns a JSON array
    records = []
    for line in raw.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records, "json"


def convert(name: str, index: int):
    records, _ = load(name)
    return base.get(SAMPLES[name][0]).convert(records[index])


def row(**values):
    out = dict.fromkeys(FIELDS)
    out.update(values)
    return out


# ------------------------------------------------------------------------------ registry/detect
def test_registry_names_containers_sources_and_missing_are_consistent():
    names = base.names()
    assert len(names) == len(set(names))
    assert {n for n, _ in SAMPLES.values()} == set(names)  # every preset has a sample
    for p in base.REGISTRY:
        assert p.container in ("json", "csv"), p.name
        assert set(p.sources) <= set(FIELDS), p.name
        assert set(p.missing) <= set(FIELDS), p.name
        assert not set(p.sources) & set(p.missing), p.name
        assert {"account", "timestamp"} <= set(p.sources), p.name


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_sample_is_detected_as_its_own_format_and_nobody_else_claims_it(name):
    records, container = load(name)
    expected = SAMPLES[name][0]
    found = base.detect(records, container)
    assert found is not None and found.name == expected
    assert found.score(records) > 0.9
    family = expected.split("-")[0]
    for p in base.REGISTRY:
        if p.name == expected:
            continue
        if p.container != container and p.name.split("-")[0] == family:
            continue  # the same format's twin for the other container never competes
        assert p.score(records) <= 0.5, f"{p.name} scores {p.score(records)} on {name}"


def test_detect_returns_none_for_unrelated_records():
    assert base.detect([{"foo": 1, "bar": "x"}] * 5, "json") is None
    assert base.detect([{"a": "1", "b": "2"}] * 5, "csv") is None
    assert base.detect([], "json") is None


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_record_converts_to_canonical_types_or_is_rejected(name):
    records, _ = load(name)
    preset = base.get(SAMPLES[name][0])
    broken = 0
    for rec in records:
        try:
            out = preset.convert(rec)
        except RecordError as err:
            broken += 1
            assert str(err)  # the reason is stored with the rejected row
            continue
        if out is None:
            continue
        assert list(out) == list(FIELDS)
        for field, value in out.items():
            if field in ("input_tokens", "output_tokens", "status", "latency_ms"):
                assert value is None or (isinstance(value, int) and not isinstance(value, bool))
            else:
                assert value is None or isinstance(value, str), (field, value)
        assert out["timestamp"]
        for field in preset.missing:
            assert out[field] is None, (field, out[field])
    assert broken == SAMPLES[name][1]


@pytest.mark.parametrize("preset", sorted(n for n, _ in SAMPLES.values()))
@pytest.mark.parametrize("bad", ["plain text", 42, ["a", "list"], None])
def test_a_record_that_is_not_an_object_is_rejected_with_a_reason(preset, bad):
    with pytest.raises(RecordError, match="not a JSON object"):
        base.get(preset).convert(bad)


# ------------------------------------------------------------------------------------ Bedrock
BEDROCK = "bedrock_invocations.jsonl.gz"
PARTNER_1 = "arn:aws:sts::444455556666:assumed-role/partner-integration/session-01"
APP_ROLE = "arn:aws:sts::111122223333:assumed-role/app-backend-role/i-0abc1234def567890"
CLAUDE = "anthropic.claude-3-5-sonnet-20241022-v2:0"


def test_bedrock_invoke_model_anthropic_body_system_prompt_excluded():
    assert convert(BEDROCK, 0) == row(
        account=PARTNER_1, timestamp="2025-05-14T02:10:03Z", org="444455556666", model=CLAUDE,
        request_id="00000001-5561-4431-93b8-06a817275901",
        prompt=CAMPAIGN.format("integrate x^2 * e^x dx"), response=ANSWER,
        input_tokens=31, output_tokens=17, status=200)


def test_bedrock_content_blocks_join_user_turns_and_skip_images():
    assert convert(BEDROCK, 6) == row(
        account=APP_ROLE, timestamp="2025-05-14T02:11:00Z", org="111122223333", model=CLAUDE,
        request_id="00000007-5561-4431-93b8-06a817275907",
        prompt="Write a haiku about autumn rain.\nNow one about snow.",
        response="Snow hushes the street...", input_tokens=40, output_tokens=9, status=200)


def test_bedrock_converse_record_gives_text_and_latency():
    assert convert(BEDROCK, 7) == row(
        account=APP_ROLE, timestamp="2025-05-14T02:12:00Z", org="111122223333",
        model="amazon.nova-lite-v1:0", request_id="00000008-5561-4431-93b8-06a817275908",
        prompt="Summarise the plot of Hamlet in two sentences.", response="Answer 0.",
        input_tokens=4, output_tokens=3, status=200, latency_ms=300)


def test_bedrock_stream_error_and_s3_offloaded_records():
    assert convert(BEDROCK, 10)["response"] == "Canberra."  # stream deltas concatenated
    throttled = convert(BEDROCK, 11)
    assert (throttled["status"], throttled["response"], throttled["output_tokens"]) == (429, None, None)
    offloaded = convert(BEDROCK, 12)
    assert offloaded["prompt"] is None and offloaded["input_tokens"] == 41000
    assert offloaded["account"] == "arn:aws:iam::111122223333:user/eval-runner"


def test_bedrock_other_schema_type_is_not_an_event_and_broken_records_say_why():
    assert convert(BEDROCK, 16) is None
    with pytest.raises(RecordError, match="no timestamp"):
        convert(BEDROCK, 17)
    with pytest.raises(RecordError, match="not a JSON object"):
        convert(BEDROCK, 18)


def test_bedrock_sample_ends_with_a_truncated_line():
    lines = gzip.open(DATA / BEDROCK, "rt").read().splitlines()
    with pytest.raises(ValueError):
        json.loads(lines[-1])
    assert len(load(BEDROCK)[0]) == len(lines) - 1


def test_bedrock_cloudwatch_export_wrapper_is_unwrapped():
    records, _ = load(BEDROCK)
    wrapped = [{"@timestamp": "2025-05-14 02:10:03.000", "@message": json.dumps(r)}
               for r in records[:5]]
    assert base.detect(wrapped, "json").name == "bedrock"
    assert base.get("bedrock").convert(wrapped[0]) == convert(BEDROCK, 0)


# ------------------------------------------------------------------------------------ LiteLLM
LITELLM = "litellm_spendlogs.csv"
KEY_A1 = "109624dfd2227730b3228f51d1112d031ffc5089a35cd3269cd288682afdeb04"
KEY_A3 = "26f3e96ca9fafc06319d5a75f09e13fcf320e9c79d3213b1f5059229475d08bb"


def test_litellm_sample_keys_are_sha256_of_the_virtual_keys():
    assert KEY_A1 == hashlib.sha256(b"sk-camp-a1").hexdigest()
    assert KEY_A3 == hashlib.sha256(b"sk-camp-a3").hexdigest()


def test_litellm_old_row_ip_from_metadata_latency_from_end_minus_start():
    assert convert(LITELLM, 0) == row(
        account=KEY_A1, timestamp="2025-05-14 02:10:00", org="team-research",
        api_key="research-bot-1", ip="81.2.69.17", model="gpt-4o-mini",
        prompt=CAMPAIGN.format("integrate x^2 * e^x dx"), response=ANSWER,
        input_tokens=40, output_tokens=17, status=200, latency_ms=840,
        request_id="chatcmpl-9gRL00hGa8nQstOJKvLjh7EyulsnT")


def test_litellm_row_without_alias_uses_hash_and_request_duration():
    assert convert(LITELLM, 8) == row(
        account=KEY_A3, timestamp="2025-05-14 02:10:26", org="team-research", api_key=KEY_A3,
        ip="89.160.20.112", model="gpt-4o-mini",
        prompt=CAMPAIGN.format("sum the series 1/2 + 1/4 + 1/8 + ..."), response=ANSWER,
        input_tokens=40, output_tokens=17, status=200, latency_ms=920,
        request_id="chatcmpl-9gRL08hGa8nQstOJKvLjh7EyulsnT")


def test_litellm_failure_and_unstored_prompts():
    failed = convert(LITELLM, 11)
    assert (failed["status"], failed["response"], failed["input_tokens"]) == (500, None, 0)
    unstored = convert(LITELLM, 18)  # messages/response are "{}" without store_prompts_in_spend_logs
    assert (unstored["prompt"], unstored["response"], unstored["ip"]) == (None, None, None)
    assert (unstored["api_key"], unstored["org"]) == ("nightly-eval", "team-eval")
    with pytest.raises(RecordError, match="startTime"):
        convert(LITELLM, 21)


def test_litellm_json_rows_convert_like_the_csv_rows_except_the_timestamp_text():
    csv_rows, _ = load(LITELLM)
    json_rows, _ = load("litellm_spendlogs.json")
    a = base.get("litellm").convert(csv_rows[1])
    b = base.get("litellm-json").convert(json_rows[1])
    assert b["timestamp"] == "2025-05-14T02:10:03.370000+00:00"
    assert a["timestamp"] == "2025-05-14 02:10:03.37"
    assert {k: v for k, v in a.items() if k != "timestamp"} == \
        {k: v for k, v in b.items() if k != "timestamp"}


# ------------------------------------------------------------------------------------- Vertex
VERTEX = "vertex_request_response.json"


def test_vertex_gemini_row_labels_account_project_org_system_instruction_excluded():
    assert convert(VERTEX, 0) == row(
        account="cust-30", timestamp="2025-05-14 02:10:40.352000 UTC", org="acme-prod",
        model="gemini-2.0-flash-001", prompt=CAMPAIGN.format("integrate x^2 * e^x dx"),
        response="Step 1: ... Done.", input_tokens=30, output_tokens=12, latency_ms=700,
        request_id="8461230965438127000")


def test_vertex_json_columns_as_strings_stream_chunks_and_claude():
    assert convert(VERTEX, 3)["account"] == "cust-31"
    assert (convert(VERTEX, 3)["input_tokens"], convert(VERTEX, 3)["output_tokens"]) == (33, 12)
    assert convert(VERTEX, 10) == row(
        account="unknown:vertex", timestamp="2025-05-14 02:11:02.000000 UTC", org="acme-prod",
        model="gemini-2.0-flash-001", prompt="Hi\nTell me a joke about cats.",
        response="Why did the cat...", input_tokens=12, output_tokens=6, latency_ms=1210,
        request_id="8461230965438127100")
    claude = convert(VERTEX, 11)
    assert (claude["account"], claude["prompt"], claude["response"]) == (
        "cust-30", "Explain what a hash map is to a child.", "A hash map is a magic shelf.")
    assert (claude["input_tokens"], claude["output_tokens"]) == (15, 8)


def test_vertex_broken_rows():
    with pytest.raises(RecordError, match="logging_time"):
        convert(VERTEX, 12)
    with pytest.raises(RecordError, match="full_request"):
        convert(VERTEX, 13)


# -------------------------------------------------------------------------------------- Azure
AZURE = "azure_requestresponse.json"
APIM = "azure_apim_gateway.json"
SUB = "12cabcb4-86e8-404f-a3d2-1dc9982f45ca"


def test_azure_properties_as_string_api_key_caller_masked_ip_kept():
    assert isinstance(load(AZURE)[0][0]["properties"], str)
    assert convert(AZURE, 0) == row(
        account="apikey:obs-openai-test-01", timestamp="2024-05-24T12:23:00.4350000Z", org=SUB,
        ip="89.160.20.***", model="gpt-35-turbo", status=200, latency_ms=1021,
        request_id="d427a391-2bc7-4f38-9cbc-6560600e0000")


def test_azure_entra_caller_negative_duration_and_throttle():
    assert convert(AZURE, 2)["account"] == "4f1c3b9e-2d7a-4e8b-9c0d-1a2b3c4d5e6f"
    assert convert(AZURE, 7)["latency_ms"] is None
    assert convert(AZURE, 11)["status"] == 429


def test_azure_audit_record_is_not_an_event_and_broken_records_say_why():
    assert convert(AZURE, 14) is None
    with pytest.raises(RecordError, match="properties"):
        convert(AZURE, 15)
    with pytest.raises(RecordError, match="no time"):
        convert(AZURE, 16)


def test_azure_apim_gateway_log_with_body_logging():
    assert convert(APIM, 0) == row(
        account="partner-0", timestamp="2024-07-02T06:31:31.4465902Z", org=SUB,
        ip="81.2.69.144", user_agent="AzureOpenAI/Python 1.40.0", model="gpt-chat-pilot",
        prompt=CAMPAIGN.format("integrate x^2 * e^x dx"), response=ANSWER,
        input_tokens=14, output_tokens=8, status=200, latency_ms=176,
        request_id="99789635-18d0-480f-8182-a3a3c4770000")
    filtered = convert(APIM, 8)
    assert (filtered["status"], filtered["response"], filtered["input_tokens"]) == (400, None, None)


# ----------------------------------------------------------------------------------- Langfuse
def test_langfuse_trace_rows():
    assert convert("langfuse_traces.jsonl", 0) == row(
        account="u-7f3a", timestamp="2024-05-29 13:46:19.963000", org="cm0proj01",
        prompt="Write a haiku about autumn rain.", response="Sure.", request_id="trace-0000-8b1e")
    literal = convert("langfuse_traces.jsonl", 3)  # input/output are JSON string literals
    assert (literal["account"], literal["prompt"], literal["response"]) == (
        "unknown:langfuse", "Translate 'good morning' into Portuguese.", "Bom dia.")
    keyed = convert("langfuse_traces.jsonl", 8)
    assert (keyed["prompt"], keyed["response"]) == ("What is the capital of Australia?", "Canberra.")
    with pytest.raises(RecordError, match="timestamp"):
        convert("langfuse_traces.jsonl", 10)


def test_langfuse_csv_traces_convert_exactly_like_the_jsonl_traces():
    jl, _ = load("langfuse_traces.jsonl")
    rows, _ = load("langfuse_traces.csv")
    for a, b in zip(jl[:-1], rows[:-1], strict=True):
        assert base.get("langfuse").convert(a) == base.get("langfuse-csv").convert(b)


def test_langfuse_generation_observation_enriches_its_trace_spans_are_skipped():
    obs = "langfuse_observations.jsonl"
    assert convert(obs, 0) is None  # SPAN
    assert convert(obs, 1) == row(
        account=None, timestamp="2024-05-29 13:46:19.963000", org="cm0proj01",
        model="gpt-4o-mini-2024-07-18", prompt="Write a haiku about autumn rain.",
        response="Sure.", input_tokens=40, output_tokens=17, status=200, latency_ms=500,
        request_id="trace-0000-8b1e")
    errored = convert(obs, 19)
    assert (errored["status"], errored["response"]) == (500, None)
    with pytest.raises(RecordError, match="start_time"):
        convert(obs, 20)


# ----------------------------------------------------------------------------------- Helicone
def test_helicone_csv_object_columns_are_double_escaped_and_decoded():
    text = (DATA / "helicone_export.csv").read_text()
    assert '""""model""""' in text  # quotes doubled twice in the file
    records, _ = load("helicone_export.csv")
    assert records[0]["request_body"].startswith('{""model""')  # still doubled after csv
    assert convert("helicone_export.csv", 0) == row(
        account="u-7f3a", timestamp="2025-05-14T02:10:00.456Z", model="gpt-4o-mini",
        prompt="Write a haiku about autumn rain.", input_tokens=40, output_tokens=17,
        status=200, latency_ms=664, request_id="b3c1d2e4-0f5a-4b6c-8d7e-000000000000")


def test_helicone_csv_property_user_missing_latency_and_no_user():
    assert convert("helicone_export.csv", 2)["account"] == "u-5d10"
    assert convert("helicone_export.csv", 5)["latency_ms"] is None
    assert convert("helicone_export.csv", 8)["account"] == "unknown:helicone"
    with pytest.raises(RecordError, match="request_created_at"):
        convert("helicone_export.csv", 10)


def test_helicone_jsonl_object():
    assert convert("helicone_export.jsonl", 0) == row(
        account="u-7f3a", timestamp="2025-05-14T02:10:00.456Z", model="gpt-4o-mini",
        prompt="Write a haiku about autumn rain.", response="Sure.", input_tokens=40,
        output_tokens=17, status=200, latency_ms=664,
        request_id="a9e8d7c6-1b2a-4c3d-9e8f-000000000000")
    assert convert("helicone_export.jsonl", 7)["status"] == 500


# --------------------------------------------------------------------------------- OpenRouter
def test_openrouter_rows():
    assert convert("openrouter_activity.csv", 0) == row(
        account="distill-a", timestamp="2026-02-06 18:54:30.040", api_key="distill-a",
        model="deepseek/deepseek-chat-v3-0324", input_tokens=52, output_tokens=311,
        status=200, latency_ms=2100, request_id="gen-1770403970-Xq00b9LmTz")
    err = convert("openrouter_activity.csv", 6)
    assert (err["status"], err["output_tokens"]) == (500, 0)
    with pytest.raises(RecordError, match="created_at"):
        convert("openrouter_activity.csv", 15)


# --------------------------------------------------------------------------------- Cloudflare
def test_cloudflare_metadata_string_gives_account_and_org():
    assert convert("cloudflare_logs.json", 0) == row(
        account="u-7f3a", timestamp="2025-05-14T02:10:00.500Z", org="growth",
        model="gpt-4o-mini", prompt="Write a haiku about autumn rain.", response="Sure.",
        input_tokens=40, output_tokens=17, status=200, latency_ms=930,
        request_id="01JV00QXK8Y2M7R0C9E5TAGW3PZ")
    no_meta = convert("cloudflare_logs.json", 3)
    assert (no_meta["account"], no_meta["org"]) == ("unknown:cloudflare", None)


def test_cloudflare_truncated_head_still_gives_the_complete_user_turn():
    records, _ = load("cloudflare_logs.json")
    assert records[8]["request_head_complete"] is False
    with pytest.raises(ValueError):
        json.loads(records[8]["request_head"])
    cut = convert("cloudflare_logs.json", 8)
    assert (cut["account"], cut["prompt"]) == ("u-camp-03", CAMPAIGN.format("integrate x^2 * e^x dx"))
    limited = convert("cloudflare_logs.json", 10)
    assert (limited["status"], limited["response"]) == (429, None)
    with pytest.raises(RecordError, match="created_at"):
        convert("cloudflare_logs.json", 12)


# ------------------------------------------------------------------------------ nginx / Envoy
def test_nginx_bearer_token_is_hashed_and_first_public_xff_hop_wins():
    out = convert("nginx_access.jsonl", 0)
    key = hashlib.sha256(b"sk-camp-a1").hexdigest()  # what LiteLLM stores as api_key
    assert key == "109624dfd2227730b3228f51d1112d031ffc5089a35cd3269cd288682afdeb04"
    assert out == row(account=key, api_key=key, timestamp="2025-05-14T02:10:00+00:00",
                      ip="81.2.69.17", user_agent="OpenAI/Python 1.82.0", status=200,
                      latency_ms=850, request_id="chatcmpl-9gRL00hGa8nQstOJKvLjh7EyulsnT")
    raw = (DATA / "nginx_access.jsonl").read_text()
    assert "sk-camp-a1" in raw and "sk-camp-a1" not in json.dumps(out)


def test_nginx_row_without_key_has_no_account_and_broken_line_says_why():
    out = convert("nginx_access.jsonl", 11)
    assert (out["account"], out["api_key"], out["status"], out["ip"]) == (
        None, None, 401, "216.160.83.57")
    with pytest.raises(RecordError, match="no time field"):
        convert("nginx_access.jsonl", 16)


def test_envoy_entries():
    assert convert("envoy_access.jsonl", 1) == row(
        account=hashlib.sha256(b"tk-partner-1").hexdigest(),
        api_key=hashlib.sha256(b"tk-partner-1").hexdigest(),
        timestamp="2025-05-14T02:10:04.101Z", ip="81.2.69.17",
        user_agent="python-requests/2.32.3", status=200, latency_ms=1841,
        request_id="00000002-5561-4431-93b8-06a817275902")
    direct = convert("envoy_access.jsonl", 4)  # no XFF: downstream address without its port
    assert (direct["ip"], direct["account"], direct["api_key"]) == ("175.16.199.10", "web-user-0", None)
    with pytest.raises(RecordError, match="start_time"):
        convert("envoy_access.jsonl", 14)


def _ids(name: str) -> set[str]:
    records, _ = load(name)
    preset = base.get(SAMPLES[name][0])
    out = set()
    for r in records:
        try:
            c = preset.convert(r)
        except RecordError:
            continue
        if c is not None and c["request_id"]:
            out.add(c["request_id"])
    return out


def test_edge_samples_share_request_ids_with_provider_samples_for_enrichment():
    assert len(_ids("nginx_access.jsonl") & _ids(LITELLM)) == 4
    assert len(_ids("envoy_access.jsonl") & _ids(BEDROCK)) == 4


# ------------------------------------------------------------------------------------ helpers
def test_client_ip_and_strip_port():
    assert base.client_ip("10.0.0.9, 81.2.69.17, 10.0.0.5", "10.0.0.5") == "81.2.69.17"
    assert base.client_ip("10.0.0.9", "81.2.69.1") == "10.0.0.9"  # no public hop: first valid
    assert base.client_ip("-", "81.2.69.1:443") == "81.2.69.1"
    assert base.client_ip(None, "[2001:db8::1]:443") == "2001:db8::1"
    assert base.client_ip("garbage, 89.160.20.112:5000", None) == "89.160.20.112"
    assert base.strip_port("2001:db8::1") == "2001:db8::1"
    assert base.client_ip(None, "81.2.69.***") == "81.2.69.***"


def test_hash_secret_drops_the_auth_scheme_and_never_returns_the_secret():
    assert base.hash_secret("Bearer sk-1") == base.hash_secret("sk-1") == \
        hashlib.sha256(b"sk-1").hexdigest()
    assert "sk-1" not in base.hash_secret("Bearer sk-1")


def test_value_helpers():
    assert [base.to_int(v) for v in ("12", "12.0", 7, 3.6, "", "-", "abc", True, None)] == \
        [12, 12, 7, 4, None, None, None, None, None]
    assert base.first(None, "", "\\N", "x") == "x"
    assert base.ms_between("2025-05-14 02:10:00", "2025-05-14T02:10:01.5Z") == 1500
    assert base.ms_between("2025-05-14 02:10:01", "2025-05-14 02:10:00") is None
    assert base.chat_user_text([{"role": "system", "content": "s"},
                                {"role": "user", "content": "a"},
                                {"role": "assistant", "content": "b"},
                                {"role": "user", "content": [{"type": "text", "text": "c"}]}]) == "a\nc"
    with pytest.raises(KeyError):
        base.canonical(not_a_field=1)


def test_make_samples_is_reproducible(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_samples", DATA / "make_samples.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.main(tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(SAMPLES)
    for name in written:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name
