"""Liveability by level and by dimension: planted decile changes, regression to the mean, hand cases."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from tests.analysis.conftest import store_from
from tests.analysis.planted import make_panel, planted_store
from veerkracht.analysis import get_analysis
from veerkracht.analysis.liveability import run
from veerkracht.i18n import render

MU = {(2012, 2016): 0.05 - 0.01 * np.arange(10),        # planted mean change per start decile 1…10
      (2016, 2018): -0.02 + 0.004 * np.arange(10)}


def _deciles(v):
    """Decile 1…10 by rank (independent of the analysis code)."""
    return np.floor(np.argsort(np.argsort(v, kind="stable"), kind="stable") * 10 / len(v)).astype(int) + 1


@pytest.mark.slow
def test_planted_decile_changes(national_buurten):
    pan = make_panel(national_buurten, [2012, 2016, 2018], seed=31)
    rng = np.random.default_rng(32)
    n = len(national_buurten)
    l12 = rng.normal(0, 0.1, n)
    l16 = l12 + MU[(2012, 2016)][_deciles(l12) - 1] + rng.normal(0, 0.02, n)
    l18 = l16 + MU[(2016, 2018)][_deciles(l16) - 1] + rng.normal(0, 0.02, n)
    pan["lbm"] = np.concatenate([l12, l16, l18])
    store = planted_store(national_buurten, pan, ["corp_share", "lbm"])
    res = run(store)                                   # defaults: deciles, grouped by start
    t = res.table
    assert res.params["periods"] == [[2012, 2016], [2016, 2018]]
    assert t.groupby("period")["n"].sum().tolist() == [13594, 13594]
    covered = 0
    for (f, to), mu in MU.items():
        d = t[t["period"] == f"{f}–{to}"].set_index("group")
        assert d.index.tolist() == list(range(1, 11))
        assert d["mean_change"].to_numpy() == pytest.approx(mu, abs=0.002)
        covered += int(((d["ci_lo"] <= mu) & (mu <= d["ci_hi"])).sum())
        assert (d["ci_hi"] - d["ci_lo"]).max() < 0.004   # t·SE with sd 0.02 and ~1,360 areas
    assert covered >= 17                                 # of 20 planted means
    assert res.summary["lowest_group"]["2012–2016"] == pytest.approx(0.05, abs=0.002)
    assert render(t.loc[0, "group_label"], "nl") == "1 (laagst)" and render(t.loc[9, "group_label"], "en") == "10 (highest)"


@pytest.mark.slow
def test_regression_to_the_mean_and_warning(national_buurten):
    """No systematic change at all: a persistent area level plus transient noise per year."""
    pan = make_panel(national_buurten, [2012, 2018], seed=41)
    rng = np.random.default_rng(42)
    n = len(national_buurten)
    level = rng.normal(0, 0.1, n)
    pan["lbm"] = np.concatenate([level + rng.normal(0, 0.05, n), level + rng.normal(0, 0.05, n)])
    store = planted_store(national_buurten, pan, ["lbm"])
    start = run(store, group_by="start").table.set_index("group")["mean_change"]
    end_res = run(store, group_by="end")
    end = end_res.table.set_index("group")["mean_change"]
    # Var(level)=0.01, Var(noise)=0.0025: grouping by start, bottom decile rises, top falls; by end, reverse
    assert start[1] > 0.03 and start[10] < -0.03
    assert end[1] < -0.03 and end[10] > 0.03
    assert any("regressie naar het gemiddelde" in n and "eind" in n for n in end_res.note_texts("nl"))
    assert any("regression to the mean" in n and "end of the period" in n for n in end_res.note_texts("en"))
    assert not any("Caution" in n for n in run(store, group_by="start").note_texts("en"))
    fixed = run(store, group_year=2018)       # report fig. 8 style: one grouping year
    assert fixed.table["mean_change"].tolist() == pytest.approx(end.tolist())
    assert any("Caution" in n for n in fixed.note_texts("en"))


@pytest.mark.slow
def test_planted_dimensions_for_corporation_areas(national_buurten):
    pan = make_panel(national_buurten, [2014, 2018], seed=51)
    rng = np.random.default_rng(52)
    n = len(national_buurten)
    corp = pan.loc[pan["year"] == 2014, "corp_share"].to_numpy() >= 50
    plant = {"lbm_onv": (-0.03, 0.01), "lbm_soc": (-0.01, 0.0), "lbm_won": (0.02, 0.02)}
    for dim, (hi, lo) in plant.items():
        pan[dim] = np.concatenate([np.zeros(n), np.where(corp, hi, lo) + rng.normal(0, 0.02, n)])
    store = planted_store(national_buurten, pan, ["corp_share"] + list(plant))
    res = get_analysis("liveability")(store, mode="dimension")
    t = res.table.set_index(["dimension", "group"])
    for dim, (hi, lo) in plant.items():
        assert t.loc[(dim, "≥50%"), "mean_change"] == pytest.approx(hi, abs=0.002)
        assert t.loc[(dim, "<50%"), "mean_change"] == pytest.approx(lo, abs=0.002)
    assert t.loc[("lbm_onv", "≥50%"), "n"] == corp.sum()
    fig = res.figure()
    assert [ax.get_title() for ax in fig.axes] == ["Aandeel corporatiewoningen ≥50%",
                                                   "Aandeel corporatiewoningen <50%"]


# ------------------------------------------------------------------ hand-computed cases (6 areas)
# area   class2012  lbm2012  lbm2016   change   share(2019 only)  onv2014→2016  won2014→2016
#  0        2        -.30     -.29     +.01        10               +.01          +.1
#  1        2        -.20     -.17     +.03        20               +.02          +.1
#  2        2        -.10     -.05     +.05        30               +.03          +.1
#  3        7         .10      .08     -.02        60               -.03          +.1
#  4        7         .20      .20      .00        70               -.04          +.1
#  5        7         .30      .32     +.02        80               -.05          +.1
# Class 2: mean .03, sd .02, n 3 → 95% CI .03 ± t(2)·.02/√3 = .03 ± 4.302653·.011547 = .03 ± .049683.
# Class 7: mean 0, sd .02 → 0 ± .049683. Dimensions (threshold 50): onv ≥50% −.04, <50% +.02; won +.1, sd 0.
@pytest.fixture(scope="module")
def hand_store():
    codes = [f"BU0001000{i}" for i in range(6)]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": "GM0001", "wk_code": "WK000100"},
                             geometry=[Point(5, 52 + i / 100) for i in range(6)], crs=4326)
    rows = []
    for i, cd in enumerate(codes):
        rows += [("lbm_class", cd, 2012, [2, 2, 2, 7, 7, 7][i]),
                 ("lbm", cd, 2012, [-.3, -.2, -.1, .1, .2, .3][i]),
                 ("lbm", cd, 2016, [-.29, -.17, -.05, .08, .2, .32][i]),
                 ("corp_share", cd, 2019, [10, 20, 30, 60, 70, 80][i]),
                 ("lbm_onv", cd, 2014, 0.0), ("lbm_onv", cd, 2016, [.01, .02, .03, -.03, -.04, -.05][i]),
                 ("lbm_won", cd, 2014, 0.0), ("lbm_won", cd, 2016, 0.1)]
    facts = pd.DataFrame(rows, columns=["indicator", "code", "year", "value"])
    facts["geo_version"], facts["source"] = "cbs2019", "hand"
    return store_from(areas, facts, tag="hand-lv")


def test_hand_lbm_classes(hand_store):
    res = run(hand_store, classes="lbm_class", periods=[(2012, 2016)])
    t = res.table.set_index("group")
    assert t.index.tolist() == [2, 7]
    assert t.loc[2, "mean_change"] == pytest.approx(0.03) and t.loc[7, "mean_change"] == pytest.approx(0)
    assert t.loc[2, "sd"] == pytest.approx(0.02) and t.loc[2, "se"] == pytest.approx(0.02 / np.sqrt(3))
    assert t.loc[2, "ci_lo"] == pytest.approx(0.03 - 0.049683, abs=1e-5)
    assert t.loc[7, "ci_hi"] == pytest.approx(0.049683, abs=1e-5)
    assert render(t.loc[2, "group_label"], "nl") == "2 ruim onvoldoende" and render(t.loc[7, "group_label"], "en") == "7 good"
    ax = res.figure().axes[0]
    assert ax.get_xlabel() == "Leefbaarometer-klasse" and ax.get_ylabel() == "Gemiddelde verandering"
    assert res.figure("en").axes[0].get_ylabel() == "Mean change"


def test_hand_dimensions(hand_store):
    res = run(hand_store, mode="dimension", dimensions=["lbm_onv", "lbm_won", "lbm_vrz"])
    t = res.table.set_index(["dimension", "group"])
    assert res.params["dimensions"] == ["lbm_onv", "lbm_won"]        # lbm_vrz absent: dropped
    assert t.loc[("lbm_onv", "≥50%"), "mean_change"] == pytest.approx(-0.04)
    assert t.loc[("lbm_onv", "<50%"), "mean_change"] == pytest.approx(0.02)
    assert t.loc[("lbm_won", "≥50%"), "ci_lo"] == pytest.approx(0.1)   # sd 0: a point interval
    assert t.loc[("lbm_onv", "≥50%"), "n"] == 3
    assert any("6 keer" in n for n in res.note_texts("nl"))          # share of 2019 used for 2014 (nearest year)


def test_hand_lbm_class_missing_is_an_error(national_buurten):
    pan = make_panel(national_buurten.iloc[:50], [2012, 2018], seed=1)
    pan["lbm"] = 0.0
    store = planted_store(national_buurten.iloc[:50], pan, ["lbm"])
    with pytest.raises(Exception, match="lbm_class"):
        run(store, classes="lbm_class")


# ------------------------------------------------------------------ the real Leefbaarometer PC4 file
@pytest.mark.slow
def test_real_pc4_regression_to_the_mean(real_data):
    """METHOD.md: in the real PC4 data the bottom decile of 2018 rose +0.017 over 2012–2018 and the top
    decile +0.048; grouped by 2018, 2018–2022 shows the reverse."""
    raw = pd.read_csv(real_data / "leefbaarometer_pc4" / "leefbaarometer3_scores_pc4_2002_2022.csv.gz")
    raw = raw[raw["jaar"].isin([2012, 2018, 2022])]
    codes = "PC" + raw["PC4"].astype(str).str.zfill(4)
    areas = pd.DataFrame({"geo_version": "lbm3-2022", "code": sorted(set(codes)), "level": "pc4"})
    facts = pd.DataFrame({"geo_version": "lbm3-2022", "code": codes, "year": raw["jaar"],
                          "indicator": "lbm", "value": raw["afw"], "source": "leefbaarometer"})
    store = store_from(areas, facts, tag="lbm-pc4")
    res = run(store, group_year=2018, periods=[(2012, 2018), (2018, 2022)])
    t = res.table.set_index(["period", "group"])["mean_change"]
    assert round(t[("2012–2018", 1)], 3) == pytest.approx(0.017, abs=0.001)
    assert round(t[("2012–2018", 10)], 3) == pytest.approx(0.048, abs=0.001)
    assert t[("2018–2022", 1)] > 0.02 > -0.02 > t[("2018–2022", 10)]          # the reverse
    assert any("Caution" in n for n in res.note_texts("en"))
    start = run(store, periods=[(2012, 2018)]).table.set_index("group")["mean_change"]
    assert start[1] > start[10] + 0.05     # grouped by the start year, the bottom decile rises most
