"""Put units given by code, coordinates or postcode onto the buurten of every geography version in the store.

Used for a corporation's portfolio (one row per dwelling or complex). A unit is located

* by its **buurt code** in each version that holds that code;
* by its **coordinates** (RD New or WGS84) in each version with buurt geometry (point in polygon);
* by its **PC6** through a PC6 → buurt crosswalk in the store (the buurt with most of the postcode's
  addresses; ``located_by = 'pc6~'`` when the postcode is split over buurten).

A code wins over coordinates, coordinates over a postcode. What cannot be placed is returned with the
file row and the reason, so the user can mend the file.
"""
from __future__ import annotations

import geopandas as gpd
import pandas as pd

__all__ = ["grid_cells", "locate_units"]

_OUT = ["unit_id", "geo_version", "code", "located_by"]


def _by_code(rows: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    have = rows[rows["code"].notna()][["unit_id", "code"]]
    hit = have.merge(areas[["geo_version", "code"]], on="code")
    return hit.assign(located_by="code")[_OUT]


def _by_point(rows: pd.DataFrame, shapes: gpd.GeoDataFrame) -> pd.DataFrame:
    pts = rows[rows["x"].notna() & rows["y"].notna()]
    if pts.empty or shapes.empty:
        return pd.DataFrame(columns=_OUT)
    parts = []
    for crs, g in pts.groupby("crs"):
        geo = gpd.GeoDataFrame(g[["unit_id"]], geometry=gpd.points_from_xy(g["x"], g["y"]), crs=str(crs)).to_crs(4326)
        parts.append(geo)
    points = pd.concat(parts)
    hit = gpd.sjoin(points, shapes[["geo_version", "code", "geometry"]], predicate="within", how="inner")
    # a point on a shared edge falls in two buurten of one version: keep one, deterministically
    hit = hit.sort_values(["unit_id", "geo_version", "code"]).drop_duplicates(["unit_id", "geo_version"])
    return pd.DataFrame(hit.assign(located_by="xy")[_OUT])


def _by_postcode(rows: pd.DataFrame, crosswalk: pd.DataFrame, versions: set[str]) -> pd.DataFrame:
    have = rows[rows["pc6"].notna()][["unit_id", "pc6"]]
    cw = crosswalk[crosswalk["to_version"].isin(versions) & crosswalk["from_code"].isin(set(have["pc6"]))]
    if have.empty or cw.empty:
        return pd.DataFrame(columns=_OUT)
    best = cw.sort_values(["weight", "to_code"], ascending=[False, True]).drop_duplicates(["from_code", "to_version"])
    best = best.assign(located_by=["pc6" if w >= 1 - 1e-9 else "pc6~" for w in best["weight"]])
    hit = have.merge(best.rename(columns={"from_code": "pc6", "to_version": "geo_version", "to_code": "code"}),
                     on="pc6")
    return hit[_OUT]


def grid_cells(rows: pd.DataFrame) -> pd.Series:
    """Per ``unit_id`` located by coordinates, the id of the CBS 100 m cell holding the point (RD New)."""
    from ..sources._grid_ids import cell_codes
    pts = rows[rows["x"].notna() & rows["y"].notna()]
    parts = []
    for crs, g in pts.groupby("crs"):
        rd = gpd.GeoSeries(gpd.points_from_xy(g["x"], g["y"]), index=g["unit_id"], crs=str(crs)).to_crs(28992)
        parts.append(pd.Series(cell_codes(rd.x.to_numpy(), rd.y.to_numpy()), index=rd.index))
    return pd.concat(parts) if parts else pd.Series(dtype=object)


def locate_units(store, rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(located, unlocated)``.

    ``located``: one row per unit and geography version (``unit_id, geo_version, code, located_by``);
    ``unlocated``: ``unit_id, source_row, reason`` for units placed in no version at all.
    """
    areas = store.areas(level="buurt", geometry=True)
    versions = set(areas["geo_version"])
    by_code = _by_code(rows, areas)
    rest = rows[~rows["unit_id"].isin(by_code["unit_id"])]
    shapes = areas[~areas.geometry.is_empty & areas.geometry.notna()]
    by_point = _by_point(rest, shapes)
    rest = rest[~rest["unit_id"].isin(by_point["unit_id"])]
    pc = rest[rest["pc6"].notna()]
    by_pc = _by_postcode(pc, store.crosswalk(), versions) if not pc.empty else pd.DataFrame(columns=_OUT)
    located = pd.concat([by_code, by_point, by_pc], ignore_index=True)
    missing = rows[~rows["unit_id"].isin(located["unit_id"])]

    def reason(r) -> str:
        if pd.notna(r["code"]):
            return f"buurt code {r['code']} is in no geography version of the store"
        if pd.notna(r["x"]):
            return f"point {r['x']}, {r['y']} ({r['crs']}) lies in no buurt of the store"
        if pd.notna(r["pc6"]):
            return (f"postcode {r['pc6'][2:]} is not in a PC6 → buurt crosswalk of the store "
                    "(load one: veerkracht ingest cbs-pc6-buurt …)")
        return "no buurt code, coordinates or postcode"
    unlocated = pd.DataFrame({"unit_id": missing["unit_id"], "source_row": missing["source_row"],
                              "reason": [reason(r) for _, r in missing.iterrows()]})
    return located, unlocated.reset_index(drop=True)
