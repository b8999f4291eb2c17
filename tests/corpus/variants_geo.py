"""Hostile variants of real geometry (Amsterdam buurten GeoJSON, the national buurt TopoJSON) and of
codes loaded into the wrong geography version (checked at the store's ingest boundary)."""
from __future__ import annotations

import gzip
import json

import pyproj

from ._kit import DEMO, REAL, V, Err, Val, Warn, write_rows

GJ = DEMO / "ams_buurten_cbs2019.geojson"
TOPO = REAL / "geo_buurt_2019_nl" / "buurten_2019_nl_wgs84.topojson.gz"
GEO = {"geo_version": "cbs2019", "level": "buurt", "code_column": "bu_code"}
FIRST = "BU03630000"


class AreaAt:
    """The area ``code`` was stored with its representative point near (lon, lat)."""

    def __init__(self, code, lon, lat):
        self.code, self.lon, self.lat = code, lon, lat


def _doc():
    return json.loads(GJ.read_text())


def gj(name, fn, expect, fname="buurten.geojson", **opts):
    def make(tmp):
        doc = _doc()
        out = fn(doc)
        p = tmp / fname
        if isinstance(out, bytes):
            p.write_bytes(out)
        else:
            p.write_text(out if isinstance(out, str) else json.dumps(doc))
        return p
    return V(name, "geometry", make, expect, {**GEO, **opts})


def _coords(doc, fn):
    for f in doc["features"]:
        g = f["geometry"]
        g["coordinates"] = [[[list(fn(*p)) for p in ring] for ring in poly] for poly in
                            ([g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"])]
        g["type"] = "MultiPolygon"


_RD = pyproj.Transformer.from_crs(4326, 28992, always_xy=True)
_MERC = pyproj.Transformer.from_crs(4326, 3857, always_xy=True)


def _crs(doc, epsg):
    doc["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{epsg}"}}


def _set(i, key, value):
    def f(doc):
        doc["features"][i][key] = value
    return f


def _prop(i, key, value):
    def f(doc):
        doc["features"][i]["properties"][key] = value
    return f


def _bowtie(doc):
    doc["features"][0]["geometry"] = {"type": "Polygon", "coordinates": [[[4.90, 52.37], [4.91, 52.38], [4.91, 52.37],
                                                                          [4.90, 52.38], [4.90, 52.37]]]}


AMS = AreaAt(FIRST, 4.9003, 52.3759)
GJ_VARIANTS = [
    gj("geojson: as published", lambda d: None, AMS),
    gj("geojson: degrees declared as RD New", lambda d: _crs(d, 28992), Err(1, "geometry", "degrees but the file")),
    gj("geojson: lat and lon swapped", lambda d: _coords(d, lambda x, y: (y, x)), Err(1, "geometry", "swapped")),
    gj("geojson: RD metres without a CRS", lambda d: _coords(d, _RD.transform), Err(1, "geometry", "metres but no CRS")),
    gj("geojson: RD metres with crs=28992", lambda d: _coords(d, _RD.transform), AMS, crs=28992),
    gj("geojson: RD metres with the CRS declared", lambda d: (_coords(d, _RD.transform), _crs(d, 28992)), AMS),
    gj("geojson: web mercator declared", lambda d: (_coords(d, _MERC.transform), _crs(d, 3857)), AMS),
    gj("geojson: web mercator undeclared", lambda d: _coords(d, _MERC.transform), Err(1, "geometry", "metres but no CRS")),
    gj("geojson: truncated", lambda d: json.dumps(d)[:20000], Err(None, None, "not valid JSON")),
    gj("geojson: null geometry", _set(3, "geometry", None), Err(4, "geometry", "no geometry")),
    gj("geojson: null geometry dropped", _set(3, "geometry", None), Warn("without geometry left out"), on_empty="drop"),
    gj("geojson: a point", _set(2, "geometry", {"type": "Point", "coordinates": [4.9, 52.37]}),
       Err(3, "geometry", "expected Polygon")),
    gj("geojson: duplicate code", _prop(5, "bu_code", FIRST), Err(6, "bu_code", "duplicate code")),
    gj("geojson: duplicate code dissolved", _prop(5, "bu_code", FIRST), Warn("dissolved"), on_duplicate="dissolve"),
    gj("geojson: self-crossing polygon", _bowtie, Warn("repaired")),
    gj("geojson: code missing", _prop(4, "bu_code", None), Err(5, "bu_code", "no area code")),
    gj("geojson: no features", lambda d: d.update(features=[]), Err(None, None, "")),
    gj("geojson: CSV content", lambda d: "a,b\n1,2\n", Err(None, None, "")),
    gj("geojson: gzip bomb", lambda d: gzip.compress(b" " * (300 * 2**20)), Err(None, None, "decompressing stopped"),
       fname="buurten.geojson.gz"),
    gj("geojson: code column named wrong", lambda d: None, Err(None, "buurtcode", "column is missing"),
       code_column="buurtcode"),
    gj("geojson: bad on_empty option", lambda d: None, Err(None, None, "on_empty must be one of"), on_empty="skip"),
    gj("geojson: unknown option", lambda d: None, Err(None, None, "unknown option 'colour'"), colour="red"),
    gj("geojson: geo_version missing", lambda d: None, Err(None, None, "geo_version is required"), geo_version=""),
]


def _topo():
    t = json.loads(gzip.decompress(TOPO.read_bytes()))
    t["objects"]["buurten"]["geometries"] = t["objects"]["buurten"]["geometries"][:30]
    return t


def topo(name, fn, expect, **opts):
    def make(tmp):
        t = _topo()
        out = fn(t)
        p = tmp / "buurten.topojson"
        p.write_text(out if isinstance(out, str) else json.dumps(t))
        return p
    return V(name, "geometry", make, expect, {"geo_version": "cbs2019", **opts})


def _g(t, i):
    return t["objects"]["buurten"]["geometries"][i]


TOPO_VARIANTS = [
    topo("topojson: as published (first 30 buurten)", lambda t: None, AreaAt("BU00030000", 6.8595, 53.3242)),
    topo("topojson: arc number out of range", lambda t: _g(t, 4).update(arcs=[[10**6]]), Err(5, "geometry", "does not exist")),
    topo("topojson: negative arc number out of range", lambda t: _g(t, 2).update(arcs=[[-(10**6)]]),
         Err(3, "geometry", "does not exist")),
    topo("topojson: no arcs", lambda t: t.pop("arcs"), Err(None, None, "no 'arcs'")),
    topo("topojson: transform without scale", lambda t: t["transform"].pop("scale"), Err(None, None, "'scale'")),
    topo("topojson: polygon not nested", lambda t: _g(t, 1).update(arcs=[0, 1]), Err(2, "geometry", "must be nested")),
    topo("topojson: arc number as text", lambda t: _g(t, 1).update(arcs=[["0"]]), Err(2, "geometry", "must be nested")),
    topo("topojson: a point", lambda t: _g(t, 6).update(type="Point", coordinates=[1, 2]), Err(7, "geometry", "Point")),
    topo("topojson: no objects", lambda t: t.pop("objects"), Err(None, None, "no objects")),
    topo("topojson: unknown layer", lambda t: None, Err(None, None, "no object 'wijken'"), layer="wijken"),
    topo("topojson: truncated", lambda t: json.dumps(t)[:50000], Err(None, None, "not valid JSON")),
]


# ---------------------------------------------------------------- codes of another geography version
def _store(s):
    from veerkracht.sources import read
    for f, v in (("ams_buurten_cbs2019.geojson", "cbs2019"), ("ams_buurten_cbs2023.geojson", "cbs2023")):
        s.ingest(read("geometry", DEMO / f, geo_version=v, level="buurt", code_column="bu_code"))


MAPPING = '''geo_version = "cbs2019"
level = "auto"
source = "test"
code = "code"
year_value = 2023
[[indicator]]
id = "dwellings"
value = "n"
'''


def codes(name, pick, expect, **opts):
    """An indicator file with the Amsterdam buurt codes of the 2023 indeling (and their dwellings)."""
    def make(tmp):
        new = json.loads((DEMO / "ams_buurten_cbs2023.geojson").read_text())["features"]
        old = {f["properties"]["bu_code"] for f in _doc()["features"]}
        chosen = pick(sorted(f["properties"]["bu_code"] for f in new), old)
        p = write_rows([["code", "n"]] + [[c, str(100 + i)] for i, c in enumerate(chosen)], tmp / "dwellings.csv")
        (tmp / "m.toml").write_text(MAPPING)
        return p, {"mapping": str(tmp / "m.toml")}
    return V(name, "indicator-file", make, expect, opts, store=_store)


STORE_VARIANTS = [
    codes("codes of the 2023 indeling loaded as cbs2019", lambda new, old: new,
          Err(None, "code", "they fit geography version 'cbs2023'")),
    codes("codes of the 2023 indeling with --geo-version cbs2023", lambda new, old: new,
          Val("BU0363AA01", "dwellings", 2023, 100), geo_version="cbs2023"),
    codes("two codes not in the version", lambda new, old: sorted(old)[:50] + [c for c in new if c not in old][:2],
          Warn("2 code(s) not in geography version 'cbs2019'")),
]
VARIANTS = GJ_VARIANTS + TOPO_VARIANTS + STORE_VARIANTS
