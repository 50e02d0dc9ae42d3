"""The connection an import writes through: Arrow batches in, no Python object per value.

An import stores millions of rows (events, prompts with their text, templates, dimension
values). Through Python's ``sqlite3`` module every value becomes a Python object first
(``to_pylist`` + ``executemany``): 1.9 s for the 851,826 prompts of a 1M-row export, against
0.9 s for the same Arrow table handed to ``adbc-driver-sqlite``'s ingest, which binds the
columns from C (measured in the same run, see bench/results/import.md). So the import opens
one ADBC connection on the case file and does all of its work through it, inside one explicit
``BEGIN IMMEDIATE`` transaction (the connection runs in autocommit mode and the writer issues
BEGIN/COMMIT/ROLLBACK itself, exactly as it did over ``sqlite3``): crash safety is SQLite's own
rollback journal, unchanged.

:class:`BulkConnection` offers the few calls the writer needs with ``sqlite3``-like names, plus
:meth:`BulkConnection.ingest` for Arrow tables. Statements with parameters cost ~150 us each
through ADBC (about 30 times ``sqlite3``), so per-row statements are avoided: everything that
touches many rows is one ingest or one set-based statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import adbc_driver_manager
import pyarrow as pa
from adbc_driver_sqlite import dbapi

from . import adbc_signals  # noqa: F401  (Ctrl-C stays a KeyboardInterrupt)
from .errors import CaseError

__all__ = ["BulkConnection"]

#: SQLite's words for problems the analyst can act on, and what to tell them
_ADVICE = (
    ("database is locked", "the case is in use by another program (an import or analysis still "
                           "running?); wait for it to finish or close it, then try again"),
    ("database or disk is full", "the disk is full; free some space and try again"),
    ("disk I/O error", "the disk reported an I/O error"),
    ("readonly database", "the case file or its folder is read-only"),
    ("unable to open database", "the case file cannot be opened"),
)


def _case_error(path: Path, exc: Exception) -> CaseError:
    text = str(exc)
    for words, advice in _ADVICE:
        if words in text:
            return CaseError(f"{path}: {advice}; nothing was changed ({words})")
    return CaseError(f"{path}: SQLite error, nothing was changed ({text.splitlines()[0] if text else exc!r})")

#: milliseconds to wait for another connection's lock before failing (sqlite3's default is 5 s)
BUSY_TIMEOUT_MS = 5000


class BulkConnection:
    """An autocommit ADBC connection to one case file.

    Parameters
    ----------
    path : str or Path
        The case file (it must exist; the schema is made by :class:`app.core.case.Case`).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self._con = dbapi.connect(str(self.path), autocommit=True)
        except adbc_driver_manager.Error as exc:
            raise _case_error(self.path, exc) from None
        self._cur = self._con.cursor()
        self.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self.execute("PRAGMA foreign_keys=OFF")

    def close(self) -> None:
        try:
            self._cur.close()
        finally:
            self._con.close()

    def __enter__(self) -> "BulkConnection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> "BulkConnection":
        """Run one statement; fetch its rows with :meth:`fetchone` / :meth:`fetchall`.

        Driver errors become :class:`CaseError` with a message fit for the analyst (a locked
        case, a full disk...); the writer's transaction is then rolled back by its owner.
        """
        try:
            self._cur.execute(sql, tuple(params) if params else None)
        except adbc_driver_manager.Error as exc:
            raise _case_error(self.path, exc) from None
        return self

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]] | pa.Table) -> None:
        """Run ``sql`` once per row (a list of tuples or an Arrow table, bound column-wise)."""
        if not isinstance(rows, pa.Table):
            rows = list(rows)
            if not rows:
                return
        elif rows.num_rows == 0:
            return
        try:
            self._cur.executemany(sql, rows)
        except adbc_driver_manager.Error as exc:
            raise _case_error(self.path, exc) from None

    def fetchone(self) -> tuple | None:
        return self._cur.fetchone()

    def fetchall(self) -> list[tuple]:
        return self._cur.fetchall()

    def fetch_arrow(self) -> pa.Table:
        return self._cur.fetch_arrow_table()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row of ``sql`` (None when there is no row)."""
        row = self.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def ingest(self, table: str, data: pa.Table, temporary: bool = False) -> None:
        """Append ``data`` to ``table`` (its column names are the table's column names).

        ``temporary`` appends to (creating if needed) a table in the connection's TEMP
        database, which SQLite deletes with the connection.
        """
        if data.num_rows == 0:
            return
        try:
            if temporary:
                self._cur.adbc_ingest(table, data, mode="create_append", temporary=True)
            else:
                self._cur.adbc_ingest(table, data, mode="append")
        except adbc_driver_manager.Error as exc:
            raise _case_error(self.path, exc) from None
