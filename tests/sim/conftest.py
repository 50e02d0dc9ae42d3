"""Shared simulated worlds for the simulator tests (generated once per session, in tmp)."""

from __future__ import annotations

import json
import os

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pytest

from app.sim import run_simulation

READ = pcsv.ParseOptions(newlines_in_values=True)
KEEP_TEXT = pcsv.ConvertOptions(column_types={"timestamp": pa.string(), "response": pa.string(),
                                              "prompt": pa.string()},
                               strings_can_be_null=True)


def read_export(path) -> pd.DataFrame:
    return pcsv.read_csv(path, parse_options=READ, convert_options=KEEP_TEXT).to_pandas()


@pytest.fixture(scope="session")
def small_world(tmp_path_factory):
    """The ``small`` preset (seed 3) as one DataFrame joined with its truth, plus the sidecar."""
    d = tmp_path_factory.mktemp("small")
    seed = int(os.environ.get("HYDRASCOPE_SIM_TEST_SEED", "3"))  # try other worlds by hand
    summary = run_simulation("small", seed, d / "small.csv.gz", truth=d / "truth.csv")
    df = read_export(d / "small.csv.gz")
    truth = pd.read_csv(d / "truth.csv")
    scenario = json.loads((d / "truth.scenario.json").read_text())
    merged = df.merge(truth, on="account", how="left")
    merged["t"] = pd.to_datetime(merged["timestamp"], utc=True)
    return dict(df=merged, truth=truth, scenario=scenario, summary=summary, raw=df)
