"""Fast string columns for writers: timestamps, ids and JSON fragments built without Python loops.

Formatting 28.8M timestamps with ``strftime`` costs ~40 s; composing the digits with numpy and
handing Arrow a fixed-width byte array costs ~1 s. JSON records are assembled the same way:
escaped text columns joined with literal pieces by one Arrow kernel, so a JSON Lines writer
never calls ``json.dumps`` per row.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["fixed", "iso_ms", "hex_id", "uuid_str", "json_text", "json_str_or_null", "int_text",
           "join", "to_bytes"]

_DAY_MS = 86_400_000


def fixed(chars: np.ndarray) -> pa.Array:
    """Arrow string array from an ``(n, width)`` uint8 array of ASCII characters."""
    n, width = chars.shape
    raw = np.ascontiguousarray(chars).view(f"S{width}").reshape(n)
    return pa.array(raw, pa.binary(width)).cast(pa.binary()).cast(pa.string())


def _digits(out: np.ndarray, col: int, values: np.ndarray, width: int) -> None:
    for i in range(width - 1, -1, -1):
        out[:, col + i] = 48 + values % 10
        values = values // 10


def iso_ms(ts_ms: np.ndarray, sep: str = "T", suffix: str = "Z", millis: bool = True) -> pa.Array:
    """``2026-05-01T13:04:05.123Z`` (or other separator / suffix / second precision) strings."""
    ts_ms = np.asarray(ts_ms, dtype=np.int64)
    n = len(ts_ms)
    day = ts_ms // _DAY_MS
    uniq, inv = np.unique(day, return_inverse=True)
    dates = np.frombuffer("".join(
        dt.datetime.fromtimestamp(int(d) * 86400, dt.timezone.utc).strftime("%Y-%m-%d") for d in uniq
    ).encode() or b"", dtype=np.uint8).reshape(len(uniq), 10)
    width = 19 + (4 if millis else 0) + len(suffix)
    out = np.empty((n, width), np.uint8)
    out[:, :10] = dates[inv] if n else out[:, :10]
    rest = ts_ms - day * _DAY_MS
    out[:, 10] = ord(sep)
    _digits(out, 11, rest // 3_600_000, 2)
    out[:, 13] = ord(":")
    _digits(out, 14, rest // 60_000 % 60, 2)
    out[:, 16] = ord(":")
    _digits(out, 17, rest // 1000 % 60, 2)
    col = 19
    if millis:
        out[:, 19] = ord(".")
        _digits(out, 20, rest % 1000, 3)
        col = 23
    for i, ch in enumerate(suffix.encode()):
        out[:, col + i] = ch
    return fixed(out)


def hex_id(rid: np.ndarray, prefix: str, width: int = 24) -> pa.Array:
    """``prefix`` + the first ``width`` hex characters of each random id."""
    n = len(rid)
    chars = rid.view(np.uint8).reshape(n, -1)[:, :width]
    head = np.broadcast_to(np.frombuffer(prefix.encode(), np.uint8), (n, len(prefix)))
    return fixed(np.concatenate([head, chars], axis=1))


def uuid_str(rid: np.ndarray, prefix: str = "") -> pa.Array:
    """Version-4 UUID strings built from 32 random hex characters per id."""
    n = len(rid)
    h = rid.view(np.uint8).reshape(n, -1)[:, :32].copy()
    h[:, 12] = ord("4")
    h[:, 16] = np.frombuffer(b"89ab", np.uint8)[h[:, 16] % 4]
    dash = np.full((n, 1), ord("-"), np.uint8)
    parts = [h[:, :8], dash, h[:, 8:12], dash, h[:, 12:16], dash, h[:, 16:20], dash, h[:, 20:]]
    if prefix:
        parts.insert(0, np.broadcast_to(np.frombuffer(prefix.encode(), np.uint8), (n, len(prefix))))
    return fixed(np.concatenate(parts, axis=1))


def json_text(arr: pa.Array) -> pa.Array:
    """Escape a string column for use inside JSON double quotes (nulls stay null)."""
    for a, b in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        arr = pc.replace_substring(arr, a, b)
    return arr


def json_str_or_null(arr: pa.Array, escape: bool = True) -> pa.Array:
    """``"escaped"`` for values, ``null`` for nulls: a complete JSON value per row."""
    body = json_text(arr) if escape else arr
    return pc.fill_null(pc.binary_join_element_wise('"', body, '"', ""), "null")


def int_text(values: np.ndarray) -> pa.Array:
    """Decimal text of an integer column."""
    return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())


def join(*parts) -> pa.Array:
    """Concatenate string arrays and literal ``str`` pieces row by row."""
    return pc.binary_join_element_wise(*[pa.scalar(p, pa.string()) if isinstance(p, str) else p
                                         for p in parts], "")


def to_bytes(lines: pa.Array) -> pa.Buffer:
    """The concatenated bytes of a null-free string array (zero-copy slice of its data)."""
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    if len(lines) == 0:
        return pa.py_buffer(b"")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset:lines.offset + len(lines) + 1]
    return lines.buffers()[2][int(offsets[0]):int(offsets[-1])]
