"""Import one export file into a case: sniff, choose a preset or a column mapping, stream, store.

This is the one path both the CLI and the window use. It decides how to read the file from
its first batch (a preset recognised from content, or a generic mapping guessed from column
names and overridden by ``--map``), refuses before touching the case when the file cannot be
used at all, skips a file already imported (same sha256) unless forced, and streams the rest
through :class:`app.core.ingest.CaseWriter`, which makes the import one transaction.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from app.core.canonical import FIELDS
from app.core.case import Case
from app.core.errors import ImportCancelled, InputError
from app.core import content
from app.core.ingest import CaseWriter, ImportStats
from app.core.memory import release_freed_memory
from app.core.prepare import Prepared, SeenPrompts, prepare, raw_rows_of

from . import presets
from .content_workers import analyze_in_worker, start_worker_pool
from .mapping import flatten_record, guess_mapping, resolve_mapping
from .opener import Sniffed, sniff
from .presets.base import Preset, RecordError
from .readers import RAW_LIMIT, SourceBatch, open_batches

__all__ = ["import_file", "ImportResult", "CONTAINER_FORMATS", "format_names", "file_sha256"]

CONTAINER_FORMATS = ("csv", "tsv", "jsonl", "json", "parquet")
ENRICH_KEYS = ("request_id",)
_SAMPLE = 200


@dataclass
class ImportResult:
    path: Path
    format: str
    mapping: dict[str, Any]
    stats: ImportStats = field(default_factory=ImportStats)
    duplicate_of: dict[str, Any] | None = None  # set when skipped as already imported

    @property
    def skipped(self) -> bool:
        return self.duplicate_of is not None


def format_names() -> list[str]:
    return list(CONTAINER_FORMATS) + presets.names()


def file_sha256(path: Path, chunk: int = 4 << 20, halt: threading.Event | None = None) -> str | None:
    """sha256 of the file's bytes; None if ``halt`` was set before the end was reached."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            if halt is not None and halt.is_set():
                return None
            h.update(block)
    return h.hexdigest()


def _stringify(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def _canonical_from_records(rows: list[dict[str, Any]]) -> pa.Table:
    present = [f for f in FIELDS if any(f in r for r in rows)]
    for req in ("account", "timestamp"):
        if req not in present:
            present.append(req)
    return pa.table({f: pa.array([_stringify(r.get(f)) for r in rows], type=pa.string()) for f in present})


class _Plan:
    """How to turn this file's batches into canonical tables."""

    def __init__(self, path: Path, sniffed: Sniffed, first: SourceBatch, fmt: str | None,
                 overrides: dict[str, str], enrich_by: str | None):
        self.path, self.sniffed, self.overrides = path, sniffed, overrides
        self.preset: Preset | None = None
        self.mapping: dict[str, str] = {}
        tabular = first.table is not None
        container = "csv" if tabular else "json"
        if tabular:
            sample = first.table.slice(0, _SAMPLE).to_pylist()
            columns = first.table.column_names
        else:
            sample = (first.records or [])[:_SAMPLE]
            columns = _json_columns(sample)
        if fmt and fmt not in CONTAINER_FORMATS:
            self.preset = presets.get(fmt)
            if self.preset.container != container:
                raise InputError(f"{path}: --format {fmt} reads {self.preset.container.upper()} "
                                 f"records, but this file holds {sniffed.container.upper()}")
        elif not fmt and sample:
            self.preset = presets.detect(sample, container)
        if self.preset is not None:
            self.name = self.preset.name
            if overrides:
                missing = [s for s in overrides if not any(s in flatten_record(r) for r in sample)]
                if missing:
                    raise InputError(f"{path}: --map names a field not in these records: {', '.join(missing)}")
            return
        self.name = "tsv" if tabular and sniffed.delimiter == "\t" else sniffed.container
        if not columns:
            raise InputError(f"{path}: no records found")
        if enrich_by:
            self.mapping = _enrich_mapping(columns, overrides, path)
        else:
            self.mapping = resolve_mapping(columns, overrides, str(path))

    def describe(self) -> dict[str, Any]:
        if self.preset is not None:
            return {"preset": self.preset.name, "sources": self.preset.sources,
                    "missing": list(self.preset.missing), "overrides": self.overrides}
        return {"columns": self.mapping}

    def prepare(self, batch: SourceBatch, prompt_cap: int, rules, enrich: bool, submit=None,
                seen: SeenPrompts | None = None) -> Prepared:
        """Canonical columns of one batch, validated and computed (runs in the producer thread)."""
        rejects = list(batch.rejects)
        skipped = 0
        if batch.table is not None and self.preset is None:
            t = batch.table
            canon = pa.table({f: _flat_column(t.column(src)) for src, f in self.mapping.items()})
            numbers = np.arange(batch.first_record, batch.first_record + t.num_rows)
            raw_rows = raw_rows_of(t)  # the source columns, not the canonical ones
        else:
            if batch.table is not None:
                records = batch.table.to_pylist()
                numbers_in = list(range(batch.first_record, batch.first_record + len(records)))
            else:
                records, numbers_in = batch.records or [], batch.record_numbers or []
            rows: list[dict[str, Any]] = []
            kept_numbers: list[int] = []
            kept_raw: list[dict[str, Any]] = []
            for rec, no in zip(records, numbers_in):
                if self.preset is None:
                    flat = flatten_record(rec)
                    out = {f: flat.get(src) for src, f in self.mapping.items()}
                else:
                    try:
                        out = self.preset.convert(rec)
                    except RecordError as exc:
                        rejects.append((no, str(exc), _dump(rec)))
                        continue
                    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                        rejects.append((no, f"cannot read this {self.preset.name} record "
                                            f"({type(exc).__name__}: {exc})", _dump(rec)))
                        continue
                    if out is None:
                        skipped += 1
                        continue
                    if self.overrides:
                        flat = flatten_record(rec)
                        for src, f in self.overrides.items():
                            out[f] = flat.get(src)
                rows.append(out)
                kept_numbers.append(no)
                kept_raw.append(rec)
            canon = _canonical_from_records(rows)
            numbers = np.asarray(kept_numbers, dtype=np.int64)

            def raw_rows(rows_: list[int]) -> list[str]:
                return [_dump(kept_raw[i]) for i in rows_]
        prepared = prepare(canon, numbers, raw_rows, prompt_cap, rules, enrich=enrich, submit=submit,
                           seen=seen)
        prepared.rejects = rejects + prepared.rejects
        prepared.skipped += skipped
        return prepared


def _flat_column(col: pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    """A column the canonical fields can use: lists, maps and structs (Parquet) as JSON text,
    bytes as UTF-8 text (invalid bytes replaced), everything else as it is."""
    if pa.types.is_nested(col.type):
        return pa.array([_stringify(v) for v in col.to_pylist()], pa.string())
    if pa.types.is_binary(col.type) or pa.types.is_large_binary(col.type):
        return pa.array([None if v is None else v.decode("utf-8", "replace") for v in col.to_pylist()],
                        pa.string())
    return col


def _dump(rec: Any) -> str:
    return json.dumps(rec, ensure_ascii=False, default=str)[:RAW_LIMIT]


def _json_columns(records: list[dict[str, Any]]) -> list[str]:
    cols: dict[str, None] = {}
    for r in records:
        for k in flatten_record(r):
            cols.setdefault(k, None)
    return list(cols)


def _enrich_mapping(columns: list[str], overrides: dict[str, str], path: Path) -> dict[str, str]:
    mapping = {s: f for s, f in guess_mapping(columns).items() if f not in overrides.values()}
    mapping.update(overrides)
    if "request_id" not in mapping.values():
        raise InputError(f"{path}: --enrich-by request_id needs a request id column "
                         f"(columns: {', '.join(columns[:40])}); name it with --map COLUMN=request_id")
    if not ({"ip", "user_agent"} & set(mapping.values())):
        raise InputError(f"{path}: nothing to enrich with: no client IP or user-agent column")
    return mapping


def _first_batch(source) -> tuple[SourceBatch | None, Iterator[SourceBatch]]:
    """The first batch with rows (carrying the rejects met before it), and the rest."""
    it = iter(source)
    early: list[tuple[int, str, str]] = []
    for batch in it:
        if batch.rows:
            batch.rejects = early + batch.rejects
            return batch, it
        early.extend(batch.rejects)
    return (SourceBatch(first_record=1, records=[], rejects=early) if early else None), it


def import_file(case: Case, path: str | Path, fmt: str | None = None,
                mapping: dict[str, str] | None = None, force: bool = False,
                enrich_by: str | None = None,
                progress: Callable[[int, float], None] | None = None,
                cancelled: Callable[[], bool] | None = None,
                stage: Callable[[str], None] | None = None) -> ImportResult:
    """Import ``path`` into ``case``.

    Parameters
    ----------
    fmt : str, optional
        A preset name (``bedrock``, ``litellm``...) or a container (``csv``, ``jsonl``...);
        detected from content when omitted.
    mapping : dict, optional
        ``{source_column: canonical_field}`` overrides of the guessed mapping.
    force : bool
        Import even if a file with the same sha256 was imported before.
    enrich_by : {"request_id"}, optional
        Do not add events: fill in client IP and user agent of events with the same request id.
    progress : callable(rows_read, fraction_of_file)
    cancelled : callable() -> bool
        Checked between batches; when it returns True the import is rolled back and
        :class:`ImportCancelled` is raised.
    stage : callable(step_name)
        Told each end-of-import step as it starts (removing repeated prompts, index builds,
        commit), which follow the last row and take minutes at full scale.
    """
    path = Path(path)
    overrides = dict(mapping or {})
    if fmt is not None and fmt not in format_names():
        raise InputError(f"unknown format {fmt!r}; choose one of: {', '.join(format_names())}")
    if enrich_by is not None and enrich_by not in ENRICH_KEYS:
        raise InputError(f"--enrich-by {enrich_by!r}: only {', '.join(ENRICH_KEYS)} is supported")
    sniffed = sniff(path)
    if fmt in ("csv", "tsv") and sniffed.container != "csv" or fmt in ("jsonl", "json", "parquet") \
            and sniffed.container != fmt:
        raise InputError(f"{path}: --format {fmt} given, but the file holds {sniffed.container}")
    mode = "enrich" if enrich_by else "append"
    size = path.stat().st_size
    # A file can only be a repeat of an earlier import of the same byte size. Otherwise its
    # sha256 is computed by a thread while the import runs (hashing a 14 GB export first took
    # ~15-30 s before the first row); a file of a size seen before is hashed first, so a
    # repeat is skipped without importing it.
    with case.engine.connect() as conn:
        same_size = conn.exec_driver_sql(
            "SELECT 1 FROM imports WHERE file_size = ? AND mode = ? AND finished_at IS NOT NULL LIMIT 1",
            (size, mode)).first() is not None
    sha = file_sha256(path) if same_size else None
    prev = None
    if sha is not None:
        with case.engine.connect() as conn:
            prev = conn.exec_driver_sql(
                "SELECT id, file_name, finished_at FROM imports WHERE sha256 = ? AND mode = ? "
                "AND finished_at IS NOT NULL ORDER BY id LIMIT 1", (sha, mode)).first()
    source = open_batches(path, sniffed)
    first, rest = _first_batch(source)
    if first is None or not first.rows:
        raise InputError(f"{path}: no readable records (every record was malformed)" if first
                         else f"{path}: no records found")
    plan = _Plan(path, sniffed, first, fmt, overrides, enrich_by)
    result = ImportResult(path=path, format=plan.name, mapping=plan.describe())
    if prev is not None and not force:
        result.duplicate_of = {"import_id": prev[0], "file_name": prev[1], "finished_at": prev[2]}
        return result
    provenance = {"file_name": path.name, "file_path": str(path.resolve()), "file_size": size,
                  "sha256": sha or "", "format": plan.name, "mapping": plan.describe()}
    expected = size // 150
    rules = content.load_rules()
    cap = case.prompt_cap
    hasher = _Hasher(path) if sha is None else None
    try:
        with case.bulk() as con, CaseWriter(con, provenance, expected, mode, stage) as writer:
            for prepared in _pipeline(first, rest, plan, cap, rules, bool(enrich_by), expected):
                if cancelled is not None and cancelled():
                    raise ImportCancelled(f"{path}: import cancelled; the case is unchanged")
                writer.write(prepared)
                del prepared
                if writer.batches % 8 == 0:  # every batch cost ~2 s per 1M rows (malloc_trim)
                    release_freed_memory()  # keeps the importer's footprint flat (app.core.memory)
                if progress is not None:
                    progress(writer.stats.rows_read, source.fraction_done())
            if hasher is not None:
                writer.set_sha256(hasher.result())
            result.stats = writer.stats
    finally:
        if hasher is not None:
            hasher.stop()
    return result


class _Hasher(threading.Thread):
    """The sha256 of a file, computed beside the import; stopped and joined on every exit."""

    def __init__(self, path: Path):
        super().__init__(name="hydrascope-sha256")
        self.path = path
        self.hexdigest: str | None = None
        self.error: OSError | None = None
        self._halt = threading.Event()
        self.start()

    def run(self) -> None:
        try:
            self.hexdigest = file_sha256(self.path, halt=self._halt)
        except OSError as exc:
            self.error = exc

    def result(self) -> str:
        self.join()
        if self.hexdigest is None:
            raise InputError(f"{self.path}: cannot be read to the end to compute its sha256 ({self.error})")
        return self.hexdigest

    def stop(self) -> None:
        self._halt.set()
        self.join()


_DONE = object()
#: files expected to hold more rows than this get worker processes for the content analysis
WORKER_THRESHOLD = 200_000


def _pipeline(first: SourceBatch, rest: Iterator[SourceBatch], plan: _Plan, cap: int, rules,
              enrich: bool, expected_rows: int = 0) -> Iterator[Prepared]:
    """Prepared batches, made ahead in a producer thread.

    Reading and parsing overlap with the SQLite writes of the previous batch; the queue bounds
    memory to a few batches (one queued, one being written, one being prepared: at 5M rows a
    queue of two was no faster and took 7-10 MB more). For large files the content analysis of
    each batch's distinct prompts (regex passes, the most expensive step) runs in worker
    processes (:mod:`app.io.content_workers`), so it uses the second core instead of competing
    for this process's GIL. Stopping early (error, cancel,
    Ctrl-C) tells the producer to stop and lets it go.
    """
    q: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()
    pool = None
    submit = None
    if expected_rows > WORKER_THRESHOLD and not enrich:
        pool = start_worker_pool()

        def submit(texts: pa.Array) -> Future:
            try:
                return pool.submit(analyze_in_worker, texts)
            except BrokenProcessPool:  # the worker died: analyse here from now on
                done: Future = Future()
                done.set_result(content.analyze_prompts(texts, rules))
                return done

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    seen = None if enrich else SeenPrompts(expected_rows=expected_rows)

    def produce() -> None:
        try:
            batch: SourceBatch | None = first
            while batch is not None:
                if not put(plan.prepare(batch, cap, rules, enrich, submit, seen)):
                    return
                batch = next(rest, None)
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(exc)

    worker = threading.Thread(target=produce, name="hydrascope-import-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
