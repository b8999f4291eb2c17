"""Stores for the web tests and the benchmark, built from the real files in the shared data.

``build_dev_store``: Amsterdam's 479 buurten (CBS 2019 geometry, version ``cbs2019``) with the OIS
housing stock by owner 2005–2017 → ``corp_share``, ``owner_occupied`` and ``dwellings``, aggregated
to wijken and the gemeente. ``build_national_store``: the 13,594 national buurten with a synthetic
indicator (benchmark only).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from veerkracht.indicators import registry_frame
from veerkracht.store import Batch, Provenance, open_store

__all__ = ["build_dev_store", "build_national_store", "BUURT_GEOMETRY", "OIS_STOCK"]

BUURT_GEOMETRY = "geo_buurt_2019_nl/buurten_2019_nl_wgs84_topo_simplified.geojson.gz"
OIS_STOCK = "amsterdam_ois/amsterdam_buurt_woningvoorraad_eigendom_2005_2009_2013_2017.csv"
WIJK_NAMES = "geo_wijk_2016/wijken_2016_nl_wgs84_simplified10m.geojson.gz"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _buurten(shared: Path) -> gpd.GeoDataFrame:
    gdf = gpd.read_file("/vsigzip/" + str(shared / BUURT_GEOMETRY))
    return gpd.GeoDataFrame({"geo_version": "cbs2019", "code": gdf["bu_code"], "level": "buurt",
                             "name": gdf["bu_code"], "gm_code": gdf["gm_code"], "wk_code": gdf["wk_code"]},
                            geometry=gdf.geometry, crs=4326)


def build_dev_store(path: str | Path, shared: Path) -> Path:
    """Amsterdam buurten 2005–2017 (OIS stock by owner) in a DuckDB file at ``path``."""
    from veerkracht.geo.aggregate import aggregate_store

    path = Path(path)
    stock = pd.read_csv(shared / OIS_STOCK, dtype={"cbs_bu_code_afgeleid": str})
    stock = stock[stock["cbs_bu_code_afgeleid"].notna()]
    names = stock.sort_values("jaar").groupby("cbs_bu_code_afgeleid")["buurt_naam"].last()
    areas = _buurten(shared)
    areas = areas[areas["gm_code"] == "GM0363"].copy()
    areas["name"] = areas["code"].map(names).fillna(areas["code"])
    wk = gpd.read_file("/vsigzip/" + str(shared / WIJK_NAMES), ignore_geometry=True)
    wk_names = wk.drop_duplicates("wk_code").set_index("wk_code")["wk_naam"]
    parents = pd.DataFrame({"geo_version": "cbs2019", "code": sorted(areas["wk_code"].unique()), "level": "wijk"})
    parents["name"] = parents["code"].map(wk_names).fillna(parents["code"])
    parents["gm_code"], parents["wk_code"] = "GM0363", parents["code"]
    top = pd.DataFrame([{"geo_version": "cbs2019", "code": "GM0363", "level": "gemeente", "name": "Amsterdam",
                         "gm_code": "GM0363", "wk_code": None}])
    extra = gpd.GeoDataFrame(pd.concat([parents, top], ignore_index=True), geometry=[None] * (len(parents) + 1),
                             crs=4326)

    g = (stock.groupby(["cbs_bu_code_afgeleid", "jaar"])[["huur_corporatie", "koop_eigenaar_bewoner",
                                                           "woningen_totaal"]].sum().reset_index())
    g = g[g["cbs_bu_code_afgeleid"].isin(areas["code"])]
    base = {"geo_version": "cbs2019", "code": g["cbs_bu_code_afgeleid"], "year": g["jaar"],
            "source": "ois-woningvoorraad", "flags": "", "origin_version": "cbs2019"}
    den = g["woningen_totaal"].astype(float)
    facts = pd.concat([
        pd.DataFrame({**base, "indicator": "corp_share", "numerator": g["huur_corporatie"].astype(float),
                      "denominator": den, "value": g["huur_corporatie"] / den.where(den > 0) * 100}),
        pd.DataFrame({**base, "indicator": "owner_occupied", "numerator": g["koop_eigenaar_bewoner"].astype(float),
                      "denominator": den, "value": g["koop_eigenaar_bewoner"] / den.where(den > 0) * 100}),
        pd.DataFrame({**base, "indicator": "dwellings", "numerator": np.nan, "denominator": np.nan, "value": den}),
    ], ignore_index=True)
    src = shared / OIS_STOCK
    if path.exists():
        path.unlink()
    store = open_store(str(path))
    try:
        store.register_indicators(registry_frame())
        store.ingest(Batch(Provenance("geometry", str(shared / BUURT_GEOMETRY), _sha(shared / BUURT_GEOMETRY),
                                      vintage="CBS buurten 2019 (vereenvoudigd)"),
                           areas=pd.concat([areas, extra], ignore_index=True)))
        store.ingest(Batch(Provenance("ois-woningvoorraad", str(src), _sha(src),
                                      vintage="OIS woningvoorraad naar eigendom 2005–2017"), facts=facts))
        aggregate_store(store, "cbs2019", "buurt", "wijk")
        aggregate_store(store, "cbs2019", "buurt", "gemeente")
    finally:
        store.close()
    return path


def build_national_store(path: str | Path, shared: Path, years=(2015, 2019)) -> Path:
    """All 13,594 buurten with a synthetic ``corp_share`` per year (benchmark only)."""
    path = Path(path)
    areas = _buurten(shared)
    rng = np.random.default_rng(1)
    rows = []
    for y in years:
        den = rng.integers(20, 3000, len(areas)).astype(float)
        num = np.floor(den * rng.beta(2, 4, len(areas)))
        rows.append(pd.DataFrame({"geo_version": "cbs2019", "code": areas["code"], "year": y,
                                  "indicator": "corp_share", "numerator": num, "denominator": den,
                                  "value": num / den * 100, "source": "synthetic", "flags": "",
                                  "origin_version": "cbs2019"}))
    if path.exists():
        path.unlink()
    store = open_store(str(path))
    try:
        store.register_indicators(registry_frame())
        store.ingest(Batch(Provenance("geometry", str(shared / BUURT_GEOMETRY), _sha(shared / BUURT_GEOMETRY)),
                           areas=areas))
        store.ingest(Batch(Provenance("synthetic", "bench", "bench"), facts=pd.concat(rows, ignore_index=True)))
    finally:
        store.close()
    return path
