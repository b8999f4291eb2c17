"""Corporation-share profile: a hand-computed case and a planted gap growth on the national geometry."""
from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from tests.analysis.conftest import store_from
from tests.analysis.planted import expected_pooled, make_panel, plant_rate, planted_store, spread_support
from veerkracht.analysis import get_analysis
from veerkracht.analysis.corp_profile import profile_many, run
from veerkracht.i18n import render

# ------------------------------------------------------------------ hand-computed case (7 areas)
# Areas A–F in GM0001, G in GM0002. bins [0, 50, ∞) -> "0–50", "≥50". bijstand per 1,000.
#   share 2012/2018  bijstand 2012   bijstand 2018
# A 10 / 10          10 / 1000       10 / 1000
# B 20 / 20          20 / 1000       10 / 1000
# C 40 / 40          30 / 2000       20 / 2000
# D 60 / 60          40 / 1000       60 / 1000
# E 80 / 80          60 / 1000       80 / 1000
# F 90 / (missing -> 2012 share 90) 100 / 2000      120 / 2000
# G  5 /  5         100 / 1000      100 / 1000
# National 2012: 360/9000 = 40 per 1,000; 2018: 400/9000 = 44.444…
# GM0001, bin 0–50: 2012 60/4000 = 15, 2018 40/4000 = 10; bin ≥50: 2012 200/4000 = 50, 2018 260/4000 = 65.
# GM0001 reference (regional): 2012 260/8000 = 32.5, 2018 300/8000 = 37.5.
SHARES = {"A": 10, "B": 20, "C": 40, "D": 60, "E": 80, "F": 90, "G": 5}
B2012 = {"A": (10, 1000), "B": (20, 1000), "C": (30, 2000), "D": (40, 1000), "E": (60, 1000),
         "F": (100, 2000), "G": (100, 1000)}
B2018 = {"A": (10, 1000), "B": (10, 1000), "C": (20, 2000), "D": (60, 1000), "E": (80, 1000),
         "F": (120, 2000), "G": (100, 1000)}


def _code(k):
    return f"BU0{'002' if k == 'G' else '001'}000{'ABCDEFG'.index(k)}"


@pytest.fixture(scope="module")
def hand_store():
    areas = gpd.GeoDataFrame({
        "geo_version": "cbs2019", "code": [_code(k) for k in SHARES], "level": "buurt",
        "name": list(SHARES), "gm_code": ["GM0002" if k == "G" else "GM0001" for k in SHARES],
        "wk_code": ["WK000200" if k == "G" else "WK000100" for k in SHARES],
    }, geometry=[Point(5 + i / 100, 52) for i in range(7)], crs=4326)
    rows = []
    for k, s in SHARES.items():
        for y in (2012, 2018):
            if not (k == "F" and y == 2018):
                rows.append(("corp_share", k, y, s, 100, s))
        for y, tab in ((2012, B2012), (2018, B2018)):
            num, den = tab[k]
            rows.append(("bijstand", k, y, num, den, num / den * 1000))
    facts = pd.DataFrame(rows, columns=["indicator", "k", "year", "numerator", "denominator", "value"])
    facts["code"] = facts.pop("k").map(_code)
    facts["geo_version"], facts["source"] = "cbs2019", "hand"
    return store_from(areas, facts, tag="hand")


def test_hand_regional_index(hand_store):
    res = run(hand_store, "bijstand", region="GM0001", bins=[0, 50, math.inf], index_on="regional",
              n_boot=200, seed=1)
    t = res.table.set_index(["year", "bin_label"])
    assert t.loc[(2012, "0–50"), "rate"] == pytest.approx(15)
    assert t.loc[(2012, "≥50"), "rate"] == pytest.approx(50)
    assert t.loc[(2018, "0–50"), "rate"] == pytest.approx(10)
    assert t.loc[(2018, "≥50"), "rate"] == pytest.approx(65)
    assert t.loc[(2012, "0–50"), "index"] == pytest.approx(15 / 32.5 * 100)
    assert t.loc[(2018, "≥50"), "index"] == pytest.approx(65 / 37.5 * 100)
    assert t.loc[(2018, "≥50"), "n_areas"] == 3          # F kept through its 2012 share
    assert t.loc[(2012, "≥50"), "numerator"] == 200 and t.loc[(2012, "≥50"), "denominator"] == 4000
    assert not t["suppressed"].any()
    s = res.summary
    assert s["gap_from"] == pytest.approx(35 / 32.5 * 100)          # 107.69
    assert s["gap_to"] == pytest.approx(55 / 37.5 * 100)            # 146.67
    assert s["growth"] == pytest.approx((55 / 37.5) / (35 / 32.5) - 1)   # 0.3619
    assert (s["top_bin"], s["bottom_bin"]) == ("≥50", "0–50")
    assert any("2012" in n and "1 " in n for n in res.note_texts("nl"))     # the share fallback is reported
    # bootstrap intervals bracket the point estimates
    assert (t["index_lo"] <= t["index"] + 1e-9).all() and (t["index"] <= t["index_hi"] + 1e-9).all()
    assert s["growth_lo"] <= s["growth"] <= s["growth_hi"]


def test_hand_national_index_and_sentence(hand_store):
    res = get_analysis("corp-profile")(hand_store, indicator="bijstand", region="GM0001", bins=[0, 50, math.inf],
                                       n_boot=50)
    t = res.table.set_index(["year", "bin_label"])
    assert t.loc[(2012, "0–50"), "index"] == pytest.approx(15 / 40 * 100)       # 37.5
    assert t.loc[(2018, "0–50"), "index"] == pytest.approx(10 / (400 / 9) * 100)   # 22.5
    assert res.summary["gap_from"] == pytest.approx(87.5)
    assert res.summary["gap_to"] == pytest.approx(123.75)
    assert res.summary["growth"] == pytest.approx(123.75 / 87.5 - 1)
    assert res.extra["reference"]["rate"].tolist() == pytest.approx([40, 400 / 9])
    nl, en = render(res.summary["message"], "nl"), render(res.summary["message"], "en")
    assert "+41%" in nl and "88 in 2012" in nl
    assert "+41%" in en and "housing-association" in en


def test_hand_suppression(hand_store):
    res = run(hand_store, "bijstand", region="GM0001", bins=[0, 50, math.inf], n_boot=20,
              min_den=4001)       # every bin has a pooled denominator of 4,000
    assert res.table["suppressed"].all() and res.table["rate"].isna().all()
    assert math.isnan(res.summary["gap_from"])
    assert any("Fewer than two bins" in n for n in res.note_texts("en"))


def test_figure_labels(hand_store):
    res = run(hand_store, "bijstand", bins=[0, 50, math.inf], n_boot=20)
    ax = res.figure().axes[0]
    # a hand-made store of a few gemeenten is not the country: the label must not say "Nederland"
    assert res.params["index_on"] == "store"
    assert ax.get_ylabel() == "Index (alle gebieden in de database = 100)" and ax.get_title() == "Bijstandsontvangers"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0–50", "≥50"]
    ax_en = res.figure("en").axes[0]
    assert ax_en.get_ylabel() == "Index (all areas in the store = 100)"
    assert ax_en.get_title() == "Social assistance recipients"


# ------------------------------------------------------------------ planted gap growth (national)
EDGES = [0, 10, 20, 30, 40, 50, 60, 70, 80, np.inf]


@pytest.mark.slow
def test_planted_gap_growth_national(national_buurten):
    pan = make_panel(national_buurten, [2012, 2018], seed=3, share_drift_sd=3)
    s = pan["corp_share"].to_numpy() / 100
    y18 = (pan["year"] == 2018).to_numpy()
    # Planted rates are linear in the share: p = c + k·s. With m_bin = pooled share per bin the
    # index gap is 100·k·(m_top − m_bot)/(c + k·m_all); choose k(2018) so that it is 1.5 × that of 2012.
    m = expected_pooled(pan, s, EDGES).set_index(["year", "bin"])["rate"]
    c12, k12, c18 = 0.02, 0.06, 0.025
    g12 = 100 * k12 * (m[2012, 8] - m[2012, 0]) / (c12 + k12 * m[2012, -1])
    g18_target = 1.5 * g12
    k18 = g18_target * c18 / (100 * (m[2018, 8] - m[2018, 0]) - g18_target * m[2018, -1])
    prob = np.where(y18, c18 + k18 * s, c12 + k12 * s)
    truth = expected_pooled(pan, prob, EDGES).set_index(["year", "bin"])["rate"]
    gap = {y: 100 * (truth[y, 8] - truth[y, 0]) / truth[y, -1] for y in (2012, 2018)}
    assert gap[2018] / gap[2012] - 1 == pytest.approx(0.5)            # planted by construction

    pan = plant_rate(pan, "bijstand", prob, seed=4)
    store = planted_store(national_buurten, pan, ["corp_share", "bijstand"])
    res = run(store, "bijstand", n_boot=300, seed=5)
    assert res.params["index_on"] == "national"                      # 13,594 buurten: the country
    assert res.summary["growth"] == pytest.approx(0.5, abs=0.05)     # within ±10% of the planted +50%
    assert res.summary["growth_lo"] < 0.5 < res.summary["growth_hi"]
    assert res.summary["growth_hi"] - res.summary["growth_lo"] < 0.2
    t = res.table.set_index(["year", "bin"])
    for y in (2012, 2018):
        for k in range(9):
            true_index = truth[y, k] / truth[y, -1] * 100
            assert t.loc[(y, k), "index"] == pytest.approx(true_index, rel=0.03)
            assert t.loc[(y, k), "rate"] == pytest.approx(truth[y, k] * 1000, rel=0.03)
    assert t["n_areas"].groupby("year").sum().tolist() == [13594, 13594]
    # intervals cover the planted index in (nearly) every bin-year
    cover = [(t.loc[(y, k), "index_lo"] <= truth[y, k] / truth[y, -1] * 100 <= t.loc[(y, k), "index_hi"])
             for y in (2012, 2018) for k in range(9)]
    assert sum(cover) >= 16


def test_profile_many_equals_one_region_at_a_time(hand_store):
    """Many regions in one pass give each region exactly what run() gives it alone; an empty group says so."""
    from veerkracht.analysis.corp_profile import profile_many

    groups = {"GM0001": "GM0001", "GM0002": "GM0002", "nowhere": "GM9999"}
    many = profile_many(hand_store, "bijstand", groups, bins=[0, 50, math.inf], index_on="regional",
                        n_boot=100, seed=3, year_from=2012, year_to=2018)
    gaps = many.gaps()
    one = run(hand_store, "bijstand", region="GM0001", bins=[0, 50, math.inf], index_on="regional",
              n_boot=100, seed=3)
    assert gaps.loc["GM0001", "gap_from"] == pytest.approx(one.summary["gap_from"])
    assert gaps.loc["GM0001", "growth"] == pytest.approx(one.summary["growth"])
    assert gaps.loc["GM0001", "growth_lo"] == pytest.approx(one.summary["growth_lo"])
    pd.testing.assert_frame_equal(many.result("GM0001").table, one.table)
    assert gaps.loc["nowhere", "n_areas"] == 0 and "no buurt areas" in gaps.loc["nowhere", "error"]
    assert pd.isna(gaps.loc["nowhere", "gap_from"])


# ------------------------------------------------------------------ whose change moved the gap (issue 10 item 4)
def _decomp_store():
    """Six buurten, hand numbers. Bins [0, 50) and ≥ 50. 2012: A, B, C low (10 %, 20 %, 40 %), D, E, F
    high (60, 70, 90 %). C moves up to 60 % in 2018. Rates (bijstand per 1,000 = num/den·1000):
      2012: A 10/100, B 10/100, C 30/100 | D 40/100, E 40/100, F 40/100
      2018: A  5/100, B  5/100, C 30/100 | D 40/100, E 40/100, F 40/100  (only the low bin falls)."""
    import geopandas as gpd
    from shapely.geometry import box

    from tests.analysis.conftest import store_from
    codes = [f"BU0001000{i}" for i in range(6)]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": "GM0001", "wk_code": "WK000100"},
                             geometry=[box(5 + i * .01, 52, 5.01 + i * .01, 52.01) for i in range(6)], crs=4326)
    share = {2012: [10, 20, 40, 60, 70, 90], 2018: [10, 20, 60, 60, 70, 90]}
    bij = {2012: [10, 10, 30, 40, 40, 40], 2018: [5, 5, 30, 40, 40, 40]}
    rows = []
    for y in (2012, 2018):
        for i, cd in enumerate(codes):
            rows.append(dict(code=cd, year=y, indicator="corp_share", numerator=share[y][i], denominator=100,
                             value=share[y][i]))
            rows.append(dict(code=cd, year=y, indicator="bijstand", numerator=bij[y][i], denominator=100,
                             value=bij[y][i] * 10))
    return store_from(areas, pd.DataFrame(rows).assign(geo_version="cbs2019", source="hand"), tag="decomp")


def test_gap_decomposition_by_hand():
    res = run(_decomp_store(), indicator="bijstand", bins=[0, 50, float("inf")], index_on="regional",
              n_boot=50, min_den=1, min_num=1, min_areas=4)
    # reference (regional, pooled): 2012 170/600, 2018 160/600
    r0, r1 = 170 / 600, 160 / 600
    low0, high0 = 50 / 300 / r0 * 100, 120 / 300 / r0 * 100
    low1, high1 = 10 / 200 / r1 * 100, 150 / 400 / r1 * 100          # C counted high in 2018
    fixed_low1, fixed_high1 = 40 / 300 / r1 * 100, 120 / 300 / r1 * 100   # 2012 members, 2018 rates
    p = res.summary["parts"]
    assert res.summary["gap_change"] == pytest.approx((high1 - low1) - (high0 - low0))
    assert p["top"] == pytest.approx(high1 - high0) and p["bottom"] == pytest.approx(-(low1 - low0))
    assert p["top_within"] == pytest.approx(fixed_high1 - high0)
    assert p["top_composition"] == pytest.approx(high1 - fixed_high1)
    assert p["bottom_within"] == pytest.approx(-(fixed_low1 - low0))
    assert p["bottom_composition"] == pytest.approx(-(low1 - fixed_low1))
    assert p["within"] + p["composition"] == pytest.approx(p["change"]) == pytest.approx(res.summary["gap_change"])
    assert res.summary["gap_change_lo"] <= res.summary["gap_change"] <= res.summary["gap_change_hi"]
    parts = res.extra["gap_parts"].set_index("part")
    assert parts.loc["composition", "points"] == pytest.approx(p["composition"])
    # every part has its interval from the profile's own draws: the parts' change = the gap change's
    assert (parts["lo"] <= parts["points"] + 1e-9).all() and (parts["points"] <= parts["hi"] + 1e-9).all()
    assert (parts.loc["change", "lo"], parts.loc["change", "hi"]) == pytest.approx(
        (res.summary["gap_change_lo"], res.summary["gap_change_hi"]), rel=1e-9)
    assert res.summary["parts_lo"]["top"] == parts.loc["top", "lo"] and parts.loc["top", "hi"] > parts.loc["top", "lo"]
    en = render(res.summary["decomposition"], "en")
    assert "the bottom bin (0–50%)" in en and "Areas that changed bin" in en
    # min_areas = 4: both bins have 3 areas in 2012, the low bin 2 in 2018 → three flags; high 2018 has 4
    t = res.table.set_index(["year", "bin_label"])
    assert t.loc[(2018, "0–50"), "few_areas"] and t.loc[(2012, "≥50"), "few_areas"] and t.loc[(2012, "0–50"), "few_areas"]
    assert not t.loc[(2018, "≥50"), "few_areas"]
    few = [n for n in res.note_texts("en") if "rests on only" in n]
    assert len(few) == 3 and any("only 2 areas in 2018" in n for n in few)


def test_clustered_note_only_for_the_region_whose_values_were_spread():
    """Two regions profiled in one pass: GM0001's 30 buurten carry the rates of 10 PC4 units (3 each),
    GM0002's 30 buurten their own. Only GM0001 is measured on fewer independent units (10) and says so;
    GM0002's 30 buurten are 30 units and no note claims otherwise."""
    n = 60
    codes = [f"BU000{1 + i // 30}{i % 30:04d}" for i in range(n)]
    rng = np.random.default_rng(4)
    share = np.tile(np.linspace(2, 98, 30), 2)
    den = rng.integers(200, 800, n).astype(float)
    unit_rate = rng.uniform(0.02, 0.08, 10)
    rate = np.concatenate([np.repeat(unit_rate, 3), rng.uniform(0.02, 0.08, 30)])
    facts = []
    for y, f in ((2012, 1.0), (2018, 1.2)):
        num = rate * f * den
        facts += [pd.DataFrame({"code": codes, "year": y, "indicator": "bijstand", "numerator": num, "denominator": den,
                                "value": num / den * 1000, "origin_version": ["pc4-2019"] * 30 + ["cbs2019"] * 30}),
                  pd.DataFrame({"code": codes, "year": y, "indicator": "corp_share", "numerator": share * den / 100,
                                "denominator": den, "value": share, "origin_version": "cbs2019"})]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": [f"GM000{1 + i // 30}" for i in range(n)],
                              "wk_code": [f"WK000{1 + i // 30}00" for i in range(n)]},
                             geometry=[Point(5 + i / 100, 52) for i in range(n)], crs=4326)
    store = store_from(areas, pd.concat(facts, ignore_index=True).assign(geo_version="cbs2019", source="p"),
                       tag="half-spread")
    spread_support(store, areas.iloc[:30], pd.Series([f"10{i // 3:02d}" for i in range(30)], index=codes[:30]),
                   origin_version="pc4-2019")
    prof = profile_many(store, "bijstand", {"A": ["GM0001"], "B": ["GM0002"]}, year_from=2012, year_to=2018,
                        bins=[0, 50, float("inf")], index_on="regional", n_boot=50, seed=1)
    g = prof.gaps()
    assert g.loc["A", "n_units"] == 10 and g.loc["B", "n_units"] == 30
    notes = {k: [m for m in prof.result(k).notes if m.id == "inference.note.clustered"] for k in "AB"}
    assert len(notes["A"]) == 1 and notes["A"][0].params == {"n": 30, "units": 10, "level": "pc4"}
    assert notes["B"] == []


def test_gap_parts_of_a_bin_with_a_denominator_of_one():
    """Any positive denominator gives a rate: a top bin of one area with denominator 1 (numerator 0.5 →
    0.75) against a bottom bin 10/1,000 → 10/1,000, reference 0.01 both years: top part (0.75 − 0.5)/0.01·100
    = 2,500 index points, bottom 0, all within areas."""
    from veerkracht.analysis._gapparts import decompose
    num = np.array([[0.5, 10.0], [0.75, 10.0]])
    den = np.array([[1.0, 1000.0], [1.0, 1000.0]])
    bins = np.array([[1, 0], [1, 0]])
    parts = decompose(num, den, bins, np.ones((2, 2), bool), 1, 0, np.array([0.01, 0.01]))
    assert parts["top"] == pytest.approx(2500) and parts["bottom"] == pytest.approx(0)
    assert parts["within"] == pytest.approx(2500) and parts["composition"] == pytest.approx(0)
