"""Dictionary encoding of repeated strings (accounts, IPs, user agents...) into small integers.

Each dimension keeps its value -> id map in memory for the length of an import (distinct
values are few next to events: tens of thousands of accounts against tens of millions of
requests), encodes a whole Arrow column at once via ``dictionary_encode`` (so Python touches
each *distinct* value of a batch once, not each row), and inserts only the values it has not
seen, inside the import's transaction.
"""

from __future__ import annotations

import ipaddress
import sqlite3

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Dimension", "IpDimension", "ip_prefix", "clean_strings", "CACHE_LIMIT"]

#: values of one dimension kept in memory during an import (about 150 bytes each)
CACHE_LIMIT = 200_000


def clean_strings(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Cast to string, trim, and turn empty strings and "-" (access-log blanks) into nulls."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        if pa.types.is_floating(arr.type):  # 12.0 -> "12"
            as_int = pc.cast(arr, pa.int64(), safe=False)
            if pc.all(pc.equal(pc.cast(as_int, arr.type), arr)).as_py() in (True, None):
                arr = as_int
        arr = pc.cast(arr, pa.string())
    arr = pc.utf8_trim_whitespace(arr)
    blank = pc.or_(pc.equal(arr, ""), pc.equal(arr, "-"))
    return pc.if_else(blank, pa.scalar(None, arr.type), arr)


def ip_prefix(address: str) -> str | None:
    """The /24 of an IPv4 address or the /48 of an IPv6 one; masked ``81.2.69.***`` -> its /24."""
    a = address.strip()
    if a.endswith(".***"):
        a = a[:-4] + ".0"
    parts = a.split(".")
    if len(parts) == 4:  # the common case, without ipaddress's per-call cost
        try:
            if all(p.isdigit() and int(p) < 256 for p in parts):
                return f"{int(parts[0])}.{int(parts[1])}.{int(parts[2])}.0/24"
        except ValueError:
            pass
    try:
        ip = ipaddress.ip_address(a.split("%", 1)[0])
    except ValueError:
        return None
    if ip.version == 4:
        return str(ipaddress.ip_network(f"{ip}/24", strict=False))
    if ip.ipv4_mapped:
        return str(ipaddress.ip_network(f"{ip.ipv4_mapped}/24", strict=False))
    return str(ipaddress.ip_network(f"{ip}/48", strict=False))


class Dimension:
    """One dimension table (``id``, ``<column>``) seen through a bounded value -> id cache.

    The cache holds at most :data:`CACHE_LIMIT` values, so memory does not grow with the
    export (a full-scale case has millions of distinct accounts, keys and addresses); a value
    it does not hold is looked up in the table's unique index. While the table held nothing
    before this import and the cache was never emptied, a miss is known to be new without asking.
    """

    def __init__(self, con: sqlite3.Connection, table: str, column: str = "name"):
        self.con, self.table, self.column = con, table, column
        self.ids: dict[str, int] = {}
        last = con.execute(f"SELECT max(id) FROM {table}").fetchone()[0]  # noqa: S608
        self.next_id = 1 + (last or 0)
        self._cache_is_complete = last is None

    def _insert(self, rows: list[tuple[int, str]]) -> None:
        self.con.executemany(
            f"INSERT INTO {self.table}(id, {self.column}) VALUES (?, ?)", rows  # noqa: S608
        )

    def _stored(self, values: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for k in range(0, len(values), 500):
            chunk = values[k:k + 500]
            marks = ",".join("?" * len(chunk))
            found.update((v, i) for i, v in self.con.execute(
                f"SELECT id, {self.column} FROM {self.table} WHERE {self.column} IN ({marks})", chunk))  # noqa: S608
        return found

    def lookup(self, values: list[str]) -> np.ndarray:
        """Ids of ``values`` (adding the new ones)."""
        ids = self.ids
        distinct = list(dict.fromkeys(values))
        missing = [v for v in distinct if v not in ids]
        if missing:
            if len(ids) + len(missing) > CACHE_LIMIT:
                ids.clear()
                self._cache_is_complete = False
                missing = distinct
            found = {} if self._cache_is_complete else self._stored(missing)
            new: list[tuple[int, str]] = []
            for v in missing:
                vid = found.get(v)
                if vid is None:
                    vid = self.next_id
                    self.next_id += 1
                    new.append((vid, v))
                ids[v] = vid
            if new:
                self._insert(new)
        return np.fromiter((ids[v] for v in values), dtype=np.int64, count=len(values))

    def encode(self, arr: pa.Array) -> pa.Array:
        """Int64 ids for a cleaned string column; nulls stay null."""
        enc = pc.dictionary_encode(arr)
        ids = self.lookup(enc.dictionary.to_pylist())
        return pa.array(ids, type=pa.int64()).take(enc.indices)


class IpDimension(Dimension):
    """IP addresses, each linked to its /24 or /48 prefix in ``ip_prefixes``."""

    def __init__(self, con: sqlite3.Connection):
        super().__init__(con, "ips", "address")
        self.prefixes = Dimension(con, "ip_prefixes", "prefix")

    def _insert(self, rows: list[tuple[int, str]]) -> None:
        prefixes = [ip_prefix(v) for _, v in rows]
        known = [p for p in prefixes if p is not None]
        pid = dict(zip(known, self.prefixes.lookup(known).tolist())) if known else {}
        self.con.executemany(
            "INSERT INTO ips(id, address, prefix_id) VALUES (?, ?, ?)",
            [(i, v, pid.get(p)) for (i, v), p in zip(rows, prefixes)],
        )
