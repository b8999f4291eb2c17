"""Shared plumbing of the spatial and change analyses: weights, map layers, two-year frames.

Complements ``_common`` (data access, bootstrap, labels, figures); the lead may merge the two.

Spatial weights are built from the areas' own geometry (Queen contiguity, or k nearest
neighbours on RD centroids) and cached per geography version and geometry, so several analyses
in one session share one build (~0.6 s for the 13,594 national buurten). Areas without a
contiguous neighbour (islands) are joined to their nearest neighbour, so no area drops out.

A map layer is the result table joined to ``store.areas`` geometry. Values that rest on small
numbers (``base.suppress``) are blanked in a layer: the map and its exports are public-facing;
the table keeps them, flagged, for the analyst.
"""
from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import StoreError
from .base import panel, suppress

__all__ = ["weights", "to_w", "area_layer", "two_years", "pooled", "wilson", "percentile_of"]

RD = 28992   # Dutch national grid: metres, for nearest-neighbour distances


# ---------------------------------------------------------------------------- weights
def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep the polygonal parts of GeometryCollections (``make_valid`` leaves a few)."""
    out = np.asarray(geoms, dtype=object).copy()
    kinds = shapely.get_type_id(out)
    for i in np.flatnonzero(kinds == 7):          # 7 = GeometryCollection
        parts = [p for p in shapely.get_parts(out[i]) if p.geom_type in ("Polygon", "MultiPolygon")]
        out[i] = shapely.union_all(parts) if parts else shapely.Point(shapely.centroid(out[i]).coords[0])
    return out


@lru_cache(maxsize=8)
def _graph_cached(geo_version: str, codes: tuple, wkb: tuple, kind: str, k: int):
    from libpysal import graph as lg
    geoms = _polygonal(shapely.from_wkb(list(wkb)))
    gs = gpd.GeoSeries(geoms, index=pd.Index(codes, name="code"), crs=4326)
    if kind == "knn":
        return lg.Graph.build_knn(gs.to_crs(RD).centroid, k=k)
    g = lg.Graph.build_contiguity(gs, rook=False, strict=False)
    return _attach_isolates(g, gs)


def _attach_isolates(g, gs: gpd.GeoSeries):
    """Join islands (no contiguous neighbour) to their nearest area, both ways."""
    iso = list(g.isolates)
    if not iso:
        return g
    from libpysal import graph as lg
    cent = gs.to_crs(RD).centroid
    nn = lg.Graph.build_knn(cent, k=1).adjacency
    extra = nn[nn.index.get_level_values(0).isin(iso)].reset_index()
    extra.columns = ["focal", "neighbor", "weight"]
    both = pd.concat([extra, extra.rename(columns={"focal": "neighbor", "neighbor": "focal"})])
    adj = g.adjacency.reset_index()
    adj.columns = ["focal", "neighbor", "weight"]
    adj = adj[adj["weight"] > 0]
    adj = pd.concat([adj, both]).drop_duplicates(["focal", "neighbor"])
    order = pd.Categorical(adj["focal"], categories=gs.index)      # keep the areas' order
    adj = adj.iloc[np.lexsort((adj["neighbor"].to_numpy(), order.codes))]
    return lg.Graph.from_arrays(adj["focal"].to_numpy(), adj["neighbor"].to_numpy(),
                                np.ones(len(adj)))


def weights(store, geo_version: str, codes, kind: str = "queen", k: int = 6):
    """Spatial weights (a row-standardised ``libpysal.graph.Graph``) for ``codes``.

    The graph of all areas of the version is cached; a subset keeps its contiguous links, and
    areas that lose all their neighbours in the subset are joined to their nearest subset area.

    Parameters
    ----------
    kind : ``"queen"`` (shared vertex) or ``"knn"`` (``k`` nearest RD centroids).
    """
    codes = pd.Index(codes).astype(str)
    areas = store.areas(geo_version=geo_version, codes=list(codes), geometry=True)
    areas = areas.set_index("code").loc[codes]
    if areas.geometry.isna().any():
        raise StoreError(f"{int(areas.geometry.isna().sum())} areas of {geo_version!r} have no geometry")
    # the key holds the geometry itself, so two stores with the same codes never share a graph
    g = _graph_cached(geo_version, tuple(codes), tuple(shapely.to_wkb(areas.geometry.values)), kind, k)
    return g.transform("r")


def to_w(graph):
    """The legacy ``W`` that spreg needs (row-standardised)."""
    w = graph.to_W()
    w.transform = "r"
    return w


# ---------------------------------------------------------------------------- layers
def area_layer(table: pd.DataFrame, store, geo_version: str, blank: dict | None = None) -> gpd.GeoDataFrame:
    """``table`` (one row per area, column ``code``) with the areas' geometry.

    ``blank`` maps a boolean flag column to the value columns to blank where it is True
    (suppressed values are not shown on a map).
    """
    geo = store.areas(geo_version=geo_version, codes=list(table["code"].astype(str)), geometry=True)
    out = geo[["code", "name", "gm_code", "wk_code", "geometry"]].merge(table, on="code", how="inner",
                                                                      suffixes=("", "_t"))
    for flag, cols in (blank or {}).items():
        mask = out[flag].fillna(False).astype(bool)
        for c in cols:
            if c in out:
                out.loc[mask, c] = np.nan
    return gpd.GeoDataFrame(out, geometry="geometry", crs=geo.crs)


# ---------------------------------------------------------------------------- data
def two_years(store, indicators: list[str], geo_version: str, codes, year_from: int, year_to: int) -> pd.DataFrame:
    """One row per area of ``codes``: ``<ind>_from``, ``<ind>_to``, ``<ind>_change``, ``<ind>_suppressed``.

    ``_suppressed`` is True when the value of either year rests on small numbers (``base.suppress``);
    ``<ind>_num_from`` … ``<ind>_den_to`` are kept for pooling. Indicators the store lacks are NaN.
    """
    codes = pd.Index(list(codes), name="code").astype(str)
    years = sorted({int(year_from), int(year_to)})
    # a national IN-list of 13,594 codes is slower than reading all and reindexing
    query = None if len(codes) > 2000 else list(codes)
    try:
        wide = panel(store, indicators, geo_version, codes=query, years=years)
    except StoreError:          # none of the indicators has facts: all NaN
        wide = None
    cols = {}
    for ind in indicators:
        for tag, y in (("from", year_from), ("to", year_to)):
            if wide is None:
                part = pd.DataFrame(np.nan, index=codes, columns=[ind, ind + "_num", ind + "_den"])
            else:
                part = wide[wide["year"] == y].set_index("code").reindex(codes)
            cols[f"{ind}_{tag}"] = part[ind].astype(float)
            cols[f"{ind}_num_{tag}"] = part[f"{ind}_num"].astype(float)
            cols[f"{ind}_den_{tag}"] = part[f"{ind}_den"].astype(float)
            cols[f"{ind}_sup_{tag}"] = suppress(cols[f"{ind}_num_{tag}"], cols[f"{ind}_den_{tag}"])
        cols[f"{ind}_change"] = cols[f"{ind}_to"] - cols[f"{ind}_from"]
        cols[f"{ind}_suppressed"] = cols[f"{ind}_sup_from"] | cols[f"{ind}_sup_to"]
    return pd.DataFrame(cols, index=codes)


def pooled(values: pd.Series, num: pd.Series, den: pd.Series, groups: pd.Series, scale: float) -> pd.DataFrame:
    """Per group: Σnum/Σden·scale where the group has numerators, else the plain mean.

    Returns ``value``, ``method`` ('pooled' | 'mean') and ``n`` (areas with a value) per group.
    """
    df = pd.DataFrame({"v": values, "num": num, "den": den, "g": groups})
    ok = df["num"].notna() & df["den"].notna() & (df["den"] > 0)
    sums = df[ok].groupby("g")[["num", "den"]].sum()
    mean = df.groupby("g")["v"].agg(["mean", "count"])
    out = pd.DataFrame(index=mean.index)
    ratio = (sums["num"] / sums["den"] * scale).reindex(out.index)
    out["value"] = ratio.where(ratio.notna(), mean["mean"])
    out["method"] = np.where(ratio.notna(), "pooled", "mean")
    out["n"] = mean["count"]
    return out


def wilson(num, den, scale: float = 100.0, z: float = 1.959964) -> tuple[np.ndarray, np.ndarray]:
    """Wilson 95% interval of a rate num/den, in the indicator's unit (NaN without counts)."""
    num = np.asarray(num, float)
    den = np.asarray(den, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = num / den
        centre = (p + z * z / (2 * den)) / (1 + z * z / den)
        half = z * np.sqrt(p * (1 - p) / den + z * z / (4 * den * den)) / (1 + z * z / den)
    return (centre - half) * scale, (centre + half) * scale


def percentile_of(values: pd.Series, reference: pd.Series) -> pd.Series:
    """Percentile (0–100) of each value in the distribution of ``reference`` (share ≤ value)."""
    ref = np.sort(reference.dropna().to_numpy())
    if len(ref) == 0:
        return pd.Series(np.nan, index=values.index)
    pos = np.searchsorted(ref, values.to_numpy(), side="right")
    return pd.Series(np.where(values.notna(), 100.0 * pos / len(ref), np.nan), index=values.index)
