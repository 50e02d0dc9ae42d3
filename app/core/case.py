"""Open, create and migrate case files: one SQLite file per investigation.

The file is self-contained so an analyst can copy it, mail it to a colleague and reopen it.
Its schema version lives in ``PRAGMA user_version``; opening an older file runs the migration
steps in order inside one transaction, opening a file written by a newer Hydrascope fails
with a message that says so instead of guessing.

Connections use the driver in autocommit mode with explicit ``BEGIN`` (SQLAlchemy's documented
recipe for pysqlite) so that a whole import can be one transaction that a crash or Ctrl-C rolls
back completely.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from . import schema
from .bulk_db import BulkConnection
from .errors import CaseError

__all__ = ["Case", "MIGRATIONS", "PAGE_SIZE", "DEFAULT_PROMPT_CAP"]

PAGE_SIZE = 65536  # measured faster for bulk loads than the 4 KB default
DEFAULT_PROMPT_CAP = 2000
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _create_v1(con: sqlite3.Connection) -> None:
    """Step 0 -> 1: the first schema (an empty file becomes a case)."""
    from sqlalchemy.schema import CreateIndex, CreateTable

    engine = create_engine("sqlite://")
    for table in schema.metadata.sorted_tables:
        con.execute(str(CreateTable(table).compile(engine)))
        for index in table.indexes:
            con.execute(str(CreateIndex(index).compile(engine)))


#: MIGRATIONS[v] turns a version-v file into version v+1; run in order inside one transaction
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {0: _create_v1}


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    con.execute("PRAGMA foreign_keys=OFF")
    con.execute("PRAGMA cache_size=-131072")  # 128 MB page cache
    return con


class Case:
    """An open case file.

    Parameters
    ----------
    path : path-like
        The ``.hscase`` (SQLite) file.
    create : bool
        Create the file if it does not exist; otherwise a missing file is a :class:`CaseError`.
    """

    def __init__(self, path: str | Path, create: bool = False):
        self.path = Path(path)
        if not self.path.exists():
            if not create:
                raise CaseError(f"{self.path}: no such case file")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif self.path.is_dir():
            raise CaseError(f"{self.path}: is a directory, not a case file")
        else:
            with open(self.path, "rb") as fh:
                head = fh.read(16)
            if head and head != _SQLITE_MAGIC:
                raise CaseError(f"{self.path}: not a Hydrascope case (not an SQLite file)")
        self._migrate()
        self.engine: Engine = create_engine(
            "sqlite://", creator=lambda: _connect(self.path), pool_pre_ping=False
        )

        @event.listens_for(self.engine, "begin")
        def _begin(conn):  # explicit BEGIN, since the driver runs in autocommit mode
            conn.exec_driver_sql("BEGIN")

        self._bulk_open = False

        @event.listens_for(self.engine, "checkout")
        def _checkout(dbapi_con, record, proxy):  # see bulk()
            if self._bulk_open:
                raise CaseError(f"{self.path}: the case is busy with an import in this program; "
                                "try again when it has finished")

    # -- lifecycle -----------------------------------------------------------------------
    def _migrate(self) -> None:
        con = _connect(self.path)
        try:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            if version > schema.SCHEMA_VERSION:
                raise CaseError(
                    f"{self.path}: this case was written by a newer Hydrascope "
                    f"(case schema v{version}; this version reads up to v{schema.SCHEMA_VERSION}). "
                    "Open it with a newer Hydrascope."
                )
            if version == schema.SCHEMA_VERSION:
                return
            if version == 0:
                tables = con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                if tables:
                    raise CaseError(f"{self.path}: an SQLite file, but not a Hydrascope case")
                con.execute(f"PRAGMA page_size={PAGE_SIZE}")
            con.execute("BEGIN IMMEDIATE")
            try:
                for step in range(version, schema.SCHEMA_VERSION):
                    MIGRATIONS[step](con)
                if version == 0:
                    now = str(int(time.time() * 1000))
                    con.executemany(
                        "INSERT INTO meta(key, value) VALUES (?, ?)",
                        [("created_at", now), ("prompt_cap", str(DEFAULT_PROMPT_CAP)),
                         ("created_by", "hydrascope")],
                    )
                con.execute(f"PRAGMA user_version={schema.SCHEMA_VERSION}")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            raise CaseError(f"{self.path}: cannot open case ({exc})") from None
        finally:
            con.close()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Case":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- access --------------------------------------------------------------------------
    @contextmanager
    def raw(self) -> Iterator[sqlite3.Connection]:
        """A driver connection in autocommit mode, for bulk work that manages its own BEGIN."""
        fairy = self.engine.raw_connection()
        try:
            yield fairy.driver_connection
        finally:
            fairy.close()

    @contextmanager
    def bulk(self) -> Iterator[BulkConnection]:
        """An autocommit ADBC connection for an import, which moves rows as Arrow tables.

        The ADBC driver carries its own copy of SQLite, and two copies of SQLite in one process
        must never have the same file open at once (sqlite.org/howtocorrupt.html, 2.2.1): POSIX
        locks belong to the process, so the copies do not exclude each other, and closing a file
        handle in one copy drops the locks the other holds, which would let another program roll
        back the import's journal under it. So this closes every ``sqlite3`` handle of this case
        first (they are idle, holding no lock) and refuses new ones until the ADBC connection is
        closed: a caller that tries gets a :class:`CaseError`, never a second writer.
        """
        if self._bulk_open:
            raise CaseError(f"{self.path}: the case is busy with an import in this program")
        self.engine.dispose()
        self._bulk_open = True
        try:
            con = BulkConnection(self.path)
            try:
                yield con
            finally:
                con.close()
        finally:
            self._bulk_open = False

    @property
    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return conn.exec_driver_sql("PRAGMA user_version").scalar_one()

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(schema.meta.c.value).where(schema.meta.c.key == key)
            ).scalar_one_or_none()
        return default if value is None else value

    def set_meta(self, key: str, value: str) -> None:
        stmt = sqlite_insert(schema.meta).values(key=key, value=value)
        stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value})
        with self.engine.begin() as conn:
            conn.execute(stmt)

    @property
    def prompt_cap(self) -> int:
        return int(self.get_meta("prompt_cap", str(DEFAULT_PROMPT_CAP)))

    def integrity_ok(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(text("PRAGMA quick_check")).scalar_one() == "ok"
