"""Secondary suppression: the differencing attack recovers nothing from what the outputs publish.

The attack (``attack.py``) runs over every indicator, year, level and version of the demo store and
of a synthetic national store (355 gemeenten, their wijken and buurten, counts and rates summed
exactly up to the country), on what the export and ``veerkracht facts`` publish (the richest
output: value, numerator and denominator) and on what the map's read model publishes. With primary
suppression alone it recovers hundreds of hidden values; with the completed pattern none. Hand-made
cases pin each rule.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from veerkracht.export import export_facts
from veerkracht.indicators import registry_frame
from veerkracht.indicators.choice import one_fact_per_area_year
from veerkracht.indicators.reliability import apply_suppression, hidden_in_version, small_count_indicators
from veerkracht.maps.catalog import Catalog
from veerkracht.maps.layers import AnalysisLayers
from veerkracht.maps.view import ViewParams, map_view, validate

from .attack import attack

YEARS = (2019, 2020)


def _versions(store) -> list[str]:
    return sorted(set(store.areas(geometry=False)["geo_version"]))


def _exported(store, version: str, tmp_path) -> pd.DataFrame:
    """Everything the CSV export publishes for ``version`` (all its indicators), read back."""
    inds = sorted(set(store.facts(geo_version=version)["indicator"]))
    out = tmp_path / f"{version}.csv"
    export_facts(store, inds, version, "csv", out)
    return pd.read_csv(out, dtype={"code": str, "indicator": str})


def _run(store, tmp_path) -> dict:
    """Attack per version: ``{version: (before, after)}`` with primary suppression only and as exported."""
    reg = store.indicators()
    out = {}
    for version in _versions(store):
        raw = store.facts(geo_version=version)
        areas = store.areas(geo_version=version, geometry=False)
        truth = one_fact_per_area_year(raw)
        before = attack(one_fact_per_area_year(apply_suppression(raw, restricted=small_count_indicators(reg))),
                        truth, areas, reg)
        after = attack(one_fact_per_area_year(_exported(store, version, tmp_path)), truth, areas, reg)
        out[version] = (before, after)
    return out


def _assert_nothing_recovered(results: dict) -> tuple[int, int]:
    before = sum(len(b["recovered"]) for b, _ in results.values())
    for version, (_, after) in results.items():
        assert after["recovered"] == [], (version, after["recovered"][:10])
        assert after["small_numerators"] == [], (version, after["small_numerators"][:10])
    return before, sum(a["hidden"] for _, a in results.values())


def test_demo_store_nothing_recovered(demo_store, tmp_path):
    results = _run(demo_store, tmp_path)
    before, hidden = _assert_nothing_recovered(results)
    # the attack is real: primary suppression alone gives hundreds away (the review found 329)
    assert before > 329
    assert hidden > 2500


def test_demo_read_model_hides_what_the_export_hides(demo_store, tmp_path):
    """The map, profile and report read through the catalogue: the same cells are hidden as in the export."""
    cat = Catalog(demo_store)
    for version in ("cbs2019", "ois2005"):
        exp = one_fact_per_area_year(_exported(demo_store, version, tmp_path))
        exp_hidden = set(exp.loc[exp["value"].isna() & exp["flags"].fillna("").str.contains("suppressed"),
                                 ["code", "year", "indicator"]].itertuples(index=False, name=None))
        cat_hidden = set()
        for ind in sorted(set(exp["indicator"])):
            f = cat.facts(ind, version)
            cat_hidden |= set(f.loc[f["status"] == "suppressed", ["code", "year", "indicator"]]
                              .itertuples(index=False, name=None))
        assert cat_hidden == exp_hidden and len(cat_hidden) > 900
        # and the profile of a buurt shows no value the catalogue hides
        code = sorted(cat_hidden)[0][0]
        prof = cat.area_facts(version, code)
        assert prof.loc[prof["status"] == "suppressed", "value"].isna().all()


def test_change_values_only_where_both_years_are_shown(demo_store):
    """A change is published only where both years are: it adds no equation the attack could use."""
    cat = Catalog(demo_store)
    layers = AnalysisLayers(cat)
    for ind in ("corp_share", "corp_dwellings", "dwellings"):
        p, spec = validate(cat, ViewParams(version="cbs2019", level="buurt", indicator=ind, mode="change",
                                           year=2017, year_from=2005))
        t = map_view(cat, layers, p, spec)["table"].set_index("code")
        y0 = cat.values(ind, "cbs2019", "buurt", 2005, None).set_index("code")
        y1 = cat.values(ind, "cbs2019", "buurt", 2017, None).set_index("code")
        shown = t.index[t["value"].notna()]
        assert len(shown) > 100
        assert y0.loc[shown, "value"].notna().all() and y1.loc[shown, "value"].notna().all()
        np.testing.assert_allclose(t.loc[shown, "value"], y1.loc[shown, "value"] - y0.loc[shown, "value"])
        hidden = y0.index[y0["status"] == "suppressed"].union(y1.index[y1["status"] == "suppressed"])
        assert t.loc[hidden, "value"].isna().all() and len(hidden) > 10


# ---------------------------------------------------------------------------- synthetic national store
def _national(path) -> str:
    """355 gemeenten → wijken → buurten (about 13,000), two years; parents are exact sums."""
    from veerkracht.store import open_store

    rng = np.random.default_rng(11)
    rows, areas = [], [("NL01", "country", None, None)]
    for g in range(355):
        gm = f"GM{g:04d}"
        areas.append((gm, "gemeente", gm, None))
        for w in range(int(rng.integers(1, 16))):
            wk = f"WK{g:04d}{w:02d}"
            areas.append((wk, "wijk", gm, wk))
            for b in range(int(rng.integers(1, 9))):
                areas.append((f"BU{g:04d}{w:02d}{b:02d}", "buurt", gm, wk))
    a = pd.DataFrame(areas, columns=["code", "level", "gm_code", "wk_code"]).assign(geo_version="nat", name=None)
    bu = a[a["level"] == "buurt"]
    for y in YEARS:
        dw = np.floor(rng.lognormal(4.5, 1.3, len(bu)))           # many buurten below 50 dwellings
        corp = rng.binomial(dw.astype(int), rng.beta(2, 3, len(bu))).astype(float)
        res = np.floor(dw * rng.uniform(1.2, 2.6, len(bu)))
        b = pd.DataFrame({"code": bu["code"].to_numpy(), "wk": bu["wk_code"].to_numpy(), "gm": bu["gm_code"].to_numpy(),
                          "dwellings": dw, "corp_dwellings": corp, "residents": res})
        wk = b.groupby(["wk", "gm"])[["dwellings", "corp_dwellings", "residents"]].sum().reset_index()
        wk["bijstand_benefits"] = rng.binomial(wk["dwellings"].astype(int), 0.04).astype(float)
        for lvl, t in (("buurt", b.rename(columns={"code": "c"})), ("wijk", wk.rename(columns={"wk": "c"})),
                       ("gemeente", wk.groupby("gm")[["dwellings", "corp_dwellings", "residents", "bijstand_benefits"]]
                        .sum().reset_index().rename(columns={"gm": "c"}))):
            if lvl == "gemeente":
                t = pd.concat([t, t.sum(numeric_only=True).to_frame().T.assign(c="NL01")], ignore_index=True)
            for ind in ("dwellings", "corp_dwellings", "residents", "bijstand_benefits"):
                if ind in t:
                    rows.append(pd.DataFrame({"code": t["c"], "year": y, "indicator": ind, "value": t[ind]}))
            rows.append(pd.DataFrame({"code": t["c"], "year": y, "indicator": "corp_share", "numerator": t["corp_dwellings"],
                                      "denominator": t["dwellings"], "value": t["corp_dwellings"] / t["dwellings"] * 100}))
            if "bijstand_benefits" in t:
                rows.append(pd.DataFrame({"code": t["c"], "year": y, "indicator": "bijstand_per_100_dwellings",
                                          "numerator": t["bijstand_benefits"], "denominator": t["dwellings"],
                                          "value": t["bijstand_benefits"] / t["dwellings"] * 100}))
    f = pd.concat(rows, ignore_index=True).assign(geo_version="nat", source="synthetic", flags="", origin_version="nat")
    f = f[f["value"].notna() & np.isfinite(f["value"])]
    store = open_store(str(path))
    try:
        store.register_indicators(registry_frame())
        store.write_areas(a)
        store.write_facts(f)
    finally:
        store.close()
    return str(path)


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    from veerkracht.store import open_store

    store = open_store(_national(tmp_path_factory.mktemp("nat") / "nat.duckdb"), read_only=True)
    yield store
    store.close()


def test_synthetic_national_store_nothing_recovered(national, tmp_path):
    results = _run(national, tmp_path)
    before, hidden = _assert_nothing_recovered(results)
    assert before > 1000 and hidden > before


# ---------------------------------------------------------------------------- hand-made cases
REG = registry_frame()


def _cells(rows, areas):
    facts = pd.DataFrame(rows, columns=["code", "indicator", "numerator", "denominator", "value"]).assign(year=2020)
    a = pd.DataFrame(areas, columns=["code", "level", "gm_code", "wk_code"])
    h = hidden_in_version(facts, a, REG)
    return {(c, i): bool(s) for c, i, s in zip(h["code"], h["indicator"], h["secondary"])}


def test_sum_rule_hides_the_next_smallest_child():
    areas = [("W", "wijk", "G", "W"), ("b1", "buurt", "G", "W"), ("b2", "buurt", "G", "W"), ("b3", "buurt", "G", "W")]
    rows = [("W", "dwellings", None, None, 334.0), ("b1", "dwellings", None, None, 4.0),
            ("b2", "dwellings", None, None, 200.0), ("b3", "dwellings", None, None, 130.0)]
    assert _cells(rows, areas) == {("b1", "dwellings"): False, ("b3", "dwellings"): True}
    # two hidden already: nothing more
    rows[3] = ("b3", "dwellings", None, None, 7.0)
    rows[0] = ("W", "dwellings", None, None, 211.0)
    assert _cells(rows, areas) == {("b1", "dwellings"): False, ("b3", "dwellings"): False}


def test_sum_rule_cascades_up_and_down_the_hierarchy():
    # W1 has one buurt, hidden: W1 = b1 gives it away → W1 hidden; then G = W1 + W2 + W3 → the smaller
    # of W2, W3 (W2) hidden; then W2 = b2 + b3 with all buurten visible → its smaller buurt (b3) hidden
    areas = [("G", "gemeente", "G", None), ("W1", "wijk", "G", "W1"), ("W2", "wijk", "G", "W2"),
             ("W3", "wijk", "G", "W3"), ("b1", "buurt", "G", "W1"), ("b2", "buurt", "G", "W2"),
             ("b3", "buurt", "G", "W2"), ("b4", "buurt", "G", "W3")]
    rows = [("G", "corp_share", 90.0, 1000.0, 9.0), ("W1", "corp_share", 5.0, 40.0, 12.5),
            ("W2", "corp_share", 35.0, 360.0, 35 / 3.6), ("W3", "corp_share", 50.0, 600.0, 50 / 6),
            ("b1", "corp_share", 5.0, 40.0, 12.5), ("b2", "corp_share", 20.0, 200.0, 10.0),
            ("b3", "corp_share", 15.0, 160.0, 15 / 1.6), ("b4", "corp_share", 50.0, 600.0, 50 / 6)]
    assert _cells(rows, areas) == {("b1", "corp_share"): False, ("W1", "corp_share"): False,
                                   ("W2", "corp_share"): True, ("b3", "corp_share"): True}


def test_division_rule_hides_a_rate_with_its_numerator_count():
    # BU03633308 of the review: 13 corporation dwellings of 18 — the share (72 %) is hidden (18 < 50)
    # but the two counts divided give it: the numerator count is hidden with it
    areas = [("B", "buurt", None, None)]
    rows = [("B", "corp_share", 13.0, 18.0, 13 / 18 * 100), ("B", "corp_dwellings", None, None, 13.0),
            ("B", "dwellings", None, None, 18.0)]
    assert _cells(rows, areas) == {("B", "corp_share"): False, ("B", "corp_dwellings"): True}
    # a count hidden by the sum rule (W − b1 gives b2) while b2's share and dwellings are shown: the
    # share goes too (30 of 100 would give the 30 back)
    areas = [("W", "wijk", None, "W"), ("b1", "buurt", None, "W"), ("b2", "buurt", None, "W")]
    rows = [("W", "corp_dwellings", None, None, 35.0), ("b1", "corp_dwellings", None, None, 5.0),
            ("b2", "corp_dwellings", None, None, 30.0), ("b2", "dwellings", None, None, 100.0),
            ("b2", "corp_share", 30.0, 100.0, 30.0)]
    assert _cells(rows, areas) == {("b1", "corp_dwellings"): False, ("b2", "corp_dwellings"): True,
                                   ("b2", "corp_share"): True}


def test_a_rate_without_its_own_counts_is_judged_on_the_linked_counts():
    areas = [("B", "buurt", None, None)]
    rows = [("B", "corp_share", None, None, 50.0), ("B", "corp_dwellings", None, None, 20.0),
            ("B", "dwellings", None, None, 40.0)]
    # 40 dwellings < 50: the share is suppressed on its own, the count divided from it with it
    assert _cells(rows, areas) == {("B", "corp_share"): False, ("B", "corp_dwellings"): True}
    rows[1], rows[0] = ("B", "corp_dwellings", None, None, 4.0), ("B", "corp_share", None, None, 5.0)
    rows[2] = ("B", "dwellings", None, None, 80.0)   # 4 of 80 (5 %): a numerator below 10
    assert _cells(rows, areas) == {("B", "corp_share"): False, ("B", "corp_dwellings"): False}


@pytest.mark.parametrize("value, hidden", [(0.0, False), (0.4, True), (1.0, True), (9.0, True), (9.6, True),
                                           (10.0, False)])
def test_fractional_counts_are_caught(value, hidden):
    f = pd.DataFrame({"code": ["B"], "year": [2020], "indicator": ["corp_dwellings"], "numerator": [np.nan],
                      "denominator": [np.nan], "value": [value], "flags": [""]})
    out = apply_suppression(f, restricted=small_count_indicators(REG))
    assert out["value"].isna().item() is hidden
    rate = pd.DataFrame({"code": ["B"], "year": [2020], "indicator": ["corp_share"], "numerator": [value],
                         "denominator": [200.0], "value": [value / 2], "flags": [""]})
    assert apply_suppression(rate)["value"].isna().item() is hidden
