"""The fast path of the KWB CSV reader: one piece of a clean file turned into facts with Arrow kernels.

The general path (:func:`._kwb_mapping.areas_and_facts`) runs a dozen pandas passes per column and
is the one that explains what is wrong with a file. Most pieces of a published KWB csv hold nothing
to explain: codes that are CBS codes, ``recs`` that fit them, cells that are plain integers, plain
decimals in the file's separator, CBS markers or empty. This module checks exactly that with
vectorised Arrow/numpy operations and, when it holds, builds the same areas and facts the general
path would (same values, flags and ``_row``). Whenever anything is unusual — a cell of another form,
a negative count, a fraction, a part larger than its whole, a duplicate, a ``%`` sign, known codes
to check — it returns None and the piece goes through the general path, which raises the error
(naming file, row and column) or sets the flag. The fast path never decides an error itself, so the
messages stay the general path's.
"""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import union_categoricals

from ._codes import PREFIX_LEVEL
from ._kwb_mapping import BY_SHORT, CODE_RE, RECS_LEVEL, area_frame
from ._numbers import LARGEST, MARKER_VALUES, TEXT_MARKERS
from ._tabular import join_flags

__all__ = ["fast_piece", "decimal_evidence", "FAST"]

#: take the fast path where it applies (``VEERKRACHT_KWB_FAST=0``: always the general path, for comparison)
FAST = os.environ.get("VEERKRACHT_KWB_FAST", "1") != "0"

_INT = r"^[+-]?[0-9]+$"
_DEC = {".": r"^[+-]?[0-9]*\.[0-9]+$", ",": r"^[+-]?[0-9]*,[0-9]+$"}
# base flags of a parsed cell: index 0 none, 1 missing, then the text markers, then the numeric ones
_BASE = ["", "missing", *TEXT_MARKERS.values(), *MARKER_VALUES.values()]
_RATE = ["", "pct_over_100", "negative_value"]
_EXTRA = ["", "num_from_pct", "no_denominator", "zero_denominator"]
_LEVELS = ["buurt", "wijk", "gemeente", "country"]


def _trim(col: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.utf8_trim_whitespace(col)


def _np_bool(arr) -> np.ndarray:
    return pc.fill_null(arr, False).to_numpy(zero_copy_only=False)


def decimal_evidence(col: pa.ChunkedArray) -> pd.Series:
    """The cells of a column that can tell the decimal separator (not integers, not empty), on their
    positions, as text — what :func:`._numbers.detect_decimal` looks at, without the millions of
    integers that tell nothing."""
    t = _trim(col)
    keep = pc.invert(pc.fill_null(pc.match_substring_regex(t, _INT), True))
    keep = pc.and_(keep, pc.not_equal(t, ""))
    pos = np.flatnonzero(_np_bool(keep))
    return pd.Series(col.take(pa.array(pos)).to_pandas(), index=pos)


def _numbers(col: pa.ChunkedArray, decimal: str | None) -> tuple[np.ndarray, np.ndarray] | None:
    """(floats, base flag index) of a column of plain numbers, markers and empty cells; else None."""
    if pc.any(pc.match_substring(col, "\u2212")).as_py():
        return None
    t = _trim(col)
    empty = _np_bool(pc.or_kleene(pc.is_null(t), pc.equal(t, "")))
    base = np.where(empty, 1, 0).astype(np.int8)
    for i, marker in enumerate(TEXT_MARKERS, start=2):
        base[_np_bool(pc.equal(t, marker))] = i
    num = _np_bool(pc.match_substring_regex(t, _INT))
    rest = (base == 0) & ~num
    if rest.any():
        if decimal not in _DEC:
            return None
        dec = _np_bool(pc.match_substring_regex(t, _DEC[decimal]))
        if (rest & ~dec).any():
            return None
        if decimal == ",":
            t = pc.replace_substring(t, ",", ".")
        num |= dec
    vals = pc.cast(pc.if_else(pa.array(num), t, pa.scalar(None, pa.string())), pa.float64())
    v = np.array(vals.to_numpy(zero_copy_only=False), dtype=np.float64)      # writable
    with np.errstate(invalid="ignore"):
        if (~np.isfinite(v[num])).any() or (np.abs(v[num]) > LARGEST).any():
            return None
    for i, marker in enumerate(MARKER_VALUES, start=2 + len(TEXT_MARKERS)):
        hit = v == marker
        if hit.any():
            base[hit] = i
            v[hit] = np.nan
    return v, base


def _dense_unique(key: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True)`` for small non-negative keys, by counting (no sort)."""
    present = np.flatnonzero(np.bincount(key, minlength=space))
    lookup = np.zeros(space, dtype=np.int32)
    lookup[present] = np.arange(len(present), dtype=np.int32)
    return present, lookup[key]


def _flags(base: np.ndarray, rate: np.ndarray, extra: np.ndarray) -> pd.Categorical:
    """The flags the general path joins (``join_flags`` of parse, rate and extra flags), per combination."""
    combo = (base.astype(np.int16) * len(_RATE) + rate) * len(_EXTRA) + extra
    uniq, inverse = _dense_unique(combo, len(_BASE) * len(_RATE) * len(_EXTRA))
    texts = []
    for c in uniq:
        b, r, e = c // (len(_RATE) * len(_EXTRA)), (c // len(_EXTRA)) % len(_RATE), c % len(_EXTRA)
        s = join_flags(pd.Series([_BASE[b]]), pd.Series([_RATE[r]]), pd.Series([_EXTRA[e]]))
        texts.append(str(s.iloc[0]))
    cats, back = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    return pd.Categorical.from_codes(back[inverse].astype(np.int32), categories=pd.Index(cats, dtype="str"))


def _codes(table: pa.Table, code_col: str):
    """(code indices, dictionary) of the trimmed, upper-cased codes; None when a code is empty or no CBS code."""
    code = pc.utf8_upper(_trim(table.column(code_col)))
    if code.null_count or not pc.all(pc.match_substring_regex(code, CODE_RE.pattern)).as_py():
        return None
    enc = pc.dictionary_encode(code).combine_chunks()
    order = pc.sort_indices(enc.dictionary).to_numpy()      # sorted categories, as pd.Categorical makes them
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    return rank[enc.indices.to_numpy(zero_copy_only=False)], enc.dictionary.take(pa.array(order))


def _levels(table: pa.Table, idx: np.ndarray, labels: pa.Array) -> pd.Categorical | None:
    prefixes = pa.array([p for p, lv in PREFIX_LEVEL.items() if lv in _LEVELS])
    order = np.array([_LEVELS.index(PREFIX_LEVEL[p]) for p in prefixes.to_pylist()], dtype=np.int8)
    level_of_label = order[pc.index_in(pc.utf8_slice_codeunits(labels, 0, 2), value_set=prefixes).to_numpy(
        zero_copy_only=False).astype(np.int64)]
    lvl = level_of_label[idx]
    if "recs" in table.column_names:
        recs = pc.fill_null(pc.utf8_lower(_trim(table.column("recs"))), "")
        enc = pc.dictionary_encode(recs).combine_chunks()
        rl = np.array([-1 if v == "" else _LEVELS.index(RECS_LEVEL[v]) if v in RECS_LEVEL else -2
                       for v in enc.dictionary.to_pylist()], dtype=np.int8)[enc.indices.to_numpy(zero_copy_only=False)]
        if ((rl != -1) & (rl != lvl)).any():
            return None
    return pd.Categorical.from_codes(lvl, categories=pd.Index(_LEVELS, dtype=object)).remove_unused_categories()


def _years(table: pa.Table, n: int, fixed: int | None) -> np.ndarray | None:
    col = next((c for c in ("year", "jaar") if c in table.column_names), None)
    if col is None:
        return np.full(n, fixed, dtype=np.int64) if fixed is not None else None
    parsed = _numbers(table.column(col), None)
    if parsed is None or (parsed[1] != 0).any():
        return None
    v = parsed[0]
    if (v % 1 != 0).any() or not ((v >= 1900) & (v <= 2100)).all():
        return None
    return v.astype(np.int64)


def fast_piece(table: pa.Table, *, first_row: int, source: str, geo_version: str | None, year: int | None,
               decimal: str | None, pct_form: str):
    """``(areas, facts with _row, labels)`` of one clean piece of a KWB csv, or None (take the general path).

    ``year``: the year of every row when the file has no year column (from the option or the name).
    """
    n = table.num_rows
    names = table.column_names
    code_col = next((c for c in ("gwb_code_10", "gwb_code") if c in names), None)
    if n == 0 or code_col is None or pct_form not in ("auto", "percent", "fraction"):
        return None
    coded = _codes(table, code_col)
    if coded is None:
        return None
    idx, labels = coded
    levels = _levels(table, idx, labels)
    years = _years(table, n, year)
    if levels is None or years is None:
        return None
    year_idx, year_vals = pd.factorize(years)
    key = idx.astype(np.int64) * len(year_vals) + year_idx
    if len(labels) * len(year_vals) <= 8 * n + 1000:
        if np.bincount(key).max() > 1:
            return None
    elif len(np.unique(key)) != n:
        return None
    versions = (pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [geo_version]) if geo_version
                else pd.Categorical.from_codes(year_idx, ["cbs" + str(y) for y in year_vals]))
    codes = pd.Categorical.from_codes(idx, categories=pd.Index(labels.to_numpy(zero_copy_only=False), dtype="str"))
    parsed = {}
    for short, m in BY_SHORT.items():
        if short not in names:
            continue
        got = _numbers(table.column(short), decimal)
        if got is None:
            return None
        v, base = got
        rate = np.zeros(n, dtype=np.int8)
        with np.errstate(invalid="ignore"):
            if m.kind in ("count", "per1000"):
                if (v < 0).any() or (np.abs(v - np.round(v)) > 1e-6).any():
                    return None
                v = np.round(v)
            elif m.kind == "pct":
                if pct_form == "fraction":
                    v = v * 100.0
                rate[v > 100.0 + 1e-9] = 1
                rate[v < 0] = 2
            elif (v < 0).any():
                return None
        parsed[short] = (v, base, rate)
    nan = np.full(n, np.nan)
    parts = []
    with np.errstate(invalid="ignore", divide="ignore"):
        for short, (v, base, rate) in parsed.items():
            m = BY_SHORT[short]
            den = parsed[m.den][0] if m.den and m.den in parsed else nan
            extra = np.zeros(n, dtype=np.int8)
            num, value = nan, v
            if m.kind == "pct":
                ok = ~np.isnan(v) & ~np.isnan(den)
                num = np.where(ok, v / 100.0 * den, np.nan)
                extra[ok] = 1
                extra[~ok & ~np.isnan(v)] = 2
            elif m.kind == "per1000":
                if (v > den).any():
                    return None       # a part over its whole: the general path flags or refuses it
                num = v
                ok = ~np.isnan(v) & ~np.isnan(den) & (den > 0)
                value = np.where(ok, v / den * 1000.0, np.nan)
                bad = ~ok & ~np.isnan(v)
                extra[bad & (den == 0)] = 3
                extra[bad & (den != 0)] = 2
            else:
                den = nan
            parts.append((m.indicator, num, den, value, _flags(base, rate, extra)))
    k = len(parts)
    if k == 0:
        return None
    facts = pd.DataFrame({
        "geo_version": pd.Categorical.from_codes(np.tile(versions.codes, k), versions.categories),
        "code": pd.Categorical.from_codes(np.tile(codes.codes, k), codes.categories),
        "year": np.tile(years.astype(np.int32), k),
        "indicator": pd.Categorical.from_codes(np.repeat(np.arange(k, dtype=np.int8), n),
                                               pd.Index([p[0] for p in parts], dtype="str")),
        "numerator": np.concatenate([p[1] for p in parts]),
        "denominator": np.concatenate([p[2] for p in parts]),
        "value": np.concatenate([p[3] for p in parts]),
        "source": pd.Categorical.from_codes(np.zeros(n * k, dtype=np.int8), pd.Index([source], dtype="str")),
        "flags": union_categoricals([p[4] for p in parts], ignore_order=True),
        "_row": np.tile(first_row + np.arange(n, dtype=np.int32), k),
    })
    if "regio" in names:
        name = table.column("regio").to_pandas()
    elif "gm_naam" in names:
        name = table.column("gm_naam").to_pandas()
        name = name.where(_np_bool(pc.starts_with(labels, "GM"))[idx])
    else:
        name = None
    areas = area_frame(versions, codes, levels, name)
    return areas, facts
