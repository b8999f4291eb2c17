"""Allocation scenarios: the simulation against its closed form, the cap rule's conservation, per-area turnover."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from veerkracht.analysis import get_analysis
from veerkracht.errors import NotComputable


def _store(store, stock: list[int], turnover: list[float] | None = None, start: list[float] | None = None):
    codes = [f"BU0000{i:04d}" for i in range(len(stock))]
    store.write_areas(gpd.GeoDataFrame({"geo_version": "syn", "code": codes, "level": "buurt", "name": codes,
                                        "gm_code": "GM0000", "wk_code": "WK000000"}, geometry=[None] * len(codes),
                                       crs=4326))
    rows = pd.DataFrame({"geo_version": "syn", "code": codes, "year": 2020, "indicator": "corp_share",
                         "numerator": np.asarray(stock, float), "denominator": np.asarray(stock, float) * 2,
                         "value": 50.0, "source": "planted", "flags": "", "origin_version": "syn"})
    if start is not None:
        rows = pd.concat([rows, rows.assign(indicator="low_income", value=np.asarray(start) * 100, numerator=np.nan,
                                            denominator=np.nan)])
    if turnover is not None:
        reg = store.indicators()
        row = reg[reg["id"] == "corp_share"].iloc[0].to_dict() | {"id": "turnover_rate", "kind": "rate",
                                                                   "label_nl": "Mutatiegraad", "label_en": "Turnover"}
        store.register_indicators(pd.DataFrame([row]))
        rows = pd.concat([rows, rows.assign(indicator="turnover_rate", value=np.asarray(turnover) * 100,
                                            numerator=np.nan, denominator=np.nan)])
    store.write_facts(rows)


def closed_form(s0, q, m, t):
    return q + (s0 - q) * (1 - m) ** t


def test_expected_share_follows_the_closed_form(mem_store):
    """Out-ratio 1, fixed intake q: E[share_t] = q + (s0 − q)(1 − m)^t, for exact (small) and approximated areas."""
    _store(mem_store, [200] * 300 + [30] * 300)
    res = get_analysis("scenario")(mem_store, geo_version="syn", level="buurt", start_share=0.3, intake=0.6,
                                   turnover=0.1, rules="current", horizon=8, n_sim=400, threshold=0.45)
    tr = res.extra["trajectory"].query("rule == 'current'")
    for _, r in tr.iterrows():
        assert r["share"] == pytest.approx(closed_form(0.3, 0.6, 0.1, r["year"] - 2020), abs=0.002)
    end = closed_form(0.3, 0.6, 0.1, 8)
    t = res.table
    for size, tol in ((200, 0.004), (30, 0.01)):
        sel = t["stock"] == size
        assert t.loc[sel, "share_current"].mean() == pytest.approx(end, abs=tol)
        assert (t.loc[sel, "share_current_lo"] < end).all() and (t.loc[sel, "share_current_hi"] > end).all()
    # small areas spread more: their 90 % band is wider
    width = (t["share_current_hi"] - t["share_current_lo"]).groupby(t["stock"]).mean()
    assert width[30] > 2 * width[200]


def test_cap_moves_placements_it_does_not_refuse_them(mem_store):
    """Half the areas start above the cap threshold; in year one the region's vulnerable total is the same
    under both rules in expectation, while the capped areas grow less."""
    _store(mem_store, [100] * 400, start=[0.6] * 200 + [0.3] * 200)
    res = get_analysis("scenario")(mem_store, geo_version="syn", level="buurt", intake=0.5,
                                   turnover=0.1, rules="cap", cap_threshold=0.45, cap_intake=0.2, horizon=5,
                                   n_sim=300, threshold=0.55)
    tr = res.extra["trajectory"].set_index(["rule", "year"])
    assert tr.loc[("cap", 2021), "share"] == pytest.approx(tr.loc[("current", 2021), "share"], abs=0.002)
    # the 200 areas at 0.6 are capped from year one, so fewer areas end above 0.55
    assert tr.loc[("cap", 2025), "areas_above"] < tr.loc[("current", 2025), "areas_above"]
    assert res.summary["areas_above_cap"] < res.summary["areas_above_current"]


def test_per_area_turnover_from_the_store(mem_store):
    _store(mem_store, [300, 300], turnover=[0.05, 0.2])
    res = get_analysis("scenario")(mem_store, geo_version="syn", level="buurt", start_share=0.2, intake=0.7,
                                   rules="current", horizon=6, n_sim=2000)
    t = res.table.set_index("code")
    assert t.loc["BU00000000", "share_current"] == pytest.approx(closed_form(0.2, 0.7, 0.05, 6), abs=0.004)
    assert t.loc["BU00000001", "share_current"] == pytest.approx(closed_form(0.2, 0.7, 0.2, 6), abs=0.004)


def test_without_start_values_it_says_what_to_give(mem_store):
    _store(mem_store, [100] * 10)
    with pytest.raises(NotComputable) as e:
        get_analysis("scenario")(mem_store, geo_version="syn", level="buurt")
    assert "start_share=0.42" in e.value.text("en")
