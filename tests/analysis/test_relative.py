"""Relative view: pooled references on the national geometry, fallbacks, and a hand-checked case."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from tests.analysis.conftest import store_from
from tests.analysis.planted import make_panel, plant_rate, to_facts
from veerkracht.analysis import get_analysis
from veerkracht.analysis.relative import run


@pytest.mark.slow
def test_national_pooled_references(national_buurten):
    pan = make_panel(national_buurten, [2018], seed=61)
    pan = plant_rate(pan, "bijstand", 0.01 + 0.05 * pan["corp_share"] / 100, seed=62)
    facts = to_facts(pan, ["bijstand"])
    # Amsterdam without counts but with its own gemeente fact → 'fact'; the rest pooled
    ams = facts["code"].str.startswith("BU0363")
    facts.loc[ams, ["numerator", "denominator"]] = np.nan
    gm_fact = pd.DataFrame([dict(geo_version="cbs2019", code="GM0363", year=2018, indicator="bijstand",
                                 value=55.5, source="planted")])
    store = store_from(national_buurten, pd.concat([facts, gm_fact], ignore_index=True))
    res = run(store, indicator="bijstand", region=["GM0363", "GM0344"])
    t = res.table.set_index("code")
    assert set(t["gm_code"]) == {"GM0363", "GM0344"}
    # independent pandas: Utrecht pooled from its buurten, country pooled from every buurt with counts
    p = pan.assign(num=pan["bijstand_num"], den=pan["bijstand_den"])
    utr = p[p["gm_code"] == "GM0344"]
    nl = p[~p["code"].str.startswith("BU0363")]
    assert t.loc[t["gm_code"] == "GM0344", "gm_value"].iloc[0] == pytest.approx(utr.num.sum() / utr.den.sum() * 1000)
    assert t["nl_value"].iloc[0] == pytest.approx(nl.num.sum() / nl.den.sum() * 1000)
    assert (t.loc[t["gm_code"] == "GM0363", "gm_method"] == "fact").all()
    assert (t.loc[t["gm_code"] == "GM0363", "gm_value"] == 55.5).all()
    assert (t.loc[t["gm_code"] == "GM0344", "reference_method"] == "pooled").all()
    assert (t.loc[t["gm_code"] == "GM0363", "reference_method"] == "gemeente: fact, nl: pooled").all()
    a = utr.iloc[0]
    r = t.loc[a["code"]]
    v = a["num"] / a["den"] * 1000
    assert r["diff_gm"] == pytest.approx(v - r["gm_value"]) and r["index_nl"] == pytest.approx(v / r["nl_value"] * 100)
    assert r["value_lower"] < v < r["value_upper"]
    # rank 1 = the highest bijstand (higher is worse) within Utrecht
    top = utr.assign(v=utr.num / utr.den).sort_values("v", ascending=False)["code"].iloc[0]
    assert t.loc[top, "rank_gm"] == 1 and t.loc[top, "n_gm"] == len(utr)
    lay = res.layer().set_index("code")
    sup = t.index[t["suppressed"]]
    assert len(sup) and lay.loc[sup, "diff_gm"].isna().all() and lay.loc[sup, "rank_gm"].notna().all()


def test_hand_case():
    codes = ["BU00010001", "BU00010002", "BU00020001", "BU00020002"]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": ["GM0001", "GM0001", "GM0002", "GM0002"],
                              "wk_code": ["WK000100", "WK000100", "WK000200", "WK000200"]},
                             geometry=[box(5 + i * 0.01, 52, 5.01 + i * 0.01, 52.01) for i in range(4)], crs=4326)
    #           num  den     value
    counts = [(20, 100), (30, 300), (5, 50), (45, 150)]
    rate = pd.DataFrame([dict(code=k, numerator=a, denominator=b, value=a / b * 100)
                         for k, (a, b) in zip(codes, counts)])
    score = pd.DataFrame({"code": codes, "value": [-0.2, 0.1, 0.05, -0.05], "indicator": "lbm_onv"})
    facts = pd.concat([rate.assign(indicator="low_income"), score]).assign(
        geo_version="cbs2019", year=2018, source="hand")
    store = store_from(areas, facts)
    # a store of two gemeenten is not the country: no national value unless told to pool them
    alone = get_analysis("relative")(store, indicator="low_income")
    assert alone.table["nl_value"].isna().all() and alone.summary["nl_method"] == "unavailable"
    assert alone.table["gm_value"].tolist() == pytest.approx([12.5, 12.5, 25.0, 25.0])
    t = get_analysis("relative")(store, indicator="low_income", national_min_gemeenten=2).table.set_index("code")
    # GM0001: 50/400 = 12.5%; GM0002: 50/200 = 25%; NL: 100/600 = 16.67%
    assert t["gm_value"].tolist() == pytest.approx([12.5, 12.5, 25.0, 25.0])
    assert t["nl_value"].iloc[0] == pytest.approx(100 / 6)
    assert t["diff_gm"].tolist() == pytest.approx([7.5, -2.5, -15.0, 5.0])
    assert t["index_gm"].tolist() == pytest.approx([160.0, 80.0, 40.0, 120.0])
    assert t["index_nl"].tolist() == pytest.approx([120.0, 60.0, 60.0, 180.0])
    assert t["rank_gm"].tolist() == [1, 2, 2, 1]
    assert t.loc["BU00020001", "suppressed"]                      # numerator 5 < 10
    # Wilson interval of 20/100: centre 0.2111, half-width 0.0777 → 13.34% – 28.88%
    assert t.loc["BU00010001", ["value_lower", "value_upper"]].tolist() == pytest.approx([13.34, 28.88], abs=0.005)
    s = get_analysis("relative")(store, indicator="lbm_onv", national_min_gemeenten=2)
    st = s.table.set_index("code")
    # a score without counts: the mean; no index around zero; higher is better → rank 1 = lowest
    assert st["gm_value"].tolist() == pytest.approx([-0.05, -0.05, 0.0, 0.0])
    assert st["nl_value"].iloc[0] == pytest.approx(-0.025) and (st["reference_method"] == "mean").all()
    assert st["index_gm"].isna().all() and st["rank_gm"].tolist() == [1, 2, 2, 1]
    assert st["value_lower"].isna().all()
    assert s.figure().axes[0].get_ylabel() == "Verschil met eigen gemeente"


def test_a_published_national_fact_wins():
    """With an NL01 fact for the year the country's value is that fact, not a pool of the store's areas."""
    codes = ["BU00010001", "BU00010002", "BU00020001", "BU00020002"]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": ["GM0001", "GM0001", "GM0002", "GM0002"],
                              "wk_code": ["WK000100", "WK000100", "WK000200", "WK000200"]},
                             geometry=[box(5 + i * 0.01, 52, 5.01 + i * 0.01, 52.01) for i in range(4)], crs=4326)
    counts = [(20, 100), (30, 300), (15, 50), (45, 150)]
    facts = pd.DataFrame([dict(code=k, numerator=a, denominator=b, value=a / b * 100)
                          for k, (a, b) in zip(codes, counts)] + [dict(code="NL01", value=14.0)])
    facts = facts.assign(indicator="low_income", geo_version="cbs2019", year=2018, source="hand")
    t = get_analysis("relative")(store_from(areas, facts), indicator="low_income").table.set_index("code")
    assert t["nl_value"].tolist() == pytest.approx([14.0] * 4) and (t["nl_method"] == "fact").all()
    assert t.loc["BU00010001", "index_nl"] == pytest.approx(20 / 14 * 100)
