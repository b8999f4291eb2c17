"""Reader ``geometry``: area boundaries from GeoJSON (.gz), TopoJSON, GeoPackage or shapefile.

Every geometry is stored in EPSG:4326. Invalid polygons are repaired (``shapely.make_valid``,
polygonal parts kept) and reported in ``batch.warnings``; null or empty geometries and duplicate
codes are errors naming the feature number.
"""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from ..errors import InputError
from ..store.base import Batch, Provenance
from ._codes import infer_level, normalise_codes, parent_codes
from ._topojson import decode_object
from .base import checksum, decode_text, read_bytes, reader

__all__ = ["read_geometry", "load_geodataframe", "repair_polygons", "check_in_netherlands", "CODE_COLUMNS",
           "NAME_COLUMNS", "NL_BOUNDS"]

# searched in this order (case-insensitive): the finest level first
CODE_COLUMNS = ["code", "statcode", "bu_code", "cbs_buurtcode", "buurtcode", "buurt_code", "wk_code",
                "cbs_wijkcode", "wijkcode", "wijk_code", "gm_code", "gemeentecode", "gwb_code_10",
                "gwb_code", "pc4", "pc6", "postcode"]
NAME_COLUMNS = ["name", "statnaam", "bu_naam", "buurtnaam", "buurt", "wk_naam", "wijknaam", "gm_naam",
                "gemeentenaam", "naam", "regio"]
_PARENT_COLUMNS = {"gm_code": ["gm_code", "gemeentecode"], "wk_code": ["wk_code", "wijkcode"]}
_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


def _suffixes(path: Path) -> list[str]:
    return [s.lower() for s in path.suffixes if s.lower() != ".gz"]


def _json_error(path: Path, text: str, exc: Exception) -> InputError:
    """An InputError for unreadable JSON naming the feature in which parsing broke off."""
    try:
        json.loads(text)
    except json.JSONDecodeError as jexc:
        feature = len(re.findall(r'"type"\s*:\s*"Feature"', text[: jexc.pos]))
        return InputError(path, f"not valid JSON (truncated or damaged) at line {jexc.lineno}, "
                                f"character {jexc.colno}: {jexc.msg}", row=max(feature, 1))
    return InputError(path, f"cannot read as GeoJSON: {exc}")


def load_geodataframe(path: str | Path, layer: str | None = None, crs=None) -> tuple[gpd.GeoDataFrame, str]:
    """Read any supported vector file into a GeoDataFrame (any CRS) and the sha256 of its bytes.

    ``crs`` is used when the file does not say (shapefile without .prj, TopoJSON); without it
    RD New (EPSG:28992) is assumed for coordinates in metres and WGS84 otherwise.
    """
    path = Path(path)
    suffixes = _suffixes(path)
    if any(s in (".gpkg", ".shp", ".zip", ".fgb", ".parquet") for s in suffixes):
        if not path.exists():
            raise InputError(path, "file does not exist")
        try:
            gdf = pyogrio.read_dataframe(path, layer=layer)
        except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, …
            raise InputError(path, f"cannot read as a vector file: {exc}") from None
        data = path.read_bytes() if path.is_file() else b""
    else:
        data = read_bytes(path)
        head = data[:4096].decode("utf-8", errors="ignore")
        if ".topojson" in suffixes or re.search(r'"type"\s*:\s*"Topology"', head):
            text = decode_text(data, path)
            try:
                topo = json.loads(text)
            except json.JSONDecodeError as exc:
                raise _json_error(path, text, exc) from None
            try:
                geoms, props, _ = decode_object(topo, layer)
            except (ValueError, TypeError, KeyError, IndexError, shapely.errors.GEOSException) as exc:
                m = re.match(r"feature (\d+): (.*)", str(exc))
                raise InputError(path, m.group(2) if m else f"not a readable TopoJSON polygon layer: {exc}",
                                 row=int(m.group(1)) if m else None, column="geometry" if m else None) from None
            gdf = gpd.GeoDataFrame(pd.DataFrame(props), geometry=list(geoms))
        else:
            try:
                gdf = pyogrio.read_dataframe(io.BytesIO(data), layer=layer)
            except Exception as exc:
                raise _json_error(path, decode_text(data, path), exc) from None
    if crs is not None:            # the user's word wins over the file's (a GeoJSON always "says" WGS84)
        gdf = gdf.set_crs(crs, allow_override=True)
    elif gdf.crs is None:
        b = shapely.total_bounds(gdf.geometry.values)
        gdf = gdf.set_crs(28992 if np.isfinite(b).all() and np.abs(b).max() > 1000 else 4326)
    return gdf, checksum(data)


# the European Netherlands with its territorial sea, in degrees (lon, lat)
NL_BOUNDS = (2.5, 50.5, 7.6, 55.9)


def check_in_netherlands(raw: gpd.GeoDataFrame, wgs: gpd.GeoSeries, path, codes: pd.Series, fno) -> None:
    """Geometry outside the Netherlands (after reprojection) is an error naming the likely cause."""
    b = wgs.bounds.to_numpy()
    lo_x, lo_y, hi_x, hi_y = NL_BOUNDS
    out = ~((b[:, 0] >= lo_x) & (b[:, 2] <= hi_x) & (b[:, 1] >= lo_y) & (b[:, 3] <= hi_y))
    if not out.any():
        return
    i = int(np.argmax(out))
    rb = raw.geometry.iloc[i].bounds
    epsg = raw.crs.to_epsg() if raw.crs is not None else None
    degrees = all(-180 <= v <= 180 for v in rb[::2]) and all(-90 <= v <= 90 for v in rb[1::2])
    if epsg == 28992 and degrees:
        cause = "the coordinates are degrees but the file (or crs=) says RD New: pass crs=4326"
    elif degrees and lo_y <= rb[0] <= hi_y and lo_x <= rb[1] <= hi_x:
        cause = "latitude and longitude are swapped (x holds the latitude): fix the file's axis order"
    elif not degrees and epsg in (4326, None):
        cause = "the coordinates are metres but no CRS says so: pass crs=28992 (RD New) or the file's EPSG code"
    else:
        cause = f"is the CRS right (the file says {raw.crs.to_string() if raw.crs else 'nothing'})? pass crs="
    raise InputError(path, f"{int(out.sum())} feature(s) lie outside the Netherlands, e.g. {codes.iloc[i]} at "
                           f"lon/lat {b[i, 0]:.4g}, {b[i, 1]:.4g}: {cause}", row=int(fno[i]), column="geometry")


def _find_column(gdf, wanted: str | None, candidates: list[str], path, what: str) -> str | None:
    lower = {str(c).lower(): c for c in gdf.columns if c != gdf.geometry.name}
    if wanted is not None:
        if wanted in gdf.columns:
            return wanted
        if wanted.lower() in lower:
            return lower[wanted.lower()]
        raise InputError(path, f"{what} column is missing; the file has: {', '.join(map(str, lower.values()))}",
                         column=wanted)
    return next((lower[c] for c in candidates if c in lower), None)


def repair_polygons(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Make invalid polygons valid, keeping only their polygonal parts.

    Returns ``(geometries, repaired_mask)``.
    """
    geoms = np.asarray(geoms, dtype=object).copy()
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        fixed = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
        for i, g in enumerate(fixed):
            if shapely.get_type_id(g) not in _POLYGONAL:
                parts = shapely.get_parts(g)
                parts = parts[np.isin(shapely.get_type_id(parts), _POLYGONAL)]
                fixed[i] = shapely.union_all(parts) if len(parts) else shapely.Polygon()
        geoms[bad] = fixed
    return geoms, bad


@reader("geometry", help="Gebiedsgrenzen (GeoJSON, TopoJSON, GeoPackage, shapefile) van één geografie-versie")
def read_geometry(location, geo_version: str | None = None, level: str | None = None,
                  code_column: str | None = None, name_column: str | None = None,
                  layer: str | None = None, crs=None, on_duplicate: str = "error",
                  on_empty: str = "error") -> Batch:
    """Area boundaries of one geography version, stored in EPSG:4326.

    Parameters
    ----------
    location : path of a .geojson/.json (optionally .gz), .topojson, .gpkg, .shp or zipped shapefile.
    geo_version : the geography version id (required), e.g. ``cbs2019``.
    level : ``buurt``, ``wijk``, ``gemeente``, ``pc4`` …; default inferred from each code's prefix.
    code_column, name_column : default auto-detected (``statcode``, ``bu_code``, ``CBS_Buurtcode`` …).
    layer : layer (GeoPackage) or object (TopoJSON) to read; default the first.
    crs : the CRS of the coordinates (e.g. 28992 for RD New); overrides what the file says; default the
        file's CRS, else guessed (metres → RD New, else WGS84).
    on_duplicate : ``'error'`` (default) or ``'dissolve'``: union the features of a duplicated code
        and warn.
    on_empty : ``'error'`` (default) or ``'drop'``: leave out features with a null or empty
        geometry (e.g. a water-only wijk) and warn.

    Geometry outside the Netherlands after reprojection is an error that names the likely cause
    (degrees declared as RD New, swapped axes, metres without a CRS).

    Examples
    --------
    ``veerkracht ingest geometry buurten_2019.geojson --geo-version cbs2019 -o level=buurt -o crs=28992``
    """
    path = Path(location)
    if not geo_version:
        raise InputError(path, "option geo_version is required (e.g. geo_version='cbs2019')")
    for opt, val, allowed in (("on_duplicate", on_duplicate, ("error", "dissolve")),
                              ("on_empty", on_empty, ("error", "drop"))):
        if val not in allowed:
            raise InputError(path, f"{opt} must be one of {allowed}, not {val!r}")
    gdf, digest = load_geodataframe(path, layer=layer, crs=crs)
    if gdf.empty:
        raise InputError(path, "holds no features", row=1)
    code_col = _find_column(gdf, code_column, CODE_COLUMNS, path, "code")
    if code_column is None and code_col is not None and level is None:
        # prefer the first candidate whose values carry a level prefix (CBS_Buurtcode over Buurtcode)
        lower = {str(c).lower(): c for c in gdf.columns}
        for cand in (lower[c] for c in CODE_COLUMNS if c in lower):
            if infer_level(normalise_codes(gdf[cand].dropna())).notna().all():
                code_col = cand
                break
    if code_col is None:
        raise InputError(path, "no area code column found; pass code_column= (looked for "
                               f"{', '.join(CODE_COLUMNS)})", column="code")
    name_col = _find_column(gdf, name_column, NAME_COLUMNS, path, "name")
    warnings: list[str] = []

    geoms = gdf.geometry.values.to_numpy() if hasattr(gdf.geometry.values, "to_numpy") else np.asarray(gdf.geometry.values)
    fno = np.arange(1, len(gdf) + 1)             # feature numbers in the file, kept across drops
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any() and on_empty == "drop":
        dropped = [f"{i + 1} ({gdf[code_col].iloc[i]})" for i in np.flatnonzero(missing)]
        warnings.append(f"{len(dropped)} feature(s) without geometry left out: {', '.join(dropped)}")
        gdf, geoms, fno = gdf[~missing].reset_index(drop=True), geoms[~missing], fno[~missing]
    elif missing.any():
        i = int(np.argmax(missing))
        raise InputError(path, "feature has no geometry (null or empty)", row=int(fno[i]), column="geometry")
    type_ok = np.isin(shapely.get_type_id(geoms), _POLYGONAL)
    if not type_ok.all():
        i = int(np.argmax(~type_ok))
        raise InputError(path, f"geometry is a {geoms[i].geom_type}, expected Polygon or MultiPolygon",
                         row=int(fno[i]), column="geometry")

    raw_codes = gdf[code_col]
    nullcode = raw_codes.isna() | (raw_codes.astype("string").str.strip() == "")
    if nullcode.any():
        i = int(np.argmax(nullcode.to_numpy()))
        raise InputError(path, "feature has no area code", row=int(fno[i]), column=code_col)
    codes = normalise_codes(raw_codes, level)
    levels = pd.Series(level, index=gdf.index, dtype=object) if level else infer_level(codes)
    unknown = levels.isna().to_numpy()
    if unknown.any():
        i = int(np.argmax(unknown))
        raise InputError(path, f"cannot tell the level of code {codes.iloc[i]!r}; pass level=",
                         row=int(fno[i]), column=code_col)

    geoms, repaired = repair_polygons(geoms)
    if repaired.any():
        fixed_codes = codes[repaired].tolist()
        warnings.append(f"{len(fixed_codes)} invalid polygon(s) repaired with make_valid: "
                        + ", ".join(fixed_codes))
    vanished = shapely.is_empty(geoms)
    if vanished.any():
        i = int(np.argmax(vanished))
        raise InputError(path, "polygon has no area left after repair", row=int(fno[i]), column="geometry")

    gm, wk = parent_codes(codes)
    out = pd.DataFrame({"geo_version": geo_version, "code": codes, "level": levels,
                        "name": gdf[name_col].astype("string") if name_col else codes,
                        "gm_code": gm, "wk_code": wk})
    for target, cands in _PARENT_COLUMNS.items():
        col = _find_column(gdf, None, cands, path, target)
        if col is not None and col != code_col:
            given = normalise_codes(gdf[col], "gemeente" if target == "gm_code" else "wijk")
            ok = given.str.startswith(target[:2].upper()).fillna(False)  # not a bare 'AC' wijk letter
            out[target] = given.where(ok, out[target])
    areas = gpd.GeoDataFrame(out, geometry=geoms, crs=gdf.crs)

    dup = areas["code"].duplicated(keep=False).to_numpy()
    if dup.any():
        if on_duplicate == "error":
            second = int(np.flatnonzero(areas["code"].duplicated(keep="first").to_numpy())[0])
            first = int(np.flatnonzero((areas["code"] == areas["code"].iloc[second]).to_numpy())[0])
            raise InputError(path, f"duplicate code {areas['code'].iloc[second]} (first seen in feature "
                                   f"{fno[first]}); pass on_duplicate='dissolve' to merge them",
                             row=int(fno[second]), column=code_col)
        dup_codes = sorted(areas.loc[dup, "code"].unique())
        merged = areas[dup].groupby("code", sort=False).geometry.agg(lambda g: shapely.union_all(g.values))
        areas = areas.drop_duplicates("code", keep="first").copy()
        sel = areas["code"].isin(dup_codes)
        areas.loc[sel, "geometry"] = merged.reindex(areas.loc[sel, "code"]).values
        warnings.append(f"{len(dup_codes)} duplicated code(s) dissolved into one area: {', '.join(dup_codes)}")
    raw = areas
    if areas.crs.to_epsg() != 4326:
        areas = areas.to_crs(4326)
    if level not in ("grid",):
        check_in_netherlands(raw, areas.geometry, path, areas["code"], fno[:len(areas)] if not dup.any() else
                             np.arange(1, len(areas) + 1))
    areas = areas.reset_index(drop=True)
    options = {"geo_version": geo_version, "level": level, "code_column": code_col,
               "name_column": name_col, "layer": layer, "on_duplicate": on_duplicate,
               "on_empty": on_empty}
    prov = Provenance("geometry", str(location), digest, vintage=geo_version, options=options)
    return Batch(prov, areas=areas, warnings=warnings)
