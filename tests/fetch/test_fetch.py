"""Fetch clients against the loopback services: real recorded answers, paging, faults, changed answers."""
from __future__ import annotations

import pyogrio
import pytest

from veerkracht.errors import InputError
from veerkracht.sources.download import DownloadCache
from veerkracht.sources.fetch import (fetch_geometry, fetch_kwb, fetch_leefbaarometer, ogc_features,
                                      region_filter, restrict)
from veerkracht.sources.public import Services, kwb_table


@pytest.fixture
def services(public_server):
    return Services.loopback(public_server["base"])


def value(batch, code, indicator):
    f = batch.facts
    return f.loc[(f["code"] == code) & (f["indicator"] == indicator), "value"].item()


def test_kwb_2023_from_the_real_odata_answers(services, tmp_path):
    cache = DownloadCache(tmp_path, backoff=0.01)
    pages = []
    batch = fetch_kwb(2023, cache, services, region=["GM0344"], progress=lambda d, t: pages.append(d))
    # the published KWB 2023 figures of Utrecht (tests/data/cbs_odata/README.md)
    assert value(batch, "GM0344", "residents") == 367947
    assert set(batch.facts["code"].str[:6]) <= {"GM0344", "WK0344", "BU0344", "NL01"}
    assert pages == [3, 6, 7]                         # three pages chained by odata.nextLink
    assert batch.provenance.options["region"] == ["GM0344"]
    # DataProperties, WijkenEnBuurten, the first TypedDataSet page (dropped halfway, asked again), two more
    assert cache.stats["requests"] == 6
    # again, offline: the same answers from the cache, the same checksum
    again = fetch_kwb(2023, DownloadCache(tmp_path, offline=True), services, region=["GM0344"])
    assert again.provenance.checksum == batch.provenance.checksum
    assert again.facts.reset_index(drop=True).equals(batch.facts.reset_index(drop=True))


def test_kwb_2025_is_v4(services, tmp_path):
    batch = fetch_kwb(2025, DownloadCache(tmp_path), services, region=["GM0344"])
    assert batch.provenance.options["api"] == "v4" and batch.provenance.vintage == "CBS 86165NED (OData v4)"
    assert set(batch.facts["year"]) == {2025}


def test_kwb_renamed_measures_is_a_clear_error(services, tmp_path):
    assert kwb_table(2022) == "85318NED"
    with pytest.raises(InputError) as e:
        fetch_kwb(2022, DownloadCache(tmp_path), services)
    assert "none of the KWB measures" in e.value.message and "85318NED" in e.value.file


def test_kwb_download_csv(public_server, services, tmp_path):
    batch = fetch_kwb(2023, DownloadCache(tmp_path), services, via="download")
    truth = public_server["truth"]
    assert value(batch, "NL01", "residents") == truth["residents"][2023]
    buurten = batch.facts[(batch.facts["indicator"] == "residents") & batch.facts["code"].str.startswith("BU")]
    assert buurten["value"].sum() == truth["residents"][2023]          # the buurten add up to the country
    assert len(buurten) == truth["buurten"][2023] == 13594


def test_geometry_ogc_api_pages_and_retries(public_server, services, tmp_path):
    cache = DownloadCache(tmp_path, backoff=0.01)
    seen = []
    batch = fetch_geometry(2022, "buurt", cache, services, progress=lambda d, t: seen.append(d))
    assert len(batch.areas) == 13594 and set(batch.areas["geo_version"]) == {"cbs2022"}
    assert seen[:2] == [1000, 2000] and seen[-1] == 13594     # 14 pages of ≤ 1,000 (PDOK's maximum)
    # the collection list, 14 pages, and the first page twice more: dropped halfway, then a 503
    assert cache.stats["requests"] == 17 and cache.stats["retries"] == 1
    utrecht = fetch_geometry(2023, "buurt", cache, services, region=["GM0344"])
    assert len(utrecht.areas) == 111 and set(utrecht.areas["gm_code"]) == {"GM0344"}
    wijken = fetch_geometry(2023, "wijk", cache, services, region=["GM0344"])
    assert sorted(wijken.areas["code"])[:2] == ["WK034401", "WK034402"] and set(wijken.areas["level"]) == {"wijk"}


def test_renamed_layer_names_what_is_offered(services, tmp_path):
    with pytest.raises(InputError) as e:
        fetch_geometry(2021, "buurt", DownloadCache(tmp_path), services)
    assert "'buurten' is not offered" in e.value.message and "buurten_v2" in e.value.message


def test_geometry_geopackage_download(public_server, services, tmp_path):
    src = fetch_geometry(2023, "buurt", DownloadCache(tmp_path / "a"), services, region=["GM0344"]).areas
    gpkg_dir = public_server["root"] / "files" / "cbs" / "wijkenbuurten" / "2023" / "atom" / "downloads"
    gpkg_dir.mkdir(parents=True, exist_ok=True)
    gpkg = gpkg_dir / "wijkenbuurten_2023_v1.gpkg"
    pyogrio.write_dataframe(src.rename(columns={"code": "buurtcode"})[["buurtcode", "geometry"]].to_crs(28992),
                            gpkg, layer="buurten")
    got = fetch_geometry(2023, "buurt", DownloadCache(tmp_path / "b"), services, via="gpkg").areas
    assert sorted(got["code"]) == sorted(src["code"])
    assert got.to_crs(28992).area.sum() == pytest.approx(src.to_crs(28992).area.sum(), rel=1e-6)
    with pytest.raises(InputError) as e:
        fetch_geometry(2023, "wijk", DownloadCache(tmp_path / "b"), services, via="gpkg")
    assert "'wijken' is not in the GeoPackage" in e.value.message and "buurten" in e.value.message


def test_leefbaarometer_zip(public_server, services, tmp_path):
    batch = fetch_leefbaarometer(2022, DownloadCache(tmp_path), services)
    rows = public_server["lbm_rows"]
    pc, _, lbm, afw = rows[0].split(",")[:4]
    f = batch.facts
    got = f[(f["code"] == f"PC{pc}") & (f["indicator"] == "lbm_score")]["value"].item()
    assert got == pytest.approx(float(lbm))
    assert f[(f["code"] == f"PC{pc}") & (f["indicator"] == "lbm")]["value"].item() == pytest.approx(float(afw))
    assert f["code"].nunique() == len(rows) and set(f["geo_version"]) == {"lbm3-2022"}
    with pytest.raises(InputError) as e:
        fetch_leefbaarometer(2022, DownloadCache(tmp_path), services, level="buurt")
    assert "no buurt score table in the zip" in e.value.message and "Leefbaarometer-scores PC4" in e.value.message


def test_ogc_missing_service_is_an_error(services, tmp_path):
    with pytest.raises(InputError) as e:
        ogc_features(services.ogc_api(1999), "buurten", DownloadCache(tmp_path, retries=0), None)
    assert "'buurten' is not offered" in e.value.message and "nothing" in e.value.message


def test_region_helpers():
    assert region_filter(None) is None
    f = region_filter(["GM0344"])
    assert "startswith(WijkenEnBuurten,'BU0344')" in f and f.count(" or ") == 3
    import pandas as pd
    from veerkracht.store.base import Batch, Provenance
    b = Batch(Provenance("x", "y", "z"), facts=pd.DataFrame({"code": ["BU03440111", "BU03630000", "NL01", "GM0344"]}))
    assert restrict(b, ["GM0344"]).facts["code"].tolist() == ["BU03440111", "NL01", "GM0344"]


def test_fetch_command_loads_the_store(public_server, tmp_path):
    from tests.cli.conftest import run_cli
    from veerkracht.store import open_store

    store, cache = tmp_path / "f.duckdb", str(tmp_path / "cache")
    common = ["--region", "GM0344", "--cache", cache, "--services-url", public_server["base"]]
    res = run_cli("fetch", "geometry", "--year", "2023", *common, store=store)
    assert res.returncode == 0, res.stderr
    assert "loaded 111 areas" in res.stdout
    res = run_cli("fetch", "kwb", "--year", "2023", *common, store=store)
    assert res.returncode == 0, res.stderr
    again = run_cli("fetch", "kwb", "--year", "2023", *common, "--offline", store=store)
    assert again.returncode == 0 and "nothing changed" in again.stdout and "0 requests" in again.stdout
    s = open_store(store, read_only=True)
    try:
        assert s.facts(indicator="residents", codes=["GM0344"])["value"].tolist() == [367947]
        assert len(s.areas(geo_version="cbs2023", level="buurt")) == 111
    finally:
        s.close()
