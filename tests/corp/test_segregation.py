"""Segregation indices: hand cases, an independent recomputation on the demo, chance and spatial D by hand."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from veerkracht.analysis import get_analysis
from veerkracht.analysis.segregation import _spatial_d, indices


def test_indices_by_hand():
    full = indices(np.array([10.0, 0.0]), np.array([0.0, 10.0]))
    assert full["dissimilarity"][0] == pytest.approx(1) and full["isolation"][0] == pytest.approx(1)
    assert full["entropy"][0] == pytest.approx(1, abs=1e-6)
    even = indices(np.array([10.0, 20.0, 30.0]), np.array([20.0, 40.0, 60.0]))
    assert even["dissimilarity"][0] == pytest.approx(0) and even["entropy"][0] == pytest.approx(0, abs=1e-9)
    assert even["isolation"][0] == pytest.approx(1 / 3)            # every member lives at the city's own share
    # D = ½(|30/40 − 10/60| + |10/40 − 50/60|) = ½(0.5833 + 0.5833)
    d = indices(np.array([30.0, 10.0]), np.array([10.0, 50.0]))["dissimilarity"][0]
    assert d == pytest.approx(0.5 * (abs(30 / 40 - 10 / 60) + abs(10 / 40 - 50 / 60)))


def test_spatial_dissimilarity_by_hand():
    # a row of three areas with group shares 1, 0, 1: D = ½(|½−0|+|0−1|+|½−0|)=1; neighbours 0–1, 1–2 (both
    # directions): mean |z_i − z_j| = 1 → D(adj) = 0
    a, b = np.array([10.0, 0.0, 10.0]), np.array([0.0, 20.0, 0.0])
    assert _spatial_d(a, b, [[1], [0, 2], [1]]) == pytest.approx(0)


def test_demo_matches_an_independent_count(demo_store):
    res = get_analysis("segregation")(demo_store, geo_version="cbs2019", level="buurt", n_boot=50, n_random=20)
    f = demo_store.facts(indicator="corp_share", geo_version="cbs2019")
    f = f[f["code"].str.startswith("BU") & f["numerator"].notna() & (f["denominator"] > 0)]
    t = res.table.set_index("year")
    for year, g in f.groupby("year"):
        a, b = g["numerator"], g["denominator"] - g["numerator"]
        assert t.loc[year, "dissimilarity"] == pytest.approx(0.5 * (a / a.sum() - b / b.sum()).abs().sum())
        assert t.loc[year, "dissimilarity_lo"] < t.loc[year, "dissimilarity"] < t.loc[year, "dissimilarity_hi"]
    # an independent computation found 0.545 → 0.432 over 2005–2017 for Amsterdam's corporation stock
    assert round(t.loc[2005, "dissimilarity"], 3) == 0.545 and round(t.loc[2017, "dissimilarity"], 3) == 0.432
    assert (t["dissimilarity_random"] < 0.05).all() and (t["excess"] > 0.3).all()


def test_random_allocation_has_no_excess(mem_store):
    """Members spread at random over 200 areas of 50 dwellings: D is small and all of it chance."""
    rng = np.random.default_rng(5)
    n, size = 200, 50
    a = rng.binomial(size, 0.3, n).astype(float)
    codes = [f"BU0000{i:04d}" for i in range(n)]
    mem_store.write_areas(gpd.GeoDataFrame({"geo_version": "syn", "code": codes, "level": "buurt", "name": codes,
                                            "gm_code": "GM0000", "wk_code": None},
                                           geometry=[box(i % 20, i // 20, i % 20 + 1, i // 20 + 1) for i in range(n)],
                                           crs=4326))
    mem_store.write_facts(pd.DataFrame({"geo_version": "syn", "code": codes, "year": 2020, "indicator": "corp_share",
                                        "numerator": a, "denominator": float(size), "value": a / size * 100,
                                        "source": "planted", "flags": "", "origin_version": "syn"}))
    res = get_analysis("segregation")(mem_store, geo_version="syn", level="buurt", n_boot=100, n_random=200)
    r = res.table.iloc[0]
    assert 0.05 < r["dissimilarity"] < 0.2                       # small areas: D above 0 by chance alone
    assert abs(r["excess"]) < 0.03 and r["dissimilarity_lo"] <= r["dissimilarity_random"] <= r["dissimilarity_hi"]


def _planted_gemeenten(store, levels, n_areas=40, size=200, seed=3, total_scale=None):
    """Gemeenten with a planted spread of the group: in gemeente g half of its areas hold a share 0.3 + δ of
    group members and the other half 0.3 − δ, δ = ``levels[g]``; D = ½ · 2δ / (0.3 · 0.7) grows with δ."""
    rng = np.random.default_rng(seed)
    rows, geoms, codes, gms = [], [], [], []
    for g, lev in enumerate(levels):
        sz = size if total_scale is None else total_scale[g]
        for i in range(n_areas):
            p = 0.3 + lev if i % 2 else 0.3 - lev
            code = f"BU{g:04d}{i:04d}"
            a = float(rng.binomial(sz, p))
            rows.append({"geo_version": "syn", "code": code, "year": 2020, "indicator": "corp_share", "numerator": a,
                         "denominator": float(sz), "value": a / sz * 100, "source": "planted", "flags": "",
                         "origin_version": "syn"})
            codes.append(code)
            gms.append(f"GM{g:04d}")
            geoms.append(box(g * 10 + i % 8, i // 8, g * 10 + i % 8 + 1, i // 8 + 1))
    store.write_areas(gpd.GeoDataFrame({"geo_version": "syn", "code": codes, "level": "buurt", "name": codes,
                                        "gm_code": gms, "wk_code": None}, geometry=geoms, crs=4326))
    store.write_facts(pd.DataFrame(rows))


def test_benchmark_ranks_planted_segregation_with_honest_rank_intervals(mem_store):
    """Five gemeenten with clearly different planted segregation (D ≈ 0.67, 0.52, 0.38, 0.24, 0.12) and four
    with none: the planted order is the ranking, each clear rank interval is tight, and the four even
    gemeenten share one wide interval."""
    levels = [0.28, 0.22, 0.16, 0.10, 0.05, 0, 0, 0, 0]
    _planted_gemeenten(mem_store, levels)
    res = get_analysis("segregation")(mem_store, geo_version="syn", level="buurt", view="benchmark", n_boot=200,
                                      n_random=50)
    b = res.table.set_index("code")
    assert list(b.index[:5]) == [f"GM{g:04d}" for g in range(5)]            # the planted order
    for g in range(5):
        r = b.loc[f"GM{g:04d}"]
        assert r["rank"] == g + 1 and r["rank_lo"] <= g + 1 <= r["rank_hi"] and r["rank_hi"] - r["rank_lo"] <= 1
        assert r["excess_lo"] > 0.03
    even = b.loc[[f"GM{g:04d}" for g in range(5, 9)]]
    assert (even["excess_lo"] < 0.02).all() and (even["rank_lo"] <= 7).all() and (even["rank_hi"] >= 8).all()
    assert "benchmark" not in res.extra and len(res.extra["trend"]) == 9
    assert any("rang" in n for n in res.note_texts("nl"))
    labels = [t.get_text() for t in res.figure("nl").axes[0].get_yticklabels()]
    assert len(labels) == 9 and labels[-1].startswith("BU0000") is False and "(1–1)" in labels[-1]
    # the trend view keeps the benchmark beside it, equal
    t = get_analysis("segregation")(mem_store, geo_version="syn", level="buurt", n_boot=200, n_random=50)
    assert t.extra["benchmark"].set_index("code")["rank"].equals(b["rank"].reindex(t.extra["benchmark"]["code"]))


def test_peer_ranks_are_within_size_classes(mem_store):
    levels = [0.28, 0.16, 0.05, 0.22, 0.10]
    sizes = [100, 100, 100, 3000, 3000]              # 40 areas: 4,000 and 120,000 dwellings
    _planted_gemeenten(mem_store, levels, total_scale=sizes)
    b = get_analysis("segregation")(mem_store, geo_version="syn", level="buurt", view="benchmark", n_boot=100,
                                    n_random=30).table.set_index("code")
    assert list(b["peer"]) and set(b["peer"]) == {"<20k", "≥100k"}
    assert b.loc["GM0003", "peer_rank"] == 1 and b.loc["GM0004", "peer_rank"] == 2
    assert b.loc["GM0000", "peer_rank"] == 1 and b.loc["GM0002", "peer_rank"] == 3
    assert (b["peer_n"] == b["peer"].map({"<20k": 3, "≥100k": 2})).all()
    assert b.loc["GM0003", "rank"] == 2 and b.loc["GM0000", "rank"] == 1
