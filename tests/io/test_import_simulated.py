"""Simulator exports of every format import cleanly, and the truth file names the case's accounts."""

import csv
import sqlite3

import pytest

from app.core.case import Case
from app.io.importer import import_file
from app.sim import run_simulation

EXPECTED_FORMAT = {"csv.gz": "csv", "jsonl": "jsonl", "parquet": "parquet", "bedrock": "bedrock",
                   "litellm": "litellm"}


@pytest.mark.parametrize("kind", sorted(EXPECTED_FORMAT))
def test_simulated_export_round_trip(tmp_path, kind):
    fmt = kind if kind in ("bedrock", "litellm") else None
    out = tmp_path / (f"sim.{kind}" if fmt is None else f"sim_{kind}.dat")
    truth = tmp_path / "truth.csv"
    summary = run_simulation("tiny", 5, out, fmt=fmt, truth=truth)
    case_path = tmp_path / "c.hscase"
    with Case(case_path, create=True) as case:
        res = import_file(case, out)
    assert res.format == EXPECTED_FORMAT[kind]
    assert res.stats.rows_stored == summary.events and res.stats.rows_rejected == 0
    con = sqlite3.connect(case_path)
    accounts = {name for (name,) in con.execute("SELECT name FROM accounts WHERE events > 0")}
    with open(truth, newline="") as fh:
        labelled = {row["account"] for row in csv.DictReader(fh)}
    assert accounts == labelled
    # prompts went through the content rules: some chain-of-thought, several capability classes
    assert con.execute("SELECT count(DISTINCT capability) FROM events").fetchone()[0] >= 3
    assert con.execute("SELECT sum(cot) FROM events").fetchone()[0] > 0
