"""Early warning, back-tested: the skill of each rule recomputed independently, planted truths recovered."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from veerkracht.analysis import get_analysis
from veerkracht.analysis.early_warning import average_precision
from veerkracht.errors import NotComputable
from veerkracht.sources import read

LBM = "leefbaarometer_pc4/leefbaarometer3_scores_pc4_2002_2022.csv.gz"


@pytest.fixture(scope="module")
def national(real_data):
    from veerkracht.indicators import registry_frame
    from veerkracht.store import open_store
    store = open_store(":memory:")
    store.register_indicators(registry_frame())
    store.ingest(read("leefbaarometer", real_data / LBM))
    yield store
    store.close()


def test_average_precision_by_hand():
    # ranked: hit, miss, hit, miss → (1/1 + 2/3) / 2
    assert average_precision(np.array([0.9, 0.8, 0.7, 0.6]), np.array([1, 0, 1, 0], bool)) == pytest.approx(5 / 6)
    # weights double the second hit: precisions 1, 1/2, 3/4 (twice) → (1 + 2·0.75) / 3
    w = np.array([[1.0, 1.0, 2.0, 1.0]])
    assert average_precision(np.array([0.9, 0.8, 0.7, 0.6]), np.array([1, 0, 1, 0], bool), w)[0] == \
        pytest.approx((1 + 2 * 0.75) / 3)


def test_national_rules_match_an_independent_count(national, real_data):
    """2018 → 2022 on the real national PC4 waves, counted here with pandas from the file itself."""
    res = get_analysis("early-warning")(national, n_boot=50)
    d = pd.read_csv(real_data / LBM, na_values="NA")
    w = d.pivot(index="PC4", columns="jaar", values="onv")
    at_risk = w[2018].notna() & w[2022].notna() & (w[2018] > -0.10)
    event = at_risk & (w[2022] <= -0.10)
    prev = max(y for y in w.columns if y < 2018 and w[y].notna().any())     # the wave before (2014: no onv in 2016)
    rules = {"level": at_risk & (w[2018] <= -0.05), "trend": at_risk & ((w[2018] - w[prev]) <= -0.03)}
    sk = res.extra["skill"]
    for method, flag in rules.items():
        row = sk[(sk["origin"] == 2018) & (sk["method"] == method)].iloc[0]
        tp = int((flag & event).sum())
        assert (row["n_at_risk"], row["n_events"], row["n_flagged"]) == (at_risk.sum(), event.sum(), flag.sum())
        assert row["precision"] == pytest.approx(tp / flag.sum())
        assert row["recall"] == pytest.approx(tp / event.sum())
        assert row["lift"] == pytest.approx(row["precision"] / (event.sum() / at_risk.sum()))
        assert row["precision_lo"] <= row["precision"] <= row["precision_hi"]
    # the level rule is far better than the trend rule (the finding the watch-list must respect)
    lv = sk[(sk["origin"] == 2018) & (sk["method"] == "level")].iloc[0]
    tr = sk[(sk["origin"] == 2018) & (sk["method"] == "trend")].iloc[0]
    assert lv["precision_lo"] > tr["precision_hi"] and lv["pr_auc"] > 5 * tr["pr_auc"]
    # no model at the first origin: nothing was known yet to train it on
    assert "model" not in set(sk.loc[sk["origin"] == 2014, "method"])
    assert res.summary["best"] in ("level", "model")


def _planted(driver: str, n: int = 3000, seed: int = 1) -> pd.DataFrame:
    """Four waves; who becomes a problem in the last is driven by the level or by the trend."""
    rng = np.random.default_rng(seed)
    base = rng.normal(0.1, 0.08, n)
    waves = {2010: base, 2014: base + rng.normal(0, 0.01, n)}
    if driver == "trend":
        slope = rng.normal(0, 0.04, n)
        waves[2018] = waves[2014] + slope
        waves[2022] = waves[2018] + 2.5 * slope + rng.normal(0, 0.01, n)
    else:
        waves[2018] = waves[2014] + rng.normal(0, 0.01, n)
        waves[2022] = waves[2018] - 0.9 * np.clip(0.08 - waves[2018], 0, None) * 3 + rng.normal(0, 0.01, n)
    rows = [{"geo_version": "syn", "code": f"PC{1000 + i}", "year": y, "indicator": "lbm_onv", "value": float(v[i]),
             "source": "planted", "flags": "", "numerator": np.nan, "denominator": np.nan, "origin_version": "syn"}
            for y, v in waves.items() for i in range(n)]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("driver", ["trend", "level"])
def test_the_back_test_chooses_the_planted_driver(mem_store, driver):
    import geopandas as gpd
    f = _planted(driver)
    codes = f["code"].unique()
    mem_store.write_areas(gpd.GeoDataFrame({"geo_version": "syn", "code": codes, "level": "pc4", "name": codes,
                                            "gm_code": None, "wk_code": None}, geometry=[None] * len(codes), crs=4326))
    mem_store.write_facts(f)
    res = get_analysis("early-warning")(mem_store, geo_version="syn", level="pc4", n_boot=50, level_rule=0.02,
                                        trend_rule=-0.03)
    sk = res.extra["skill"]
    last = sk[sk["origin"] == 2018].set_index("method")
    other = "level" if driver == "trend" else "trend"
    assert last.loc[driver, "pr_auc"] > last.loc[other, "pr_auc"]
    assert res.summary["best"] in (driver, "model")
    # the model, trained on 2014 → 2018 only, ranks at least as well as the rule that does not drive
    assert last.loc["model", "pr_auc"] > last.loc[other, "pr_auc"]


def test_too_few_waves_says_what_to_load(mem_store):
    f = _planted("level").query("year in (2010, 2014)")
    import geopandas as gpd
    codes = f["code"].unique()
    mem_store.write_areas(gpd.GeoDataFrame({"geo_version": "syn", "code": codes, "level": "pc4", "name": codes,
                                            "gm_code": None, "wk_code": None}, geometry=[None] * len(codes), crs=4326))
    mem_store.write_facts(f)
    with pytest.raises(NotComputable) as e:
        get_analysis("early-warning")(mem_store, geo_version="syn", level="pc4", horizon=3)
    assert "horizon" in e.value.text("en") and "2010, 2014" in e.value.text("en")
