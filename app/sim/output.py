"""Writing simulated exports to disk: format choice, compression, streaming and determinism.

Text formats are rendered to bytes on the main thread and compressed on worker threads (zlib
and zstandard release the GIL); compression, not generation, is the slow part at full scale.
Output goes to ``<out>.part`` and is renamed only when complete, so a crash never leaves a
plausible but truncated export. Gzip members carry mtime 0 so the same seed gives the same bytes.
"""

from __future__ import annotations

import os
import zlib
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import zstandard

from .events import Chunk
from .formats import Tables, bedrock_lines, canonical_table, jsonl_lines, litellm_table
from .textcols import to_bytes

__all__ = ["FORMATS", "GZIP_LEVEL", "resolve_format", "open_writer"]

GZIP_LEVEL = 6

#: format name -> one-line description (the CLI shows it in --help)
FORMATS: dict[str, str] = {
    "csv": "canonical columns, comma-separated, header row",
    "jsonl": "canonical columns, one JSON object per line",
    "parquet": "canonical columns, Apache Parquet (zstd)",
    "bedrock": "AWS Bedrock model invocation log records, JSON Lines",
    "litellm": "LiteLLM_SpendLogs table dump (psql CSV with JSON columns)",
}
_BY_EXT = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet"}
_COMPRESSION = {".gz": "gzip", ".zst": "zstd"}


def resolve_format(path: Path, fmt: str | None) -> tuple[str, str | None]:
    """(format, compression) from the file name and an optional explicit format.

    Raises ``ValueError`` with an analyst-readable message when neither gives a format.
    """
    suffixes = [s.lower() for s in path.suffixes]
    compression = _COMPRESSION.get(suffixes[-1]) if suffixes else None
    base = suffixes[-2] if compression and len(suffixes) > 1 else (suffixes[-1] if suffixes and not compression else "")
    if fmt is None:
        if base not in _BY_EXT:
            raise ValueError(f"cannot tell the format from the file name {path.name!r}; name it .csv, "
                             f".jsonl or .parquet (optionally .gz/.zst) or pass a format "
                             f"({', '.join(FORMATS)})")
        fmt = _BY_EXT[base]
    elif fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    return fmt, compression


def _gzip(level: int):
    return lambda data: zlib.compress(data, level, wbits=31)


def _zstd(data) -> bytes:
    return zstandard.ZstdCompressor(level=3).compress(data)


class _Sink:
    """Bytes -> optional compression -> file; each batch is compressed on a worker thread.

    Every batch becomes its own gzip member / zstd frame (both formats define a file as a
    sequence of them; gzip, zcat, Python and Arrow read them as one stream), so two batches
    compress at once while the main thread renders the next one.
    """

    def __init__(self, path: Path, compression: str | None):
        self.fh = open(path, "wb")
        kind, _, level = (compression or "").partition(":")
        self.job = _gzip(int(level or GZIP_LEVEL)) if kind == "gzip" else (_zstd if kind == "zstd" else None)
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sim-compress") if self.job else None
        self.pending: deque = deque()

    def write(self, data) -> None:
        if self.pool is None:
            self.fh.write(data)
            return
        self.pending.append(self.pool.submit(self.job, data))
        while len(self.pending) > 2:
            self.fh.write(self.pending.popleft().result())

    def close(self) -> None:
        try:
            while self.pending:
                self.fh.write(self.pending.popleft().result())
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)
            self.fh.close()


class _TextWriter:
    def __init__(self, path: Path, fmt: str, compression: str | None, tables: Tables):
        self.sink = _Sink(path, compression)
        self.fmt = fmt
        self.tables = tables
        self.first = True

    def write(self, ch: Chunk) -> None:
        if self.fmt in ("csv", "litellm"):
            table = canonical_table(self.tables, ch) if self.fmt == "csv" else litellm_table(self.tables, ch)
            buf = pa.BufferOutputStream()
            pcsv.write_csv(table, buf, pcsv.WriteOptions(include_header=self.first, quoting_style="needed",
                                                         batch_size=8192))
            data = buf.getvalue()
        elif self.fmt == "jsonl":
            data = to_bytes(jsonl_lines(canonical_table(self.tables, ch)))
        else:
            data = to_bytes(bedrock_lines(self.tables, ch))
        self.first = False
        self.sink.write(memoryview(data))

    def close(self) -> None:
        self.sink.close()


class _ParquetWriter:
    def __init__(self, path: Path, compression: str | None, tables: Tables):
        self.raw = pa.OSFile(str(path), "wb")
        kind = (compression or "").partition(":")[0]
        self.stream = pa.CompressedOutputStream(self.raw, kind) if kind else self.raw
        self.tables = tables
        self.writer: pq.ParquetWriter | None = None

    def write(self, ch: Chunk) -> None:
        table = canonical_table(self.tables, ch)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.stream, table.schema, compression="zstd")
        self.writer.write_table(table)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.stream.close()
        if self.stream is not self.raw:
            self.raw.close()


def open_writer(path: Path, fmt: str, compression: str | None, tables: Tables):
    """A writer with ``write(chunk)`` and ``close()`` for ``fmt``."""
    if fmt == "parquet":
        return _ParquetWriter(path, compression, tables)
    return _TextWriter(path, fmt, compression, tables)


def replace_atomically(tmp: Path, final: Path) -> None:
    """Move a finished ``.part`` file into place."""
    os.replace(tmp, final)
