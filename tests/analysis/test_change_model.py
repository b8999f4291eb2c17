"""Change model: planted coefficients on the national geometry, a spatial lag, and a hand case."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve
from shapely.geometry import box

from tests.analysis.conftest import store_from
from tests.analysis.planted import make_panel, plant_rate, planted_store
from veerkracht.analysis import get_analysis
from veerkracht.analysis._spatial import weights
from veerkracht.analysis.change_model import run
from veerkracht.i18n import render

# planted truth: Δonv = −0.004·Δbijstand(‰) − 0.01·Δpsych(%) + 0·Δdementia + 0.0005·corp_share + ε
B_BIJ, B_PSY, B_SHARE = -0.004, -0.01, 0.0005


def _observed(pan, ind, scale):
    return (pan[ind + "_num"] / pan[ind + "_den"] * scale).to_numpy()


@pytest.fixture(scope="module")
def planted(national_buurten):
    pan = make_panel(national_buurten, [2012, 2018], seed=21)
    rng = np.random.default_rng(22)
    n = len(national_buurten)
    share = pan.loc[pan["year"] == 2012, "corp_share"].to_numpy()
    for i, (ind, p0, dp) in enumerate((("bijstand", 0.03, 0.02), ("psych", 0.04, 0.02), ("dementia", 0.02, 0.01))):
        start = rng.uniform(0.2, 1.8, n) * p0
        change = rng.normal(0, dp, n)
        pan = plant_rate(pan, ind, np.concatenate([start, np.clip(start + change, 0.001, 0.5)]), seed=30 + i)
    half = len(pan) // 2
    d = {ind: _observed(pan, ind, s)[half:] - _observed(pan, ind, s)[:half]
         for ind, s in (("bijstand", 1000), ("psych", 100), ("dementia", 100))}
    onv0 = rng.normal(0, 0.08, n)
    donv = B_BIJ * d["bijstand"] + B_PSY * d["psych"] + B_SHARE * share + rng.normal(0, 0.02, n)
    pan["lbm_onv"] = np.concatenate([onv0, onv0 + donv])
    store = planted_store(national_buurten, pan, ["corp_share", "bijstand", "psych", "dementia", "lbm_onv",
                                                  "residents"])
    return store


@pytest.mark.slow
def test_planted_coefficients_inside_intervals(planted):
    res = run(planted, drop_suppressed=False)
    t = res.table.set_index("term")
    assert res.params["predictors"] == ["bijstand", "psych", "dementia"]
    assert t.loc["d_bijstand", "lower"] <= B_BIJ <= t.loc["d_bijstand", "upper"]
    assert t.loc["d_psych", "lower"] <= B_PSY <= t.loc["d_psych", "upper"]
    # any true value falls outside its 95% interval one time in twenty (here corp_share, z = 2.06):
    # the other planted terms are held to the 0.1% level (|z| < 3.29)
    assert abs(t.loc["d_dementia", "coef"]) < 3.29 * t.loc["d_dementia", "se"]
    assert abs(t.loc["corp_share", "coef"] - B_SHARE) < 3.29 * t.loc["corp_share", "se"]
    # intervals are tight enough for the test to mean something
    assert t.loc["d_bijstand", "upper"] - t.loc["d_bijstand", "lower"] < 0.2 * abs(B_BIJ)
    assert t.loc["d_bijstand", "p"] < 1e-6 and t.loc["d_psych", "p"] < 1e-6
    assert (t["n"] == 13594).all()
    # residents are constant in the planted panel: population change has no variation and is left out
    pop = render("change_model.term.pop_change", "nl")
    assert "pop_change" not in t.index and any(pop in n and "variatie" in n for n in res.note_texts("nl"))
    assert set(t.loc[t["role"] == "control"].index) == {
        "start_lbm_onv", "start_bijstand", "start_psych", "start_dementia", "corp_share"}
    assert render(res.summary["message"], "en").startswith(
        "Rises in social assistance recipients, living independently with psychiatric problems")
    onv = render("common.indicator_lc", "nl", ind="lbm_onv")
    assert f"gaat samen met een slechtere {onv}" in render(res.summary["message"], "nl")
    assert res.figure().axes and res.figure("en").axes[0].get_xlabel().startswith("Standardised")


@pytest.mark.slow
def test_suppression_and_cluster_errors(planted):
    res = run(planted, errors="cluster")
    dropped = res.extra["dropped"].set_index("reason")["n"]
    assert dropped["suppressed"] > 0                       # small buurten lose their rates
    assert res.table["n"].iloc[0] == 13594 - dropped.sum()
    assert res.extra["fit"]["n_clusters"].iloc[0] > 300
    t = res.table.set_index("term")
    assert t.loc["d_bijstand", "lower"] <= B_BIJ <= t.loc["d_bijstand", "upper"]
    assert any("vallen af" in n for n in res.note_texts("nl"))


@pytest.mark.slow
def test_spatial_lag_recovers_rho(planted, national_buurten):
    """y = (I − ρW)⁻¹(Xβ + ε) with ρ = 0.4 on Queen weights: GM_Lag finds ρ and β."""
    store = planted
    codes = national_buurten["code"]
    W = weights(store, "cbs2019", codes).sparse
    rng = np.random.default_rng(5)
    n = len(codes)
    x = rng.normal(0, 1, n)
    y = spsolve((sp.identity(n) - 0.4 * W).tocsc(), 1.0 + 0.5 * x + rng.normal(0, 0.5, n))
    facts = pd.concat([
        pd.DataFrame({"geo_version": "cbs2019", "code": codes, "year": yr, "indicator": ind, "value": v,
                      "source": "planted"})
        for ind, yr, v in (("lbm_onv", 2012, 0.0), ("lbm_onv", 2018, y), ("students", 2012, 0.0),
                           ("students", 2018, x))])
    st = store_from(national_buurten, facts)
    res = run(st, predictors=["students"], controls=[], spatial="lag")
    t = res.table.set_index("term")
    assert t.loc["rho", "lower"] <= 0.4 <= t.loc["rho", "upper"] and t.loc["rho", "se"] < 0.05
    assert t.loc["d_students", "lower"] <= 0.5 <= t.loc["d_students", "upper"]
    err = run(st, predictors=["students"], controls=[], spatial="error")
    assert "lambda" in set(err.table["term"]) and err.extra["fit"]["model"].iloc[0] == "GM_error"
    with pytest.raises(Exception, match="too slow"):
        run(st, predictors=["students"], controls=[], spatial="lag", spatial_method="ml")


def _six_squares(dx, dy, tag="planted", per_gm: int | None = None):
    """Squares (six in the hand cases) with bijstand 20 → 20 + Δx and lbm_onv 0 → Δy; one gemeente,
    or ``per_gm`` squares in each."""
    n = len(dx)
    gm = [1] * n if per_gm is None else [1 + i // per_gm for i in range(n)]
    codes = [f"BU{g:04d}{i:04d}" for i, g in enumerate(gm)]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": [f"GM{g:04d}" for g in gm], "wk_code": [f"WK{g:04d}00" for g in gm]},
                             geometry=[box(5 + i * 0.01, 52, 5.01 + i * 0.01, 52.01) for i in range(n)], crs=4326)
    rows = [dict(geo_version="cbs2019", code=code, year=y, indicator=ind, value=v, source="hand")
            for i, code in enumerate(codes)
            for ind, y, v in (("bijstand", 2012, 20.0), ("bijstand", 2018, 20.0 + dx[i]), ("lbm_onv", 2012, 0.0),
                              ("lbm_onv", 2018, dy[i]))]
    return store_from(areas, pd.DataFrame(rows), tag=tag)


def test_hand_case_ols_and_hc3():
    """Six squares; Δonv on Δbijstand only: slope = cov/var and HC3 by the textbook formula."""
    dx = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 6.0])
    dy = np.array([0.1, -0.2, -0.1, -0.5, -0.4, -0.9])
    res = get_analysis("change-model")(_six_squares(dx, dy), predictors=["bijstand"], controls=[])
    t = res.table.set_index("term")
    slope = np.cov(dx, dy, bias=True)[0, 1] / np.var(dx)
    assert t.loc["d_bijstand", "coef"] == pytest.approx(slope, rel=1e-10)
    assert t.loc["intercept", "coef"] == pytest.approx(dy.mean() - slope * dx.mean(), rel=1e-10)
    X = np.column_stack([np.ones(6), dx])
    e = dy - X @ np.array([t.loc["intercept", "coef"], slope])
    bread = np.linalg.inv(X.T @ X)
    h = np.einsum("ij,jk,ik->i", X, bread, X)
    cov = bread @ (X.T * (e / (1 - h)) ** 2) @ X @ bread
    assert t.loc["d_bijstand", "se"] == pytest.approx(np.sqrt(cov[1, 1]), rel=1e-10)
    assert t.loc["d_bijstand", "n"] == 6
    # 95% interval = coef ± t(4)·se
    from scipy import stats
    q = stats.t.ppf(0.975, 4)
    assert t.loc["d_bijstand", "upper"] == pytest.approx(slope + q * np.sqrt(cov[1, 1]), rel=1e-9)


def test_population_change_control_is_in_percent():
    """Planted: Δonv = 0.3·Δbijstand + 0.01·(population change in %) + tiny noise; both recovered."""
    n = 12
    codes = [f"BU000100{i:02d}" for i in range(n)]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": "GM0001", "wk_code": "WK000100"},
                             geometry=[box(5 + i * 0.01, 52, 5.01 + i * 0.01, 52.01) for i in range(n)], crs=4326)
    rng = np.random.default_rng(8)
    dx = rng.normal(0, 2, n)
    res0 = rng.uniform(800, 3000, n)
    pop_pct = rng.normal(0, 10, n)
    dy = 0.3 * dx + 0.01 * pop_pct + rng.normal(0, 1e-4, n)
    rows = []
    for i, code in enumerate(codes):
        for ind, y, v in (("bijstand", 2012, 20.0), ("bijstand", 2018, 20.0 + dx[i]), ("lbm_onv", 2012, 0.0),
                          ("lbm_onv", 2018, dy[i]), ("residents", 2012, res0[i]),
                          ("residents", 2018, res0[i] * (1 + pop_pct[i] / 100))):
            rows.append(dict(geo_version="cbs2019", code=code, year=y, indicator=ind, value=v, source="hand"))
    store = store_from(areas, pd.DataFrame(rows))
    t = get_analysis("change-model")(store, predictors=["bijstand"], controls=["population"]).table.set_index("term")
    assert t.loc["pop_change", "coef"] == pytest.approx(0.01, abs=1e-4)
    assert t.loc["d_bijstand", "coef"] == pytest.approx(0.3, abs=1e-3)


def test_a_small_positive_significant_coefficient_is_read_by_its_sign():
    """Δlbm_onv = ±0.3·Δbijstand (+ a little noise) on six squares: the slope is far below 1, its sign
    decides. A higher lbm_onv is better, so with +0.3 the summary says bijstand goes with a better
    outcome, with −0.3 with a worse one."""
    dx = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 6.0])
    noise = np.array([0.01, -0.02, 0.0, 0.02, -0.01, 0.0])
    for sign, key in ((1, "better"), (-1, "worse")):
        res = get_analysis("change-model")(_six_squares(dx, sign * 0.3 * dx + noise), predictors=["bijstand"],
                                           controls=[])
        t = res.table.set_index("term")
        assert t.loc["d_bijstand", "coef"] == pytest.approx(sign * 0.3, abs=0.01) and t.loc["d_bijstand", "p"] < 1e-4
        assert res.summary["message"].id == f"change_model.summary.{key}"
        assert res.summary["message"].params[key] == ["bijstand"]


def test_few_clusters_note_below_thirty_gemeenten():
    """Cluster-robust errors on 30 gemeenten (two squares each): no warning; on 29 the note names 29."""
    rng = np.random.default_rng(8)
    for n_gm in (30, 29):
        dx, dy = rng.normal(0, 2, 2 * n_gm), rng.normal(0, 0.1, 2 * n_gm)
        res = get_analysis("change-model")(_six_squares(dx, dy, per_gm=2), predictors=["bijstand"], controls=[],
                                           errors="cluster")
        few = [m for m in res.notes if m.id == "change_model.note.few_clusters"]
        assert few == [] if n_gm == 30 else (len(few) == 1 and few[0].params == {"n": 29})
