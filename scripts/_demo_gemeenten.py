"""Gemeente geometry 2020 / 2022 / 2023 and the gemeente crosswalk 2022 → 2023 (part of ``build_demo_data.py``).

Which old code went into which new one is encoded in :data:`MERGES_2023` and *checked* against the data
in :func:`gemeente_crosswalk` (geometry for Weesp, wijk names and inhabitants for Voorne aan Zee).
"""
from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["MERGES_2023", "dissolve", "gemeente_crosswalk", "check_kwb_code_sets"]

SIMPLIFY_DEG = 0.0005

# 2022 code -> (2023 code, the fact and its source)
MERGES_2023 = {
    "GM0457": ("GM0363", "Weesp merged into Amsterdam on 24 March 2022 (Wet samenvoeging Amsterdam en Weesp; "
                         "CBS Gemeentelijke indeling 2023)"),
    "GM0501": ("GM1992", "Brielle, Hellevoetsluis and Westvoorne merged into Voorne aan Zee on 1 January 2023 "
                         "(CBS Gemeentelijke indeling 2023)"),
    "GM0530": ("GM1992", "Brielle, Hellevoetsluis and Westvoorne merged into Voorne aan Zee on 1 January 2023 "
                         "(CBS Gemeentelijke indeling 2023)"),
    "GM0614": ("GM1992", "Brielle, Hellevoetsluis and Westvoorne merged into Voorne aan Zee on 1 January 2023 "
                         "(CBS Gemeentelijke indeling 2023)"),
}


def dissolve(codes, geoms, simplify: float | None = SIMPLIFY_DEG) -> dict[str, shapely.Geometry]:
    """Union of ``geoms`` per code, lightly simplified, on a 1e-5° grid and valid."""
    codes, geoms = np.asarray(codes), shapely.make_valid(np.asarray(geoms))
    out = {}
    for c in sorted(set(codes)):
        g = shapely.union_all(geoms[codes == c])
        if simplify:
            g = shapely.simplify(g, simplify, preserve_topology=True)
        g = shapely.make_valid(shapely.set_precision(g, 1e-5))
        g = shapely.union_all([p for p in shapely.get_parts(g) if p.geom_type == "Polygon"])
        assert g.is_valid and not g.is_empty, c
        out[c] = g
    return out


def check_kwb_code_sets(kwb: pd.DataFrame) -> dict[str, set[str]]:
    """Gemeente codes per KWB year; 2023, 2024 and 2025 must be the same set (no crosswalk needed there)."""
    sets = {y: set(g.gwb_code) for y, g in kwb.groupby("year")}
    assert sets["2023"] == sets["2024"] == sets["2025"], "gemeente codes differ 2023–2025: add crosswalks"
    return sets


def _strip_wijk(name: str) -> str:
    return re.sub(r"^wijk \d+ ", "", name.strip().lower())


def gemeente_crosswalk(kwb: pd.DataFrame, gem2022: gpd.GeoDataFrame, ams2023: gpd.GeoDataFrame,
                       wijken2016: gpd.GeoDataFrame, wijk_list_2023: pd.DataFrame) -> pd.DataFrame:
    """``cbs2022 → cbs2023``: identity rows plus the merges, each checked on the data."""
    sets = check_kwb_code_sets(kwb)
    gone, new = sets["2022"] - sets["2023"], sets["2023"] - sets["2022"]
    assert gone == set(MERGES_2023), f"codes gone 2022→2023 {sorted(gone)} != curated {sorted(MERGES_2023)}"
    assert new <= {t for t, _ in MERGES_2023.values()}, f"new 2023 codes {sorted(new)} without a source"
    inw = kwb.set_index(["year", "gwb_code"]).a_inw.astype(int)
    rd22, rd_ams = gem2022.to_crs(28992), ams2023.to_crs(28992)
    rows = []
    for code in sorted(sets["2022"]):
        if code not in MERGES_2023:
            rows.append(("cbs2022", code, "cbs2023", code, "1", "area", "unchanged"))
            continue
        target, fact = MERGES_2023[code]
        if target in sets["2022"]:  # absorbed by an existing gemeente: check by geometry
            poly = rd22.loc[rd22.gm_code == code].geometry.iloc[0]
            share = shapely.intersection(poly, rd_ams.geometry.union_all()).area / poly.area
            assert target == "GM0363" and share > 0.95, f"{code}: {share:.3f} inside the Amsterdam 2023 buurten"
            check = (f"checked: {share:.1%} of the 2022 polygon lies in the 518 buurten of the Amsterdam 2022 "
                     f"indeling (amsterdam_buurten_2022_geo)")
        else:  # a new code: its 2023 wijk names must be the old gemeente's 2016 wijk names
            old = {_strip_wijk(n) for n in wijken2016.loc[wijken2016.gm_code == code, "wk_naam"]}
            by_gm = wijk_list_2023.groupby("GM_CODE").WK_NAAM.apply(lambda s: {_strip_wijk(n) for n in s})
            hits = by_gm.apply(lambda names, old=old: len(old & names))
            assert hits.idxmax() == target and hits.max() >= len(old) / 2, f"{code}: wijk names point to {hits.idxmax()}"
            members = [c for c, (t, _) in MERGES_2023.items() if t == target]
            before = sum(int(inw[("2022", c)]) for c in members)
            after = int(inw[("2023", target)])
            assert abs(after - before) / before < 0.05, f"{target}: inhabitants {before} → {after}"
            check = (f"checked: {hits.max()} of {len(old)} wijk names of 2016 recur in {target} (wijk list 2023); "
                     f"inhabitants KWB 2022 sum {before} vs KWB 2023 {after}")
        rows.append(("cbs2022", code, "cbs2023", target, "1", "area", f"full merge: {fact}; {check}"))
    out = pd.DataFrame(rows, columns=["from_version", "from_code", "to_version", "to_code", "weight", "basis",
                                      "note"])
    assert set(out.to_code) == sets["2023"], "the 2023 codes of the crosswalk differ from KWB 2023"
    return out
