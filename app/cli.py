"""The ``hydrascope`` command line: the same pipeline as the window, headless.

Each subcommand is a thin shell over ``app.io`` / ``app.core`` / ``app.sim``. User mistakes
(a bad file, a wrong mapping, a case from a newer version) print one line naming the problem
and exit 2; Ctrl-C during an import rolls it back and exits 130; nothing prints a traceback
unless it is a bug.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from app import __version__
from app.core.errors import HydrascopeError

__all__ = ["main", "build_parser"]

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _ts(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


class _Progress:
    """A one-line progress bar on a terminal (rows, rows/s, % and ETA); silent otherwise."""

    def __init__(self, label: str, stream=None):
        self.label, self.stream = label, stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.t0 = time.perf_counter()
        self._last = 0.0
        self._rows = 0
        self._width = 78

    def __call__(self, rows: int, fraction: float) -> None:
        now = time.perf_counter()
        self._rows = rows
        if not self.enabled or now - self._last < 0.2:
            return
        self._last = now
        elapsed = now - self.t0
        rate = rows / elapsed if elapsed > 0 else 0.0
        eta = elapsed * (1 - fraction) / fraction if fraction > 0.001 else 0
        self.stream.write(f"\r{self.label}: {rows:,} rows  {rate:,.0f} rows/s  {fraction:5.1%}  "
                          f"ETA {int(eta // 60)}:{int(eta % 60):02d}   ")
        self.stream.flush()

    def stage(self, name: str) -> None:
        """Say which end-of-import step runs (they follow the last row and can take minutes)."""
        if self.enabled:
            line = f"{self.label}: {self._rows:,} rows read; finishing: {name} ..."
            self._width = max(self._width, len(line))
            self.stream.write("\r" + line.ljust(self._width))
            self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()


# -- commands ----------------------------------------------------------------------------------
def cmd_import(args) -> int:
    from app.core.case import Case
    from app.io.importer import import_file
    from app.io.mapping import parse_overrides
    from app.io.opener import sniff

    overrides = parse_overrides(args.map or [])
    for f in args.files:  # refuse unreadable files before any of them touches the case
        sniff(Path(f))
    case = Case(args.case, create=True)
    if args.prompt_cap is not None:
        if args.prompt_cap < 1:
            raise HydrascopeError("--prompt-cap must be a positive number of characters")
        case.set_meta("prompt_cap", str(args.prompt_cap))
    try:
        for f in args.files:
            bar = _Progress(Path(f).name)
            try:
                res = import_file(case, f, fmt=args.format, mapping=overrides, force=args.force,
                                  enrich_by=args.enrich_by, progress=bar, stage=bar.stage)
            finally:
                bar.done()
            if res.skipped:
                d = res.duplicate_of
                print(f"{f}: already imported as import #{d['import_id']} ({d['file_name']}, "
                      f"{_ts(d['finished_at'])} UTC); skipped. Use --force to import it again.")
                continue
            st = res.stats
            if args.enrich_by:
                line = (f"{f}: {res.format}, {st.rows_read:,} records read, {st.rows_enriched:,} events "
                        f"enriched, {st.rows_unmatched:,} without a matching event, "
                        f"{st.rows_rejected:,} rejected")
            else:
                line = (f"{f}: {res.format}, {st.rows_read:,} records read, {st.rows_stored:,} stored, "
                        f"{st.rows_rejected:,} rejected")
                if st.rows_skipped:
                    line += f", {st.rows_skipped:,} non-event records skipped"
            rate = st.rows_read / st.seconds if st.seconds else 0
            print(f"{line} in {st.seconds:.1f} s ({rate:,.0f} rows/s)")
            tail = sum(st.finishing.values())
            if tail >= 10:  # worth knowing where the minutes after the last row went
                steps = ", ".join(f"{name} {secs:.1f} s" for name, secs in st.finishing.items() if secs >= 0.1)
                print(f"  after the last row: {tail:.1f} s ({steps})")
            for reason, n in st.reasons.most_common(5):
                print(f"  rejected {n:,}: {reason}")
    finally:
        case.close()
    return 0


def cmd_info(args) -> int:
    from app.core.case import Case
    from app.core.queries import summary

    with Case(args.case) as case:
        s = summary(case)
    if args.json:
        print(json.dumps(s.as_dict(), indent=2))
        return 0
    print(f"case      {s.path} (schema v{s.schema_version})")
    print(f"events    {s.events:,}")
    print(f"accounts  {s.accounts:,}")
    print(f"span      {_ts(s.first_ts)} .. {_ts(s.last_ts)} UTC")
    print(f"rejected  {s.rejected:,}")
    print(f"distinct  {s.ips:,} IPs in {s.ip_prefixes:,} prefixes, {s.user_agents:,} user agents, "
          f"{s.orgs:,} orgs, {s.api_keys:,} API keys, {s.models:,} models, {s.prompts:,} prompts, "
          f"{s.templates:,} templates")
    print("imports")
    for i in s.imports:
        what = f"{i.rows_enriched:,} enriched" if i.mode == "enrich" else f"{i.rows_stored:,} stored"
        print(f"  #{i.id} {i.file_name} [{i.format}] {i.rows_read:,} read, {what}, "
              f"{i.rows_rejected:,} rejected, {_ts(i.finished_at)} UTC, sha256 {i.sha256[:12]}")
    return 0


def cmd_accounts(args) -> int:
    from app.core.case import Case
    from app.core.queries import iter_accounts

    with Case(args.case) as case:
        rows = iter_accounts(case, limit=args.limit, order=args.sort)
        if args.out:
            with open(args.out, "w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(["account", "events", "first_seen_utc", "last_seen_utc"])
                n = 0
                for r in rows:
                    w.writerow([r.name, r.events, _ts(r.first_seen), _ts(r.last_seen)])
                    n += 1
            print(f"{n:,} accounts written to {args.out}")
            return 0
        print(f"{'account':<40} {'events':>10}  {'first seen (UTC)':<19}  {'last seen (UTC)':<19}")
        for r in rows:
            print(f"{r.name[:40]:<40} {r.events:>10,}  {_ts(r.first_seen):<19}  {_ts(r.last_seen):<19}")
    return 0


def cmd_formats(args) -> int:
    from app.core.canonical import describe
    from app.io import presets
    from app.io.importer import CONTAINER_FORMATS

    print("containers (generic column mapping):", ", ".join(CONTAINER_FORMATS))
    print("presets (auto-detected from content):")
    for name in presets.names():
        p = presets.get(name)
        missing = f"  (never carries: {', '.join(p.missing)})" if p.missing else ""
        print(f"  {name:<12} {p.title}{missing}")
    print("canonical fields (for --map SOURCE=FIELD):")
    print(describe())
    return 0


def cmd_simulate(args) -> int:
    from app.sim import run_simulation

    bar = _Progress("simulate")
    try:
        res = run_simulation(args.preset, args.seed, args.out, fmt=args.format, truth=args.truth,
                             progress=lambda done, total: bar(done, done / total if total else 0))
    finally:
        bar.done()
    print(f"{args.out}: {res.events:,} events from {res.accounts:,} accounts "
          f"({res.campaign_accounts:,} in campaigns) in {res.seconds:.1f} s")
    if args.truth:
        print(f"{args.truth}: truth labels")
    return 0


# -- parser ------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hydrascope", description=(
        "Find coordinated distillation campaigns in LLM API log exports. Offline; one case = one "
        "SQLite file."))
    p.add_argument("--version", action="version", version=f"hydrascope {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    imp = sub.add_parser("import", help="import log exports into a case (created if missing)")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--case", required=True, help="case file (.hscase)")
    imp.add_argument("--format", metavar="NAME", help="preset or container; see `hydrascope formats`")
    imp.add_argument("--map", action="append", metavar="SOURCE=FIELD",
                     help="map a source column to a canonical field (repeatable)")
    imp.add_argument("--force", action="store_true", help="import a file already imported (same sha256)")
    imp.add_argument("--enrich-by", choices=["request_id"],
                     help="add no events: fill in client IP and user agent of matching events")
    imp.add_argument("--prompt-cap", type=int, metavar="N",
                     help="characters of prompt text kept per distinct prompt (default 2000)")
    imp.set_defaults(func=cmd_import)

    info = sub.add_parser("info", help="counts, time span and import history of a case")
    info.add_argument("case")
    info.add_argument("--json", action="store_true")
    info.set_defaults(func=cmd_info)

    acc = sub.add_parser("accounts", help="list accounts with events, first and last seen")
    acc.add_argument("case")
    acc.add_argument("--out", metavar="FILE.csv")
    acc.add_argument("--limit", type=int)
    acc.add_argument("--sort", choices=["events", "first_seen", "last_seen", "name"], default="events")
    acc.set_defaults(func=cmd_accounts)

    fm = sub.add_parser("formats", help="list readable formats and canonical fields")
    fm.set_defaults(func=cmd_formats)

    sim = sub.add_parser("simulate", help="write a realistic export with known campaigns")
    sim.add_argument("--preset", default="demo")
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument("--out", required=True)
    sim.add_argument("--format", choices=["csv", "jsonl", "parquet", "bedrock", "litellm"])
    sim.add_argument("--truth", metavar="TRUTH.csv")
    sim.set_defaults(func=cmd_simulate)

    from app import cli_detect

    cli_detect.add_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except HydrascopeError as exc:
        print(f"hydrascope: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\nhydrascope: interrupted; the import in progress was rolled back, the case is unchanged",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a file named on the command line that cannot be written or read
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"hydrascope: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE


def run() -> None:
    """Entry point of the ``hydrascope`` command: :func:`main`, then leave without finalising.

    An import stopped early (a file that fails to parse, Ctrl-C) can leave Arrow's CSV reader
    reading ahead in its own thread, inside a call back into Python. If the interpreter is
    finalising when that call ends, CPython aborts the process ("PyGILState_Release: thread
    state must be current"; measured: exit 134 in up to 9 of 10 runs of one bad CSV, after the
    message had been printed). Everything the command owns is closed when :func:`main`
    returns (cases are closed, imports committed or rolled back), so the process flushes its
    output and exits at once instead.
    """
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
    os._exit(code)


if __name__ == "__main__":
    run()
