"""Shared fixtures for analysis tests: the real national buurt geometry and a store builder."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from veerkracht.indicators import registry_frame
from veerkracht.store import Batch, Provenance, open_store


@pytest.fixture(scope="session")
def national_buurten(real_data) -> gpd.GeoDataFrame:
    """The 13,594 real buurten (CBS 2019 indeling) as an areas frame of version ``cbs2019``."""
    gdf = gpd.read_file("/vsigzip/" + str(real_data / "geo_buurt_2019_nl" / "buurten_2019_nl_wgs84_topo_simplified.geojson.gz"))
    out = gpd.GeoDataFrame({
        "geo_version": "cbs2019", "code": gdf["bu_code"], "level": "buurt", "name": gdf["bu_code"],
        "gm_code": gdf["gm_code"], "wk_code": gdf["wk_code"],
    }, geometry=gdf.geometry.make_valid(), crs=4326)
    assert len(out) == 13594
    return out


def store_from(areas: gpd.GeoDataFrame | None, facts: pd.DataFrame, tag: str = "planted"):
    """A fresh in-memory store holding ``areas`` and ``facts`` (and the indicator registry)."""
    store = open_store(":memory:")
    store.register_indicators(registry_frame())
    store.ingest(Batch(Provenance(tag, tag, tag), areas=areas, facts=facts))
    return store
