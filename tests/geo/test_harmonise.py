"""Harmonisation: hand-computed cases, flags, coverage, the store round trip and properties."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veerkracht.geo.crosswalk import overlay_crosswalk
from veerkracht.geo.harmonise import harmonise, harmonise_store
from veerkracht.store import Batch, Provenance

from .test_crosswalk import areas, box, partitions, regroup

KINDS = {"dwellings": "count", "corp_share": "rate", "lbm": "score", "lbm_class": "class"}
SCALES = {"corp_share": 100.0}
A, B = "BU00010001", "BU00010002"          # v1: two squares
L, R = "BU00010003", "BU00010004"          # v2: A split 70/30; B unchanged


@pytest.fixture
def cw():
    src = areas([A, B], [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    dst = areas([L, R, B], [box(0, 0, 70, 100), box(70, 0, 100, 100), box(100, 0, 200, 100)])
    return overlay_crosswalk(src, dst, "v1", "v2")


def facts(rows):
    cols = ["code", "indicator", "numerator", "denominator", "value", "flags"]
    df = pd.DataFrame(rows, columns=cols)
    return df.assign(geo_version="v1", year=2020, source="test")


def pick(out, code, indicator):
    row = out[(out["code"] == code) & (out["indicator"] == indicator)]
    assert len(row) == 1
    return row.iloc[0]


def test_counts_split_70_30(cw):
    out = harmonise(facts([(A, "dwellings", None, None, 100, ""), (B, "dwellings", None, None, 50, "cbs_marker:x")]),
                    cw, KINDS, "v2", SCALES)
    assert pick(out, L, "dwellings")["value"] == pytest.approx(70)
    assert pick(out, R, "dwellings")["value"] == pytest.approx(30)
    b = pick(out, B, "dwellings")
    assert (b["value"], b["flags"], b["origin_version"], b["source"]) == (50, "cbs_marker:x,harmonised", "v1", "test")
    assert set(out["geo_version"]) == {"v2"} and out["flags"].str.contains("harmonised").all()
    # a count that went through a 70/30 split rests on the weight basis: it says so
    assert pick(out, L, "dwellings")["flags"] == "harmonised,split_estimate"


def test_rate_recomputed_from_numerator_and_denominator():
    # v2 target T = all of A plus all of B: rate = (30 + 10) / (100 + 20) — not the mean of 30 % and 50 %
    cw = pd.DataFrame({"from_version": "v1", "from_code": [A, B], "to_version": "v2", "to_code": ["T", "T"],
                       "weight": 1.0, "amount": [1.0, 1.0], "basis": "area"})
    out = harmonise(facts([(A, "corp_share", 30, 100, 30.0, ""), (B, "corp_share", 10, 20, 50.0, "")]),
                    cw, KINDS, "v2", SCALES)
    t = pick(out, "T", "corp_share")
    assert (t["numerator"], t["denominator"]) == (40, 120)
    assert t["value"] == pytest.approx(100 * 40 / 120)
    assert t["value"] != pytest.approx((30 + 50) / 2)
    assert t["flags"] == "harmonised"


def test_split_rate_keeps_the_rate(cw):
    out = harmonise(facts([(A, "corp_share", 30, 100, 30.0, "")]), cw, KINDS, "v2", SCALES)
    left = pick(out, L, "corp_share")
    assert (left["numerator"], left["denominator"], left["value"]) == pytest.approx((21, 70, 30))


def test_score_is_area_weighted_mean_and_flagged_approx():
    cw = pd.DataFrame({"from_version": "v1", "from_code": [A, B, B], "to_version": "v2",
                       "to_code": ["T", "T", "U"], "weight": [1.0, 0.5, 0.5],
                       "amount": [30.0, 10.0, 10.0], "basis": "area"})
    out = harmonise(facts([(A, "lbm", None, None, 0.1, ""), (B, "lbm", None, None, 0.5, "")]),
                    cw, KINDS, "v2", SCALES)
    t = pick(out, "T", "lbm")
    assert t["value"] == pytest.approx((0.1 * 30 + 0.5 * 10) / 40)
    assert t["flags"] == "approx,harmonised"
    assert pick(out, "U", "lbm")["value"] == pytest.approx(0.5)


def test_rate_without_numerator_is_approx(cw):
    out = harmonise(facts([(A, "corp_share", None, None, 30.0, ""), (B, "corp_share", None, None, 50.0, "")]),
                    cw, KINDS, "v2", SCALES)
    assert pick(out, L, "corp_share")["flags"] == "approx,harmonised"
    assert pick(out, L, "corp_share")["value"] == pytest.approx(30)
    # an unchanged area is a plain rename: the value is exact, not approximated
    assert pick(out, B, "corp_share")["flags"] == "harmonised"


def test_class_skipped_and_target_version_passes_through(cw):
    f = facts([(A, "lbm_class", None, None, 3, ""), (A, "dwellings", None, None, 10, "")])
    native = pd.DataFrame({"geo_version": ["v2"], "code": [L], "year": [2021], "indicator": ["dwellings"],
                           "value": [99.0], "source": ["own"], "flags": ["x"]})
    out = harmonise(pd.concat([f, native]), cw, KINDS, "v2", SCALES)
    assert "lbm_class" not in set(out["indicator"])
    assert out.attrs["warnings"] == ["class indicators are not harmonised: lbm_class"]
    kept = out[out["year"] == 2021].iloc[0]
    assert (kept["value"], kept["flags"], kept["origin_version"], kept["source"]) == (99, "x", "v2", "own")


def test_partial_coverage_and_unmapped():
    # T is fed by A (60 %) and B (40 %); only A has a fact; C is not in the crosswalk
    cw = pd.DataFrame({"from_version": "v1", "from_code": [A, B], "to_version": "v2", "to_code": ["T", "T"],
                       "weight": 1.0, "amount": [60.0, 40.0], "basis": "addresses"})
    out = harmonise(facts([(A, "dwellings", None, None, 10, ""), ("BU00010009", "dwellings", None, None, 5, "")]),
                    cw, KINDS, "v2", SCALES)
    t = pick(out, "T", "dwellings")
    assert t["flags"] == "harmonised,partial_coverage"
    assert t["coverage"] == pytest.approx(0.6) and t["value"] == 10
    assert out.attrs["unmapped"] == {"v1": ["BU00010009"]}


def test_missing_value_stays_missing(cw):
    out = harmonise(facts([(A, "dwellings", None, None, np.nan, "cbs_marker:.")]), cw, KINDS, "v2", SCALES)
    left = pick(out, L, "dwellings")
    assert np.isnan(left["value"]) and left["flags"] == "cbs_marker:.,harmonised"


def test_harmonise_store_composed_path(mem_store):
    """pc4 → v1 (addresses) and v1 → v2 (area): pc4 facts reach v2 over one intermediate version."""
    src = areas([A, B], [box(0, 0, 100, 100), box(100, 0, 200, 100)]).to_crs(4326)
    dst = areas([L, R, B], [box(0, 0, 70, 100), box(70, 0, 100, 100), box(100, 0, 200, 100)]).to_crs(4326)
    for g, v in ((src, "v1"), (dst, "v2")):
        g["geo_version"], g["level"] = v, "buurt"
    cw12 = overlay_crosswalk(src, dst, "v1", "v2")
    cwp = pd.DataFrame({"from_version": "pc", "from_code": ["PC1011", "PC1011", "PC1012"], "to_version": "v1",
                        "to_code": [A, B, B], "weight": [0.5, 0.5, 1.0], "amount": [5.0, 5.0, 4.0],
                        "basis": "addresses"})
    f = pd.concat([facts([(A, "dwellings", None, None, 100, "")]),
                   facts([("PC1011", "dwellings", None, None, 40, ""), ("PC1012", "dwellings", None, None, 8, ""),
                          ("PC9999", "dwellings", None, None, 1, "")]).assign(geo_version="pc")])
    mem_store.ingest(Batch(Provenance("test", "t", "t"), areas=pd.concat([src, dst]), facts=f,
                           crosswalk=pd.concat([cw12, cwp])))
    summary = harmonise_store(mem_store, "v2", indicators=["dwellings"])
    assert summary["pc"]["path"] == ["pc", "v1", "v2"] and summary["pc"]["unmapped"] == ["PC9999"]
    assert summary["v1"] == {"facts_in": 1, "facts_out": 2, "unmapped": [], "path": ["v1", "v2"], "warnings": []}
    got = mem_store.facts(indicator="dwellings", geo_version="v2").set_index(["origin_version", "code"])["value"]
    assert got[("v1", L)] == pytest.approx(70) and got[("v1", R)] == pytest.approx(30)
    # PC1011: 20 to A (→ 14 L, 6 R) and 20 to B; PC1012: 8 to B
    assert got[("pc", L)] == pytest.approx(14) and got[("pc", B)] == pytest.approx(28)
    assert got.loc["pc"].sum() == pytest.approx(48)


# ---------------------------------------------------------------- properties on random partitions
@settings(max_examples=50, deadline=None)
@given(partitions(), st.data())
def test_property_counts_conserved_and_rates_bounded(p, data):
    cells, la, lb = p
    src, dst = regroup(cells, la), regroup(cells, lb)
    cw = overlay_crosswalk(src, dst, "a", "b")
    n = len(src)
    floats = st.floats(0, 1e6, allow_nan=False, allow_subnormal=False)
    counts = np.array(data.draw(st.lists(floats, min_size=n, max_size=n)))
    den = np.array(data.draw(st.lists(st.floats(1, 1e5, allow_subnormal=False), min_size=n, max_size=n)))
    share = np.array(data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
    num = den * share
    f = pd.concat([
        pd.DataFrame({"code": src["code"], "indicator": "dwellings", "value": counts}),
        pd.DataFrame({"code": src["code"], "indicator": "corp_share", "numerator": num, "denominator": den,
                      "value": 100 * num / den}),
    ]).assign(geo_version="a", year=2020, source="s")
    out = harmonise(f, cw, KINDS, "b", SCALES)
    cnt = out[out["indicator"] == "dwellings"]
    assert cnt["value"].sum() == pytest.approx(counts.sum(), rel=1e-9, abs=1e-9)
    rate = out[out["indicator"] == "corp_share"].set_index("code")
    assert rate["numerator"].sum() == pytest.approx(num.sum(), rel=1e-9, abs=1e-9)
    src_rate = pd.Series(100 * num / den, index=src["code"].to_numpy())
    for code, group in cw.groupby("to_code"):
        contributing = src_rate[group["from_code"]]
        assert contributing.min() - 1e-9 <= rate.loc[code, "value"] <= contributing.max() + 1e-9
