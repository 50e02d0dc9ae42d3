"""Store prepared batches into a case: one import, one transaction, all or nothing.

:class:`CaseWriter` is the only code that puts events into a case. It takes batches made by
:func:`app.core.prepare.prepare`, dictionary-encodes their dimensions, appends events, and
appends the prompts and templates this import has certainly not stored yet (setting the
maybe-repeats aside), and adds up hourly rollups in memory (bounded, see
:mod:`app.core.rollups`); at the end it rebuilds the unique prompt and template indexes, adds
the maybe-repeats that turn out new (into a case that held prompts before, it removes repeats
first), and stores the rollups, each in one sorted pass (keeping random-key B-trees up to
date row by row thrashed the page cache once they outgrew it, a few million rows in). Everything happens inside one
``BEGIN IMMEDIATE`` transaction, so Ctrl-C, a kill or a power cut leaves the case exactly as
it was: SQLite rolls the journal back on the next open.

Rows travel as Arrow tables through :class:`app.core.bulk_db.BulkConnection` (ADBC), bound
column by column in C: no Python object is made per stored value.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from .bulk_db import BulkConnection
from .canonical import INTEGER_FIELDS
from .dimensions import Dimension, IpDimension
from .errors import CaseError
from .known_keys import FactsLog, KnownKeys, SeenFilter
from .memory import release_freed_memory
from .prepare import RAW_LIMIT, Prepared
from .rollups import RollupSums
from .schema import index_ddl

__all__ = ["CaseWriter", "ImportStats"]

_HOUR_MS = 3_600_000
_EVENT_COLUMNS = ("import_id", "ts", "account_id", "org_id", "api_key_id", "ip_id", "ua_id",
                  "model_id", "prompt_id", "template_id", "capability", "cot", "prompt_len",
                  "response_len", "input_tokens", "output_tokens", "status", "latency_ms",
                  "request_id")
_STATS_COLS = ("events", "first", "last")
#: SQLite page cache (KB) while batches stream in, and for the index builds at the end
STREAM_CACHE_KB = 32 * 1024
FINISH_CACHE_KB = 128 * 1024
#: largest filter of the template ids staged by one import (bytes; see SeenFilter)
TEMPLATE_FILTER_BYTES = 8 << 20
#: unique hash indexes an append import drops at its start and rebuilds, sorted, at its end
_HASH_INDEXES = (("prompts", "ux_prompts_id"), ("templates", "ux_templates_id"))


@dataclass
class ImportStats:
    import_id: int = 0
    rows_read: int = 0
    rows_stored: int = 0
    rows_rejected: int = 0
    rows_enriched: int = 0
    rows_unmatched: int = 0
    rows_skipped: int = 0  # records that are not events (e.g. another schemaType)
    reasons: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    #: seconds of each end-of-import step (dedup, index builds, rollups, commit), in order
    finishing: dict[str, float] = field(default_factory=dict)


def _int_column(arr, n: int) -> pa.Array:
    """An int64 column of ``n`` values (all null when ``arr`` is None)."""
    if arr is None:
        return pa.nulls(n, pa.int64())
    if isinstance(arr, np.ndarray):
        return pa.array(arr.astype(np.int64, copy=False))
    return arr if arr.type == pa.int64() else arr.cast(pa.int64())


class CaseWriter:
    """One import into an open case. Use as a context manager: commit on success, else rollback.

    Parameters
    ----------
    con : BulkConnection
        An autocommit connection to the case (``Case.bulk()``); this writer issues BEGIN/COMMIT.
    provenance : dict
        Columns of the ``imports`` row (file_name, file_path, file_size, sha256, format, mapping).
    expected_rows : int
        A guess of the rows to come; a large load into a small case rebuilds the covering index
        once at the end instead of updating it row by row.
    mode : {"append", "enrich"}
    on_step : callable(str), optional
        Told the name of each end-of-import step as it starts ("indexing prompts"...). At
        full scale these steps take minutes after the last row was read, so a progress display
        needs to say what is going on.
    """

    def __init__(self, con: BulkConnection, provenance: dict, expected_rows: int = 0, mode: str = "append",
                 on_step: Callable[[str], None] | None = None):
        self.con = con
        self.on_step = on_step
        self.provenance = provenance
        self.expected_rows = expected_rows
        self.mode = mode
        self.stats = ImportStats()
        self._t0 = time.perf_counter()
        self._dropped_index = False
        self._enrich_ready = False
        #: batches written so far
        self.batches = 0

    # -- transaction -------------------------------------------------------------------------
    def __enter__(self) -> "CaseWriter":
        # a small page cache while rows stream in (appends touch few pages; the batches, the
        # content worker and the reader need the memory), a large one for the sorts at the end
        self.con.execute(f"PRAGMA cache_size=-{STREAM_CACHE_KB}")
        self.con.execute("BEGIN IMMEDIATE")
        try:
            self._begin()
        except BaseException:
            self._rollback()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self._finish()
                with self._step("committing"):
                    self.con.execute("COMMIT")
                self.stats.seconds = time.perf_counter() - self._t0
            except BaseException:
                self._rollback()
                raise
        else:
            self._rollback()

    @contextmanager
    def _step(self, name: str) -> Iterator[None]:
        """Announce an end-of-import step to ``on_step`` and time it into ``stats.finishing``."""
        if self.on_step is not None:
            self.on_step(name)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.stats.finishing[name] = self.stats.finishing.get(name, 0.0) + time.perf_counter() - t0

    def _rollback(self) -> None:
        """Roll back, unless SQLite already did (it does on some errors, e.g. disk I/O or
        a full disk): the error that caused it is the one to report, not 'no transaction'."""
        try:
            self.con.execute("ROLLBACK")
        except CaseError as exc:
            if "no transaction is active" not in str(exc):
                raise

    def _begin(self) -> None:
        con, p = self.con, self.provenance
        self.stats.import_id = con.scalar(
            "INSERT INTO imports(file_name, file_path, file_size, sha256, format, mapping, mode, "
            "started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (p["file_name"], p["file_path"], p["file_size"], p["sha256"], p["format"],
             json.dumps(p.get("mapping", {}), sort_keys=True), self.mode, int(time.time() * 1000)),
        )
        existing = con.scalar("SELECT max(id) FROM events") or 0
        if self.mode == "append" and (existing < 1_000_000 or self.expected_rows > existing // 2):
            con.execute("DROP INDEX IF EXISTS ix_events_account_cover")
            self._dropped_index = True
        if self.mode == "append":
            # a table this import starts empty, and only ever stores certainly-new ids into,
            # needs no dedup at the end (batches say which prompts are certainly new; templates
            # are tracked here); maybe-repeats wait in temp.maybe_<table> (see _store)
            self._dedup = {table: con.scalar(f"SELECT EXISTS (SELECT 1 FROM {table})") == 1
                           for table, _ in _HASH_INDEXES}
            self._maybe = {table: False for table, _ in _HASH_INDEXES}
            self._templates = KnownKeys()
            self._template_filter = SeenFilter.for_items(self.expected_rows // 2, max_bytes=TEMPLATE_FILTER_BYTES)
            self._facts_log = FactsLog()
            for _, index in _HASH_INDEXES:
                con.execute(f"DROP INDEX IF EXISTS {index}")
            # rollups are added up in memory and stored, sorted, at the end (see _finish); past
            # a bound they are staged in a temp table and summed there
            self._rollups = RollupSums()
            self._staged_rollups = False
        self.dims = {
            "account": Dimension(con, "accounts"),
            "org": Dimension(con, "orgs"),
            "api_key": Dimension(con, "api_keys"),
            "ip": IpDimension(con),
            "user_agent": Dimension(con, "user_agents"),
            "model": Dimension(con, "models"),
        }
        size = self.dims["account"].next_id + 1024
        self._acct = {"events": np.zeros(size, np.int64),
                      "first": np.full(size, np.iinfo(np.int64).max, np.int64),
                      "last": np.full(size, np.iinfo(np.int64).min, np.int64)}

    def _finish(self) -> None:
        con = self.con
        # the value caches and the facts of staged prompts are of no use any more: give their
        # memory back before the sorts, which take the large page cache
        self.dims = {}
        self._facts_log = None
        release_freed_memory()
        con.execute(f"PRAGMA cache_size=-{FINISH_CACHE_KB}")
        if self.mode == "append":
            self._merge_staged()
        a = self._acct
        touched = np.flatnonzero(a["events"])
        if len(touched):
            with self._step("updating account totals"):
                con.executemany(
                    "UPDATE accounts SET events = events + ?1, first_seen = min(coalesce(first_seen, ?2), ?2), "
                    "last_seen = max(coalesce(last_seen, ?3), ?3) WHERE id = ?4",
                    pa.table({"events": a["events"][touched], "first": a["first"][touched],
                              "last": a["last"][touched], "id": touched.astype(np.int64)}),
                )
        if self._dropped_index:
            with self._step("indexing events by account"):
                con.execute(index_ddl("ix_events_account_cover"))
        s = self.stats
        con.execute(
            "UPDATE imports SET rows_read=?, rows_stored=?, rows_rejected=?, rows_enriched=?, "
            "finished_at=? WHERE id=?",
            (s.rows_read, s.rows_stored, s.rows_rejected, s.rows_enriched, int(time.time() * 1000), s.import_id),
        )
        version = con.scalar("SELECT value FROM meta WHERE key='data_version'")
        con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('data_version', ?)",
                    (str(int(version) + 1 if version is not None else 1),))

    def _merge_staged(self) -> None:
        """Rebuild the unique prompt/template indexes, add the maybe-repeats that are new, store
        the rollups.

        Each index is one sort over the data instead of millions of random B-tree updates. A
        table that held rows before this import (or got rows with no word on whether they were
        new) may hold repeats: they are found by a GROUP BY and deleted by one scan of the
        table first (96 s for prompts at full scale; deleting through a temporary index on the
        hash made the full-scale import 857.4 s instead of 647.3 s, back to back). An import
        into an empty table never needs that: see :meth:`_store` and :meth:`_merge_maybe`.
        """
        con = self.con
        for table, index in _HASH_INDEXES:
            if self._dedup[table]:
                with self._step(f"removing repeated {table}"):
                    con.execute(f"CREATE TEMP TABLE dup_{table} AS SELECT id, min(rowid) AS keep "
                                f"FROM {table} GROUP BY id HAVING count(*) > 1")
                    con.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM temp.dup_{table}) "
                                f"AND rowid NOT IN (SELECT keep FROM temp.dup_{table})")
                    con.execute(f"DROP TABLE temp.dup_{table}")
            with self._step(f"indexing {table}"):
                con.execute(index_ddl(index))
            if self._maybe[table]:
                with self._step(f"checking possibly repeated {table}"):
                    self._merge_maybe(table)
        upsert = ("ON CONFLICT(account_id, hour) DO UPDATE SET events = events + excluded.events, "
                  "input_tokens = input_tokens + excluded.input_tokens, "
                  "output_tokens = output_tokens + excluded.output_tokens")
        with self._step("storing hourly rollups"):
            if not self._staged_rollups:  # everything added up in memory: one sorted pass
                con.executemany("INSERT INTO hourly_rollups(account_id, hour, events, input_tokens, "
                                f"output_tokens) VALUES (?, ?, ?, ?, ?) {upsert}", self._rollup_rows())
                return
            self._flush_rollups()
            con.execute(
                "INSERT INTO hourly_rollups(account_id, hour, events, input_tokens, output_tokens) "
                "SELECT account_id, hour, sum(events), sum(input_tokens), sum(output_tokens) FROM "
                f"temp.staged_rollups WHERE true GROUP BY account_id, hour ORDER BY account_id, hour {upsert}")
            con.execute("DROP TABLE temp.staged_rollups")

    def _merge_maybe(self, table: str) -> None:
        """Store the rows of ``temp.maybe_<table>`` whose id is not in ``table`` yet, once each.

        Runs after the unique index on ``table`` is built. The distinct maybe ids are sorted
        first, so the probes walk the index in order; nearly all of them are true repeats, so
        only a few rows (the filter's false positives) are inserted.
        """
        con, maybe, fresh = self.con, f"temp.maybe_{table}", f"temp.fresh_{table}"
        names = [name for name, in con.execute(f"SELECT name FROM pragma_table_info('{table}')").fetchall()]
        con.execute(f"CREATE TEMP TABLE fresh_{table} AS SELECT id, min(rowid) AS r FROM {maybe} "
                    "GROUP BY id ORDER BY id")
        con.execute(f"DELETE FROM {fresh} WHERE EXISTS (SELECT 1 FROM main.{table} t WHERE t.id = {fresh}.id)")
        con.execute(f"INSERT INTO main.{table}({', '.join(names)}) SELECT {', '.join('m.' + n for n in names)} "
                    f"FROM {fresh} f JOIN {maybe} m ON m.rowid = f.r ORDER BY f.id")
        con.execute(f"DROP TABLE {fresh}")
        con.execute(f"DROP TABLE {maybe}")

    def _store(self, table: str, rows: pa.Table, sure: np.ndarray | None) -> None:
        """Append staged prompt or template rows: those certainly new to this import go into
        ``table``, maybe-repeats (``sure`` False) into ``temp.maybe_<table>`` for the end.

        With no word on which rows are new (``sure`` None), or into a table that held rows
        before this import, everything goes into ``table`` and the end of the import removes
        the repeats by a GROUP BY over the whole table (96 s at full scale, against seconds
        for the maybe-repeats alone).
        """
        if sure is None or self._dedup[table]:
            self._dedup[table] = True
            self.con.ingest(table, rows)
            return
        if sure.all():
            self.con.ingest(table, rows)
            return
        self.con.ingest(table, rows.filter(pa.array(sure)))
        self.con.ingest(f"maybe_{table}", rows.filter(pa.array(~sure)), temporary=True)
        self._maybe[table] = True

    def _rollup_rows(self) -> pa.Table:
        """The rollup sums held in memory as an (account_id, hour, events, in, out) table; empties them."""
        key, events, tin, tout = self._rollups.take()
        return pa.table({"account_id": key >> 32, "hour": (key & 0xFFFFFFFF) * _HOUR_MS,
                         "events": events, "input_tokens": tin, "output_tokens": tout})

    def _flush_rollups(self) -> None:
        if not self._staged_rollups:
            self.con.execute("CREATE TEMP TABLE staged_rollups(account_id INTEGER, hour INTEGER, "
                             "events INTEGER, input_tokens INTEGER, output_tokens INTEGER)")
            self._staged_rollups = True
        self.con.ingest("staged_rollups", self._rollup_rows(), temporary=True)

    def set_sha256(self, sha256: str) -> None:
        """Record the file's sha256 when it was only known at the end (hashed beside the import)."""
        self.con.execute("UPDATE imports SET sha256 = ? WHERE id = ?", (sha256, self.stats.import_id))

    # -- rows --------------------------------------------------------------------------------
    def reject_many(self, rejects: list[tuple[int, str, str]]) -> None:
        if not rejects:
            return
        self.con.executemany(
            "INSERT INTO rejected_rows(import_id, record_no, reason, raw) VALUES (?, ?, ?, ?)",
            [(self.stats.import_id, int(no), reason, raw[:RAW_LIMIT]) for no, reason, raw in rejects],
        )
        self.stats.rows_rejected += len(rejects)
        self.stats.rows_read += len(rejects)
        for _, reason, _ in rejects:
            self.stats.reasons[reason.split(" (", 1)[0].split(":", 1)[0].split(" '", 1)[0]] += 1

    def write(self, batch: Prepared) -> int:
        """Store one prepared batch (its rejects too); returns the events stored."""
        self.batches += 1
        self.reject_many(batch.rejects)
        self.stats.rows_read += batch.skipped
        self.stats.rows_skipped += batch.skipped
        if self.mode == "enrich":
            return self._enrich(batch)
        n = batch.n
        if n == 0:
            return 0
        account = self.dims["account"].encode(batch.strings["account"])
        dim_ids = {name: (self.dims[name].encode(batch.strings[name]) if name in batch.strings else None)
                   for name in ("org", "api_key", "ip", "user_agent", "model")}
        prompt_cols = self._stage_prompts(batch)
        request_id = batch.request_id if batch.request_id is not None else pa.nulls(n, pa.string())
        columns = [
            pa.array(np.full(n, self.stats.import_id, np.int64)), _int_column(batch.ts, n), account,
            *(_int_column(dim_ids[k], n) for k in ("org", "api_key", "ip", "user_agent", "model")),
            *prompt_cols, _int_column(batch.prompt_len, n), _int_column(batch.response_len, n),
            *(_int_column(batch.ints.get(k), n) for k in INTEGER_FIELDS), request_id.cast(pa.string()),
        ]
        self.con.ingest("events", pa.table(dict(zip(_EVENT_COLUMNS, columns))))
        self._account_totals(account.to_numpy(zero_copy_only=False).astype(np.int64), batch.ts,
                             batch.ints.get("input_tokens"), batch.ints.get("output_tokens"))
        self.stats.rows_read += n
        self.stats.rows_stored += n
        return n

    def _stage_prompts(self, b: Prepared) -> list[pa.Array]:
        """Stage the batch's new prompts and templates; per event prompt_id, template_id,
        capability, cot."""
        f = b.prompt_facts()
        if f is None:
            return [pa.nulls(b.n, pa.int64())] * 4
        staged_ids = b.prompt_ids[b.stage]
        if len(staged_ids):
            self._store("prompts", pa.table({
                "id": staged_ids.astype(np.int64, copy=False), "text": b.prompt_text.cast(pa.string()),
                "length": b.prompt_length.astype(np.int64, copy=False),
                "simhash": f.simhash.astype(np.int64, copy=False),
                "template_id": f.template_id.astype(np.int64, copy=False),
                "capability": f.capability.astype(np.int64), "cot": f.cot.astype(np.int64)}), b.stage_sure)
            tids, first = np.unique(f.template_id, return_index=True)
            new = ~self._templates.find(tids)[0]
            tids, first = tids[new], first[new]
            sure = self._template_filter.admit(tids, exact=self._templates.complete)
            self._store("templates", pa.table({
                "id": tids, "key": f.keys.take(pa.array(f.key_index[first])).cast(pa.string())}), sure)
            self._templates.add(tids)
        if b.known is None:  # no memory of earlier batches: every prompt is staged
            per_prompt = (f.template_id, f.capability, f.cot)
        else:
            log = self._facts_log
            log.put(b.stage_ordinals, f.template_id, f.capability, f.cot)
            per_prompt = (np.zeros(len(b.prompt_ids), np.int64), np.zeros(len(b.prompt_ids), np.int8),
                          np.zeros(len(b.prompt_ids), bool))
            for column, staged, logged in zip(per_prompt, (f.template_id, f.capability, f.cot),
                                              (log.template_id, log.capability, log.cot)):
                column[b.stage] = staged
                column[b.known] = logged[b.known_ordinals]
        idx = b.prompt_index
        return [pa.array(v).take(idx) for v in
                (b.prompt_ids, per_prompt[0], per_prompt[1].astype(np.int64), per_prompt[2].astype(np.int64))]

    def _account_totals(self, acc: np.ndarray, ts: np.ndarray, tin, tout) -> None:
        a = self._acct
        top = int(acc.max()) + 1
        if top > len(a["events"]):
            grow = max(top, 2 * len(a["events"])) - len(a["events"])
            fills = {"events": 0, "first": np.iinfo(np.int64).max, "last": np.iinfo(np.int64).min}
            for k in _STATS_COLS:
                a[k] = np.concatenate([a[k], np.full(grow, fills[k], np.int64)])
        np.add.at(a["events"], acc, 1)
        np.minimum.at(a["first"], acc, ts)
        np.maximum.at(a["last"], acc, ts)
        key = acc * (1 << 32) + ts // _HOUR_MS  # (account, hour) partial sums for this batch
        uk, inv = np.unique(key, return_inverse=True)
        zeros = np.zeros(len(acc))
        sin = np.bincount(inv, weights=tin.fill_null(0).to_numpy(zero_copy_only=False) if tin is not None else zeros)
        sout = np.bincount(inv, weights=tout.fill_null(0).to_numpy(zero_copy_only=False) if tout is not None else zeros)
        self._rollups.add(uk, np.bincount(inv), sin.astype(np.int64), sout.astype(np.int64))
        if self._rollups.full():
            self._flush_rollups()

    # -- enrichment --------------------------------------------------------------------------
    def _enrich(self, b: Prepared) -> int:
        """Fill in missing client IP and user agent of stored events that share a request id."""
        if b.n == 0:
            return 0
        if not self._enrich_ready:
            self.con.execute("CREATE INDEX IF NOT EXISTS ix_events_request_id ON events(request_id) "
                             "WHERE request_id IS NOT NULL")
            self._enrich_ready = True
        ip = self.dims["ip"].encode(b.strings["ip"]) if "ip" in b.strings else None
        ua = self.dims["user_agent"].encode(b.strings["user_agent"]) if "user_agent" in b.strings else None
        con = self.con
        # the batch, in file order, as a temp table; then set-based statements (a statement per
        # row costs ~150 us through ADBC). Within a batch, as across batches, the first row
        # with a value for a request id wins, and a value already stored is never replaced.
        con.execute("DROP TABLE IF EXISTS temp.enrich_batch")
        con.execute("CREATE TEMP TABLE enrich_batch(seq INTEGER PRIMARY KEY, request_id TEXT, "
                    "ip INTEGER, ua INTEGER)")
        con.ingest("enrich_batch", pa.table({"seq": np.arange(b.n, dtype=np.int64),
                                             "request_id": b.request_id.cast(pa.string()),
                                             "ip": _int_column(ip, b.n), "ua": _int_column(ua, b.n)}),
                   temporary=True)
        con.execute("CREATE INDEX temp.ix_enrich_batch ON enrich_batch(request_id, seq)")
        matched = con.scalar("SELECT count(*) FROM temp.enrich_batch s JOIN events e "
                             "ON e.request_id = s.request_id")
        unmatched = con.scalar("SELECT count(*) FROM temp.enrich_batch s WHERE NOT EXISTS "
                               "(SELECT 1 FROM events e WHERE e.request_id = s.request_id)")
        first = ("(SELECT s.{0} FROM temp.enrich_batch s WHERE s.request_id = events.request_id "
                 "AND s.{0} IS NOT NULL ORDER BY s.seq LIMIT 1)")
        con.execute(f"UPDATE events SET ip_id = coalesce(ip_id, {first.format('ip')}), "
                    f"ua_id = coalesce(ua_id, {first.format('ua')}) "
                    "WHERE request_id IN (SELECT request_id FROM temp.enrich_batch)")
        con.execute("DROP TABLE temp.enrich_batch")
        self.stats.rows_read += b.n
        self.stats.rows_enriched += matched
        self.stats.rows_unmatched += unmatched
        return matched
