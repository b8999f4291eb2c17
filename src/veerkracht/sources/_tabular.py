"""Helpers shared by the table readers (``leefbaarometer``, ``indicator-file``).

The checks in :mod:`.base` number rows by *position* in the series they get. Readers that filter
rows first keep the frame's original index (0 = first data row of the file) and call these
wrappers, which report the row as it is in the file.
"""
from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from .base import check_counts, parse_cbs_number

__all__ = ["parse_numbers", "check_counts_at", "check_duplicates_at", "parse_years", "area_frame",
           "parent_codes", "level_of_code"]

_YEAR = re.compile(r"^\d{4}$")
_PREFIX_LEVEL = {"GM": "gemeente", "WK": "wijk", "BU": "buurt", "PC": "pc4", "NL": "country"}


def _remapped(call, index: pd.Index, first_row: int):
    """Run ``call(first_row=2)`` on position-indexed data; re-raise with the file's row number."""
    try:
        return call()
    except InputError as exc:
        if exc.row is None:
            raise
        pos = exc.row - 2
        row = first_row + int(index[pos]) if 0 <= pos < len(index) else exc.row
        raise InputError(exc.file, exc.message, row=row, column=exc.column) from None


def parse_numbers(values: pd.Series, file, column: str, first_row: int = 2) -> tuple[pd.Series, pd.Series]:
    """:func:`~.base.parse_cbs_number` on a filtered column; returns (floats, flags) on its index."""
    idx = values.index
    nums, flags = _remapped(lambda: parse_cbs_number(values.reset_index(drop=True), file, column, 2),
                            idx, first_row)
    return nums.set_axis(idx), flags.set_axis(idx)


def check_counts_at(values: pd.Series, file, column: str, first_row: int = 2) -> None:
    _remapped(lambda: check_counts(values.reset_index(drop=True), file, column, 2), values.index, first_row)


def check_duplicates_at(df: pd.DataFrame, keys: list[str], file, rows, column: str | None = None) -> None:
    """Duplicate key combinations are an error naming both file rows (``rows``: file line per row)."""
    rows = np.asarray(rows)
    keyed = df[keys].reset_index(drop=True)
    dup = keyed.duplicated(keep="first").to_numpy()
    if dup.any():
        i = int(dup.argmax())
        same = (keyed == keyed.iloc[i].to_numpy()).all(axis=1).to_numpy()
        vals = ", ".join(f"{k}={keyed[k].iloc[i]}" for k in keys)
        raise InputError(file, f"duplicate {vals} (first seen on row {rows[same.argmax()]})",
                         row=int(rows[i]), column=column or keys[0])


def parse_years(values: pd.Series, file, column: str, first_row: int = 2) -> pd.Series:
    """Four-digit years as int; anything else is an error naming the row."""
    s = values.astype("string").str.strip()
    bad = ~s.fillna("").str.match(_YEAR)
    if bad.any():
        label = bad[bad].index[0]
        raise InputError(file, f"expected a four-digit year, found {values.loc[label]!r}",
                         row=first_row + int(label), column=column)
    return s.astype(int)


def level_of_code(code: str) -> str | None:
    """Level implied by a code's prefix (``BU…`` → buurt), None when it has none we know."""
    return _PREFIX_LEVEL.get(str(code)[:2].upper())


def parent_codes(code: str) -> tuple[str | None, str | None]:
    """(gm_code, wk_code) of a CBS code: ``BU03630000`` → (``GM0363``, ``WK036300``)."""
    code = str(code)
    if code.startswith("BU") and len(code) == 10:
        return "GM" + code[2:6], "WK" + code[2:8]
    if code.startswith("WK") and len(code) == 8:
        return "GM" + code[2:6], None
    return None, None


def area_frame(geo_version: str, codes: pd.Series, levels, names: pd.Series | None = None) -> gpd.GeoDataFrame:
    """One area row per code, without geometry (a geometry reader supplies shapes)."""
    df = pd.DataFrame({"code": codes.to_numpy(), "level": levels if isinstance(levels, str) else
                       np.asarray(levels), "name": None if names is None else names.to_numpy()})
    df = df.drop_duplicates("code").reset_index(drop=True)
    parents = [parent_codes(c) for c in df["code"]]
    df.insert(0, "geo_version", geo_version)
    df["gm_code"] = [p[0] for p in parents]
    df["wk_code"] = [p[1] for p in parents]
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries([None] * len(df), crs="EPSG:4326"))
