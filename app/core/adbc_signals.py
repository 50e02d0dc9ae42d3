"""Keep Ctrl-C a plain ``KeyboardInterrupt`` while an ADBC call runs.

``adbc_driver_manager``'s DB-API wraps every call made from the main thread in its own SIGINT
handler, which asks the driver to cancel the running statement instead of letting Python raise
``KeyboardInterrupt`` (apache/arrow-adbc#1522). The SQLite driver does not implement cancel, so
a Ctrl-C during an ingest came back after the call as a ``NOT_IMPLEMENTED`` driver error,
reported as an SQLite error with exit 2 instead of "interrupted, rolled back" and exit 130
(tests/core/test_bulk_db.py fails without this module).
Hydrascope's own cancel path (roll back, say so, exit 130) needs the ``KeyboardInterrupt``, and
every ADBC call it makes is short (one batch, one chunk of a read) or is an index build it
would let finish anyway. So the DB-API's wrapper is replaced by a plain call: Python's handler
stays in place and the interrupt is raised as soon as the call returns.

Importing this module is enough; :mod:`app.core.bulk_db` and :mod:`app.core.arrow_sql` do.
"""

from __future__ import annotations

from adbc_driver_manager import dbapi as _dbapi

__all__ = ["plain_call"]


def plain_call(func, args, kwargs, cancel):
    """Call ``func`` with Python's own SIGINT handling (``cancel`` is not used)."""
    return func(*args, **kwargs)


_dbapi._blocking_call = plain_call
