"""Trajectories: transition counts recomputed independently, a planted Markov chain recovered, neighbours by hand."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from veerkracht.analysis import get_analysis
from veerkracht.analysis.trajectories import CLASSES, transition_counts
from veerkracht.sources import read

LBM = "leefbaarometer_pc4/leefbaarometer3_scores_pc4_2002_2022.csv.gz"


def test_transition_counts_by_hand():
    a = np.array([0, 0, 1, 2, -1, 2])
    b = np.array([0, 1, 1, 0, 2, -1])
    got = transition_counts(a, b, np.ones((1, 6)))[0]
    want = np.zeros((3, 3))
    want[0, 0] = want[0, 1] = want[1, 1] = want[2, 0] = 1          # missing on either side: not counted
    assert (got == want).all()
    w = np.array([[2.0, 0, 1, 1, 1, 1]])                           # a bootstrap draw taking area 0 twice
    assert transition_counts(a, b, w)[0][0, 0] == 2 and transition_counts(a, b, w)[0][0, 1] == 0


def test_national_matrix_matches_an_independent_count(real_data):
    from veerkracht.indicators import registry_frame
    from veerkracht.store import open_store
    store = open_store(":memory:")
    store.register_indicators(registry_frame())
    store.ingest(read("leefbaarometer", real_data / LBM))
    res = get_analysis("trajectories")(store, n_boot=50, spatial=False)
    store.close()
    w = pd.read_csv(real_data / LBM, na_values="NA").pivot(index="PC4", columns="jaar", values="onv")
    waves = [y for y in w.columns if w[y].notna().any()]
    cls = w[waves].apply(lambda s: pd.cut(s, [-np.inf, -0.10, -0.05, np.inf], labels=list(CLASSES)))
    m = res.extra["matrix"]
    for y0, y1 in zip(waves[:-1], waves[1:]):
        ok = cls[y0].notna() & cls[y1].notna()
        counts = pd.crosstab(cls.loc[ok, y0], cls.loc[ok, y1])
        got = m[m["pair"] == f"{y0}-{y1}"].set_index(["from", "to"])
        for a in CLASSES:
            for b in CLASSES:
                assert got.loc[(a, b), "n"] == counts.loc[a, b], (y0, a, b)
                assert got.loc[(a, b), "p"] == pytest.approx(counts.loc[a, b] / counts.loc[a].sum())
    # the persistence an independent check found: 0.71 for 2014 → 2018
    assert m.set_index(["pair", "from", "to"]).loc[("2014-2018", "problem", "problem"), "p"] == pytest.approx(207 / 291)
    assert res.summary["persistence_lo"] < res.summary["persistence"] < res.summary["persistence_hi"]


def _grid_store(store, values: dict[int, list[float]], side: int):
    codes = [f"PC{1000 + i}" for i in range(side * side)]
    geom = [box(4 + (i % side) * 0.01, 52 + (i // side) * 0.01, 4 + (i % side + 1) * 0.01, 52 + (i // side + 1) * 0.01)
            for i in range(side * side)]
    store.write_areas(gpd.GeoDataFrame({"geo_version": "syn", "code": codes, "level": "pc4", "name": codes,
                                        "gm_code": None, "wk_code": None}, geometry=geom, crs=4326))
    rows = [{"geo_version": "syn", "code": codes[i], "year": y, "indicator": "lbm_onv", "value": float(v[i]),
             "source": "planted", "flags": "", "numerator": np.nan, "denominator": np.nan, "origin_version": "syn"}
            for y, v in values.items() for i in range(len(codes))]
    store.write_facts(pd.DataFrame(rows))


def test_planted_chain_is_recovered(mem_store):
    """Areas follow a known 3-class chain for 5 waves; the pooled matrix recovers it within its interval."""
    P = np.array([[0.8, 0.15, 0.05], [0.1, 0.7, 0.2], [0.02, 0.08, 0.9]])
    rng = np.random.default_rng(3)
    side = 40
    state = rng.choice(3, size=side * side, p=[0.2, 0.3, 0.5])
    level = np.array([-0.2, -0.07, 0.1])
    values = {}
    for y in (2010, 2012, 2014, 2016, 2018):
        values[y] = level[state]
        state = np.array([rng.choice(3, p=P[s]) for s in state])
    _grid_store(mem_store, values, side)
    res = get_analysis("trajectories")(mem_store, geo_version="syn", level="pc4", n_boot=200, spatial=False)
    m = res.extra["matrix"].query("pair == 'pooled'").set_index(["from", "to"])
    inside = 0
    for i, a in enumerate(CLASSES):
        for j, b in enumerate(CLASSES):
            r = m.loc[(a, b)]
            assert abs(r["p"] - P[i, j]) < 0.04, (a, b)
            inside += r["p_lo"] <= P[i, j] <= r["p_hi"]
    assert inside >= 7                          # nine 95 % intervals: three or more misses has a chance < 1 %
    assert res.summary["expected_years"] == pytest.approx(2 / (1 - m.loc[("problem", "problem"), "p"]))


def test_neighbours_counted_by_hand(mem_store):
    """3×3 grid; the centre is a problem area in 2010. Its 8 queen neighbours are at risk with a problem
    neighbour; 2 of them become problem areas in 2012. The other areas have no problem neighbour."""
    v10 = [0.1] * 9
    v10[4] = -0.2
    v12 = list(v10)
    v12[0] = v12[1] = -0.2                      # two neighbours of the centre turn
    _grid_store(mem_store, {2010: v10, 2012: v12}, 3)
    res = get_analysis("trajectories")(mem_store, geo_version="syn", level="pc4", n_boot=50)
    s = res.extra["spatial"].set_index("neighbour_problem")
    assert (s.loc[True, "n_at_risk"], s.loc[True, "n_became"]) == (8, 2)
    assert s.loc[False, "n_at_risk"] == 0 and np.isnan(s.loc[False, "p"])
    assert res.table.set_index("code").loc["PC1000", "path"] == "became"
    assert res.table.set_index("code").loc["PC1004", "path"] == "stays"


def test_typology_transitions_match_the_typology_run_per_period(demo_store):
    """Between typology classes: each period's classes are those of a typology run on that period."""
    res = get_analysis("trajectories")(demo_store, classes="typology", n_boot=50, spatial=False)
    assert res.params["level"] == "wijk" and res.params["year_from"] == 2005
    cls = {}
    for y0, y1 in ((2005, 2009), (2009, 2013), (2013, 2017)):
        t = get_analysis("typology")(demo_store, year_from=y0, year_to=y1).table.set_index("code")["class"]
        cls[y1] = t
    m = res.extra["matrix"]
    for a_year, b_year in ((2009, 2013), (2013, 2017)):
        a, b = cls[a_year], cls[b_year].reindex(cls[a_year].index)
        known = a.isin(["problem", "vulnerable", "signal", "none"]) & b.isin(["problem", "vulnerable", "signal", "none"])
        counts = pd.crosstab(a[known], b[known])
        got = m[m["pair"] == f"{a_year}-{b_year}"].set_index(["from", "to"])["n"]
        for (x, y), n in got.items():
            want = counts.loc[x, y] if x in counts.index and y in counts.columns else 0
            assert n == want, (a_year, x, y)
    stays = (cls[2013] == "problem") & (cls[2017].reindex(cls[2013].index) == "problem")
    assert set(res.table.loc[res.table["path"] == "stays", "code"]) == set(stays[stays].index)
