"""The geometry reader on the real national buurt geometry, its TopoJSON twin and broken copies."""
from __future__ import annotations

import gzip
import json

import numpy as np
import pyogrio
import pytest
import shapely

from veerkracht.errors import InputError
from veerkracht.sources import read
from veerkracht.sources._topojson import decode_object

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def buurt_dir(real_data):
    return real_data / "geo_buurt_2019_nl"


@pytest.fixture(scope="module")
def national(buurt_dir):
    return read("geometry", buurt_dir / "buurten_2019_nl_wgs84_topo_simplified.geojson.gz", geo_version="cbs2019")


@pytest.fixture(scope="module")
def geojson_doc(buurt_dir):
    return json.loads(gzip.decompress((buurt_dir / "buurten_2019_nl_wgs84_topo_simplified.geojson.gz").read_bytes()))


def _write(tmp_path, doc, name="broken.geojson"):
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return p


def test_national_buurten(national):
    areas = national.areas
    assert len(areas) == 13594
    assert areas["code"].is_unique
    assert set(areas["level"]) == {"buurt"}
    assert areas.crs.to_epsg() == 4326
    assert shapely.is_valid(areas.geometry.values).all()
    row = areas.set_index("code").loc["BU03630000"]
    assert (row["gm_code"], row["wk_code"]) == ("GM0363", "WK036300")
    # SOURCES.md: 21 of 13,594 polygons are invalid after simplification — repaired and named
    warning = next(w for w in national.warnings if "repaired" in w)
    assert warning.startswith("21 invalid polygon(s)")
    assert len(warning.split(": ", 1)[1].split(", ")) == 21
    assert national.provenance.options["code_column"] == "bu_code"


def test_topojson_decodes_to_the_same_areas(buurt_dir, national):
    topo = read("geometry", buurt_dir / "buurten_2019_nl_wgs84.topojson.gz", geo_version="cbs2019")
    a, b = national.areas, topo.areas
    assert topo.provenance.options["code_column"] == "statcode"
    assert a["code"].tolist() == b["code"].tolist()
    # the GeoJSON was rounded to 5 decimals: every vertex within ~1e-5 degrees
    assert shapely.hausdorff_distance(a.geometry.values, b.geometry.values).max() < 1.5e-5
    ra, rb = a.to_crs(28992).area.to_numpy(), b.to_crs(28992).area.to_numpy()
    assert np.median(np.abs(ra - rb) / ra) < 1e-3
    assert np.abs(ra.sum() - rb.sum()) / ra.sum() < 1e-5
    assert "21 invalid polygon(s)" in topo.warnings[0]


def test_topojson_decoder_hand_case():
    # two unit squares sharing the arc x=1, quantised (scale 1, translate 0), delta-encoded
    topo = {"type": "Topology", "transform": {"scale": [1, 1], "translate": [0, 0]},
            "arcs": [[[1, 0], [0, 1]],                       # shared edge (1,0)->(1,1)
                     [[1, 1], [-1, 0], [0, -1], [1, 0]],     # left square rest
                     [[1, 0], [1, 0], [0, 1], [-1, 0]]],     # right square rest
            "objects": {"o": {"type": "GeometryCollection", "geometries": [
                {"type": "Polygon", "arcs": [[0, 1]], "properties": {"code": "A"}},
                {"type": "MultiPolygon", "arcs": [[[2, ~0]]], "properties": {"code": "B"}},
                {"type": None, "properties": {"code": "C"}}]}}}
    geoms, props, _ = decode_object(topo)
    assert [p["code"] for p in props] == ["A", "B", "C"]
    assert shapely.equals(geoms[0], shapely.box(0, 0, 1, 1))
    assert geoms[1].geom_type == "MultiPolygon" and shapely.equals(geoms[1], shapely.box(1, 0, 2, 1))
    assert geoms[2] is None


def test_rd_geopackage_round_trip(national, tmp_path):
    utrecht = national.areas[national.areas["gm_code"] == "GM0344"].reset_index(drop=True)
    assert len(utrecht) > 100
    rd = utrecht[["code", "name", "geometry"]].rename(columns={"code": "CBS_Buurtcode"}).to_crs(28992)
    path = tmp_path / "utrecht_rd.gpkg"
    pyogrio.write_dataframe(rd, path, layer="buurten")
    back = read("geometry", path, geo_version="cbs2019")
    assert back.areas["code"].tolist() == utrecht["code"].tolist()
    assert back.areas.crs.to_epsg() == 4326
    # GeoPackage layers are MultiPolygon; the vertices come back within 1e-6 degrees
    got = shapely.get_coordinates(back.areas.geometry.values)
    want = shapely.get_coordinates(utrecht.geometry.values)
    assert got.shape == want.shape and np.abs(got - want).max() < 1e-6


def test_truncated_json(geojson_doc, tmp_path):
    text = json.dumps(geojson_doc)
    cut = len(text) // 3
    p = tmp_path / "truncated.geojson"
    p.write_text(text[:cut])
    with pytest.raises(InputError) as e:
        read("geometry", p, geo_version="cbs2019")
    assert e.value.file == str(p)
    assert e.value.row == text[:cut].count('"type": "Feature"')   # the feature that was cut off
    assert "truncated" in e.value.message


def test_null_geometry_names_the_feature(geojson_doc, tmp_path):
    doc = json.loads(json.dumps(geojson_doc))
    doc["features"][4]["geometry"] = None
    p = _write(tmp_path, doc)
    with pytest.raises(InputError) as e:
        read("geometry", p, geo_version="cbs2019")
    assert (e.value.file, e.value.row, e.value.column) == (str(p), 5, "geometry")
    dropped = read("geometry", p, geo_version="cbs2019", on_empty="drop")
    assert len(dropped.areas) == 13593
    assert any("5 (BU00030008)" in w for w in dropped.warnings)


def test_missing_code_column(geojson_doc, tmp_path):
    small = {"type": "FeatureCollection", "features": json.loads(json.dumps(geojson_doc["features"][:20]))}
    p = _write(tmp_path, small)
    with pytest.raises(InputError) as e:
        read("geometry", p, geo_version="cbs2019", code_column="statcode")
    assert (e.value.file, e.value.column) == (str(p), "statcode")
    for f in small["features"]:
        f["properties"] = {"label": f["properties"]["bu_code"]}
    p = _write(tmp_path, small, "nocode.geojson")
    with pytest.raises(InputError) as e:
        read("geometry", p, geo_version="cbs2019")
    assert e.value.column == "code" and "statcode" in e.value.message
    with pytest.raises(InputError, match="geo_version"):
        read("geometry", p)


def test_duplicate_code(geojson_doc, tmp_path):
    doc = {"type": "FeatureCollection", "features": json.loads(json.dumps(geojson_doc["features"][:30]))}
    doc["features"][10]["properties"]["bu_code"] = doc["features"][3]["properties"]["bu_code"]
    p = _write(tmp_path, doc)
    with pytest.raises(InputError) as e:
        read("geometry", p, geo_version="cbs2019")
    assert (e.value.row, e.value.column) == (11, "bu_code")
    assert "first seen in feature 4" in e.value.message


def test_wijk_2016_duplicate_dissolved_and_empty_dropped(real_data):
    path = real_data / "geo_wijk_2016" / "wijken_2016_nl_wgs84_simplified10m.geojson.gz"
    with pytest.raises(InputError) as e:                      # WK024316 has an empty MultiPolygon
        read("geometry", path, geo_version="cbs2016")
    assert (e.value.row, e.value.column) == (619, "geometry")
    with pytest.raises(InputError) as e:
        read("geometry", path, geo_version="cbs2016", on_empty="drop")
    assert e.value.row == 2982 and "WK191104 (first seen in feature 2824)" in e.value.message
    b = read("geometry", path, geo_version="cbs2016", on_empty="drop", on_duplicate="dissolve")
    assert len(b.areas) == 2979                              # 2,982 features − 2 empty − 1 duplicate
    assert any("WK191104" in w and "dissolved" in w for w in b.warnings)
    wk = b.areas.set_index("code").loc["WK191104"]
    assert wk.geometry.geom_type == "MultiPolygon" and wk["level"] == "wijk" and wk["gm_code"] == "GM1911"


def test_amsterdam_2022_codes_detected(real_data):
    b = read("geometry", real_data / "amsterdam_buurten_2022_geo" / "amsterdam_buurten_indeling2022_wgs84.geojson.gz",
             geo_version="cbs2023")
    assert len(b.areas) == 518
    row = b.areas.set_index("code").loc["BU0363AC02"]
    assert (row["name"], row["wk_code"], row["gm_code"]) == ("Leliegracht e.o.", "WK0363AC", "GM0363")
