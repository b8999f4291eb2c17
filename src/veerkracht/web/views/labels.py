"""``/api/labels/{version}/{level}``: where an area's name goes on the map, and how much room it has.

The map draws names as an HTML overlay (no glyphs have to be fetched): the browser places them
largest area first and leaves out a name that would overlap one already placed or does not fit
its area at the current zoom. This route gives it, per area, the pole of inaccessibility (the
point farthest inside the outline, so a name sits in the area, also in a crescent-shaped one) and
the radius of the largest circle around it that stays inside, in metres.
"""
from __future__ import annotations

from typing import Annotated

import geopandas as gpd
from fastapi import APIRouter, Depends, Path, Query, Request
from shapely.ops import polylabel

from .common import CODE, LEVEL, VERSION, Context, cached, ctx

__all__ = ["router", "label_points"]

router = APIRouter(prefix="/api", tags=["map"])


def label_points(c: Context, version: str, level: str, region: str | None) -> dict:
    """Per area of ``level`` in ``region``: code, name, label point (lon, lat) and room (radius, m)."""
    areas = c.catalog.region_areas(version, level, region)
    g = c.geometry.frame(version, level)
    g = g[g["code"].isin(areas["code"])]
    if g.empty:
        return {"labels": []}
    metric = g.to_crs(28992)
    out = []
    for (_, row), geom in zip(g.iterrows(), metric.geometry):
        part = max(getattr(geom, "geoms", [geom]), key=lambda p: p.area)    # the largest piece
        point = polylabel(part, tolerance=5)
        radius = float(part.boundary.distance(point))       # the boundary includes the holes
        ll = gpd.GeoSeries([point], crs=28992).to_crs(4326).iloc[0]
        out.append({"code": row["code"], "name": row["name"] or row["code"], "lon": round(ll.x, 6),
                    "lat": round(ll.y, 6), "room": round(radius, 1), "area": round(float(geom.area))})
    out.sort(key=lambda d: -d["area"])      # largest first: it wins a place when names collide
    return {"labels": out}


@router.get("/labels/{version}/{level}", summary="Label point and room (m) of every area of a level in a region")
async def labels(request: Request, version: Annotated[str, Path(pattern=VERSION)],
                 level: Annotated[str, Path(pattern=LEVEL)],
                 region: Annotated[str | None, Query(pattern=CODE, description="Gemeente or wijk code")] = None,
                 c: Context = Depends(ctx)) -> dict:
    c.catalog.check_version(version)
    c.catalog.check_level(version, level)
    return await cached(c, ("labels", version, level, region or ""), lambda: label_points(c, version, level, region),
                        request)
