"""A fast path to :func:`._numbers.parse_numbers` for columns of plain decimal-point numbers.

The Leefbaarometer grid table has 3 million rows × 7 score columns; the general parser (one regular
expression per value and form) needs ~3.5 µs a value there. Nearly every such column is plain text
like ``0.045123``: one Arrow cast reads it. This module takes that path only when the answer is the
same as the general parser's — the column casts as a whole, it proves a decimal point (a value with
other than three digits after the point), holds nothing beyond :data:`._numbers.LARGEST` and no
infinities — and maps CBS's marker values and empty cells exactly as the general parser does. Any other
column (a comma, a text marker, an ambiguous ``2.220``, a broken cell) goes to the general parser,
which gives its usual answer or its usual error naming row and column.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._numbers import _MISSING_TEXT, LARGEST, MARKER_VALUES
from ._tabular import parse_numbers

__all__ = ["fast_numbers"]

_UNAMBIGUOUS_POINT = r"^[+-]?\d*\.(\d{1,2}|\d{4,})$"
_EMPTY = pa.array(sorted({v for m in _MISSING_TEXT for v in (m, m.lower(), m.capitalize())}))


def _point_proven(num) -> bool:
    """True when the column holds no point at all, or a value that can only be read with a decimal point;
    the first 10,000 values usually settle it."""
    head = num.slice(0, 10_000)
    if pc.any(pc.match_substring_regex(head, _UNAMBIGUOUS_POINT)).as_py():
        return True
    if not pc.any(pc.match_substring(num, ".")).as_py():
        return True                # whole numbers only: no separator to decide
    return bool(pc.any(pc.match_substring_regex(num, _UNAMBIGUOUS_POINT)).as_py())


def fast_numbers(values: pd.Series, file, column: str, first_row: int = 2,
                 decimal: str | None = None) -> tuple[pd.Series, pd.Series]:
    """``(floats, flags)`` on the index of ``values``, as :func:`._tabular.parse_numbers` returns them."""
    def general():
        return parse_numbers(values, file, column, first_row, decimal=decimal)

    if decimal == ",":
        return general()
    try:
        arr = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return general()
    # the empty texts as written (other spellings, or padding, make the cast fail: the general parser)
    empty = pc.or_(pc.is_null(arr), pc.fill_null(pc.is_in(arr, value_set=_EMPTY), True))   # is_in(null) is false
    num = pc.if_else(empty, pa.scalar(None, pa.string()), arr)
    try:
        v = pc.cast(num, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return general()
    if decimal is None and not _point_proven(num):
        return general()          # no value proves a decimal point (e.g. only 2.220): the general parser decides
    out = v.to_numpy(zero_copy_only=False).astype(float)
    miss = np.asarray(empty.to_numpy(zero_copy_only=False), bool)
    bad = ~miss & (~np.isfinite(out) | (np.abs(np.nan_to_num(out)) > LARGEST))
    if bad.any():
        return general()
    # flags as a categorical of a few labels: 3 million rows must not become 3 million strings
    codes = np.where(miss, 1, 0).astype(np.int8)
    for k, marker in enumerate(MARKER_VALUES):
        hit = out == marker
        if hit.any():
            codes[hit] = 2 + k
            out[hit] = np.nan
    out[miss] = np.nan
    flags = pd.Categorical.from_codes(codes, categories=["", "missing", *MARKER_VALUES.values()])
    return pd.Series(out, index=values.index), pd.Series(flags, index=values.index)
