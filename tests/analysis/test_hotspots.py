"""Hot spots: a planted cluster on the national geometry, FDR, and a hand case on a 4×4 grid."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box
from statsmodels.stats.multitest import multipletests

from tests.analysis.conftest import store_from
from veerkracht.analysis import get_analysis
from veerkracht.analysis._spatial import weights
from veerkracht.analysis.hotspots import bh_qvalues, run


@pytest.fixture(scope="module")
def planted(national_buurten):
    """N(0,1) everywhere; +4 in the buurten within 12 km of Utrecht centre (2018); change 2012→2018 idem."""
    rd = national_buurten.to_crs(28992).geometry.centroid
    dist = np.hypot(rd.x - 136_000, rd.y - 456_000)
    inside = (dist < 12_000).to_numpy()
    rng = np.random.default_rng(71)
    n = len(national_buurten)
    v = rng.normal(0, 1, n) + 4 * inside
    facts = pd.concat([pd.DataFrame({"geo_version": "cbs2019", "code": national_buurten["code"], "year": y,
                                     "indicator": "lbm_onv", "value": val, "source": "planted"})
                       for y, val in ((2012, 0.0), (2018, v))])
    return store_from(national_buurten, facts), dist.to_numpy(), inside


@pytest.mark.slow
def test_planted_cluster_found_and_nothing_far_away(planted, national_buurten):
    store, dist, inside = planted
    res = run(store, indicator="lbm_onv", permutations=999, seed=1)
    t = res.table.set_index("code").loc[national_buurten["code"]]
    hh = (t["class"] == "HH").to_numpy()
    assert inside.sum() > 250
    # the core (more than 3 km inside the edge) is found, nearly all of it
    core = dist < 9_000
    assert hh[core].mean() > 0.95
    # no HH far away at the FDR level, and an FDR of 5% among all HH at most
    assert not hh[dist > 30_000].any()
    assert (hh & ~inside).sum() <= 0.05 * hh.sum()
    # q-values are Benjamini–Hochberg (statsmodels as an independent implementation)
    assert np.allclose(t["q"], multipletests(t["p"], method="fdr_bh")[1])
    assert (t.loc[t["class"] != "ns", "q"] <= 0.05).all()
    W = weights(store, "cbs2019", national_buurten["code"]).sparse        # row-standardised: S0 = n
    zz = t["value"].to_numpy() - t["value"].mean()
    assert res.summary["moran_global"] == pytest.approx(zz @ (W @ zz) / (zz @ zz)) and res.summary["moran_global"] > 0.2
    assert t.loc[hh, "favourable"].all()                   # lbm_onv: higher is better
    # the same cluster in the change 2012 → 2018
    ch = run(store, indicator="lbm_onv", measure="change", permutations=999, seed=2).table.set_index("code")
    assert (ch.loc[national_buurten["code"][core], "class"] == "HH").mean() > 0.9
    assert ch.loc[national_buurten["code"][dist > 30_000], "class"].ne("HH").all()
    # 199 permutations: p ≥ 0.005, so BH needs ≥ 1,360 areas at that floor — the cluster is too small
    few = run(store, indicator="lbm_onv", permutations=199, seed=2)
    assert (few.table["class"] == "ns").all() and any("1360" in n for n in few.note_texts("nl"))
    assert len(res.layer()) == 13594


def test_hand_case_grid():
    """4×4 squares; the 2×2 top-left block is high. Queen weights and I_i by the textbook formula."""
    codes = [f"BU00010{r}{col}0" for r in range(4) for col in range(4)]
    xs, ys = [5.0, 5.01, 5.02, 5.03, 5.04], [52.04, 52.03, 52.02, 52.01, 52.0]     # shared vertices exactly
    geoms = [box(xs[col], ys[r + 1], xs[col + 1], ys[r]) for r in range(4) for col in range(4)]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": "GM0001", "wk_code": "WK000100"}, geometry=geoms, crs=4326)
    y = np.array([9, 8, 1, 0,
                  7, 9, 0, 1,
                  1, 0, 1, 0,
                  0, 1, 0, 2], float)
    facts = pd.DataFrame({"geo_version": "cbs2019", "code": codes, "year": 2018, "indicator": "lbm_onv",
                          "value": y, "source": "hand"})
    store = store_from(areas, facts)
    g = weights(store, "cbs2019", codes)
    card = g.cardinalities.reindex(codes).to_numpy()
    assert card.tolist() == [3, 5, 5, 3, 5, 8, 8, 5, 5, 8, 8, 5, 3, 5, 5, 3]
    W = g.sparse.toarray()
    z = y - y.mean()
    expect = (len(y) - 1) * z * (W @ z) / (z @ z)
    res = get_analysis("hotspots")(store, indicator="lbm_onv", permutations=999, seed=0, alpha=0.10)
    t = res.table.set_index("code").loc[codes]
    assert np.allclose(t["local_i"], expect)
    # quadrants: the top-left block is high among high
    assert t["class"].iloc[[0, 1, 4, 5]].isin(["HH", "ns"]).all() and (t["class"].iloc[[0, 1, 4, 5]] == "HH").any()
    # BH by hand: sorted 0.01, 0.03, 0.04, 0.5 → ×4/rank 0.04, 0.06, 0.0533, 0.5 → running min from the top
    assert bh_qvalues(np.array([0.01, 0.04, 0.03, 0.5])).tolist() == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])
    assert res.figure().axes[0].get_ylabel() == "gebieden"


def test_ten_areas_are_enough():
    """2×5 squares (the minimum of ten areas): local Moran's I by the textbook formula, high end found."""
    codes = [f"BU00010{r}{col}0" for r in range(2) for col in range(5)]
    xs, ys = [5.0 + i * 0.01 for i in range(6)], [52.02, 52.01, 52.0]
    geoms = [box(xs[col], ys[r + 1], xs[col + 1], ys[r]) for r in range(2) for col in range(5)]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": "GM0001", "wk_code": "WK000100"}, geometry=geoms, crs=4326)
    y = np.array([9, 8, 2, 0, 1,
                  8, 9, 1, 0, 2], float)
    facts = pd.DataFrame({"geo_version": "cbs2019", "code": codes, "year": 2018, "indicator": "lbm_onv",
                          "value": y, "source": "hand"})
    store = store_from(areas, facts)
    W = weights(store, "cbs2019", codes).sparse.toarray()
    z = y - y.mean()
    res = get_analysis("hotspots")(store, indicator="lbm_onv", permutations=99, seed=0)
    t = res.table.set_index("code").loc[codes]
    assert len(t) == 10 and np.allclose(t["local_i"], (len(y) - 1) * z * (W @ z) / (z @ z))
    assert t["local_i"].iloc[[0, 1, 5, 6]].gt(0).all()


def test_ten_source_units_are_enough():
    """20 buurten (2 × 10) carrying the values of 10 units (horizontal pairs, spread): the test runs
    on exactly ten units, and every buurt shows its unit's local I."""
    from tests.analysis.planted import spread_support
    codes = [f"BU00010{r}{col:02d}" for r in range(2) for col in range(10)]
    xs, ys = [5.0 + i * 0.01 for i in range(11)], [52.02, 52.01, 52.0]
    geoms = [box(xs[col], ys[r + 1], xs[col + 1], ys[r]) for r in range(2) for col in range(10)]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": "GM0001", "wk_code": "WK000100"}, geometry=geoms, crs=4326)
    unit = pd.Series([f"U{r}{col // 2}" for r in range(2) for col in range(10)], index=codes)
    uval = {f"U{r}{k}": v for r, row in enumerate(([9, 8, 1, 0, 2], [8, 9, 0, 1, 1])) for k, v in enumerate(row)}
    facts = pd.DataFrame({"geo_version": "cbs2019", "code": codes, "year": 2018, "indicator": "lbm_onv",
                          "value": [float(uval[u]) for u in unit], "source": "hand", "origin_version": "lbm3-2022"})
    store = store_from(areas, facts)
    spread_support(store, areas, unit)
    res = get_analysis("hotspots")(store, indicator="lbm_onv", permutations=99, seed=0)
    t = res.table.set_index("code").loc[codes]
    assert len(t) == 20 and t.groupby(unit.to_numpy())["local_i"].nunique().eq(1).all()
    assert t.loc[unit.isin(["U00", "U10"]).to_numpy(), "local_i"].gt(0).all()
