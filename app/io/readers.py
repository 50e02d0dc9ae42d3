"""Stream an export as batches, whatever its container, in memory that does not grow with it.

Tabular files (CSV/TSV, Parquet) come out as Arrow tables of their own columns, parsed by
Arrow's C++ readers; JSON Lines, JSON arrays and API envelopes come out as lists of parsed
objects with their line or record numbers. Broken pieces (a CSV row with the wrong number of
fields, a JSON line that does not parse) are handed back as rejects with their number and raw
text, so one bad row never stops an import of millions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from app.core.errors import InputError

from .opener import READ_ERRORS, CountingReader, Sniffed, open_stream

__all__ = ["SourceBatch", "open_batches", "RAW_LIMIT", "ENVELOPE_KEYS"]

RAW_LIMIT = 4096  # characters of a rejected record kept as evidence
BATCH_ROWS = 65536
CSV_BLOCK = 2 << 20  # larger blocks made Arrow's reader hold several times more memory (RSS)
CSV_BATCH_ROWS = 32768
ENVELOPE_KEYS = ("result", "results", "data", "records", "Records", "logs", "items", "entries")


@dataclass
class SourceBatch:
    """One slice of the source: either ``table`` (tabular) or ``records`` (JSON objects)."""

    first_record: int  # 1-based number of the first row/record in this batch
    table: pa.Table | None = None
    records: list[dict[str, Any]] | None = None
    record_numbers: list[int] | None = None  # per record (JSON), since rejects leave gaps
    rejects: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.table.num_rows if self.table is not None else len(self.records or ())


class Source:
    """An opened export: iterate it for batches; ``fraction_done`` drives progress bars."""

    def __init__(self, path: Path, sniffed: Sniffed):
        self.path = path
        self.sniffed = sniffed
        self.size = path.stat().st_size
        self._raw: CountingReader | None = None
        self._pf: pq.ParquetFile | None = None
        self._rows_done = 0

    def fraction_done(self) -> float:
        if self._pf is not None:
            total = self._pf.metadata.num_rows or 1
            return min(1.0, self._rows_done / total)
        if self._raw is None or not self.size:
            return 0.0
        return min(1.0, self._raw.consumed / self.size)

    def __iter__(self) -> Iterator[SourceBatch]:
        kind = self.sniffed.container
        try:
            if kind == "parquet":
                yield from self._parquet()
            elif kind == "csv":
                yield from self._csv()
            elif kind == "jsonl":
                yield from self._jsonl()
            else:
                yield from self._json_document()
        except READ_ERRORS as exc:
            raise InputError(f"{self.path}: the file is truncated or corrupt ({exc})") from None
        except pa.ArrowInvalid as exc:
            raise InputError(f"{self.path}: cannot parse as {kind} ({str(exc).splitlines()[0]})") from None

    # -- tabular -----------------------------------------------------------------------------
    def _parquet(self) -> Iterator[SourceBatch]:
        try:
            self._pf = pq.ParquetFile(self.path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{self.path}: not a readable Parquet file ({exc})") from None
        n = 0
        for rb in self._pf.iter_batches(batch_size=BATCH_ROWS):
            table = pa.Table.from_batches([rb])
            if any(pa.types.is_struct(f.type) for f in table.schema):
                table = table.flatten()
            yield SourceBatch(first_record=n + 1, table=table)
            n += table.num_rows
            self._rows_done = n

    def _csv(self) -> Iterator[SourceBatch]:
        stream, self._raw, _ = open_stream(self.path)
        rejects: list[tuple[int, str, str]] = []
        seen = [0]

        def on_invalid(row) -> str:
            number = row.number if row.number is not None else seen[0]
            rejects.append((number, f"expected {row.expected_columns} fields, found {row.actual_columns}",
                            (row.text or "")[:RAW_LIMIT]))
            return "skip"

        # every column as text: the canonical mapping decides types, so "007" keeps its zeros
        names = _csv_header(stream, self.sniffed.delimiter, self.path)
        stream.close()
        stream, self._raw, _ = open_stream(self.path)
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(block_size=CSV_BLOCK, use_threads=True),
            parse_options=pacsv.ParseOptions(delimiter=self.sniffed.delimiter, newlines_in_values=True,
                                             invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=True,
                                                 quoted_strings_can_be_null=False),
        )
        n = 0
        pending: list[pa.RecordBatch] = []
        pending_rows = 0

        def flush() -> SourceBatch:
            nonlocal n, pending, pending_rows
            batch = SourceBatch(first_record=n + 1, table=pa.Table.from_batches(pending))
            n += pending_rows
            seen[0] = n
            batch.rejects, rejects[:] = list(rejects), []
            pending, pending_rows = [], 0
            return batch

        try:
            for rb in reader:  # small blocks, regrouped into batches of ~32k rows
                if rb.num_rows == 0:
                    continue
                pending.append(rb)
                pending_rows += rb.num_rows
                if pending_rows >= CSV_BATCH_ROWS:
                    yield flush()
            if pending:
                yield flush()
            if rejects:
                yield SourceBatch(first_record=n + 1, table=pa.Table.from_batches([], reader.schema),
                                  rejects=list(rejects))
        finally:
            stream.close()

    # -- JSON ----------------------------------------------------------------------------------
    def _jsonl(self) -> Iterator[SourceBatch]:
        stream, self._raw, _ = open_stream(self.path)
        try:
            batch = SourceBatch(first_record=1, records=[], record_numbers=[])
            for lineno, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except ValueError as exc:
                    text = line.decode("utf-8", errors="replace").rstrip("\r\n")
                    batch.rejects.append((lineno, f"invalid JSON ({exc.args[0] if exc.args else exc})",
                                          text[:RAW_LIMIT]))
                    continue
                if not isinstance(obj, dict):
                    batch.rejects.append((lineno, "a JSON line that is not an object",
                                          line.decode("utf-8", "replace")[:RAW_LIMIT]))
                    continue
                batch.records.append(obj)
                batch.record_numbers.append(lineno)
                if len(batch.records) >= BATCH_ROWS // 4:
                    yield batch
                    batch = SourceBatch(first_record=lineno + 1, records=[], record_numbers=[])
            if batch.records or batch.rejects:
                yield batch
        finally:
            stream.close()

    def _json_document(self) -> Iterator[SourceBatch]:
        stream, self._raw, _ = open_stream(self.path)
        try:
            text = _Peek(io_text(stream))
            first = text.first_char()
            if first == "[":
                yield from _array_items(text, self.path)
                return
            # an API envelope ({"result": [...], "result_info": ...}): pages are small
            data = "".join(text)
            try:
                doc = json.loads(data)
            except ValueError as exc:
                raise InputError(f"{self.path}: not valid JSON ({exc})") from None
            items = _envelope_items(doc)
            if items is None:
                raise InputError(
                    f"{self.path}: a JSON object without a list of records "
                    f"(looked for keys {', '.join(ENVELOPE_KEYS)})")
            batch = SourceBatch(first_record=1, records=[], record_numbers=[])
            for i, obj in enumerate(items, start=1):
                if isinstance(obj, dict):
                    batch.records.append(obj)
                    batch.record_numbers.append(i)
                else:
                    batch.rejects.append((i, "a record that is not an object", json.dumps(obj)[:RAW_LIMIT]))
            yield batch
        finally:
            stream.close()


def _envelope_items(doc: Any) -> list | None:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for key in ENVELOPE_KEYS:
            if isinstance(doc.get(key), list):
                return doc[key]
    return None


def io_text(stream) -> Iterator[str]:
    """Decoded text chunks of a binary stream (1 MB each)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            tail = decoder.decode(b"", final=True)
            if tail:
                yield tail
            return
        yield decoder.decode(chunk)


def _csv_header(stream, delimiter: str, path: Path) -> list[str]:
    import csv
    import io

    head = stream.read(1 << 20).decode("utf-8", errors="replace").lstrip("\ufeff")
    row = next(csv.reader(io.StringIO(head), delimiter=delimiter), None)
    if not row or not any(c.strip() for c in row):
        raise InputError(f"{path}: the CSV file has no header row")
    if len(set(row)) != len(row):
        dupes = sorted({c for c in row if row.count(c) > 1})
        raise InputError(f"{path}: the CSV header repeats column names: {', '.join(dupes)}")
    return row


class _Peek:
    """A chunk iterator that can show its first non-space character without consuming it."""

    def __init__(self, chunks: Iterator[str]):
        self._chunks = chunks
        self._head: list[str] = []

    def first_char(self) -> str:
        for chunk in self._chunks:
            self._head.append(chunk)
            stripped = chunk.lstrip("\ufeff \t\r\n")
            if stripped:
                return stripped[0]
        return ""

    def __iter__(self) -> Iterator[str]:
        yield from self._head
        self._head = []
        yield from self._chunks


def _array_items(chunks: "_Peek", path: Path) -> Iterator[SourceBatch]:
    """Stream the items of a top-level JSON array without loading the whole document."""
    decoder = json.JSONDecoder()
    buf, pos, index = "", 0, 0
    it = iter(chunks)
    started = False
    batch = SourceBatch(first_record=1, records=[], record_numbers=[])
    eof = False
    while True:
        # skip whitespace and separators
        while True:
            while pos < len(buf) and buf[pos] in "\ufeff \t\r\n,":
                pos += 1
            if pos < len(buf) or eof:
                break
            nxt = next(it, None)
            if nxt is None:
                eof = True
            else:
                buf, pos = buf[pos:] + nxt, 0
        if pos >= len(buf):
            if started:
                batch.rejects.append((index + 1, "truncated JSON array: the closing ] is missing", ""))
            break
        if not started:
            if buf[pos] != "[":
                raise InputError(f"{path}: expected a JSON array")
            started, pos = True, pos + 1
            continue
        if buf[pos] == "]":
            break
        try:
            obj, end = decoder.raw_decode(buf, pos)
        except ValueError as exc:
            if not eof:
                nxt = next(it, None)
                if nxt is None:
                    eof = True
                else:
                    buf, pos = buf[pos:] + nxt, 0
                continue
            index += 1
            batch.rejects.append((index, f"invalid JSON ({exc.args[0]})", buf[pos:pos + RAW_LIMIT]))
            break
        index += 1
        pos = end
        if isinstance(obj, dict):
            batch.records.append(obj)
            batch.record_numbers.append(index)
        else:
            batch.rejects.append((index, "a record that is not an object", json.dumps(obj)[:RAW_LIMIT]))
        if len(batch.records) >= BATCH_ROWS // 4:
            yield batch
            batch = SourceBatch(first_record=index + 1, records=[], record_numbers=[])
        if pos > (1 << 20):
            buf, pos = buf[pos:], 0
    if batch.records or batch.rejects:
        yield batch


def open_batches(path: Path, sniffed: Sniffed) -> Source:
    return Source(path, sniffed)
