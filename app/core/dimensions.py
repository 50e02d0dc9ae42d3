"""Dictionary encoding of repeated strings (accounts, IPs, user agents...) into small integers.

Each dimension keeps its value -> id map in memory for the length of an import (distinct
values are few next to events: tens of thousands of accounts against tens of millions of
requests), encodes a whole Arrow column at once (``dictionary_encode``, then the distinct
values matched against the cache with Arrow's ``index_in``: no Python object per value), and
inserts only the values it has not seen, as one Arrow ingest, inside the import's transaction.
Plain IPv4 addresses get their /24 by one regex rewrite of the whole column; only other forms
(IPv6, zero-padded, zone ids) are parsed one by one.
"""

from __future__ import annotations

import ipaddress

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .bulk_db import BulkConnection

__all__ = ["Dimension", "IpDimension", "ip_prefix", "ip_prefixes", "clean_strings", "CACHE_LIMIT"]

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
    export (a full-scale case has millions of distinct accounts, keys and addresses); values it
    does not hold are looked up in the table's unique index, all of a batch in one join. While
    the table held nothing before this import and the cache was never emptied, a miss is known
    to be new without asking. The cache is two Arrow/numpy arrays (values, ids), matched with
    Arrow's hash kernels, so Python never touches a value one by one.
    """

    def __init__(self, con: BulkConnection, table: str, column: str = "name"):
        self.con, self.table, self.column = con, table, column
        self._values = pa.array([], pa.string())
        self._ids = np.empty(0, np.int64)
        last = con.scalar(f"SELECT max(id) FROM {table}")  # noqa: S608
        self.next_id = 1 + (last or 0)
        self._cache_is_complete = last is None

    def __len__(self) -> int:
        """Values held in the cache."""
        return len(self._values)

    def _insert(self, ids: np.ndarray, values: pa.Array) -> None:
        self.con.ingest(self.table, pa.table({"id": ids, self.column: values}))

    def _stored(self, values: pa.Array) -> tuple[pa.Array, np.ndarray]:
        """Those of ``values`` already in the table, with their ids."""
        self.con.execute("DROP TABLE IF EXISTS temp.dimension_lookup")
        self.con.ingest("dimension_lookup", pa.table({"v": values}), temporary=True)
        found = self.con.execute(
            f"SELECT t.{self.column}, t.id FROM temp.dimension_lookup l "  # noqa: S608
            f"JOIN {self.table} t ON t.{self.column} = l.v").fetch_arrow()
        self.con.execute("DROP TABLE temp.dimension_lookup")
        return (found.column(0).combine_chunks().cast(pa.string()),
                found.column(1).combine_chunks().cast(pa.int64()).to_numpy())

    def lookup(self, values: pa.Array) -> np.ndarray:
        """Ids of distinct, non-null ``values`` (adding the new ones to the table)."""
        if values.type != pa.string():
            values = values.cast(pa.string())
        if len(values) == 0:
            return np.empty(0, np.int64)
        pos = pc.index_in(values, value_set=self._values)
        held = pc.is_valid(pos).to_numpy(zero_copy_only=False)
        if held.all():
            return self._ids[pos.to_numpy(zero_copy_only=False)]
        if len(self._values) + int((~held).sum()) > CACHE_LIMIT:
            self._values, self._ids = pa.array([], pa.string()), np.empty(0, np.int64)
            self._cache_is_complete = False
            held = np.zeros(len(values), bool)
        out = np.zeros(len(values), np.int64)
        if held.any():
            out[held] = self._ids[pos.filter(pa.array(held)).to_numpy(zero_copy_only=False)]
        miss_at = np.flatnonzero(~held)
        missing = values.take(pa.array(miss_at))
        miss_ids = np.zeros(len(missing), np.int64)
        new = np.ones(len(missing), bool)
        if not self._cache_is_complete:
            stored_values, stored_ids = self._stored(missing)
            if len(stored_values):
                where = pc.index_in(missing, value_set=stored_values)
                known = pc.is_valid(where).to_numpy(zero_copy_only=False)
                miss_ids[known] = stored_ids[where.filter(pa.array(known)).to_numpy(zero_copy_only=False)]
                new = ~known
        if new.any():
            fresh = np.arange(self.next_id, self.next_id + int(new.sum()), dtype=np.int64)
            self.next_id += len(fresh)
            miss_ids[new] = fresh
            self._insert(fresh, missing.filter(pa.array(new)))
        out[miss_at] = miss_ids
        self._values = pa.concat_arrays([self._values, missing])
        self._ids = np.concatenate([self._ids, miss_ids])
        return out

    def encode(self, arr: pa.Array) -> pa.Array:
        """Int64 ids for a cleaned string column; nulls stay null."""
        enc = pc.dictionary_encode(arr)
        ids = self.lookup(enc.dictionary)
        return pa.array(ids, type=pa.int64()).take(enc.indices)


#: a dotted IPv4 address written canonically (no leading zeros, each part < 256), or with
#: its last part masked as ``***``: its /24 is a text rewrite, no parsing needed
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_PLAIN_V4 = f"^({_OCTET}\\.{_OCTET}\\.{_OCTET})\\.(?:{_OCTET}|\\*\\*\\*)$"


def ip_prefixes(addresses: pa.Array) -> pa.Array:
    """:func:`ip_prefix` of every address: plain IPv4 by one regex rewrite, the rest one by one."""
    plain = pc.match_substring_regex(addresses, _PLAIN_V4)
    out = pc.replace_substring_regex(addresses, _PLAIN_V4, "\\1.0/24")
    others = np.flatnonzero(~plain.to_numpy(zero_copy_only=False))
    if len(others) == 0:
        return out
    slow = pa.array([ip_prefix(a) for a in addresses.take(pa.array(others)).to_pylist()], pa.string())
    return pc.replace_with_mask(out, pc.invert(plain), slow)


class IpDimension(Dimension):
    """IP addresses, each linked to its /24 or /48 prefix in ``ip_prefixes``."""

    def __init__(self, con: BulkConnection):
        super().__init__(con, "ips", "address")
        self.prefixes = Dimension(con, "ip_prefixes", "prefix")

    def _insert(self, ids: np.ndarray, values: pa.Array) -> None:
        enc = pc.dictionary_encode(ip_prefixes(values))
        prefix_ids = pa.array(self.prefixes.lookup(enc.dictionary), pa.int64()).take(enc.indices)
        self.con.ingest("ips", pa.table({"id": ids, "address": values, "prefix_id": prefix_ids}))
