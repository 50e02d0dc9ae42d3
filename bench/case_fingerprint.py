"""Print an order-free fingerprint of every table of a case, to prove two imports stored the same.

Speed work on the importer must not change what is stored. Run this on a case imported by the
old code and on one imported by the new code from the same file; the outputs must be equal.
Per table: the row count and the sum (mod 2^64) of the xxh3 hash of each row's repr, so row
order and rowids do not matter. Columns that differ between any two runs (timestamps of the
import, the case's creation time) are left out.

Usage: python bench/case_fingerprint.py CASE [--fast]

``--fast`` (for cases of tens of millions of rows) computes in SQL, per table, the row count,
the sum of every integer column (reduced mod a prime so sums cannot overflow), the sum of the
lengths of every text column and, to tie the columns of one row together, the sum of the first
integer column times each other one (both reduced). Weaker than the row hashes, but it reads a
15 GB case in minutes instead of an hour.
"""

from __future__ import annotations

import sqlite3
import sys

import xxhash

#: per table, columns that legitimately differ between two imports of the same file
VOLATILE = {"imports": {"started_at", "finished_at", "file_path"}, "meta": set()}


def fingerprint(path: str) -> dict[str, tuple[int, int]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    out = {}
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    for table in tables:
        cols = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
        keep = [c for c in cols if c not in VOLATILE.get(table, set())]
        where = " WHERE key != 'created_at'" if table == "meta" else ""
        total, count = 0, 0
        for row in con.execute(f"SELECT {', '.join(keep)} FROM {table}{where}"):  # noqa: S608
            total = (total + xxhash.xxh3_64_intdigest(repr(row).encode())) & 0xFFFF_FFFF_FFFF_FFFF
            count += 1
        out[table] = (count, total)
    indexes = sorted(r[0] or "" for r in con.execute("SELECT sql FROM sqlite_master WHERE type='index'"))
    out["<index ddl>"] = (len(indexes), xxhash.xxh3_64_intdigest("\n".join(indexes).encode()))
    con.close()
    return out


def fast_fingerprint(path: str) -> dict[str, tuple]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    out = {}
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    for table in tables:
        info = [(r[1], (r[2] or "").upper()) for r in con.execute(f"PRAGMA table_info({table})")]
        cols = [(c, t) for c, t in info if c not in VOLATILE.get(table, set())]
        ints = [c for c, t in cols if "INT" in t]
        texts = [c for c, t in cols if "INT" not in t]
        exprs = ["count(*)"] + [f"sum({c} % 1000003)" for c in ints] + [f"sum(length({c}))" for c in texts]
        if len(ints) > 1:
            exprs += [f"sum(({ints[0]} % 1009) * ({c} % 1000003))" for c in ints[1:]]
        where = " WHERE key != 'created_at'" if table == "meta" else ""
        out[table] = tuple(con.execute(f"SELECT {', '.join(exprs)} FROM {table}{where}").fetchone())  # noqa: S608
    con.close()
    return out


def main() -> None:
    if "--fast" in sys.argv[2:]:
        for table, values in fast_fingerprint(sys.argv[1]).items():
            print(f"{table:20s} {values}")
        return
    for table, (count, digest) in fingerprint(sys.argv[1]).items():
        print(f"{table:20s} {count:12d} {digest:016x}")


if __name__ == "__main__":
    main()
