"""Exports of the current view: ``/api/export.csv``, ``/api/export.geojson`` and ``/api/print`` (PDF)."""
from __future__ import annotations

import base64
import gzip
import binascii
import io
import json
from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ...maps.catalog import ViewError
from ...maps.view import ViewParams, map_view, validate
from ..printing import check_png, render_pdf
from .common import CODE, INDICATOR, LEVEL, MODE, VERSION, Context, Lang, ctx, view_params

__all__ = ["router", "export_table"]

router = APIRouter(prefix="/api", tags=["export"])
_MAX_PNG = 20 * 1024 * 1024


def export_table(c: Context, vp, lang: str) -> tuple[pd.DataFrame, dict]:
    p, ind = vp
    v = map_view(c.catalog, c.layers, p, ind, lang)
    t = v.pop("table")
    cols = ["code", "name", "gm_code", "wk_code", "value", "cls", "status", "flags", "source"]
    cols += [x for x in ("value_from", "rule") if x in t]
    t = t[cols].rename(columns={"cls": "class"})
    t.insert(4, "indicator", p.indicator)
    t.insert(5, "mode", p.mode)
    t.insert(6, "year", p.year)
    if p.mode == "change":
        t.insert(7, "year_from", p.year_from)
    t["class"] = t["class"].where(t["status"].isin(["ok", "unreliable"]))
    return t, v


def _filename(p: ViewParams, ext: str) -> str:
    parts = [p.indicator, p.mode, p.level, p.region or p.version, str(p.year)]
    return "veerkracht_" + "_".join(parts) + "." + ext


@router.get("/export.csv", summary="The data of the current view as CSV (suppressed values left empty)",
            response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def export_csv(vp=Depends(view_params), lang: Lang = "nl", c: Context = Depends(ctx),
               excel: Annotated[bool, Query(description="For Dutch Excel: ';' between fields, a decimal comma "
                                                        "and a UTF-8 byte-order mark")] = False) -> Response:
    t, _ = export_table(c, vp, lang)
    if excel:
        body = "\ufeff" + t.to_csv(index=False, sep=";", decimal=",", float_format="%.6g")
    else:
        body = t.to_csv(index=False, float_format="%.6g")
    name = _filename(vp[0], "csv").replace(".csv", "_excel.csv" if excel else ".csv")
    return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/export.geojson", summary="The current view as GeoJSON (areas with value, class and status)",
            response_class=Response, responses={200: {"content": {"application/geo+json": {}}}})
def export_geojson(vp=Depends(view_params), lang: Lang = "nl", c: Context = Depends(ctx)) -> Response:
    p = vp[0]
    t, v = export_table(c, vp, lang)
    fc = json.loads(gzip.decompress(c.geometry.geojson_gz(p.version, p.level, p.region, 14)))
    rows = {r["code"]: r for r in json.loads(t.to_json(orient="records"))}
    feats = [dict(f, properties=rows[f["properties"]["code"]]) for f in fc["features"]
             if f["properties"]["code"] in rows]
    out = {"type": "FeatureCollection", "name": v["title"], "features": feats,
           "metadata": {"title": v["title"], "unit": v["unit"], "sources": v["sources"], "legend": v.get("legend", [])}}
    return Response(json.dumps(out, ensure_ascii=False).encode("utf-8"), media_type="application/geo+json",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(p, "geojson")}"'})


class PrintRequest(BaseModel):
    """The view to print and the map image (PNG data URL) the browser made of it."""

    version: str = Field(pattern=VERSION)
    level: str = Field(pattern=LEVEL)
    indicator: str = Field(pattern=INDICATOR)
    mode: str = Field("value", pattern=MODE)
    year: int | None = Field(None, ge=1900, le=2100)
    year_from: int | None = Field(None, ge=1900, le=2100)
    region: str | None = Field(None, pattern=CODE)
    ref: Literal["gemeente", "country"] = "gemeente"
    scheme: Literal["quantiles", "fisher_jenks", "equal_interval"] = "quantiles"
    k: int = Field(5, ge=3, le=9)
    lang: Literal["nl", "en"] = "nl"
    image: str = Field(max_length=_MAX_PNG * 4 // 3 + 100, description="data:image/png;base64,…")


def _png(data_url: str) -> bytes:
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise ViewError("image must be a PNG data URL (data:image/png;base64,…)")
    try:
        raw = base64.b64decode(data_url[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        raise ViewError("image is not valid base64") from None
    if not raw.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ViewError("image is not a PNG")
    check_png(raw)      # pixel size from the header, before anything decodes it
    from PIL import Image
    try:
        with Image.open(io.BytesIO(raw)) as im:
            im.verify()
    except Exception:
        raise ViewError("image is not a readable PNG") from None
    return raw


@router.post("/print", summary="A print-ready PDF page of the view: map, title, legend, source line",
             response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def print_pdf(req: PrintRequest, request: Request, c: Context = Depends(ctx)) -> Response:
    png = _png(req.image)
    fields = req.model_dump(exclude={"image", "lang"})
    p, ind = validate(c.catalog, ViewParams(**fields))
    v = map_view(c.catalog, c.layers, p, ind, req.lang)
    pdf = render_pdf(v, png, c.catalog.provenance, req.lang)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(p, "pdf")}"'})
