"""Hydrascope: an offline workbench for finding coordinated distillation campaigns in LLM API logs.

Layers (data flows one way): ``app.io`` reads exports and hands canonical batches to
``app.core`` (case file, schema, ingest, features, detection); ``app.ui`` shows what core
answers. ``app.sim`` writes realistic exports with known campaigns. Only ``app.ui`` imports Qt.
"""

__version__ = "0.1.0"
