"""``veerkracht store copy`` DuckDB → PostGIS → DuckDB: counts, checksums, geometry and fact links survive."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from tests.cli.conftest import run_cli
from veerkracht.indicators import registry_frame
from veerkracht.sources import read
from veerkracht.store import Batch, Provenance, open_store
from veerkracht.store.copy import fingerprint

pytestmark = pytest.mark.postgis


def _source(path: str, kwb) -> None:
    """A DuckDB store with a real KWB load, areas with holes and multipolygons, a crosswalk, harmonised
    facts without provenance and their support."""
    s = open_store(path)
    s.register_indicators(registry_frame())
    s.ingest(read("cbs-kwb", str(kwb / "kwb_2023_gemeente_utrecht.csv")))
    ring = shapely.box(5.0, 52.0, 5.1, 52.1)
    geoms = [shapely.Polygon(ring.exterior.coords, [shapely.box(5.02, 52.02, 5.03, 52.03).exterior.coords]),
             shapely.MultiPolygon([shapely.box(5.2, 52.0, 5.25, 52.05), shapely.box(5.3, 52.0, 5.31, 52.01)]),
             shapely.box(4.123456789012345, 51.98765432109876, 4.2, 52.0)]
    codes = ["BU00010000", "BU00010001", "BU00010002"]
    areas = gpd.GeoDataFrame({"geo_version": "geo1", "code": codes, "level": "buurt", "name": ["Één", "Twee's", None],
                              "gm_code": "GM0001", "wk_code": "WK000100"}, geometry=geoms, crs=4326)
    facts = pd.DataFrame({"geo_version": "geo1", "code": codes * 2, "year": [2020] * 3 + [2021] * 3,
                          "indicator": "corp_share", "numerator": [1.0, np.nan, 3.0, 1 / 3, 5.0, 6.0],
                          "denominator": [10.0, np.nan, 30.0, 7.0, 50.0, 60.0], "value": [10.0, np.nan, 10.0, 1 / 21 * 100,
                                                                                          10.0, 10.0],
                          "source": "test", "flags": ["", "cbs_marker:.", "", "approx", "", ""]})
    s.ingest(Batch(Provenance("test", "mem://geo1", "sha-geo1", "v1", {"b": 2, "a": [1, 2]}), areas=areas, facts=facts))
    s.write_crosswalk(pd.DataFrame({"from_version": "geo1", "from_code": ["BU00010000", "BU00010000", "BU00010001"],
                                    "to_version": "geo2", "to_code": ["X1", "X2", "X2"], "weight": [0.3, 0.7, 1.0],
                                    "amount": [3.0, 7.0, np.nan], "basis": "area"}))
    s.write_facts(facts.assign(geo_version="geo2", origin_version="geo1", code=["X1", "X2", "X3"] * 2,
                               flags="harmonised"))
    s.write_support(pd.DataFrame({"geo_version": "geo2", "code": ["X1", "X2"], "origin_version": "geo1",
                                  "source_level": "buurt", "cluster": ["BU00010000", "BU00010000"], "n_sources": [1, 2],
                                  "sources": ["BU00010000", "BU00010000,BU00010001"]}))
    s.close()


def _print(location: str) -> dict:
    s = open_store(location, read_only=True)
    try:
        return {"fingerprint": fingerprint(s), "areas": s.areas(geo_version="geo1"),
                "facts": s.facts().sort_values(["geo_version", "indicator", "code", "year"]).reset_index(drop=True),
                "loads": [len(s.facts_of_load(i)) for i in s.provenance()["id"]]}
    finally:
        s.close()


def test_store_copy_both_ways(real_data, tmp_path, pg_url):
    src, back = str(tmp_path / "src.duckdb"), str(tmp_path / "back.duckdb")
    _source(src, real_data / "kwb_utrecht_gemeente")
    res = run_cli("store", "copy", src, pg_url)
    assert res.returncode == 0, res.stderr
    assert "1110 feiten, 125 gebieden, 3 koppelrijen, 2 ladingen" in " ".join(res.stdout.split())
    res = run_cli("store", "copy", pg_url, back)
    assert res.returncode == 0, res.stderr

    a, b, c = _print(src), _print(pg_url), _print(back)
    assert a["fingerprint"] == b["fingerprint"] == c["fingerprint"]
    counts = {t: n for t, (n, _) in a["fingerprint"].items()}
    assert counts == {"provenance": 2, "facts": 1098 + 6 + 6, "areas": 122 + 3, "crosswalks": 3,
                      "indicators": len(registry_frame()), "support": 2}
    assert a["loads"] == b["loads"] == c["loads"] == [1098, 6]           # each fact linked to the load that set it
    for other in (b, c):
        pd.testing.assert_frame_equal(a["facts"], other["facts"], check_dtype=False)
        assert list(other["areas"]["name"].fillna("<none>")) == ["Één", "Twee's", "<none>"]
        assert all(shapely.equals_exact(g, h, tolerance=0) for g, h in zip(a["areas"].geometry, other["areas"].geometry))
    assert b["areas"].geometry.iloc[0].interiors[0].bounds == (5.02, 52.02, 5.03, 52.03)

    again = run_cli("store", "copy", src, pg_url)                       # never into a store that holds data
    assert again.returncode == 1 and "not empty" in again.stderr
    assert _print(pg_url)["fingerprint"] == a["fingerprint"]

    s = open_store(back)                                               # the checksum sees a change in one value
    try:
        s.write_facts(s.facts(indicator="corp_share", codes=["BU00010002"], years=[2021]).assign(value=10.000000000001))
        changed = fingerprint(s)
    finally:
        s.close()
    assert changed["facts"][0] == a["fingerprint"]["facts"][0] and changed["facts"][1] != a["fingerprint"]["facts"][1]
    assert {t: v for t, v in changed.items() if t != "facts"} == {t: v for t, v in a["fingerprint"].items() if t != "facts"}
