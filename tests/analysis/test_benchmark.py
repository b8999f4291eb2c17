"""Benchmark: planted gap growth in some gemeenten on the national geometry, and a hand case."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from tests.analysis.conftest import store_from
from tests.analysis.planted import make_panel, plant_rate, planted_store
from veerkracht.analysis import corp_profile, get_analysis
from veerkracht.analysis.benchmark import _trend_replicates, run


@pytest.fixture(scope="module")
def planted(national_buurten):
    """bijstand = 2% + slope·share; the slope doubles 2012→2018 in the 40 gemeenten with most buurten."""
    pan = make_panel(national_buurten, [2012, 2018], seed=81)
    big = national_buurten["gm_code"].value_counts().index[:40]
    up = pan["gm_code"].isin(big) & (pan["year"] == 2018)
    slope = np.where(up, 0.16, 0.08)
    pan = plant_rate(pan, "bijstand", 0.02 + slope * pan["corp_share"] / 100, seed=82)
    store = planted_store(national_buurten, pan, ["corp_share", "bijstand", "residents"])
    return store, set(big)


@pytest.mark.slow
def test_planted_growth_and_peer_ranks(planted):
    store, up = planted
    res = run(store, n_boot=50)
    t = res.table.set_index("group")
    assert len(t) == 355 and t["n_areas"].sum() == 13594
    # the gap is corp_profile's own: the same call gives the same numbers
    g = "GM0344"
    cp = corp_profile.run(store, indicator="bijstand", region=[g], geo_version="cbs2019", level="buurt",
                          n_boot=50, seed=0)
    assert t.loc[g, "gap_to"] == cp.extra["gap"]["gap"].iloc[1] and t.loc[g, "growth"] == cp.summary["growth"]
    assert t.loc[g, "gap_lo"] <= t.loc[g, "gap_to"] <= t.loc[g, "gap_hi"]
    # planted: the rate gap doubles in the 40 and stays elsewhere; indexed on the national rate, which
    # rises too, the index gap grows by 2·nat12/nat18 − 1 there and by nat12/nat18 − 1 elsewhere
    pr = store.facts(indicator=["bijstand", "residents"], geo_version="cbs2019")
    nat = pr[pr["indicator"] == "bijstand"].groupby("year")[["numerator", "denominator"]].sum()
    ratio = (nat["numerator"] / nat["denominator"])[2012] / (nat["numerator"] / nat["denominator"])[2018]
    grow_up = t.loc[t.index.isin(up), "growth"]
    grow_rest = t.loc[~t.index.isin(up), "growth"].dropna()
    assert grow_up.median() == pytest.approx(2 * ratio - 1, abs=0.1)
    assert grow_rest.median() == pytest.approx(ratio - 1, abs=0.1)
    assert (t.loc[t.index.isin(up), "growth_lo"] > 0).mean() > 0.9
    # trend = pooled 2018 − pooled 2012, by hand for one gemeente
    f = store.facts(indicator="bijstand", geo_version="cbs2019")
    f = f[f["code"].str.startswith("BU0344")]
    pooled = f.groupby("year")[["numerator", "denominator"]].sum()
    v = pooled["numerator"] / pooled["denominator"] * 1000
    assert t.loc[g, "trend"] == pytest.approx(v[2018] - v[2012])
    # peers: k-means groups; within a peer group the planted gemeenten rank last on growth
    assert t["peer_group"].nunique() == 5 and t["peer_group"].notna().all()
    for _pg, d in t.groupby("peer_group"):
        if d.index.isin(up).any() and (~d.index.isin(up)).any():
            assert d.loc[d.index.isin(up), "rank_growth"].mean() > d.loc[~d.index.isin(up), "rank_growth"].mean()
    ranked = t["rank_growth"].notna()                               # a few tiny gemeenten have no gap
    assert ranked.sum() > 340 and (t.loc[ranked, "rank_growth"] <= t.loc[ranked, "peer_size"]).all()
    assert any("Geen typologie" in n for n in res.note_texts("nl"))           # no lvb, no stand-in nuisance
    assert res.figure().axes[0].get_ylabel() == "Groei van het verschil (%)"


def test_hand_case_regions_and_quantile_peers():
    """Three regions of two buurten each; pooled trend, size and corp share by hand."""
    codes = [f"BU000{g}000{i}" for g in (1, 2, 3) for i in (1, 2)]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": [f"GM000{k[5]}" for k in codes], "wk_code": [f"WK000{k[5]}00" for k in codes]},
                             geometry=[box(5 + i * 0.01, 52, 5.01 + i * 0.01, 52.01) for i in range(6)], crs=4326)
    rows = []
    res_ = [100, 300, 200, 200, 1000, 1000]
    corp = [(10, 50), (90, 150), (0, 100), (50, 100), (300, 500), (200, 500)]
    bij = {2012: [2, 6, 4, 4, 10, 20], 2018: [4, 6, 4, 8, 10, 10]}
    for i, k in enumerate(codes):
        for y in (2012, 2018):
            rows.append(dict(code=k, year=y, indicator="residents", value=res_[i]))
            rows.append(dict(code=k, year=y, indicator="corp_share", numerator=corp[i][0], denominator=corp[i][1],
                             value=corp[i][0] / corp[i][1] * 100))
            rows.append(dict(code=k, year=y, indicator="bijstand", numerator=bij[y][i], denominator=res_[i],
                             value=bij[y][i] / res_[i] * 1000))
    store = store_from(areas, pd.DataFrame(rows).assign(geo_version="cbs2019", source="hand"))
    res = get_analysis("benchmark")(store, groups={"Noord": ["GM0001"], "Midden": ["GM0002"],
                                                   "Zuid": ["BU00030001", "BU00030002"]},
                                    peer_method="quantile", n_boot=20, with_typology=False)
    t = res.table.set_index("group")
    assert t.loc["Noord", "size"] == 400 and t.loc["Zuid", "size"] == 2000
    assert t.loc["Noord", "corp_share"] == pytest.approx(100 / 200 * 100)        # (10+90)/(50+150)
    assert t.loc["Midden", "corp_share"] == pytest.approx(50 / 200 * 100)
    # bijstand per 1,000: Noord 8/400 → 10/400 = 20 → 25; Zuid 30/2000 → 20/2000 = 15 → 10
    assert t.loc["Noord", ["value_from", "value_to", "trend"]].tolist() == pytest.approx([20, 25, 5])
    assert t.loc["Zuid", "trend"] == pytest.approx(-5)
    # quantile peers: sizes 400, 400, 2000 and shares 50, 25, 40 → three different cells
    assert t["peer_group"].nunique() == 3 and (t["peer_size"] == 1).all() and (t["rank_trend"] == 1).all()
    # ranks (ties in order): sizes 400, 400, 2000 → s1, s2, s3; shares 50, 25, 50 % → c2, c1, c3
    assert t["peer_group"].to_dict() == {"Noord": "s1-c2", "Midden": "s2-c1", "Zuid": "s3-c3"}
    one = get_analysis("benchmark")(store, groups={"Eén": ["BU00010001"], "Rest": codes[1:]}, peer_method="quantile",
                                    n_boot=20, with_typology=False).table.set_index("group")
    assert one.loc["Eén", "size"] == 100 and one.loc["Rest", "size"] == 300 + 200 + 200 + 1000 + 1000


@pytest.mark.slow
def test_rank_intervals_in_the_league_table(planted):
    """Every rank has its 95% interval; equal truths (the 315 unchanged gemeenten) get wide,
    overlapping intervals, while the planted 40 rank high on growth with their intervals."""
    store, up = planted
    res = run(store, n_boot=100, with_typology=False)
    t = res.table.set_index("group")
    for col in ("rank_gap", "rank_growth", "rank_trend"):
        ok = t[col].notna()
        assert (t.loc[ok, col + "_lo"] <= t.loc[ok, col]).mean() > 0.97     # the point rank sits inside
        assert (t.loc[ok, col] <= t.loc[ok, col + "_hi"]).mean() > 0.97
        assert (t.loc[ok, col + "_hi"] <= t.loc[ok, "peer_size"]).all() and (t.loc[ok, col + "_lo"] >= 1).all()
    rest = t[~t.index.isin(up) & t["rank_growth"].notna()]
    width = (rest["rank_growth_hi"] - rest["rank_growth_lo"]) / rest["peer_size"]
    assert width.median() > 0.2               # same truth: the rank is mostly noise (measured 0.26 of the peer group)
    def overlap(a, b):
        return ((a["rank_growth_lo"].to_numpy()[:, None] <= b["rank_growth_hi"].to_numpy()[None, :])
                & (b["rank_growth_lo"].to_numpy()[None, :] <= a["rank_growth_hi"].to_numpy()[:, None])).mean()
    checked = 0
    for _pg, d in t[t["rank_growth"].notna()].groupby("peer_group"):
        same, diff = d[~d.index.isin(up)], d[d.index.isin(up)]
        if len(same) > 5 and len(diff) > 2:   # ties in truth overlap (measured 0.46–0.6) more than true differences
            assert overlap(same, same) > 0.4 and overlap(same, same) > overlap(same, diff) + 0.1
            checked += 1
    assert checked >= 1
    assert any("95% interval" in n for n in res.note_texts("en"))


def test_a_trend_shared_by_every_area_has_no_spread():
    """Every area's value rises by exactly 3 (values only, e.g. a score) or its rate by exactly 5 per
    1,000 (counts): every resample of areas has that trend, so each replicate is exactly it."""
    rng = np.random.default_rng(3)
    n = 12
    den = rng.integers(100, 1000, n).astype(float)
    num0 = np.round(den * rng.uniform(0.01, 0.05, n))
    val0 = rng.uniform(3, 5, n)
    ff = pd.DataFrame({"s_num_from": np.nan, "s_den_from": np.nan, "s_from": val0,
                       "s_num_to": np.nan, "s_den_to": np.nan, "s_to": val0 + 3,
                       "b_num_from": num0, "b_den_from": den, "b_from": num0 / den * 1000,
                       "b_num_to": num0 + den * 0.005, "b_den_to": den, "b_to": (num0 + den * 0.005) / den * 1000})
    long = pd.DataFrame({"group": ["A"] * 5 + ["B"] * 7, "code": [f"c{i}" for i in range(n)]})
    reps = _trend_replicates(ff, long, "s", 1.0, ["A", "B"], 50, 1)
    assert reps.shape == (50, 2) and reps == pytest.approx(np.full((50, 2), 3.0))
    reps = _trend_replicates(ff, long, "b", 1000.0, ["A", "B"], 50, 1)
    assert reps == pytest.approx(np.full((50, 2), 5.0))
