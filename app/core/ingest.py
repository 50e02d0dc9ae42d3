"""Write canonical batches into a case: one import, one transaction, all or nothing.

:class:`CaseWriter` is the only code that puts events into a case. It validates each row
(account present, timestamp parseable, numbers numeric) and stores the ones that fail in
``rejected_rows`` with their reason; it dictionary-encodes dimensions, deduplicates prompts by
hash and computes their content facts once per distinct prompt; it keeps per-account totals
and hourly rollups as it goes. Everything happens inside one ``BEGIN IMMEDIATE`` transaction,
so Ctrl-C, a kill or a power cut leaves the case exactly as it was (SQLite rolls the journal
back on the next open).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import content
from .canonical import INTEGER_FIELDS
from .dimensions import Dimension, IpDimension, clean_strings
from .timeparse import parse_timestamps

__all__ = ["CaseWriter", "ImportStats", "parse_integers", "RAW_LIMIT"]

RAW_LIMIT = 4096
_HOUR_MS = 3_600_000
_STATUS_WORDS = {"success": 200, "ok": 200, "true": 200, "failure": 500, "error": 500,
                 "failed": 500, "false": 500}
_EVENT_COLUMNS = ("import_id", "ts", "account_id", "org_id", "api_key_id", "ip_id", "ua_id",
                  "model_id", "prompt_id", "template_id", "capability", "cot", "prompt_len",
                  "response_len", "input_tokens", "output_tokens", "status", "latency_ms",
                  "request_id")
_INSERT_EVENT = (f"INSERT INTO events({', '.join(_EVENT_COLUMNS)}) "
                 f"VALUES ({', '.join('?' * len(_EVENT_COLUMNS))})")


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


def parse_integers(arr: pa.Array, name: str) -> tuple[pa.Array, np.ndarray]:
    """Column -> (int64 array with nulls, bad mask). Blank is null; junk is bad."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    n = len(arr)
    if pa.types.is_integer(arr.type):
        return pc.cast(arr, pa.int64()), np.zeros(n, dtype=bool)
    if pa.types.is_floating(arr.type):
        return pc.cast(pc.round(arr), pa.int64(), safe=False), np.zeros(n, dtype=bool)
    if pa.types.is_boolean(arr.type):
        return pc.cast(arr, pa.int64()), np.zeros(n, dtype=bool)
    s = clean_strings(arr)
    try:
        return pc.cast(s, pa.int64()), np.zeros(n, dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    values = s.to_pylist()
    out: list[int | None] = [None] * n
    bad = np.zeros(n, dtype=bool)
    for i, v in enumerate(values):
        if v is None:
            continue
        try:
            out[i] = int(round(float(v)))
        except (ValueError, OverflowError):
            word = _STATUS_WORDS.get(v.lower()) if name == "status" else None
            if word is None:
                bad[i] = True
            else:
                out[i] = word
    return pa.array(out, type=pa.int64()), bad


class CaseWriter:
    """One import into an open case. Use as a context manager: commit on success, else rollback.

    Parameters
    ----------
    con : sqlite3.Connection
        From ``Case.raw()``: autocommit mode, this writer issues BEGIN/COMMIT.
    provenance : dict
        Columns of the ``imports`` row (file_name, file_path, file_size, sha256, format, mapping).
    prompt_cap : int
        Characters of prompt text kept per distinct prompt.
    expected_rows : int
        A guess of the rows to come; a large load into a small case rebuilds the covering index
        once at the end instead of updating it row by row.
    """

    def __init__(self, con, provenance: dict, prompt_cap: int, expected_rows: int = 0,
                 mode: str = "append", rules: content.ContentRules | None = None):
        self.con = con
        self.provenance = provenance
        self.prompt_cap = prompt_cap
        self.expected_rows = expected_rows
        self.mode = mode
        self.rules = rules or content.load_rules()
        self.stats = ImportStats()
        self._t0 = time.perf_counter()
        self._dropped_index = False
        self._enrich_ready = False

    # -- transaction -------------------------------------------------------------------------
    def __enter__(self) -> "CaseWriter":
        con = self.con
        con.execute("PRAGMA cache_size=-262144")
        con.execute("BEGIN IMMEDIATE")
        try:
            self._begin()
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self._finish()
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
        else:
            self.con.execute("ROLLBACK")
        self.con.execute("PRAGMA cache_size=-131072")

    def _begin(self) -> None:
        con = self.con
        p = self.provenance
        now = int(time.time() * 1000)
        cur = con.execute(
            "INSERT INTO imports(file_name, file_path, file_size, sha256, format, mapping, mode, "
            "started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (p["file_name"], p["file_path"], p["file_size"], p["sha256"], p["format"],
             json.dumps(p.get("mapping", {}), sort_keys=True), self.mode, now),
        )
        self.stats.import_id = cur.lastrowid
        self.first_event_id = (con.execute("SELECT max(id) FROM events").fetchone()[0] or 0) + 1
        existing = self.first_event_id - 1
        if self.mode == "append" and (existing < 1_000_000 or self.expected_rows > existing // 2):
            con.execute("DROP INDEX IF EXISTS ix_events_account_cover")
            self._dropped_index = True
        self.dims = {
            "account": Dimension(con, "accounts"),
            "org": Dimension(con, "orgs"),
            "api_key": Dimension(con, "api_keys"),
            "ip": IpDimension(con),
            "user_agent": Dimension(con, "user_agents"),
            "model": Dimension(con, "models"),
        }
        size = self.dims["account"].next_id + 1024
        self._acct_events = np.zeros(size, dtype=np.int64)
        self._acct_first = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
        self._acct_last = np.full(size, np.iinfo(np.int64).min, dtype=np.int64)

    def _finish(self) -> None:
        con = self.con
        touched = np.flatnonzero(self._acct_events)
        if len(touched):
            con.executemany(
                "UPDATE accounts SET events = events + ?, "
                "first_seen = min(coalesce(first_seen, ?), ?), last_seen = max(coalesce(last_seen, ?), ?) "
                "WHERE id = ?",
                zip(self._acct_events[touched].tolist(), self._acct_first[touched].tolist(),
                    self._acct_first[touched].tolist(), self._acct_last[touched].tolist(),
                    self._acct_last[touched].tolist(), touched.tolist()),
            )
        if self._dropped_index:
            con.execute("CREATE INDEX ix_events_account_cover ON events "
                        "(account_id, ts, input_tokens, output_tokens)")
        s = self.stats
        s.seconds = time.perf_counter() - self._t0
        con.execute(
            "UPDATE imports SET rows_read=?, rows_stored=?, rows_rejected=?, rows_enriched=?, "
            "finished_at=? WHERE id=?",
            (s.rows_read, s.rows_stored, s.rows_rejected, s.rows_enriched,
             int(time.time() * 1000), s.import_id),
        )
        version = con.execute("SELECT value FROM meta WHERE key='data_version'").fetchone()
        con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('data_version', ?)",
                    (str(int(version[0]) + 1 if version else 1),))

    # -- rows --------------------------------------------------------------------------------
    def reject(self, record_no: int, reason: str, raw: str) -> None:
        self.con.execute(
            "INSERT INTO rejected_rows(import_id, record_no, reason, raw) VALUES (?, ?, ?, ?)",
            (self.stats.import_id, int(record_no), reason, raw[:RAW_LIMIT]),
        )
        self.stats.rows_rejected += 1
        self.stats.rows_read += 1
        self.stats.reasons[reason.split(" (", 1)[0].split(":", 1)[0]] += 1

    def skip(self, count: int = 1) -> None:
        """Records read that are not events (counted, not stored, not rejected)."""
        self.stats.rows_read += count
        self.stats.rows_skipped += count

    def _validate(self, canon: pa.Table, record_numbers: np.ndarray,
                  raw_of: Callable[[int], str] | None) -> tuple[pa.Table, np.ndarray, dict]:
        n = canon.num_rows
        reason = np.full(n, None, dtype=object)
        cols: dict[str, pa.Array] = {}
        account = clean_strings(canon.column("account"))
        reason[~pc.is_valid(account).to_numpy(zero_copy_only=False)] = "missing account"
        ts, ok = parse_timestamps(canon.column("timestamp"))
        if not ok.all():
            raw_ts = canon.column("timestamp").to_pylist()
            for i in np.flatnonzero(~ok):
                if reason[i] is None:
                    reason[i] = ("missing timestamp" if raw_ts[i] in (None, "")
                                 else f"unparseable timestamp {str(raw_ts[i])[:60]!r}")
        cols["account"], cols["ts"] = account, ts
        for name in INTEGER_FIELDS:
            if name in canon.column_names:
                ints, bad = parse_integers(canon.column(name), name)
                if bad.any():
                    raw_vals = canon.column(name).to_pylist()
                    for i in np.flatnonzero(bad):
                        if reason[i] is None:
                            reason[i] = f"{name} is not a number: {str(raw_vals[i])[:60]!r}"
                cols[name] = ints
        bad_rows = np.flatnonzero(reason != None)  # noqa: E711  (object array compare)
        if len(bad_rows):
            rows = canon.take(pa.array(bad_rows)).to_pylist() if raw_of is None else None
            for k, i in enumerate(bad_rows):
                raw = raw_of(int(i)) if raw_of is not None else json.dumps(rows[k], default=str,
                                                                             ensure_ascii=False)
                self.reject(int(record_numbers[i]), reason[i], raw)
        keep = reason == None  # noqa: E711
        return canon, keep, cols

    def add(self, canon: pa.Table, record_numbers: np.ndarray,
            raw_of: Callable[[int], str] | None = None) -> int:
        """Validate and store one batch of canonical rows; returns the rows stored."""
        if canon.num_rows == 0:
            return 0
        canon, keep, cols = self._validate(canon, record_numbers, raw_of)
        if not keep.all():
            mask = pa.array(keep)
            canon = canon.filter(mask)
            cols = {k: (v[keep] if isinstance(v, np.ndarray) else pc.filter(v, mask)) for k, v in cols.items()}
        n = canon.num_rows
        self.stats.rows_read += n
        if n == 0:
            return 0
        null_ints = pa.nulls(n, pa.int64())
        ids: dict[str, pa.Array] = {"account": self.dims["account"].encode(cols["account"])}
        for name in ("org", "api_key", "ip", "user_agent", "model"):
            if name in canon.column_names:
                ids[name] = self.dims[name].encode(clean_strings(canon.column(name)))
            else:
                ids[name] = null_ints
        prompt_cols = self._prompts(canon, n)
        response_len = (pc.cast(pc.utf8_length(clean_text(canon.column("response"))), pa.int64())
                        if "response" in canon.column_names else null_ints)
        request_id = (clean_strings(canon.column("request_id")) if "request_id" in canon.column_names
                      else pa.nulls(n, pa.string()))
        import_col = [self.stats.import_id] * n
        columns = [
            import_col, cols["ts"].tolist(), ids["account"].to_pylist(), ids["org"].to_pylist(),
            ids["api_key"].to_pylist(), ids["ip"].to_pylist(), ids["user_agent"].to_pylist(),
            ids["model"].to_pylist(), *prompt_cols, response_len.to_pylist(),
            *(cols[k].to_pylist() if k in cols else [None] * n for k in INTEGER_FIELDS),
            request_id.to_pylist(),
        ]
        self.con.executemany(_INSERT_EVENT, zip(*columns))
        self._account_totals(ids["account"], cols["ts"], cols.get("input_tokens"), cols.get("output_tokens"))
        self.stats.rows_stored += n
        return n

    def _prompts(self, canon: pa.Table, n: int) -> list[list]:
        """Per-event prompt_id, template_id, capability, cot, prompt_len (as Python lists)."""
        if "prompt" not in canon.column_names:
            return [[None] * n] * 5
        prompt = clean_text(canon.column("prompt"))
        uniq = pc.unique(pc.drop_null(prompt))
        if len(uniq) == 0:
            return [[None] * n] * 5
        hashes = content.hash64(uniq)
        capped = pc.utf8_slice_codeunits(uniq, 0, self.prompt_cap)
        facts = content.analyze_prompts(capped, self.rules)
        lengths = pc.utf8_length(uniq).to_numpy(zero_copy_only=False)
        self.con.executemany(
            "INSERT OR IGNORE INTO prompts(id, text, length, simhash, template_id, capability, cot) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            zip(hashes.tolist(), capped.to_pylist(), lengths.tolist(), facts.simhash.tolist(),
                facts.template_id.tolist(), facts.capability.tolist(), facts.cot.astype(np.int8).tolist()),
        )
        tids, first = np.unique(facts.template_id, return_index=True)
        self.con.executemany(
            "INSERT OR IGNORE INTO templates(id, key) VALUES (?, ?)",
            zip(tids.tolist(), pc.take(facts.template_key, pa.array(first)).to_pylist()),
        )
        idx = pc.index_in(prompt, value_set=uniq)

        def per_event(values: np.ndarray) -> list:
            return pa.array(values).take(idx).to_pylist()

        return [per_event(hashes), per_event(facts.template_id), per_event(facts.capability.astype(np.int64)),
                per_event(facts.cot.astype(np.int64)),
                pc.cast(pc.utf8_length(prompt), pa.int64()).to_pylist()]

    def _account_totals(self, account_ids: pa.Array, ts: np.ndarray, tin, tout) -> None:
        acc = account_ids.to_numpy(zero_copy_only=False).astype(np.int64)
        top = int(acc.max()) + 1
        if top > len(self._acct_events):
            grow = max(top, 2 * len(self._acct_events)) - len(self._acct_events)
            self._acct_events = np.concatenate([self._acct_events, np.zeros(grow, np.int64)])
            self._acct_first = np.concatenate([self._acct_first, np.full(grow, np.iinfo(np.int64).max)])
            self._acct_last = np.concatenate([self._acct_last, np.full(grow, np.iinfo(np.int64).min)])
        np.add.at(self._acct_events, acc, 1)
        np.minimum.at(self._acct_first, acc, ts)
        np.maximum.at(self._acct_last, acc, ts)
        # hourly rollups: one upsert per (account, hour) present in this batch
        hour = ts // _HOUR_MS
        key = acc * (1 << 32) + hour
        uk, inv = np.unique(key, return_inverse=True)
        counts = np.bincount(inv)
        tin_v = (tin.fill_null(0).to_numpy(zero_copy_only=False) if tin is not None else np.zeros(len(acc)))
        tout_v = (tout.fill_null(0).to_numpy(zero_copy_only=False) if tout is not None else np.zeros(len(acc)))
        sin = np.bincount(inv, weights=tin_v).astype(np.int64)
        sout = np.bincount(inv, weights=tout_v).astype(np.int64)
        self.con.executemany(
            "INSERT INTO hourly_rollups(account_id, hour, events, input_tokens, output_tokens) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(account_id, hour) DO UPDATE SET "
            "events = events + excluded.events, input_tokens = input_tokens + excluded.input_tokens, "
            "output_tokens = output_tokens + excluded.output_tokens",
            zip((uk >> 32).tolist(), ((uk & 0xFFFFFFFF) * _HOUR_MS).tolist(), counts.tolist(),
                sin.tolist(), sout.tolist()),
        )

    # -- enrichment --------------------------------------------------------------------------
    def enrich(self, canon: pa.Table, record_numbers: np.ndarray,
               raw_of: Callable[[int], str] | None = None) -> int:
        """Fill in missing client IP and user agent of stored events that share a request id."""
        n = canon.num_rows
        if n == 0:
            return 0
        if not self._enrich_ready:
            self.con.execute("CREATE INDEX IF NOT EXISTS ix_events_request_id ON events(request_id) "
                             "WHERE request_id IS NOT NULL")
            self._enrich_ready = True
        rid = (clean_strings(canon.column("request_id")) if "request_id" in canon.column_names
               else pa.nulls(n, pa.string()))
        valid = pc.is_valid(rid).to_numpy(zero_copy_only=False)
        rows = None
        for i in np.flatnonzero(~valid):
            if rows is None and raw_of is None:
                rows = canon.to_pylist()
            raw = raw_of(int(i)) if raw_of is not None else json.dumps(rows[i], default=str)
            self.reject(int(record_numbers[i]), "missing request_id (needed to enrich)", raw)
        if not valid.any():
            return 0
        mask = pa.array(valid)
        canon, rid = canon.filter(mask), pc.filter(rid, mask)
        m = canon.num_rows
        ip = (self.dims["ip"].encode(clean_strings(canon.column("ip"))) if "ip" in canon.column_names
              else pa.nulls(m, pa.int64()))
        ua = (self.dims["user_agent"].encode(clean_strings(canon.column("user_agent")))
              if "user_agent" in canon.column_names else pa.nulls(m, pa.int64()))
        matched = unmatched = 0
        update = "UPDATE events SET ip_id = coalesce(ip_id, ?), ua_id = coalesce(ua_id, ?) WHERE request_id = ?"
        for params in zip(ip.to_pylist(), ua.to_pylist(), rid.to_pylist()):
            hit = self.con.execute(update, params).rowcount
            matched += hit
            unmatched += hit == 0
        self.stats.rows_read += m
        self.stats.rows_enriched += matched
        self.stats.rows_unmatched += unmatched
        return matched


def clean_text(arr) -> pa.Array:
    """Prompt/response text: keep as written, but empty strings are missing."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.string())
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)
