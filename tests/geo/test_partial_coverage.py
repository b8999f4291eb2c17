"""Regression: a source that touches a partial target map only at its edge is unmatched, never weight 1.

Real geometry: the CBS wijken of 2016 (Diemen and Amsterdam) against the Amsterdam wijken of the
OIS 2015 indeling (Amsterdam only). Before the fix, Diemen-Noord (0.28 % of its area inside the
Amsterdam layer, a generalisation sliver) got weight 1.0 into Zeeburgereiland and Middenmeer: all its
residents moved into Amsterdam.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from veerkracht.geo.crosswalk import overlay_crosswalk
from veerkracht.geo.harmonise import harmonise
from veerkracht.sources import read

from .test_crosswalk import areas, box


@pytest.fixture(scope="module")
def wijken(real_data):
    w16 = read("geometry", real_data / "geo_wijk_2016" / "wijken_2016_nl_wgs84_simplified10m.geojson.gz",
               geo_version="cbs2016", on_duplicate="dissolve", on_empty="drop").areas
    ams = read("geometry", real_data / "amsterdam_ois" / "amsterdam_wijken_buurtcombinaties_2015_wgs84.geojson",
               geo_version="ams2015", code_column="cbs_wijk_code", name_column="wijk_naam").areas
    return w16[w16["gm_code"].isin(["GM0384", "GM0363"])].reset_index(drop=True), ams


def test_diemen_does_not_move_into_amsterdam(wijken):
    src, ams = wijken
    diemen = sorted(src.loc[src["gm_code"] == "GM0384", "code"])
    assert diemen == ["WK038400", "WK038401", "WK038402"]
    cw = overlay_crosswalk(src, ams, "cbs2016", "ams2015")
    assert not cw["from_code"].isin(diemen).any()
    assert set(diemen) <= set(cw.attrs["unmatched"])
    # Diemen-Noord touched the Amsterdam layer: it is the one left out for low coverage
    assert "WK038402" in cw.attrs["low_coverage"]
    assert cw.attrs["coverage"]["WK038402"] < 0.01
    # Amsterdam's own wijken still sum to 1 and slivers are reported
    sums = cw.groupby("from_code")["weight"].sum()
    assert np.allclose(sums, 1.0)
    rep = cw.attrs["report"]
    assert rep["slivers_dropped"] > 0 and 0 < rep["sliver_share"] < 0.01
    assert rep["low_coverage"] >= 1

    # harmonised residents: Middenmeer gets none of Diemen's, and Amsterdam's total is conserved
    res = pd.DataFrame({"geo_version": "cbs2016", "code": src["code"], "year": 2016, "indicator": "residents",
                        "value": np.where(src["gm_code"] == "GM0384", 10_000.0, 1_000.0), "source": "t"})
    out = harmonise(res, cw, {"residents": "count"}, "ams2015")
    assert out.attrs["unmapped"]["cbs2016"][:3] == diemen
    mapped = set(cw["from_code"])
    assert out["value"].sum() == pytest.approx(1_000.0 * len(mapped))
    middenmeer = ams.loc[ams["name"] == "Middenmeer", "code"].iloc[0]
    feeders = set(cw.loc[cw["to_code"] == middenmeer, "from_code"])
    assert not any(c.startswith("WK0384") for c in feeders)


def test_min_coverage_is_a_parameter():
    """Hand-computed: a square 30 % inside the map is kept at 0.25 and left out at 0.5 (default)."""
    src = areas(["BU00010001"], [box(0, 0, 100, 100)])
    dst = areas(["BU00020001"], [box(70, 0, 200, 100)])
    out = overlay_crosswalk(src, dst, "a", "b")
    assert out.empty and out.attrs["unmatched"] == ["BU00010001"] and out.attrs["low_coverage"] == ["BU00010001"]
    kept = overlay_crosswalk(src, dst, "a", "b", min_coverage=0.25)
    assert kept["weight"].tolist() == [1.0] and kept.attrs["report"]["partial"] == 1
    assert kept.attrs["coverage"]["BU00010001"] == pytest.approx(0.3)
