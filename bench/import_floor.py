"""Floor of an import on this machine: the parts no implementation of the case schema can skip.

Usage (from the checkout, with .venv installed; the CSV is the one bench/import_bench.py makes)::

    .venv/bin/python bench/import_floor.py --rows 1000000 --repeat 3

Issue 2 asks for twice the sqlite3 shell's rows/s while computing everything. This measures,
in one run and on the same CSV, the pieces such an import is made of, each as fast as the
libraries allow, and the sqlite3 shell's ``.import`` beside them:

* **writes**: every row a finished Hydrascope import stored (events, distinct prompts with their
  text, templates, dimension values, rollups, account totals) is read back into Arrow tables
  first, then timed as it is written into a fresh case through the same ADBC connection, in
  32,768-row batches, in one ``BEGIN IMMEDIATE`` transaction, with the same end-of-import index
  builds (unique prompt and template ids, the covering events index). Nothing is parsed,
  computed, looked up or deduplicated. SQLite has one writer, so this is a lower bound of the
  import's wall time however the other work is spread over cores.
* **parse**: pyarrow's multi-threaded CSV reader over the file, all columns (its CPU time).
* **content**: :func:`app.core.content.analyze_prompts` over the distinct prompts as stored
  (capped at the case's prompt cap, so a little less text than the import sees), in the
  import's batch size, CPU time.

The bound printed is ``max(writes, (writes + parse + content) CPU / cores)``: no schedule of
this work on this machine's cores finishes sooner. Everything else the importer does (mapping,
timestamps, dimension encoding, dedup, the queue between threads) comes on top.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from import_bench import make_csv, run  # noqa: E402  (the same cached CSV, the same timing of a tool)

from app.core import content  # noqa: E402
from app.core.bulk_db import BulkConnection  # noqa: E402
from app.core.case import Case  # noqa: E402
from app.core.schema import index_ddl  # noqa: E402

#: tables an import writes, parents first; the rows of each are copied in this order
TABLES = ("accounts", "orgs", "api_keys", "ip_prefixes", "ips", "user_agents", "models",
          "templates", "prompts", "events", "hourly_rollups")
#: indexes an import into an empty case builds once, sorted, at its end
FINAL_INDEXES = ("ux_prompts_id", "ux_templates_id", "ix_events_account_cover")
BATCH = 32_768


def stored_rows(case_path: Path) -> dict[str, pa.Table]:
    """Every row of the import tables of a finished case, as Arrow tables in stored order."""
    with BulkConnection(case_path) as con:
        return {t: con.execute(f"SELECT * FROM {t}").fetch_arrow() for t in TABLES}


def time_writes(tables: dict[str, pa.Table], where: Path) -> tuple[float, dict[str, float]]:
    """Seconds to write ``tables`` into a fresh case the way an import does (see the module
    doc), and the seconds of each step (a table's rows, an index, the commit)."""
    path = where / "floor.hscase"
    for suffix in ("", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    Case(path, create=True).close()
    steps: dict[str, float] = {}
    t0 = time.perf_counter()
    with BulkConnection(path) as con:
        con.execute("PRAGMA cache_size=-32768")
        con.execute("BEGIN IMMEDIATE")
        for name in FINAL_INDEXES:
            con.execute(f"DROP INDEX {name}")
        for table in TABLES:
            data, t = tables[table], time.perf_counter()
            for start in range(0, data.num_rows, BATCH):
                con.ingest(table, data.slice(start, BATCH))
            steps[table] = time.perf_counter() - t
        con.execute("PRAGMA cache_size=-131072")
        for name in FINAL_INDEXES:
            t = time.perf_counter()
            con.execute(index_ddl(name))
            steps[name] = time.perf_counter() - t
        t = time.perf_counter()
        con.execute("COMMIT")
        steps["commit"] = time.perf_counter() - t
    seconds = time.perf_counter() - t0
    path.unlink()
    return seconds, steps


def parse_cpu(csv_path: Path) -> tuple[float, float]:
    """(wall s, CPU s) of pyarrow's streaming CSV reader over the whole file, every column as text
    (as the importer reads it; quoted values may hold new lines)."""
    import csv

    with open(csv_path, newline="", encoding="utf-8") as fh:
        names = next(csv.reader(fh))
    w0, c0 = time.perf_counter(), time.process_time()
    reader = pacsv.open_csv(csv_path, read_options=pacsv.ReadOptions(block_size=16 << 20),
                            parse_options=pacsv.ParseOptions(newlines_in_values=True),
                            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}))
    for _ in reader:
        pass
    return time.perf_counter() - w0, time.process_time() - c0


def content_cpu(prompts: pa.Table) -> float:
    """CPU seconds of the content analysis of the distinct prompts, in the import's batch size."""
    rules = content.load_rules()
    text = prompts.column("text").combine_chunks()
    c0 = time.process_time()
    for start in range(0, len(text), BATCH):
        content.analyze_prompts(text.slice(start, BATCH), rules)
    return time.process_time() - c0


def shell_import(csv_path: Path, where: Path) -> float:
    """Wall seconds of the sqlite3 shell's ``.import`` of the CSV into a new database."""
    db = where / "shell.db"
    db.unlink(missing_ok=True)
    seconds, _, code = run(["sqlite3", str(db), ".mode csv", f".import {csv_path} events"])
    if code != 0:
        raise SystemExit("the sqlite3 shell failed (see above)")
    db.unlink()
    return seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    csv_path = make_csv(args.rows)
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(dir=ROOT / "bench" / "out") as tmp:
        where = Path(tmp)
        case_path = where / "source.hscase"
        print(f"importing {csv_path.name} once with hydrascope to get the rows it stores ...", flush=True)
        subprocess.run([sys.executable, "-m", "app", "import", str(csv_path), "--case", str(case_path)],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        tables = stored_rows(case_path)
        case_path.unlink()
        counts = ", ".join(f"{t} {tables[t].num_rows:,}" for t in TABLES)
        print(f"rows stored: {counts}")
        writes, parses, contents, shells, step_runs = [], [], [], [], []
        for _ in range(args.repeat):  # interleaved, so a noisy minute hits every part alike
            seconds, steps = time_writes(tables, where)
            writes.append(seconds)
            step_runs.append(steps)
            parses.append(parse_cpu(csv_path)[1])
            contents.append(content_cpu(tables["prompts"]))
            shells.append(shell_import(csv_path, where))
    n = args.rows
    w, p, c, s = (statistics.median(x) for x in (writes, parses, contents, shells))
    bound = max(w, (w + p + c) / cores)
    print(f"medians of {args.repeat}, {n:,} rows, {cores} cores:")
    print(f"  writes alone (one writer, wall)     {w:6.1f} s  {n / w:>9,.0f} rows/s")
    top = sorted(step_runs[0], key=lambda k: -statistics.median(r[k] for r in step_runs))[:6]
    print("    of which " + ", ".join(f"{k} {statistics.median(r[k] for r in step_runs):.2f} s" for k in top))
    print(f"  CSV parse (pyarrow, CPU)            {p:6.1f} s")
    print(f"  content analysis (CPU)              {c:6.1f} s")
    print(f"  floor max(writes, CPU / {cores} cores)   {bound:6.1f} s  {n / bound:>9,.0f} rows/s")
    print(f"  sqlite3 shell .import (wall)        {s:6.1f} s  {n / s:>9,.0f} rows/s")
    print(f"  floor / shell: {s / bound:.2f}x  (the goal is 2x); writes alone / shell: {s / w:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
