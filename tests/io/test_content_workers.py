"""The content workers: same facts as the analysis in this process, and a lean process.

The import's memory goal counts the workers, so what they load is part of the contract: the
analysis, not SQLAlchemy, the readers, the CLI or pandas (115 MB of PSS per worker before).
"""

from __future__ import annotations

import sys

import numpy as np
import pyarrow as pa
import pytest

from app.core import content
from app.io import content_workers


def _loaded(names):
    return sorted(n for n in names if n in sys.modules)


def _pandas_importable() -> bool:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture
def pool():
    p = content_workers.start_worker_pool(workers=1)
    yield p
    p.shutdown(wait=True)


def test_worker_gives_the_same_facts_as_this_process(pool):
    texts = pa.array([f"Write a function parse_{i}() in Python that reads {i} rows. Think step by step."
                      for i in range(500)] + ["Tell me a story about Marie Curie", ""])
    got = pool.submit(content_workers.analyze_in_worker, texts).result(timeout=120)
    want = content.analyze_prompts(texts, content.load_rules())
    for name in ("key_index", "template_id", "simhash", "capability", "cot"):
        assert np.array_equal(getattr(got, name), getattr(want, name)), name
    assert got.keys.equals(want.keys)


def test_worker_loads_only_the_analysis(pool):
    pool.submit(content_workers.analyze_in_worker, pa.array(["hello world"])).result(timeout=120)
    heavy = ("pandas", "sqlalchemy", "app.core.case", "app.io.importer", "app.io.readers", "app.cli")
    assert pool.submit(_loaded, heavy).result(timeout=60) == []
    assert pool.submit(_pandas_importable).result(timeout=60) is False
    assert "app.core.content" in pool.submit(_loaded, ("app.core.content",)).result(timeout=60)


def test_start_restores_the_callers_main_module():
    main = sys.modules["__main__"]
    spec, script = getattr(main, "__spec__", None), getattr(main, "__file__", None)
    p = content_workers.start_worker_pool(workers=1)
    try:
        assert getattr(main, "__spec__", None) is spec
        assert getattr(main, "__file__", None) == script
    finally:
        p.shutdown(wait=True)
