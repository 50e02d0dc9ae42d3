"""Dictionary encoding stays correct when the bounded cache overflows and across imports."""

import pyarrow as pa

from app.core import dimensions
from app.core.bulk_db import BulkConnection
from app.core.case import Case
from app.core.dimensions import Dimension, IpDimension, ip_prefix, ip_prefixes


def test_ids_are_stable_across_cache_overflow_and_reopen(tmp_path, monkeypatch):
    monkeypatch.setattr(dimensions, "CACHE_LIMIT", 5)
    path = tmp_path / "d.hscase"
    Case(path, create=True).close()
    con = BulkConnection(path)
    dim = Dimension(con, "accounts")
    first = dim.encode(pa.array(["a", "b", None, "c", "a"])).to_pylist()
    assert first == [1, 2, None, 3, 1]
    many = [f"x{i}" for i in range(12)]  # overflows the cache of 5
    ids = dim.encode(pa.array(many + ["b", "a"])).to_pylist()
    assert ids[-2:] == [2, 1]  # found again in the table, not re-added
    assert len(set(ids)) == 14
    again = Dimension(con, "accounts")  # a later import starts with an empty cache
    assert again.encode(pa.array(["c", "x3", "new"])).to_pylist() == [3, ids[3], 16]
    names = [r[0] for r in con.execute("SELECT name FROM accounts ORDER BY id").fetchall()]
    assert len(names) == len(set(names)) == 16


def test_ip_dimension_links_prefixes(tmp_path):
    path = tmp_path / "d.hscase"
    Case(path, create=True).close()
    con = BulkConnection(path)
    ips = IpDimension(con)
    ips.encode(pa.array(["203.0.113.7", "203.0.113.8", "2001:db8:1:2::5", "81.2.69.***", "junk"]))
    rows = con.execute("SELECT i.address, p.prefix FROM ips i LEFT JOIN ip_prefixes p ON p.id = i.prefix_id "
                       "ORDER BY i.id").fetchall()
    assert rows == [("203.0.113.7", "203.0.113.0/24"), ("203.0.113.8", "203.0.113.0/24"),
                    ("2001:db8:1:2::5", "2001:db8:1::/48"), ("81.2.69.***", "81.2.69.0/24"), ("junk", None)]


def test_ip_prefix_forms():
    assert ip_prefix("10.0.0.1%eth0") == "10.0.0.0/24"
    assert ip_prefix("::ffff:10.1.2.3") == "10.1.2.0/24"
    assert ip_prefix("999.1.1.1") is None


def test_ip_prefixes_of_a_column_match_the_one_by_one_rule():
    forms = ["203.0.113.7", "10.0.0.1%eth0", "::ffff:10.1.2.3", "999.1.1.1", "010.001.002.003",
             "81.2.69.***", "2001:db8:1:2::5", "255.255.255.255", "0.0.0.0", "1.2.3", "a.b.c.d",
             "256.1.1.1", "1.2.3.256", "fe80::1%lo0", "junk", "192.168.1.1 "]
    assert ip_prefixes(pa.array(forms)).to_pylist() == [ip_prefix(f) for f in forms]


def test_dimension_rows_written_in_a_rolled_back_transaction_are_gone(tmp_path):
    path = tmp_path / "d.hscase"
    Case(path, create=True).close()
    with BulkConnection(path) as con:
        con.execute("BEGIN IMMEDIATE")
        dim = Dimension(con, "accounts")
        assert dim.encode(pa.array(["a", "b"])).to_pylist() == [1, 2]
        assert con.scalar("SELECT count(*) FROM accounts") == 2
        con.execute("ROLLBACK")
        assert con.scalar("SELECT count(*) FROM accounts") == 0
