"""The Store contract: what every backend must do, checked on each backend the project has.

A new backend (PostGIS) adds itself to ``BACKENDS``; nothing else here changes. The contract is
the public interface of :class:`veerkracht.store.base.Store`: one transaction per ingest, the same
input twice changes nothing, reads filter exactly, crosswalks and the registry round-trip, a
reader per thread, and a docstring on every method.
"""
from __future__ import annotations

import inspect
import threading

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from veerkracht.errors import StoreError
from veerkracht.indicators import registry_frame
from veerkracht.store import Batch, Provenance, open_store
from veerkracht.store.base import Store

BACKENDS = ["duckdb-file", "duckdb-memory", "postgis"]


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    location = str(tmp_path / "contract.duckdb") if request.param == "duckdb-file" else ":memory:"
    if request.param == "postgis":      # a fresh database in the private test cluster (tests/pgcluster.py)
        location = request.getfixturevalue("pg_url")
    s = open_store(location)
    s.register_indicators(registry_frame())
    yield s
    s.close()


def _batch(tag: str = "a", n: int = 6, offset: float = 0.0) -> Batch:
    codes = [f"BU0001{i:04d}" for i in range(n)]
    areas = gpd.GeoDataFrame({"geo_version": "v1", "code": codes, "level": "buurt", "name": [f"Buurt {i}" for i in range(n)],
                              "gm_code": "GM0001", "wk_code": ["WK000100" if i < n // 2 else "WK000101" for i in range(n)]},
                             geometry=[shapely.box(5 + i / 100, 52, 5.01 + i / 100, 52.01) for i in range(n)], crs=4326)
    rows = []
    for y in (2018, 2019):
        for i, c in enumerate(codes):
            num = 10.0 + i + offset + (y - 2018)
            rows.append({"geo_version": "v1", "code": c, "year": y, "indicator": "corp_share", "numerator": num,
                         "denominator": 100.0, "value": num, "source": "contract"})
            rows.append({"geo_version": "v1", "code": c, "year": y, "indicator": "dwellings", "numerator": np.nan,
                         "denominator": np.nan, "value": 100.0 + i, "source": "contract"})
    return Batch(Provenance("contract", f"mem://{tag}", f"sha-{tag}"), areas=areas, facts=pd.DataFrame(rows))


def test_every_public_method_is_documented():
    public = [n for n, f in inspect.getmembers(Store, inspect.isfunction) if not n.startswith("_")]
    assert {"ingest", "areas", "facts", "crosswalk", "indicators", "provenance", "transaction", "reader",
            "write_facts", "write_crosswalk", "close", "indicator"} <= set(public)
    assert [n for n in public if not (inspect.getdoc(getattr(Store, n)) or "").strip()] == []


def test_ingest_is_idempotent_and_counted(store):
    first = store.ingest(_batch())
    before = (len(store.facts()), float(store.facts()["value"].sum()), len(store.provenance()))
    second = store.ingest(_batch())
    after = (len(store.facts()), float(store.facts()["value"].sum()), len(store.provenance()))
    total = sum(10.0 + i + d for i in range(6) for d in (0, 1)) + 2 * sum(100.0 + i for i in range(6))
    assert before == after == (24, total, 1)
    assert (first["facts"], first["areas"], first["skipped"]) == (24, 6, False) and second["skipped"] is True


def test_a_failed_transaction_leaves_the_store_as_it_was(store):
    store.ingest(_batch())
    snapshot = store.facts().sort_values(["code", "year", "indicator"]).reset_index(drop=True)
    extra = _batch("b").facts.assign(code=lambda d: d["code"].str.replace("BU0001", "BU0002"))
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.write_facts(extra)
            raise RuntimeError("killed halfway")
    pd.testing.assert_frame_equal(store.facts().sort_values(["code", "year", "indicator"]).reset_index(drop=True),
                                  snapshot)


def test_reads_filter_exactly(store):
    store.ingest(_batch())
    f = store.facts(indicator="corp_share", codes=["BU00010001", "BU00010004"], years=[2019])
    assert sorted(zip(f["code"], f["year"], f["value"])) == [("BU00010001", 2019, 12.0), ("BU00010004", 2019, 15.0)]
    assert set(store.facts(indicator=["corp_share", "dwellings"])["indicator"]) == {"corp_share", "dwellings"}
    assert store.facts(geo_version="nope").empty
    a = store.areas(geo_version="v1", level="buurt", codes=["BU00010002"])
    assert list(a["code"]) == ["BU00010002"] and a.crs.to_epsg() == 4326
    assert a.geometry.iloc[0].bounds == pytest.approx((5.02, 52.0, 5.03, 52.01))
    plain = store.areas(geo_version="v1", geometry=False)
    assert "geometry" not in plain.columns and set(plain["wk_code"]) == {"WK000100", "WK000101"}
    gv = store.geo_versions()
    assert "v1" in set(gv.iloc[:, 0])


def test_crosswalk_and_registry_round_trip(store):
    cw = pd.DataFrame({"from_version": "v0", "from_code": ["A", "A", "B"], "to_version": "v1",
                       "to_code": ["BU00010000", "BU00010001", "BU00010001"], "weight": [0.25, 0.75, 1.0],
                       "amount": np.nan, "basis": "area"})
    store.write_crosswalk(cw)
    got = store.crosswalk(from_version="v0", to_version="v1").sort_values(["from_code", "to_code"])
    assert list(got["weight"]) == [0.25, 0.75, 1.0]
    assert got.groupby("from_code")["weight"].sum().tolist() == [1.0, 1.0]
    meta = store.indicator("corp_share")
    assert meta["unit"] == "%" and meta["kind"] == "rate" and float(meta["scale"]) == 100
    with pytest.raises(StoreError):
        store.indicator("no_such_indicator")


def test_a_reader_per_thread_sees_the_same_facts(store):
    store.ingest(_batch())
    expected = float(store.facts()["value"].sum())
    seen = []

    def read():
        r = store.reader() if store.concurrent_readers else store
        seen.append(float(r.facts()["value"].sum()))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [expected] * 4


def test_fact_years_counts_only_years_with_a_value(store):
    """``fact_years`` (the backends answer it without reading the facts) agrees with the facts themselves."""
    store.ingest(_batch())
    store.write_facts(pd.DataFrame([
        {"geo_version": "v1", "code": "BU00010000", "year": 2020, "indicator": "corp_share", "value": np.nan,
         "source": "contract"},                                    # a year with only a missing value
        {"geo_version": "v1", "code": "BU00010001", "year": 2021, "indicator": "corp_share", "value": 4.0,
         "numerator": 4.0, "denominator": 100.0, "source": "contract"}]))
    assert store.fact_years("corp_share", "v1") == [2018, 2019, 2021]
    assert store.fact_years("corp_share", "v1", codes=["BU00010000"]) == [2018, 2019]
    assert store.fact_years("corp_share", "v2") == []
    assert store.fact_years("dwellings", "v1", codes=[]) == []
    f = store.facts(indicator="corp_share", geo_version="v1")
    assert store.fact_years("corp_share", "v1") == sorted(int(y) for y in f.loc[f["value"].notna(), "year"].unique())
