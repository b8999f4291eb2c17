"""Numbers checked by what they mean: separators, markers, finiteness, counts, percentages, unit jumps.

A text cell becomes a number only when the file leaves no doubt about how it is written:

- the decimal separator is detected per file from the numbers that can only be read one way
  (``0.6``, ``1,5``, ``1.234.567``, ``1,234.5``) and applied to every column; ``2.220`` in a file that
  shows nothing else is ambiguous (2.22 or 2,220) and an error that names the option ``decimal``;
- CBS markers are recognised in every written form (``-99995``, ``-99995.0``, ``-99995,00``, JSON
  ``-99995.0``) and become missing values with a flag;
- ``inf``, ``1e400`` or a 400-digit number are errors, as are numbers beyond any Dutch area statistic;
- counts must be whole and non-negative, percentages a percentage and not a fraction (a whole column in
  [0, 1] is an error naming the option that says which), a part no larger than its whole, and one
  indicator must not jump ×100 or ×1000 between the years of one file.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError

__all__ = ["TEXT_MARKERS", "MARKER_VALUES", "detect_decimal", "parse_numbers", "check_count", "check_fraction",
           "check_part_of_whole", "check_unit_jumps", "first_row_of", "LARGEST"]

TEXT_MARKERS = {".": "cbs_marker:.", "x": "cbs_marker:x", "?": "cbs_marker:?"}
MARKER_VALUES = {-99995.0: "cbs_marker:-99995", -99997.0: "cbs_marker:-99997", -99991.0: "cbs_marker:-99991",
                 -99999999.0: "cbs_marker:-99999999"}
_MISSING_TEXT = ["", "NA", "NAN", "N/A", "NULL", "NONE"]
#: no statistic of a Dutch area (persons, dwellings, euros) comes near this; beyond it is a broken cell
LARGEST = 1e12

_S = r"[+-]?"
RX = {
    "int": _S + r"\d+",
    "dot": _S + r"\d*\.\d+",
    "dot3": _S + r"[1-9]\d{0,2}\.\d{3}",
    "comma": _S + r"\d*,\d+",
    "comma3": _S + r"[1-9]\d{0,2},\d{3}",
    "nl_group": _S + r"[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?",
    "en_group": _S + r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?",
    "sci": _S + r"(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+",
    "space_group": _S + r"[1-9]\d{0,2}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?",
}
# real characters, not \u escapes, so that pyarrow's RE2 runs them (no per-cell Python fallback)
_SPACES = "[\t \u00a0\u202f]"
_GROUP_POINT = "[,\t \u00a0\u202f]"
_GROUP_COMMA = "[.\t \u00a0\u202f]"
_OPTION = ("pass decimal=',' when a comma is the decimal separator (1.234,5) or decimal='.' when it is a "
           "point (1,234.5)")


def _match(s: pd.Series, name: str) -> pd.Series:
    return s.str.fullmatch(RX[name]).fillna(False).astype(bool)


def first_row_of(mask: pd.Series, first_row: int) -> int:
    """The file row of the first True in ``mask`` (index = offset from ``first_row``, else position)."""
    label = mask[mask].index[0]
    if pd.api.types.is_integer_dtype(mask.index.dtype):
        return first_row + int(label)
    return first_row + int(np.flatnonzero(mask.to_numpy())[0])


def _evidence(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(says point, says comma) per cell: the cells that can be read only one way."""
    point = (_match(s, "dot") & ~_match(s, "dot3")) | (_match(s, "en_group") & ~_match(s, "comma3")) | _match(s, "sci")
    comma = (_match(s, "comma") & ~_match(s, "comma3")) | (_match(s, "nl_group") & ~_match(s, "dot3"))
    return point, comma


def _clean(values: pd.Series) -> pd.Series:
    s = values.astype("str").str.strip()
    minus = s.str.contains("\u2212", regex=False).fillna(False)
    return s.where(~minus, s.str.replace("\u2212", "-", regex=False))    # a typographic minus


def detect_decimal(columns: dict, file, first_row: int = 2) -> str | None:
    """``'.'``, ``','`` or None (nothing tells) from the numeric text columns of one file.

    A file that writes decimals both ways is an error naming one cell of each.
    """
    seen: dict[str, tuple[str, int, str]] = {}
    for name, values in columns.items():
        s = _clean(values)
        s = s[~s.isin(_MISSING_TEXT + list(TEXT_MARKERS)) & s.notna()]
        if s.empty:
            continue
        not_int = ~_match(s, "int")
        if not not_int.any():
            continue
        sub = s[not_int]
        point, comma = _evidence(sub)
        for sep, mask in ((".", point), (",", comma)):
            if sep not in seen and mask.any():
                seen[sep] = (name, first_row_of(mask, first_row), sub[mask].iloc[0])
        if len(seen) == 2:
            (c1, r1, v1), (c2, r2, v2) = seen["."], seen[","]
            raise InputError(file, f"the file writes decimals with a point ({v1!r} in column {c1!r}, row {r1}) and "
                                   f"with a comma ({v2!r} in column {c2!r}, row {r2}); {_OPTION}",
                             row=r2, column=c2)
    return next(iter(seen), None)


def _to_float(text: pd.Series) -> np.ndarray:
    """Arrow's string → float cast (C++), without a Python object per cell."""
    if not len(text):
        return np.zeros(0)
    arr = text.array
    arr = arr._pa_array if hasattr(arr, "_pa_array") else pa.array(text.astype(object).to_numpy(), type=pa.string())
    return pc.cast(arr, pa.float64()).to_numpy()


def parse_numbers(values: pd.Series, file, column: str, first_row: int = 2, *, decimal: str | None = None,
                  percent: bool = False, missing_codes=()) -> tuple[pd.Series, pd.Series]:
    """Parse a column of text into floats; markers and missing cells become NaN with a flag.

    Parameters
    ----------
    values : text as in the file (any dtype; numbers from JSON are fine).
    decimal : ``'.'``, ``','`` or None (detect from this column; ambiguous cells are then an error).
    percent : a trailing ``%`` is allowed (percentage columns).
    missing_codes : texts (or numbers) that mean "no value" in this column, flagged ``missing_code:<text>``.

    Returns
    -------
    (values, flags) on the index of ``values``.
    """
    s = _clean(values)
    flags = pd.Series("", index=s.index, dtype="str")
    is_marker = s.isin(list(TEXT_MARKERS))
    flags[is_marker] = s[is_marker].map(TEXT_MARKERS)
    is_empty = s.isna() | s.str.upper().isin(_MISSING_TEXT)
    flags[is_empty & ~is_marker] = "missing"
    codes = [str(c).strip() for c in missing_codes]
    is_code = s.isin(codes) & ~is_marker & ~is_empty
    flags[is_code] = "missing_code:" + s[is_code]
    todo = ~(is_marker | is_empty | is_code)
    txt = s[todo]
    pct_sign = txt.str.endswith("%").fillna(False)
    if percent and pct_sign.any():
        txt = txt.where(~pct_sign, txt.str[:-1].str.strip())
    elif pct_sign.any():
        bad = pct_sign
        raise InputError(file, f"found {txt[bad].iloc[0]!r}: a percentage sign in a column that is not a percentage",
                         row=first_row_of(bad.reindex(s.index, fill_value=False), first_row), column=column)
    is_int = _match(txt, "int")
    rest = txt[~is_int]
    if len(rest):
        if decimal is None:
            point, comma = _evidence(rest)
            decimal = "." if point.any() and not comma.any() else "," if comma.any() and not point.any() else None
            if point.any() and comma.any():
                decimal = detect_decimal({column: rest}, file, first_row)   # raises, naming both cells
        if decimal == ".":
            ok = _match(rest, "dot") | _match(rest, "en_group") | _match(rest, "sci") | _match(rest, "space_group")
            clean = rest.str.replace(_GROUP_POINT, "", regex=True)
        elif decimal == ",":
            ok = (_match(rest, "comma") | _match(rest, "nl_group") | _match(rest, "space_group")
                  | rest.str.fullmatch(_S + r"(?:\d+,?\d*|,\d+)[eE][+-]?\d+").fillna(False))
            clean = rest.str.replace(_GROUP_COMMA, "", regex=True).str.replace(",", ".", regex=False)
        else:
            amb = _match(rest, "dot3") | _match(rest, "comma3")
            if amb.any():
                tok = rest[amb].iloc[0]
                sep, other = (".", ",") if "." in tok else (",", ".")
                raise InputError(file, f"{tok!r} is ambiguous: {tok.replace(sep, '')} with {sep!r} grouping "
                                       f"thousands, or {tok.replace(',', '.')} with {sep!r} as decimal "
                                       f"separator; nothing else in the file tells which. {_OPTION}",
                                 row=first_row_of(amb.reindex(s.index, fill_value=False), first_row), column=column)
            ok = _match(rest, "sci") | rest.str.fullmatch(_S + r"[1-9]\d{0,2}(?:[ \u00a0\u202f]\d{3})+").fillna(False)
            clean = rest.str.replace(_SPACES, "", regex=True)
        if not ok.all():
            bad = ~ok
            how = {".": " with a decimal point", ",": " with a decimal comma"}.get(decimal, "")
            raise InputError(file, f"expected a number{how} or a CBS marker, found {rest[bad].iloc[0]!r}",
                             row=first_row_of(bad.reindex(s.index, fill_value=False), first_row), column=column)
        txt = pd.concat([txt[is_int], clean]).reindex(txt.index)
    nums = _to_float(txt)
    big = ~np.isfinite(nums) | (np.abs(nums) > LARGEST)
    if big.any():
        i = int(np.argmax(big))
        what = "not a finite number" if not np.isfinite(nums[i]) else f"a number beyond {LARGEST:.0e}"
        mask = pd.Series(False, index=s.index)
        mask[txt.index[i]] = True
        raise InputError(file, f"{values.loc[txt.index[i]]!r} is {what}; no area statistic is",
                         row=first_row_of(mask, first_row), column=column)
    out = pd.Series(np.nan, index=s.index, dtype="float64")
    out[todo] = nums
    if codes:   # numeric forms of the missing codes ("0" also catches "0.0")
        num_codes = pd.to_numeric(pd.Series(codes), errors="coerce").dropna().unique()
        hit = todo & out.isin(num_codes)
        flags[hit] = "missing_code:" + s[hit]
        out[hit] = np.nan
    is_mv = out.isin(list(MARKER_VALUES))
    if is_mv.any():
        flags[is_mv] = out[is_mv].map(MARKER_VALUES)
        out[is_mv] = np.nan
    return out, flags


def check_count(values: pd.Series, file, column: str, first_row: int = 2, decimal: str | None = None) -> pd.Series:
    """Counts are whole numbers ≥ 0; else an error naming the first bad row.

    Returns the counts rounded to whole numbers (``31.000000000000004`` from a spreadsheet is 31).
    """
    neg = values < 0
    if neg.any():
        raise InputError(file, f"negative count {values[neg].iloc[0]:g}", row=first_row_of(neg, first_row),
                         column=column)
    frac = (values - values.round()).abs() > 1e-6
    if frac.any():
        hint = (" — is '.' a thousands separator here? pass decimal=','" if decimal != "," else
                " — is ',' a thousands separator here? pass decimal='.'")
        raise InputError(file, f"a count must be a whole number, found {values[frac].iloc[0]:g}{hint}",
                         row=first_row_of(frac, first_row), column=column)
    return values.round()


def check_fraction(values: pd.Series, file, column: str, first_row: int = 2,
                   option: str = "pct_form='fraction' (or 'percent')") -> None:
    """A percentage column whose every value lies in [0, 1] holds fractions (0.31 = 31 %): an error."""
    v = values.dropna()
    if len(v) >= 5 and v.max() <= 1 and ((v > 0) & (v < 1)).any():
        mask = values.notna()
        raise InputError(file, f"every value lies between 0 and 1 (e.g. {v[(v > 0) & (v < 1)].iloc[0]:g}): "
                               f"fractions rather than percentages (Excel shows 0.31 as 31 %)? Pass {option}",
                         row=first_row_of(mask, first_row), column=column)


def check_part_of_whole(part: pd.Series, whole: pd.Series, file, column: str, first_row: int = 2,
                        whole_column: str = "") -> pd.Series:
    """A part larger than its whole is an error; within rounding (≤ 5 or 2 %) it is flagged.

    Returns the flags (``part_exceeds_whole`` where within rounding).
    """
    excess = part - whole
    over = (excess > 0).fillna(False)
    rounding = over & ((excess <= 5) | (excess <= 0.02 * whole))
    wrong = over & ~rounding
    if wrong.any():
        i = first_row_of(wrong, first_row)
        raise InputError(file, f"{part[wrong].iloc[0]:g} is more than its whole {whole[wrong].iloc[0]:g}"
                               f"{f' ({whole_column})' if whole_column else ''}", row=i, column=column)
    return pd.Series(np.where(rounding, "part_exceeds_whole", ""), index=part.index, dtype="str")


def check_unit_jumps(values: pd.Series, codes: pd.Series, years: pd.Series, file, column: str,
                     first_row: int = 2, factor: float = 30.0) -> None:
    """One indicator for the same areas may not jump ×``factor`` or more between the years of a file.

    Compares every year with the first, by the median ratio over the areas present in both (a unit
    change — k-euro to euro, fraction to %, — moves them all alike; real change does not).
    """
    v = np.asarray(values, dtype=float)
    yr = np.asarray(years)
    ok = v > 0
    uniq = np.unique(yr[ok])
    if len(uniq) < 2:
        return
    code_idx = pd.factorize(codes)[0] if isinstance(codes, pd.Series) else pd.factorize(np.asarray(codes))[0]
    first = uniq[0]
    ref = np.full(code_idx.max() + 1, np.nan)
    sel = ok & (yr == first)
    ref[code_idx[sel]] = v[sel]
    for y in uniq[1:]:
        sel = ok & (yr == y)
        ratio = v[sel] / ref[code_idx[sel]]
        ratio = ratio[np.isfinite(ratio)]
        if len(ratio) == 0:
            continue
        med = float(np.median(ratio))
        if med >= factor or med <= 1 / factor:
            mask = pd.Series(yr == y, index=values.index)
            raise InputError(file, f"values of {y} are {med:,.3g}× those of {first} for the same areas: a change "
                                   "of unit between years (×1000 euro → euro, fraction → %)? Load the years "
                                   "separately with the right unit", row=first_row_of(mask, first_row), column=column)
