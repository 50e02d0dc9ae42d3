"""``run_simulation``: the one entry point the CLI, the demo and the benchmarks call.

It resolves the preset and output format, builds the world, streams day after day of events
to the export, then writes the truth file (only accounts that actually appear in the export,
named exactly as the export names them) and a scenario sidecar describing the campaigns.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from app.core.errors import InputError

from .events import DayMaker
from .formats import Tables
from .output import open_writer, replace_atomically, resolve_format
from .population import MODELS, ROLES, World
from .presets import PRESETS, resolve
from .world import build_world, expected_events

__all__ = ["SimSummary", "run_simulation", "scenario_path"]

_WRITE_ROWS = 100_000  # rows per chunk and write call: bounds memory of rendered text


@dataclass
class SimSummary:
    """What a simulation wrote."""

    events: int
    accounts: int
    campaign_accounts: int
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0
    fmt: str = ""
    preset: str = ""
    seed: int = 0


def scenario_path(truth: Path) -> Path:
    """Where the scenario sidecar of truth file ``truth`` goes (``X.csv`` -> ``X.scenario.json``)."""
    return truth.with_name(truth.name.rsplit(".", 1)[0] + ".scenario.json")


def _check_target(path: Path, what: str) -> None:
    if path.is_dir():
        raise InputError(f"{what} {path} is a directory, not a file")
    if not path.parent.exists():
        raise InputError(f"{what} {path}: folder {path.parent} does not exist")


def _scenario(w: World, summary: SimSummary, seen: np.ndarray) -> dict:
    roles = {r: int(((w.role == i) & seen).sum()) for i, r in enumerate(ROLES)}
    camps = []
    for c in w.campaigns:
        camps.append(dict(
            id=c.cid, archetype=c.archetype, accounts=int(seen[c.members].sum()),
            mixed_reseller_accounts=int(seen[c.mixed].sum()) if len(c.mixed) else 0,
            cohorts=c.cohorts, timezone_utc_offset=c.tz, shifts_local=[list(s) for s in c.shifts],
            batch_interval_s=round(c.interval_ms / 1000, 1), jitter_s=round(c.jitter_ms / 1000, 1),
            proxy_prefixes=c.prefixes, templates=c.pools.template_ids,
            camouflage_share=round(c.p_camo, 3), cot_suffix_share=round(c.p_cot, 3),
            new_model_share=round(c.new_share, 3), new_model_delay_h=round(c.adopt_delay_ms / 3.6e6, 1)))
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(w.t0_ms / 1000))
    release = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime((w.t0_ms + w.release_ms) / 1000))
    return dict(preset=summary.preset, seed=summary.seed, format=summary.fmt, start=start, days=w.days,
                events=summary.events, accounts=summary.accounts, campaign_accounts=summary.campaign_accounts,
                models=list(MODELS), new_model=MODELS[-1], new_model_release=release,
                accounts_by_role=roles, campaigns=camps,
                eval_bots=[dict(benchmark=b["set"], problems=b["size"], cadence_s=b["cadence_ms"] / 1000,
                                run_hours_utc=b["run_hours"]) for b in w.bots])


def run_simulation(preset: str, seed: int, out, fmt: str | None = None, truth=None,
                   progress: Callable[[int, int], None] | None = None, **overrides) -> SimSummary:
    """Simulate a world and write its log export (and optionally its ground truth).

    Parameters
    ----------
    preset : str
        A key of :data:`app.sim.PRESETS` (tiny, small, demo, medium, large, full).
    seed : int
        Same seed, preset, overrides and format give byte-identical files.
    out : str or Path
        Export path; the format follows the extension (.csv/.jsonl/.parquet, optionally
        .gz/.zst) unless ``fmt`` is given.
    fmt : str, optional
        One of :data:`app.sim.FORMATS` (csv, jsonl, parquet, bedrock, litellm).
    truth : str or Path, optional
        Truth CSV (account,label,role); a ``.scenario.json`` sidecar is written beside it.
    progress : callable, optional
        Called as ``progress(done_events, total_events)`` after each written batch.
    **overrides
        Replace top-level preset fields, e.g. ``days=10`` or ``campaign_share=0.2``.

    Returns
    -------
    SimSummary
        Events, accounts and campaign accounts written, files and elapsed seconds.

    Raises
    ------
    InputError
        Unknown preset, format or option, or an output path that cannot be written.
    """
    t_start = time.perf_counter()
    if preset not in PRESETS:
        raise InputError(f"unknown simulation preset {preset!r} (choose from {', '.join(PRESETS)})")
    try:
        p = resolve(preset, overrides)
        out = Path(out)
        fmt, compression = resolve_format(out, fmt)
    except (ValueError, TypeError) as exc:
        raise InputError(f"simulate: {exc}") from None
    _check_target(out, "output")
    truth_path = Path(truth) if truth is not None else None
    if truth_path is not None:
        _check_target(truth_path, "truth file")
    world = build_world(p, int(seed))
    total = int(round(expected_events(world).sum()))
    maker = DayMaker(world)
    tables = Tables(world, fmt)
    if compression == "gzip":
        compression = f"gzip:{p.gzip_level}"
    tmp = out.with_name(out.name + ".part")
    seen = np.zeros(world.n, bool)
    done = 0
    try:
        writer = open_writer(tmp, fmt, compression, tables)
        try:
            for day in range(world.days):
                for part in maker.day(day, _WRITE_ROWS):
                    seen[part.acct] = True
                    writer.write(part)
                    done += len(part)
                    del part
                    pa.default_memory_pool().release_unused()
                    if progress is not None:
                        progress(done, max(total, done))
        finally:
            writer.close()
        replace_atomically(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if progress is not None:
        progress(done, done)
    summary = SimSummary(events=done, accounts=int(seen.sum()),
                         campaign_accounts=int((seen & (world.label >= 0)).sum()),
                         files=[str(out)], fmt=fmt, preset=preset, seed=int(seed))
    if truth_path is not None:
        idx = np.flatnonzero(seen)
        # name each account as the importer will see it: LiteLLM's account is the virtual-key
        # hash (see app/io/presets/litellm.py), every other format carries the account id itself
        ids = tables.key_hash if fmt == "litellm" else tables.account
        names = ids.take(pa.array(idx)).to_pylist()
        rows = sorted((name, "benign" if world.label[i] < 0 else world.campaigns[world.label[i]].cid,
                       ROLES[world.role[i]]) for name, i in zip(names, idx.tolist()))
        try:
            with open(truth_path, "w", newline="", encoding="utf-8") as fh:
                wr = csv.writer(fh, lineterminator="\n")
                wr.writerow(["account", "label", "role"])
                wr.writerows(rows)
            side = scenario_path(truth_path)
            side.write_text(json.dumps(_scenario(world, summary, seen), indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write truth file {truth_path}: {exc.strerror or exc}") from None
        summary.files += [str(truth_path), str(side)]
    summary.seconds = round(time.perf_counter() - t_start, 3)
    return summary
