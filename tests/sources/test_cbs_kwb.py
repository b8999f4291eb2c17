"""The KWB file readers on the real files in tests/data/real and on corrupted copies of them."""
from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pandas as pd
import pytest

from veerkracht.errors import InputError
from veerkracht.sources import read

UTRECHT = "kwb_utrecht_gemeente/kwb_{}_gemeente_utrecht.csv"
GEMEENTE = "kwb_gemeente_2020_2025/kwb_gemeente_woningvoorraad_2020_2025.csv"
BAARN = "kwb_baarn_buurt_reeks"


def _raw(path) -> list[dict]:
    """The file as the user sees it, read independently of the reader."""
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _fact(facts: pd.DataFrame, code: str, indicator: str, year: int | None = None) -> pd.Series:
    sel = facts[(facts["code"] == code) & (facts["indicator"] == indicator)]
    if year is not None:
        sel = sel[sel["year"] == year]
    assert len(sel) == 1, (code, indicator, year, len(sel))
    return sel.iloc[0]


def _write(rows: list[list[str]], path, delimiter=",", encoding="utf-8"):
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def _rows(path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [r for r in csv.reader(fh)]


@pytest.fixture(scope="module")
def utrecht_2023(real_data):
    return read("cbs-kwb", real_data / UTRECHT.format(2023))


# ----------------------------------------------------------------------------- real files
def test_utrecht_2023_gemeente_values(utrecht_2023):
    f = utrecht_2023.facts
    corp = _fact(f, "GM0344", "corp_share")
    assert corp["value"] == 31 and corp["denominator"] == 165400
    assert corp["numerator"] == pytest.approx(0.31 * 165400) and corp["flags"] == "num_from_pct"
    assert corp["geo_version"] == "cbs2023" and corp["year"] == 2023 and corp["source"] == "cbs-kwb"
    bij = _fact(f, "GM0344", "bijstand")
    assert (bij["numerator"], bij["denominator"]) == (10410, 367947)
    assert bij["value"] == pytest.approx(10410 / 367947 * 1000) and bij["value"] == pytest.approx(28.2921, abs=1e-4)
    assert _fact(f, "GM0344", "owner_occupied")["value"] == 44
    assert _fact(f, "GM0344", "woz")["value"] == 458
    assert _fact(f, "GM0344", "residents")["value"] == 367947
    assert _fact(f, "GM0344", "households")["value"] == 187640
    assert _fact(f, "GM0344", "dwellings")["value"] == 165400
    # income columns are '.' in this early release: flagged, never a number
    for ind in ("low_income", "social_minimum"):
        fact = _fact(f, "GM0344", ind)
        assert math.isnan(fact["value"]) and fact["flags"] == "cbs_marker:."


def test_utrecht_2023_every_row_matches_the_file(utrecht_2023, real_data):
    raw = _raw(real_data / UTRECHT.format(2023))
    assert len(raw) == 122
    f = utrecht_2023.facts
    corp = f[f["indicator"] == "corp_share"].set_index("code")
    bij = f[f["indicator"] == "bijstand"].set_index("code")
    markers = 0
    for r in raw:
        c = corp.loc[r["gwb_code_10"]]
        if r["p_wcorpw"] == ".":
            markers += 1
            assert math.isnan(c["value"]) and "cbs_marker:." in c["flags"]
        else:
            assert c["value"] == float(r["p_wcorpw"])
            assert c["numerator"] == pytest.approx(float(r["p_wcorpw"]) / 100 * float(r["a_woning"]))
        b = bij.loc[r["gwb_code_10"]]
        if r["a_soz_wb"] != "." and float(r["a_inw"]) > 0:
            assert b["value"] == pytest.approx(float(r["a_soz_wb"]) / float(r["a_inw"]) * 1000)
    assert markers == 3


def test_utrecht_2023_areas(utrecht_2023):
    a = utrecht_2023.areas.set_index("code")
    assert len(a) == 122
    assert a["level"].value_counts().to_dict() == {"buurt": 111, "wijk": 10, "gemeente": 1}
    bu = a.loc["BU03440111"]
    assert (bu["name"], bu["gm_code"], bu["wk_code"], bu["geo_version"]) == (
        "Welgelegen, Den Hommel", "GM0344", "WK034401", "cbs2023")
    assert a.loc["BU03441014", "name"] == "Máximapark"
    assert a.geometry.isna().all()
    assert utrecht_2023.provenance.vintage == "KWB 2023"


def test_utrecht_2024_housing_is_flagged_never_zero(real_data):
    b = read("cbs-kwb", real_data / UTRECHT.format(2024))
    f = b.facts
    for ind in ("dwellings", "corp_share", "owner_occupied", "woz", "bijstand", "low_income"):
        sel = f[f["indicator"] == ind]
        assert len(sel) == 122
        assert sel["value"].isna().all() and (sel["flags"] == "cbs_marker:.").all()
        assert not (sel["value"] == 0).any() and sel["numerator"].isna().all()
    assert _fact(f, "GM0344", "residents")["value"] == 374238
    assert _fact(f, "GM0344", "households")["value"] == 193267


def test_gemeente_2020_2025_counts_and_values(real_data):
    path = real_data / GEMEENTE
    b = read("cbs-kwb", path)
    f = b.facts
    per_year = f[f["indicator"] == "residents"].groupby("year").size().to_dict()
    assert per_year == {2020: 355, 2021: 352, 2022: 345, 2023: 342, 2024: 342, 2025: 342}
    assert sum(per_year.values()) == 2078
    assert b.areas.groupby("geo_version").size().to_dict() == {
        "cbs2020": 355, "cbs2021": 352, "cbs2022": 345, "cbs2023": 342, "cbs2024": 342, "cbs2025": 342}
    corp = _fact(f, "GM0344", "corp_share", 2023)
    assert (corp["value"], corp["denominator"], corp["geo_version"]) == (31, 165400, "cbs2023")
    # p_wcorpw is filled for every gemeente in every year
    assert f[f["indicator"] == "corp_share"]["value"].notna().all()
    # WOZ in euros in this file: normalised to x 1,000 euro and said so
    woz = _fact(f, "GM0344", "woz", 2020)
    assert woz["value"] == 331 and "woz_eur_to_k" in woz["flags"]
    assert any("g_wozbag looks like euros" in w for w in b.warnings)
    assert b.provenance.vintage == "KWB 2020–2025"
    # the same gemeente figures as the full Utrecht KWB 2023 file
    utrecht = read("cbs-kwb", real_data / UTRECHT.format(2023)).facts
    for ind in ("residents", "dwellings", "households", "corp_share", "owner_occupied", "woz"):
        assert _fact(f, "GM0344", ind, 2023)["value"] == _fact(utrecht, "GM0344", ind)["value"]


def test_gemeente_file_year_option_keeps_one_year(real_data):
    b = read("cbs-kwb", real_data / GEMEENTE, year=2021)
    assert set(b.facts["year"]) == {2021}
    assert b.facts[b.facts["indicator"] == "residents"].shape[0] == 352
    assert set(b.areas["geo_version"]) == {"cbs2021"} and len(b.areas) == 352


def test_pdok_geojson_schema(real_data):
    b = read("cbs-kwb", real_data / BAARN / "baarn_buurten_2024_pdok_wgs84.geojson")
    f = b.facts
    assert len(b.areas) == 21 and set(b.areas["level"]) == {"buurt"}
    assert b.areas.set_index("code").loc["BU03080000", "name"] == "Centrum"
    assert _fact(f, "BU03080000", "residents", 2024)["value"] == 1825
    assert _fact(f, "BU03080000", "households", 2024)["value"] == 1075
    corp = f[f["indicator"] == "corp_share"]
    assert len(corp) == 21 and corp["value"].isna().all() and (corp["flags"] == "cbs_marker:-99995").all()
    assert set(f["indicator"]) == {"residents", "households", "dwellings", "corp_share", "owner_occupied",
                                   "low_income", "social_minimum", "bijstand", "woz"}


def test_store_round_trip_is_idempotent(mem_store, utrecht_2023):
    first = mem_store.ingest(utrecht_2023)
    again = mem_store.ingest(utrecht_2023)
    assert first["skipped"] is False and again["skipped"] is True
    got = mem_store.facts("corp_share", geo_version="cbs2023", codes=["GM0344"])
    assert got["value"].tolist() == [31.0] and got["denominator"].tolist() == [165400.0]
    assert len(mem_store.areas("cbs2023", geometry=False)) == 122


# ----------------------------------------------------------------------------- long file (Baarn)
def test_baarn_long(real_data):
    b = read("cbs-kwb-long", real_data / BAARN / "baarn_buurt_kwb_indicatoren_2016_2025_long.csv")
    f = b.facts
    bij = _fact(f, "GM0308", "bijstand", 2023)
    assert (bij["numerator"], bij["denominator"]) == (370, 25008)
    assert bij["value"] == pytest.approx(370 / 25008 * 1000)
    assert _fact(f, "GM0308", "residents", 2025)["value"] == 25184
    sm = _fact(f, "GM0308", "social_minimum", 2016)
    assert sm["value"] == 5.1 and sm["flags"] == "no_denominator"
    assert f[(f["code"] == "GM0308") & (f["indicator"] == "bijstand")]["year"].max() == 2024  # 2025 not published
    assert "low_income" not in set(f["indicator"])    # lage-inkomensgrens ≠ lowest 40%
    skipped = {w.split("'")[1] for w in b.warnings}
    assert skipped == {"huishoudens_laag_inkomen", "gem_inkomen_huishoudens", "arbeidsparticipatie",
                       "opleiding_laag", "opleiding_middelbaar", "opleiding_hoog", "jongeren_jeugdzorg"}
    assert set(b.areas["geo_version"]) == {f"cbs{y}" for y in range(2016, 2026)}
    assert b.areas[(b.areas["geo_version"] == "cbs2023")]["level"].value_counts().to_dict() == {"buurt": 21, "gemeente": 1}


def test_baarn_long_unit_check(real_data, tmp_path):
    src = real_data / BAARN
    (tmp_path / "reeks.csv").write_bytes((src / "baarn_buurt_kwb_indicatoren_2016_2025_long.csv").read_bytes())
    meta = json.loads((src / "baarn_metadata_indicatoren.json").read_text(encoding="utf-8"))
    meta["indicatoren"]["bijstandsontvangers"]["eenheid"] = "per 1.000 inwoners"
    (tmp_path / "reeks_metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    b = read("cbs-kwb-long", tmp_path / "reeks.csv")
    assert "bijstand" not in set(b.facts["indicator"])
    assert any("bijstandsontvangers" in w and "per 1.000 inwoners" in w for w in b.warnings)


def test_baarn_long_junk_value(real_data, tmp_path):
    rows = _rows(real_data / BAARN / "baarn_buurt_kwb_indicatoren_2016_2025_long.csv")
    rows[10][7] = "n.v.t."
    with pytest.raises(InputError) as e:
        read("cbs-kwb-long", _write(rows, tmp_path / "baarn_2016.csv"),
             metadata=real_data / BAARN / "baarn_metadata_indicatoren.json")
    assert (e.value.row, e.value.column) == (11, "waarde")


# ----------------------------------------------------------------------------- broken copies
@pytest.fixture
def utrecht_rows(real_data):
    return _rows(real_data / UTRECHT.format(2023))


def _col(rows, name):
    return rows[0].index(name)


def test_semicolon_cp1252_with_decimal_commas(utrecht_rows, utrecht_2023, tmp_path):
    rows = [[v.replace(".", ",") if v.replace(".", "").isdigit() else v for v in r] for r in utrecht_rows]
    path = _write(rows, tmp_path / "kwb_2023_excel.csv", delimiter=";", encoding="cp1252")
    assert b"M\xe1ximapark" in path.read_bytes()       # really cp1252, really ;
    b = read("cbs-kwb", path)
    pd.testing.assert_frame_equal(b.facts, utrecht_2023.facts)
    assert b.areas.set_index("code").loc["BU03441014", "name"] == "Máximapark"


def test_xlsx_copy_reads_the_same(real_data, utrecht_2023, tmp_path):
    df = pd.read_csv(real_data / UTRECHT.format(2023), dtype=str, keep_default_na=False)
    path = tmp_path / "kwb-2023.xlsx"
    df.to_excel(path, index=False)
    b = read("cbs-kwb", path)
    pd.testing.assert_frame_equal(b.facts, utrecht_2023.facts)


def test_junk_value_names_row_and_column(utrecht_rows, tmp_path):
    utrecht_rows[3][_col(utrecht_rows, "p_wcorpw")] = "abc"      # file line 4 (BU03440111)
    with pytest.raises(InputError) as e:
        read("cbs-kwb", _write(utrecht_rows, tmp_path / "kwb_2023.csv"))
    assert (e.value.row, e.value.column) == (4, "p_wcorpw") and "'abc'" in e.value.message
    assert e.value.file.endswith("kwb_2023.csv")


def test_duplicate_code(utrecht_rows, tmp_path):
    utrecht_rows.append(list(utrecht_rows[5]))
    with pytest.raises(InputError) as e:
        read("cbs-kwb", _write(utrecht_rows, tmp_path / "kwb_2023.csv"))
    assert (e.value.row, e.value.column) == (124, "gwb_code_10") and "first seen on row 6" in e.value.message


def test_negative_count(utrecht_rows, tmp_path):
    utrecht_rows[1][_col(utrecht_rows, "a_woning")] = "-165400"
    with pytest.raises(InputError) as e:
        read("cbs-kwb", _write(utrecht_rows, tmp_path / "kwb_2023.csv"))
    assert (e.value.row, e.value.column) == (2, "a_woning")


def test_pct_over_100_is_kept_and_flagged(utrecht_rows, tmp_path):
    utrecht_rows[5][_col(utrecht_rows, "p_wcorpw")] = "130"       # BU03440113, file line 6
    b = read("cbs-kwb", _write(utrecht_rows, tmp_path / "kwb_2023.csv"))
    fact = _fact(b.facts, "BU03440113", "corp_share")
    assert fact["value"] == 130 and fact["flags"] == "num_from_pct,pct_over_100"
    assert (b.facts["flags"].str.contains("pct_over_100")).sum() == 1


def test_missing_code_column(utrecht_rows, tmp_path):
    drop = {_col(utrecht_rows, "gwb_code_10"), _col(utrecht_rows, "gwb_code")}
    rows = [[v for i, v in enumerate(r) if i not in drop] for r in utrecht_rows]
    with pytest.raises(InputError) as e:
        read("cbs-kwb", _write(rows, tmp_path / "kwb_2023.csv"))
    assert (e.value.row, e.value.column) == (1, "gwb_code")


def test_empty_file_and_header_only(utrecht_rows, tmp_path):
    empty = tmp_path / "kwb_2023_leeg.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read("cbs-kwb", empty)
    with pytest.raises(InputError) as e:
        read("cbs-kwb", _write(utrecht_rows[:1], tmp_path / "kwb_2023_kop.csv"))
    assert e.value.row == 2 and "no data rows" in e.value.message


def test_code_of_another_geography_version(utrecht_2023, utrecht_rows, tmp_path):
    known = set(utrecht_2023.areas["code"]) - {"BU03440113"}
    with pytest.raises(InputError) as e:
        read("cbs-kwb", _write(utrecht_rows, tmp_path / "kwb_2023.csv"), known_codes=known)
    assert (e.value.row, e.value.column) == (6, "gwb_code_10")
    assert "BU03440113 not in geography version cbs2023" in e.value.message
    # the same list as a file of codes (as the command line passes it: -o known_codes=codes.csv)
    (tmp_path / "codes.csv").write_text("code\n" + "\n".join(sorted(known)) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="BU03440113 not in geography version"):
        read("cbs-kwb", tmp_path / "kwb_2023.csv", known_codes=str(tmp_path / "codes.csv"))
    assert len(read("cbs-kwb", tmp_path / "kwb_2023.csv", known_codes=known | {"BU03440113"}).areas) == 122


def test_not_an_area_code_and_unknown_year(utrecht_rows, tmp_path):
    utrecht_rows[7][_col(utrecht_rows, "gwb_code_10")] = "BUURT7"
    with pytest.raises(InputError) as e:
        read("cbs-kwb", _write(utrecht_rows, tmp_path / "kwb_2023.csv"))
    assert (e.value.row, e.value.column) == (8, "gwb_code_10")
    with pytest.raises(InputError, match="pass year="):
        read("cbs-kwb", _write(utrecht_rows[:3], tmp_path / "kwb_utrecht.csv"))
    b = read("cbs-kwb", _write(utrecht_rows[:3], tmp_path / "kwb_utrecht.csv"), year=2023, geo_version="cbs2022")
    assert set(b.facts["year"]) == {2023} and set(b.facts["geo_version"]) == {"cbs2022"}


def test_pdok_junk_names_feature_and_long_column(real_data, tmp_path):
    doc = json.loads((real_data / BAARN / "baarn_buurten_2024_pdok_wgs84.geojson").read_text(encoding="utf-8"))
    doc["features"][2]["properties"]["aantal_inwoners"] = -12
    path = tmp_path / "buurten_2024.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError) as e:
        read("cbs-kwb", path)
    assert (e.value.row, e.value.column) == (3, "aantal_inwoners")
    assert np.isclose(-12, float(e.value.message.split()[-1]))
