"""Stores for the web tests and the benchmark.

``build_demo``: the bundled demo store (real files shipped in the package: Amsterdam buurten and
wijken on ``cbs2019``, Leefbaarometer harmonised, gemeenten on ``cbs2020``–``cbs2025``), the store
every web test runs on. ``build_national_store``: the 13,594 national buurten of the real data in tests/data/real
with a synthetic indicator (benchmark of the bytes over the wire only).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from veerkracht.indicators import registry_frame
from veerkracht.store import Batch, Provenance, open_store

__all__ = ["build_demo", "build_national_store", "BUURT_GEOMETRY"]

BUURT_GEOMETRY = "geo_buurt_2019_nl/buurten_2019_nl_wgs84_topo_simplified.geojson.gz"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _buurten(shared: Path) -> gpd.GeoDataFrame:
    gdf = gpd.read_file("/vsigzip/" + str(shared / BUURT_GEOMETRY))
    return gpd.GeoDataFrame({"geo_version": "cbs2019", "code": gdf["bu_code"], "level": "buurt",
                             "name": gdf["bu_code"], "gm_code": gdf["gm_code"], "wk_code": gdf["wk_code"]},
                            geometry=gdf.geometry, crs=4326)


def build_demo(path: str | Path) -> Path:
    """The bundled demo store (``veerkracht.demo.build_demo_store``) in a DuckDB file at ``path``."""
    from veerkracht.demo import build_demo_store

    path = Path(path)
    for p in (path, path.with_name(path.name + ".wal")):
        if p.exists():
            p.unlink()
    store = open_store(str(path))
    try:
        build_demo_store(store)
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
