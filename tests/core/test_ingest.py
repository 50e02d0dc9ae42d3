"""CaseWriter over the ADBC bulk connection: all or nothing, and a clean error path."""

import numpy as np
import pyarrow as pa
import pytest

from app.core.bulk_db import BulkConnection
from app.core.case import Case
from app.core.ingest import CaseWriter
from app.core.prepare import Prepared

PROVENANCE = {"file_name": "x.csv", "file_path": "/x.csv", "file_size": 1, "sha256": "0" * 64,
              "format": "csv", "mapping": {}}


def _batch(n: int) -> Prepared:
    return Prepared(n=n, ts=np.arange(n, dtype=np.int64) * 1000,
                    strings={"account": pa.array([f"a{i % 3}" for i in range(n)])},
                    ints={"input_tokens": pa.array(np.full(n, 5, np.int64))})


def test_a_batch_is_stored_with_totals_and_rollups(tmp_path):
    path = tmp_path / "c.hscase"
    Case(path, create=True).close()
    with BulkConnection(path) as con:
        with CaseWriter(con, dict(PROVENANCE)) as writer:
            assert writer.write(_batch(7)) == 7
        assert con.scalar("SELECT count(*) FROM events") == 7
        assert con.execute("SELECT name, events FROM accounts ORDER BY name").fetchall() == [
            ("a0", 3), ("a1", 2), ("a2", 2)]
        assert con.scalar("SELECT sum(input_tokens) FROM hourly_rollups") == 35
        assert con.scalar("SELECT rows_stored FROM imports") == 7


def test_an_error_inside_the_import_leaves_the_case_as_it_was(tmp_path):
    path = tmp_path / "c.hscase"
    Case(path, create=True).close()
    with BulkConnection(path) as con:
        with pytest.raises(RuntimeError, match="reader failed"):
            with CaseWriter(con, dict(PROVENANCE)) as writer:
                writer.write(_batch(5))
                raise RuntimeError("reader failed")
        for table in ("events", "accounts", "imports", "hourly_rollups"):
            assert con.scalar(f"SELECT count(*) FROM {table}") == 0, table
        # the indexes an append import drops at its start are back
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='index'").fetchall()}
        assert {"ux_prompts_id", "ux_templates_id", "ix_events_account_cover"} <= names


def test_rollback_after_sqlite_already_rolled_back_reports_nothing_new(tmp_path):
    """SQLite ends the transaction itself on some errors (disk I/O, full disk); the writer's
    own ROLLBACK must then not raise 'no transaction is active' over the real error."""
    path = tmp_path / "c.hscase"
    Case(path, create=True).close()
    with BulkConnection(path) as con:
        writer = CaseWriter(con, dict(PROVENANCE)).__enter__()
        con.execute("ROLLBACK")  # as SQLite does on an I/O error
        with pytest.raises(ValueError, match="the real error"):
            writer.__exit__(ValueError, ValueError("the real error"), None)
            raise ValueError("the real error")
        assert con.scalar("SELECT count(*) FROM imports") == 0
