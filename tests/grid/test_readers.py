"""The CBS grid reader (``grid-cbs``) and the Leefbaarometer grid reader (``lbm-grid``)."""
from __future__ import annotations

import numpy as np
import pytest

from veerkracht.errors import InputError
from veerkracht.sources import read

from .synthetic import long_ids, write_cbs_grid_csv, write_cbs_grid_gpkg, write_lbm_grid_csv

X = np.array([121_400, 121_500, 121_600])
Y = np.array([487_400, 487_400, 487_400])


def _fact(batch, code, ind, year=2022):
    f = batch.facts
    row = f[(f["code"] == code) & (f["indicator"] == ind) & (f["year"] == year)]
    assert len(row) == 1, (code, ind)
    return row.iloc[0]


def test_cbs_csv_counts_shares_and_the_secret_marker(tmp_path):
    p = write_cbs_grid_csv(tmp_path / "vk100.csv", X, Y, dwellings=[120, 40, np.nan], corp=[60, np.nan, 5])
    b = read("grid-cbs", str(p), year=2022)
    assert set(b.facts["geo_version"]) == {"grid100"}
    assert _fact(b, "E1214N4874", "dwellings")["value"] == 120
    assert _fact(b, "E1214N4874", "residents")["value"] == 252      # 120 × 2.1, as written
    share = _fact(b, "E1214N4874", "corp_share")
    assert (share["numerator"], share["denominator"], share["value"]) == (60, 120, 50)
    secret = _fact(b, "E1215N4874", "corp_dwellings")
    assert np.isnan(secret["value"]) and "cbs_marker:-99997" in secret["flags"]
    assert np.isnan(_fact(b, "E1215N4874", "corp_share")["value"])
    assert "cbs_marker:-99997" in _fact(b, "E1216N4874", "dwellings")["flags"]
    assert sorted(b.areas["code"]) == ["E1214N4874", "E1215N4874", "E1216N4874"]
    assert np.allclose(b.areas.to_crs(28992).area, 10_000)


def test_cbs_gpkg_with_percentages_gives_numerators_flagged(tmp_path):
    p = write_cbs_grid_gpkg(tmp_path / "vk100.gpkg", X, Y, dwellings=[120, 40, 0], corp=[60, 10, 0], pct=True,
                            short=True)
    b = read("grid-cbs", str(p), year=2021)
    s = _fact(b, "E1215N4874", "corp_share", 2021)
    assert (s["numerator"], s["denominator"], s["value"]) == (10, 40, 25)
    assert "num_from_pct" in s["flags"]
    assert np.isnan(_fact(b, "E1216N4874", "corp_share", 2021)["value"])   # no dwellings: no share


def test_cbs_500m_and_errors_name_row_and_column(tmp_path):
    p = write_cbs_grid_csv(tmp_path / "vk500.csv", [121_000, 121_500], [487_000, 487_000], [900, 300], [400, 10],
                           res=500)
    b = read("grid-cbs", str(p), year=2022)
    assert set(b.facts["geo_version"]) == {"grid500"} and set(b.areas["code"]) == {"E1210N4870", "E1215N4870"}
    bad = tmp_path / "bad.csv"
    bad.write_text("crs28992res100m,aantal_woningen\ncrs28992res100mN487400E121400,5\nE1214,7\n")
    with pytest.raises(InputError) as e:
        read("grid-cbs", str(bad), year=2022)
    assert (e.value.row, e.value.column) == (3, "crs28992res100m") and "E1214" in str(e.value)
    over = tmp_path / "over.csv"
    over.write_text("crs28992res100m,aantal_woningen,aantal_huurwoningen_in_bezit_woningcorporaties\n"
                    "E1214N4874,10,4\nE1215N4874,10,40\n")
    with pytest.raises(InputError) as e:
        read("grid-cbs", str(over), year=2022)
    assert e.value.row == 3 and e.value.column == "aantal_huurwoningen_in_bezit_woningcorporaties"
    with pytest.raises(InputError) as e:
        read("grid-cbs", str(over))
    assert e.value.column == "jaar"


def test_lbm_grid_scores_dimensions_and_ids(tmp_path):
    ids = long_ids(X, Y)
    p = write_lbm_grid_csv(tmp_path / "Leefbaarometer-scores grids 2002-2022.csv", ids,
                           {2012: np.array([0.1, -0.2, 0.0]), 2022: np.array([0.15, -0.05, 0.3])})
    b = read("lbm-grid", str(p))
    assert set(b.facts["geo_version"]) == {"grid100"}
    assert _fact(b, "E1215N4874", "lbm", 2012)["value"] == pytest.approx(-0.2)
    assert _fact(b, "E1215N4874", "lbm_score", 2022)["value"] == pytest.approx(4.05)
    dims = b.facts[(b.facts["code"] == "E1216N4874") & (b.facts["year"] == 2022)
                   & b.facts["indicator"].str.startswith("lbm_") & (b.facts["indicator"] != "lbm_score")]
    assert len(dims) == 5 and dims["value"].sum() == pytest.approx(0.3, abs=1e-5)
    assert not ((b.facts["year"] == 2012) & (b.facts["indicator"] == "lbm_onv")).any()   # no dims before 2014
    assert sorted(b.areas["code"]) == ["E1214N4874", "E1215N4874", "E1216N4874"]
    bad = tmp_path / "bad.csv"
    bad.write_text("grid_id,jaar,lbm,afw\nE1214N4874,2022,4.1,0.01\n12345,2022,4.2,0.1\n")
    with pytest.raises(InputError) as e:
        read("lbm-grid", str(bad))
    assert (e.value.row, e.value.column) == (3, "grid_id")


@pytest.mark.parametrize("cells", [
    ["0.045123", "NA", "", "-0.2", "-99997", "4.1", "12"],       # the fast path: plain numbers, NA, a marker
    ["0,045", "1,5", "NA"],                                        # decimal comma: the general parser
    ["x", "0.1", "."],                                             # text markers
    ["1e3", "0.25", "-99995.0"],
])
def test_fast_number_path_answers_as_the_general_parser(cells):
    import pandas as pd

    from veerkracht.sources._fastnum import fast_numbers
    from veerkracht.sources._tabular import parse_numbers
    s = pd.Series(cells, dtype="str", index=range(10, 10 + len(cells)))
    v1, f1 = fast_numbers(s, "f", "c", 2)
    v2, f2 = parse_numbers(s, "f", "c", 2)
    assert np.array_equal(v1.to_numpy(), v2.to_numpy(), equal_nan=True) and list(v1.index) == list(v2.index)
    assert list(f1) == list(f2)


def test_fast_number_path_leaves_errors_to_the_general_parser():
    import pandas as pd

    from veerkracht.sources._fastnum import fast_numbers
    with pytest.raises(InputError) as e:
        fast_numbers(pd.Series(["2.220", "1.500"], dtype="str"), "f", "afw", 2)
    assert "decimal" in str(e.value)
    with pytest.raises(InputError) as e:
        fast_numbers(pd.Series(["0.1", "inf"], dtype="str"), "f", "afw", 2)
    assert e.value.row == 3


def test_lbm_grid_bad_year_and_duplicate_name_the_file_row(tmp_path):
    p = tmp_path / "y.csv"
    p.write_text("grid_id,jaar,lbm,afw\nE1214N4874,2022,4.1,0.01\nE1215N4874,2022,4.1,0.01\nE1216N4874,22,4.2,0.1\n")
    with pytest.raises(InputError) as e:
        read("lbm-grid", str(p))
    assert (e.value.row, e.value.column) == (4, "jaar")
    p.write_text("grid_id,jaar,lbm,afw\nE1214N4874,2022,4.1,0.01\nE1215N4874,2022,4.1,0.01\n"
                 "crs28992res100mN487400E121400,2022,4.2,0.1\n")
    with pytest.raises(InputError) as e:
        read("lbm-grid", str(p))
    assert (e.value.row, e.value.column) == (4, "grid_id") and "row 2" in str(e.value)


def test_lbm_grid_gives_the_facts_the_leefbaarometer_reader_gives(tmp_path):
    p = tmp_path / "g.csv"
    p.write_text("grid_id,jaar,lbm,afw,fys,onv,soc,vrz,won\n"
                 "E1214N4874,2012,4.1,0.01,NA,NA,NA,NA,NA\n"
                 "E1215N4874,2012,7.5,-99997,NA,NA,NA,NA,NA\n"
                 "E1214N4874,2016,4.2,0.11,0.01,0.02,3.5,NA,0.04\n"
                 "E1215N4874,2016,4.0,-0.1,0.01,-0.02,0.03,0.05,-0.14\n")
    fast = read("lbm-grid", str(p)).facts
    slow = read("leefbaarometer", str(p), level="grid", geo_version="grid100", areas=False).facts
    cols = ["code", "year", "indicator", "value", "flags"]

    def norm(f):
        f = f[cols].astype({"code": str, "indicator": str, "flags": str})
        return f.sort_values(["code", "year", "indicator"]).reset_index(drop=True)
    a, b = norm(fast), norm(slow)
    assert len(a) == len(b) == 2 * 4 + 5 * 2
    assert a[["code", "year", "indicator", "flags"]].equals(b[["code", "year", "indicator", "flags"]])
    assert np.array_equal(a["value"].to_numpy(), b["value"].to_numpy(), equal_nan=True)
    assert set(a["flags"]) >= {"implausible", "cbs_marker:-99997", "missing"}


def test_fast_path_is_taken_for_columns_with_empty_cells():
    """A column of numbers and NA (the dimensions before 2014) is read by the cast, not the general parser
    (the fast path's flags are a categorical; the general parser's are strings)."""
    import pandas as pd

    from veerkracht.sources._fastnum import fast_numbers
    s = pd.Series([None, "NA", "0.009178", "-0.029836", ""], dtype="str")
    v, f = fast_numbers(s, "f", "fys", 2)
    assert isinstance(f.dtype, pd.CategoricalDtype)
    assert v.iloc[2] == 0.009178 and np.isnan(v.iloc[0]) and list(f) == ["missing", "missing", "", "", "missing"]
