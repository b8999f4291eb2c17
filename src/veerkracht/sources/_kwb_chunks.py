"""A large KWB CSV read in pieces: bounded memory, the whole-file checks done once on the facts.

The text is cut at line breaks into pieces of about :data:`CHUNK_BYTES` (never inside a quoted field:
a piece with an odd number of quotes is joined to the next); each piece is parsed and turned into
compact facts (categorical codes, float values) before the next is read, so the text of the whole
file is never held as a frame. What needs every row — a code twice in one year across pieces,
percentages that are all fractions, a unit jump between years, WOZ in euros — is checked afterwards
on the facts, whose ``_row`` keeps the file row for the error.
"""
from __future__ import annotations

import os
from typing import Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ._kwb_mapping import BY_SHORT, _woz_to_thousands, concat_categorical
from ._numbers import check_fraction, check_unit_jumps

__all__ = ["CHUNK_BYTES", "csv_pieces", "finish_facts", "concat_areas", "concat_pieces"]

#: bytes of CSV text per piece (``VEERKRACHT_CHUNK_BYTES`` overrides)
CHUNK_BYTES = int(os.environ.get("VEERKRACHT_CHUNK_BYTES", 24 * 2**20))


def csv_pieces(data: bytes, chunk_bytes: int | None = None) -> Iterator[tuple[bytes, int, bool]]:
    """``(header + rows, rows before this piece, is last)`` for UTF-8 CSV bytes."""
    size = chunk_bytes or CHUNK_BYTES
    end_header = data.find(b"\n") + 1
    if len(data) <= size or end_header <= 0:
        yield data, 0, True
        return
    header, pos, before = data[:end_header], end_header, 0
    while pos < len(data):
        cut = data.find(b"\n", min(pos + size, len(data) - 1))
        cut = len(data) if cut < 0 else cut + 1
        while data.count(b'"', pos, cut) % 2 and cut < len(data):     # inside a quoted field: go on
            nxt = data.find(b"\n", cut)
            cut = len(data) if nxt < 0 else nxt + 1
        yield header + data[pos:cut], before, cut >= len(data)
        before += data.count(b"\n", pos, cut)
        pos = cut


def _dictionary(column: pd.Series) -> pa.DictionaryArray:
    codes = column.cat.codes.to_numpy()
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32), mask=codes < 0),
                                          pa.array(column.cat.categories.to_numpy(dtype=object), pa.string()))


def concat_pieces(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """:func:`._kwb_mapping.concat_categorical` with the categories united by Arrow (in C++).

    A national file has a million codes per piece; uniting them with pandas costs more than parsing.
    Consumes ``frames`` column by column, so a large read never holds its facts twice.
    """
    if len(frames) == 1:
        return frames[0]
    columns = list(frames[0].columns)
    floats = [c for c in columns if all(f[c].dtype == np.float64 for f in frames)]
    def text_categories(col):
        return all(isinstance(f[col].dtype, pd.CategoricalDtype) and f[col].cat.categories.inferred_type
                   in ("string", "empty") for f in frames)
    texts = [c for c in columns if c not in floats and text_categories(c)]
    rest = [c for c in columns if c not in floats and c not in texts]
    out = dict(concat_categorical([f[rest] for f in frames])) if rest else {}
    for col in texts:
        united = pa.chunked_array([_dictionary(f[col]) for f in frames]).unify_dictionaries()
        codes = np.concatenate([pc.fill_null(c.indices, -1).to_numpy(zero_copy_only=False) for c in united.chunks])
        out[col] = pd.Categorical.from_codes(codes, categories=pd.Index(united.chunk(0).dictionary.to_pandas(),
                                                                        dtype=frames[0][col].cat.categories.dtype))
        del united
    for f in frames:
        for col in texts + rest:
            del f[col]
    # the float columns go straight into the one block the frame keeps (no stacking copy), and each
    # piece is let go as soon as it is copied
    block = np.empty((len(floats), sum(len(f) for f in frames)))
    pos = 0
    for i, f in enumerate(frames):
        for j, c in enumerate(floats):
            block[j, pos:pos + len(f)] = f[c].to_numpy()
        pos += len(f)
        frames[i] = None
    df = pd.DataFrame(block.T, columns=floats, copy=False)
    for loc, col in enumerate(columns):
        if col not in floats:
            df.insert(loc, col, out.pop(col))
    return df


def concat_areas(parts: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """The areas of all pieces, one row per (geo_version, code) — the first."""
    if len(parts) == 1:
        return parts[0]
    df = concat_pieces([pd.DataFrame(p.drop(columns="geometry")) for p in parts])
    df = df[~df.duplicated(["geo_version", "code"])].reset_index(drop=True)
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(np.full(len(df), None, dtype=object), crs="EPSG:4326"))


def finish_facts(facts: pd.DataFrame, file, labels: dict, warnings: list[str], pct_form: str) -> pd.DataFrame:
    """The whole-file checks on the facts of all pieces; drops ``_row``."""
    rows = facts["_row"].to_numpy()
    key = ["geo_version", "code", "year", "indicator"]
    packed = np.zeros(len(facts), dtype=np.int64)      # one integer per key: a sort finds repeats cheaply
    for col in key:
        idx, uniq = pd.factorize(facts[col])
        packed = packed * (len(uniq) + 1) + idx
    ordered = np.sort(packed)
    if (ordered[1:] == ordered[:-1]).any():
        dup = facts.duplicated(key).to_numpy()
        i = int(dup.argmax())
        same = np.flatnonzero((facts[key] == facts[key].iloc[i]).all(axis=1).to_numpy())[0]
        raise InputError(file, f"duplicate year={facts['year'].iloc[i]}, code={facts['code'].iloc[i]} (first "
                               f"seen on row {rows[same]})", row=int(rows[i]), column=labels.get("code", "code"))
    by_indicator = {m.indicator: m for m in BY_SHORT.values()}
    for ind in pd.unique(facts["indicator"]):
        m = by_indicator.get(str(ind))
        if m is None:
            continue
        sel = (facts["indicator"] == ind).to_numpy()
        sub = facts.loc[sel, ["code", "year", "value", "numerator", "flags"]]
        label = labels.get(m.short, m.short)
        raw = sub["numerator"] if m.kind == "per1000" else sub["value"]
        raw = pd.Series(raw.to_numpy(), index=pd.RangeIndex(len(sub)))
        if m.kind == "pct" and pct_form == "auto":
            _at_rows(lambda: check_fraction(raw, file, label, 0), rows[sel])      # noqa: B023 (called at once)
        _at_rows(lambda: check_unit_jumps(raw, sub["code"].reset_index(drop=True),  # noqa: B023 (called at once)
                                          sub["year"].reset_index(drop=True), file, label, 0), rows[sel])  # noqa: B023
        if m.short == "g_wozbag":
            vals, flags = _woz_to_thousands(sub["value"], sub["flags"].astype("str"), warnings, file)
            facts.loc[sel, "value"] = vals.to_numpy()
            facts["flags"] = facts["flags"].astype("str")
            facts.loc[sel, "flags"] = flags.to_numpy()
            facts["flags"] = facts["flags"].astype("category")
    return facts.drop(columns="_row")


def _at_rows(check, rows: np.ndarray) -> None:
    """Run a check written for position-numbered rows (first row 0); re-raise naming the file row."""
    try:
        check()
    except InputError as exc:
        if exc.row is None:
            raise
        raise InputError(exc.file, exc.message, row=int(rows[exc.row]), column=exc.column) from None
