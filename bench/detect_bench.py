"""Detection quality and speed on simulated worlds, against three baselines a user might try.

For each preset and seed: simulate (app.sim.run_simulation) -> import into a fresh case ->
analyze (in a child process, so its time and peak memory are its own) -> compare the suspicious
list with the simulator's truth file. Reported per run and summed over seeds:

* account-level precision and recall of ``suspicious_accounts`` (positives: campaign accounts
  of the hydra and low_and_slow archetypes; ``reseller_mixed`` accounts are legitimate resellers
  that relay part of a campaign, so they are scored separately: found when listed by
  ``mixed_accounts`` or as suspicious);
* benign accounts flagged, by role (resellers, enterprises, eval bots, labs must be zero), and
  benign accounts named by ``mixed_accounts`` (a lower-confidence list, but still a lead);
* the same precision/recall for three baselines given the true number of campaign accounts K
  (an oracle advantage they still do not convert): top-K accounts by events, top-K by
  scikit-learn IsolationForest over the stored per-account features, and accounts in
  connected components (>= 3 accounts) of the shared-IP graph.

Usage::

    .venv/bin/python bench/detect_bench.py --preset small --seeds 1 2 3
    .venv/bin/python bench/detect_bench.py --preset full --seeds 1 --keep /tmp/full.hscase
    .venv/bin/python bench/detect_bench.py --preset demo --seeds 1 2 --set labs=10
    .venv/bin/python bench/detect_bench.py --preset full --seeds 1 --case full.hscase --truth full_truth.csv
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.case import Case  # noqa: E402

BENIGN_ROLES = ("developer", "reseller", "enterprise", "eval_bot", "university_lab", "cloud_shared")
CAMPAIGN_ROLES = ("hydra", "low_and_slow")

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from app.core.case import Case
from app.core.detect import analyze
case = Case(sys.argv[2])
t = time.time()
s = analyze(case)
print(json.dumps({"seconds": time.time() - t, "rss_mb": resource.getrusage(
    resource.RUSAGE_SELF).ru_maxrss / 1024, "timings": s.timings, "clusters": s.clusters,
    "flagged": s.flagged, "suspicious": s.suspicious, "mixed": s.mixed, "events": s.events,
    "accounts": s.accounts}))
"""


def read_truth(path: Path) -> dict[str, tuple[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {r["account"]: (r["label"], r["role"]) for r in csv.DictReader(fh)}


def prf(found: set[str], positives: set[str], ignore: set[str]) -> tuple[float, float]:
    found = found - ignore
    tp = len(found & positives)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(positives) if positives else 1.0
    return precision, recall


def baselines(case: Case, k: int) -> dict[str, set[str]]:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from sklearn.ensemble import IsolationForest

    from app.core.schema_analysis import FEATURE_COLUMNS

    names = [n for n, _ in FEATURE_COLUMNS]
    with case.raw() as con:
        rows = con.execute(f"SELECT a.name, {', '.join('f.' + n for n in names)} FROM "
                           "account_features f JOIN accounts a ON a.id = f.account_id").fetchall()
        pairs = con.execute("SELECT DISTINCT account_id, ip_id FROM events "
                            "WHERE ip_id IS NOT NULL").fetchall()
        id_name = dict(con.execute("SELECT id, name FROM accounts").fetchall())
    acc = [r[0] for r in rows]
    x = np.nan_to_num(np.array([r[1:] for r in rows], dtype=np.float64))
    events = x[:, names.index("events")]
    out = {"top_volume": {acc[i] for i in np.argsort(-events)[:k]}}
    forest = IsolationForest(n_estimators=200, random_state=0).fit(x)
    out["isolation_forest"] = {acc[i] for i in np.argsort(forest.score_samples(x))[:k]}
    p = np.array(pairs, dtype=np.int64)
    n_acc = int(max(id_name)) + 1
    ip_node = p[:, 1] + n_acc
    g = coo_matrix((np.ones(len(p)), (p[:, 0], ip_node)), shape=(n_acc + p[:, 1].max() + 1,) * 2)
    _, label = connected_components(g, directed=False)
    acc_label = label[:n_acc]
    present = np.array(sorted(id_name))
    sizes = Counter(acc_label[present].tolist())
    out["shared_ip_components"] = {id_name[a] for a in present if sizes[acc_label[a]] >= 3}
    return out


def run_one(preset: str, seed: int, work: Path, keep: Path | None,
            overrides: dict | None = None, existing: tuple[Path, Path] | None = None) -> dict:
    """Simulate, import, analyze and score one world; ``existing`` = (case, truth) skips the
    first two (a full-scale case takes ~20 minutes to import)."""
    from app.core.detect import mixed_accounts, suspicious_accounts
    from app.io.importer import import_file
    from app.sim import run_simulation

    if existing is not None:
        case_path, truth_path = existing
        case = Case(case_path)
        sim_s = import_s = 0.0
    else:
        export = work / f"{preset}-{seed}.csv"
        truth_path = work / f"{preset}-{seed}.truth.csv"
        t = time.time()
        run_simulation(preset, seed, export, truth=truth_path, **(overrides or {}))
        sim_s = time.time() - t
        case_path = keep or work / f"{preset}-{seed}.hscase"
        if case_path.exists():
            case_path.unlink()
        case = Case(case_path, create=True)
        t = time.time()
        import_file(case, export)
        import_s = time.time() - t
    child = subprocess.run([sys.executable, "-c", _CHILD, str(ROOT), str(case_path)],
                           capture_output=True, text=True)
    if child.returncode:
        raise SystemExit(child.stderr)
    stats = json.loads(child.stdout.strip().splitlines()[-1])
    truth = read_truth(truth_path)
    positives = {a for a, (_, role) in truth.items() if role in CAMPAIGN_ROLES}
    relays = {a for a, (_, role) in truth.items() if role == "reseller_mixed"}
    found = {name for name, *_ in suspicious_accounts(case)}
    mixed = {row[0] for row in mixed_accounts(case)}
    precision, recall = prf(found, positives, relays)
    by_role = Counter(truth[a][1] for a in found if a in truth and truth[a][1] in BENIGN_ROLES)
    mixed_roles = Counter(truth[a][1] for a in mixed if a in truth and truth[a][1] in BENIGN_ROLES)
    per_arch = {r: prf(found, {a for a in positives if truth[a][1] == r}, relays)[1]
                for r in CAMPAIGN_ROLES}
    res = dict(preset=preset, seed=seed, sim_s=sim_s, import_s=import_s, **stats,
               positives=len(positives), found=len(found), tp=len(found & positives),
               precision=precision, recall=recall, recall_by_archetype=per_arch,
               benign_flagged=dict(by_role), benign_mixed=dict(mixed_roles), relays=len(relays),
               relays_surfaced=len(relays & (mixed | found)), relays_as_mixed=len(relays & mixed))
    res["baselines"] = {}
    for name, accounts in baselines(case, len(positives)).items():
        bp, br = prf(accounts, positives, relays)
        res["baselines"][name] = dict(precision=bp, recall=br, flagged=len(accounts - relays))
    case.close()
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="small")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--keep", type=Path, help="keep the case file here (one seed)")
    ap.add_argument("--json", type=Path, help="also write all results as JSON")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=INT",
                    help="override an integer preset field, e.g. --set labs=8 (repeatable)")
    ap.add_argument("--case", type=Path, help="score an already imported case (with --truth) "
                                              "instead of simulating; --preset names it")
    ap.add_argument("--truth", type=Path, help="the truth file of --case")
    args = ap.parse_args(argv)
    if (args.case is None) != (args.truth is None):
        ap.error("--case and --truth go together")
    overrides = {}
    for item in args.set:
        name, _, value = item.partition("=")
        overrides[name.strip()] = int(value)
    import igraph
    import sklearn
    print(f"# machine: nproc={os.cpu_count()} python={platform.python_version()} "
          f"numpy={np.__version__} igraph={igraph.__version__} sklearn={sklearn.__version__}")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            existing = (args.case, args.truth) if args.case else None
            r = run_one(args.preset, seed, Path(tmp), args.keep, overrides, existing)
            results.append(r)
            print(f"{r['preset']} seed={seed}: {r['events']:,} events, {r['accounts']:,} accounts"
                  f" | analyze {r['seconds']:.1f} s, peak RSS {r['rss_mb']:.0f} MB "
                  f"(sim {r['sim_s']:.1f} s, import {r['import_s']:.1f} s)")
            print(f"  hydrascope: P={r['precision']:.3f} R={r['recall']:.3f} "
                  f"({r['tp']}/{r['positives']} campaign accounts, {r['found']} listed) "
                  f"recall by archetype {json.dumps({k: round(v, 3) for k, v in r['recall_by_archetype'].items()})}"
                  f" benign flagged {r['benign_flagged'] or 'none'}"
                  f" benign listed mixed {r['benign_mixed'] or 'none'} "
                  f"mixed relays surfaced {r['relays_surfaced']}/{r['relays']}")
            for name, b in r["baselines"].items():
                print(f"  {name:>22}: P={b['precision']:.3f} R={b['recall']:.3f} "
                      f"({b['flagged']} listed)")
            print(f"  steps: {json.dumps({k: round(v, 2) for k, v in r['timings'].items()})}")
    tp = sum(r["tp"] for r in results)
    found = sum(r["found"] for r in results)
    pos = sum(r["positives"] for r in results)
    benign = sum(sum(r["benign_flagged"].values()) for r in results)
    benign_mixed = sum(sum(r["benign_mixed"].values()) for r in results)
    print(f"TOTAL {args.preset} seeds={args.seeds}: P={tp / max(found, 1):.3f} "
          f"R={tp / max(pos, 1):.3f} benign flagged={benign} benign mixed={benign_mixed} "
          f"relays surfaced={sum(r['relays_surfaced'] for r in results)}/"
          f"{sum(r['relays'] for r in results)}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
