"""Rank intervals (issue 10 item 3): coverage of the true rank, ties in truth, and the relative view."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from tests.analysis.conftest import store_from
from veerkracht.analysis import get_analysis
from veerkracht.analysis._ranks import beta_draws, rank_intervals


def test_rank_intervals_hand_case():
    # three items, four replicates: item 0 always smallest, items 1 and 2 swap
    s = np.array([[1, 2, 3], [1, 3, 2], [1, 2, 3], [1, 3, 2.0]])
    lo, hi = rank_intervals(s)
    assert lo.tolist() == [1, 2, 2] and hi.tolist() == [1, 3, 3]
    lo, hi = rank_intervals(s, ascending=False)
    assert lo.tolist() == [3, 1, 1] and hi.tolist() == [3, 2, 2]
    lo, hi = rank_intervals(s, groups=["a", "b", "b"])        # ranks within the group
    assert lo.tolist() == [1, 1, 1] and hi.tolist() == [1, 2, 2]


@pytest.mark.slow
def test_rank_interval_covers_the_true_rank():
    """20 areas with distinct true rates, small denominators: the 95% rank interval holds the true
    rank in ≥ 93 % of area-replicates (300 replicates); equal truths give wide intervals."""
    rng = np.random.default_rng(3)
    p = np.linspace(0.05, 0.15, 20)
    true_rank = np.arange(1, 21)
    hits, widths_eq = [], []
    for r in range(300):
        den = rng.integers(100, 600, 20).astype(float)
        num = rng.binomial(den.astype(int), p).astype(float)
        lo, hi = rank_intervals(beta_draws(num, den, 300, seed=r))
        hits.append((lo <= true_rank) & (true_rank <= hi))
        num_eq = rng.binomial(den.astype(int), 0.1).astype(float)
        lo, hi = rank_intervals(beta_draws(num_eq, den, 300, seed=r))
        widths_eq.append(np.median(hi - lo))
    assert np.mean(hits) >= 0.93
    assert np.mean(widths_eq) >= 10              # same truth: intervals span half of the 20 ranks or more


def test_relative_view_ranks_with_intervals():
    """One gemeente: five small areas with the same true rate and two large, clearly different ones."""
    codes = [f"BU0001000{i}" for i in range(7)]
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": "GM0001", "wk_code": "WK000100"},
                             geometry=[box(5 + i * 0.01, 52, 5.01 + i * 0.01, 52.01) for i in range(7)], crs=4326)
    num = [10, 12, 9, 11, 10, 100, 1000]
    den = [100, 100, 100, 100, 100, 10000, 10000]        # 10 %·small ×5, 1 % and 10 % large
    facts = pd.DataFrame({"code": codes, "year": 2018, "indicator": "low_income", "numerator": num,
                          "denominator": den, "value": np.array(num) / np.array(den) * 100,
                          "geo_version": "cbs2019", "source": "hand"})
    res = get_analysis("relative")(store_from(areas, facts, tag="rank-rel"), indicator="low_income")
    t = res.table.set_index("code")
    assert t.loc["BU00010005", "rank_gm"] == 7 and t.loc["BU00010005", "rank_gm_lo"] == 7    # 1 %: best, sure
    small = t.loc[codes[:5]]
    assert (small["rank_gm_lo"] <= 2).all() and (small["rank_gm_hi"] >= 5).all()            # ties overlap
    assert (t["rank_gm_lo"] <= t["rank_gm"]).all() and (t["rank_gm"] <= t["rank_gm_hi"]).all()
    assert any("95% interval" in n for n in res.note_texts("en"))


def test_rank_interval_of_an_item_without_any_replicate_is_missing():
    s = np.array([[1.0, np.nan, 3.0], [2.0, np.nan, 1.0]])
    lo, hi = rank_intervals(s, point=[1.5, np.nan, 2.0])
    assert np.isnan(lo[1]) and np.isnan(hi[1])
    assert lo[[0, 2]].tolist() == [1, 1] and hi[[0, 2]].tolist() == [2, 2]


def test_rank_interval_percentiles_by_hand():
    """Two areas, 1,000 replicates; area 0 ranks 1st in 980 of them: its 95 % interval is [1, 1]
    (the 97.5th percentile of 980 ones and 20 twos is 1), area 1's is [2, 2]; no counts → no draw."""
    from veerkracht.analysis._ranks import beta_draws, rank_intervals
    s = np.zeros((1000, 2))
    s[:, 0] = np.where(np.arange(1000) < 980, 2.0, 0.0)
    s[:, 1] = 1.0
    lo, hi = rank_intervals(s, None, ascending=False)
    assert lo.tolist() == [1, 2] and hi.tolist() == [1, 2]
    # 975 ones and 25 twos: the 97.5th percentile (index 974.025 of 0…999, 'higher') is the first two
    s[:, 0] = np.where(np.arange(1000) < 975, 2.0, 0.0)
    lo, hi = rank_intervals(s, None, ascending=False)
    assert lo.tolist() == [1, 1] and hi.tolist() == [2, 2]
    d = beta_draws([0, 5], [0, 10], 50, seed=0)
    assert np.isnan(d[:, 0]).all() and np.isfinite(d[:, 1]).all()


def test_beta_draws_follow_the_jeffreys_posterior():
    """0 of 10, 3 of 10 and 40 of 200: the draws' means and variances are those of
    Beta(num + ½, den − num + ½) (mean (num + ½)/(den + 1)), within 4 standard errors of 20,000 draws."""
    from scipy import stats
    num, den = np.array([0, 3, 40.0]), np.array([10, 10, 200.0])
    d = beta_draws(num, den, 20_000, seed=2, scale=100)
    post = stats.beta(num + 0.5, den - num + 0.5)
    mean, sd = post.mean() * 100, post.std() * 100
    assert (np.abs(d.mean(0) - mean) < 4 * sd / np.sqrt(20_000)).all()
    assert d.std(0) == pytest.approx(sd, rel=0.05)
