"""Aggregation to parent levels and identity crosswalks: hand-computed cases."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from veerkracht.errors import StoreError
from veerkracht.geo.aggregate import aggregate_store, identity_crosswalk
from veerkracht.store import Batch, Provenance


def _areas(version, rows):
    df = pd.DataFrame(rows, columns=["code", "level", "gm_code", "wk_code"])
    return gpd.GeoDataFrame(df.assign(geo_version=version, name=df["code"]), geometry=[None] * len(df), crs=4326)


def _facts(rows):
    return pd.DataFrame(rows, columns=["code", "year", "indicator", "numerator", "denominator", "value"]).assign(
        geo_version="v", source="t")


@pytest.fixture
def store(mem_store):
    areas = _areas("v", [("BU1", "buurt", "GM1", "WK1"), ("BU2", "buurt", "GM1", "WK1"),
                         ("BU3", "buurt", "GM1", "WK2"), ("WK1", "wijk", "GM1", "WK1"),
                         ("WK2", "wijk", "GM1", "WK2")])
    facts = _facts([
        # corp_share: 10/100, 30/50 -> WK1 40/150 = 26.67 %; BU3 numerator unknown
        ("BU1", 2020, "corp_share", 10, 100, 10.0), ("BU2", 2020, "corp_share", 30, 50, 60.0),
        ("BU3", 2020, "corp_share", np.nan, 80, np.nan),
        ("BU1", 2020, "dwellings", np.nan, np.nan, 100), ("BU2", 2020, "dwellings", np.nan, np.nan, 50),
        ("BU3", 2020, "dwellings", np.nan, np.nan, 80),
        # a score averaged with dwellings as weight: (0.1*100 + 0.4*50) / 150 = 0.2
        ("BU1", 2020, "lbm", np.nan, np.nan, 0.1), ("BU2", 2020, "lbm", np.nan, np.nan, 0.4),
    ])
    mem_store.ingest(Batch(Provenance("t", "t", "t"), areas=areas, facts=facts))
    return mem_store


def test_buurt_to_wijk_pools_rates_sums_counts_weights_scores(store):
    aggregate_store(store, "v", "buurt", "wijk", weight="dwellings")
    f = store.facts(geo_version="v", codes=["WK1", "WK2"]).set_index(["code", "indicator"])
    assert f.loc[("WK1", "corp_share"), "numerator"] == 40
    assert f.loc[("WK1", "corp_share"), "denominator"] == 150
    assert f.loc[("WK1", "corp_share"), "value"] == pytest.approx(100 * 40 / 150)
    assert f.loc[("WK1", "dwellings"), "value"] == 150
    assert f.loc[("WK1", "lbm"), "value"] == pytest.approx(0.2)
    assert "approx" in f.loc[("WK1", "lbm"), "flags"] and "aggregated" in f.loc[("WK1", "lbm"), "flags"]
    # WK2's only buurt has no numerator: no number is made up
    assert np.isnan(f.loc[("WK2", "corp_share"), "value"])


def test_gemeente_rate_pooled_over_known_parts_is_flagged_incomplete(store):
    aggregate_store(store, "v", "buurt", "gemeente", weight="dwellings")
    f = store.facts(geo_version="v", codes=["GM1"], indicator="corp_share").iloc[0]
    assert f["value"] == pytest.approx(100 * 40 / 150)   # BU3 unknown: pooled over BU1 + BU2
    assert np.isnan(f["numerator"]) and "incomplete" in f["flags"]
    d = store.facts(geo_version="v", codes=["GM1"], indicator="dwellings").iloc[0]
    assert d["value"] == 230                              # counts: all parts known, summed exactly


def test_identity_crosswalk_refuses_changed_code_sets(mem_store):
    mem_store.ingest(Batch(Provenance("t", "a", "a"), areas=_areas("a", [("GM1", "gemeente", "GM1", None),
                                                                         ("GM2", "gemeente", "GM2", None)])))
    mem_store.ingest(Batch(Provenance("t", "b", "b"), areas=_areas("b", [("GM1", "gemeente", "GM1", None),
                                                                         ("GM2", "gemeente", "GM2", None)])))
    mem_store.ingest(Batch(Provenance("t", "c", "c"), areas=_areas("c", [("GM1", "gemeente", "GM1", None)])))
    cw = identity_crosswalk(mem_store, "a", "b", "gemeente")
    assert cw["from_code"].tolist() == ["GM1", "GM2"] and (cw["weight"] == 1).all()
    with pytest.raises(StoreError, match="differ in codes"):
        identity_crosswalk(mem_store, "a", "c", "gemeente")
