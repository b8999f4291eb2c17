"""Build the bundled demo data set (``src/veerkracht/demo/data``) from the shared real data.

Usage::

    .venv/bin/python scripts/build_demo_data.py [--shared tests/data/real] [--out src/veerkracht/demo/data]

The output is deterministic (sorted rows, fixed number formats, gzip without time stamp), so the
tests can rebuild it and compare checksums. ``SOURCES.md`` in the shared data describes the inputs;
``ATTRIBUTION.md`` (written here) says where each output came from and what was done to it.
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _demo_attribution import attribution  # noqa: E402
from _demo_gemeenten import dissolve, gemeente_crosswalk  # noqa: E402
from _demo_ois import buurt_crosswalk, wijk_crosswalk  # noqa: E402

__all__ = ["build", "COPIES", "LBM_EXTRA_PC4"]

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO / "tests" / "data" / "real"   # the real public data kept in the repository
DEFAULT_OUT = REPO / "src" / "veerkracht" / "demo" / "data"

OIS = "amsterdam_ois/"
# output name -> shared file, copied byte for byte
COPIES = {
    "ois_buurt_woningvoorraad_eigendom_2005_2017.csv": OIS + "amsterdam_buurt_woningvoorraad_eigendom_2005_2009_2013_2017.csv",
    "ois_wijk_bijstand_2005_2017.csv": OIS + "amsterdam_wijk_bijstand_wwb_2005_2009_2013_2017.csv",
    "ois_wijk_veiligheidsindex_2014_2017.csv": OIS + "amsterdam_wijk_veiligheidsindex_2014_2017.csv",
    "ois_ses_woa_2019.csv": OIS + "amsterdam_ses_woa_2019_cbs_codes.csv",
    "ois_buurt_bbga_2014_2018.csv": OIS + "amsterdam_buurt_bbga_2014_2018.csv",
    "pc4_buurt2022_adressen.csv": "amsterdam_buurten_2022_geo/amsterdam_pc4_buurt2022_adresgewichten.csv",
    "kwb_gemeente_2020_2025.csv": "kwb_gemeente_2020_2025/kwb_gemeente_woningvoorraad_2020_2025.csv",
    # the code-transition tables: the 2013 mappings translate 2010 codes back to 2005 codes with them
    "amsterdam_buurten_codes_overgang_2005_2010_2015.csv": OIS + "amsterdam_buurten_codes_overgang_2005_2010_2015.csv",
    "amsterdam_buurtcombinaties_codes_overgang_2005_2010_2015.csv":
        OIS + "amsterdam_buurtcombinaties_codes_overgang_2005_2010_2015.csv",
}
LBM = "leefbaarometer_pc4/leefbaarometer3_scores_pc4_2002_2022.csv.gz"
# Amsterdam PC4 1000–1109 and Weesp 1380–1384, besides the PC4 areas of the address table
LBM_EXTRA_PC4 = set(range(1000, 1110)) | set(range(1380, 1385))


# ------------------------------------------------------------------------------------------ io
def _csv(shared: Path, rel: str) -> pd.DataFrame:
    return pd.read_csv(shared / rel, dtype=str, keep_default_na=False)


def _geojson(shared: Path, rel: str) -> gpd.GeoDataFrame:
    path = shared / rel
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    return gpd.GeoDataFrame.from_features(data["features"], crs=4326)


def _gzip(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=buf, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def _round(coords):
    if isinstance(coords[0], (int, float)):
        return [round(coords[0], 5), round(coords[1], 5)]
    return [_round(c) for c in coords]


def _geojson_bytes(records: list[tuple[dict, shapely.Geometry]]) -> bytes:
    """One feature per line, properties in the given order, coordinates to 5 decimals."""
    lines = []
    for props, geom in records:
        geom = shapely.make_valid(shapely.set_precision(geom, 1e-5))
        gj = shapely.geometry.mapping(geom)
        feat = {"type": "Feature", "properties": props,
                "geometry": {"type": gj["type"], "coordinates": _round(gj["coordinates"])}}
        lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":")))
    return ('{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n").encode("utf-8")


def _write(out: Path, name: str, data: bytes) -> None:
    (out / name).write_bytes(_gzip(data) if name.endswith(".gz") else data)


def _csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


# ------------------------------------------------------------------------------------ outputs
def amsterdam_geometry(shared: Path, ois: pd.DataFrame) -> tuple[dict[str, bytes], gpd.GeoDataFrame,
                                                                   gpd.GeoDataFrame, gpd.GeoDataFrame,
                                                                   gpd.GeoDataFrame]:
    """The three Amsterdam layers, plus the frames later steps reuse: the 479 CBS 2019 buurten,
    the national 2019/2020 buurten, the 99 wijken and the 518 buurten of the 2022 indeling."""
    nl = _geojson(shared, "geo_buurt_2019_nl/buurten_2019_nl_wgs84_topo_simplified.geojson.gz")
    ams = nl[nl.gm_code == "GM0363"].sort_values("bu_code").reset_index(drop=True)
    assert len(ams) == 479, len(ams)
    codes22 = _csv(shared, "cbs_codelijsten_2022/buurten_wijken_gemeenten_2022.csv.gz")
    names = dict(zip(codes22.bu_code, codes22.bu_naam))
    d17 = ois[ois.jaar == "2017"]
    ois_names = dict(zip(d17.cbs_bu_code_afgeleid, d17.buurt_naam))
    ams["bu_naam"] = [names.get(c) or ois_names[c] for c in ams.bu_code]
    n_cbs = sum(c in names for c in ams.bu_code)
    print(f"ams_buurten_cbs2019: {len(ams)} buurten, {n_cbs} names from the CBS 2022 list, "
          f"{len(ams) - n_cbs} from OIS 2017")
    out = {"ams_buurten_cbs2019.geojson": _geojson_bytes(
        [({"bu_code": r.bu_code, "bu_naam": r.bu_naam, "wk_code": r.wk_code, "gm_code": r.gm_code}, r.geometry)
         for r in ams.itertuples()])}

    wk = _geojson(shared, OIS + "amsterdam_wijken_buurtcombinaties_2015_wgs84.geojson").sort_values("cbs_wijk_code")
    assert len(wk) == 99 and wk.cbs_wijk_code.is_unique
    assert set(ams.wk_code) <= set(wk.cbs_wijk_code), "a CBS 2019 buurt has no wijk"
    out["ams_wijken_cbs2019.geojson"] = _geojson_bytes(
        [({"wk_code": r.cbs_wijk_code, "wk_naam": r.wijk_naam, "gm_code": "GM0363"}, r.geometry)
         for r in wk.itertuples()])

    b23 = _geojson(shared, "amsterdam_buurten_2022_geo/amsterdam_buurten_indeling2022_wgs84.geojson.gz")
    b23 = b23.sort_values("CBS_Buurtcode")
    assert len(b23) == 518 and b23.CBS_Buurtcode.is_unique
    out["ams_buurten_cbs2023.geojson"] = _geojson_bytes(
        [({"bu_code": r.CBS_Buurtcode, "bu_naam": r.Buurt, "wk_code": "WK0363" + r.Wijkcode, "gm_code": "GM0363"},
          r.geometry) for r in b23.itertuples()])
    return out, ams, nl, wk, b23


def gemeente_outputs(shared: Path, nl: gpd.GeoDataFrame, b23: gpd.GeoDataFrame) -> dict[str, bytes]:
    kwb = _csv(shared, COPIES["kwb_gemeente_2020_2025.csv"])
    names = {y: dict(zip(g.gwb_code, g.gm_naam)) for y, g in kwb.groupby("year")}
    g20 = dissolve(nl.gm_code, nl.geometry)
    assert set(g20) == set(names["2020"]) and len(g20) == 355, "2019/2020 geometry != KWB 2020 gemeenten"
    g22 = _geojson(shared, "geo_gemeente_2022/gemeenten_2022_nl_wgs84_gegeneraliseerd.geojson.gz")
    assert len(g22) == 345 and set(g22.gm_code) == set(names["2022"]), "2022 geometry != KWB 2022 gemeenten"
    wijken16 = _geojson(shared, "geo_wijk_2016/wijken_2016_nl_wgs84_simplified10m.geojson.gz")
    cw = gemeente_crosswalk(kwb, g22, b23, wijken16, _csv(shared, "geo_wijk_2016/wijk_codes_2023_nl.csv"))
    to23 = dict(zip(cw.from_code, cw.to_code))
    g22 = g22.sort_values("gm_code")
    g23 = dissolve([to23[c] for c in g22.gm_code], g22.geometry, simplify=None)
    assert set(g23) == set(names["2023"]) and len(g23) == 342, "2023 dissolve != KWB 2023 gemeenten"

    g21 = _geojson(shared, "geo_gemeente_2021/gemeenten_2021_nl_wgs84_topo_simplified.geojson.gz")
    assert len(g21) == 352 and set(g21.gm_code) == set(names["2021"]), "2021 geometry != KWB 2021 gemeenten"

    def layer(geoms: dict, nm: dict) -> bytes:
        return _geojson_bytes([({"gm_code": c, "gm_naam": nm[c]}, geoms[c]) for c in sorted(geoms)])
    return {
        "gemeenten_cbs2020.geojson.gz": layer(g20, names["2020"]),
        "gemeenten_cbs2021.geojson.gz": layer(dict(zip(g21.gm_code, g21.geometry.make_valid())), names["2021"]),
        "gemeenten_cbs2022.geojson.gz": layer(dict(zip(g22.gm_code, g22.geometry)), dict(zip(g22.gm_code, g22.gm_naam))),
        "gemeenten_cbs2023.geojson.gz": layer(g23, names["2023"]),
        "crosswalk_gemeente_cbs2022_cbs2023.csv": _csv_bytes(cw),
    }


def leefbaarometer_subset(shared: Path) -> bytes:
    """The original lines of the Leefbaarometer PC4 file for the Amsterdam (and Weesp) PC4 areas."""
    pc4 = {int(p) for p in _csv(shared, COPIES["pc4_buurt2022_adressen.csv"]).pc4} | LBM_EXTRA_PC4
    with gzip.open(shared / LBM, "rt", encoding="utf-8", newline="") as fh:
        lines = fh.read().splitlines(keepends=True)
    keep = [lines[0]] + [ln for ln in lines[1:] if int(ln.split(",", 1)[0]) in pc4]
    print(f"leefbaarometer_pc4_amsterdam: {len(keep) - 1} rows, "
          f"{len({ln.split(',', 1)[0] for ln in keep[1:]})} PC4 areas")
    return "".join(keep).encode("utf-8")


def build(shared: Path = DEFAULT_SHARED, out: Path = DEFAULT_OUT) -> dict[str, int]:
    """Write every demo file into ``out``; returns {file name: size in bytes}."""
    shared, out = Path(shared), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}
    ois = _csv(shared, COPIES["ois_buurt_woningvoorraad_eigendom_2005_2017.csv"])
    geo, ams, nl, wk, b23 = amsterdam_geometry(shared, ois)
    files.update(geo)
    files.update(gemeente_outputs(shared, nl, b23))

    overgang = _csv(shared, OIS + "amsterdam_buurten_codes_overgang_2005_2010_2015.csv")
    bbga = _geojson(shared, OIS + "amsterdam_buurten_2018_bbga_wgs84.geojson")
    cw, shares = buurt_crosswalk(ois, overgang, set(ams.bu_code), bbga, ams)
    files["crosswalk_ois2005_cbs2019.csv"] = _csv_bytes(cw)
    bijstand = _csv(shared, COPIES["ois_wijk_bijstand_2005_2017.csv"])
    wcw = wijk_crosswalk(ois, shares, bijstand, overgang, wk)
    files["crosswalk_ois_wijk2005_cbs2019.csv"] = _csv_bytes(wcw)

    for name, rel in COPIES.items():
        files[name] = (shared / rel).read_bytes()
    files["leefbaarometer_pc4_amsterdam.csv.gz"] = leefbaarometer_subset(shared)
    for name, data in files.items():
        _write(out, name, data)
    sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir()) if p.name in files}
    (out / "ATTRIBUTION.md").write_text(attribution(sizes), encoding="utf-8")
    sizes["ATTRIBUTION.md"] = (out / "ATTRIBUTION.md").stat().st_size
    return sizes


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared data folder")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = ap.parse_args(argv)
    sizes = build(args.shared, args.out)
    for name, size in sizes.items():
        print(f"{size:>10,d}  {name}")
    print(f"{sum(sizes.values()):>10,d}  total")


if __name__ == "__main__":
    main()
