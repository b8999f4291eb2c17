"""Corp-profile and benchmark inference on spread values (issue 10 item 1): a rate measured on
pseudo-PC4 units and spread onto their buurten. 200 replicate regions in one store, profiled in one
pass (``profile_many``, each region its own bootstrap stream): the gap's 95 % interval must cover the
planted truth 95 % ± 3 of the time when whole units are resampled; resampling buurten does not.

Measured (this file, 200 replicate regions of 60 units, 300 bootstrap draws each): gap coverage
0.950, growth 0.935, buurt resampling 0.690; the gap parts: top bin 0.945, bottom bin 0.920; the
benchmark's trend 0.960 (buurt resampling 0.710). Re-checked with the fixture's seed 11 → 12, 13, 14 (800
regions in all): top part 0.929, bottom part 0.934 — both a little under 95 %, not a bottom-part problem; the
percentile interval of 60 units is ~2–6 % narrower than the replicates' spread (e.g. seed 11 bottom: interval/3.92
= 4.49 vs sd 4.78 points).
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from tests.analysis.conftest import store_from
from tests.analysis.planted import spread_support
from veerkracht.analysis import get_analysis
from veerkracht.analysis._bootstrap import percentile_interval
from veerkracht.analysis._gapparts import gap_parts
from veerkracht.analysis.benchmark import _trend_replicates
from veerkracht.analysis.corp_profile import profile_many

R, UNITS, EDGES = 200, 60, [0, 50, float("inf")]
YEARS = (2012, 2018)
SLOPE = {2012: 0.0006, 2018: 0.0010}          # a unit's expected rate: 0.04 + slope · its mean share


def _layout(rng, units):
    """Regions' layouts: per unit 1–6 buurten, a base share; per buurt its share and residents."""
    sizes = rng.integers(1, 7, units)
    unit = np.repeat(np.arange(units), sizes)
    base = rng.uniform(0, 95, units)
    share = np.clip(base[unit] + rng.normal(0, 6, len(unit)), 0, 100)
    den = rng.integers(100, 1500, len(unit)).astype(float)
    mean_share = pd.Series(share).groupby(unit).mean().to_numpy()
    return unit, share, den, mean_share


def _expected_rate(mean_share, year):
    return 0.04 + SLOPE[year] * mean_share


def _truth(year, units=200_000):
    """The population the regions are drawn from: each bin's index on the whole (= 100) and the gap
    top − bottom, from expected counts over a very large layout (Monte Carlo error < 0.1 point)."""
    unit, share, den, mean_share = _layout(np.random.default_rng(99), units)
    e = den * _expected_rate(mean_share, year)[unit]
    b = np.digitize(share, EDGES[1:-1])
    idx = np.bincount(b, weights=e) / np.bincount(b, weights=den) / (e.sum() / den.sum()) * 100
    return idx, idx[-1] - idx[0]


@pytest.fixture(scope="module")
def spread_regions():
    """R regions, each its own layout of UNITS pseudo-PC4 units; a unit's rate (lognormal around its
    expected rate, sd ~25 %) is spread onto its buurten, in both years."""
    rng = np.random.default_rng(11)
    lay = [_layout(rng, UNITS) for _ in range(R)]
    sizes = np.array([len(x[0]) for x in lay])
    region = np.repeat(np.arange(R), sizes)
    unit, share, den = (np.concatenate([x[q] for x in lay]) for q in range(3))
    codes = [f"BU{r:04d}{i:04d}" for r, s in enumerate(sizes) for i in range(s)]
    cluster = pd.Series([f"{r:04d}-{u:02d}" for r, u in zip(region, unit)], index=codes)
    facts = []
    for year in YEARS:
        mu = np.stack([_expected_rate(x[3], year) for x in lay])                 # (R, UNITS)
        p = mu * np.exp(rng.normal(0, 0.25, mu.shape) - 0.25 ** 2 / 2)
        num = p[region, unit] * den
        facts += [pd.DataFrame({"code": codes, "year": year, "indicator": "bijstand", "numerator": num,
                                "denominator": den, "value": num / den * 1000, "origin_version": "pc4-2019"}),
                  pd.DataFrame({"code": codes, "year": year, "indicator": "corp_share", "numerator": share * den / 100,
                                "denominator": den, "value": share, "origin_version": "cbs2019"})]
    i = np.arange(len(codes))
    areas = gpd.GeoDataFrame({"geo_version": "cbs2019", "code": codes, "level": "buurt", "name": codes,
                              "gm_code": [f"GM{r:04d}" for r in region], "wk_code": [f"WK{r:04d}00" for r in region]},
                             geometry=gpd.points_from_xy(5 + (i % 300) / 1000, 52 + (i // 300) / 1000), crs=4326)
    facts = pd.concat(facts, ignore_index=True).assign(geo_version="cbs2019", source="planted")
    store = store_from(areas, facts, tag="spread-regions")
    spread_support(store, areas, cluster, origin_version="pc4-2019")
    naive = store_from(areas, facts, tag="spread-regions-naive")        # the same values, support unknown
    groups = {f"GM{r:04d}": [f"GM{r:04d}"] for r in range(R)}
    truth = {y: _truth(y) for y in YEARS}
    return store, naive, groups, truth, sizes, facts, cluster


@pytest.mark.slow
def test_gap_interval_covers_the_planted_truth_95_percent(spread_regions):
    store, naive, groups, truth, n, _, _ = spread_regions
    kw = dict(year_from=YEARS[0], year_to=YEARS[1], bins=EDGES, index_on="regional", n_boot=300, seed=3)
    prof = profile_many(store, "bijstand", groups, **kw)
    g = prof.gaps()
    g0 = profile_many(naive, "bijstand", groups, **kw).gaps()
    gap_to = truth[YEARS[1]][1]
    growth = truth[YEARS[1]][1] / truth[YEARS[0]][1] - 1
    hit = ((g["gap_to_lo"] <= gap_to) & (gap_to <= g["gap_to_hi"])).mean()
    hit_growth = ((g["growth_lo"] <= growth) & (growth <= g["growth_hi"])).mean()
    naive_hit = ((g0["gap_to_lo"] <= gap_to) & (gap_to <= g0["gap_to_hi"])).mean()
    print(f"coverage gap {hit:.3f}, growth {hit_growth:.3f}, naive {naive_hit:.3f}; truth gap {gap_to:.2f}")
    assert 0.92 <= hit <= 0.98                     # 95 % ± 3 over 200 replicate regions
    assert 0.92 <= hit_growth <= 0.98
    assert naive_hit < 0.85                        # buurten treated as independent: too narrow
    assert (g["n_units"] == UNITS).all() and (g0["n_units"] == g0["n_areas"]).all() and (g["n_areas"] == n).all()
    # whose change moved the gap: the top and bottom bins' parts cover their planted truths too
    # (shares do not move here, so composition is 0 and within = the change)
    idx0, idx1 = truth[YEARS[0]][0], truth[YEARS[1]][0]
    want = {"top": idx1[-1] - idx0[-1], "bottom": -(idx1[0] - idx0[0])}
    hits = {k: [] for k in want}
    for i in range(R):
        parts = gap_parts(prof, i, 1, 0, {}, []).set_index("part")
        for k, v in want.items():
            hits[k].append(parts.loc[k, "lo"] <= v <= parts.loc[k, "hi"])
        assert parts.loc["composition", "points"] == pytest.approx(0, abs=1e-9)
    print({k: float(np.mean(v)) for k, v in hits.items()})
    assert all(0.92 <= np.mean(v) <= 0.98 for v in hits.values())
    # one region on its own: the same interval (its own stream), the units beside n, and the note
    one = get_analysis("corp-profile")(store, indicator="bijstand", region=["GM0003"], **kw)
    assert one.summary["n_units"] == UNITS and one.summary["n_areas"] == n[3]
    assert one.extra["gap"]["gap_lo"].iloc[1] == pytest.approx(g.loc["GM0003", "gap_to_lo"], rel=1e-9)
    assert any(m.id == "inference.note.clustered" and m.params["units"] == UNITS for m in one.notes)
    # the point estimate is unbiased for the truth across replicates (mean within 3 standard errors)
    assert abs(g["gap_to"].mean() - gap_to) < 3 * g["gap_to"].std() / np.sqrt(R)


def _truth_trend(units=200_000):
    """The population's change of the pooled rate (per 1,000) between the two years."""
    unit, share, den, mean_share = _layout(np.random.default_rng(99), units)
    return float(sum(s * (den * _expected_rate(mean_share, y)[unit]).sum() / den.sum() * 1000
                     for s, y in ((-1, YEARS[0]), (1, YEARS[1]))))


@pytest.mark.slow
def test_benchmark_trend_replicates_cover_the_planted_trend(spread_regions):
    """The benchmark's trend (pooled rate, year_to − year_from) and its rank intervals come from
    ``_trend_replicates``: with the support it resamples whole units, and its 95 % percentile interval
    covers the planted change 95 % ± 3 of the time over the 200 regions; buurt resampling does not."""
    _, _, groups, _, n, facts, cluster = spread_regions
    f = facts[facts["indicator"] == "bijstand"].pivot(index="code", columns="year")
    ff = pd.DataFrame({f"bijstand_{k}{tag}": f[(col, y)] for tag, y in (("from", YEARS[0]), ("to", YEARS[1]))
                       for k, col in (("num_", "numerator"), ("den_", "denominator"), ("", "value"))})
    long = pd.DataFrame({"group": ["GM" + c[2:6] for c in ff.index], "code": ff.index})
    ff = ff.reset_index(drop=True)
    names = list(groups)
    truth = _truth_trend()
    reps = _trend_replicates(ff, long, "bijstand", 1000.0, names, 300, 5, cluster.reindex(long["code"]).to_numpy())
    naive = _trend_replicates(ff, long, "bijstand", 1000.0, names, 300, 5)
    lo, hi = percentile_interval(reps)
    lo0, hi0 = percentile_interval(naive)
    hit, hit0 = np.mean((lo <= truth) & (truth <= hi)), np.mean((lo0 <= truth) & (truth <= hi0))
    print(f"trend coverage {hit:.3f} (naive {hit0:.3f}), truth {truth:.3f}")
    assert 0.92 <= hit <= 0.98 and hit0 < 0.85


@pytest.mark.slow
def test_benchmark_on_spread_values_names_the_units(spread_regions):
    """Five regions: the benchmark's gaps are the clustered profile's, n_units beside n_areas, and the
    note names the units and their level."""
    store, _, groups, _, n, _, _ = spread_regions
    five = {g: groups[g] for g in list(groups)[:5]}
    res = get_analysis("benchmark")(store, indicator="bijstand", groups=five, year_from=YEARS[0], year_to=YEARS[1],
                                    size_indicator="corp_share", with_typology=False, index_on="regional", n_boot=100)
    t = res.table.set_index("group")
    prof = profile_many(store, "bijstand", five, year_from=YEARS[0], year_to=YEARS[1], index_on="regional",
                        n_boot=100, seed=0).gaps()
    assert t["gap_lo"].to_numpy() == pytest.approx(prof["gap_to_lo"].to_numpy(), rel=1e-12)
    assert (t["n_units"] == UNITS).all() and t["n_areas"].tolist() == n[:5].tolist()
    note = [m for m in res.notes if m.id == "inference.note.clustered"]
    assert len(note) == 1 and note[0].params == {"n": int(n[:5].sum()), "units": 5 * UNITS, "level": "pc4"}
