"""The store: one transaction per ingest (survives SIGKILL), idempotent, upserts, round-trips."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from veerkracht.store import Batch, Provenance, open_store


def _batch(n: int, tag: str = "a", value_offset: float = 0.0) -> Batch:
    codes = [f"BU{i:08d}" for i in range(n)]
    areas = gpd.GeoDataFrame({"geo_version": "v1", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": "GM0001", "wk_code": "WK000100"},
                             geometry=[shapely.box(i, 0, i + 1, 1) for i in range(n)], crs=4326)
    years = np.repeat([2018, 2019], n)
    num = np.arange(2 * n, dtype=float) + value_offset
    facts = pd.DataFrame({"geo_version": "v1", "code": codes * 2, "year": years, "indicator": "corp_share",
                          "numerator": num, "denominator": 100.0 + num, "value": 100 * num / (100.0 + num),
                          "source": "test"})
    return Batch(Provenance("test", f"mem://{tag}", f"sha-{tag}"), areas=areas, facts=facts)


def _snapshot(store) -> tuple:
    f = store.facts()
    return (len(store.areas(geometry=False)), len(f), round(float(f["numerator"].sum()), 6) if len(f) else 0.0,
            len(store.provenance()))


def test_ingest_twice_changes_nothing(tmp_path):
    store = open_store(tmp_path / "s.duckdb")
    b = _batch(50)
    first = store.ingest(b)
    snap = _snapshot(store)
    second = store.ingest(b)
    assert first["skipped"] is False and second["skipped"] is True
    assert _snapshot(store) == snap == (50, 100, float(sum(range(100))), 1)
    # forced reload of the same rows upserts: still no duplicates
    store.ingest(b, force=True)
    assert _snapshot(store)[:3] == snap[:3]


def test_upsert_replaces_changed_values_only_when_asked(mem_store):
    from veerkracht.store import ReplaceNeeded
    mem_store.ingest(_batch(10, "a"))
    with pytest.raises(ReplaceNeeded, match="would change 20 fact"):
        mem_store.ingest(_batch(10, "b", value_offset=1000.0))
    assert mem_store.facts()["numerator"].min() == 0.0
    mem_store.ingest(_batch(10, "b", value_offset=1000.0), replace=True)
    f = mem_store.facts()
    assert len(f) == 20
    assert f["numerator"].min() == 1000.0


def test_geometry_round_trip_and_filters(mem_store):
    mem_store.ingest(_batch(5))
    a = mem_store.areas(geo_version="v1", codes=["BU00000003"])
    assert len(a) == 1 and a.crs.to_epsg() == 4326
    assert a.geometry.iloc[0].equals(shapely.box(3, 0, 4, 1))
    f = mem_store.facts(indicator="corp_share", codes=["BU00000003"], years=[2019])
    assert f["numerator"].tolist() == [8.0]


def test_failed_ingest_rolls_back(mem_store):
    mem_store.ingest(_batch(5))
    before = _snapshot(mem_store)
    bad = _batch(5, "bad")
    bad.facts = bad.facts.drop(columns=["source"])  # a broken frame fails inside the transaction
    with pytest.raises(ValueError):
        mem_store.ingest(bad)
    assert _snapshot(mem_store) == before


_CHILD = r"""
import sys
sys.path.insert(0, {tests!r})
from store.test_duckdb_store import _batch
from veerkracht.store import open_store
store = open_store({path!r})
store.ingest(_batch(20000, "big"), replace=True)
"""


def test_sigkill_mid_ingest_leaves_store_as_it_was(tmp_path):
    path = str(tmp_path / "s.duckdb")
    store = open_store(path)
    store.ingest(_batch(100))
    before = _snapshot(store)
    store.close()

    marker = tmp_path / "paused"
    env = {**os.environ, "VEERKRACHT_TEST_PAUSE_IN_INGEST": str(marker)}
    code = _CHILD.format(tests=os.path.dirname(os.path.dirname(__file__)), path=path)
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    deadline = time.time() + 60
    while not marker.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert marker.exists(), "child never reached the middle of the transaction"
    # the areas of the big batch are written by now (inside the open transaction)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    store = open_store(path)
    assert _snapshot(store) == before
    assert len(store.areas(geometry=False)) == 100
    store.close()


def test_code_only_load_keeps_geometry(mem_store):
    mem_store.ingest(_batch(3))
    codes_only = gpd.GeoDataFrame({"geo_version": "v1", "code": ["BU00000001"], "level": "buurt",
                                   "name": [None], "gm_code": [None], "wk_code": [None]},
                                  geometry=[None], crs=4326)
    mem_store.write_areas(codes_only)
    a = mem_store.areas(geo_version="v1", codes=["BU00000001"])
    assert a.geometry.iloc[0].equals(shapely.box(1, 0, 2, 1))
    assert a["name"].iloc[0] == "BU00000001" and a["gm_code"].iloc[0] == "GM0001"


def test_facts_read_through_arrow_equal_the_plain_read(tmp_path):
    """``facts()`` reads through Arrow for speed: the frame is the one ``.df()`` gives (dtypes, missing
    numerators, empty flags, order), and an empty answer keeps ``.df()``'s dtypes."""
    s = open_store(str(tmp_path / "a.duckdb"))
    s.ingest(_batch(5))
    s.write_facts(pd.DataFrame({"geo_version": "v1", "code": ["BU00000001", "BU00000002"], "year": 2020,
                                "indicator": "dwellings", "value": [7.0, np.nan], "source": "test",
                                "flags": ["", "cbs_marker:-99997"]}))
    query = ("SELECT geo_version, code, year, indicator, numerator, denominator, value, source, "
             "COALESCE(flags, '') AS flags, origin_version FROM fact_values v JOIN fact_series USING (series_id) "
             "JOIN fact_codes USING (code_id) {} ORDER BY geo_version, indicator, code, year, v.rowid")
    got = s.facts()
    assert len(got) == 12 and got["flags"].tolist()[-2:] == ["", "cbs_marker:-99997"]
    pd.testing.assert_frame_equal(got, s.con.execute(query.format("")).df())
    empty = s.facts(indicator="nothing")
    pd.testing.assert_frame_equal(empty, s.con.execute(query.format("WHERE indicator = 'nothing'")).df())
    s.close()


def test_distinct_code_pairs_of_categoricals_equal_drop_duplicates():
    """The ingest's code check de-duplicates categorical (version, code) pairs on their integer codes: the
    same pairs as ``drop_duplicates``, also with unused categories and two versions; a missing code falls back."""
    from veerkracht.store._checks import _distinct_pairs
    rng = np.random.default_rng(1)
    codes = pd.Categorical.from_codes(rng.integers(0, 50, 5000), categories=[f"E{i:04d}N4000" for i in range(60)])
    gv = pd.Categorical.from_codes(rng.integers(0, 2, 5000), categories=["grid100", "grid500"])
    f = pd.DataFrame({"geo_version": gv, "code": codes})
    want = f.drop_duplicates().astype("str").sort_values(["geo_version", "code"]).reset_index(drop=True)
    got = _distinct_pairs(f).sort_values(["geo_version", "code"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)
    assert len(got) == len(set(zip(gv.codes, codes.codes))) > 90          # 10 unused categories stay out
    f.loc[3, "code"] = np.nan
    assert len(_distinct_pairs(f)) == len(f.drop_duplicates())
