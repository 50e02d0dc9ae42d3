"""The detection half of the CLI end to end: simulate -> import -> analyze -> clusters -> export."""

import csv
import json

import pytest

from app.cli import main


@pytest.fixture(scope="module")
def analysed_case(tmp_path_factory):
    d = tmp_path_factory.mktemp("detect")
    export, truth, case = d / "sim.csv.gz", d / "truth.csv", d / "c.hscase"
    assert main(["simulate", "--preset", "small", "--seed", "3", "--out", str(export), "--truth", str(truth)]) == 0
    assert main(["import", str(export), "--case", str(case)]) == 0
    assert main(["analyze", str(case)]) == 0
    return case, truth, d


def test_clusters_json_lists_scored_clusters_with_reasons(analysed_case, capsys):
    case, _, _ = analysed_case
    capsys.readouterr()
    assert main(["clusters", str(case), "--top", "5", "--json"]) == 0
    clusters = json.loads(capsys.readouterr().out)
    assert 1 <= len(clusters) <= 5
    assert {"id", "accounts", "events", "score", "flagged", "reasons"} <= set(clusters[0])
    scores = [c["score"] for c in clusters]
    assert scores == sorted(scores, reverse=True)
    assert clusters[0]["flagged"] and clusters[0]["reasons"]
    assert main(["clusters", str(case), "--top", "3"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["id", "accounts", "events", "score"] and len(table) == 4


def test_export_suspicious_matches_the_truth(analysed_case, capsys):
    case, truth, d = analysed_case
    out = d / "suspicious.csv"
    assert main(["export", str(case), "--suspicious", "--out", str(out)]) == 0
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and list(rows[0]) == ["account_id", "cluster_id", "score", "reasons"]
    with open(truth, newline="") as fh:
        labels = {r["account"]: r for r in csv.DictReader(fh)}
    flagged = {r["account_id"] for r in rows}
    assert flagged <= set(labels)  # account ids exactly as in the export
    campaign = {a for a, r in labels.items() if r["label"] != "benign"}
    precision = len(flagged & campaign) / len(flagged)
    assert precision >= 0.8, precision
    innocent_roles = {labels[a]["role"] for a in flagged - campaign}
    assert not innocent_roles & {"reseller", "enterprise", "eval_bot", "university_lab"}


def test_export_needs_a_scope(analysed_case, capsys):
    case, _, d = analysed_case
    assert main(["export", str(case), "--out", str(d / "x.csv")]) == 2
    assert "--suspicious" in capsys.readouterr().err
