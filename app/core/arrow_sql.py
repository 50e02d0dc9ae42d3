"""Read-only queries over a case file that return Arrow columns, not Python rows.

Detection reads tens of millions of event rows. Through Python's ``sqlite3`` module every value
becomes a Python object (about 55 s for 28.8M events x 6 columns); even formatting chunks as
one hex string per chunk in SQL and decoding it with numpy took 12.7 s per 5M events x 11
columns. ADBC's SQLite driver hands the result over as Arrow arrays from C: 5.5 s for the same
read, measured in the same run. Connections here are opened read-only (``mode=ro``), so a read
can never change a case.

The driver carries its own copy of SQLite. Closing one of these connections drops every POSIX
lock this process holds on the file, including those of a ``sqlite3`` connection (the other
copy), so never query here while a ``sqlite3`` connection of this process is inside a
transaction on the same case (see :meth:`app.core.case.Case.bulk` and
sqlite.org/howtocorrupt.html, 2.2.1). Detection reads here only between its own statements.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
from adbc_driver_sqlite import dbapi

from app.core import adbc_signals  # noqa: F401  (Ctrl-C stays a KeyboardInterrupt)

__all__ = ["read_only_uri", "query_table", "query_arrays"]


def read_only_uri(path: str | Path) -> str:
    """SQLite URI that opens ``path`` read-only."""
    return Path(path).resolve().as_uri() + "?mode=ro"


def query_table(path: str | Path, sql: str, params: tuple = ()) -> pa.Table:
    """Run one SELECT on the case at ``path`` and return the whole result as an Arrow table."""
    con = dbapi.connect(read_only_uri(path))
    try:
        cur = con.cursor()
        try:
            cur.execute(sql, params if params else None)
            return cur.fetch_arrow_table()
        finally:
            cur.close()
    finally:
        con.close()


def query_arrays(path: str | Path, sql: str, params: tuple = ()) -> list[np.ndarray]:
    """Run one SELECT of integer expressions; one int64 array per column (NULL is 0)."""
    table = query_table(path, sql, params)
    out = []
    for col in table.columns:
        if col.null_count:
            col = col.fill_null(0)
        if not pa.types.is_integer(col.type):
            col = col.cast(pa.int64())
        out.append(col.to_numpy().astype(np.int64, copy=False))
    return out
