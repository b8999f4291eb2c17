"""A planted world: a synthetic 100 m grid on the real Amsterdam buurten (2022 indeling), loaded as a user
would load it — CBS grid and Leefbaarometer grid files written in their layouts and read by the readers.

Corporation ownership is a smooth random field (streets of corporation stock beside owner-occupied
blocks, within one buurt); the Leefbaarometer change 2014 → 2022 is planted on the 200 m share ``s``:
``Δ = 0.04 − 0.004 · (s − 40)₊`` plus a buurt effect and cell noise, so the change bends at 40 % and
turns negative at exactly 50 %.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from veerkracht.geo.grid import cell_codes
from veerkracht.geo.grid_store import surroundings_facts
from veerkracht.sources import read

from .synthetic import write_cbs_grid_csv, write_lbm_grid_csv

__all__ = ["BREAK", "ZERO", "GEO", "build_world"]

BREAK, ZERO = 40.0, 50.0
GEO = "cbs2023"
BUURTEN = Path("amsterdam_buurten_2022_geo") / "amsterdam_buurten_indeling2022_wgs84.geojson.gz"


def planted_change(s):
    return 0.04 - 0.004 * np.clip(np.asarray(s, float) - BREAK, 0, None)


def _field(ix, iy, rng, sigma=2.5):
    """A smooth field in [0, 1] over the cells (white noise blurred over ~250 m, then ranked)."""
    from scipy.ndimage import gaussian_filter
    x0, y0 = ix.min(), iy.min()
    raster = rng.normal(size=(ix.max() - x0 + 1, iy.max() - y0 + 1))
    smooth = gaussian_filter(raster, sigma)[ix - x0, iy - y0]
    return (pd.Series(smooth).rank().to_numpy() - 0.5) / len(smooth)


def build_world(store, real_data: Path, tmp: Path, seed: int = 0, noise: float = 0.02, buurt_sd: float = 0.015):
    rng = np.random.default_rng(seed)
    geo = read("geometry", real_data / BUURTEN, geo_version=GEO)
    store.ingest(geo)
    b = geo.areas.to_crs(28992)
    x0, y0, x1, y1 = (np.floor(np.asarray(b.total_bounds) / 100)).astype(int)
    gx, gy = np.meshgrid(np.arange(x0, x1 + 1), np.arange(y0, y1 + 1), indexing="ij")
    gx, gy = gx.ravel(), gy.ravel()
    tree = shapely.STRtree(np.asarray(b.geometry.values))
    pi, bi = tree.query(shapely.points((gx + 0.5) * 100, (gy + 0.5) * 100), predicate="within")
    keep = pd.Series(bi).groupby(pi).min()
    ix, iy = gx[keep.index.to_numpy()], gy[keep.index.to_numpy()]
    buurt = b["code"].to_numpy()[keep.to_numpy()]
    n = len(ix)
    dwellings = rng.integers(8, 120, size=n).astype(float)
    p = np.clip(_field(ix, iy, rng) * 1.1 - 0.05, 0, 1)
    corp = rng.binomial(dwellings.astype(int), p).astype(float)
    codes = cell_codes(ix * 100, iy * 100)
    cbs = write_cbs_grid_csv(tmp / "cbs_vk100_2014.csv", ix * 100, iy * 100, dwellings, corp)
    store.ingest(read("grid-cbs", str(cbs), year=2014))
    cells = pd.DataFrame({"geo_version": "grid100", "code": codes, "year": 2014, "source": "t"})
    facts = pd.concat([cells.assign(indicator="dwellings", value=dwellings),
                       cells.assign(indicator="corp_dwellings", value=corp)])
    s = surroundings_facts(facts, "corp_dwellings", "dwellings", "corp_share_200m")["value"].to_numpy()
    bu_codes, bu_idx = np.unique(buurt, return_inverse=True)
    effect = rng.normal(0, buurt_sd, size=len(bu_codes))[bu_idx]
    base = rng.normal(0, 0.1, size=n)
    change = planted_change(s) + effect + rng.normal(0, noise, size=n)
    lbm = write_lbm_grid_csv(tmp / "Leefbaarometer-scores grids 2002-2022.csv", codes,
                             {2014: base, 2022: base + change}, rng)
    store.ingest(read("lbm-grid", str(lbm)))
    return {"codes": codes, "ix": ix, "iy": iy, "buurt": buurt, "dwellings": dwellings, "corp": corp,
            "share_200m": s, "change": change, "n": n}
