"""KWB editions as old Excel workbooks (.xls, as CBS published 2013–2019).

The fixtures are real .xls files written with ``xlwt`` (a BIFF8 writer, independent of the reader's
``xlrd``) from the real Utrecht KWB 2023 csv: numbers as Excel number cells, CBS markers as text cells,
as in the published workbooks. Every check must give the same facts or the same error (file, row,
column, message) as the csv the workbook was made from.
"""
from __future__ import annotations

import csv
import re

import pandas as pd
import pytest
import xlwt

from veerkracht.errors import InputError
from veerkracht.sources import read
from veerkracht.sources.cbs_kwb import ingest_kwb

UTRECHT = "kwb_utrecht_gemeente/kwb_2023_gemeente_utrecht.csv"
_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?")


def _rows(path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [r for r in csv.reader(fh)]


def _write_csv(rows, path):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return path


def _write_xls(rows, path, sheet="kwb", cells=None, extra_sheet=False):
    """An .xls of ``rows``: numbers as number cells, the rest as text; ``cells`` puts raw xlwt values."""
    book = xlwt.Workbook(encoding="utf-8")
    if extra_sheet:
        book.add_sheet("toelichting").write(0, 0, "Kerncijfers wijken en buurten")
    ws = book.add_sheet(sheet, cell_overwrite_ok=True)
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if v == "":
                continue
            ws.write(i, j, float(v) if i and _NUMBER.fullmatch(v) else v)
    for (i, j), how in (cells or {}).items():
        how(ws.row(i), j)
    book.save(str(path))
    return path


@pytest.fixture
def rows(real_data):
    return _rows(real_data / UTRECHT)


@pytest.fixture(scope="module")
def from_csv(real_data):
    return read("cbs-kwb", real_data / UTRECHT)


def _col(rows, name):
    return rows[0].index(name)


def test_xls_reads_the_same_facts_and_areas_as_the_csv(rows, from_csv, tmp_path):
    path = _write_xls(rows, tmp_path / "kwb-2023.xls")
    assert path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"          # a real BIFF/OLE2 workbook
    b = read("cbs-kwb", path)
    pd.testing.assert_frame_equal(b.facts, from_csv.facts)
    # (the csv's fast path gives ``level`` as a category; the values are what matters)
    pd.testing.assert_frame_equal(b.areas.drop(columns="geometry"), from_csv.areas.drop(columns="geometry"),
                                  check_dtype=False, check_categorical=False)
    corp = b.facts.query("code == 'GM0344' and indicator == 'corp_share'").iloc[0]
    assert (corp["value"], corp["denominator"], corp["year"]) == (31, 165400, 2023)
    assert b.areas.set_index("code").loc["BU03441014", "name"] == "Máximapark"
    assert b.provenance.vintage == "KWB 2023"


def test_sheet_by_name_and_number(rows, from_csv, tmp_path):
    path = _write_xls(rows, tmp_path / "kwb-2023.xls", extra_sheet=True)
    for sheet in ("kwb", 1, "1"):
        pd.testing.assert_frame_equal(read("cbs-kwb", path, sheet=sheet).facts, from_csv.facts)
    with pytest.raises(InputError) as e:
        read("cbs-kwb", path, sheet="data")
    assert "no sheet named 'data'" in e.value.message and "toelichting, kwb" in e.value.message
    with pytest.raises(InputError) as e:
        read("cbs-kwb", path, sheet=5)
    assert "2 sheet(s)" in e.value.message


def _junk(rows):
    rows[3][_col(rows, "p_wcorpw")] = "abc"                         # file line 4


def _negative(rows):
    rows[1][_col(rows, "a_woning")] = "-165400"


def _duplicate(rows):
    rows.append(list(rows[5]))


def _fraction(rows):
    i = _col(rows, "p_wcorpw")
    for row in rows[1:]:
        if row[i] != ".":
            row[i] = f"{float(row[i]) / 100:g}"


def _no_code(rows):
    rows[7][_col(rows, "gwb_code_10")] = ""


@pytest.mark.parametrize("corrupt", [_junk, _negative, _duplicate, _fraction, _no_code])
def test_errors_are_the_csv_errors(rows, tmp_path, corrupt):
    corrupt(rows)
    with pytest.raises(InputError) as from_csv:
        read("cbs-kwb", _write_csv(rows, tmp_path / "kwb_2023.csv"))
    with pytest.raises(InputError) as from_xls:
        read("cbs-kwb", _write_xls(rows, tmp_path / "kwb_2023.xls"))
    assert (from_xls.value.row, from_xls.value.column, from_xls.value.message) == (
        from_csv.value.row, from_csv.value.column, from_csv.value.message)
    assert from_xls.value.file.endswith("kwb_2023.xls") and from_xls.value.row is not None


def test_known_rows_and_columns(rows, tmp_path):
    _junk(rows)
    with pytest.raises(InputError) as e:
        read("cbs-kwb", _write_xls(rows, tmp_path / "kwb_2023.xls"))
    assert (e.value.row, e.value.column) == (4, "p_wcorpw") and "'abc'" in e.value.message


def test_excel_error_cell_is_an_error_not_a_gap(rows, tmp_path):
    j = _col(rows, "a_inw")
    path = _write_xls(rows, tmp_path / "kwb_2023.xls", cells={(9, j): lambda r, c: r.set_cell_error(c, "#DIV/0!")})
    with pytest.raises(InputError) as e:
        read("cbs-kwb", path)
    assert (e.value.row, e.value.column) == (10, "a_inw") and "#DIV/0!" in e.value.message


def test_markers_written_as_numbers_are_flagged(rows, tmp_path):
    rows[2][_col(rows, "a_woning")] = "-99997"                      # a CBS marker as an Excel number
    b = read("cbs-kwb", _write_xls(rows, tmp_path / "kwb_2023.xls"))
    code = rows[2][_col(rows, "gwb_code_10")]
    f = b.facts
    dw = f[(f["code"] == code) & (f["indicator"] == "dwellings")].iloc[0]
    assert pd.isna(dw["value"]) and dw["flags"] == "cbs_marker:-99997"


def test_not_an_xls(rows, tmp_path):
    csv_named_xls = _write_csv(rows, tmp_path / "kwb_2023.xls")
    with pytest.raises(InputError) as e:
        read("cbs-kwb", csv_named_xls)
    assert "cannot read as an old Excel workbook (.xls)" in e.value.message
    xlsx_named_xls = tmp_path / "kwb-2023b.xls"
    pd.DataFrame(rows[1:], columns=rows[0]).to_excel(tmp_path / "x.xlsx", index=False)
    xlsx_named_xls.write_bytes((tmp_path / "x.xlsx").read_bytes())
    with pytest.raises(InputError) as e:
        read("cbs-kwb", xlsx_named_xls)
    assert "cannot read as an old Excel workbook (.xls)" in e.value.message
    truncated = tmp_path / "kwb-2023c.xls"
    truncated.write_bytes(_write_xls(rows, tmp_path / "whole.xls").read_bytes()[:3000])
    with pytest.raises(InputError) as e:
        read("cbs-kwb", truncated)
    assert "cannot read as an old Excel workbook (.xls)" in e.value.message


def test_xls_named_csv_says_what_it_is(rows, tmp_path):
    path = tmp_path / "kwb_2023.csv"
    path.write_bytes(_write_xls(rows, tmp_path / "k.xls").read_bytes())
    with pytest.raises(InputError) as e:
        read("cbs-kwb", path)
    assert "old Excel workbook (.xls)" in e.value.message and ".xls," in e.value.message


def test_ingest_into_a_store(mem_store, rows, tmp_path):
    res, batch = ingest_kwb(mem_store, _write_xls(rows, tmp_path / "kwb-2023.xls"))
    assert res["skipped"] is False
    got = mem_store.facts("corp_share", geo_version="cbs2023", codes=["GM0344"])
    assert got["value"].tolist() == [31.0] and got["denominator"].tolist() == [165400.0]
    assert len(mem_store.areas("cbs2023", geometry=False)) == 122
