"""Fetch the event columns detection needs once, as compact numpy arrays sorted by account/time.

Every detection step is a group-by over tens of millions of events. The rows come as Arrow
columns through :mod:`app.core.arrow_sql` (no Python object per value), in chunks of event ids
read by two threads on separate read-only connections, and are reduced chunk by chunk:
columns used only as (account, value) pairs or per-account sums never stay in memory per event.
Missing values arrive as 0, which no dimension id uses.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from app.core.arrow_sql import query_arrays
from app.core.memory import release_freed_memory

from .errors import AnalysisCancelled, DetectionError
from .pairs import Pairs

__all__ = ["EventColumns", "load_columns"]

_CHUNK = 400_000

_TOKEN_CAP = (1 << 24) - 1  # tokens per event are clipped here

#: (name, SQL expression)
_FIELDS = (
    ("account", "account_id"),
    ("ts", "ts / 1000"),
    ("ip", "coalesce(ip_id, 0)"),
    ("ua", "coalesce(ua_id, 0)"),
    ("org", "coalesce(org_id, 0)"),
    ("key", "coalesce(api_key_id, 0)"),
    ("model", "coalesce(model_id, 0)"),
    ("template", "coalesce(template_id, 0)"),
    ("capcot", "max(0, min(coalesce(capability, 0), 5)) * 2 + min(coalesce(cot, 0), 1)"),
    ("tin", f"max(0, min(coalesce(input_tokens, 0), {_TOKEN_CAP}))"),
    ("tout", f"max(0, min(coalesce(output_tokens, 0), {_TOKEN_CAP}))"),
)
_SELECT = (f"SELECT {', '.join(f'{expr} AS {name}' for name, expr in _FIELDS)} "
           "FROM events WHERE id >= ? AND id < ?")


@dataclass
class EventColumns:
    """Per-event arrays sorted by (account, ts), plus what was aggregated while reading.

    ``account`` is a dense index into ``account_ids`` (the accounts table ids), ``template`` a
    code into ``template_ids`` (code 0 = no prompt). Columns only ever used as (account, value)
    pairs or per-account sums (IP, /24 or /48, user agent, org, API key, tokens) are reduced
    chunk by chunk and never held per event, which keeps 28.8M events within a few hundred MB.
    """

    account: np.ndarray  # int32
    ts: np.ndarray  # int64 UTC epoch seconds
    template: np.ndarray  # int32 codes
    model: np.ndarray  # int32 model id (0 = missing)
    cap: np.ndarray  # int8 capability index
    cot: np.ndarray  # int8 chain-of-thought flag
    account_ids: np.ndarray  # dense index -> accounts.id
    template_ids: np.ndarray  # code -> templates.id (code 0 is "no template", then sorted ids)
    tokens_in: np.ndarray  # per dense account
    tokens_out: np.ndarray
    pairs: dict  # "ip", "prefix", "ua", "org", "api_key" -> Pairs over dense accounts

    @property
    def n_events(self) -> int:
        return int(self.account.size)

    @property
    def n_accounts(self) -> int:
        return int(self.account_ids.size)


def _read_range(path: str, lo: int, hi: int) -> list[np.ndarray]:
    return query_arrays(path, _SELECT, (lo, hi))


def load_columns(case, progress: Callable[[float, str], None] | None = None,
                 cancelled: Callable[[], bool] | None = None, threads: int = 2) -> EventColumns:
    """Read the events of ``case`` into :class:`EventColumns`.

    Raises
    ------
    DetectionError
        The case holds no events.
    AnalysisCancelled
        ``cancelled()`` returned true between chunks.
    """
    release_freed_memory()
    with case.raw() as con:
        lo, hi = con.execute("SELECT min(id), max(id) FROM events").fetchone()
        ip_rows = con.execute("SELECT max(id) FROM ips").fetchone()[0] or 0
    ip_prefix = np.zeros(ip_rows + 1, dtype=np.int32)
    if ip_rows:
        ids, prefixes = query_arrays(case.path, "SELECT id, coalesce(prefix_id, 0) FROM ips")
        ip_prefix[ids] = prefixes
    if lo is None:
        raise DetectionError(f"{case.path}: the case holds no events to analyse")
    ranges = [(a, min(a + _CHUNK, hi + 1)) for a in range(lo, hi + 1, _CHUNK)]
    names = [n for n, _ in _FIELDS]
    kept: dict[str, list[np.ndarray]] = {n: [] for n in ("account", "ts", "template", "model",
                                                           "capcot")}
    reducers = {kind: _PairReducer() for kind in ("ip", "prefix", "ua", "org", "api_key")}
    token_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def absorb(fields: list[np.ndarray]) -> None:
        f = dict(zip(names, fields))
        acc = f["account"]
        kept["account"].append(acc.astype(np.int32))
        kept["ts"].append(f["ts"].astype(np.uint32))
        kept["template"].append(f["template"])
        kept["model"].append(f["model"].astype(np.int32))
        kept["capcot"].append(f["capcot"].astype(np.int8))
        ip = f["ip"]
        reducers["ip"].add(acc, ip)
        prefix = np.zeros_like(ip)
        inside = ip < ip_prefix.size
        prefix[inside] = ip_prefix[ip[inside]]
        reducers["prefix"].add(acc, prefix)
        reducers["ua"].add(acc, f["ua"])
        reducers["org"].add(acc, f["org"])
        reducers["api_key"].add(acc, f["key"])
        uniq, inv = np.unique(acc, return_inverse=True)
        token_parts.append((uniq, np.bincount(inv, weights=f["tin"]),
                            np.bincount(inv, weights=f["tout"])))

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        pending = [pool.submit(_read_range, str(case.path), a, b) for a, b in ranges[:threads]]
        nxt = len(pending)
        done = 0
        while pending:
            absorb(pending.pop(0).result())
            done += 1
            if cancelled is not None and cancelled():
                for fut in pending:
                    fut.cancel()
                raise AnalysisCancelled("analysis cancelled; the previous results are unchanged")
            if nxt < len(ranges):
                pending.append(pool.submit(_read_range, str(case.path), *ranges[nxt]))
                nxt += 1
            if progress is not None:
                progress(done / len(ranges), f"reading events {done}/{len(ranges)}")
    col = {}
    for n in list(kept):  # one field at a time, freeing its chunks as we go
        col[n] = np.concatenate(kept.pop(n))
    raw_account = col.pop("account")
    ts = col.pop("ts").astype(np.int64)
    order = np.argsort((raw_account.astype(np.int64) << 32) | ts, kind="stable")
    sorted_account = raw_account[order]
    del raw_account
    change = np.r_[True, sorted_account[1:] != sorted_account[:-1]]
    account_ids = sorted_account[change].astype(np.int64)
    account = (np.cumsum(change) - 1).astype(np.int32)
    del sorted_account, change
    ts = ts[order]
    raw_template = col.pop("template")[order]
    perm = np.argsort(raw_template)  # np.unique's inverse, but with int32 codes
    ordered = raw_template[perm]
    del raw_template
    first = np.r_[True, ordered[1:] != ordered[:-1]]
    nonzero = ordered[first]
    del ordered
    codes = np.cumsum(first, dtype=np.int32)
    codes -= 1
    del first
    template = np.empty(codes.size, dtype=np.int32)
    template[perm] = codes
    del perm, codes
    zero = np.flatnonzero(nonzero == 0)
    if zero.size:  # "no template" gets code 0; real ids keep their sorted order from 1
        z = int(zero[0])
        missing = template == z
        template[template > z] -= 1
        template += 1
        template[missing] = 0
        nonzero = np.delete(nonzero, z)
    else:
        template += 1
    template_ids = np.concatenate([[0], nonzero]).astype(np.int64)
    model = col.pop("model")[order]
    capcot = col.pop("capcot")[order]
    del order
    n_acc = account_ids.size
    tokens_in = np.zeros(n_acc)
    tokens_out = np.zeros(n_acc)
    for uniq, tin, tout in token_parts:
        dense = np.searchsorted(account_ids, uniq)
        np.add.at(tokens_in, dense, tin)
        np.add.at(tokens_out, dense, tout)
    pairs = {kind: r.finish(account_ids) for kind, r in reducers.items()}
    release_freed_memory()
    return EventColumns(account=account, ts=ts, template=template, model=model,
                        cap=(capcot >> 1).astype(np.int8), cot=(capcot & 1).astype(np.int8),
                        account_ids=account_ids, template_ids=template_ids,
                        tokens_in=tokens_in, tokens_out=tokens_out, pairs=pairs)


class _PairReducer:
    """Distinct (value, account) keys with event counts, reduced chunk by chunk."""

    def __init__(self) -> None:
        self.keys: list[np.ndarray] = []
        self.counts: list[np.ndarray] = []

    def add(self, account: np.ndarray, value: np.ndarray) -> None:
        keep = value != 0
        if not keep.any():
            return
        key, cnt = np.unique((value[keep].astype(np.int64) << 32) | account[keep].astype(np.int64),
                             return_counts=True)
        self.keys.append(key)
        self.counts.append(cnt)
        if len(self.keys) >= 16:  # fold now and then so memory stays bounded
            self._fold()

    def _fold(self) -> None:
        key = np.concatenate(self.keys)
        cnt = np.concatenate(self.counts)
        uniq, inv = np.unique(key, return_inverse=True)
        self.keys = [uniq]
        self.counts = [np.bincount(inv, weights=cnt, minlength=uniq.size).astype(np.int64)]

    def finish(self, account_ids: np.ndarray) -> Pairs:
        if not self.keys:
            z = np.zeros(0, dtype=np.int64)
            return Pairs(z.astype(np.int32), z, z, np.zeros(1, dtype=np.int64))
        self._fold()
        key, cnt = self.keys[0], self.counts[0]
        value = key >> 32
        account = np.searchsorted(account_ids, key & 0xFFFFFFFF).astype(np.int32)
        degree = np.bincount(value, minlength=int(value.max()) + 1).astype(np.int64)
        return Pairs(account=account, value=value, events=cnt, degree=degree)
