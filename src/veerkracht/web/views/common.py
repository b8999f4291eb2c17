"""What every view needs: the app context, shared query parameters and JSON cleaning."""
from __future__ import annotations

import gzip
import json
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from fastapi import Query, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from ...maps.catalog import Catalog
from ..geometry import GeometryService
from ...maps.layers import AnalysisLayers
from ...maps.view import ViewParams, validate

__all__ = ["Context", "ctx", "view_params", "view_params_lazy", "LazyView", "CachedRoute", "values_key",
           "profile_key", "clean", "cached_json", "cached", "Lang", "VERSION", "LEVEL", "INDICATOR", "CODE"]

VERSION = r"^[A-Za-z0-9_.#-]{1,40}$"
LEVEL = r"^[a-z0-9]{1,12}$"
INDICATOR = r"^[a-z0-9_]{1,40}$"
CODE = r"^[A-Za-z0-9]{2,16}$"
Lang = Annotated[Literal["nl", "en"], Query(description="Language of labels: nl (default) or en")]


@dataclass
class Context:
    catalog: Catalog
    geometry: GeometryService
    layers: AnalysisLayers
    meta_cache: dict | None = None
    responses: OrderedDict = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    max_responses: int = 4096
    #: the response cache is bounded by its bytes too: a national buurt view is ~1 MB of JSON
    max_bytes: int = 48 * 2**20
    cached_bytes: int = 0


def _lookup(c: Context, key: tuple):
    with c.lock:    # held for a dict operation only, so it may be taken on the event loop
        hit = c.responses.get(key)
        if hit is not None:
            c.responses.move_to_end(key)
    return hit


def _encode(c: Context, key: tuple, build) -> tuple[bytes, bytes | None]:
    body = json.dumps(clean(build()), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    hit = (body, gzip.compress(body, 6) if len(body) > 1000 else None)
    size = _size(hit)
    with c.lock:
        old = c.responses.pop(key, None)
        c.cached_bytes += size - (_size(old) if old else 0)
        c.responses[key] = hit
        while c.responses and (len(c.responses) > c.max_responses or c.cached_bytes > c.max_bytes):
            _, gone = c.responses.popitem(last=False)
            c.cached_bytes -= _size(gone)
    return hit


def _size(hit: tuple[bytes, bytes | None]) -> int:
    return len(hit[0]) + (len(hit[1]) if hit[1] is not None else 0)


def _respond(hit, request: Request | None) -> Response:
    body, packed = hit
    if packed is not None and request is not None and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type="application/json",
                        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    return Response(body, media_type="application/json")


def cached_json(c: Context, key: tuple, build, request: Request | None = None) -> Response:
    """The JSON body of ``build()``, computed (and gzipped) once per key; the store is read-only."""
    return _respond(_lookup(c, key) or _encode(c, key, build), request)


async def cached(c: Context, key: tuple, build, request: Request | None = None) -> Response:
    """:func:`cached_json` for ``async`` endpoints: a hit is answered on the event loop (no thread
    hand-off, which under load cost more than the answer itself); a miss is built in the threadpool."""
    hit = _lookup(c, key)
    if hit is None:
        hit = await run_in_threadpool(_encode, c, key, build)
    return _respond(hit, request)


async def ctx(request: Request) -> Context:   # async: FastAPI would run a plain def in a thread
    return _pinned(request)


def _pinned(request: Request) -> Context:
    """The context this request was pinned to on arrival (``web.guard``), else the app's."""
    return getattr(request.state, "web", None) or request.app.state.web


# the view's query parameters, declared once for both dependencies below (and the OpenAPI schema)
QVersion = Annotated[str, Query(pattern=VERSION, description="Geography version, e.g. cbs2019")]
QLevel = Annotated[str, Query(pattern=LEVEL, description="gemeente, wijk, buurt or pc4")]
QIndicator = Annotated[str, Query(pattern=INDICATOR, description="Indicator id, e.g. corp_share")]
#: the map's modes: value, change and every registered analysis with a map layer (checked per request
#: against the registry by ``maps.view.validate``, so no list of modes is written here)
MODE = r"^[a-z][a-z0-9_-]{0,40}$"
QMode = Annotated[str, Query(pattern=MODE, description="What to colour: value, change or an analysis (see "
                                                        "/api/meta, 'modes')")]
QYear = Annotated[int | None, Query(ge=1900, le=2100)]
QYearFrom = Annotated[int | None, Query(ge=1900, le=2100, description="Start year of a change")]
QRegion = Annotated[str | None, Query(pattern=CODE, description="Gemeente or wijk code")]
QRef = Annotated[Literal["gemeente", "country"], Query(description="Reference of the relative view")]
QScheme = Annotated[Literal["quantiles", "fisher_jenks", "equal_interval"], Query()]
QK = Annotated[int, Query(ge=3, le=9, description="Number of classes")]


def view_params(request: Request, version: QVersion, level: QLevel, indicator: QIndicator, mode: QMode = "value",
                year: QYear = None, year_from: QYearFrom = None, region: QRegion = None, ref: QRef = "gemeente",
                scheme: QScheme = "quantiles", k: QK = 5) -> tuple[ViewParams, dict]:
    p = ViewParams(version=version, level=level, indicator=indicator, mode=mode, year=year,
                   year_from=year_from, region=region, ref=ref, scheme=scheme, k=k)
    return validate(_pinned(request).catalog, p)


async def view_params_lazy(request: Request, version: QVersion, level: QLevel, indicator: QIndicator,
                           mode: QMode = "value", year: QYear = None, year_from: QYearFrom = None,
                           region: QRegion = None, ref: QRef = "gemeente", scheme: QScheme = "quantiles",
                           k: QK = 5):
    """Like :func:`view_params` (same checks and schema) but validated against the store only when
    called, so a cached answer skips the look-ups. Its ``key`` names the view by the parameters
    it declares: a request with extra, unknown parameters (a cache-buster) is the same view."""
    return LazyView(lambda: view_params(request, version, level, indicator, mode, year, year_from, region, ref,
                                        scheme, k),
                    (version, level, indicator, mode, year, year_from, region or None, ref, scheme, k))


class LazyView:
    """A view's parameters, validated when called; ``key`` identifies the view."""

    __slots__ = ("_validate", "key")

    def __init__(self, validate_, key: tuple):
        self._validate, self.key = validate_, key

    def __call__(self):
        return self._validate()


def clean(obj):
    """JSON-safe copy: NaN/NA → None, numpy scalars → Python."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return None if not math.isfinite(float(obj)) else round(float(obj), 6)
    if obj is pd.NA or obj is None:
        return None
    try:
        if pd.isna(obj):
            return None
    except (TypeError, ValueError):
        pass
    return obj


_INT = re.compile(r"^[0-9]{1,4}$")


def _int(raw: str | None, default: int | None) -> int | None:
    """A query integer as FastAPI reads it, or :data:`_NO` when this fast path should not judge it."""
    if raw is None:
        return default
    return int(raw) if _INT.match(raw) else _NO      # type: ignore[return-value]


_NO = object()


def values_key(q) -> tuple | None:
    """The cache key :func:`view_params_lazy` would give the query ``q`` (``None``: let FastAPI read it)."""
    if not all(k in q for k in ("version", "level", "indicator")):
        return None
    year, year_from, k = _int(q.get("year"), None), _int(q.get("year_from"), None), _int(q.get("k"), 5)
    if _NO in (year, year_from, k):
        return None
    view = (q["version"], q["level"], q["indicator"], q.get("mode", "value"), year, year_from,
            q.get("region") or None, q.get("ref", "gemeente"), q.get("scheme", "quantiles"), k)
    return ("values", view, q.get("lang", "nl"))


def profile_key(request: Request) -> tuple | None:
    """The cache key of ``/api/profile/{version}/{code}`` (see ``areas.profile``)."""
    q, path = request.query_params, request.path_params
    year = _int(q.get("year"), None)
    if year is _NO or "version" not in path or "code" not in path:
        return None
    return ("profile", path["version"], path["code"], q.get("indicator"), year, q.get("lang", "nl"))


class CachedRoute(APIRoute):
    """A route that answers a request already in the response cache before FastAPI reads and
    validates its parameters (under load that reading cost more than the answer).

    Only keys of answers the endpoint itself built and cached can match, so a hit is exactly the
    answer the endpoint would give; anything else (a miss, an odd parameter) goes the normal way.
    The app's middleware (host check, gzip) runs around it as around every route.
    """

    KEYS = {"/api/values": lambda r: values_key(r.query_params), "/api/profile/{version}/{code}": profile_key}

    def get_route_handler(self):
        handler = super().get_route_handler()
        keyer = self.KEYS.get(self.path_format)
        if keyer is None:
            return handler

        async def fast(request: Request) -> Response:
            # the context this request is pinned to (a served snapshot), never the app's first one: after a
            # writer publishes, the old context's cached answers must not be served
            c = getattr(request.state, "web", None) or getattr(request.app.state, "web", None)
            key = keyer(request) if c is not None else None
            hit = _lookup(c, key) if key is not None else None
            return _respond(hit, request) if hit is not None else await handler(request)
        return fast
