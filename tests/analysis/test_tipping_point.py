"""Tipping point: planted breaks on the national geometry, honest alternatives, a hand case, weights."""
from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from tests.analysis.conftest import store_from
from tests.analysis.planted import make_panel, planted_store, segmented
from veerkracht.analysis import get_analysis
from veerkracht.analysis.tipping_point import fit_segmented, run
from veerkracht.errors import StoreError
from veerkracht.i18n import render


def _sse_at(x, y, k):
    """Brute-force least squares of y on [1, x, (x−k)+] (independent of the analysis code)."""
    X = np.column_stack([np.ones_like(x), x, np.clip(x - k, 0, None)])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    return float(((y - X @ beta) ** 2).sum())


# ------------------------------------------------------------------ planted on the national geometry
@pytest.fixture(scope="module")
def planted(national_buurten):
    """lbm: break at 45%, zero crossing at 55% (0.01 at 45, slope −0.001/pt after);
    lbm_onv: flat +0.004 up to 60%, then −0.003/pt → zero at 61.33%."""
    pan = make_panel(national_buurten, [2012, 2018], seed=11)
    rng = np.random.default_rng(12)
    s = pan.loc[pan["year"] == 2012, "corp_share"].to_numpy()
    base = rng.normal(0, 0.1, len(s))
    lbm18 = base + segmented(s, 45, -0.0002, -0.001, 0.01) + rng.normal(0, 0.03, len(s))
    onv18 = base + segmented(s, 60, 0.0, -0.003, 0.004) + rng.normal(0, 0.03, len(s))
    pan["lbm"] = np.concatenate([base, lbm18])
    pan["lbm_onv"] = np.concatenate([base, onv18])
    store = planted_store(national_buurten, pan, ["corp_share", "lbm", "lbm_onv", "dwellings"])
    return store, s, lbm18 - base


@pytest.mark.slow
def test_planted_break_and_zero_crossing(planted):
    store, s, change = planted
    res = run(store, n_boot=1000, seed=3, weights=None)    # unweighted: the brute-force SSE below is
    r = res.table.iloc[0]
    assert r["outcome"] == "lbm" and r["n"] == 13594 and r["pattern"] == "turns_negative"
    assert r["breakpoint"] == pytest.approx(45, abs=3)
    assert r["break_lo"] <= 45 <= r["break_hi"] and r["break_hi"] - r["break_lo"] < 8
    assert r["zero_crossing"] == pytest.approx(55, abs=3)
    assert r["zero_lo"] <= 55 <= r["zero_hi"] and r["zero_share"] > 0.95
    assert r["slope_right"] == pytest.approx(-0.01, abs=0.002)       # per 10 %-points
    assert r["kink_hi"] < 0                                           # the bend is real
    # the estimate is a least-squares minimum: brute force at ±0.05 is not better
    k = r["breakpoint"]
    assert _sse_at(s, change, k) <= min(_sse_at(s, change, k - 0.05), _sse_at(s, change, k + 0.05)) + 1e-9
    assert r["sse"] == pytest.approx(_sse_at(s, change, k), rel=1e-9)
    z = round(r["zero_crossing"])
    assert f"boven ~{z}% corporatiewoningen" in render(res.summary["message"], "nl")
    assert f"turns negative above ~{z}% housing-association dwellings (95% interval" in render(res.summary["message"], "en")


@pytest.mark.slow
def test_planted_all_dimensions_and_figure(planted):
    store, _, _ = planted
    res = get_analysis("tipping-point")(store, outcome="all", n_boot=200, seed=4)
    t = res.table.set_index("outcome")
    assert list(t.index) == ["lbm", "lbm_onv"]          # only the dimensions present
    assert t.loc["lbm_onv", "breakpoint"] == pytest.approx(60, abs=3)
    assert t.loc["lbm_onv", "zero_crossing"] == pytest.approx(61.33, abs=3)
    assert t.loc["lbm_onv", "slope_left"] == pytest.approx(0, abs=0.002)
    fig = res.figure()
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["Leefbaarometer: totaal (afwijking)", "Leefbaarometer: overlast en onveiligheid"]
    assert fig.axes[0].get_xlabel() == "Aandeel corporatiewoningen (%)"
    assert res.figure("en").axes[0].get_xlabel() == "Housing-association dwellings (%)"


@pytest.mark.slow
def test_honest_alternatives(national_buurten):
    pan = make_panel(national_buurten, [2014, 2020], seed=21)
    rng = np.random.default_rng(22)
    s = pan.loc[pan["year"] == 2014, "corp_share"].to_numpy()
    noise = rng.normal(0, 0.02, (2, len(s)))
    pan["lbm"] = np.concatenate([np.zeros(len(s)), 0.05 - 0.0003 * s + noise[0]])       # ≥ 0.02 > 0
    pan["lbm_fys"] = np.concatenate([np.zeros(len(s)), -0.02 + 0.0005 * s + noise[1]])  # up at 40%
    store = planted_store(national_buurten, pan, ["corp_share", "lbm", "lbm_fys"])
    res = run(store, outcome="all", n_boot=100)
    t = res.table.set_index("outcome")
    assert t.loc["lbm", "pattern"] == "always_positive" and math.isnan(t.loc["lbm", "zero_crossing"])
    assert "er is geen omslagpunt" in render(t.loc["lbm", "message"], "nl")
    assert "there is no turning point" in render(t.loc["lbm", "message"], "en")
    assert t.loc["lbm", "zero_share"] < 0.05
    assert t.loc["lbm_fys", "pattern"] == "turns_positive"
    assert t.loc["lbm_fys", "up_crossing"] == pytest.approx(40, abs=3)
    assert "from negative to positive at ~" in render(t.loc["lbm_fys", "message"], "en")


# ------------------------------------------------------------------ hand-computed case
# Six areas on an exact segmented line: 0.5 up to 50%, then −0.02 per point.
#   x:  0    20   40   60   80    100
#   y: .5    .5   .5   .3  −.1   −.5
# Only k = 50 fits exactly (left line through the first three, right line through the last three,
# they meet at 50). Zero crossing: 0.5 − 0.02·(x − 50) = 0 → x = 75.
X6 = np.array([0, 20, 40, 60, 80, 100.0])
Y6 = np.array([.5, .5, .5, .3, -.1, -.5])


def test_hand_exact_segmented_line():
    fit = fit_segmented(X6, Y6, min_side=2, trim=0)
    assert fit["breakpoint"] == pytest.approx(50, abs=0.01)
    assert (fit["a"], fit["b"], fit["c"]) == pytest.approx((0.5, 0, -0.02), abs=1e-6)
    assert fit["sse"] == pytest.approx(0, abs=1e-9)


def test_hand_run_through_store():
    codes = [f"BU0001000{i}" for i in range(6)]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": "GM0001", "wk_code": "WK000100"},
                             geometry=[Point(5, 52 + i / 100) for i in range(6)], crs=4326)
    rows = [("corp_share", cd, 2012, x) for cd, x in zip(codes, X6)]
    rows += [("lbm", cd, 2012, 1.0) for cd in codes] + [("lbm", cd, 2018, 1 + y) for cd, y in zip(codes, Y6)]
    facts = pd.DataFrame(rows, columns=["indicator", "code", "year", "value"])
    facts["geo_version"], facts["source"] = "cbs2019", "hand"
    store = store_from(areas, facts, tag="hand-tp")
    res = run(store, n_boot=50, min_side=2, trim=0)
    r = res.table.iloc[0]
    assert r["breakpoint"] == pytest.approx(50, abs=0.01)
    assert r["zero_crossing"] == pytest.approx(75, abs=0.01)
    assert r["slope_left"] == pytest.approx(0, abs=1e-6) and r["slope_right"] == pytest.approx(-0.2)
    assert r["fitted_at_break"] == pytest.approx(0.5, abs=1e-6) and r["fitted_at_max"] == pytest.approx(-0.5, abs=1e-6)
    assert res.params["year_from"] == 2012 and res.params["year_to"] == 2018
    assert res.extra["areas"]["change_lbm"].tolist() == pytest.approx(Y6.tolist())


def test_weights_equal_duplicated_rows():
    """Weight 2 on an area is the same least-squares problem as that area twice."""
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 100, 300)
    y = segmented(x, 40, 0.001, -0.002, 0.02) + rng.normal(0, 0.01, 300)
    w = np.where(np.arange(300) % 3 == 0, 2.0, 1.0)
    dup = np.arange(300)[w == 2]
    a = fit_segmented(x, y, w)
    b = fit_segmented(np.concatenate([x, x[dup]]), np.concatenate([y, y[dup]]))
    assert a["breakpoint"] == pytest.approx(b["breakpoint"], abs=0.011)
    assert (a["a"], a["b"], a["c"]) == pytest.approx((b["a"], b["b"], b["c"]), rel=1e-3, abs=1e-6)


def test_figure_grid_for_six_outcomes():
    """outcome='all' with the five dimensions draws a 2 × 3 grid (the house-style helper handles 2-D)."""
    from veerkracht.analysis._common import new_figure
    fig, axes = new_figure(13, 7, ncols=3, nrows=2)
    assert axes.shape == (2, 3) and len(fig.axes) == 6
    assert not any(ax.spines["top"].get_visible() for ax in fig.axes)


def test_figure_when_the_crossing_lies_outside_its_bootstrap_interval():
    """Few bootstrap samples cross zero: their interval can miss the point estimate (the report of
    Amsterdam 2018–2025 failed on it with "'xerr' must not contain negative values")."""
    codes = [f"BU0001000{i}" for i in range(6)]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": "GM0001", "wk_code": "WK000100"},
                             geometry=[Point(5, 52 + i / 100) for i in range(6)], crs=4326)
    rows = [("corp_share", cd, 2012, x) for cd, x in zip(codes, X6)]
    rows += [("lbm", cd, 2012, 1.0) for cd in codes] + [("lbm", cd, 2018, 1 + y) for cd, y in zip(codes, Y6)]
    facts = pd.DataFrame(rows, columns=["indicator", "code", "year", "value"])
    facts["geo_version"], facts["source"] = "cbs2019", "hand"
    res = run(store_from(areas, facts, tag="hand-tp-fig"), n_boot=50, min_side=2, trim=0)
    res.table.loc[0, ["zero_lo", "zero_hi"]] = [res.table.loc[0, "zero_crossing"] + 5,
                                                res.table.loc[0, "zero_crossing"] + 9]
    ax = res.figure().axes[0]
    segments = [list(ln.get_xdata()) for ln in ax.lines if list(ln.get_ydata()) == [0, 0]]
    assert any(x == pytest.approx([80.0, 84.0]) for x in segments)


def test_a_break_with_exactly_min_side_areas_on_either_side_is_a_candidate():
    """21 areas at 0, 5, …, 100 with ``min_side`` 10: the grid is 45 … 50; at 45 exactly 10 areas lie
    at or left of the break, at 50 exactly 10 lie right of it. Planted exact breaks there are found."""
    x = np.arange(0, 101, 5.0)
    for k in (45.0, 50.0):
        fit = fit_segmented(x, segmented(x, k, 0.002, -0.004, 0.1), min_side=10, trim=0)
        assert fit["breakpoint"] == pytest.approx(k, abs=1e-9)
        assert (fit["b"], fit["c"]) == pytest.approx((0.002, -0.006), abs=1e-9)


def test_bootstrap_breaks_are_refined_between_grid_points():
    """A planted break at 40.25, halfway between grid points (step 0.5): the parabolic refinement puts
    the replicates' breaks near 40.25, not on 40.0 / 40.5 (the SSE here is far below 1)."""
    from veerkracht.analysis.tipping_point import _bootstrap
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 100, 400)
    y = segmented(x, 40.25, 0.0002, -0.0004, 0.01) + rng.normal(0, 0.0005, 400)
    fit = fit_segmented(x, y)
    br = _bootstrap(x, y, None, 201, 0, 0.5, fit)["breakpoint"]
    assert abs(np.median(br) - 40.25) < 0.1 and np.mean(np.abs(br - 40.25)) < 0.15


def test_candidate_grid_runs_from_lo_to_exactly_hi():
    from veerkracht.analysis._segfit import candidate_grid
    assert candidate_grid(45, 50, 0.5).tolist() == [45 + 0.5 * i for i in range(11)]
    assert candidate_grid(45, 46.3, 0.5).tolist() == [45, 45.5, 46, 46.3]        # hi added, nothing beyond
    assert candidate_grid(45, 46.2, 0.5).tolist() == [45, 45.5, 46, 46.2]
    g = candidate_grid(49.5, 50, 0.01)
    assert len(g) == 51 and g[-1] == 50 and g[0] == 49.5
    assert candidate_grid(3, 3, 1).tolist() == [3]


def test_a_steep_break_just_before_the_last_areas_is_found():
    """Two areas lie just past the break (50.2, 50.4) where the line drops steeply: a valid, well-
    conditioned candidate although its hinge sum Σ(x − k)₊² is tiny — the collinearity guard (Hadamard
    ratio) must not drop it."""
    x = np.array([0, 10, 20, 30, 40, 50, 50.2, 50.4])
    fit = fit_segmented(x, segmented(x, 50, 0.01, -1.0, 1.0), min_side=2, trim=0)
    assert fit["breakpoint"] == pytest.approx(50, abs=1e-9) and fit["sse"] == pytest.approx(0, abs=1e-12)
    assert (fit["b"], fit["c"]) == pytest.approx((0.01, -1.01), abs=1e-6)


def test_weights_only_matter_relative_to_each_other():
    """Weighted least squares is invariant to the weights' scale: dwellings ×10⁻⁶ give the same fit
    (the collinearity guard is a scale-free ratio; a planted break at 40 is recovered both times)."""
    rng = np.random.default_rng(6)
    x = rng.uniform(0, 100, 300)
    y = segmented(x, 40, 0.001, -0.002, 0.02) + rng.normal(0, 0.002, 300)
    w = rng.uniform(0.5, 2, 300)
    a, b = fit_segmented(x, y, w), fit_segmented(x, y, w * 1e-6)
    assert a["breakpoint"] == pytest.approx(40, abs=1) and b["breakpoint"] == pytest.approx(a["breakpoint"], abs=1e-9)
    assert (b["a"], b["b"], b["c"]) == pytest.approx((a["a"], a["b"], a["c"]), rel=1e-6)


def test_a_turn_crossed_by_95_percent_of_samples_is_stated_without_doubt():
    """The sentence's rule by hand: ≥ 95 % of bootstrap samples crossing zero → 'turns negative';
    fewer → the uncertain wording (exactly 95 % is on the certain side)."""
    from veerkracht.analysis.tipping_point import _message
    r = {"outcome": "lbm", "pattern": "turns_negative", "zero_crossing": 60.0, "zero_lo": 50.0, "zero_hi": 70.0,
         "breakpoint": 45.0, "break_lo": 40.0, "break_hi": 50.0}
    assert _message(r | {"zero_share": 0.95}).id == "tipping_point.sentence.turns_negative"
    assert _message(r | {"zero_share": 0.949}).id == "tipping_point.sentence.turns_negative_uncertain"


def test_trim_sets_the_minimum_side_on_many_areas():
    """1,000 areas, trim 2 %: each side of a break needs 20 areas (not min_side 10); the grid starts at
    the 20th smallest share and ends at the 21st largest."""
    x = np.arange(1000) / 10.0
    fit = fit_segmented(x, segmented(x, 50, 0.001, -0.001, 0.0), min_side=10, trim=0.02)
    assert fit["m"] == 20 and fit["lo"] == x[19] and fit["hi"] == x[979]
    assert fit["breakpoint"] == pytest.approx(50, abs=1e-6)


def test_bootstrap_breaks_on_a_grid_point_stay_there():
    """A planted break exactly on a grid point (40.0): the refinement's shift is ~0, not half a step."""
    from veerkracht.analysis.tipping_point import _bootstrap
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 100, 400)
    y = segmented(x, 40.0, 0.0002, -0.0004, 0.01) + rng.normal(0, 0.0005, 400)
    fit = fit_segmented(x, y)
    br = _bootstrap(x, y, None, 201, 0, 0.5, fit)["breakpoint"]
    # measured: fit 40.098 (fine grid), bootstrap median 40.090; with a wrong shift it moves to 40.42
    assert abs(fit["breakpoint"] - 40) < 0.15 and abs(np.median(br) - fit["breakpoint"]) < 0.05


# y = 0.2 + 0.01·x − 0.04·(x − 30)₊: rising to 0.5 at the break (30), then falling by 0.03 per point,
# through zero at 30 + 0.5 / 0.03 = 46.67 and down to −1.6 at 100 (a break away from 50, a left slope ≠ 0).
X11 = np.arange(0, 101, 10.0)
Y11 = segmented(X11, 30, 0.01, -0.03, 0.5)


def test_hand_break_away_from_the_grid_centre():
    fit = fit_segmented(X11, Y11, min_side=2, trim=0)
    assert fit["breakpoint"] == pytest.approx(30, abs=0.01)
    assert (fit["a"], fit["b"], fit["c"]) == pytest.approx((0.2, 0.01, -0.04), abs=1e-6)
    assert fit["sse"] == pytest.approx(0, abs=1e-9)
    n = len(X11)
    codes = [f"BU0001{i:04d}" for i in range(n)]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": "GM0001", "wk_code": "WK000100"},
                             geometry=[Point(5, 52 + i / 100) for i in range(n)], crs=4326)
    rows = [("corp_share", cd, 2012, x) for cd, x in zip(codes, X11)]
    rows += [("lbm", cd, 2012, 1.0) for cd in codes] + [("lbm", cd, 2018, 1 + y) for cd, y in zip(codes, Y11)]
    facts = pd.DataFrame(rows, columns=["indicator", "code", "year", "value"])
    facts["geo_version"], facts["source"] = "cbs2019", "hand"
    res = run(store_from(areas, facts, tag="hand-tp30"), n_boot=50, n_test=19, min_side=2, trim=0)
    r = res.table.iloc[0]
    # the figure's dots: 5-point classes by their middle (100 % joins the top class, 95–100)
    b = res.extra["binned"]
    assert b["share_mid"].tolist() == [2.5, 12.5, 22.5, 32.5, 42.5, 52.5, 62.5, 72.5, 82.5, 92.5, 97.5]
    assert b["mean"].tolist() == pytest.approx(Y11.tolist()) and (b["n"] == 1).all()
    assert r["breakpoint"] == pytest.approx(30, abs=0.01)
    assert r["zero_crossing"] == pytest.approx(30 + 0.5 / 0.03, abs=0.01)
    assert r["slope_left"] == pytest.approx(0.1) and r["slope_right"] == pytest.approx(-0.3)
    assert r["fitted_at_break"] == pytest.approx(0.5, abs=1e-6) and r["fitted_at_max"] == pytest.approx(-1.6, abs=1e-6)


def test_too_few_areas_says_how_many_are_needed():
    """min_side 3 on each side and one more: 7 areas fit, 6 do not, and the error says > 6."""
    x = np.arange(7) * 10.0
    assert fit_segmented(x, np.abs(x - 30), min_side=3, trim=0)["breakpoint"] == pytest.approx(30, abs=0.01)
    with pytest.raises(StoreError, match=r"too few areas \(6\) for a segmented regression \(need > 6\)"):
        fit_segmented(x[:6], np.abs(x[:6] - 30), min_side=3, trim=0)
