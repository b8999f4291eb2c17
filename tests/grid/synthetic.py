"""Synthetic files in the layouts of the CBS grid statistics and the Leefbaarometer grid download.

Used by the grid tests and by ``benchmarks/bench_grid.py``; nothing here is real data. Cell ids are
written the way the publishers write them: ``crs28992res100m`` long ids or short ``E…N…`` ids.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from veerkracht.geo.grid import cell_codes

__all__ = ["LBM_YEARS", "long_ids", "write_cbs_grid_csv", "write_cbs_grid_gpkg", "write_lbm_grid_csv"]

LBM_YEARS = (2002, 2008, 2012, 2014, 2016, 2018, 2020, 2022)


def long_ids(x, y, res: int = 100) -> np.ndarray:
    """CBS's long id, ``crs28992res100mN436000E085900`` (north before east, metres)."""
    x = np.asarray(x, np.int64)
    y = np.asarray(y, np.int64)
    return np.char.add(np.char.add(f"crs28992res{res}mN", y.astype(str)),
                       np.char.add("E", np.char.zfill(x.astype(str), 6))).astype(object)


def _cbs_frame(x, y, dwellings, corp, residents=None, households=None, pct: bool = False,
               res: int = 100, short: bool = False) -> pd.DataFrame:
    ids = cell_codes(x, y) if short else long_ids(x, y, res)
    residents = np.round(np.asarray(dwellings) * 2.1) if residents is None else residents
    households = np.round(np.asarray(dwellings) * 0.95) if households is None else households
    df = pd.DataFrame({f"crs28992res{res}m": ids, "aantal_inwoners": residents,
                       "aantal_part_huishoudens": households, "aantal_woningen": dwellings})
    if pct:
        with np.errstate(all="ignore"):
            df["perc_huurwoningen_in_bezit_woningcorporaties"] = np.where(
                np.asarray(dwellings) > 0, np.round(np.asarray(corp) / np.asarray(dwellings) * 100), -99997)
    else:
        df["aantal_huurwoningen_in_bezit_woningcorporaties"] = corp
    return df


def write_cbs_grid_csv(path: Path, x, y, dwellings, corp, **kw) -> Path:
    """A CSV in the CBS grid layout (``-99997`` where a value is given as NaN: CBS's 'secret')."""
    df = _cbs_frame(x, y, dwellings, corp, **kw)
    num = df.columns[1:]
    df[num] = df[num].fillna(-99997)
    for c in num:
        df[c] = df[c].astype(np.int64)
    df.to_csv(path, index=False)
    return Path(path)


def write_cbs_grid_gpkg(path: Path, x, y, dwellings, corp, res: int = 100, **kw) -> Path:
    """A GeoPackage as CBS publishes it: the squares in RD New with the statistics as attributes."""
    import geopandas as gpd

    from veerkracht.geo.grid import cell_polygons
    df = _cbs_frame(x, y, dwellings, corp, res=res, **kw)
    num = df.columns[1:]
    df[num] = df[num].fillna(-99997).astype(np.int64)
    gdf = gpd.GeoDataFrame(df, geometry=cell_polygons(x, y, res, crs=28992), crs="EPSG:28992")
    gdf.to_file(path, layer=f"vierkant_{res}m", driver="GPKG")
    return Path(path)


def write_lbm_grid_csv(path: Path, ids, scores: dict[int, np.ndarray], rng=None) -> Path:
    """``grid_id, jaar, lbm, afw, fys, onv, soc, vrz, won`` as in "Leefbaarometer-scores grids 2002-2022.csv":
    ``scores[year]`` is ``afw`` per cell; ``lbm`` = 4.1 + afw; dimensions NA before 2014 and otherwise
    small values that sum to ``afw`` (as the model's dimensions do)."""
    rng = np.random.default_rng(0) if rng is None else rng
    frames = []
    ids = np.asarray(ids, dtype=object)
    for year in sorted(scores):
        afw = np.asarray(scores[year], float)
        d = {"grid_id": ids, "jaar": year, "lbm": np.round(4.1 + afw, 6), "afw": np.round(afw, 6)}
        if year >= 2014:
            parts = rng.dirichlet(np.ones(5), size=len(ids)) * afw[:, None]
            for k, name in enumerate(("fys", "onv", "soc", "vrz", "won")):
                d[name] = np.round(parts[:, k], 6)
        else:
            for name in ("fys", "onv", "soc", "vrz", "won"):
                d[name] = np.nan
        frames.append(pd.DataFrame(d))
    pd.concat(frames, ignore_index=True).to_csv(path, index=False, na_rep="NA")
    return Path(path)
