"""``/api/geometry`` (outlines per zoom, gzip) and ``/api/values`` (one map view with its legend)."""
from __future__ import annotations

import gzip
import math
from dataclasses import replace
from typing import Annotated

import numpy as np
import pandas as pd

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from ...maps.catalog import LRU
from ...maps.view import map_view
from starlette.concurrency import run_in_threadpool

from .common import CODE, LEVEL, VERSION, CachedRoute, Context, Lang, cached, clean, ctx, view_params_lazy

__all__ = ["router", "view_payload"]

router = APIRouter(prefix="/api", tags=["map"], route_class=CachedRoute)


@router.get("/geometry/{version}/{level}", summary="Area outlines (GeoJSON, gzip), simplified for a zoom level",
            response_class=Response, responses={200: {"content": {"application/geo+json": {}}}})
async def geometry(request: Request,
                   version: Annotated[str, Path(pattern=VERSION)], level: Annotated[str, Path(pattern=LEVEL)],
                   region: Annotated[str | None, Query(pattern=CODE, description="Gemeente or wijk code")] = None,
                   zoom: Annotated[float, Query(ge=0, le=22)] = 12, c: Context = Depends(ctx)) -> Response:
    c.catalog.check_version(version)
    c.catalog.check_level(version, level)
    body = c.geometry.peek(version, level, region, zoom)
    if body is None:        # simplify + encode in the threadpool, not on the event loop
        body = await run_in_threadpool(c.geometry.geojson_gz, version, level, region, zoom)
    headers = {"Cache-Control": "max-age=3600", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(body, media_type="application/geo+json", headers={**headers, "Content-Encoding": "gzip"})
    return Response(gzip.decompress(body), media_type="application/geo+json", headers=headers)


#: views whose answer the classes asked for (``k``, ``scheme``) do not change: changes (symmetric
#: breaks of their own) and analyses (classes or differences of the result)
_OWN_CLASSES = 256


def view_payload(c: Context, vp, lang: str) -> dict:
    """The answer of one view. A change or analysis view is built once per view whatever ``k`` and
    ``scheme`` ask (a bounded cache per served context): a user trying other classes or a language
    pays for the table once per analysis result, not per request."""
    p, ind = vp
    if p.mode == "value":
        return _payload(c, p, ind, lang)
    base = replace(p, k=5, scheme="quantiles")
    memo = c.catalog.memo(("view_payloads",), lambda: LRU(_OWN_CLASSES))
    out = memo.get_or_build((base, lang), lambda: _payload(c, base, ind, lang))
    return {**out, "params": {**out["params"], "k": p.k, "scheme": p.scheme}}


def _payload(c: Context, p, ind: dict, lang: str) -> dict:
    v = map_view(c.catalog, c.layers, p, ind, lang)
    t = v.pop("table")
    rules = t.set_index("code")["rule"].dropna().to_dict() if "rule" in t else {}
    counts = t["status"].value_counts().to_dict()
    out = clean({**v, "rules": rules, "counts": counts})
    out["areas"] = _areas(t)
    return out


def _areas(t) -> dict:
    """``{code: [value, class, status]}``, JSON-ready, built column-wise (the per-element
    :func:`clean` of every cell was the largest cost of a view that was not cached)."""
    codes, status = [str(c) for c in t["code"].tolist()], [str(s) for s in t["status"].tolist()]
    val = t["value"]
    if pd.api.types.is_numeric_dtype(val):
        num = val.to_numpy(dtype=float, na_value=np.nan)
        values = [None if not math.isfinite(x) else round(x, 6) for x in num.tolist()]
    else:
        values = clean(val.tolist())
    if "cls" not in t:
        cls = [None] * len(t)
    elif pd.api.types.is_integer_dtype(t["cls"]) and not t["cls"].isna().any():
        cls = t["cls"].astype(int).tolist()                 # class indices: plain ints already
    else:
        cls = clean(t["cls"].tolist())
    return {c: [v, k, st] for c, v, k, st in zip(codes, values, cls, status)}


@router.get("/values", summary="Values, classes and status per area for one view, with its legend")
async def values(request: Request, vp=Depends(view_params_lazy), lang: Lang = "nl",
                 c: Context = Depends(ctx)) -> dict:
    return await cached(c, ("values", vp.key, lang), lambda: view_payload(c, vp(), lang), request)
