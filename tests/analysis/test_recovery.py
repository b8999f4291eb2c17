"""Tests that bite (issue 10 item 7): planted panels with persistent area effects, cluster shocks and
size-dependent noise, and recovery of each estimator's *interval coverage*, not only its point.

Measured: paired area bootstrap of a two-year difference covers 95 % (±2); resampling each year
on its own covers ~100 % (too wide). Gemeente-clustered errors of the change model cover ~95 %;
HC3 on the same panels ~70 %.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from tests.analysis.conftest import store_from
from veerkracht.analysis import get_analysis
from veerkracht.analysis._bootstrap import boot_group_sums, percentile_interval


@pytest.mark.slow
def test_paired_bootstrap_of_a_change_covers_95_percent():
    """Areas with a persistent effect (sd 1) and small yearly noise (sd 0.2): the change of the mean
    between two years. A paired bootstrap (an area carries both years) covers the true change."""
    rng = np.random.default_rng(1)
    hit, width = [], []
    for r in range(300):
        n = 300
        a = rng.normal(0, 1, n)
        y0, y1 = a + rng.normal(0, 0.2, n), a + 0.1 + rng.normal(0, 0.2, n)
        groups = np.zeros((2, n), dtype=int)                      # one group, two "years"
        vals = np.stack([np.stack([y0, np.ones(n)]), np.stack([y1, np.ones(n)])])
        b = boot_group_sums(groups, vals, 1, 300, r)              # (B, 2, 2, 1)
        d = b[:, 1, 0, 0] / b[:, 1, 1, 0] - b[:, 0, 0, 0] / b[:, 0, 1, 0]
        lo, hi = percentile_interval(d)
        hit.append(lo <= 0.1 <= hi)
        width.append(hi - lo)
    assert 0.93 <= np.mean(hit) <= 0.97
    assert np.mean(width) == pytest.approx(2 * 1.96 * np.sqrt(2 * 0.2 ** 2 / 300), rel=0.1)


def _cluster_store(rng, n_gm=30, per=10):
    """Buurten in gemeenten; Δbijstand and Δnuisance both carry a gemeente shock (sd 1 and 0.5):
    errors correlated within gemeenten, x correlated within gemeenten too. True slope 0.3."""
    codes, gms, geoms = [], [], []
    for g in range(n_gm):
        for i in range(per):
            codes.append(f"BU{g + 1:04d}{i:04d}")
            gms.append(f"GM{g + 1:04d}")
            geoms.append(box(5 + i * .01, 52 + g * .01, 5.01 + i * .01, 52.01 + g * .01))
    n = len(codes)
    gidx = np.repeat(np.arange(n_gm), per)
    x = rng.normal(0, 1, n_gm)[gidx] + rng.normal(0, 0.5, n)
    y = 0.3 * x + rng.normal(0, 0.5, n_gm)[gidx] + rng.normal(0, 0.3, n)
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": gms, "wk_code": [f"WK{g[2:]}00" for g in gms]}, geometry=geoms, crs=4326)
    facts = pd.concat([pd.DataFrame({"code": codes, "year": yr, "indicator": ind, "value": v})
                       for ind, yr, v in (("lbm_onv", 2012, 0.0), ("lbm_onv", 2018, y),
                                          ("students", 2012, 0.0), ("students", 2018, x))])
    return store_from(areas, facts.assign(geo_version="cbs2019", source="p"), tag="clus")


@pytest.mark.slow
def test_change_model_cluster_errors_cover_and_hc3_does_not():
    rng = np.random.default_rng(2)
    run = get_analysis("change-model")
    hit = {"cluster": [], "HC3": []}
    ratio = []
    for _ in range(25):
        store = _cluster_store(rng)
        se = {}
        for err in ("cluster", "HC3"):
            t = run(store, predictors=["students"], controls=[], errors=err).table.set_index("term")
            hit[err].append(t.loc["d_students", "lower"] <= 0.3 <= t.loc["d_students", "upper"])
            se[err] = t.loc["d_students", "se"]
        ratio.append(se["cluster"] / se["HC3"])
    assert np.mean(hit["cluster"]) >= 0.85                 # 25 replicates: measured 1.0 (40 replicates)
    assert np.mean(hit["HC3"]) < 0.85                      # ignores the gemeente shocks (measured 0.6)
    assert np.median(ratio) > 1.5


# ------------------------------------------------------------------ survivors of the mutation run, pinned down
def _six(dy_noise=0.0, num=False):
    codes = [f"BU000100{i:02d}" for i in range(6)]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": "GM0001", "wk_code": "WK000100"},
                             geometry=[box(5 + i * 0.01, 52, 5.01 + i * 0.01, 52.01) for i in range(6)], crs=4326)
    dx = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 6.0])
    dy = np.array([0.1, -0.3, 0.2, -0.2, 0.3, -0.1]) + dy_noise
    rows = []
    for i, cd in enumerate(codes):
        den = 200.0 + 100 * i
        for y, v in ((2012, 20.0), (2018, 20.0 + dx[i])):
            rows.append(dict(code=cd, year=y, indicator="bijstand", value=v,
                             numerator=v * den / 1000 if num else np.nan, denominator=den if num else np.nan))
        rows += [dict(code=cd, year=2012, indicator="lbm_onv", value=0.0),
                 dict(code=cd, year=2018, indicator="lbm_onv", value=dy[i])]
    return store_from(areas, pd.DataFrame(rows).assign(geo_version="cbs2019", source="hand"), tag="six")


def test_change_model_summary_says_none_when_nothing_is_significant():
    res = get_analysis("change-model")(_six(), predictors=["bijstand"], controls=[])
    t = res.table.set_index("term")
    assert t.loc["d_bijstand", "p"] > 0.5
    assert res.summary["message"].id == "change_model.summary.none"


def test_change_model_smooth_option_uses_smoothed_rates():
    store = _six(num=True)
    raw = get_analysis("change-model")(store, predictors=["bijstand"], controls=[], drop_suppressed=False)
    eb = get_analysis("change-model")(store, predictors=["bijstand"], controls=[], drop_suppressed=False,
                                      smooth=True)
    assert eb.params["smooth"] and any("smoothed" in n for n in eb.note_texts("en"))
    # smoothing pulls the areas' changes together: the slope on the smoothed changes is not the raw one
    assert eb.table.set_index("term").loc["d_bijstand", "coef"] != pytest.approx(
        raw.table.set_index("term").loc["d_bijstand", "coef"])


def test_bh_qvalues_hand_case():
    from veerkracht.analysis.hotspots import bh_qvalues
    q = bh_qvalues(np.array([0.01, 0.04, 0.03, 0.9, 0.95]))
    # ranked p·n/rank: .05, .075, .0667, 1.125, .95 → monotone from the top, capped at 1
    assert q.tolist() == pytest.approx([0.05, 0.0666667, 0.0666667, 0.95, 0.95], rel=1e-5)
    assert bh_qvalues(np.array([0.9, 0.99])).max() <= 1.0


def test_typology_shade_of_an_unknown_rise_is_zero():
    from veerkracht.analysis.typology import classify
    d = pd.DataFrame({"vulnerable": [50.0, 50.0, 50.0], "rise": [np.nan, 0.5, 5.0], "nuisance": [-0.5, -0.5, 0.5]})
    out = classify(d, 35.0, -0.1, 2.0, False)
    assert out["class"].tolist() == ["problem", "problem", "vulnerable"]
    assert out["shade"].tolist() == [0, 1, 3]


def test_t_interval_and_two_point_cluster_mean_by_hand():
    from scipy import stats

    from veerkracht.analysis._bootstrap import t_interval
    from veerkracht.analysis._inference import cluster_mean
    lo, hi = t_interval(2.0, 1.0, 4)
    q = stats.t.ppf(0.975, 3)
    assert (lo, hi) == pytest.approx((2 - q / 2, 2 + q / 2))
    r = cluster_mean([1.0, 3.0])                 # n = 2: sd √2, se 1, t(1)
    assert r["se"] == pytest.approx(1.0) and r["ci_lo"] == pytest.approx(2 - stats.t.ppf(0.975, 1))


def test_support_without_a_store_method_is_the_areas_themselves():
    from veerkracht.analysis._inference import support_clusters
    out = support_clusters(object(), "lbm", "cbs2019", ["BU1", "BU2"])
    assert out.tolist() == ["BU1", "BU2"] and out.attrs["n_spread"] == 0
