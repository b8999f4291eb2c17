"""Leefbaarometer reader: the real PC4 file 2002–2022, a hand-made 2.0 file, broken copies."""
from __future__ import annotations

import gzip

import numpy as np
import pytest

from veerkracht.errors import InputError
from veerkracht.sources import read

REAL = "leefbaarometer_pc4/leefbaarometer3_scores_pc4_2002_2022.csv.gz"
DIMS = ["lbm_fys", "lbm_onv", "lbm_soc", "lbm_vrz", "lbm_won"]


@pytest.fixture(scope="module")
def real(real_data):
    return read("leefbaarometer", real_data / REAL)


@pytest.fixture(scope="module")
def real_lines(real_data) -> list[str]:
    return gzip.decompress((real_data / REAL).read_bytes()).decode().splitlines()


def _fact(facts, code, year, indicator):
    row = facts[(facts["code"] == code) & (facts["year"] == year) & (facts["indicator"] == indicator)]
    assert len(row) == 1, (code, year, indicator, len(row))
    return row.iloc[0]


def test_real_file_totals_and_known_values(real, real_lines):
    f = real.facts
    # one lbm (afw) and one lbm_score fact per data row of the file (32,300 rows)
    assert len(real_lines) - 1 == 32_300
    assert (f["indicator"] == "lbm").sum() == 32_300
    assert (f["indicator"] == "lbm_score").sum() == 32_300
    assert _fact(f, "PC1011", 2002, "lbm_score")["value"] == 4.216484120900081
    assert _fact(f, "PC1011", 2002, "lbm")["value"] == 0.11421926975639664
    # 2014 values, line 5 of the file: fys -0.00693275309148697, onv -0.1288870752756942
    assert _fact(f, "PC1011", 2014, "lbm_fys")["value"] == -0.00693275309148697
    assert _fact(f, "PC1011", 2014, "lbm_onv")["value"] == -0.1288870752756942
    assert set(f["source"]) == {"leefbaarometer-3.0"}
    assert set(f["geo_version"]) == {"lbm3-2022"}
    assert (f["flags"] == "").all()   # no missing cell where a value belongs, nothing implausible


def test_real_file_dimensions_only_where_published(real):
    f = real.facts
    dims = f[f["indicator"].isin(DIMS)]
    assert dims["year"].min() == 2014
    assert not (dims["year"] < 2014).any()
    # 2016 is NA for every PC4 in this release: no facts, and the reader says so
    assert not (dims["year"] == 2016).any()
    assert any("2016" in w for w in real.warnings)
    per_year = dims.groupby(["year", "indicator"]).size().unstack()
    assert per_year.loc[2014].tolist() == [4026] * 5
    assert per_year.loc[2022].tolist() == [4057] * 5
    assert sorted(per_year.index) == [2014, 2018, 2020, 2022]


def test_real_file_areas_and_ingest(real, real_lines, mem_store):
    pc4 = {ln.split(",")[0] for ln in real_lines[1:]}
    a = real.areas
    assert set(a["code"]) == {"PC" + c for c in pc4}
    assert set(a["level"]) == {"pc4"}
    assert a.geometry.isna().all()
    assert mem_store.ingest(real)["skipped"] is False
    assert mem_store.ingest(real)["skipped"] is True
    got = mem_store.facts("lbm_score", geo_version="lbm3-2022", codes=["PC1011"], years=[2002])
    assert got["value"].tolist() == [4.216484120900081]


def _write(tmp_path, lines, name="lbm.csv"):
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


MODEL2 = [
    "bu_code,bu_naam,jaar,lbm,afw,fys,vrz,won,bev,vei,kscore",
    "BU03630000,Kop Zeedijk,2014,4.10,0.05,0.01,0.20,-0.02,-0.10,-0.30,6",
    "BU03630001,Oude Kerk e.o.,2014,3.90,-0.15,0.00,0.15,-0.05,-0.20,-0.25,4",
    "BU03630000,Kop Zeedijk,2016,4.20,0.12,0.02,0.21,-0.01,-0.08,NA,7",
    "BU03630001,Oude Kerk e.o.,2016,3.95,-0.10,0.01,0.16,-0.04,-0.18,-0.22,5",
]


def test_model_2_dimensions_get_their_own_ids(tmp_path):
    b = read("leefbaarometer", _write(tmp_path, MODEL2), model="2.0", geo_version="cbs2016")
    f = b.facts
    assert set(f["source"]) == {"leefbaarometer-2.0"}
    assert not f["indicator"].isin(["lbm_soc", "lbm_onv"]).any()
    assert _fact(f, "BU03630000", 2014, "lbm2_bew")["value"] == -0.10
    assert _fact(f, "BU03630001", 2014, "lbm2_vei")["value"] == -0.25
    assert _fact(f, "BU03630000", 2016, "lbm")["value"] == 0.12
    assert _fact(f, "BU03630001", 2014, "lbm_class")["value"] == 4
    # an empty cell where 2.0 has a value: a fact without value, flagged — never 0
    gap = _fact(f, "BU03630000", 2016, "lbm2_vei")
    assert np.isnan(gap["value"]) and gap["flags"] == "missing"
    a = b.areas.set_index("code")
    assert a.loc["BU03630001", "name"] == "Oude Kerk e.o."
    assert a.loc["BU03630001", "wk_code"] == "WK036300" and a.loc["BU03630001", "gm_code"] == "GM0363"
    assert set(a["level"]) == {"buurt"}


def test_model_3_refuses_model_2_columns(tmp_path):
    with pytest.raises(InputError) as e:
        read("leefbaarometer", _write(tmp_path, MODEL2), geo_version="cbs2016")
    assert e.value.column == "bev" and e.value.row == 1


def test_year_from_option(tmp_path):
    p = _write(tmp_path, ["PC4,lbm,afw", "1011,4.3,0.2", "1012,4.1,0.0"])
    f = read("leefbaarometer", p, year=2020).facts
    assert set(f["year"]) == {2020}
    assert _fact(f, "PC1012", 2020, "lbm")["value"] == 0.0
    with pytest.raises(InputError) as e:
        read("leefbaarometer", p)
    assert e.value.column == "jaar"


@pytest.fixture
def head(real_lines):
    return list(real_lines[:41])   # header + PC1011 … PC1015, 8 years each


def test_bad_year_names_row_and_column(tmp_path, head):
    head[6] = head[6].replace(",2018,", ",18,", 1)
    with pytest.raises(InputError) as e:
        read("leefbaarometer", _write(tmp_path, head))
    assert (e.value.row, e.value.column) == (7, "jaar")


def test_duplicate_area_year(tmp_path, head):
    head.append(head[3])   # PC1011 2012 again, as file row 42
    with pytest.raises(InputError) as e:
        read("leefbaarometer", _write(tmp_path, head))
    assert e.value.row == 42 and "first seen on row 4" in e.value.message


def test_junk_number_names_row_and_column(tmp_path, head):
    cells = head[10].split(",")
    cells[4] = "0,1x"
    head[10] = ",".join(cells[:4]) + ',"0,1x",' + ",".join(cells[5:])
    with pytest.raises(InputError) as e:
        read("leefbaarometer", _write(tmp_path, head))
    assert (e.value.row, e.value.column) == (11, "fys")


def test_implausible_and_missing_flags(tmp_path, head):
    cells = head[8].split(",")            # PC1011 2022
    cells[3] = "3.5"                      # afw far outside the model's range
    cells[6] = "NA"                       # soc missing in a year the dimension exists
    head[8] = ",".join(cells)
    f = read("leefbaarometer", _write(tmp_path, head)).facts
    assert _fact(f, "PC1011", 2022, "lbm")["flags"] == "implausible"
    soc = _fact(f, "PC1011", 2022, "lbm_soc")
    assert np.isnan(soc["value"]) and soc["flags"] == "missing"
    assert _fact(f, "PC1012", 2022, "lbm")["flags"] == ""


def test_class_out_of_range(tmp_path):
    p = _write(tmp_path, ["gm_code,jaar,lbm,afw,klasse", "GM0363,2020,4.0,0.0,5", "GM0344,2020,4.1,0.1,12"])
    with pytest.raises(InputError) as e:
        read("leefbaarometer", p)
    assert (e.value.row, e.value.column) == (3, "klasse")


def test_no_class_derived_without_class_column(real):
    # the official 3.0 class boundaries could not be verified: no lbm_class from scores
    assert not (real.facts["indicator"] == "lbm_class").any()
