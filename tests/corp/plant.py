"""Plant a synthetic corporation portfolio on the demo's Amsterdam buurten (used by several tests)."""
from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from veerkracht.analysis import get_analysis
from veerkracht.store import open_store

__all__ = ["copy_store", "plant_portfolio"]


def copy_store(demo_store, folder: Path) -> Path:
    """A private copy of the session's demo store (which must stay without private data)."""
    demo_store.con.execute("CHECKPOINT")
    path = folder / "copy.duckdb"
    shutil.copy(demo_store.path, path)
    return path


def plant_portfolio(store_path: Path, folder: Path, n: int = 120, seed: int = 7) -> tuple[Path, pd.DataFrame]:
    """A CSV of ``n`` complexes in random buurten of cbs2019 and the plan (complex, dwellings, buurt, wijk,
    the wijk's default typology class and watch flag). A third is given by buurt code, a third by RD
    coordinates, a third by WGS84 degrees; two more rows cannot be located (rows n+2 and n+3)."""
    store = open_store(str(store_path), read_only=True)
    try:
        typ = get_analysis("typology")(store)
        buurten = store.areas(geo_version="cbs2019", level="buurt")
    finally:
        store.close()
    cls = typ.table.set_index("code")
    rng = np.random.default_rng(seed)
    pick = buurten.sample(n, random_state=seed)
    pts = pick.geometry.representative_point()
    rd = gpd.GeoSeries(pts, crs=4326).to_crs(28992)
    dwell = rng.integers(1, 60, size=n)
    plan = pd.DataFrame({"complex": [f"C{k:03d}" for k in range(n)], "dwellings": dwell,
                         "buurt": pick["code"].to_numpy(), "wijk": pick["wk_code"].to_numpy()})
    plan["class"] = plan["wijk"].map(cls["class"]).fillna("unknown")
    plan["watch"] = plan["wijk"].map(cls["watch"]).fillna(False).astype(bool)
    third = n // 3
    x = [("" if i < third else f"{rd.x.iloc[i]:.1f}" if i < 2 * third else f"{pts.x.iloc[i]:.6f}") for i in range(n)]
    y = [("" if i < third else f"{rd.y.iloc[i]:.1f}" if i < 2 * third else f"{pts.y.iloc[i]:.6f}") for i in range(n)]
    out = pd.DataFrame({"VHE": [f"V{i}" for i in range(n)], "Complexnummer": plan["complex"], "Aantal": dwell,
                        "Buurtcode": [c if i < third else "" for i, c in enumerate(plan["buurt"])], "X": x, "Y": y})
    out.loc[len(out)] = ["V900", "C900", 12, "BU99999999", "", ""]        # a code of no version
    out.loc[len(out)] = ["V901", "C901", 15, "", "90000.0", "560000.0"]   # RD, in the North Sea
    path = folder / "bezit.csv"
    out.to_csv(path, index=False, sep=";")
    return path, plan
