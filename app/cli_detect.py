"""CLI commands for the detection half of the pipeline: analyze, clusters, export, demo.

Split from :mod:`app.cli` so each file stays small; the commands are thin shells over
:mod:`app.core.detect`.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from app.core.errors import HydrascopeError

__all__ = ["add_commands"]


def _progress(stream=None):
    stream = stream or sys.stderr
    if not stream.isatty():
        return None

    def report(fraction: float, message: str) -> None:
        stream.write(f"\ranalyze: {fraction:5.1%} {message[:60]:<60}")
        stream.flush()

    return report


def _print_clusters(clusters, out=None) -> None:
    out = out or sys.stdout
    if not clusters:
        print("no clusters found", file=out)
        return
    print(f"{'id':>4} {'accounts':>8} {'events':>10} {'score':>6} flag  top reasons", file=out)
    for c in clusters:
        flag = "YES " if c.flagged else "    "
        reasons = "; ".join(c.reasons[:2])
        print(f"{c.id:>4} {c.accounts:>8,} {c.events:>10,} {c.score:>6.2f} {flag} {reasons}", file=out)


def cmd_analyze(args) -> int:
    from app.core.case import Case
    from app.core.detect import analyze, list_clusters

    with Case(args.case) as case:
        if args.release_date:
            case.set_meta("release_date", args.release_date)
        report = _progress()
        summary = analyze(case, progress=report)
        if report:
            sys.stderr.write("\r" + " " * 78 + "\r")
        clusters = list_clusters(case)
    flagged = sum(c.flagged for c in clusters)
    print(f"{args.case}: analysed {summary.accounts:,} accounts, {len(clusters):,} candidate clusters, "
          f"{flagged:,} flagged, in {summary.seconds:.1f} s")
    return 0


def cmd_clusters(args) -> int:
    from app.core.case import Case
    from app.core.detect import list_clusters

    with Case(args.case) as case:
        clusters = list_clusters(case, top=args.top)
    if args.json:
        print(json.dumps([{"id": c.id, "accounts": c.accounts, "events": c.events, "score": round(c.score, 4),
                           "flagged": c.flagged, "reasons": c.reasons} for c in clusters], indent=2))
    else:
        _print_clusters(clusters)
    return 0


def cmd_export(args) -> int:
    from app.core.case import Case
    from app.core.detect import suspicious_accounts

    if not args.suspicious:
        raise HydrascopeError("export: say what to export (--suspicious)")
    with Case(args.case) as case:
        rows = suspicious_accounts(case, threshold=args.threshold)
    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["account_id", "cluster_id", "score", "reasons"])
        for account, cluster_id, score, reasons in rows:
            w.writerow([account, cluster_id, f"{score:.4f}", reasons])
    print(f"{len(rows):,} suspicious accounts written to {args.out}")
    return 0


def cmd_demo(args) -> int:
    """Import the bundled demo export (once), analyse it and print the top clusters."""
    from app.core.case import Case
    from app.core.detect import analyze, list_clusters
    from app.core.resources import resource_path
    from app.io.importer import import_file

    demo = resource_path("samples", "demo.csv.gz")
    if not demo.exists():
        raise HydrascopeError(f"the bundled demo export is missing ({demo})")
    with Case(Path(args.case), create=True) as case:
        res = import_file(case, demo)
        if res.skipped:
            print(f"{args.case}: demo export already imported")
        else:
            print(f"{args.case}: imported {res.stats.rows_stored:,} events from {demo.name} "
                  f"in {res.stats.seconds:.1f} s")
        summary = analyze(case)
        clusters = list_clusters(case, top=args.top)
    print(f"analysed {summary.accounts:,} accounts in {summary.seconds:.1f} s; top clusters:")
    _print_clusters(clusters)
    return 0


def add_commands(sub) -> None:
    an = sub.add_parser("analyze", help="compute features, link accounts, find and score clusters")
    an.add_argument("case")
    an.add_argument("--release-date", metavar="YYYY-MM-DD",
                    help="model release date for the post-release ramp signal (stored in the case)")
    an.set_defaults(func=cmd_analyze)

    cl = sub.add_parser("clusters", help="list clusters, best first")
    cl.add_argument("case")
    cl.add_argument("--top", type=int)
    cl.add_argument("--json", action="store_true")
    cl.set_defaults(func=cmd_clusters)

    ex = sub.add_parser("export", help="export evidence")
    ex.add_argument("case")
    ex.add_argument("--suspicious", action="store_true",
                    help="one row per account in a cluster at or above the threshold")
    ex.add_argument("--threshold", type=float, help="score threshold (default: the config's)")
    ex.add_argument("--out", required=True, metavar="FILE.csv")
    ex.set_defaults(func=cmd_export)

    demo = sub.add_parser("demo", help="import the bundled demo export, analyse it, print top clusters")
    demo.add_argument("--case", default="demo.hscase")
    demo.add_argument("--top", type=int, default=10)
    demo.set_defaults(func=cmd_demo)
