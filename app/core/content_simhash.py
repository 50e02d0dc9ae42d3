"""64-bit SimHash of many short texts at once, in numpy, without a Python loop per text.

Near-duplicate prompts (a word swapped, a clause added) must land a few bits apart so the
detection side can group template variants; the importer needs this for hundreds of thousands of
texts per second, which a per-text loop cannot give. So the whole batch is handled as one UTF-8
byte buffer: tokens are found with vectorised byte comparisons, each token is hashed from its
first eight bytes and its length, and the per-bit majority vote is counted with
bit-sliced counters (one uint64 "plane" per bit of the count, all 64 fingerprint bits in
parallel). Texts with very many features take a plain per-text path instead, so one huge prompt
cannot blow up the shared layout.

Features are the text's tokens (runs of bytes above the space character) and each pair of
neighbouring tokens, all with weight 1; bit ``j`` of the fingerprint is set when more than half
of the features have bit ``j`` set. Everything is fixed-width integer arithmetic, so the value
is the same on every machine and in every process.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa

__all__ = ["string_buffers", "simhash64", "simhash64_reference", "hamming64", "mix64"]

_U = np.uint64
_M1, _M2 = _U(0xBF58476D1CE4E5B9), _U(0x94D049BB133111EB)  # splitmix64 finaliser
_K_FIRST = _U(0x9E3779B97F4A7C15)
_K_LEN, _K_PAIR = _U(0x165667B19E3779F9), _U(0xD6E8FEB86659FD93)
_LEN_MASK = np.array([0] + [(1 << (8 * k)) - 1 for k in range(1, 8)] + [(1 << 64) - 1], dtype=np.uint64)
_BIT = np.arange(64, dtype=np.uint64)
#: texts with more features than this use the per-text path
LONG_FEATURES = 256
#: texts per batch of the vectorised path (bounds memory)
BATCH = 8192


def string_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Bytes and zero-based offsets of a string/large_string array, without copying the bytes.

    Returns ``(data, offsets)``: ``data`` is uint8, ``offsets`` int64 of length ``len(arr) + 1``,
    text ``i`` being ``data[offsets[i]:offsets[i + 1]]``.
    """
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=width)[arr.offset : arr.offset + len(arr) + 1].astype(np.int64)
    start, stop = int(offsets[0]), int(offsets[-1])
    data = np.frombuffer(bufs[2], dtype=np.uint8)[start:stop] if bufs[2] is not None else np.empty(0, np.uint8)
    return data, offsets - start


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, in place on ``x`` (a fresh uint64 array), which it returns."""
    x ^= x >> _U(30)
    x *= _M1
    x ^= x >> _U(27)
    x *= _M2
    x ^= x >> _U(31)
    return x


def _load8(data: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Little-endian uint64 made of the 8 bytes starting at each byte position ``pos`` (ascending).

    Bytes past the end of ``data`` read as 0. The loads are one gather from an unaligned uint64
    view of the buffer with a one-byte stride (no copy of the bytes); only the few positions in
    the last seven bytes read from a small zero-padded copy of the tail.
    """
    n = len(data)
    out = np.empty(len(pos), np.uint64)
    split = int(np.searchsorted(pos, n - 7, side="left"))  # pos[:split] have 8 bytes to read
    if split:
        view = np.ndarray(shape=(n - 7,), dtype="<u8", buffer=data, strides=(1,))
        np.take(view, pos[:split], out=out[:split])
    if split < len(pos):
        tail_start = max(n - 7, 0)
        tail = np.zeros(16, np.uint8)
        tail[: n - tail_start] = data[tail_start:]
        tail_view = np.ndarray(shape=(9,), dtype="<u8", buffer=tail, strides=(1,))
        out[split:] = tail_view[pos[split:] - tail_start]
    return out


def _tokens(data: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hash of every token and the index of each text's first token (length n + 1)."""
    nbytes = len(data)
    if nbytes == 0:
        return np.empty(0, np.uint64), np.zeros(len(offsets), np.int64)
    word = data > 32
    # a start is a word byte after a non-word byte (a > b on bools is a & ~b), an end the reverse
    starts = np.empty(nbytes, bool)
    starts[0] = word[0]
    np.greater(word[1:], word[:-1], out=starts[1:])
    heads = offsets[:-1][offsets[:-1] < nbytes]
    starts[heads] = word[heads]
    ends = np.empty(nbytes, bool)
    ends[-1] = word[-1]
    np.greater(word[:-1], word[1:], out=ends[:-1])
    tails = offsets[1:][offsets[1:] > 0] - 1
    ends[tails] = word[tails]
    s = np.flatnonzero(starts)
    e = np.flatnonzero(ends)
    e += 1
    length = e - s
    h = _load8(data, s)
    h &= _LEN_MASK[np.minimum(length, 8)]
    h *= _K_FIRST
    length = length.astype(np.uint64)
    length *= _K_LEN
    h ^= length
    return mix64(h), np.searchsorted(s, offsets)


def _long_path(unigrams: np.ndarray, pairs: np.ndarray) -> int:
    """SimHash of one text from its feature hashes, by plain per-bit counting."""
    feats = np.concatenate([unigrams, pairs])
    counts = ((feats[:, None] >> _BIT) & _U(1)).sum(axis=0)
    bits = (counts * 2 > len(feats)).astype(np.uint64)
    return int((bits << _BIT).sum())


def _batch(data: np.ndarray, offsets: np.ndarray, long_features: int) -> np.ndarray:
    n = len(offsets) - 1
    out = np.zeros(n, np.uint64)
    h, first = _tokens(data, offsets)
    if len(h) == 0:
        return out
    cnt = np.diff(first)
    # pair feature j joins token j and j + 1 (only used where both are in the same text)
    pair = h[:-1] * _K_PAIR
    pair ^= h[1:]
    pair = mix64(pair)
    nfeat = np.where(cnt > 0, 2 * cnt - 1, 0)

    for i in np.flatnonzero(nfeat > long_features):
        a, b = first[i], first[i + 1]
        out[i] = _long_path(h[a:b], pair[a : b - 1])

    ids = np.flatnonzero((nfeat > 0) & (nfeat <= long_features))
    if len(ids) == 0:
        return out
    # order texts by token count, most first: the texts that still have a token at position p
    # are then a prefix of that order, and token p of all of them is one gather
    ids = ids[np.argsort(-cnt[ids], kind="stable")]
    c = cnt[ids]
    start = first[ids]
    maxc = int(c[0])
    with_token = np.searchsorted(-c, -np.arange(maxc), side="left")  # texts with cnt > p
    planes = int(2 * maxc - 1).bit_length()
    counter = np.zeros((planes, len(ids)), np.uint64)
    added = 0
    for p in range(maxc):
        for source, width in ((h, int(with_token[p])), (pair, int(with_token[p + 1]) if p + 1 < maxc else 0)):
            if width == 0:
                continue
            added += 1
            carry = source[start[:width] + p]
            for k in range(added.bit_length()):
                plane = counter[k, :width]
                nxt = plane & carry
                plane ^= carry
                carry = nxt
    # bit j is set when count_j >= nfeat // 2 + 1, compared plane by plane from the top
    need = (nfeat[ids] // 2 + 1).astype(np.uint64)
    greater = np.zeros(len(ids), np.uint64)
    equal = np.full(len(ids), ~_U(0), np.uint64)
    for k in range(planes - 1, -1, -1):
        want = _U(0) - ((need >> _U(k)) & _U(1))
        greater |= equal & counter[k] & ~want
        equal &= ~(counter[k] ^ want)
    out[ids] = greater | equal
    return out


def simhash64(arr: pa.Array, *, long_features: int = LONG_FEATURES) -> np.ndarray:
    """64-bit SimHash of each text, as signed int64 (the bit pattern of the unsigned value).

    Parameters
    ----------
    arr:
        pyarrow string or large_string array without nulls.
    long_features:
        Texts with more features than this are counted one by one (same result, bounded memory).

    Returns
    -------
    numpy.ndarray
        int64 array of ``len(arr)``; an empty or all-space text gets 0.
    """
    n = len(arr)
    out = np.zeros(n, np.uint64)
    for start in range(0, n, BATCH):
        part = arr.slice(start, BATCH)
        data, offsets = string_buffers(part)
        out[start : start + len(part)] = _batch(data, offsets, long_features)
    return out.view(np.int64)


def hamming64(a, b) -> int:
    """Number of differing bits between two 64-bit fingerprints (signed or unsigned ints)."""
    return ((int(a) ^ int(b)) & 0xFFFF_FFFF_FFFF_FFFF).bit_count()


_MASK64 = (1 << 64) - 1
_SEPARATORS = re.compile(rb"[\x00-\x20]+")


def _mix_int(x: int) -> int:
    x ^= x >> 30
    x = (x * int(_M1)) & _MASK64
    x ^= x >> 27
    x = (x * int(_M2)) & _MASK64
    return x ^ (x >> 31)


def simhash64_reference(text: str) -> int:
    """Plain-Python SimHash of one text, bit for bit equal to :func:`simhash64`.

    The readable statement of the algorithm: the tests check the vectorised version against it
    and the benchmark uses it in its per-prompt peer. Returns the signed 64-bit value.
    """
    tokens = [t for t in _SEPARATORS.split(text.encode("utf-8")) if t]
    hashes = []
    for tok in tokens:
        first = int.from_bytes(tok[:8].ljust(8, b"\0"), "little")
        hashes.append(_mix_int(((first * int(_K_FIRST)) & _MASK64) ^ ((len(tok) * int(_K_LEN)) & _MASK64)))
    pairs = [_mix_int(((a * int(_K_PAIR)) & _MASK64) ^ b) for a, b in zip(hashes, hashes[1:])]
    features = hashes + pairs
    value = 0
    for bit in range(64):
        if 2 * sum((f >> bit) & 1 for f in features) > len(features):
            value |= 1 << bit
    return value - (1 << 64) if value >> 63 else value
