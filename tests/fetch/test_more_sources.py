"""Registered crime (real annual counts as monthly OData answers) and CBS PC4 geometry → buurten."""
from __future__ import annotations

import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from tests.servers.crime import write_monthly_table
from veerkracht.errors import InputError
from veerkracht.geo.harmonise import harmonise_store
from veerkracht.geo.levels import level_crosswalk
from veerkracht.sources.download import DownloadCache
from veerkracht.sources.fetch import fetch_geometry, fetch_leefbaarometer, fetch_pc4
from veerkracht.sources.fetch_crime import fetch_crime
from veerkracht.sources.public import Services

# misdrijven_2023 / _2025 of three Utrecht buurten in tests/data/real/woonikveilig_nl_2024 (Politie via CBS)
REAL = {"BU03440114": (69, 72), "BU03440113": (67, 80), "BU03440112": (177, 169)}


def _split(total, months, rng):
    parts = rng.multinomial(total, np.ones(months) / months)
    return [int(x) for x in parts]


@pytest.fixture(scope="module")
def crime_table(public_server, real_data):
    raw = pd.read_csv(real_data / "woonikveilig_nl_2024" / "gwb_2024_kerncijfers_misdrijven_gezondheid.csv.gz")
    real = raw.set_index("code").loc[list(REAL), ["misdrijven_2023", "misdrijven_2025"]]
    assert [tuple(int(v) for v in r) for r in real.to_numpy()] == list(REAL.values())
    rng = np.random.default_rng(3)
    monthly = {(code, year): _split(total, months, rng) for code, (y23, y25) in REAL.items()
               for year, total, months in ((2023, y23, 12), (2025, y25, 7))}      # 2025: January–July published
    d = write_monthly_table(public_server["root"], monthly)
    return d


def test_crime_counts_per_year_from_monthly_answers(crime_table, public_server, tmp_path):
    svc = Services.loopback(public_server["base"])
    batch = fetch_crime([2023, 2025], DownloadCache(tmp_path), svc, region=["GM0344"])
    f = batch.facts.set_index(["code", "year"])
    for code, (y23, y25) in REAL.items():
        assert f.loc[(code, 2023), "value"] == y23 and f.loc[(code, 2023), "flags"] == ""
        assert f.loc[(code, 2025), "value"] == y25 and f.loc[(code, 2025), "flags"] == "partial_year:7m"
    assert set(batch.facts["indicator"]) == {"crimes"} and batch.indicators["id"].tolist() == ["crimes"]
    assert set(batch.facts["geo_version"]) == {"cbs2023", "cbs2025"}


def test_crime_table_that_changed_shape(crime_table, public_server, tmp_path):
    d = public_server["root"] / "odata" / "v3" / "47018NED"
    d.mkdir()
    (d / "DataProperties.json").write_text(json.dumps({"value": [
        {"Type": "GeoDimension", "Key": "WijkenEnBuurten"}, {"Type": "TimeDimension", "Key": "Perioden"},
        {"Type": "Topic", "Key": "Misdrijven_1"}]}))
    with pytest.raises(InputError) as e:
        fetch_crime([2023], DownloadCache(tmp_path), Services.loopback(public_server["base"]), table="47018NED")
    assert "topic GeregistreerdeMisdrijven" in e.value.message and "Topic:Misdrijven_1" in e.value.message


def test_pc4_geometry_zip_and_leefbaarometer_onto_utrecht_buurten(public_server, tmp_path, mem_store):
    """PC4 areas given as a CBS zip (geometry made from real buurten), real PC4 scores onto real buurten."""
    svc = Services.loopback(public_server["base"])
    cache = DownloadCache(tmp_path)
    bu = fetch_geometry(2023, "buurt", cache, svc, region=["GM0344"]).areas.sort_values("code").reset_index(drop=True)
    scores = fetch_leefbaarometer(2022, cache, svc)
    pcs = sorted(scores.facts["code"].unique())[:5]
    # five PC4 areas, each the union of a run of buurten (the CBS PC4 layout: postcode, geometry)
    groups = np.array_split(np.arange(len(bu)), 5)
    pc4 = bu.iloc[[g[0] for g in groups]][["geometry"]].copy()
    pc4["geometry"] = [bu.geometry.iloc[g].union_all() for g in groups]
    pc4["postcode"] = [p[2:] for p in pcs]
    gpkg = tmp_path / "cbs_pc4_2022_v1.gpkg"
    pc4.to_crs(28992).to_file(gpkg, layer="cbs_pc4_2022")
    target = public_server["root"] / "files" / "postcode"
    target.mkdir(exist_ok=True)
    with zipfile.ZipFile(target / "2023-CBS_pc4_2022_v1.zip", "w") as z:
        z.write(gpkg, "cbs_pc4_2022_v1.gpkg")
    batch = fetch_pc4(2022, cache, svc, geo_version="lbm3-2022")
    assert sorted(batch.areas["code"]) == pcs and set(batch.areas["level"]) == {"pc4"}

    s = mem_store
    # the scores first: the PC4 file here holds 5 of the 42 postcodes, and a file whose codes are
    # mostly unknown to a version the store already has is refused (issue 11)
    s.ingest(scores)
    s.ingest(batch)
    s.ingest(fetch_geometry(2023, "buurt", cache, svc, region=["GM0344"]))
    cw = level_crosswalk(s, "lbm3-2022", "pc4", "cbs2023", "buurt")
    assert cw.attrs["unmatched"] == [] and len(cw) >= len(bu)
    s.write_crosswalk(cw)
    harmonise_store(s, "cbs2023", indicators=["lbm_score"])
    got = s.facts(indicator="lbm_score", geo_version="cbs2023", years=[2022]).set_index("code")["value"]
    truth = scores.facts[scores.facts["indicator"] == "lbm_score"].set_index("code")["value"]
    # a buurt that lies in one PC4 gets exactly that PC4's published score
    whole = cw.groupby("to_code").filter(lambda g: len(g) == 1)
    for _, r in whole.head(20).iterrows():
        assert got[r["to_code"]] == pytest.approx(truth[r["from_code"]])
    sup = s.support(geo_version="cbs2023", origin_version="lbm3-2022")
    assert set(sup["source_level"]) == {"pc4"} and sup["cluster"].nunique() == 5


def test_crime_tables_are_asked_of_the_third_party_host():
    """Politie tables are published on dataderden.cbs.nl, not on opendata.cbs.nl (public scripts)."""
    from veerkracht.sources.cbs_odata import parse_location
    svc = Services()
    api, base, table = parse_location("cbs:47018NED", "v3", svc.crime_odata())
    assert (api, base, table) == ("v3", "https://dataderden.cbs.nl/ODataApi/odata", "47018NED")
    assert svc.odata_base("v3") != svc.crime_odata()
