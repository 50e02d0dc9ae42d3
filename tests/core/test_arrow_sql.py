"""Arrow reads of a case file: read-only, and paths as analysts name folders."""

import sqlite3

import numpy as np
import pytest

from app.core.arrow_sql import query_arrays, query_table


@pytest.fixture
def db(tmp_path):
    folder = tmp_path / "My Cases #1 (café) 100%"
    folder.mkdir()
    path = folder / "case one.hscase"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t(id INTEGER, v INTEGER, s TEXT)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", [(1, 10, "a"), (2, None, "b"), (3, 30, "c")])
    con.commit()
    con.close()
    return path


def test_integer_columns_with_nulls_as_zero(db):
    ids, values = query_arrays(db, "SELECT id, v FROM t WHERE id >= ? ORDER BY id", (2,))
    assert ids.tolist() == [2, 3] and values.tolist() == [0, 30]
    assert ids.dtype == np.int64
    empty = query_arrays(db, "SELECT id FROM t WHERE id > 99")
    assert empty[0].size == 0


def test_strings_come_as_arrow_and_the_connection_is_read_only(db):
    table = query_table(db, "SELECT s FROM t ORDER BY id")
    assert table.column(0).to_pylist() == ["a", "b", "c"]
    with pytest.raises(Exception, match="(?i)readonly|read-only|read only"):
        query_table(db, "INSERT INTO t VALUES (4, 40, 'd')")
    assert sqlite3.connect(db).execute("SELECT count(*) FROM t").fetchone()[0] == 3
