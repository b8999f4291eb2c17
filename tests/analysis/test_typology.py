"""Typology: planted members on the national geometry (LVB and the stand-in), and a hand case."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from tests.analysis.conftest import store_from
from tests.analysis.planted import make_panel, planted_store
from veerkracht.analysis import get_analysis
from veerkracht.analysis.typology import run, typology_map
from veerkracht.i18n import render


def _exact_rate(pan, ind, p_from, p_to):
    """num = round(p·residents): no sampling noise, so membership is exact."""
    den = pan["residents"].to_numpy()
    p = np.concatenate([p_from, p_to])
    pan[ind + "_num"] = np.round(p * den)
    pan[ind + "_den"] = den.astype(float)
    return pan


@pytest.fixture(scope="module")
def planted(national_buurten):
    pan = make_panel(national_buurten, [2012, 2018], seed=41)
    n = len(national_buurten)
    rng = np.random.default_rng(42)
    groups = rng.choice(n, size=900, replace=False)
    A, B, C = groups[:300], groups[300:600], groups[600:]          # problem, vulnerable, watch-list
    lvb0, lvb1 = np.full(n, 0.15), np.full(n, 0.15)
    lvb0[A], lvb1[A] = 0.40, 0.45
    lvb0[B], lvb1[B] = 0.45, 0.45
    lvb0[C], lvb1[C] = 0.10, 0.25
    onv = np.full(n, 0.05)
    onv[A] = -0.20
    pan = _exact_rate(pan, "lvb", lvb0, lvb1)
    pan["lbm_onv"] = np.concatenate([onv, onv])
    store = planted_store(national_buurten, pan, ["lvb", "lbm_onv", "residents"])
    codes = national_buurten["code"].to_numpy()
    res2018 = pan[pan["year"] == 2018].set_index("code")["residents"]
    return store, codes[A], codes[B], codes[C], res2018


@pytest.mark.slow
def test_planted_members_exact(planted):
    store, A, B, C, residents = planted
    res = run(store)
    t = res.table.set_index("code")
    assert set(t.index[t["class"] == "problem"]) == set(A)
    assert set(t.index[t["class"] == "vulnerable"]) == set(B)
    assert set(t.index[t["class"] == "signal"]) == set(C)
    assert (t["class"] == "none").sum() == 13594 - 900
    assert not res.params["vulnerable_standin"] and res.params["vulnerable_threshold"] == 35
    # rise: A +5 points > the rise threshold (darkest shade), B about 0 (lightest)
    assert (t.loc[A, "shade"] == 3).all() and (t.loc[B, "shade"] == 1).all()
    assert t.loc[C, "watch"].all() and not t.loc[A, "watch"].any()
    r = t.loc[A[0]]
    v = f"{r['vulnerable']:.1f}".replace(".", ",")
    lvb_nl, onv_nl = render("common.indicator_lc", "nl", ind="lvb"), render("common.indicator_lc", "nl", ind="lbm_onv")
    assert render(r["rule"], "nl") == f"{onv_nl} -0,20 ≤ -0,10 (zwak of slechter) en {lvb_nl} {v}% > 35,0%"
    rule_b = render(t.loc[B[0], "rule"], "en")
    assert rule_b.startswith(render("common.indicator_lc", "en", ind="lvb") + " 45.") and "no nuisance problem (yet)" in rule_b
    rc = t.loc[C[0]]
    assert 14 < rc["rise"] < 16                                   # 10% → 25% of a rounded count
    rise = f"{rc['rise']:.1f}".replace(".", ",")
    assert render(rc["rule"], "nl").startswith(f"stijging +{rise} procentpunt > +2,0 procentpunt")
    # reliability: areas under 50 residents are flagged and blanked on the map
    small = residents.index[residents < 50]
    assert len(small) > 0 and t.loc[small, "suppressed"].all()
    assert not t.loc[residents.index[residents >= 100], "suppressed"].any()
    lay = res.layer()
    assert len(lay) == 13594 and lay.set_index("code").loc[small, "vulnerable"].isna().all()
    assert lay.set_index("code").loc[A[0], "colour"] == "#a50f15"
    # sensitivity: at +10 points (45%) only the areas whose rounded count lies above 45% stay
    s = res.extra["sensitivity"].set_index(["threshold", "shift"])
    assert s.loc[("vulnerable", 0), "problem"] == 300
    assert s.loc[("vulnerable", 10), "problem"] == (t.loc[A, "vulnerable"] > 45).sum() < 300
    assert s.loc[("vulnerable", 10), "vulnerable"] == (t.loc[B, "vulnerable"] > 45).sum() < 300
    above = int((t.loc[C, "vulnerable"] > 25).sum())                         # C ends at ~25%
    assert s.loc[("vulnerable", -10), "vulnerable"] == 300 + above and s.loc[("vulnerable", -10), "signal"] == 300 - above
    assert s.loc[("nuisance", -5), "problem"] == 300 and s.loc[("nuisance", 10), "problem"] == 300
    assert s.loc[("rise", 10), "signal"] == 300                               # C rose 15 > 12
    assert s.loc[("rise", -5), "signal"] == 13594 - 600                       # a rise of 0 > −3 counts


@pytest.mark.slow
def test_standin_when_lvb_missing(national_buurten):
    pan = make_panel(national_buurten, [2012, 2018], seed=43)
    n = len(national_buurten)
    rng = np.random.default_rng(44)
    top = rng.choice(n, size=400, replace=False)                 # < 10% of areas: all above P90
    base = rng.uniform(0.05, 0.15, n)
    for ind, k in (("bijstand", 0.5), ("low_income", 1.0), ("social_minimum", 0.8)):
        p = base * k
        p[top] = 0.5 * k
        pan = _exact_rate(pan, ind, p, p)
    crime = rng.uniform(0.02, 0.05, n)
    crime[top[:200]] = 0.2                                       # half of them also high crime (> P80)
    pan = _exact_rate(pan, "crime_rate", crime, crime)
    store = planted_store(national_buurten, pan, ["bijstand", "low_income", "social_minimum", "crime_rate"])
    default = run(store)
    assert default.params["vulnerable_threshold"] == 90 and default.params["nuisance_threshold"] == 80
    assert default.params["rise_threshold"] == 10
    # the planted 400 hold the top composite ranks and the planted 200 the top crime ranks: thresholds
    # between rank n−400 and n−399 (n−200 and n−199) separate them exactly
    res = run(store, vulnerable_threshold=100 * (n - 399.5) / n, nuisance_threshold=100 * (n - 199.5) / n)
    t = res.table.set_index("code")
    codes = national_buurten["code"].to_numpy()
    assert res.params["vulnerable_standin"] and res.params["nuisance_standin"]
    assert res.params["standin_components"] == ["bijstand", "low_income", "social_minimum"]
    assert res.inputs["nuisance"] == {"indicators": ["crime_rate"], "years": [2018], "standin": True}
    assert res.params["vulnerable_used"] == "standin" and res.params["nuisance_used"] == "crime_rate"
    assert (t["rise"] == 0).all() and (t["class"] != "signal").all()     # the same values both years
    assert set(t.index[t["class"] == "problem"]) == set(codes[top[:200]])
    assert set(t.index[t["class"] == "vulnerable"]) == set(codes[top[200:]])
    assert "stand-in vulnerability index" in render(t.loc[codes[top[0]], "rule"], "en")
    crime_nl = render("common.indicator_lc", "nl", ind="crime_rate")
    assert f"{crime_nl} (vervanging)" in render(t.loc[codes[top[0]], "rule"], "nl")
    assert any("LVB ontbreekt" in n for n in res.note_texts("nl")) and any("stands in" in n for n in res.note_texts("en"))


def _hand_case_store(onv_year: int = 2018):
    """Five squares: lvb 2012 and 2018, lbm_onv in ``onv_year`` (see the rows' comments)."""
    codes = [f"BU000100{i:02d}" for i in range(5)]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": "GM0001", "wk_code": "WK000100"},
                             geometry=[box(5 + i * 0.01, 52, 5.01 + i * 0.01, 52.01) for i in range(5)], crs=4326)
    #            lvb 2012  lvb 2018  onv 2018
    data = [(38.0, 40.0, -0.15),     # problem: onv ≤ −0.10, lvb 40 > 35
            (36.0, 36.0, 0.02),      # vulnerable, no problem
            (20.0, 24.0, 0.00),      # rise 4 > 2: watch-list
            (30.0, 31.0, -0.12),     # nuisance problem, lvb below threshold → geen
            (30.0, 30.0, np.nan)]    # no nuisance value → onbekend
    rows = []
    for code, (a, b, o) in zip(codes, data):
        rows += [dict(code=code, year=2012, indicator="lvb", value=a), dict(code=code, year=2018, indicator="lvb", value=b)]
        if not np.isnan(o):
            rows.append(dict(code=code, year=onv_year, indicator="lbm_onv", value=o))
    facts = pd.DataFrame(rows).assign(geo_version="cbs2019", source="hand")
    return store_from(areas, facts), codes


def test_hand_case_rules_and_sensitivity():
    store, codes = _hand_case_store()
    res = get_analysis("typology")(store)
    t = res.table.set_index("code")
    assert t["class"].tolist() == ["problem", "vulnerable", "signal", "none", "unknown"]
    L, N = render("common.indicator_lc", "nl", ind="lvb"), render("common.indicator_lc", "nl", ind="lbm_onv")
    assert [render(x, "nl") for x in t["rule"]] == [
        f"{N} -0,15 ≤ -0,10 (zwak of slechter) en {L} 40,0% > 35,0%",
        f"{L} 36,0% > 35,0% en {N} 0,02 > -0,10: (nog) geen overlastprobleem",
        f"stijging +4,0 procentpunt > +2,0 procentpunt en {N} 0,00 > -0,10; {L} 24,0% ≤ 35,0%",
        f"{L} 31,0% ≤ 35,0%, stijging +1,0 procentpunt ≤ +2,0 procentpunt; {N} -0,12 ≤ -0,10 (zwak of slechter)",
        f"ontbrekende gegevens ({N})"]
    Le, Oe = render("common.indicator_lc", "en", ind="lvb"), render("common.indicator_lc", "en", ind="lbm_onv")
    assert render(t.loc[codes[0], "rule"], "en") == f"{Oe} -0.15 ≤ -0.10 (weak or worse) and {Le} 40.0% > 35.0%"
    # shades of problem and vulnerable areas by their rise against the rise threshold 2: area 0 rose
    # 2 (≤ 2: 'risen', shade 2), area 1 rose 0 (≤ 1: 'not or hardly', shade 1); others have no shade
    assert t["shade"].tolist() == [2, 1, 0, 0, 0]
    assert t["layer_class"].tolist() == ["problem:2", "vulnerable:1", "signal", "none", "unknown"]
    assert t["watch"].tolist() == [False, False, True, False, False]
    s = res.extra["sensitivity"].set_index(["threshold", "shift"])
    # vulnerable threshold 30: areas 0,1 above; area 3 (31) too, with a problem → 2 problem areas
    assert s.loc[("vulnerable", -5), ["problem", "vulnerable", "signal", "none", "unknown"]].tolist() == [2, 1, 1, 0, 1]
    # nuisance threshold −0.15: only area 0 has a problem; −0.05: also area 3
    assert s.loc[("nuisance", -5), "problem"] == 1 and s.loc[("nuisance", 5), "none"] == 1
    # rise threshold −3 (shift −5): every known area without a problem rises "fast"
    assert s.loc[("rise", -5), "watch"] == 2 and s.loc[("rise", 5), "signal"] == 0
    assert res.figure().axes[0].get_ylabel() == "gebieden"
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    ax = Figure().subplots()
    typology_map(res, ax)
    assert len(ax.collections) == 1


def test_standin_rise_is_measured_on_the_start_year_distribution():
    """A general rise counts as a rise: 20 areas with bijstand 10…29 per 1,000 in 2012, all + 5 in 2018.
    Each area's stand-in percentile against the 2012 distribution rises by 25 points (5 ranks of 20),
    less at the top where the 2012 distribution ends (issue 10 item 7: "rise measured against the end
    year" would show no rise at all)."""
    codes = [f"BU000100{i:02d}" for i in range(20)]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": "GM0001", "wk_code": "WK000100"},
                             geometry=[box(5 + i * 0.01, 52, 5.01 + i * 0.01, 52.01) for i in range(20)], crs=4326)
    rows = []
    for i, cd in enumerate(codes):
        for y, extra in ((2012, 0), (2018, 5)):
            rows.append(dict(code=cd, year=y, indicator="bijstand", numerator=10 + i + extra, denominator=1000,
                             value=10 + i + extra))
            rows.append(dict(code=cd, year=y, indicator="crime_rate", numerator=50, denominator=1000, value=50))
    store = store_from(areas, pd.DataFrame(rows).assign(geo_version="cbs2019", source="hand"), tag="rise-ref")
    res = run(store, standin_components=["bijstand"])
    t = res.table.set_index("code")
    expected = [(min(i + 6, 20) - (i + 1)) * 5.0 for i in range(20)]
    assert t["rise"].tolist() == pytest.approx(expected)
    assert res.params["nuisance_year"] == 2018           # crime in both years: the status year's is used
    # a component with only one of the two years does not enter the stand-in
    extra = pd.DataFrame([dict(code=cd, year=2018, indicator="low_income", numerator=1, denominator=10, value=10,
                               geo_version="cbs2019", source="hand") for cd in codes])
    from veerkracht.store import Batch, Provenance
    store.ingest(Batch(Provenance("li", "li", "li"), facts=extra))
    assert run(store).params["standin_components"] == ["bijstand"]
    # listed first, the one-year component does not set the years: the first with two years does
    first = run(store, standin_components=["low_income", "bijstand"])
    assert first.params["standin_components"] == ["bijstand"]
    assert (first.params["year_from"], first.params["year_to"]) == (2012, 2018)
    assert first.table.set_index("code")["rise"].tolist() == pytest.approx(expected)
    assert any("regression to the mean" in n for n in res.note_texts("en"))


def test_shade_boundaries_by_hand():
    """Rise threshold 2: ≤ 1 (half) → shade 1, ≤ 2 → 2, above → 3; unknown rise → 0; only high areas shaded."""
    from veerkracht.analysis.typology import classify
    d = pd.DataFrame({"vulnerable": [40, 40, 40, 40, 40, 40, 10], "nuisance": [0.5] * 7,
                      "rise": [0.8, 1.0, 1.5, 2.0, 2.5, np.nan, 5.0]})
    out = classify(d, vt=35, nt=-0.1, rt=2, n_percentile=False)
    assert out["shade"].tolist() == [1, 1, 2, 2, 3, 0, 0]
    assert out["class"].tolist() == ["vulnerable"] * 6 + ["signal"]


def test_period_end_moved_back_to_its_start_year():
    """lvb has 2012 and 2018; asked 2012–2015, the end moves to the latest year inside the period that is
    not before its start: 2012 itself (said in a note). A one-year period: the status, no rise."""
    store, codes = _hand_case_store()
    res = get_analysis("typology")(store, year_from=2012, year_to=2015)
    assert (res.params["year_from"], res.params["year_to"]) == (2012, 2012)
    en = res.note_texts("en")
    assert any("has no data for 2015: 2012 was used" in n for n in en) and any("Only one year: no rise" in n for n in en)
    t = res.table.set_index("code")
    assert t["rise"].isna().all() and t.loc[codes[0], "class"] == "problem"


def test_nuisance_from_inside_the_period_when_the_end_year_has_none():
    """lbm_onv only in 2015, inside 2012–2018: that year is used (and said), the classes are the hand case's."""
    store, codes = _hand_case_store(onv_year=2015)
    res = get_analysis("typology")(store)
    assert res.params["nuisance_year"] == 2015 and res.params["nuisance_used"] == "lbm_onv"
    assert res.table["class"].tolist() == ["problem", "vulnerable", "signal", "none", "unknown"]
    assert any("from 2015: there are no data for 2018" in n for n in res.note_texts("en"))


def test_standin_composite_of_an_area_missing_a_component():
    """Two components, ten squares; the last square has bijstand only (the highest: 9 per 1,000). Its
    composite is its own bijstand z-score (the mean of the z-scores it has), the highest of all, so it
    is at P100 in both years; by hand every square's percentile is that of its mean z-score."""
    codes = [f"BU000100{i:02d}" for i in range(10)]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": "GM0001", "wk_code": "WK000100"},
                             geometry=[box(5 + i * 0.01, 52, 5.01 + i * 0.01, 52.01) for i in range(10)], crs=4326)
    bij = np.arange(10.0)
    li = 1000 + np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, np.nan])
    rows = [dict(code=cd, year=y, indicator=ind, numerator=v, denominator=1000, value=v)
            for y in (2012, 2018) for i, cd in enumerate(codes)
            for ind, v in (("bijstand", bij[i]), ("low_income", li[i]), ("crime_rate", 50.0)) if np.isfinite(v)]
    store = store_from(areas, pd.DataFrame(rows).assign(geo_version="cbs2019", source="hand"), tag="composite")
    res = get_analysis("typology")(store, standin_components=["bijstand", "low_income"])
    z = [(s - np.nanmean(s)) / np.nanstd(s, ddof=1) for s in (bij, li)]
    comp = pd.Series(np.nanmean(z, axis=0))
    want = [100.0 * np.sum(comp.to_numpy() <= v) / 10 for v in comp]
    t = res.table.set_index("code")
    assert t["vulnerable_from"].tolist() == pytest.approx(want) and t["vulnerable"].tolist() == pytest.approx(want)
    assert t.loc[codes[-1], "vulnerable"] == 100
