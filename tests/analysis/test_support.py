"""Support-aware inference (issue 10 item 1): truth generated on coarse units (pseudo-PC4s), spread
onto buurten — interval coverage over many replicates, hot spots that spreading alone cannot make,
and the effective number of units shown next to n.

Measured: cluster-robust mean intervals cover 94–96 % over 400 replicates where the naive area
interval covers ~60 %; the clustered bootstrap of a pooled rate covers ~95 % over 200 replicates.
"""
from __future__ import annotations

import numpy as np
import pytest

from tests.analysis.conftest import store_from
from tests.analysis.planted import make_panel, spread_support, to_facts
from veerkracht.analysis import get_analysis
from veerkracht.analysis._bootstrap import boot_group_sums, percentile_interval
from veerkracht.analysis._inference import (boot_group_sums_clustered, cluster_mean, cluster_multiplicity,
                                            effective_n)


def _spread(rng, n_units=300, mu=0.3, sd=0.5, noise=0.05):
    """Per unit a truth; 1–8 areas per unit copy it (plus a little area noise)."""
    sizes = rng.integers(1, 9, n_units)
    unit = np.repeat(np.arange(n_units), sizes)
    y = (mu + rng.normal(0, sd, n_units))[unit] + rng.normal(0, noise, len(unit))
    return y, unit


@pytest.mark.slow
def test_cluster_mean_interval_covers_95_percent_when_spread():
    rng = np.random.default_rng(1)
    hit, naive = [], []
    for _ in range(400):
        y, unit = _spread(rng)
        r, r0 = cluster_mean(y, unit), cluster_mean(y)
        hit.append(r["ci_lo"] <= 0.3 <= r["ci_hi"])
        naive.append(r0["ci_lo"] <= 0.3 <= r0["ci_hi"])
    assert 0.92 <= np.mean(hit) <= 0.98            # 95 % ± 3 over 400 replicates
    assert np.mean(naive) < 0.8                    # areas treated as independent: far too narrow


@pytest.mark.slow
def test_clustered_bootstrap_of_a_pooled_rate_covers_95_percent():
    """A rate Σnum/Σden pooled over areas whose counts come from 250 units (spread with weights)."""
    rng = np.random.default_rng(2)
    hit, naive = [], []
    for r in range(200):
        n_units = 250
        p_unit = np.clip(0.1 + rng.normal(0, 0.04, n_units), 0.01, 0.5)
        sizes = rng.integers(1, 7, n_units)
        unit = np.repeat(np.arange(n_units), sizes)
        den = rng.integers(50, 400, len(unit)).astype(float)
        num = den * p_unit[unit]                       # the unit's rate spread onto its areas
        truth = 0.1                                    # E[p_unit] (clipping is negligible at 0.04 sd)
        vals = np.stack([num, den])
        b = boot_group_sums_clustered(np.zeros(len(unit), int), vals, 1, 300, r, unit)
        lo, hi = percentile_interval(b[:, 0, 0, 0] / b[:, 0, 1, 0])
        hit.append(lo <= truth <= hi)
        b0 = boot_group_sums(np.zeros(len(unit), int), vals, 1, 300, r)
        lo0, hi0 = percentile_interval(b0[:, 0, 0, 0] / b0[:, 0, 1, 0])
        naive.append(lo0 <= truth <= hi0)
    assert 0.92 <= np.mean(hit) <= 0.98
    assert np.mean(naive) < np.mean(hit) - 0.1


def test_cluster_multiplicity_hand_case():
    """Drawing clusters = every area of a drawn cluster comes along, as often as it was drawn."""
    rng = np.random.default_rng(0)
    ids = np.array([0, 0, 1, 2, 2, 2])
    m = cluster_multiplicity(ids, 3, 500, rng)
    assert (m.reshape(500, -1)[:, [0, 1]][:, 0] == m[:, 1]).all()          # areas 0, 1 share a cluster
    assert (m[:, 3] == m[:, 5]).all() and (m[:, [0, 2, 3]].sum(1) == 3).all()   # three clusters drawn
    assert m.mean() == pytest.approx(1, abs=0.05)


def test_cluster_mean_hand_case():
    """Two clusters of two identical values: n = 4 but the mean rests on 2 units."""
    r = cluster_mean([1.0, 1.0, 3.0, 3.0], ["a", "a", "b", "b"])
    # CR1: G/(G−1)·Σ(cluster sums of residuals)²/n² = 2·(4 + 4)/16 = 1 → se 1; t(1) 97.5 % = 12.706
    assert r["mean"] == 2 and r["se"] == pytest.approx(1.0) and r["n_clusters"] == 2
    assert r["ci_hi"] == pytest.approx(2 + 12.7062047, rel=1e-6)
    assert r["n_eff"] == pytest.approx(4 * (4 / 3 / 4) / 1.0)             # iid var (4/3)/4 over 1
    assert effective_n([1.0, 2.0, 3.0, 4.0], [0, 1, 2, 3]) == 4


# ------------------------------------------------------------------ through the store
@pytest.fixture(scope="module")
def spread_store(national_buurten):
    """lbm in 2012 and 2018: an iid value per wijk (pseudo-PC4, no spatial pattern) on its buurten."""
    pan = make_panel(national_buurten, [2012, 2018], seed=41)
    rng = np.random.default_rng(42)
    wk = national_buurten["wk_code"].to_numpy()
    uniq, ix = np.unique(wk, return_inverse=True)
    lv = [rng.normal(4, 0.2, len(uniq))[ix], None]
    lv[1] = lv[0] + rng.normal(0.05, 0.1, len(uniq))[ix]
    pan["lbm"] = np.concatenate(lv)
    facts = to_facts(pan, ["corp_share", "lbm", "dwellings"])
    facts.loc[facts["indicator"] == "lbm", "origin_version"] = "lbm3-2022"
    store = store_from(national_buurten, facts, tag="spread-iid")
    spread_support(store, national_buurten, national_buurten.set_index("code")["wk_code"])
    return store, len(uniq)


@pytest.mark.slow
def test_no_hot_spot_from_spreading_alone(spread_store):
    store, n_units = spread_store
    run = get_analysis("hotspots")
    res = run(store, indicator="lbm", measure="level", year=2018, permutations=999)
    naive = run(store, indicator="lbm", measure="level", year=2018, permutations=999, support=False)
    found = res.summary["n_HH"] + res.summary["n_LL"]
    assert res.summary["n_units"] == n_units and res.summary["n_areas"] == 13594
    assert res.summary["tested_on"] == "pc4"
    assert found <= 0.01 * 13594                                 # no pattern was planted: ~none found
    assert naive.summary["n_HH"] + naive.summary["n_LL"] > 10 * max(found, 10)   # the spreading's clusters
    assert abs(res.summary["moran_global"]) < 0.05 < naive.summary["moran_global"]
    t = res.table.set_index("code")
    wk = store.areas(geo_version="cbs2019", level="buurt", geometry=False).set_index("code")["wk_code"]
    assert (t.groupby(wk.reindex(t.index))["class"].nunique() == 1).all()   # one class per unit
    assert any("spreading alone" in x for x in res.note_texts("en"))


@pytest.mark.slow
def test_liveability_intervals_rest_on_units(spread_store):
    store, n_units = spread_store
    res = get_analysis("liveability")(store, indicator="lbm")
    t = res.table
    assert (t["n_units"] < t["n"]).all() and t["n_units"].sum() <= n_units + 10 * 9   # units split by decile edges
    assert ((t["n_eff"] <= t["n"]) & (t["n_eff"] >= 1)).all()
    # the interval rests on the units: wider than the areas' naive interval by about √(n / n_units)
    naive_half = 1.96 * t["sd"] / np.sqrt(t["n"])
    assert ((t["ci_hi"] - t["ci_lo"]) / 2 > 1.5 * naive_half).all()
    assert any("independent units (pc4)" in x for x in res.note_texts("en"))


def test_webb_multipliers_have_mean_zero_and_variance_one():
    """Webb's six-point distribution: ±√(3/2), ±1, ±√(1/2) with probability 1/6 each — mean 0,
    variance 1, symmetric (what makes the wild bootstrap reproduce the residuals' first two moments)."""
    from veerkracht.analysis._inference import webb
    v = webb(20_000, 30, np.random.default_rng(0))
    vals, counts = np.unique(np.round(v, 12), return_counts=True)
    want = np.sort(np.array([-np.sqrt(1.5), -1, -np.sqrt(0.5), np.sqrt(0.5), 1, np.sqrt(1.5)]))
    assert vals == pytest.approx(want)
    assert counts / v.size == pytest.approx(np.full(6, 1 / 6), abs=0.005)
    assert abs(v.mean()) < 4 / np.sqrt(v.size) and v.var() == pytest.approx(1, abs=0.01)
