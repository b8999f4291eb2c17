"""The social map (*sociale kaart*): a read-only JSON API and a MapLibre front end over one store.

>>> app = create_app("demo-out/demo.duckdb")      # doctest: +SKIP
>>> serve("demo-out/demo.duckdb", port=8000)      # doctest: +SKIP

Everything is served by this process from the package: the JavaScript (MapLibre GL JS, vendored
from npm), styles and translations, and the API docs (Swagger UI, ReDoc, vendored the same way). The
page loads nothing from outside the app.
"""
from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from ..errors import VeerkrachtError
from ..maps.catalog import ViewError, Catalog
from .basemap import basemap_script, resolve_basemap
from .geometry import GeometryService
from ..maps.layers import AnalysisLayers
from .guard import Guard, allowed_hosts
from .live import LiveStore
from .views import ROUTERS
from .views.common import Context, ctx

__all__ = ["create_app", "serve", "STATIC_DIR"]

STATIC_DIR = Path(__file__).parent / "static"
log = logging.getLogger("veerkracht.web")


def create_app(store_path: str, warm: bool = True, live: bool = False, hosts: set[str] | None = None,
               basemap: str | None = None, auth=None) -> FastAPI:
    """The FastAPI app over the store at ``store_path`` (opened read-only).

    ``warm`` loads the geometry and the metadata at start-up, so the first page view is fast.
    ``live`` serves snapshots of the store that follow what writers publish, so the store can be
    written while it is served (decision 0007). ``hosts``: the ``Host`` header values answered
    (:func:`.guard.allowed_hosts`); None answers any. ``basemap``: ``none`` (default), ``pdok`` or a
    tile/style URL (:mod:`veerkracht.web.basemap`). ``auth``: an :class:`.auth.AuthConfig` (PostGIS store):
    every request logs in and is answered as its organisation's role; the default context reads public
    data only.
    """
    from ..store import open_store

    store_url = str(store_path)
    if auth is not None:
        from .auth import public_url
        store_path = public_url(store_url)

    def build(path: str) -> Context:
        store = open_store(str(path), read_only=True)
        catalog = Catalog(store)
        # a served snapshot: its worker processes share the analysis layers they draw (a folder beside it)
        shared = str(path) + ".layers" if live else None
        c = Context(catalog=catalog, geometry=GeometryService(catalog), layers=AnalysisLayers(catalog, shared=shared))
        if warm:
            _warm(c)
        return c

    live_store = LiveStore(str(store_path), build) if live else None
    context = live_store.current if live_store is not None else build(str(store_path))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        if live_store is not None:
            live_store.close()
        else:
            context.catalog.store.close()

    app = FastAPI(title="veerkracht — sociale kaart", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Read-only API of the social map: areas, indicator values (small numbers "
                              "suppressed), class breaks, analysis layers, profiles and exports.")
    app.state.web = context
    app.state.basemap = resolve_basemap(basemap)
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    if auth is not None:                                     # inside the guard: the Host check comes first
        from .auth import Auth
        app.add_middleware(Auth, url=store_url, build=build, config=auth)
    app.add_middleware(Guard, hosts=hosts, live=live_store)    # outermost: before anything else runs
    for router in ROUTERS:
        app.include_router(router)
    _error_handlers(app)
    _docs(app)

    @app.get("/", include_in_schema=False)
    def index(c: Context = Depends(ctx)):
        html = getattr(c, "index_html", None)
        if html is None:
            html = _index_html(c).replace("</head>", basemap_script(app.state.basemap) + "</head>", 1)
            c.index_html = html                       # type: ignore[attr-defined]
        return HTMLResponse(html, headers={"Cache-Control": "no-cache"})

    # StaticFiles resolves paths inside STATIC_DIR only (no traversal) and never lists directories
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def _docs(app: FastAPI) -> None:
    """``/docs`` and ``/redoc`` from the vendored Swagger UI and ReDoc: nothing loads from outside."""
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html

    icon = "/static/vendor/swagger-ui/favicon-32x32.png"

    @app.get("/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(openapi_url="/openapi.json", title=app.title + " — API",
                                   swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
                                   swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css", swagger_favicon_url=icon,
                                   swagger_ui_parameters={"validatorUrl": None})

    @app.get("/redoc", include_in_schema=False)
    def redoc():
        return get_redoc_html(openapi_url="/openapi.json", title=app.title + " — API", redoc_favicon_url=icon,
                              redoc_js_url="/static/vendor/redoc/redoc.standalone.js", with_google_fonts=False)


def _index_html(c: Context) -> str:
    """index.html with the metadata inlined and the default view's requests started in ``<head>``,
    while the browser still parses MapLibre: the first render does not wait for round trips.

    The URLs are built exactly as app.js builds them (an unmatched one is simply fetched again).
    """
    from urllib.parse import quote, urlencode

    from .views.meta import meta_dict

    meta = meta_dict(c)
    d, urls = meta.get("default") or {}, []
    if d:
        geo = {lv["level"] for v in meta["versions"] if v["id"] == d["version"] for lv in v["levels"] if lv["geometry"]}
        zoom = 12 if d["region"] else (10 if d["level"] == "buurt" else 8)
        outlines = [lv for lv in ("wijk", "gemeente") if lv in geo and lv != d["level"]
                    and (lv == "gemeente" or d["level"] == "buurt")]
        for lv in [d["level"], *outlines]:
            q = {"zoom": str(zoom), **({"region": d["region"]} if d["region"] else {})}
            urls.append(f"/api/geometry/{quote(d['version'])}/{quote(lv)}?{urlencode(q)}")
        q = {"version": d["version"], "level": d["level"], "indicator": d["indicator"], "mode": "value",
             "year": d["year"], "region": d["region"], "ref": "gemeente", "lang": "nl"}
        urls.append("/api/values?" + urlencode({k: v for k, v in q.items() if v not in (None, "")}))
    boot = json.dumps({"meta": meta, "early": urls}, ensure_ascii=False, separators=(",", ":"), default=str)
    labels = json.dumps(interface_labels(), ensure_ascii=False, separators=(",", ":"))
    script = ("<script>window.I18N=" + labels.replace("</", "<\\/") + ";window.BOOT=" + boot.replace("</", "<\\/")
              + ";if(location.search.length<=1)"
              "window.EARLY=new Map(BOOT.early.map(function(u){return [u,fetch(u)]}));</script>\n")
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    return html.replace("</head>", script + "</head>", 1)


def interface_labels() -> dict:
    """The map's interface words from the message catalogs (``web.*``), per language, for the page."""
    from ..i18n import LANGS, catalog
    return {lang: {k[4:]: v for k, v in catalog(lang).items() if k.startswith("web.")} for lang in LANGS}


def _warm(c: Context) -> None:
    """Compute what the first page view asks for: metadata, the default view and its outlines."""
    from ..maps.view import ViewParams, map_view, validate
    from .views.meta import meta_dict

    d = meta_dict(c)["default"]
    if not d:
        return
    try:
        p, ind = validate(c.catalog, ViewParams(version=d["version"], level=d["level"], indicator=d["indicator"],
                                                region=d["region"]))
        map_view(c.catalog, c.layers, p, ind)
        zoom = 12 if d["region"] else (10 if d["level"] == "buurt" else 8)
        for level in {d["level"], "wijk", "gemeente"} & set(c.catalog.levels(d["version"])):
            c.geometry.geojson_gz(d["version"], level, d["region"], zoom)
        # one profile builds the per-area indexes and reference series every later click reuses
        from .profile import area_profile
        first = c.catalog.region_areas(d["version"], d["level"], d["region"])["code"]
        if len(first):
            area_profile(c.catalog, c.layers, d["version"], first.iloc[0], d["indicator"], None)
    except (ViewError, VeerkrachtError) as exc:  # a store without drawable data still serves the page
        log.warning("warm-up skipped: %s", exc)


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ViewError)
    async def _api_error(request: Request, exc: ViewError):
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.exception_handler(VeerkrachtError)
    async def _domain_error(request: Request, exc: VeerkrachtError):
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        msgs = []
        for e in exc.errors():
            where = ".".join(str(p) for p in e.get("loc", ()) if p not in ("query", "path", "body"))
            msgs.append(f"{where}: {e.get('msg', 'invalid')}")
        return JSONResponse({"error": "invalid parameter — " + "; ".join(msgs)}, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # never a traceback to the client
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse({"error": "internal error; see the server log"}, status_code=500)


def serve(store_path: str, host: str = "127.0.0.1", port: int = 8000, allow_host: list[str] | tuple = (),
          basemap: str | None = None, auth=None) -> None:
    """Serve the social map on ``http://host:port/`` until interrupted.

    The map reads snapshots of the store, so the store can be written meanwhile; only requests whose
    ``Host`` is the address served on, localhost or one of ``allow_host`` are answered.
    """
    import uvicorn

    live = not str(store_path).startswith(("postgresql://", "postgres://"))   # a server database needs no snapshots
    app = create_app(store_path, live=live, hosts=allowed_hosts(host, port, allow_host), basemap=basemap, auth=auth)
    print(f"sociale kaart: http://{host}:{port}/  (Ctrl+C stops)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
