"""Numbers from exports: what is kept, what is junk (and becomes a rejected row)."""

import pyarrow as pa

from app.core.prepare import parse_integers


def test_text_numbers_beyond_int64_are_junk_not_a_crash():
    values, bad = parse_integers(pa.array(["12", "12.7", "99999999999999999999", "-5", "", "nan", "inf",
                                           "1e30", None, "ok"]), "status")
    assert values.to_pylist() == [12, 13, None, -5, None, None, None, None, None, 200]
    assert bad.tolist() == [False, False, True, False, False, True, True, True, False, False]


def test_float_columns_with_nan_infinity_or_huge_values_mark_those_rows_bad():
    values, bad = parse_integers(pa.array([1.4, float("nan"), float("inf"), 1e30, -2.6, None]), "latency_ms")
    assert values.to_pylist() == [1, None, None, None, -3, None]
    assert bad.tolist() == [False, True, True, True, False, False]
