"""Area outlines for the map: simplified and quantised per zoom level, served as gzipped GeoJSON.

A tolerance of half a screen pixel and a coordinate grid of a quarter pixel at the requested zoom
make the national buurt layer well under 1 MB over the wire while being indistinguishable on
screen. Parents the store holds without geometry (``aggregate_store`` adds wijken and gemeenten as
codes only) are drawn as the union of their children.
"""
from __future__ import annotations

import gzip
import json
import math
import threading
from collections import OrderedDict

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..maps.catalog import ViewError, Catalog

__all__ = ["GeometryService", "zoom_bucket", "ZOOM_BUCKETS"]

#: requested zooms are rounded up to one of these, so few variants are ever cached
ZOOM_BUCKETS = (6, 8, 10, 12, 14)
_CHILD = {"gemeente": ("wijk", "buurt"), "wijk": ("buurt",)}
_PARENT_COLUMN = {"gemeente": "gm_code", "wijk": "wk_code"}


def zoom_bucket(zoom: float) -> int:
    for b in ZOOM_BUCKETS:
        if zoom <= b:
            return b
    return ZOOM_BUCKETS[-1]


def _pixel_degrees(zoom: int) -> float:
    return 360.0 / (512 * 2 ** zoom)


class GeometryService:
    """Per (version, level): geometry frame; per (version, level, region, zoom): gzipped GeoJSON."""

    def __init__(self, catalog: Catalog, max_cached: int = 64):
        self.catalog = catalog
        self._frames: dict = {}
        self._bytes: OrderedDict = OrderedDict()
        self._max = max_cached
        self._lock = threading.RLock()

    def frame(self, version: str, level: str) -> gpd.GeoDataFrame:
        """All areas of ``level`` in ``version`` with geometry (derived from children if needed)."""
        key = (version, level)
        with self._lock:
            if key not in self._frames:
                self._frames[key] = self._load(version, level)
            return self._frames[key]

    def _load(self, version: str, level: str) -> gpd.GeoDataFrame:
        gdf = self.catalog.db().areas(geo_version=version, level=level, geometry=True)
        have = gdf.geometry.notna() & ~gdf.geometry.is_empty
        if have.all() and len(gdf):
            return _valid(gdf)
        for child in _CHILD.get(level, ()):
            if child not in self.catalog.levels(version):
                continue
            kids = self.frame(version, child)
            if kids.empty:
                continue
            col = _PARENT_COLUMN[level]
            merged = kids[kids[col].notna()].dissolve(by=col, as_index=False)[[col, "geometry"]]
            merged = merged.rename(columns={col: "code"})
            missing = gdf.loc[~have, ["geo_version", "code", "level", "name", "gm_code", "wk_code"]]
            derived = gpd.GeoDataFrame(missing.merge(merged, on="code", how="inner"), geometry="geometry",
                                       crs=4326)
            derived["name"] = [self.catalog.name_of(version, c) or c for c in derived["code"]]
            return _valid(pd.concat([gdf[have], derived], ignore_index=True))
        return _valid(gdf[have])

    def bounds(self, version: str, level: str, codes) -> list[float] | None:
        g = self.frame(version, level)
        g = g[g["code"].isin(list(codes))]
        if g.empty:
            return None
        return [round(float(v), 5) for v in g.total_bounds]

    def peek(self, version: str, level: str, region: str | None, zoom: float) -> bytes | None:
        """The cached bytes of :meth:`geojson_gz`, or None; never waits (safe on the event loop)."""
        return self._bytes.get((version, level, region or "", zoom_bucket(zoom)))

    def geojson_gz(self, version: str, level: str, region: str | None, zoom: float) -> bytes:
        """The gzipped FeatureCollection (``code``, ``name`` per feature) of a region at a zoom."""
        z = zoom_bucket(zoom)
        key = (version, level, region or "", z)
        with self._lock:
            if key in self._bytes:
                self._bytes.move_to_end(key)
                return self._bytes[key]
        areas = self.catalog.region_areas(version, level, region)
        g = self.frame(version, level)
        g = g[g["code"].isin(areas["code"])]
        if g.empty:
            raise ViewError(f"the store holds no geometry for {level} areas of version {version!r}", 404)
        data = gzip.compress(_feature_collection(g, z).encode(), 6)
        with self._lock:
            self._bytes[key] = data
            while len(self._bytes) > self._max:
                self._bytes.popitem(last=False)
        return data


def _valid(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    gdf = gdf.copy()
    bad = ~gdf.geometry.is_valid
    if bad.any():
        gdf.loc[bad, "geometry"] = gdf.geometry[bad].make_valid()
    gdf["name"] = gdf["name"].fillna(gdf["code"])
    return gdf.reset_index(drop=True)


def _drop_specks(geom, px: float):
    """``geom`` without holes under 3 pixels across or under 2 pixels wide (2·area/perimeter): the
    hair-line gaps between neighbouring areas that a parent drawn as the union of its children
    keeps, which would show as stray strokes."""
    if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon"):
        return geom
    parts = []
    for poly in getattr(geom, "geoms", [geom]):
        holes = [r for r in poly.interiors
                 if (a := shapely.Polygon(r).area) >= (3 * px) ** 2 and 2 * a / r.length >= 2 * px]
        parts.append(shapely.Polygon(poly.exterior, holes))
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _feature_collection(g: gpd.GeoDataFrame, zoom: int) -> str:
    px = _pixel_degrees(zoom)
    decimals = int(min(6, max(3, math.ceil(-math.log10(px / 4)))))
    geoms = shapely.simplify(g.geometry.values, px / 2, preserve_topology=True)
    geoms = [_drop_specks(x, px) for x in geoms]
    geoms = shapely.transform(geoms, lambda c: np.round(c, decimals))
    texts = shapely.to_geojson(geoms)
    parts = []
    for code, name, text in zip(g["code"], g["name"], texts):
        if text is None:
            continue
        props = json.dumps({"code": str(code), "name": str(name)}, ensure_ascii=False, separators=(",", ":"))
        parts.append('{"type":"Feature","properties":%s,"geometry":%s}' % (props, text))
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"
