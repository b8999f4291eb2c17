"""``/api/profile/{version}/{code}`` and ``/api/compare``."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from ...maps.catalog import ViewError
from ..profile import area_profile, compare as _compare
from .common import CODE, INDICATOR, VERSION, CachedRoute, Context, Lang, cached, clean, ctx

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["areas"], route_class=CachedRoute)


@router.get("/profile/{version}/{code}", summary="Profile of one area: key figures, trends, typology, sources")
async def profile(request: Request, version: Annotated[str, Path(pattern=VERSION)], code: Annotated[str, Path(pattern=CODE)],
                  indicator: Annotated[str | None, Query(pattern=INDICATOR)] = None,
                  year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
                  lang: Lang = "nl", c: Context = Depends(ctx)) -> dict:
    c.catalog.check_version(version)
    return await cached(c, ("profile", version, code, indicator, year, lang),
                       lambda: area_profile(c.catalog, c.layers, version, code, indicator, year, lang), request)


@router.get("/compare", summary="Key figures of 2–5 areas side by side, in the map's year, with their series")
def compare(version: Annotated[str, Query(pattern=VERSION)],
            codes: Annotated[str, Query(max_length=200, description="Comma-separated area codes")],
            year: Annotated[int | None, Query(ge=1900, le=2100, description="The map's year")] = None,
            lang: Lang = "nl", c: Context = Depends(ctx)) -> dict:
    c.catalog.check_version(version)
    items = [s.strip() for s in codes.split(",") if s.strip()]
    if len(set(items)) != len(items):
        raise ViewError("compare: an area code occurs twice")
    return clean(_compare(c.catalog, c.layers, version, items, lang, year))
