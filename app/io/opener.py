"""Open an export whatever it was compressed with, and tell what kind of container it holds.

Analysts receive exports as they were written: ``.json.gz`` from S3, ``.zst`` from a data
lake, plain CSV from a console. Compression is recognised by magic bytes, not by the name, and
the raw (compressed) byte position is tracked so progress and ETA work on compressed files.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
from dataclasses import dataclass
from pathlib import Path

import zstandard

from app.core.errors import InputError

__all__ = ["open_stream", "sniff", "Sniffed", "CountingReader", "READ_ERRORS"]

_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
}

#: what the decompressors raise on a truncated or corrupt archive
READ_ERRORS = (EOFError, OSError, lzma.LZMAError, zstandard.ZstdError, UnicodeDecodeError)


class CountingReader(io.RawIOBase):
    """A raw file that remembers how many (compressed) bytes were consumed, for progress."""

    def __init__(self, fh):
        self._fh = fh
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._fh.readinto(b)
        self.consumed += n or 0
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


def _codec(path: Path) -> str | None:
    with open(path, "rb") as fh:
        head = fh.read(6)
    for magic, name in _MAGIC.items():
        if head.startswith(magic):
            return name
    return None


def open_stream(path: Path) -> tuple[io.BufferedIOBase, CountingReader, str | None]:
    """Return (decompressed binary stream, raw counter, codec name or None)."""
    codec = _codec(path)
    raw = CountingReader(open(path, "rb"))
    buffered = io.BufferedReader(raw, buffer_size=1 << 20)
    if codec == "gzip":
        stream = gzip.GzipFile(fileobj=buffered, mode="rb")
    elif codec == "bz2":
        stream = bz2.BZ2File(buffered, mode="rb")
    elif codec == "xz":
        stream = lzma.LZMAFile(buffered, mode="rb")
    elif codec == "zstd":
        stream = zstandard.ZstdDecompressor().stream_reader(buffered, read_size=1 << 20)
    else:
        stream = buffered
    return io.BufferedReader(stream, buffer_size=1 << 20) if codec else stream, raw, codec


@dataclass(frozen=True)
class Sniffed:
    container: str  # "csv", "jsonl", "json", "parquet"
    codec: str | None
    delimiter: str = ","


def _read_head(path: Path, size: int = 256 * 1024) -> tuple[bytes, str | None]:
    stream, _raw, codec = open_stream(path)
    try:
        return stream.read(size), codec
    except READ_ERRORS as exc:
        raise InputError(f"{path}: cannot read compressed data ({exc})") from None
    finally:
        stream.close()


def sniff(path: Path) -> Sniffed:
    """Tell the container from content. Raises InputError for anything that is not a log."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a log export")
    with open(path, "rb") as fh:
        if fh.read(4) == b"PAR1":
            return Sniffed("parquet", None)
    head, codec = _read_head(path)
    if not head.strip():
        raise InputError(f"{path}: the file is empty")
    if b"\x00" in head[:4096]:
        raise InputError(f"{path}: binary data, not a log export (CSV, JSON Lines, JSON or Parquet)")
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        return Sniffed("json", codec)
    if text.startswith("{"):
        first_line = text.split("\n", 1)[0].strip()
        try:
            if isinstance(json.loads(first_line), dict):
                return Sniffed("jsonl", codec)
        except ValueError:
            pass
        return Sniffed("json", codec)  # a pretty-printed object: an API envelope
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    if len(lines) > 1 and len(head) == 256 * 1024:
        lines = lines[:-1]  # the last line may be cut by the sample size
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines[:10]), delimiters=",\t;|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = None
    if delimiter and len(lines) >= 1 and len(lines[0].split(delimiter)) >= 2:
        return Sniffed("csv", codec, delimiter)
    raise InputError(
        f"{path}: not a recognised log export (expected CSV/TSV with a header, JSON Lines, "
        "a JSON array or Parquet)"
    )
