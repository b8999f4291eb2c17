"""Crosswalks: hand-computed overlays, points, addresses, files, composition, lineage, real Amsterdam."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from veerkracht.errors import InputError
from veerkracht.geo.crosswalk import address_crosswalk, compose, lineage, overlay_crosswalk
from veerkracht.sources import read

X0, Y0 = 120_000, 480_000   # somewhere in NL, RD New metres


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def areas(codes, geoms):
    return gpd.GeoDataFrame({"code": codes}, geometry=geoms, crs=28992)


@pytest.fixture
def squares():
    """A: two 100 m squares; B: the first split 70/30, the second unchanged; C: far away."""
    src = areas(["BU00010001", "BU00010002"], [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    dst = areas(["BU00010003", "BU00010004", "BU00010002"],
                [box(0, 0, 70, 100), box(70, 0, 100, 100), box(100, 0, 200, 100)])
    return src, dst


def test_two_squares_split_70_30(squares):
    cw = overlay_crosswalk(*squares, "v1", "v2")
    got = {(r.from_code, r.to_code): (r.weight, r.amount) for r in cw.itertuples()}
    assert got.keys() == {("BU00010001", "BU00010003"), ("BU00010001", "BU00010004"),
                          ("BU00010002", "BU00010002")}
    assert got[("BU00010001", "BU00010003")] == pytest.approx((0.7, 7000.0))
    assert got[("BU00010001", "BU00010004")] == pytest.approx((0.3, 3000.0))
    assert got[("BU00010002", "BU00010002")] == (1.0, 10000.0)
    assert set(cw["basis"]) == {"area"} and set(cw["from_version"]) == {"v1"}
    # the unchanged square is settled without an overlay; touching neighbours give slivers of 0
    assert cw.attrs["report"]["identical"] == 1 and cw.attrs["report"]["overlaid"] == 1
    assert cw.attrs["unmatched"] == []


def test_wgs84_input_is_projected(squares):
    src, dst = (g.to_crs(4326) for g in squares)
    cw = overlay_crosswalk(src, dst, "v1", "v2")
    w = cw.set_index("to_code")["weight"]
    assert w["BU00010003"] == pytest.approx(0.7, abs=1e-6)


def test_slivers_dropped_and_renormalised_and_unmatched_reported():
    src = areas(["BU00010001", "BU00010009"], [box(0, 0, 100, 100), box(5000, 5000, 5100, 5100)])
    dst = areas(["BU00020001", "BU00020002"], [box(0, 0, 99.95, 100), box(99.95, 0, 200, 100)])
    cw = overlay_crosswalk(src, dst, "v1", "v2", min_share=0.001)
    # 0.05 % lies in BU00020002: dropped, the rest renormalised to exactly 1
    assert cw[["from_code", "to_code", "weight"]].values.tolist() == [["BU00010001", "BU00020001", 1.0]]
    assert cw.attrs["unmatched"] == ["BU00010009"]
    assert cw.attrs["report"]["slivers_dropped"] == 1


def test_near_identical_geometry_gets_weight_one():
    src = areas(["BU00010001", "BU00010002"], [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    # same codes, boundary moved by 2 cm: symmetric difference 0.02 % of the area < 0.1 %
    dst = areas(["BU00010001", "BU00010002"], [box(0, 0, 100.02, 100), box(100.02, 0, 200, 100)])
    cw = overlay_crosswalk(src, dst, "v1", "v2")
    assert cw["weight"].tolist() == [1.0, 1.0] and cw.attrs["report"]["identical"] == 2


def test_points_basis(squares):
    src, dst = squares
    xs = [X0 + 10] * 7 + [X0 + 80] * 2 + [X0 + 150]
    pts = gpd.GeoDataFrame({"n": [1] * 7 + [1, 2] + [4]},
                           geometry=gpd.points_from_xy(xs, [Y0 + 50] * 10), crs=28992)
    cw = overlay_crosswalk(src, dst, "v1", "v2", basis="addresses", points=pts, point_weight="n")
    w = cw.set_index("to_code")
    assert w.loc["BU00010003", "weight"] == pytest.approx(0.7)
    assert w.loc["BU00010004", "weight"] == pytest.approx(0.3)
    assert w.loc["BU00010004", "amount"] == 3
    assert w.loc["BU00010002", ["weight", "amount"]].tolist() == [1.0, 4.0]
    assert set(cw["basis"]) == {"addresses"}


def test_address_crosswalk_real_pc4_table(real_data):
    path = real_data / "amsterdam_buurten_2022_geo" / "amsterdam_pc4_buurt2022_adresgewichten.csv"
    raw = pd.read_csv(path)
    cw = read("crosswalk-addresses", path, from_version="lbm3-2022", to_version="cbs2023").crosswalk
    assert len(cw) == 273 and cw["from_code"].nunique() == 74
    assert cw["from_code"].str.fullmatch(r"PC\d{4}").all()
    sums = cw.groupby("from_code")["weight"].sum()
    assert np.allclose(sums, 1, atol=1e-12)
    n1011 = raw[raw["pc4"] == 1011]
    expected = n1011.loc[n1011["cbs_code"] == "BU0363AF01", "n_adresregels"].iloc[0] / n1011["n_adresregels"].sum()
    row = cw[(cw["from_code"] == "PC1011") & (cw["to_code"] == "BU0363AF01")].iloc[0]
    assert row["weight"] == pytest.approx(expected) and row["amount"] == 434
    direct = address_crosswalk(raw, "pc4", "cbs_code", "n_adresregels", "lbm3-2022", "cbs2023")
    pd.testing.assert_frame_equal(direct, cw)


def test_address_crosswalk_bad_count(real_data, tmp_path):
    text = (real_data / "amsterdam_buurten_2022_geo" / "amsterdam_pc4_buurt2022_adresgewichten.csv").read_text()
    lines = text.splitlines()
    lines[6] = lines[6].rsplit(",", 1)[0] + ",veel"
    p = tmp_path / "bad.csv"
    p.write_text("\n".join(lines))
    with pytest.raises(InputError) as e:
        read("crosswalk-addresses", p, from_version="a", to_version="b")
    assert (e.value.file, e.value.row, e.value.column) == (str(p), 7, "n_adresregels")


def _cw_file(tmp_path, rows, name="cw.csv"):
    p = tmp_path / name
    p.write_text("from_code,to_code,weight\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return p


def test_crosswalk_file_reader(tmp_path):
    p = _cw_file(tmp_path, [("BU00010001", "BU00010003", 0.7), ("BU00010001", "BU00010004", 0.3),
                            ("BU00010002", "BU00010002", 1)])
    cw = read("crosswalk", p, from_version="v1", to_version="v2", basis="area").crosswalk
    assert cw["weight"].tolist() == [0.7, 0.3, 1.0] and set(cw["to_version"]) == {"v2"}
    bad = _cw_file(tmp_path, [("BU00010002", "BU00010002", 1), ("BU00010001", "BU00010003", 0.7),
                              ("BU00010001", "BU00010004", 0.2)], "sum.csv")
    with pytest.raises(InputError) as e:
        read("crosswalk", bad, from_version="v1", to_version="v2", basis="area")
    assert (e.value.row, e.value.column) == (3, "weight") and "sum to 0.9" in e.value.message
    out = _cw_file(tmp_path, [("BU00010001", "BU00010003", 1.5)], "range.csv")
    with pytest.raises(InputError) as e:
        read("crosswalk", out, from_version="v1", to_version="v2", basis="area")
    assert (e.value.row, e.value.column) == (2, "weight")
    with pytest.raises(InputError) as e:
        read("crosswalk", p, to_version="v2", basis="area")
    assert e.value.column == "from_version"


def test_compose_and_lineage():
    ab = pd.DataFrame({"from_version": "pc", "from_code": ["PC1011", "PC1011", "PC1012"],
                       "to_version": "b", "to_code": ["B1", "B2", "B2"], "weight": [0.6, 0.4, 1.0],
                       "amount": [60.0, 40.0, 50.0], "basis": "addresses"})
    bc = pd.DataFrame({"from_version": "b", "from_code": ["B1", "B2", "B2"], "to_version": "c",
                       "to_code": ["C1", "C1", "C2"], "weight": [1.0, 0.5, 0.5],
                       "amount": [10.0, 5.0, 5.0], "basis": "area"})
    ac = compose(ab, bc).set_index(["from_code", "to_code"])
    assert ac.loc[("PC1011", "C1"), "weight"] == pytest.approx(0.6 + 0.4 * 0.5)
    assert ac.loc[("PC1011", "C2"), "weight"] == pytest.approx(0.2)
    assert ac.loc[("PC1012", "C1"), ["weight", "amount"]].tolist() == [0.5, 25.0]
    assert ac.loc[("PC1011", "C1"), "amount"] == pytest.approx(60 + 20)
    assert set(ac["basis"]) == {"addresses>area"} and set(ac["to_version"]) == {"c"}
    lin = lineage(ac.reset_index(), "C1")
    assert lin["from_code"].tolist() == ["PC1011", "PC1012"]
    assert lin["share_of_target"].tolist() == pytest.approx([80 / 105, 25 / 105])
    with pytest.raises(ValueError):
        compose(bc, bc)


@pytest.mark.slow
def test_amsterdam_2019_to_2022_indeling(real_data):
    nat = read("geometry", real_data / "geo_buurt_2019_nl" / "buurten_2019_nl_wgs84_topo_simplified.geojson.gz",
               geo_version="cbs2019").areas
    ams19 = nat[nat["gm_code"] == "GM0363"]
    ams22 = read("geometry", real_data / "amsterdam_buurten_2022_geo" /
                 "amsterdam_buurten_indeling2022_wgs84.geojson.gz", geo_version="cbs2023").areas
    assert (len(ams19), len(ams22)) == (479, 518)
    cw = overlay_crosswalk(ams19, ams22, "cbs2019", "cbs2023")
    assert cw.attrs["unmatched"] == []
    sums = cw.groupby("from_code")["weight"].sum()
    assert len(sums) == 479 and np.abs(sums - 1).max() < 1e-12
    assert cw["weight"].between(0.001, 1).all()
    assert set(cw["to_code"]) <= set(ams22["code"])
    # every 2022 buurt lies in Amsterdam 2019: most targets are fed, and lineage adds up
    lin = lineage(cw, "BU0363AC02")
    assert lin["share_of_target"].sum() == pytest.approx(1) and lin["share_of_target"].iloc[0] > 0.9


# ---------------------------------------------------------------- properties on random partitions
@st.composite
def partitions(draw):
    nx, ny = draw(st.integers(2, 5)), draw(st.integers(2, 5))
    cells = [box(i * 100, j * 100, (i + 1) * 100, (j + 1) * 100) for i in range(nx) for j in range(ny)]
    k = nx * ny
    labels = st.lists(st.integers(0, max(1, k // 2)), min_size=k, max_size=k)
    return cells, draw(labels), draw(labels)


def regroup(cells, labels):
    codes = sorted(set(labels))
    geoms = [shapely.union_all([c for c, lab in zip(cells, labels) if lab == g]) for g in codes]
    return areas([f"BU0000{g:04d}" for g in codes], geoms)


@settings(max_examples=60, deadline=None)
@given(partitions())
def test_property_weights_sum_to_one_and_area_conserved(p):
    cells, la, lb = p
    src, dst = regroup(cells, la), regroup(cells, lb)
    cw = overlay_crosswalk(src, dst, "a", "b")
    sums = cw.groupby("from_code")["weight"].sum()
    assert set(sums.index) == set(src["code"])
    assert np.abs(sums - 1).max() < 1e-12
    assert cw["amount"].sum() == pytest.approx(src.area.sum(), rel=1e-9)
    # each target receives its own area
    got = cw.groupby("to_code")["amount"].sum()
    want = dst.set_index("code").area
    assert np.allclose(got.reindex(want.index), want, rtol=1e-9)
