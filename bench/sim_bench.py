"""Measure the scenario simulator: seconds, events/s, peak RSS and file size for one preset.

Usage (from the repo root):
    .venv/bin/python bench/sim_bench.py --preset full --out /tmp/full.csv.gz
Prints one line per ~10% of progress and a summary block; record it in bench/results/simulate.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from app.sim import run_simulation  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="full")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="/tmp/hydrascope_sim_bench.csv.gz")
    ap.add_argument("--format", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the output file")
    args = ap.parse_args()
    t0 = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        frac = done / max(total, 1)
        if frac - last[0] >= 0.1:
            last[0] = frac
            el = time.perf_counter() - t0
            print(f"  {done:>12,} / {total:,} events  {el:7.1f} s  {done / el:,.0f} ev/s", flush=True)

    truth = Path(args.out).with_name("bench_truth.csv")
    s = run_simulation(args.preset, args.seed, args.out, fmt=args.format, truth=truth, progress=progress)
    seconds = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = os.path.getsize(args.out)
    print(f"preset          {args.preset} (seed {args.seed}, format {s.fmt}, file {args.out})")
    print(f"events          {s.events:,}")
    print(f"accounts        {s.accounts:,} ({s.campaign_accounts:,} campaign, "
          f"{100 * s.campaign_accounts / s.accounts:.1f}%)")
    print(f"seconds         {seconds:.1f}")
    print(f"events/s        {s.events / seconds:,.0f}")
    print(f"peak RSS        {rss_mb:,.0f} MB")
    print(f"file size       {size / 1e6:,.1f} MB ({size / s.events:.1f} bytes/event)")
    print(f"machine         nproc={os.cpu_count()} python={platform.python_version()} "
          f"numpy={np.__version__} pyarrow={pa.__version__} {platform.platform()}")
    if not args.keep:
        for p in (Path(args.out), truth, truth.with_name("bench_truth.scenario.json")):
            p.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
