"""Concentration (3×3): planted classes on the national geometry, and a hand case with terciles."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from tests.analysis.conftest import store_from
from tests.analysis.planted import make_panel, planted_store
from veerkracht.analysis import get_analysis
from veerkracht.analysis.concentration import PALETTE, run
from veerkracht.i18n import render


@pytest.mark.slow
def test_planted_classes_exact(national_buurten):
    pan = make_panel(national_buurten, [2012, 2018], seed=51)
    n = len(national_buurten)
    lev = np.array([0.10, 0.30, 0.50])[np.arange(n) % 3]              # level class (i % 3) + 1
    chg = np.array([-0.05, 0.0, 0.05])[(np.arange(n) // 3) % 3]       # change class ((i // 3) % 3) + 1
    den = pan["households"].to_numpy()
    pan["low_income_num"] = np.round(np.concatenate([lev, lev + chg]) * den)
    pan["low_income_den"] = den.astype(float)
    store = planted_store(national_buurten, pan, ["low_income"])
    res = run(store, level_breaks=(20, 40), stable_band=1)
    t = res.table.set_index("code").loc[national_buurten["code"]]
    # a tiny buurt's rounding can move its change past ±1 point: only where households < 50
    big = (pan.loc[pan["year"] == 2012, "households"] >= 50).to_numpy()
    expect = pd.Series([f"{i % 3 + 1}-{(i // 3) % 3 + 1}" for i in range(n)], index=t.index)
    assert (t["class"][big] == expect[big]).all()
    assert t.loc[expect.index[big & (expect == "3-3").to_numpy()], "colour"].eq("#574249").all()
    assert render(t.loc[t.index[0], "class_label"], "nl") == "laag, dalend"
    assert render(t.loc[t.index[8], "class_label"], "en") == "high, rising"
    assert res.summary["n_3_3"] == (t["class"] == "3-3").sum() > 1400
    small = ~big
    num = pan["low_income_num"].to_numpy().reshape(2, n)
    rule = ((num > 0) & (num < 10)).any(axis=0) | small              # METHOD: den < 50 or 0 < num < 10
    assert (t["suppressed"].to_numpy() == rule).all() and rule.sum() > small.sum()
    lay = res.layer().set_index("code")
    assert lay.loc[t.index[small], "level"].isna().all() and lay.loc[t.index[small], "class"].ne("").all()
    assert res.extra["counts"].to_numpy().sum() == n
    # terciles of the planted levels: exactly a third of the areas per level
    ter = run(store).table
    assert ter["level_class"].value_counts().to_dict() == {1: 4532, 2: 4531, 3: 4531}


def test_hand_case_terciles_and_band():
    codes = [f"BU000100{i:02d}" for i in range(9)]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": "GM0001", "wk_code": "WK000100"},
                             geometry=[box(5 + i * 0.01, 52, 5.01 + i * 0.01, 52.01) for i in range(9)], crs=4326)
    lev = np.arange(1.0, 10.0) * 5                                     # 5 … 45
    chg = np.array([-2, 0, 2, -1, 1, 1.5, -3, 0.5, 3])
    facts = pd.concat([pd.DataFrame({"code": codes, "year": 2012, "value": lev}),
                       pd.DataFrame({"code": codes, "year": 2018, "value": lev + chg})])
    facts = facts.assign(geo_version="cbs2019", indicator="low_income", source="hand")
    res = get_analysis("concentration")(store_from(areas, facts))
    # terciles of 5…45 (linear interpolation): 18.33 and 31.67 → 5,10,15 low; 20,25,30 mid; 35,40,45 high
    assert res.params["level_breaks"] == pytest.approx([5 + 40 / 3, 5 + 80 / 3])
    assert res.table["class"].tolist() == ["1-1", "1-2", "1-3", "2-2", "2-2", "2-3", "3-1", "3-2", "3-3"]
    assert res.table["colour"].tolist()[-1] == PALETTE["3-3"] == "#574249"
    ter = get_analysis("concentration")(store_from(areas, facts), stable_band="tercile")
    # change terciles of (−3,−2,−1,0,0.5,1,1.5,2,3): positions 2.67 and 5.33 → −1/3 and 7/6
    assert ter.params["change_breaks"] == pytest.approx([-1 / 3, 7 / 6])
    assert ter.table["change_class"].tolist() == [1, 2, 3, 1, 2, 3, 1, 2, 3]
    fig = res.figure("en")
    assert fig.axes[0].get_xlabel() == "Change" and fig.axes[0].texts[0].get_text() == "1"
