"""The design-based variance with strata and primary sampling units (PSUs): a hand-computed case, an
independent re-implementation on a realistic design, coverage on a clustered population (where the
respondent-level variance is far too small), and the path through a file's mapping."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from veerkracht.analysis._survey import Design, share


def test_stratified_psu_variance_by_hand():
    # stratum A: PSU a1 = {1, 2} → 3, a2 = {3} → 3: no spread, 0
    # stratum B: PSU totals 9, 6, 7; mean 22/3; Σ dev² = 14/3; × 3/2 = 7
    z = np.array([1.0, 2, 3, 4, 5, 6, 7])
    d = Design(np.ones(7), stratum=np.array([0, 0, 0, 1, 1, 1, 1]), psu=np.array([0, 0, 1, 0, 0, 1, 2]))
    assert d.variance(z) == pytest.approx(7.0, abs=1e-12)
    assert d.lonely == 0
    # the same PSU label in two strata is two PSUs (labels are nested in strata)
    d2 = Design(np.ones(4), stratum=np.array([0, 0, 1, 1]), psu=np.array([0, 1, 0, 1]))
    assert d2.variance(np.array([1.0, 3, 5, 9])) == pytest.approx(2 / 1 * (1 + 1) + 2 / 1 * (4 + 4))


def test_a_stratum_with_one_psu_adds_nothing_and_is_counted():
    d = Design(np.ones(5), stratum=np.array([0, 0, 1, 1, 1]), psu=np.array([0, 1, 7, 7, 7]))
    assert d.lonely == 1
    assert d.variance(np.array([1.0, 3, 10, 20, 30])) == pytest.approx(2 * (1 + 1))


def _loop_share(y, dom, w, stratum, psu):
    """Textbook linearisation, written independently with plain loops over strata and PSUs."""
    p = sum(wi * yi for wi, yi, di in zip(w, y, dom) if di) / sum(wi for wi, di in zip(w, dom) if di)
    wd = sum(wi for wi, di in zip(w, dom) if di)
    totals: dict = {}
    for wi, yi, di, h, j in zip(w, y, dom, stratum, psu):
        totals.setdefault(h, {}).setdefault(j, 0.0)
        totals[h][j] += wi * (yi - p) / wd if di else 0.0
    v = 0.0
    for psus in totals.values():
        t = list(psus.values())
        if len(t) > 1:
            m = sum(t) / len(t)
            v += len(t) / (len(t) - 1) * sum((x - m) ** 2 for x in t)
    return p, v ** 0.5


def test_share_and_se_equal_an_independent_loop_implementation():
    rng = np.random.default_rng(11)
    n = 900
    stratum = rng.integers(0, 6, n)
    psu = rng.integers(0, 5, n)                       # 5 PSUs per stratum, labels reused across strata
    w = rng.gamma(2.0, 400.0, n)
    y = (rng.random(n) < 0.3).astype(float)
    dom = rng.random(n) < 0.6
    got = share(y, dom, Design(w, stratum=stratum, psu=psu))
    p, se = _loop_share(y, dom, w, stratum, psu)
    assert got["estimate"] == pytest.approx(p, rel=1e-12)
    assert got["se"] == pytest.approx(se, rel=1e-10)
    assert got["n"] == int(dom.sum())


def _clustered_population(seed: int = 3, strata: int = 20, psus: int = 40, size: int = 60) -> pd.DataFrame:
    """Households in PSUs whose lowest-income share varies strongly (intra-cluster correlation ≈ 0.1)."""
    rng = np.random.default_rng(seed)
    rows = []
    for h in range(strata):
        for j in range(psus):
            logit = np.log(0.3 / 0.7) + rng.normal(0, 0.9)
            p = 1 / (1 + np.exp(-logit))
            rows.append(pd.DataFrame({"stratum": h, "psu": j, "y": (rng.random(size) < p).astype(float),
                                      "social": rng.random(size) < 0.5}))
    return pd.concat(rows, ignore_index=True)


def test_psu_intervals_cover_a_clustered_sample_and_respondent_level_ones_do_not():
    """400 samples of 4 PSUs per stratum (with replacement, weight 40/4 per household) from a clustered
    population; the 95 % interval of the social renters' share is checked against the population share."""
    pop = _clustered_population()
    truth = pop.loc[pop["social"], "y"].mean()
    by_psu = {k: g for k, g in pop.groupby(["stratum", "psu"])}
    rng = np.random.default_rng(7)
    hit_psu = hit_naive = 0
    reps = 400
    for _ in range(reps):
        parts = []
        for h in range(20):
            for k, j in enumerate(rng.integers(0, 40, 4)):
                parts.append(by_psu[(h, int(j))].assign(draw=k))      # a PSU drawn twice counts twice
        s = pd.concat(parts, ignore_index=True)
        w = np.full(len(s), 10.0)
        y, dom = s["y"].to_numpy(), s["social"].to_numpy()
        full = share(y, dom, Design(w, stratum=s["stratum"].to_numpy(), psu=(s["psu"] * 10 + s["draw"]).to_numpy()))
        naive = share(y, dom, Design(w))
        hit_psu += full["lo"] <= truth <= full["hi"]
        hit_naive += naive["lo"] <= truth <= naive["hi"]
    print(f"coverage with PSUs {hit_psu / reps:.3f}, respondent-level {hit_naive / reps:.3f} ({reps} samples)")
    assert 0.92 <= hit_psu / reps <= 0.975
    assert hit_naive / reps < 0.85


def test_strata_and_psus_from_the_mapping_reach_the_estimates(tmp_path, survey_files):
    """A file whose mapping names its strata and PSUs: the notes say the design is used, a stratum with a
    single PSU is named, and the SE differs from the respondent-level one."""
    from veerkracht.analysis import get_analysis
    from veerkracht.sources import read
    from veerkracht.store import open_store
    from veerkracht.store.microdata import ingest_any
    f = survey_files["csv"]
    df = pd.read_csv(f["file"])
    df = df[df["jaar"] == 2018].reset_index(drop=True)
    rng = np.random.default_rng(5)
    df["strat"] = np.where(np.arange(len(df)) < 50, "S0", "S" + pd.Series(rng.integers(1, 9, len(df))).astype(str))
    df["cluster"] = np.where(df["strat"] == "S0", "P0", "P" + pd.Series(rng.integers(0, 30, len(df))).astype(str))
    path = tmp_path / "woon_design.csv"
    df.to_csv(path, index=False)
    mapping = open(f["mapping"], encoding="utf-8").read().replace(
        'area_code = "buurtcode"\n', 'area_code = "buurtcode"\nstratum = "strat"\npsu = "cluster"\n')
    mp = tmp_path / "woon_design.toml"
    mp.write_text(mapping, encoding="utf-8")
    plain_mp = tmp_path / "woon_plain.toml"
    plain_mp.write_text(open(f["mapping"], encoding="utf-8").read(), encoding="utf-8")
    results = {}
    for name, m in (("design", mp), ("plain", plain_mp)):
        store = open_store(":memory:")
        try:
            ingest_any(store, read("survey", str(path), mapping=str(m)))
            results[name] = get_analysis("survey-trends")(store)
        finally:
            store.close()
    notes = " ".join(results["design"].note_texts("en"))
    assert "PSU" in notes and "1 strata have a single PSU in 2018" in notes
    assert "single PSU" not in " ".join(results["plain"].note_texts("en"))
    key = ["figure", "year", "domain", "group"]
    a = results["design"].table.set_index(key)
    b = results["plain"].table.set_index(key)
    cell = ("income", 2018, "social", "lowest")
    assert a.loc[cell, "estimate"] == pytest.approx(b.loc[cell, "estimate"], rel=1e-12)   # same point estimate
    assert a.loc[cell, "se"] != pytest.approx(b.loc[cell, "se"], rel=1e-3)
