"""The worker processes that run the content analysis of a large import, kept lean.

The content rules (regex passes over every distinct prompt) are the most expensive step of an
import, so large files send each batch's distinct prompts to worker processes and use the
second core. Each worker is a whole Python process, and the import's memory goal (under 1 GB
for everything, whatever the file size) counts them: a worker that unpickled its task from
:mod:`app.io.importer` loaded the importer's world (SQLAlchemy, the readers, the case) and,
through pyarrow's lazy pandas check on the first ``pa.array`` of a list, pandas as well: 115 MB
of PSS per worker at rest. This module imports only what the analysis needs, the pool starts
its workers without re-importing the caller's ``__main__`` (script or ``-m`` module), and each
worker blocks pandas, which it never uses.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

import pyarrow as pa

from app.core import content
from app.core.memory import release_freed_memory

__all__ = ["CONTENT_WORKERS", "analyze_in_worker", "start_worker_pool"]

#: worker processes for the content analysis of large files. Two, since the writer moved to
#: Arrow ingest and left the main process idle part of the time: 1M rows in 14.8-16.0 s
#: against 17.8 s with one (bench/results/import.md)
CONTENT_WORKERS = 2

_RULES = None


def analyze_in_worker(texts: pa.Array) -> content.PromptFacts:
    """Content analysis in the worker process (rules loaded once per process)."""
    global _RULES
    if _RULES is None:
        _RULES = content.load_rules()
    release_freed_memory()  # what the previous batch freed
    return content.analyze_prompts(texts, _RULES)


class _NoPandas:
    """Import hook of a worker: ``import pandas`` fails (the analysis never uses pandas)."""

    def find_spec(self, name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"{name} is not loaded in a content worker", name=name)
        return None


def _worker_init(parent: int) -> None:
    """Set up a worker: ignore Ctrl-C (the importer handles it and rolls back), exit on its
    own if the importer dies without telling it (kill -9, power cut of the parent), and never
    load pandas (pyarrow would, ~45 MB, only to ask whether a list holds pandas objects)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.meta_path.insert(0, _NoPandas())  # pyarrow takes the ImportError as "pandas is not installed"

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="hydrascope-parent-watch", daemon=True).start()


def start_worker_pool(workers: int = CONTENT_WORKERS) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, all started now.

    Two details make the workers safe and small to start from any caller. Ctrl-C is ignored
    from its first instruction (an ignored SIGINT survives exec), so a Ctrl-C during its
    start-up cannot print a traceback from it; the importer itself handles Ctrl-C and rolls
    back. And the caller's ``__main__`` is not re-imported in the worker (spawn does that by
    default, by path for a script and by name for ``python -m``): re-running a script without
    an ``if __name__ == "__main__"`` guard would run it again, and a module such as
    ``app.__main__`` would load the whole CLI into every worker.
    """
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_init, initargs=(os.getpid(),))
    main = sys.modules.get("__main__")
    spec, script = getattr(main, "__spec__", None), getattr(main, "__file__", None)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main_thread else None
    if main is not None:
        main.__spec__ = None  # spawn reads main.__spec__.name, then main.__file__
        if script is not None:
            del main.__file__
    try:
        # each submit finding no idle worker spawns one (synchronously); a task that lasts a
        # moment keeps the first busy, so every worker is spawned here, while __main__ is
        # hidden, without waiting for their start-up
        for _ in range(workers):
            pool.submit(time.sleep, 0.05)
    finally:
        if main is not None:
            main.__spec__ = spec
            if script is not None:
                main.__file__ = script
        if in_main_thread:
            signal.signal(signal.SIGINT, previous)
    return pool
