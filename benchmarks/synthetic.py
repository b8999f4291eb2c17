"""A synthetic national panel on the real 13,594-buurt geometry, plus a redrawn second version.

One function, :func:`synthetic_panel`, for benchmarks and for tests that plant effects. Import it
from tests with ``sys.path.insert(0, str(ROOT / "benchmarks"))`` or ``importlib``.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["synthetic_panel", "NATIONAL_GEOMETRY"]

NATIONAL_GEOMETRY = (Path(__file__).resolve().parents[1] / "tests" / "data" / "real" / "geo_buurt_2019_nl"
                     / "buurten_2019_nl_wgs84_topo_simplified.geojson.gz")

# real registry ids first (kind, scale), then synthetic ones fill up to n_indicators
_REAL = [("corp_share", "rate", 100), ("low_income", "rate", 100), ("social_minimum", "rate", 100),
         ("bijstand", "rate", 1000), ("crime_rate", "rate", 1000), ("health_good", "rate", 100),
         ("dwellings", "count", 1), ("corp_dwellings", "count", 1), ("residents", "count", 1),
         ("households", "count", 1), ("lbm", "score", 1)]


def _strings(labels, codes) -> pd.Categorical:
    """A categorical ``labels[codes]``: a few bytes a row, however many rows (no string per row)."""
    labels = [str(x) for x in labels]
    dtype = np.int8 if len(labels) < 128 else np.int16 if len(labels) < 32768 else np.int32
    return pd.Categorical.from_codes(np.asarray(codes, dtype=dtype),
                                     dtype=pd.CategoricalDtype(pd.Index(labels, dtype="str")))


def _indicators(n: int) -> list[tuple[str, str, float]]:
    out = list(_REAL[:n])
    kinds = ["rate", "rate", "count", "score"]
    for i in range(len(out), n):
        k = kinds[i % 4]
        out.append((f"syn_{k}_{i:02d}", k, 100.0 if k == "rate" else 1.0))
    return out


def _redraw(areas: gpd.GeoDataFrame, n_merge: int, n_split: int, rng, version: str) -> gpd.GeoDataFrame:
    """Second version: ``n_merge`` neighbour pairs merged, ``n_split`` buurten cut through the centroid."""
    rd = np.asarray(areas.geometry.to_crs(28992).values, dtype=object)
    gm = areas["gm_code"].to_numpy()
    a, b = shapely.STRtree(rd).query(rd, predicate="touches")
    ok = (a < b) & (gm[a] == gm[b])
    a, b = a[ok], b[ok]
    used = np.zeros(len(rd), dtype=bool)
    new_codes, new_geoms, new_gm = [], [], []
    for k in rng.permutation(len(a)):
        if len(new_codes) >= n_merge:
            break
        i, j = a[k], b[k]
        if used[i] or used[j]:
            continue
        used[[i, j]] = True
        new_codes.append(f"BU{gm[i][2:]}M{len(new_codes):03d}")
        new_geoms.append(shapely.union(rd[i], rd[j]))
        new_gm.append(gm[i])
    free = np.flatnonzero(~used)
    for n, i in enumerate(rng.choice(free, size=min(n_split, len(free)), replace=False)):
        used[i] = True
        x0, y0, x1, y1 = shapely.bounds(rd[i])
        cx = shapely.get_x(shapely.centroid(rd[i]))
        for half, box in (("L", shapely.box(x0 - 1, y0 - 1, cx, y1 + 1)), ("R", shapely.box(cx, y0 - 1, x1 + 1, y1 + 1))):
            new_codes.append(f"BU{gm[i][2:]}{half}{n:03d}")
            new_geoms.append(shapely.intersection(rd[i], box))
            new_gm.append(gm[i])
    changed = gpd.GeoDataFrame({"code": new_codes, "gm_code": new_gm}, geometry=new_geoms, crs=28992).to_crs(4326)
    keep = areas[~used]
    out = pd.concat([keep[["code", "gm_code", "geometry"]], changed], ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=4326)
    out.insert(0, "geo_version", version)
    out["level"], out["name"], out["wk_code"] = "buurt", out["code"], None
    return out[["geo_version", "code", "level", "name", "gm_code", "wk_code", "geometry"]]


def synthetic_panel(n_years: int = 10, n_indicators: int = 40, seed: int = 0, first_year: int = 2013,
                    n_merge: int = 150, n_split: int = 150, areas: gpd.GeoDataFrame | None = None,
                    version: str = "cbs2019", version2: str = "syn2019b"):
    """A national panel with counts, rates (numerator + denominator) and scores, and a second geography.

    Parameters
    ----------
    n_years, n_indicators, seed, first_year : panel size and reproducibility.
    n_merge, n_split : how many neighbour pairs the second version merges and how many buurten it
        cuts in two (new codes for changed areas: ``BU0363M000``, ``BU0363L000``/``R000``).
    areas : the first geometry (default the real national 2019 buurten, read with the
        ``geometry`` reader).

    Returns
    -------
    (areas_v1, facts, areas_v2) : two areas GeoDataFrames (EPSG:4326) and a facts frame with
    :data:`FACT_COLUMNS`. ``facts.attrs['kinds']`` and ``facts.attrs['scales']`` give each
    indicator's kind and scale; ``facts.attrs['area_effect']`` the planted per-area effect
    (standard normal, index = code) that drives every rate and score.
    """
    rng = np.random.default_rng(seed)
    if areas is None:
        from veerkracht.sources import read
        areas = read("geometry", NATIONAL_GEOMETRY, geo_version=version).areas
    n_area = len(areas)
    inds = _indicators(n_indicators)
    years = np.arange(first_year, first_year + n_years)
    size = rng.lognormal(6.5, 0.9, n_area)                       # residents-ish
    effect = rng.standard_normal(n_area)
    trend = rng.normal(0, 0.03, (len(inds), 1))
    shape = (len(inds), n_area, n_years)                         # indicator-major, then area, then year
    num = np.full(shape, np.nan)
    den = np.full(shape, np.nan)
    val = np.empty(shape)
    t = (years - years[0])[None, :]
    for k, (_, kind, scale) in enumerate(inds):
        if kind == "rate":
            d = np.round(size[:, None] * rng.uniform(0.3, 0.6) * (1 + 0.01 * t))
            p = 1 / (1 + np.exp(-(-1.2 + 0.6 * effect[:, None] + trend[k] * t)))
            n = rng.binomial(d.astype(np.int64), np.clip(p * scale / 100 if scale > 100 else p, 0, 1))
            num[k], den[k] = n, d
            val[k] = np.where(d > 0, n / np.where(d > 0, d, 1) * scale, np.nan)
        elif kind == "count":
            val[k] = rng.poisson(size[:, None] * rng.uniform(0.1, 0.5) * (1 + trend[k] * t))
        else:
            val[k] = 0.5 * effect[:, None] + trend[k] * t + rng.normal(0, 0.2, (n_area, n_years))
    ii, aa, yy = (x.ravel() for x in np.indices(shape, dtype=np.int32))
    zero = np.zeros(ii.size, dtype=np.int8)
    facts = pd.DataFrame({
        "geo_version": _strings([version], zero),
        "code": _strings(areas["code"].to_numpy(), aa),
        "year": years.astype(np.int32)[yy],
        "indicator": _strings([i[0] for i in inds], ii),
        "numerator": num.ravel(), "denominator": den.ravel(), "value": val.ravel(),
        "source": _strings(["synthetic"], zero),
        "flags": _strings([""], zero),
        "origin_version": _strings([version], zero),
    }, copy=False)
    del num, den, val, ii, aa, yy, zero
    facts.attrs["kinds"] = {i[0]: i[1] for i in inds}
    facts.attrs["scales"] = {i[0]: float(i[2]) for i in inds}
    facts.attrs["area_effect"] = pd.Series(effect, index=areas["code"].to_numpy())
    areas_v2 = _redraw(areas, n_merge, n_split, rng, version2)
    return areas, facts, areas_v2
