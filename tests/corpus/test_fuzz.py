"""Property-based fuzz of the CSV, TopoJSON, GeoJSON and OData readers: a clear error or the correct
value — never a traceback, never a hang (every example has a deadline)."""
from __future__ import annotations

import json
import math
import os

import httpx
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.servers.cbs_odata import DATA
from veerkracht.errors import VeerkrachtError
from veerkracht.sources import read
from veerkracht.sources.geometry import NL_BOUNDS

# VEERKRACHT_FUZZ_EXAMPLES=2000 for a long run
FUZZ = settings(max_examples=int(os.environ.get("VEERKRACHT_FUZZ_EXAMPLES", 60)), deadline=5000, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])
MARKERS = [".", "-99995", "-99997", "-99995.0", "x", ""]


def _cell():
    """(text as written, what it must become): a number, None (missing/marker) or 'bad' (must be an error)."""
    n = st.integers(0, 10**7)
    return st.one_of(
        n.map(lambda v: (str(v), float(v))),
        n.map(lambda v: (f'"{v:,}"', float(v)) if v >= 1000 else (str(v), float(v))),
        st.sampled_from(MARKERS).map(lambda m: (m, None)),
        n.map(lambda v: (f"{v}.5", "bad")),
        st.text("abcxyz!@#;", min_size=1, max_size=5).filter(lambda s: s.strip() not in ("x", "")).map(
            lambda s: (json.dumps(s), "bad")),
        st.sampled_from(["inf", "-inf", "1e400", "NaN"]).map(lambda s: (s, None if s == "NaN" else "bad")),
        st.integers(1, 10**5).map(lambda v: (str(-v), "bad")),
    )


@FUZZ
@given(cells=st.lists(_cell(), min_size=1, max_size=8), crlf=st.booleans(), sep=st.sampled_from([",", ";", "\t"]))
def test_kwb_csv_clear_error_or_correct_value(tmp_path, cells, crlf, sep):
    if sep != ",":
        cells = [(t.replace(",", "") if t.startswith('"') else t, v) for t, v in cells]
    end = "\r\n" if crlf else "\n"
    rows = [f"gwb_code_10{sep}regio{sep}a_inw"] + [f"GM{i + 1:04d}{sep}Gemeente {i}{sep}{t}" for i, (t, _) in enumerate(cells)]
    p = tmp_path / "kwb_2023_fuzz.csv"
    p.write_text(end.join(rows) + end, encoding="utf-8")
    try:
        facts = read("cbs-kwb", p).facts
    except VeerkrachtError as exc:
        assert str(exc).startswith(f"file {p}")
        return
    assert not any(v == "bad" for _, v in cells), f"loaded a bad cell: {cells}"
    got = facts[facts["indicator"] == "residents"].set_index("code")
    for i, (text, want) in enumerate(cells):
        f = got.loc[f"GM{i + 1:04d}"]
        if want is None:
            assert math.isnan(f["value"]) and f["flags"], (text, f.to_dict())
        else:
            assert f["value"] == want, (text, f["value"])


@FUZZ
@given(data=st.binary(max_size=400))
def test_any_bytes_are_a_clear_error_or_a_load(tmp_path, data):
    p = tmp_path / "kwb_2023_bytes.csv"
    p.write_bytes(data)
    try:
        read("cbs-kwb", p)
    except VeerkrachtError:
        pass


_ring = st.lists(st.integers(-3, 40), min_size=1, max_size=4)
_geom = st.fixed_dictionaries({
    "type": st.sampled_from(["Polygon", "MultiPolygon", "Point", None, "LineString"]),
    "arcs": st.one_of(st.lists(_ring, max_size=2), st.lists(st.lists(_ring, max_size=2), max_size=2), st.integers(),
                      st.none()),
    "properties": st.fixed_dictionaries({"statcode": st.sampled_from(["BU03630000", "BU03630001", "", "XX"])}),
})


@FUZZ
@given(arcs=st.lists(st.lists(st.lists(st.integers(-50, 50), min_size=2, max_size=2), min_size=1, max_size=5),
                     max_size=40),
       geoms=st.lists(_geom, min_size=1, max_size=5), transform=st.booleans())
def test_topojson_clear_error_or_valid_areas(tmp_path, arcs, geoms, transform):
    topo = {"type": "Topology", "arcs": arcs, "objects": {"b": {"type": "GeometryCollection", "geometries": geoms}}}
    if transform:
        topo["transform"] = {"scale": [1e-4, 1e-4], "translate": [4.8, 52.3]}
    p = tmp_path / "b.topojson"
    p.write_text(json.dumps(topo))
    _areas_inside_or_error(p)


def _areas_inside_or_error(p):
    try:
        areas = read("geometry", p, geo_version="v").areas
    except VeerkrachtError as exc:
        assert str(exc).startswith(f"file {p}")
        return
    b = areas.geometry.bounds.to_numpy()
    assert areas.geometry.is_valid.all() and not areas.geometry.is_empty.any()
    lo_x, lo_y, hi_x, hi_y = NL_BOUNDS
    assert (b[:, 0] >= lo_x).all() and (b[:, 2] <= hi_x).all() and (b[:, 1] >= lo_y).all() and (b[:, 3] <= hi_y).all()


_coord = st.tuples(st.floats(-200, 300000, allow_nan=False), st.floats(-100, 700000, allow_nan=False))


@FUZZ
@given(rings=st.lists(st.lists(_coord, min_size=0, max_size=6), min_size=1, max_size=4),
       crs=st.sampled_from([None, 28992, 4326]), code=st.sampled_from(["BU03630000", "", None, "GM0363"]))
def test_geojson_clear_error_or_areas_in_the_netherlands(tmp_path, rings, crs, code):
    feats = [{"type": "Feature", "properties": {"code": code if i == 0 else f"BU0363{i:04d}"},
              "geometry": {"type": "Polygon", "coordinates": [[list(c) for c in r] + ([list(r[0])] if r else [])]}}
             for i, r in enumerate(rings)]
    doc = {"type": "FeatureCollection", "features": feats}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{crs}"}}
    p = tmp_path / "b.geojson"
    p.write_text(json.dumps(doc))
    _areas_inside_or_error(p)


_json_value = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**9), st.floats(allow_nan=False, allow_infinity=False),
                        st.text(max_size=8), st.lists(st.integers(), max_size=2), st.just(-99995.0), st.just("2.220"))


def _transport(cells: list):
    """The recorded 85618NED answers, with GM0344's residents replaced by each fuzzed value in turn."""
    pages = {}
    for f in (DATA / "v3" / "85618NED").glob("*.json"):
        pages[f.stem] = f.read_text(encoding="utf-8").replace("{base}", "http://cbs.test")
    doc = json.loads(pages["TypedDataSet"])
    for i, v in enumerate(cells[:3]):
        doc["value"][i]["AantalInwoners_5"] = v
    pages["TypedDataSet"] = json.dumps(doc)

    def handle(request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[-1]
        skip = request.url.params.get("$skip")
        body = pages.get(name + (f".skip{skip}" if skip else ""))
        return httpx.Response(200 if body else 404, text=body or "{}")
    return httpx.MockTransport(handle)


@FUZZ
@given(cells=st.lists(_json_value, min_size=1, max_size=3))
def test_odata_clear_error_or_correct_value(cells):
    try:
        facts = read("cbs-odata", "cbs:85618NED", base_url="http://cbs.test", transport=_transport(cells),
                     retries=0).facts
    except VeerkrachtError as exc:
        assert "cbs.test" in str(exc)
        return
    got = facts[facts["indicator"] == "residents"].set_index("code")
    codes = ["NL01", "GM0344", "WK034401"]
    for code, v in zip(codes, cells):
        value, flags = got.loc[code, "value"], got.loc[code, "flags"]
        if np.isnan(value):     # missing: only from null, a marker or text that says "nothing" — and flagged
            assert flags and (v is None or v in (-99995, -99997, -99991, -99999999) or (isinstance(v, str) and v.strip().upper() in
                                                              ("", "NA", "NAN", "N/A", "NULL", "NONE", ".", "X", "?"))), (v, flags)
        else:                   # a number: exactly the one sent, whole and not negative
            number = float(v.strip().replace("\u2212", "-")) if isinstance(v, str) else v
            assert not isinstance(v, bool) and value == round(number) and abs(number - round(number)) <= 1e-6, v
            assert number >= 0, v
