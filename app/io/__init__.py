"""Readers for log exports: decompression, container sniffing, format presets, column mapping.

Everything here turns a file on disk into canonical batches (see :mod:`app.core.canonical`)
and hands them to :mod:`app.core.ingest`; nothing here writes SQL or imports Qt.
"""
