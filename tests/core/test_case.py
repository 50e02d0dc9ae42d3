"""The case file: created with the schema, versioned, refuses newer and foreign files."""

import sqlite3

import pytest

from app.core import schema
from app.core.case import Case
from app.core.errors import CaseError


def test_new_case_has_schema_version_and_tables(tmp_path):
    path = tmp_path / "a.hscase"
    with Case(path, create=True) as case:
        assert case.schema_version == schema.SCHEMA_VERSION
        assert case.prompt_cap == 2000
        assert case.integrity_ok()
    con = sqlite3.connect(path)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"events", "accounts", "ips", "ip_prefixes", "prompts", "templates", "imports",
            "rejected_rows", "hourly_rollups"} <= tables
    indexes = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "ix_events_account_cover" in indexes
    assert con.execute("PRAGMA page_size").fetchone()[0] == 65536


def test_reopen_keeps_meta(tmp_path):
    path = tmp_path / "a.hscase"
    with Case(path, create=True) as case:
        case.set_meta("release_date", "2026-05-14")
    with Case(path) as case:
        assert case.get_meta("release_date") == "2026-05-14"
        case.set_meta("release_date", "2026-05-15")
        assert case.get_meta("release_date") == "2026-05-15"


def test_missing_case_without_create_is_clear(tmp_path):
    with pytest.raises(CaseError, match="no such case file"):
        Case(tmp_path / "nope.hscase")


def test_newer_case_is_refused_with_versions_named(tmp_path):
    path = tmp_path / "new.hscase"
    Case(path, create=True).close()
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version={schema.SCHEMA_VERSION + 3}")
    con.close()
    with pytest.raises(CaseError) as err:
        Case(path)
    msg = str(err.value)
    assert "newer Hydrascope" in msg and f"v{schema.SCHEMA_VERSION + 3}" in msg


def test_foreign_files_are_refused(tmp_path):
    text = tmp_path / "notes.hscase"
    text.write_text("hello, not a database\n")
    with pytest.raises(CaseError, match="not an SQLite file"):
        Case(text)
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE x(a)")
    con.commit()
    con.close()
    with pytest.raises(CaseError, match="not a Hydrascope case"):
        Case(other)


def test_migration_steps_run_in_order_from_version_zero(tmp_path, monkeypatch):
    """A file at an older version gets every step from its version up, in one transaction."""
    from app.core import case as case_mod

    calls = []
    original = case_mod.MIGRATIONS[0]

    def step0(con):
        calls.append(0)
        original(con)

    monkeypatch.setitem(case_mod.MIGRATIONS, 0, step0)
    Case(tmp_path / "m.hscase", create=True).close()
    assert calls == [0]
    Case(tmp_path / "m.hscase").close()  # already current: no step runs again
    assert calls == [0]


def test_no_sqlite3_handle_is_open_or_opened_while_a_bulk_connection_writes(tmp_path):
    """The ADBC driver has its own SQLite copy; two copies must not hold the same file at once."""
    import pytest

    from app.core.errors import CaseError

    import os

    path = tmp_path / "b.hscase"

    def handles() -> int:  # file descriptors of this process open on the case file
        fds = os.listdir("/proc/self/fd")
        return sum(1 for fd in fds if os.path.realpath(f"/proc/self/fd/{fd}") == str(path.resolve()))

    from app.core.bulk_db import BulkConnection

    case = Case(path, create=True)
    with BulkConnection(path):
        adbc_alone = handles()  # the driver's database and connection objects
    with case.engine.connect() as conn:  # leaves an idle pooled sqlite3 connection
        conn.exec_driver_sql("SELECT 1")
    assert handles() == 1
    with case.bulk() as con:
        assert handles() == adbc_alone  # the sqlite3 handle was closed before ADBC opened
        with pytest.raises(CaseError, match="busy with an import"):
            case.engine.connect()
        with pytest.raises(CaseError, match="busy with an import"):
            with case.raw():
                pass
        with pytest.raises(CaseError, match="busy with an import"):
            with case.bulk():
                pass
        assert con.scalar("SELECT count(*) FROM events") == 0
    assert case.schema_version >= 1  # usable again afterwards
    case.close()
