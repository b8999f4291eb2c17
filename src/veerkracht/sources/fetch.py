"""Fetch clients of the public sources: each downloads through the cache and returns a :class:`Batch`.

The clients fetch; the readers of this package read. ``fetch_kwb`` hands the CBS OData answers to
the ``cbs-odata`` reader (through the cache's transport) or a downloaded KWB file to ``cbs-kwb``;
``fetch_geometry`` pages the PDOK OGC API (or downloads the GeoPackage) and hands the result to the
``geometry`` reader; Leefbaarometer zips go to ``leefbaarometer``. When a service changes its
answer — a layer renamed, the KWB measures gone — the error says what was expected and what the
service offers now.

Examples
--------
>>> from veerkracht.sources.download import DownloadCache
>>> from veerkracht.sources.fetch import fetch_kwb, fetch_geometry
>>> cache = DownloadCache("~/.cache/veerkracht")                       # doctest: +SKIP
>>> kwb = fetch_kwb(2023, cache, region=["GM0344"])                   # doctest: +SKIP
>>> buurten = fetch_geometry(2023, "buurt", cache, region=["GM0344"])  # doctest: +SKIP
"""
from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Callable

import pandas as pd
import pyogrio

from ..errors import InputError
from ..store.base import Batch
from .cbs_odata import ODataClient, read_odata
from .cbs_kwb import read_kwb
from .download import DownloadCache
from .geometry import read_geometry
from .grid_cbs import read_grid_cbs
from .lbm_grid import read_lbm_grid
from .leefbaarometer import read_leefbaarometer
from .public import KWB_API, LAYERS, Services, kwb_table

__all__ = ["fetch_kwb", "fetch_geometry", "fetch_pc4", "fetch_leefbaarometer", "fetch_grid_cbs", "restrict",
           "region_filter", "ogc_features"]

Progress = Callable[[int, "int | None"], None] | None


def _gm(codes: pd.Series) -> pd.Series:
    """The gemeente code of GM/WK/BU codes (``BU03440111`` → ``GM0344``); other codes give None."""
    s = codes.astype(str)
    return ("GM" + s.str[2:6]).where(s.str[:2].isin(["GM", "WK", "BU"]))


def restrict(batch: Batch, region: list[str] | None, keep_country: bool = True) -> Batch:
    """Keep only the areas and facts of the gemeenten in ``region`` (and ``NL01`` as the reference)."""
    if not region:
        return batch
    want = set(region)
    for attr in ("areas", "facts"):
        df = getattr(batch, attr)
        if df is not None and len(df):
            keep = _gm(df["code"]).isin(want) | (keep_country & df["code"].astype(str).str.startswith("NL"))
            setattr(batch, attr, df[keep.to_numpy()].reset_index(drop=True))
    batch.provenance.options = {**batch.provenance.options, "region": sorted(want)}
    return batch


def region_filter(region: list[str] | None, key: str = "WijkenEnBuurten") -> str | None:
    """An OData ``$filter`` for the gemeenten, their wijken and buurten (and the country)."""
    if not region:
        return None
    terms = [f"startswith({key},'{p}{gm[2:]}')" for gm in region for p in ("GM", "WK", "BU")]
    return " or ".join(terms + [f"startswith({key},'NL')"])


def fetch_kwb(year: int, cache: DownloadCache, services: Services = Services(), region: list[str] | None = None,
              via: str = "odata", api: str | None = None, progress: Progress = None) -> Batch:
    """The KWB edition ``year`` for the country or the gemeenten of ``region``.

    ``via='odata'`` asks the CBS OData API (v3 or v4 as :data:`KWB_API` says, or ``api``) for the
    table of ``year``, filtered on the region; ``via='download'`` fetches the published KWB file.
    """
    if via == "odata":
        api = api or KWB_API.get(int(year), "v3")
        table = kwb_table(year)
        batch = read_odata(f"cbs:{table}", api=api, base_url=services.odata_base(api), year=int(year),
                           filter=region_filter(region), progress=progress, transport=cache.transport(),
                           retries=cache.retries, backoff=cache.backoff)
        where = f"CBS OData {api} table {table}"
    elif via == "download":
        url = services.kwb_file(int(year))
        path = cache.download(url, progress=progress)
        batch = read_kwb(path, year=int(year))
        batch.provenance.location = url
        where = url
    else:
        raise InputError(f"kwb {year}", f"via must be 'odata' or 'download', not {via!r}")
    if batch.facts is None or batch.facts.empty:
        raise InputError(where, "the answer holds none of the KWB measures the registry reads (a_inw, "
                                "a_woning, p_wcorpw …): has CBS renamed them? " + "; ".join(batch.warnings[:3]))
    return restrict(batch, region)


def ogc_features(base: str, collection: str, cache: DownloadCache, params: dict | None = None,
                 progress: Progress = None) -> dict:
    """All features of one OGC API Features collection, following ``rel=next`` links page by page.

    The collection list is asked first, so a renamed layer is an error that names what is offered.
    """
    client = ODataClient(transport=cache.transport(), retries=cache.retries, backoff=cache.backoff)
    try:
        listing = client.get_json(f"{base}/collections", {"f": "json"})
        offered = [c.get("id") for c in listing.get("collections", [])]
        if collection not in offered:
            raise InputError(f"{base}/collections", f"layer {collection!r} is not offered (renamed?); the service "
                                                    f"offers: {', '.join(map(str, offered)) or 'nothing'}")
        url, query = f"{base}/collections/{collection}/items", {"f": "json", "limit": 1000, **(params or {})}
        features: list = []
        while url:
            doc = client.get_json(url, query)
            if not isinstance(doc.get("features"), list):
                raise InputError(url, "answer is not a GeoJSON FeatureCollection (no 'features' list)")
            features += doc["features"]
            if progress:
                progress(len(features), doc.get("numberMatched"))
            nxt = next((l_["href"] for l_ in doc.get("links", []) if l_.get("rel") == "next"), None)
            url, query = nxt, None
    finally:
        client.close()
    return {"type": "FeatureCollection", "features": features}


def _geo_file(cache: DownloadCache, key: str, doc: dict) -> Path:
    path = cache.root / "files" / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', key)}.geojson"
    path.write_text(json.dumps(doc))
    return path


def fetch_geometry(year: int, level: str, cache: DownloadCache, services: Services = Services(),
                   region: list[str] | None = None, via: str = "ogcapi", geo_version: str | None = None,
                   progress: Progress = None) -> Batch:
    """The CBS wijk- en buurtkaart of ``year`` at ``level`` (buurt, wijk or gemeente), as ``cbs<year>``.

    ``via='ogcapi'`` pages the PDOK OGC API (filtered per gemeente when ``region`` is given);
    ``via='gpkg'`` downloads the national GeoPackage once and reads the layer.
    """
    if level not in LAYERS:
        raise InputError(f"geometry {year}", f"level must be one of {', '.join(LAYERS)}, not {level!r}")
    geo_version = geo_version or f"cbs{year}"
    layer = LAYERS[level]
    if via == "ogcapi":
        base = services.ogc_api(int(year))
        feats: list = []
        for gm in (region or [None]):
            doc = ogc_features(base, layer, cache, {"gemeentecode": gm} if gm else None, progress)
            feats += doc["features"]
        if not feats:
            raise InputError(f"{base}/collections/{layer}/items", f"no {layer} for {', '.join(region or ['NL'])}")
        path = _geo_file(cache, f"{year}-{layer}-{'-'.join(region or ['NL'])}",
                         {"type": "FeatureCollection", "features": feats})
        location = f"{base}/collections/{layer}/items"
    elif via == "gpkg":
        location = services.geopackage(int(year))
        path = cache.download(location, progress=progress)
        layers = [str(n) for n, _ in pyogrio.list_layers(path)]
        if layer not in layers:
            raise InputError(location, f"layer {layer!r} is not in the GeoPackage (renamed?); it holds: "
                                       f"{', '.join(layers)}")
    else:
        raise InputError(f"geometry {year}", f"via must be 'ogcapi' or 'gpkg', not {via!r}")
    batch = read_geometry(path, geo_version=geo_version, level=level, layer=layer if via == "gpkg" else None,
                          on_duplicate="dissolve", on_empty="drop")
    batch.provenance.location = location
    return restrict(batch, region)


def _unzip(zip_path: Path, pattern: str, what: str) -> Path:
    """Extract the first member whose name matches ``pattern`` (case-insensitive) beside the zip."""
    with zipfile.ZipFile(zip_path) as z:
        names = [n for n in z.namelist() if re.search(pattern, n, re.I) and not n.endswith("/")]
        if not names:
            raise InputError(zip_path, f"no {what} in the zip (looked for {pattern!r}); it holds: "
                                       f"{', '.join(z.namelist()[:12])}")
        out = zip_path.with_name(zip_path.name + ".d")
        return Path(z.extract(sorted(names)[0], out))


def fetch_pc4(year: int, cache: DownloadCache, services: Services = Services(), geo_version: str | None = None,
              progress: Progress = None) -> Batch:
    """CBS postcode-4 areas of ``year`` (the zipped GeoPackage), as level ``pc4``."""
    url = services.pc4_zip(int(year))
    gpkg = _unzip(cache.download(url, progress=progress), r"pc4.*\.gpkg$", "PC4 GeoPackage")
    batch = read_geometry(gpkg, geo_version=geo_version or f"pc4-{year}", level="pc4", code_column="postcode",
                          on_empty="drop")
    batch.provenance.location = url
    return batch


def fetch_leefbaarometer(year: int, cache: DownloadCache, services: Services = Services(), level: str = "pc4",
                         geo_version: str | None = None, progress: Progress = None) -> Batch:
    """Leefbaarometer 3.x scores of the meting ``year`` at ``level`` (pc4, buurt, wijk, gemeente, grid)."""
    names = {"pc4": r"pc4|postcode", "buurt": r"buurt", "wijk": r"wijk", "gemeente": r"gemeente",
             "grid": r"grid|100m"}
    if level not in names:
        raise InputError(f"leefbaarometer {year}", f"level must be one of {', '.join(names)}")
    url = services.leefbaarometer_zip(int(year))
    member = _unzip(cache.download(url, progress=progress), rf"({names[level]}).*\.csv$", f"{level} score table")
    if level == "grid":       # 100 m cells named by their CBS ids: the grid reader, version grid100
        batch = read_lbm_grid(member)
    else:
        batch = read_leefbaarometer(member, geo_version=geo_version or f"lbm3-{year}", level=level)
    batch.provenance.location = f"{url}!{member.name}"
    return batch


def fetch_grid_cbs(year: int, cache: DownloadCache, services: Services = Services(), resolution: int = 100,
                   release: str = "v1", progress: Progress = None) -> Batch:
    """CBS grid statistics of ``year`` (100 m or 500 m cells: residents, households, dwellings, corporation
    dwellings) from the zipped GeoPackage, as facts on ``grid100``/``grid500`` (cells from their ids)."""
    if int(resolution) not in (100, 500):
        raise InputError(f"grid {year}", f"resolution must be 100 or 500, not {resolution}")
    url = services.grid_zip(int(year), int(resolution), release)
    member = _unzip(cache.download(url, progress=progress), rf"vk{int(resolution)}.*\.gpkg$",
                    f"CBS {resolution} m grid GeoPackage")
    batch = read_grid_cbs(member, year=int(year), resolution=int(resolution))
    batch.provenance.location = f"{url}!{member.name}"
    return batch
