"""The bundled demo data: reproducible from the real data in tests/data/real, and its crosswalks hold their invariants."""
from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from shapely.geometry import Point, shape

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "src" / "veerkracht" / "demo" / "data"
OIS = "amsterdam_ois/"


def _load_script():
    spec = importlib.util.spec_from_file_location("build_demo_data", ROOT / "scripts" / "build_demo_data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _features(name: str) -> list[dict]:
    path = DATA / name
    with (gzip.open(path, "rt", encoding="utf-8") if name.endswith(".gz") else open(path, encoding="utf-8")) as fh:
        return json.load(fh)["features"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def ois(real_data) -> pd.DataFrame:
    return _csv(real_data / OIS / "amsterdam_buurt_woningvoorraad_eigendom_2005_2009_2013_2017.csv")


@pytest.fixture(scope="module")
def buurt_cw() -> pd.DataFrame:
    return _csv(DATA / "crosswalk_ois2005_cbs2019.csv")


@pytest.fixture(scope="module")
def wijk_cw() -> pd.DataFrame:
    return _csv(DATA / "crosswalk_ois_wijk2005_cbs2019.csv")


# ------------------------------------------------------------------------------ reproducibility
@pytest.mark.slow
def test_bundle_is_exactly_what_the_script_builds(real_data, tmp_path):
    sizes = _load_script().build(real_data, tmp_path)
    built = {p.name: _sha(p) for p in tmp_path.iterdir()}
    bundled = {p.name: _sha(p) for p in DATA.iterdir() if p.is_file()}
    assert set(built) == set(sizes) == set(bundled)
    assert built == bundled, [n for n in built if built[n] != bundled[n]]


def test_total_size_within_budget():
    total = sum(p.stat().st_size for p in DATA.iterdir())
    assert 1_000_000 < total <= 5 * 1024 * 1024


def test_copies_are_byte_identical(real_data):
    copies = _load_script().COPIES
    assert len(copies) == 9  # 7 data tables + the 2 OIS code-transition tables
    for name, rel in copies.items():
        assert (DATA / name).read_bytes() == (real_data / rel).read_bytes(), name


def test_attribution_names_every_file_and_licence():
    text = (DATA / "ATTRIBUTION.md").read_text(encoding="utf-8")
    for p in DATA.iterdir():
        if p.name != "ATTRIBUTION.md":
            assert f"## {p.name}" in text, p.name
    assert "CC BY 4.0" in text and "emielsanders/PowerBI" in text and "maartjevdkoppel/Gentrification" in text


# ------------------------------------------------------------------------------------ geometry
def test_479_amsterdam_buurten_2019_with_names_and_wijken():
    feats = _features("ams_buurten_cbs2019.geojson")
    props = {f["properties"]["bu_code"]: f["properties"] for f in feats}
    assert len(feats) == len(props) == 479
    assert props["BU03630000"] == {"bu_code": "BU03630000", "bu_naam": "Kop Zeedijk", "wk_code": "WK036300",
                                   "gm_code": "GM0363"}
    assert all(p["bu_naam"] for p in props.values())
    wijken = {f["properties"]["wk_code"] for f in _features("ams_wijken_cbs2019.geojson")}
    assert len(wijken) == 99 and {p["wk_code"] for p in props.values()} <= wijken
    # the Nieuwe Kerk on the Dam lies in buurt A01e 'Nieuwe Kerk e.o.' (→ BU03630104)
    dam = Point(4.8930, 52.3731)
    hit = [f["properties"]["bu_code"] for f in feats if shape(f["geometry"]).contains(dam)]
    assert hit == ["BU03630104"]


def test_amsterdam_buurten_2023_carry_alphanumeric_codes():
    props = [f["properties"] for f in _features("ams_buurten_cbs2023.geojson")]
    assert len(props) == 518
    p = next(x for x in props if x["bu_code"] == "BU0363AC02")
    assert p == {"bu_code": "BU0363AC02", "bu_naam": "Leliegracht e.o.", "wk_code": "WK0363AC", "gm_code": "GM0363"}


def test_coordinates_have_at_most_5_decimals():
    text = (DATA / "ams_buurten_cbs2023.geojson").read_text(encoding="utf-8")
    coords = text[text.index('"coordinates"'):][:2000]
    assert not any(len(tok.split(".")[1]) > 5 for tok in coords.replace("[", ",").replace("]", ",").split(",")
                   if "." in tok)


def test_gemeente_layers_match_the_kwb_code_sets():
    kwb = _csv(DATA / "kwb_gemeente_2020_2025.csv")
    for year, n in (("2020", 355), ("2022", 345), ("2023", 342)):
        feats = _features(f"gemeenten_cbs{year}.geojson.gz")
        codes = {f["properties"]["gm_code"] for f in feats}
        assert len(feats) == len(codes) == n
        assert codes == set(kwb.loc[kwb.year == year, "gwb_code"])
        assert all(shape(f["geometry"]).is_valid for f in feats)
    g23 = {f["properties"]["gm_code"]: f for f in _features("gemeenten_cbs2023.geojson.gz")}
    assert g23["GM1992"]["properties"]["gm_naam"] == "Voorne aan Zee"
    weesp = Point(5.0417, 52.3075)  # Weesp town centre: Amsterdam in 2023, its own gemeente in 2022
    assert shape(g23["GM0363"]["geometry"]).contains(weesp)
    g22 = {f["properties"]["gm_code"]: f for f in _features("gemeenten_cbs2022.geojson.gz")}
    assert shape(g22["GM0457"]["geometry"]).contains(weesp)
    assert not shape(g22["GM0363"]["geometry"]).contains(weesp)


def test_gemeente_crosswalk_2022_2023():
    cw = _csv(DATA / "crosswalk_gemeente_cbs2022_cbs2023.csv")
    kwb = _csv(DATA / "kwb_gemeente_2020_2025.csv")
    assert set(cw.from_code) == set(kwb.loc[kwb.year == "2022", "gwb_code"])
    assert set(cw.to_code) == set(kwb.loc[kwb.year == "2023", "gwb_code"])
    assert (cw.weight == "1").all() and cw.from_code.is_unique
    merges = cw[cw.from_code != cw.to_code].set_index("from_code").to_code.to_dict()
    assert merges == {"GM0457": "GM0363", "GM0501": "GM1992", "GM0530": "GM1992", "GM0614": "GM1992"}
    assert cw.set_index("from_code").note["GM0457"].startswith("full merge: Weesp merged into Amsterdam")
    for year in ("2024", "2025"):  # so no crosswalk beyond 2023 is needed
        assert set(kwb.loc[kwb.year == year, "gwb_code"]) == set(kwb.loc[kwb.year == "2023", "gwb_code"])


# ---------------------------------------------------------------------------------- crosswalks
@pytest.mark.parametrize("name", ["crosswalk_ois2005_cbs2019.csv", "crosswalk_ois_wijk2005_cbs2019.csv",
                                  "crosswalk_gemeente_cbs2022_cbs2023.csv"])
def test_weights_sum_to_exactly_one(name):
    cw = _csv(DATA / name)
    assert list(cw.columns) == ["from_version", "from_code", "to_version", "to_code", "weight", "basis", "note"]
    w = cw.weight.map(Decimal)
    assert ((w > 0) & (w <= 1)).all()
    sums = w.groupby([cw.from_version, cw.from_code]).sum()
    assert (sums == Decimal(1)).all(), sums[sums != 1]
    assert not cw.duplicated(["from_version", "from_code", "to_code"]).any()


def test_buurt_crosswalk_maps_every_source_to_existing_buurten(ois, buurt_cw):
    targets = {f["properties"]["bu_code"] for f in _features("ams_buurten_cbs2019.geojson")}
    assert set(buurt_cw.to_code) <= targets
    src = buurt_cw[buurt_cw.from_version == "ois2005"]
    for year in ("2005", "2009", "2013"):
        codes = set(ois.loc[ois.jaar == year, "buurt_code_ois"])
        assert len(codes) == 470 and codes <= set(src.from_code), year
    assert set(src.from_code) == set(ois.loc[ois.jaar != "2017", "buurt_code_ois"])  # 748 spellings
    new = buurt_cw[buurt_cw.from_version == "ois2015"]
    assert set(new.from_code) == set(ois.loc[ois.jaar == "2017", "buurt_code_ois"]) and len(new) == 481


@pytest.mark.parametrize("year", ["2005", "2009", "2013"])
def test_dwelling_total_is_conserved_exactly(ois, buurt_cw, year, real_data):
    rows = ois[ois.jaar == year]
    dwellings = dict(zip(rows.buurt_code_ois, rows.woningen_totaal.map(Decimal)))
    cw = buurt_cw[(buurt_cw.from_version == "ois2005") & buurt_cw.from_code.isin(dwellings)]
    per_target: dict[str, Decimal] = defaultdict(Decimal)
    for r in cw.itertuples():
        per_target[r.to_code] += dwellings[r.from_code] * Decimal(r.weight)
    total = sum(dwellings.values())
    assert sum(per_target.values()) == total
    if year == "2005":  # and it equals the 2005 stock of the separate OIS wijk table (376,233)
        wijk = pd.read_csv(real_data / OIS / "amsterdam_wijk_woningvoorraad_1995_2014.csv", encoding="utf-8-sig")
        assert total == Decimal(int(wijk["2005"].sum())) == 376_233


def test_curated_splits_use_2017_dwellings(ois, buurt_cw):
    d17 = ois[ois.jaar == "2017"].set_index("buurt_code_ois")
    dw = d17.woningen_totaal.astype(int)
    got = buurt_cw[buurt_cw.from_code == "A05e"].set_index("to_code").weight
    f, g = d17.cbs_bu_code_afgeleid["A05f"], d17.cbs_bu_code_afgeleid["A05g"]
    assert Decimal(got[f]) == round(Decimal(int(dw["A05f"])) / Decimal(int(dw["A05f"] + dw["A05g"])), 6)
    assert Decimal(got[f]) + Decimal(got[g]) == 1
    # N69m = N69e plus the eastern part of N69d: N69e goes there whole
    assert buurt_cw[buurt_cw.from_code == "N69e"][["to_code", "weight"]].values.tolist() == [
        [d17.cbs_bu_code_afgeleid["N69m"], "1"]]


def test_name_matched_codes_follow_the_2017_names(ois, buurt_cw):
    """The transition table puts Zuiderhof at K23c; the 2017 OIS list and CBS 2019 have it as K90j."""
    one = buurt_cw[buurt_cw.from_version == "ois2005"].set_index("from_code").to_code
    assert one["W90f"] == one["K90f"] == "BU03639009"  # Zuiderhof
    assert one["W91e"] == "BU03632304"  # Vivaldi
    assert one["J40d"] == one["E40d"] == "BU03637500"  # Kortenaerkwartier (E40d → E75a)
    assert one["A01i"] == "BU03630305"  # Reguliersbuurt A03f
    # the two 2015 buurten without a CBS 2019 buurt carry a warning note
    warned = buurt_cw[buurt_cw.note.str.contains("WARNING")]
    assert set(warned.from_code) == {"G74c", "M74c", "G74e", "M74e", "M50c", "M50e"}
    assert set(warned.to_code) == {"BU03635001"}


def test_wijk_crosswalk(ois, wijk_cw, real_data):
    bij = _csv(real_data / OIS / "amsterdam_wijk_bijstand_wwb_2005_2009_2013_2017.csv")
    wijken = {f["properties"]["wk_code"] for f in _features("ams_wijken_cbs2019.geojson")}
    assert set(wijk_cw.to_code) <= wijken
    old = wijk_cw[wijk_cw.from_version == "ois2005"]
    assert set(bij.loc[bij.jaar != "2017", "wijk_code_ois"]) - set(old.from_code) == {"X99"}
    new = wijk_cw[wijk_cw.from_version == "ois2015"]
    assert set(new.from_code) == set(bij.loc[bij.jaar == "2017", "wijk_code_ois"]) and (new.weight == "1").all()
    # A01 loses the Reguliersbuurt (A01i) to A03: its share = A01i's 2013 dwellings / A01's 2013 dwellings
    d13 = ois[ois.jaar == "2013"]
    a01 = d13[d13.buurt_code_ois.str.startswith("A01")].woningen_totaal.astype(int)
    share = Decimal(int(d13.loc[d13.buurt_code_ois == "A01i", "woningen_totaal"].iloc[0])) / Decimal(int(a01.sum()))
    got = old[old.from_code == "A01"].set_index("to_code").weight
    assert Decimal(got["WK036303"]) == round(share, 6)
    # bijstand total of 2013 is conserved through the wijk crosswalk
    b13 = bij[(bij.jaar == "2013") & (bij.wijk_code_ois != "X99")]
    counts = dict(zip(b13.wijk_code_ois, b13.wwb_totaal_thuiswonend.map(lambda v: Decimal(v or "0"))))
    moved = sum(counts[r.from_code] * Decimal(r.weight) for r in old.itertuples() if r.from_code in counts)
    assert moved == sum(counts.values())


def test_leefbaarometer_subset_keeps_original_rows(real_data):
    with gzip.open(DATA / "leefbaarometer_pc4_amsterdam.csv.gz", "rt", encoding="utf-8") as fh:
        sub = fh.read().splitlines()
    with gzip.open(real_data / "leefbaarometer_pc4" / "leefbaarometer3_scores_pc4_2002_2022.csv.gz", "rt",
                   encoding="utf-8") as fh:
        full = fh.read().splitlines()
    assert sub[0] == full[0] == "PC4,jaar,lbm,afw,fys,onv,soc,vrz,won"
    pc4 = {int(x.split(",")[0]) for x in sub[1:]}
    addresses = {int(x) for x in _csv(real_data / "amsterdam_buurten_2022_geo" /
                                      "amsterdam_pc4_buurt2022_adresgewichten.csv").pc4}
    wanted = addresses | set(range(1000, 1110)) | set(range(1380, 1385))
    assert pc4 == {int(x.split(",")[0]) for x in full[1:]} & wanted
    assert 1011 in pc4 and 1381 in pc4 and 1000 not in pc4  # 1000 (PO boxes) has no score
    assert [x for x in full if x.startswith("1011,")] == [x for x in sub if x.startswith("1011,")]
    assert len([x for x in sub if x.startswith("1011,")]) == 8  # 2002 … 2022
    assert set(sub[1:]) == {x for x in full[1:] if int(x.split(",")[0]) in pc4}
