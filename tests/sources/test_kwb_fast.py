"""The fast path of the KWB csv reader gives exactly what the general path gives, or steps aside.

Planted values are recovered; a clean file read through the fast path (in several pieces) equals
the same file read through the general path; every unusual cell makes the fast path return None,
so the general path decides (error naming file, row and column, or flag) — the read's outcome is
the same with the fast path on or off.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from veerkracht.errors import InputError
from veerkracht.sources import _kwb_chunks, _kwb_fast, read
from veerkracht.sources._input import read_csv_arrow

HEADER = "gwb_code_10,regio,recs,year,a_inw,a_woning,p_wcorpw,a_soz_wb,g_hhgro\n"


def _rows(n_buurten: int = 40) -> list[str]:
    rows = []
    for year in (2020, 2021):
        rows.append(f"GM0001,Gemeente Een,Gemeente,{year},5000,2000,31.5,120,2.2\n")
        rows.append(f"WK000101,Wijk Een,Wijk,{year},2500,1000,30,60,2.1\n")
        for i in range(n_buurten):
            inw, won = 100 + 10 * i + year - 2020, 40 + 4 * i
            pct = "." if i == 3 else "-99995" if i == 4 else "" if i == 5 else f"{i % 90}.5"
            soz = "x" if i == 6 else str(i % 7)
            rows.append(f"BU0001{i:04d},Buurt {i},Buurt,{year},{inw},{won},{pct},{soz},{1 + i % 3}.{i % 10}\n")
    return rows


def _write(tmp_path, rows, header=HEADER, name="kwb.csv", sep=","):
    path = tmp_path / name
    path.write_text(header.replace(",", sep) + "".join(r.replace(",", sep) for r in rows))
    return path


def _both(path, monkeypatch, **kw):
    """(fast, general): the batch or the error of each."""
    out = []
    for fast in (True, False):
        monkeypatch.setattr(_kwb_fast, "FAST", fast)
        try:
            out.append(read("cbs-kwb", path, **kw))
        except InputError as exc:
            out.append(exc)
    return out


def _norm(df: pd.DataFrame) -> pd.DataFrame:
    df = pd.DataFrame(df.drop(columns="geometry", errors="ignore")).copy()
    for c in df.columns:
        if not pd.api.types.is_numeric_dtype(df[c]):
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df.sort_values(list(df.columns[:4])).reset_index(drop=True)


def _same(a, b):
    if isinstance(a, InputError) or isinstance(b, InputError):
        assert str(a) == str(b)
        return
    pd.testing.assert_frame_equal(_norm(a.facts), _norm(b.facts), check_dtype=False)
    pd.testing.assert_frame_equal(_norm(a.areas), _norm(b.areas), check_dtype=False)
    assert a.warnings == b.warnings and a.provenance == b.provenance


@pytest.mark.parametrize("piece_bytes", [None, 700])
def test_planted_values_and_same_as_general_path(tmp_path, monkeypatch, piece_bytes):
    if piece_bytes:
        monkeypatch.setattr(_kwb_chunks, "CHUNK_BYTES", piece_bytes)      # a dozen pieces
    rows = _rows()
    fast, general = _both(_write(tmp_path, rows), monkeypatch)
    _same(fast, general)
    f = fast.facts
    assert len(f) == 4 * len(rows)          # four mapped measures a row: nothing lost, nothing added
    assert len(fast.areas) == len(rows)     # one area per code and version (cbs2020, cbs2021)

    def one(code, year, ind):
        hit = f[(f["code"] == code) & (f["year"] == year) & (f["indicator"] == ind)]
        assert len(hit) == 1
        return hit.iloc[0]
    b7 = one("BU00010007", 2021, "corp_share")            # 7.5 % of 68 dwellings
    assert b7["value"] == 7.5 and b7["denominator"] == 68 and b7["numerator"] == pytest.approx(5.1)
    assert b7["flags"] == "num_from_pct"
    assert one("BU00010012", 2020, "bijstand")["value"] == pytest.approx(5 / 220 * 1000)
    assert one("BU00010003", 2020, "corp_share")["flags"] == "cbs_marker:."
    assert one("BU00010004", 2020, "corp_share")["flags"] == "cbs_marker:-99995"
    assert np.isnan(one("BU00010004", 2020, "corp_share")["value"])
    assert one("BU00010005", 2021, "corp_share")["flags"] == "missing"
    assert one("BU00010006", 2020, "bijstand")["flags"] == "cbs_marker:x"
    assert one("GM0001", 2021, "residents")["value"] == 5000
    assert set(fast.areas["geo_version"].astype(str)) == {"cbs2020", "cbs2021"}
    assert dict(zip(fast.areas["code"].astype(str), fast.areas["level"].astype(str)))["WK000101"] == "wijk"


def test_decimal_comma_and_semicolon(tmp_path, monkeypatch):
    rows = [re.sub(r"(\d)\.(\d)", r"\1,\2", r.replace(",", ";")) for r in _rows(12)]
    path = tmp_path / "kwb.csv"
    path.write_text(HEADER.replace(",", ";") + "".join(rows))
    fast, general = _both(path, monkeypatch)
    _same(fast, general)
    f = fast.facts
    hit = f[(f["code"] == "BU00010009") & (f["indicator"] == "corp_share") & (f["year"] == 2020)]
    assert hit["value"].tolist() == [9.5]


def test_clean_piece_takes_the_fast_path(tmp_path):
    table, _ = read_csv_arrow(_write(tmp_path, _rows(8)).read_bytes(), "kwb.csv")
    got = _kwb_fast.fast_piece(table, first_row=2, source="cbs-kwb", geo_version=None, year=None, decimal=".",
                               pct_form="auto")
    assert got is not None and len(got[1]) == 4 * table.num_rows
    assert got[1]["_row"].max() == 1 + table.num_rows      # file rows: header is row 1


# one unusual cell each: the fast path steps aside and the outcome is the general path's
UNUSUAL = {
    "ambiguous thousands": ("a_inw", "2.220"),
    "percent sign": ("p_wcorpw", "31%"),
    "negative count": ("a_inw", "-5"),
    "fractional count": ("a_woning", "12.5"),
    "not a code": ("gwb_code_10", "Utrecht"),
    "recs contradicts code": ("recs", "Wijk"),
    "text": ("a_inw", "n.v.t."),
    "infinite": ("a_inw", "inf"),
    "huge": ("a_woning", "1" + "0" * 14),
    "typographic minus": ("p_wcorpw", "\u22125"),
    "part over whole": ("a_soz_wb", "9999"),
    "scientific": ("a_inw", "1e3"),
    "year as text": ("year", "twenty"),
}


@pytest.mark.parametrize("kind", sorted(UNUSUAL))
def test_unusual_cells_leave_it_to_the_general_path(tmp_path, monkeypatch, kind):
    column, cell = UNUSUAL[kind]
    rows = _rows(10)
    cols = HEADER.strip().split(",")
    fields = rows[7].rstrip("\n").split(",")
    fields[cols.index(column)] = cell
    rows[7] = ",".join(fields) + "\n"
    path = _write(tmp_path, rows)
    table, _ = read_csv_arrow(path.read_bytes(), path)
    assert _kwb_fast.fast_piece(table, first_row=2, source="cbs-kwb", geo_version=None, year=None,
                                decimal=".", pct_form="auto") is None
    fast, general = _both(path, monkeypatch)
    _same(fast, general)


def test_duplicate_code_leaves_it_to_the_general_path(tmp_path, monkeypatch):
    rows = _rows(10)
    rows.append(rows[5])
    path = _write(tmp_path, rows)
    fast, general = _both(path, monkeypatch)
    assert isinstance(fast, InputError) and "duplicate" in str(fast)
    _same(fast, general)
    table = pa.Table.from_pandas(pd.read_csv(path, dtype=str, keep_default_na=False), preserve_index=False)
    assert _kwb_fast.fast_piece(table, first_row=2, source="s", geo_version=None, year=None, decimal=".",
                                pct_form="auto") is None
