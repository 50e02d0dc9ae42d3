"""Every timestamp style in the real exports becomes the same UTC epoch millisecond."""

import numpy as np
import pyarrow as pa

from app.core.timeparse import epoch_to_ms, parse_timestamps

T = 1747188649352  # 2025-05-14T02:10:49.352Z


def test_styles_seen_in_real_exports():
    values = [
        "2025-05-14T02:10:49.352Z",           # Helicone, Cloudflare
        "2025-05-14T02:10:49.3520000Z",       # Azure, 7 digits
        "2025-05-14 02:10:49.352000 UTC",     # BigQuery NDJSON extract
        "2025-05-14 02:10:49.352",            # LiteLLM / OpenRouter, zone-less UTC
        "2025-05-14T04:10:49.352+02:00",      # with an offset
        "1747188649352",                      # epoch ms
        "1747188649.352",                     # epoch s with fraction
        "1747188649352000",                   # epoch us
        "1747188649352000000",                # epoch ns
    ]
    ms, ok = parse_timestamps(pa.array(values))
    assert ok.all()
    assert (ms == T).all(), ms


def test_nginx_time_local():
    ms, ok = parse_timestamps(pa.array(["14/May/2025:02:10:49 +0000", "14/May/2025:04:10:49 +0200"]))
    assert ok.all() and (ms == T - 352).all()


def test_mixed_batch_keeps_good_rows_and_flags_bad():
    ms, ok = parse_timestamps(pa.array(["2025-05-14T02:10:49.352Z", "yesterday-ish", None, ""]))
    assert ok.tolist() == [True, False, False, False]
    assert ms[0] == T


def test_numeric_columns_and_arrow_timestamps():
    ms, ok = parse_timestamps(pa.array([1747188649, 1747188649352], type=pa.int64()))
    assert ok.all() and ms.tolist() == [T - 352, T]
    ts = pa.array([T], type=pa.timestamp("ms"))
    ms, ok = parse_timestamps(ts)
    assert ms.tolist() == [T]


def test_epoch_units_by_magnitude():
    assert epoch_to_ms(np.array([1.5e9, 1.5e12, 1.5e15, 1.5e18])).tolist() == [1.5e12] * 4
