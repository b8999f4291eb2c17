"""``/api/meta`` (what the store holds) and ``/api/search`` (areas by name or code)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from ...maps.catalog import MAP_LEVELS
from ...i18n import render
from ...maps.layers import analysis_of, modes
from ...maps.legend import decimals
from ..addresses import address_search
from ..profile import search as _search
from .common import VERSION, Context, cached, clean, ctx

__all__ = ["router", "build_meta"]

router = APIRouter(prefix="/api", tags=["meta"])


def build_meta(c: Context) -> dict:
    cat = c.catalog
    versions = []
    for v in cat.versions():
        levels = []
        for lv in cat.levels(v):
            n = int(((cat.area_table["geo_version"] == v) & (cat.area_table["level"] == lv)).sum())
            geom = lv in MAP_LEVELS and not c.geometry.frame(v, lv).empty
            levels.append({"level": lv, "n_areas": n, "geometry": geom})
        versions.append({"id": v, "levels": levels})
    indicators = []
    for iid, row in cat.registry.iterrows():
        avail: dict = {}
        for (i, v, lv), years in cat.availability.items():
            if i == iid and lv in MAP_LEVELS:
                avail.setdefault(v, {})[lv] = years
        if not avail:
            continue
        indicators.append({k: row[k] for k in ("id", "label_nl", "label_en", "unit", "kind", "higher_is_worse",
                                                "source", "description_nl", "description_en")}
                          | {"available": avail, "sources": cat.sources.get(iid, []),
                             "decimals": decimals(row["kind"], row["unit"])})
    return clean({"versions": versions, "indicators": indicators, "levels": list(MAP_LEVELS),
                  "analyses": {a: True for a in modes() if analysis_of(a).available(cat.store)}, "modes": map_modes(cat.store),
                  "default": _default_view(c, versions, indicators)})


def map_modes(store=None) -> list[dict]:
    """The map's modes for the front end: value and change, then every analysis with a map layer
    (from the analysis registry; nothing in the front end lists them) that the store can feed."""
    out = [{"id": m, "label_nl": render(f"map.mode.{m}", "nl"), "label_en": render(f"map.mode.{m}", "en"),
            "kind": "numeric", "analysis": False, "refs": []} for m in ("value", "change")]
    for name in modes():
        if store is not None and not analysis_of(name).available(store):
            continue
        spec = analysis_of(name).layer
        out.append({"id": name, "analysis": True, "kind": spec.kind, "refs": list(spec.refs),
                    "own_indicator": spec.own_indicator,
                    "label_nl": render(spec.label, "nl") if spec.label else name,
                    "label_en": render(spec.label, "en") if spec.label else name})
    return out


def _default_view(c: Context, versions: list[dict], indicators: list[dict]) -> dict:
    """The first view: corporation share on the finest drawable level, in its largest gemeente."""
    cat = c.catalog
    geo = {(v["id"], lv["level"]) for v in versions for lv in v["levels"] if lv["geometry"]}
    ranked = sorted(indicators, key=lambda i: (i["id"] != "corp_share", i["id"]))
    for lv in ("buurt", "wijk", "gemeente", "pc4"):
        for ind in ranked:
            for v, levels in sorted(ind["available"].items()):
                if lv in levels and (v, lv) in geo:
                    areas = cat.area_table[(cat.area_table["geo_version"] == v) & (cat.area_table["level"] == lv)]
                    gms = areas["gm_code"].dropna()
                    region = gms.mode().iloc[0] if lv in ("buurt", "wijk") and len(gms) else None
                    names = cat.area_table[cat.area_table["geo_version"] == v].set_index("code")["name"]
                    return {"version": v, "level": lv, "indicator": ind["id"],
                            "year": _best_year(cat, ind["id"], v, lv, levels[lv]),
                            "region": region, "region_name": names.get(region) if region else None}
    return {}


def _best_year(cat, indicator: str, version: str, level: str, years: list[int]) -> int:
    """The latest year that shows at least 90% as many areas as the best-covered year: a first
    view that is mostly grey says little."""
    codes = cat.region_areas(version, level, None)["code"]
    f = cat.facts(indicator, version)
    shown = f[f["code"].isin(codes) & f["status"].isin(["ok", "unreliable"])].groupby("year").size()
    if shown.empty:
        return years[-1]
    return int(max(y for y in years if shown.get(y, 0) >= 0.9 * shown.max()))


@router.get("/meta", summary="Geography versions, levels, indicators (labels, units, years), analyses")
async def meta(request: Request, c: Context = Depends(ctx)) -> dict:
    return await cached(c, ("meta",), lambda: meta_dict(c), request)


def meta_dict(c: Context) -> dict:
    if c.meta_cache is None:
        c.meta_cache = build_meta(c)
    return c.meta_cache


@router.get("/search", summary="Areas whose name contains, or whose code starts with, the text — only areas the "
            "map can draw, one row per area; a postcode (1012 LG) or a street and house number gives the buurt it "
            "lies in when the store holds an address table (``match`` says what was found)")
async def search(request: Request, q: Annotated[str, Query(min_length=1, max_length=60)],
                 version: Annotated[str | None, Query(pattern=VERSION)] = None,
                 prefer: Annotated[str | None, Query(pattern=VERSION, description="Version to show an area in "
                                                                                  "when several hold it")] = None,
                 c: Context = Depends(ctx)) -> dict:
    def build():
        drawable = {(v["id"], lv["level"]) for v in meta_dict(c)["versions"] for lv in v["levels"] if lv["geometry"]}
        hits = [h for h in _search(c.catalog, q, version, limit=200) if (h["geo_version"], h["level"]) in drawable]
        # one row per area: the preferred version when it holds the area, else the latest that does
        best: dict = {}
        for h in hits:
            key = (h["code"], h["level"])
            cur = best.get(key)
            if cur is None or (h["geo_version"] == prefer) > (cur["geo_version"] == prefer) or \
                    ((h["geo_version"] == prefer) == (cur["geo_version"] == prefer) and h["geo_version"] > cur["geo_version"]):
                best[key] = h
        out = [h for h in hits if best.get((h["code"], h["level"])) is h]
        # a postcode (1012 LG) or a street with a house number: the buurt it lies in, first
        out = (address_search(c.catalog, q, drawable) + out)[:20]
        for h in out:
            h["bounds"] = c.geometry.bounds(h["geo_version"], h["level"], [h["code"]])
        return {"q": q, "results": out}
    return await cached(c, ("search", q.strip().lower(), version, prefer), build, request)
