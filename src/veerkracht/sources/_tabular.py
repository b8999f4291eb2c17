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
from ..store.schema import merge_flags
from ._codes import parent_codes
from .base import check_counts, parse_cbs_number

__all__ = ["parse_numbers", "check_counts_at", "check_duplicates_at", "parse_years", "area_frame",
           "join_flags"]

_YEAR = re.compile(r"^\d{4}$")


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


def parse_numbers(values: pd.Series, file, column: str, first_row: int = 2, **kw) -> tuple[pd.Series, pd.Series]:
    """:func:`~.base.parse_cbs_number` on a filtered column; returns (floats, flags) on its index."""
    idx = values.index
    nums, flags = _remapped(lambda: parse_cbs_number(values.reset_index(drop=True), file, column, 2, **kw),
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


def area_frame(geo_version, codes: pd.Series, levels, names: pd.Series | None = None) -> gpd.GeoDataFrame:
    """One area row per (geo_version, code), without geometry (a geometry reader supplies shapes).

    ``geo_version`` and ``levels``: one value or one per code.
    """
    def col(v):
        return v if isinstance(v, str) or v is None else pd.Series(v).reset_index(drop=True)
    df = pd.DataFrame({"geo_version": col(geo_version), "code": codes.reset_index(drop=True),
                       "level": col(levels), "name": None if names is None else col(names)})
    df = df.drop_duplicates(["geo_version", "code"]).reset_index(drop=True)
    gm, wk = parent_codes(df["code"])
    df["gm_code"], df["wk_code"] = gm.to_numpy(), wk.to_numpy()
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(np.full(len(df), None, dtype=object), crs="EPSG:4326"))


def join_flags(*flag_series: pd.Series) -> pd.Series:
    """:func:`~veerkracht.store.schema.merge_flags`, row-wise work only where two lists meet.

    ``merge_flags`` joins every row in Python (10 s for the 145k Leefbaarometer facts); most rows
    have at most one non-empty list, which needs no merging.
    """
    out = flag_series[0].fillna("").astype("string")
    for s in flag_series[1:]:
        s = s.fillna("").astype("string")
        both = (out != "") & (s != "")
        merged = merge_flags(out[both], s[both]) if both.any() else None
        out = out.where(s == "", s)
        if merged is not None:
            out[both] = merged
    return out
