"""Every output format is readable by the ordinary tools; same seed gives the same bytes."""

from __future__ import annotations

import gzip
import hashlib
import json

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
import zstandard

from app.core.errors import InputError
from app.sim import FORMATS, PRESETS, run_simulation
from app.sim.formats import CANONICAL_COLUMNS, LITELLM_COLUMNS

from .conftest import READ


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _truth_accounts(path) -> set:
    return set(pd.read_csv(path).account)


def test_public_api_lists():
    assert set(FORMATS) == {"csv", "jsonl", "parquet", "bedrock", "litellm"}
    assert {"tiny", "small", "demo", "medium", "large", "full"} <= set(PRESETS)
    assert PRESETS["demo"].campaign_share > PRESETS["small"].campaign_share
    assert PRESETS["full"].campaign_accounts == 25_000
    assert PRESETS["full"].target_events == 28_800_000 and PRESETS["full"].days == 45


def test_same_seed_same_bytes_gzip(tmp_path):
    a = run_simulation("tiny", 5, tmp_path / "a.csv.gz", truth=tmp_path / "ta.csv")
    b = run_simulation("tiny", 5, tmp_path / "b.csv.gz", truth=tmp_path / "tb.csv")
    c = run_simulation("tiny", 6, tmp_path / "c.csv.gz")
    assert _sha(tmp_path / "a.csv.gz") == _sha(tmp_path / "b.csv.gz")
    assert _sha(tmp_path / "ta.csv") == _sha(tmp_path / "tb.csv")
    assert _sha(tmp_path / "a.csv.gz") != _sha(tmp_path / "c.csv.gz")
    assert a.events == b.events and a.events != c.events
    assert gzip.decompress((tmp_path / "a.csv.gz").read_bytes())[:4] == b'"acc'


def test_csv_canonical_columns(tmp_path):
    s = run_simulation("tiny", 1, tmp_path / "x.csv", truth=tmp_path / "t.csv")
    t = pcsv.read_csv(tmp_path / "x.csv", parse_options=READ)
    assert t.column_names == list(CANONICAL_COLUMNS)
    assert t.num_rows == s.events
    assert 2_000 <= s.events <= 8_000
    assert set(t.column("account").to_pylist()) == _truth_accounts(tmp_path / "t.csv")
    assert s.files[0].endswith("x.csv") and len(s.files) == 3


def test_jsonl_every_line_is_json(tmp_path):
    s = run_simulation("tiny", 1, tmp_path / "x.jsonl.zst")
    text = zstandard.ZstdDecompressor().stream_reader(open(tmp_path / "x.jsonl.zst", "rb")).read().decode()
    rows = [json.loads(line) for line in text.splitlines()]
    assert len(rows) == s.events
    assert list(rows[0]) == list(CANONICAL_COLUMNS)
    assert any("\n" in r["prompt"] for r in rows)  # code prompts keep their newlines, escaped
    assert any(r["response"] is None for r in rows) and all(isinstance(r["status"], int) for r in rows)
    csv_rows = run_simulation("tiny", 1, tmp_path / "same.csv")
    assert csv_rows.events == s.events


def test_parquet_readable(tmp_path):
    s = run_simulation("tiny", 2, tmp_path / "x.parquet")
    t = pq.read_table(tmp_path / "x.parquet")
    assert t.column_names == list(CANONICAL_COLUMNS)
    assert t.num_rows == s.events
    assert t.schema.field("input_tokens").type == pa.int64()
    assert t.schema.field("timestamp").type == pa.string()


def test_bedrock_records(tmp_path):
    s = run_simulation("tiny", 1, tmp_path / "b.jsonl.gz", fmt="bedrock", truth=tmp_path / "t.csv")
    rows = [json.loads(line) for line in gzip.open(tmp_path / "b.jsonl.gz", "rt", encoding="utf-8")]
    assert len(rows) == s.events
    r = next(r for r in rows if r["output"]["outputBodyJson"] is not None)
    assert r["schemaType"] == "ModelInvocationLog" and r["schemaVersion"] == "1.0"
    assert r["timestamp"].endswith("Z") and len(r["timestamp"]) == 20
    assert len(r["accountId"]) == 12 and r["identity"]["arn"].startswith("arn:aws:")
    assert r["operation"] == "InvokeModel" and r["modelId"].startswith("anthropic.claude")
    body = r["input"]["inputBodyJson"]
    assert body["anthropic_version"] == "bedrock-2023-05-31"
    assert body["messages"][0]["content"][0]["text"]
    assert isinstance(r["input"]["inputTokenCount"], int) and isinstance(r["output"]["outputTokenCount"], int)
    assert r["output"]["outputBodyJson"]["content"][0]["type"] == "text"
    assert {"region", "requestId", "input", "output"} <= set(r)
    assert not any(k in json.dumps(r) for k in ('"ip"', "sourceIPAddress", "userAgent"))
    assert any("errorCode" in x for x in rows)
    assert {x["identity"]["arn"] for x in rows} == _truth_accounts(tmp_path / "t.csv")


def test_litellm_dump(tmp_path):
    s = run_simulation("tiny", 1, tmp_path / "l.csv", fmt="litellm", truth=tmp_path / "t.csv")
    t = pcsv.read_csv(tmp_path / "l.csv", parse_options=READ,
                      convert_options=pcsv.ConvertOptions(column_types={"startTime": pa.string()},
                                                          strings_can_be_null=True)).to_pandas()
    assert list(t.columns) == list(LITELLM_COLUMNS)
    assert len(t) == s.events
    assert t.api_key.str.fullmatch(r"[0-9a-f]{64}").all()
    assert t.startTime.str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}").all()
    meta = json.loads(t.metadata.iloc[0])
    assert {"user_api_key_alias", "requester_ip_address", "user_api_key", "user_api_key_team_id"} <= set(meta)
    assert meta["requester_ip_address"] == t.requester_ip_address.iloc[0]
    msgs = json.loads(t.messages.iloc[0])
    assert msgs[0]["role"] == "user" and msgs[0]["content"]
    ok = t[t.status == "success"]
    assert json.loads(ok.response.iloc[0])["choices"][0]["message"]["content"]
    assert (t.total_tokens == t.prompt_tokens + t.completion_tokens).all()
    assert t.end_user.notna().any() and t.end_user.isna().any()  # resellers forward end users
    assert set(t.api_key) == _truth_accounts(tmp_path / "t.csv")  # the importer's LiteLLM account


def test_progress_reports(tmp_path):
    seen = []
    s = run_simulation("tiny", 1, tmp_path / "p.csv", progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1] == (s.events, s.events)
    assert all(b[0] >= a[0] for a, b in zip(seen, seen[1:]))
    assert all(d <= t for d, t in seen)


def test_overrides_raise_campaign_share(tmp_path):
    s = run_simulation("tiny", 1, tmp_path / "o.csv", campaign_share=0.2, days=4)
    assert s.campaign_accounts / s.accounts >= 0.12


@pytest.mark.parametrize("kwargs, needle", [
    (dict(preset="nope"), "preset"),
    (dict(fmt="xml"), "format"),
    (dict(out="x.txt"), "format"),
    (dict(out="missing/x.csv"), "does not exist"),
    (dict(colour="red"), "colour"),
    (dict(days=1), "days"),
])
def test_bad_input_raises_input_error(tmp_path, kwargs, needle):
    args = dict(preset="tiny", seed=1, out="x.csv")
    args.update(kwargs)
    args["out"] = tmp_path / args["out"]
    with pytest.raises(InputError, match=needle):
        run_simulation(**args)
    assert not list(tmp_path.glob("*.part"))


def test_output_is_a_directory(tmp_path):
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(InputError, match="directory"):
        run_simulation("tiny", 1, tmp_path / "d.csv")
