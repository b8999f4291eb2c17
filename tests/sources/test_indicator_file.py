"""indicator-file reader: every shipped Amsterdam mapping on its real file, broken copies."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import veerkracht
from veerkracht.errors import InputError
from veerkracht.indicators import registry
from veerkracht.sources import read
from veerkracht.sources.indicator_file import load_mapping

MAPPINGS = Path(veerkracht.__file__).parent / "demo" / "mappings"
SHIPPED = sorted(p.name for p in MAPPINGS.glob("*.toml"))
WONINGEN = "amsterdam_buurt_woningvoorraad_eigendom_2005_2009_2013_2017.csv"


def _ois(real_data) -> Path:
    return real_data / "amsterdam_ois"


def _load(real_data, name):
    m = load_mapping(MAPPINGS / name)
    first = m["file"][0] if isinstance(m["file"], list) else m["file"]   # [original, demo copy]
    batch = read("indicator-file", _ois(real_data) / first, mapping=MAPPINGS / name)
    assert not [w for w in batch.warnings if "was written for" in w]
    return batch


def _fact(facts, code, year, indicator):
    row = facts[(facts["code"] == code) & (facts["year"] == year) & (facts["indicator"] == indicator)]
    assert len(row) == 1, (code, year, indicator, len(row))
    return row.iloc[0]


def test_all_nine_mappings_are_shipped():
    assert len(SHIPPED) == 9


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_mapping_loads_its_real_file(real_data, mem_store, name):
    b = _load(real_data, name)
    f = b.facts
    assert len(f) > 0
    assert set(f["indicator"]) <= {d["id"] for d in registry.CORE_INDICATORS}
    assert not f.duplicated(["code", "year", "indicator"]).any()
    # nothing becomes 0 silently: every NaN value carries a reason
    assert f.loc[f["value"].isna(), "flags"].str.contains("missing|zero_denominator").all()
    assert mem_store.ingest(b)["skipped"] is False


def test_woningvoorraad_2005_kop_zeedijk(real_data):
    f = _load(real_data, "ois_buurt_woningvoorraad_2005_2009.toml").facts
    # file row 2: 2005, A00a Kop Zeedijk, koop 158, corporatie 21, particulier 465, totaal 644
    cs = _fact(f, "A00a", 2005, "corp_share")
    assert (cs["numerator"], cs["denominator"]) == (21, 644)
    assert cs["value"] == pytest.approx(3.2608695652, abs=1e-9)
    assert _fact(f, "A00a", 2005, "dwellings")["value"] == 644
    assert _fact(f, "A00a", 2009, "corp_dwellings")["value"] == 26
    assert _fact(f, "A00a", 2005, "owner_occupied")["value"] == pytest.approx(158 / 644 * 100)
    assert set(f["geo_version"]) == {"ois2005"} and set(f["year"]) == {2005, 2009}


def test_woningvoorraad_2013_is_relabelled_to_2005_codes(real_data):
    b = _load(real_data, "ois_buurt_woningvoorraad_2013.toml")
    f = b.facts
    # file row 1166: 2013, K44d Aalsmeerwegbuurt Oost (V44d in 2005), 249 of 1247
    cs = _fact(f, "V44d", 2013, "corp_share")
    assert (cs["numerator"], cs["denominator"]) == (249, 1247)
    assert not f["code"].eq("K44d").any()
    assert _fact(f, "A00a", 2013, "corp_dwellings")["value"] == 36
    assert b.areas.set_index("code").loc["V44d", "name"] == "Aalsmeerwegbuurt Oost"


def test_woningvoorraad_2017_on_cbs_codes(real_data):
    f = _load(real_data, "ois_buurt_woningvoorraad_2017.toml").facts
    cs = _fact(f, "BU03630000", 2017, "corp_share")   # file row 1412: 83 of 740
    assert cs["value"] == pytest.approx(83 / 740 * 100)
    zero = f[(f["indicator"] == "corp_share") & (f["denominator"] == 0)]
    assert len(zero) == 27 and zero["value"].isna().all() and (zero["flags"] == "zero_denominator").all()


def test_bijstand_counts_and_2017_rate(real_data):
    f = pd.concat([_load(real_data, n).facts for n in
                   ("ois_wijk_bijstand_2005_2009.toml", "ois_wijk_bijstand_2013.toml",
                    "ois_wijk_bijstand_2017.toml")])
    assert _fact(f, "A00", 2005, "bijstand_benefits")["value"] == 145
    # Houthavens: C12 in 2005/2009, E12 in 2013 (relabelled to C12), WK036312 in 2017
    assert _fact(f, "C12", 2009, "bijstand_benefits")["value"] == 21
    h13 = _fact(f, "C12", 2013, "bijstand_benefits")
    assert h13["value"] == 19 and h13["flags"] == "def:wwb_levensonderhoud"
    assert _fact(f, "WK036312", 2017, "bijstand_benefits")["value"] == 16
    assert _fact(f, "WK036300", 2017, "bijstand_15_64")["value"] == 2.7
    assert not f["code"].eq("X99").any()
    assert not f["indicator"].eq("bijstand").any()   # a count, not the per-1,000 rate


def test_bijstand_2017_code_rule_matches_cbs_pairs(real_data):
    f = _load(real_data, "ois_wijk_bijstand_2017.toml").facts
    pairs = pd.read_csv(_ois(real_data) / "amsterdam_wijk_veiligheidsindex_2014_2017.csv",
                        usecols=["wijk_code_ois", "cbs_wijk_code"]).dropna()
    assert len(pairs) == 92
    assert set(pairs["cbs_wijk_code"]) <= set(f["code"])


def test_veiligheidsindex(real_data):
    b = _load(real_data, "ois_wijk_veiligheidsindex_2014_2017.toml")
    f = b.facts
    assert _fact(f, "WK036300", 2014, "safety_index")["value"] == 165
    assert _fact(f, "WK036300", 2017, "nuisance")["value"] == 306
    assert _fact(f, "WK036300", 2016, "fear_of_crime")["value"] == 104
    assert sorted(f["year"].unique()) == [2014, 2015, 2016, 2017]
    assert b.warnings == ["dropped 1 row(s) without a code: file row(s) 83"]


def test_ses_woa_levels(real_data):
    f = _load(real_data, "cbs_ses_woa_2019_amsterdam.toml").facts
    assert _fact(f, "GM0363", 2019, "ses_woa")["value"] == -0.1
    assert _fact(f, "WK036300", 2019, "ses_woa")["value"] == -0.022
    assert _fact(f, "GM0363", 2019, "households")["value"] == 457_400
    ses = f[f["indicator"] == "ses_woa"]
    assert ses["code"].str[:2].value_counts().to_dict() == {"BU": 479, "WK": 99, "GM": 1}
    assert ses["value"].isna().sum() == 90


def test_bbga_patterns(real_data):
    f = _load(real_data, "bbga_buurt_2014_2018.toml").facts
    # file row 2: Calandlaan/Lelylaan, population 2014 1202, housing 2018 662, corporation 496
    assert _fact(f, "BU03638103", 2014, "residents")["value"] == 1202
    assert _fact(f, "BU03638103", 2018, "dwellings")["value"] == 662
    assert _fact(f, "BU03638103", 2018, "corp_share")["value"] == pytest.approx(496 / 662 * 100)
    assert set(f.loc[f["indicator"] == "corp_share", "year"]) == {2018}
    assert set(f.loc[f["indicator"] == "residents", "year"]) == {2014, 2015, 2016, 2017, 2018}


# ----------------------------------------------------------------- broken mappings and data

def _mapping(tmp_path, text, name="m.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


BASE = (MAPPINGS / "ois_buurt_woningvoorraad_2005_2009.toml").read_text()


def _data_copy(real_data, tmp_path, edit) -> Path:
    lines = (_ois(real_data) / WONINGEN).read_text().splitlines()
    edit(lines)
    p = tmp_path / WONINGEN
    p.write_text("\n".join(lines) + "\n")
    return p


def test_missing_mapped_column_names_mapping_key_and_column(real_data, tmp_path):
    m = _mapping(tmp_path, BASE.replace('numerator = "huur_corporatie"', 'numerator = "huur_corp"'))
    with pytest.raises(InputError) as e:
        read("indicator-file", _ois(real_data) / WONINGEN, mapping=m)
    err = e.value
    assert err.file == str(m) and err.column == "numerator"
    assert m.read_text().splitlines()[err.row - 1].strip() == 'numerator = "huur_corp"'
    assert "huur_corp" in err.message and WONINGEN in err.message


def test_unknown_indicator_id(real_data, tmp_path):
    m = _mapping(tmp_path, BASE.replace('id = "dwellings"', 'id = "dwelings"'))
    with pytest.raises(InputError) as e:
        read("indicator-file", _ois(real_data) / WONINGEN, mapping=m)
    assert e.value.file == str(m) and e.value.column == "id"
    assert m.read_text().splitlines()[e.value.row - 1].strip() == 'id = "dwelings"'


def test_toml_syntax_error_names_line(real_data, tmp_path):
    m = _mapping(tmp_path, 'geo_version = "ois2005"\nlevel = buurt\n')
    with pytest.raises(InputError) as e:
        read("indicator-file", _ois(real_data) / WONINGEN, mapping=m)
    assert e.value.file == str(m) and e.value.row == 2


def test_junk_number_names_file_row_column(real_data, tmp_path):
    def edit(lines):   # file row 500 is 2009 (kept by the filter); row 1500 is 2017 (filtered out)
        cells = lines[499].split(",")
        cells[5] = "12a"
        lines[499] = ",".join(cells)
        cells = lines[1499].split(",")
        cells[5] = "junk"
        lines[1499] = ",".join(cells)
    p = _data_copy(real_data, tmp_path, edit)
    with pytest.raises(InputError) as e:
        read("indicator-file", p, mapping=MAPPINGS / "ois_buurt_woningvoorraad_2005_2009.toml")
    assert (e.value.file, e.value.row, e.value.column) == (str(p), 500, "huur_corporatie")


def test_numerator_over_denominator_is_an_error_and_within_rounding_a_flag(real_data, tmp_path):
    def edit(value):
        def f(lines):
            cells = lines[1].split(",")   # A00a 2005: corporatie 21 -> value, of 644 dwellings
            cells[5] = value
            lines[1] = ",".join(cells)
        return f
    p = _data_copy(real_data, tmp_path, edit("700"))
    with pytest.raises(InputError) as e:
        read("indicator-file", p, mapping=MAPPINGS / "ois_buurt_woningvoorraad_2005_2009.toml")
    assert (e.value.row, e.value.column) == (2, "huur_corporatie") and "more than its whole 644" in e.value.message
    p = _data_copy(real_data, tmp_path, edit("647"))     # 3 over: CBS/OIS rounding, kept and flagged
    f = read("indicator-file", p, mapping=MAPPINGS / "ois_buurt_woningvoorraad_2005_2009.toml").facts
    fact = _fact(f, "A00a", 2005, "corp_share")
    assert fact["flags"] == "part_exceeds_whole,pct_over_100" and fact["value"] == pytest.approx(647 / 644 * 100)


def test_negative_count_is_an_error(real_data, tmp_path):
    def edit(lines):
        cells = lines[2].split(",")
        cells[7] = "-5"          # woningen_totaal of A00b 2005
        lines[2] = ",".join(cells)
    p = _data_copy(real_data, tmp_path, edit)
    with pytest.raises(InputError) as e:
        read("indicator-file", p, mapping=MAPPINGS / "ois_buurt_woningvoorraad_2005_2009.toml")
    assert (e.value.row, e.value.column) == (3, "woningen_totaal")


def test_duplicate_code_year(real_data, tmp_path):
    p = _data_copy(real_data, tmp_path, lambda lines: lines.insert(10, lines[1]))
    with pytest.raises(InputError) as e:
        read("indicator-file", p, mapping=MAPPINGS / "ois_buurt_woningvoorraad_2005_2009.toml")
    assert e.value.row == 11 and e.value.column == "buurt_code_ois"
    assert "first seen on row 2" in e.value.message


def test_bad_year(real_data, tmp_path):
    lines = (_ois(real_data) / "amsterdam_ses_woa_2019_cbs_codes.csv").read_text().splitlines()
    lines[4] = lines[4].replace("2019,", "19,", 1)
    p = tmp_path / "amsterdam_ses_woa_2019_cbs_codes.csv"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as e:
        read("indicator-file", p, mapping=MAPPINGS / "cbs_ses_woa_2019_amsterdam.toml")
    assert (e.value.file, e.value.row, e.value.column) == (str(p), 5, "jaar")


def test_code_not_in_lookup(real_data, tmp_path):
    def edit(lines):
        i = next(i for i, ln in enumerate(lines) if ln.startswith("2013,"))
        lines[i] = lines[i].replace(",A00a,", ",Z99z,", 1)
    p = _data_copy(real_data, tmp_path, edit)
    (tmp_path / "amsterdam_buurten_codes_overgang_2005_2010_2015.csv").write_bytes(
        (_ois(real_data) / "amsterdam_buurten_codes_overgang_2005_2010_2015.csv").read_bytes())
    with pytest.raises(InputError) as e:
        read("indicator-file", p, mapping=MAPPINGS / "ois_buurt_woningvoorraad_2013.toml")
    assert (e.value.row, e.value.column) == (942, "buurt_code_ois") and "Z99z" in e.value.message


def test_code_regex_mismatch(real_data, tmp_path):
    src = _ois(real_data) / "amsterdam_wijk_bijstand_wwb_2005_2009_2013_2017.csv"
    lines = src.read_text().splitlines()
    i = next(i for i, ln in enumerate(lines) if ln.startswith("2017,"))
    lines[i] = lines[i].replace(",A00,", ",A0,", 1)
    p = tmp_path / src.name
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as e:
        read("indicator-file", p, mapping=MAPPINGS / "ois_wijk_bijstand_2017.toml")
    assert (e.value.row, e.value.column) == (i + 1, "wijk_code_ois")


def test_long_format_with_scale_from(tmp_path):
    data = tmp_path / "long.csv"
    data.write_text("gwb;jaar;var;waarde\n0363;2020;corp;40,5\n0363;2020;inw;872000\n"
                    "0344;2020;corp;.\n0344;2020;other;1\n")
    m = _mapping(tmp_path, 'geo_version = "cbs2020"\nlevel = "gemeente"\nsource = "test"\n'
                           'code = "gwb"\ncode_prefix = "GM"\nyear = "jaar"\nformat = "long"\n'
                           'indicator_column = "var"\nvalue_column = "waarde"\n[indicator_map]\n'
                           'corp = { id = "corp_share", scale_from = 100 }\ninw = "residents"\n')
    b = read("indicator-file", data, mapping=m)
    f = b.facts
    assert _fact(f, "GM0363", 2020, "corp_share")["value"] == 40.5
    assert _fact(f, "GM0363", 2020, "residents")["value"] == 872_000
    gap = _fact(f, "GM0344", 2020, "corp_share")
    assert np.isnan(gap["value"]) and gap["flags"] == "cbs_marker:."
    assert "other" in b.warnings[0]


def test_scale_from_converts_units(tmp_path):
    data = tmp_path / "wide.csv"
    data.write_text("code,share\nGM0363,0.25\n")
    m = _mapping(tmp_path, 'geo_version = "cbs2020"\nlevel = "auto"\nsource = "t"\ncode = "code"\n'
                           'year_value = 2020\n[[indicator]]\nid = "bijstand"\nvalue = "share"\n'
                           'scale_from = 1\n')
    f = read("indicator-file", data, mapping=m).facts
    assert _fact(f, "GM0363", 2020, "bijstand")["value"] == 250.0   # fraction -> per 1,000


def test_a_mapping_can_define_an_indicator_the_registry_lacks(tmp_path, real_data, mem_store):
    """KWB's a_soz_ao (disability benefits) is not a core indicator: a [[define]] entry registers it."""
    mapping = tmp_path / "ao.toml"
    mapping.write_text('''
geo_version = "cbs2023"
level = "auto"
source = "cbs-kwb-extra"
code = "gwb_code_10"
year_value = 2023

[[define]]
id = "disability_benefits"
label_nl = "Personen met een arbeidsongeschiktheidsuitkering"
label_en = "Persons on disability benefits"
unit = "aantal"
kind = "count"
higher_is_worse = true

[[indicator]]
id = "disability_benefits"
value = "a_soz_ao"
''')
    src = real_data / "kwb_utrecht_gemeente" / "kwb_2023_gemeente_utrecht.csv"
    batch = read("indicator-file", src, mapping=mapping)
    mem_store.ingest(batch)
    raw = pd.read_csv(src, dtype=str).set_index("gwb_code_10")
    f = mem_store.facts(indicator="disability_benefits", codes=["GM0344"])
    assert f["value"].tolist() == [float(raw.loc["GM0344", "a_soz_ao"])]
    reg = mem_store.indicator("disability_benefits")
    assert reg["label_en"] == "Persons on disability benefits" and reg["kind"] == "count"
    bad = tmp_path / "bad.toml"
    bad.write_text(mapping.read_text().replace('kind = "count"', 'kind = "lots"'))
    with pytest.raises(InputError, match="kind must be"):
        read("indicator-file", src, mapping=bad)
