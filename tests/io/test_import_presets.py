"""Every preset sample goes through the real importer into a real case: detected, stored, rejected."""

import sqlite3
from pathlib import Path

import pytest

from app.core.case import Case
from app.io.importer import import_file

DATA = Path(__file__).parent / "data" / "presets"

# file -> (preset detected, stored, rejected, skipped as non-events)
EXPECTED = {
    "azure_apim_gateway.json": ("azure-apim", 10, 0, 0),
    "azure_requestresponse.json": ("azure", 14, 2, 1),
    "bedrock_invocations.jsonl.gz": ("bedrock", 16, 3, 1),
    "cloudflare_logs.json": ("cloudflare", 12, 1, 0),
    "envoy_access.jsonl": ("envoy", 14, 1, 0),
    "helicone_export.csv": ("helicone-csv", 10, 1, 0),
    "helicone_export.jsonl": ("helicone", 10, 0, 0),
    "langfuse_traces.csv": ("langfuse-csv", 10, 1, 0),
    "langfuse_traces.jsonl": ("langfuse", 10, 1, 0),
    "litellm_spendlogs.csv": ("litellm", 21, 1, 0),
    "litellm_spendlogs.json": ("litellm-json", 7, 0, 0),
    "nginx_access.jsonl": ("nginx", 15, 2, 0),
    "openrouter_activity.csv": ("openrouter", 15, 1, 0),
    "vertex_request_response.json": ("vertex", 12, 2, 0),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_imports_with_its_preset(tmp_path, name):
    fmt, stored, rejected, skipped = EXPECTED[name]
    case_path = tmp_path / "c.hscase"
    with Case(case_path, create=True) as case:
        res = import_file(case, DATA / name)
    st = res.stats
    assert res.format == fmt
    assert (st.rows_stored, st.rows_rejected, st.rows_skipped) == (stored, rejected, skipped)
    con = sqlite3.connect(case_path)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == stored
    assert con.execute("SELECT count(*) FROM rejected_rows").fetchone()[0] == rejected
    assert con.execute("SELECT count(*) FROM events WHERE ts < 1500000000000").fetchone()[0] == 0  # all parsed as ms
    fmt_stored, mapping = con.execute("SELECT format, mapping FROM imports").fetchone()
    assert fmt_stored == fmt and f'"preset": "{fmt}"' in mapping


def test_masked_azure_ip_keeps_its_24(tmp_path):
    case_path = tmp_path / "c.hscase"
    with Case(case_path, create=True) as case:
        import_file(case, DATA / "azure_requestresponse.json")
    con = sqlite3.connect(case_path)
    rows = con.execute("SELECT i.address, p.prefix FROM ips i JOIN ip_prefixes p ON p.id = i.prefix_id "
                       "WHERE i.address LIKE '%***'").fetchall()
    assert rows and all(p.endswith(".0/24") and a.rsplit(".", 1)[0] == p.rsplit(".", 1)[0] for a, p in rows)


@pytest.mark.parametrize("provider,gateway", [("litellm_spendlogs.csv", "nginx_access.jsonl"),
                                              ("bedrock_invocations.jsonl.gz", "envoy_access.jsonl")])
def test_gateway_log_enriches_provider_events_by_request_id(tmp_path, provider, gateway):
    case_path = tmp_path / "c.hscase"
    with Case(case_path, create=True) as case:
        import_file(case, DATA / provider)
        con = sqlite3.connect(case_path)
        before = con.execute("SELECT count(*) FROM events WHERE ua_id IS NOT NULL").fetchone()[0]
        events_before = con.execute("SELECT count(*) FROM events").fetchone()[0]
        res = import_file(case, DATA / gateway, enrich_by="request_id")
    after = con.execute("SELECT count(*) FROM events WHERE ua_id IS NOT NULL").fetchone()[0]
    assert res.stats.rows_enriched == 4
    assert after - before == 4
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == events_before  # none added
    assert con.execute("SELECT mode FROM imports ORDER BY id DESC").fetchone()[0] == "enrich"
