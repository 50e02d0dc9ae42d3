"""The import's ADBC connection: errors become messages, Ctrl-C stays a KeyboardInterrupt."""

import os
import signal
import threading
import time

import numpy as np
import pyarrow as pa
import pytest

from app.core.bulk_db import BulkConnection
from app.core.case import Case
from app.core.errors import CaseError


def test_ctrl_c_during_an_ingest_raises_keyboard_interrupt(tmp_path):
    """adbc_driver_manager turns SIGINT into a statement cancel that could be lost; the
    import's rollback-and-exit-130 path needs the KeyboardInterrupt (app.core.adbc_signals)."""
    path = tmp_path / "c.hscase"
    Case(path, create=True).close()
    n = 400_000
    rows = pa.table({"id": np.arange(n, dtype=np.int64), "text": pa.array(["some prompt text"] * n),
                     "length": np.full(n, 16, np.int64), "simhash": np.zeros(n, np.int64),
                     "template_id": np.zeros(n, np.int64), "capability": np.zeros(n, np.int64),
                     "cot": np.zeros(n, np.int64)})
    # a test run started in the background inherits an ignored SIGINT; Python's handler is the
    # subject here
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    with BulkConnection(path) as con:
        con.execute("BEGIN IMMEDIATE")
        con.execute("DROP INDEX ux_prompts_id")  # the same rows go in again until the signal
        timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
        started = time.perf_counter()
        timer.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                while time.perf_counter() - started < 20:
                    con.ingest("prompts", rows)
        finally:
            timer.cancel()
            signal.signal(signal.SIGINT, previous)
            con.execute("ROLLBACK")
        assert con.scalar("SELECT count(*) FROM prompts") == 0


def test_driver_errors_become_case_errors_naming_the_file(tmp_path):
    path = tmp_path / "c.hscase"
    Case(path, create=True).close()
    with BulkConnection(path) as con:
        with pytest.raises(CaseError, match=r"c\.hscase: SQLite error, nothing was changed \(.*no such table"):
            con.execute("SELECT * FROM no_such_table")
