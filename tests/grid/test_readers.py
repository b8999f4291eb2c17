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
