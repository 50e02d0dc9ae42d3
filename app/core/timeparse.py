"""Turn every timestamp style real exports use into integer UTC epoch milliseconds, vectorised.

Exports disagree: ISO 8601 with ``Z``, with an offset, with seven fractional digits (Azure), with
a space and no zone (Langfuse, LiteLLM, OpenRouter: UTC by their docs), with a trailing ``UTC``
(BigQuery extracts), nginx's ``14/May/2025:02:10:31 +0000``, and epoch numbers in seconds,
milliseconds, microseconds or nanoseconds. Parsing is done per batch with pandas/pyarrow
kernels; only values that fail every fast path are tried one by one, and values that fail
everything come back as invalid so the importer can reject just those rows with a reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["parse_timestamps", "epoch_to_ms"]

_NUMERIC = r"^\s*-?\d+(\.\d+)?\s*$"
_NGINX = r"^\d{1,2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2}( [+-]\d{4})?$"
_NGINX_FMT = "%d/%b/%Y:%H:%M:%S %z"


def epoch_to_ms(values: np.ndarray) -> np.ndarray:
    """Epoch numbers of any unit to milliseconds, the unit told apart by magnitude per value.

    Below 1e11 is seconds (up to year 5138), below 1e14 milliseconds, below 1e17 microseconds,
    anything larger nanoseconds: the ranges do not overlap for dates after 1973.
    """
    v = np.asarray(values, dtype=np.float64)
    a = np.abs(v)
    factor = np.where(a < 1e11, 1e3, np.where(a < 1e14, 1.0, np.where(a < 1e17, 1e-3, 1e-6)))
    return np.floor(v * factor).astype(np.int64)


def _strings_to_ms(strings: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    n = len(strings)
    out = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    if n == 0:
        return out, ok
    s = strings.str.strip()
    s = s.str.replace(r"\s+UTC$", "Z", regex=True)
    parsed = pd.to_datetime(s, utc=True, format="ISO8601", errors="coerce")
    good = parsed.notna().to_numpy()
    out[good] = parsed[good].dt.as_unit("ms").astype("int64").to_numpy()
    ok |= good
    rest = ~ok & s.notna().to_numpy()
    if rest.any():
        sub = s[rest]
        nginx = sub.str.match(_NGINX).fillna(False).to_numpy()
        if nginx.any():
            nsub = sub[nginx]
            nsub = nsub.where(nsub.str.contains(r" [+-]\d{4}$"), nsub + " +0000")
            p = pd.to_datetime(nsub, utc=True, format=_NGINX_FMT, errors="coerce")
            idx = np.flatnonzero(rest)[nginx]
            g = p.notna().to_numpy()
            out[idx[g]] = p[g].dt.as_unit("ms").astype("int64").to_numpy()
            ok[idx[g]] = True
        rest = ~ok & s.notna().to_numpy()
        for i in np.flatnonzero(rest):  # last resort, one by one: rare in real files
            try:
                t = pd.Timestamp(s.iloc[i])
            except (ValueError, TypeError, OverflowError):
                continue
            if t is pd.NaT:
                continue
            t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
            out[i] = int(t.as_unit("ms").asm8.astype("int64"))
            ok[i] = True
    return out, ok


def _arrow_cast(arr: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """Arrow's ISO 8601 cast (about 30M values/s) when the whole batch is one clean style."""
    nonnull = pc.drop_null(arr)
    if len(nonnull) == 0:
        return None
    first = nonnull[0].as_py().strip()
    if not first or first[0] not in "0123456789" or len(first) < 19 or first[4] != "-":
        return None
    for target, zoned in ((pa.timestamp("ms", tz="UTC"), True), (pa.timestamp("ms"), False)):
        try:
            ts = pc.cast(arr, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        if not zoned:
            ts = pc.assume_timezone(ts, "UTC")
        ms = ts.cast(pa.int64())
        return ms.fill_null(0).to_numpy(zero_copy_only=False), pc.is_valid(ms).to_numpy(zero_copy_only=False)
    return None


def parse_timestamps(arr: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Parse a column of timestamps.

    Returns
    -------
    ms : numpy.ndarray of int64
        UTC epoch milliseconds (0 where invalid).
    valid : numpy.ndarray of bool
        False where the value is missing or matches no known style.
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    n = len(arr)
    if pa.types.is_timestamp(arr.type):
        if arr.type.tz is None:
            arr = pc.assume_timezone(arr, "UTC")
        ms = pc.cast(arr, pa.timestamp("ms", tz="UTC")).cast(pa.int64())
        valid = pc.is_valid(ms).to_numpy(zero_copy_only=False)
        return ms.fill_null(0).to_numpy(zero_copy_only=False), valid
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        valid = pc.is_valid(arr).to_numpy(zero_copy_only=False)
        vals = arr.cast(pa.float64()).fill_null(0).to_numpy(zero_copy_only=False)
        return epoch_to_ms(vals), valid
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())
    fast = _arrow_cast(arr)
    if fast is not None:
        return fast
    out = np.zeros(n, dtype=np.int64)
    valid = np.zeros(n, dtype=bool)
    numeric = pc.fill_null(pc.match_substring_regex(arr, _NUMERIC), False).to_numpy(zero_copy_only=False)
    if numeric.any():
        nums = pc.cast(pc.utf8_trim_whitespace(pc.filter(arr, numeric)), pa.float64())
        out[numeric] = epoch_to_ms(nums.to_numpy(zero_copy_only=False))
        valid[numeric] = True
    text = ~numeric
    if text.any():
        series = pd.Series(pc.filter(arr, text).to_pandas(), dtype=object)
        ms, ok = _strings_to_ms(series)
        out[text] = ms
        valid[text] = ok
    return out, valid
