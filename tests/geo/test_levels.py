"""Crosswalks across levels, address tables in CBS layouts, support, store migration, aggregate CLI."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from veerkracht.errors import InputError, StoreError
from veerkracht.geo.harmonise import harmonise_store
from veerkracht.geo.levels import level_crosswalk, missing_path_message
from veerkracht.sources import read
from veerkracht.store import Batch, Provenance, open_store

from ..cli.conftest import run_cli
from .test_crosswalk import box


def _areas(version, level, codes, geoms):
    return gpd.GeoDataFrame({"geo_version": version, "code": codes, "level": level, "name": codes,
                             "gm_code": None, "wk_code": None}, geometry=geoms, crs=28992)


@pytest.fixture
def pc4_store(mem_store):
    """PC1011 covers buurt A, buurt B and the left half of C; PC1012 the right half of C."""
    mem_store.write_areas(_areas("pc4-2022", "pc4", ["PC1011", "PC1012"],
                                 [box(0, 0, 250, 100), box(250, 0, 300, 100)]))
    mem_store.write_areas(_areas("cbs2019", "buurt", ["BU00010001", "BU00010002", "BU00010003"],
                                 [box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100)]))
    return mem_store


def test_pc4_to_buurt_overlay_and_harmonised_scores_carry_support(pc4_store):
    s = pc4_store
    cw = level_crosswalk(s, "pc4-2022", "pc4", "cbs2019", "buurt")
    got = {(r.from_code, r.to_code): round(r.weight, 6) for r in cw.itertuples()}
    assert got == {("PC1011", "BU00010001"): 0.4, ("PC1011", "BU00010002"): 0.4,
                   ("PC1011", "BU00010003"): 0.2, ("PC1012", "BU00010003"): 1.0}
    s.write_crosswalk(cw)
    s.ingest(Batch(Provenance("t", "lbm", "x"), facts=pd.DataFrame({
        "geo_version": "pc4-2022", "code": ["PC1011", "PC1012"], "year": 2022, "indicator": "lbm_score",
        "value": [4.0, 5.0], "source": "leefbaarometer-3.0"})))
    harmonise_store(s, "cbs2019")
    f = s.facts(indicator="lbm_score", geo_version="cbs2019").set_index("code")["value"]
    # C is half PC1011 (4.0), half PC1012 (5.0) by area: 4.5; A and B lie wholly in PC1011
    assert f.to_dict() == pytest.approx({"BU00010001": 4.0, "BU00010002": 4.0, "BU00010003": 4.5})
    sup = s.support(geo_version="cbs2019").set_index("code")
    assert sup.loc["BU00010001", ["cluster", "n_sources", "source_level"]].tolist() == ["PC1011", 1, "pc4"]
    assert sup.loc["BU00010003", "n_sources"] == 2 and set(sup["origin_version"]) == {"pc4-2022"}
    # three buurten, two PC4 areas: the effective number of units an analysis sees
    assert sup["cluster"].nunique() == 2


def test_missing_path_names_the_input(pc4_store):
    s = pc4_store
    s.ingest(Batch(Provenance("t", "x", "y"), facts=pd.DataFrame({
        "geo_version": "lbm3-2022", "code": ["PC3511"], "year": 2022, "indicator": "lbm", "value": [0.1],
        "source": "t"})))
    msg = missing_path_message(s, "lbm3-2022", "cbs2019")
    assert "veerkracht ingest geometry FILE --geo-version lbm3-2022" in msg
    assert "cbs-pc6-buurt" in msg and "grenswijzigingen" in msg
    msg2 = missing_path_message(s, "pc4-2022", "cbs2019")
    assert "crosswalk-levels --from pc4-2022 --from-level pc4 --to cbs2019 --to-level buurt" in msg2
    with pytest.raises(StoreError) as e:
        level_crosswalk(s, "lbm3-2022", "pc4", "cbs2019", "buurt")
    assert "no pc4 geometry for version 'lbm3-2022'" in str(e.value) and "fetch pc4" in str(e.value)


def test_pc6_address_table_to_pc4_and_pc6_crosswalks(tmp_path):
    p = tmp_path / "pc6hnr20220801_gwb.csv"
    p.write_text("PC6;Huisnummer;Buurt2022;Wijk2022;Gemeente2022\n"
                 "3511AB;1;3440111;34401;344\n3511AB;3;3440111;34401;344\n3511AC;2;3440112;34401;344\n"
                 "3511AC;4;3440111;34401;344\n3512AA;1;3440112;34401;344\n")
    pc6 = read("cbs-pc6-buurt", p, to_version="cbs2022").crosswalk.set_index(["from_code", "to_code"])
    assert pc6.loc[("PC3511AB", "BU03440111"), ["weight", "amount"]].tolist() == [1.0, 2.0]
    assert pc6.loc[("PC3511AC", "BU03440112"), "weight"] == 0.5
    pc4 = read("cbs-pc6-buurt", p, to_version="cbs2022", level="pc4").crosswalk.set_index(["from_code", "to_code"])
    assert pc4.loc[("PC3511", "BU03440111"), "weight"] == pytest.approx(3 / 4)
    assert pc4.loc[("PC3512", "BU03440112"), "weight"] == 1.0 and set(pc4["from_version"]) == {"pc4"}
    bad = tmp_path / "bad.csv"
    bad.write_text("PC6;Huisnummer;Buurt2022\n3511AB;1;3440111\n35X1;2;3440111\n")
    with pytest.raises(InputError) as e:
        read("cbs-pc6-buurt", bad, to_version="cbs2022")
    assert (e.value.row, e.value.column) == (3, "PC6")


def test_grenswijzigingen_layout(tmp_path):
    p = tmp_path / "grenswijzigingen_2021_2022.csv"
    p.write_text("oude_code;nieuwe_code;aantal_adressen\nBU03440111;BU03440111;900\nBU03440111;BU03440199;100\n"
                 "BU03440112;BU03440199;50\n")
    cw = read("grenswijzigingen", p, from_version="cbs2021", to_version="cbs2022").crosswalk
    w = cw.set_index(["from_code", "to_code"])["weight"]
    assert w[("BU03440111", "BU03440111")] == 0.9 and w[("BU03440111", "BU03440199")] == 0.1
    assert w[("BU03440112", "BU03440199")] == 1.0 and set(cw["basis"]) == {"addresses"}
    q = tmp_path / "other.csv"
    q.write_text("van,naar,n\nBU03440111,BU03440111,x\n")
    with pytest.raises(InputError) as e:
        read("grenswijzigingen", q, from_version="a", to_version="b")
    assert "no address count column" in e.value.message
    with pytest.raises(InputError) as e:
        read("grenswijzigingen", q, from_version="a", to_version="b", count_column="n")
    assert (e.value.row, e.value.column) == (2, "n")


def test_old_store_gains_support_tables(tmp_path):
    path = tmp_path / "old.duckdb"
    s = open_store(path)
    s.ingest(Batch(Provenance("t", "x", "y"), facts=pd.DataFrame({
        "geo_version": "cbs2019", "code": ["BU00010001"], "year": 2020, "indicator": "residents",
        "value": [10.0], "source": "t"})))
    s.con.execute("DROP TABLE support; DROP TABLE build_steps")     # as a store written before them
    s.close()
    ro = open_store(path, read_only=True)
    assert ro.support().empty and ro.done_steps("b") == {}
    ro.close()
    s = open_store(path)
    assert s.facts()["value"].tolist() == [10.0]
    s.mark_step("b", "kwb:2020", {"facts": 1})
    assert s.done_steps("b") == {"kwb:2020": {"facts": 1}} and s.support().empty
    s.close()


def test_aggregate_command(tmp_path):
    path = tmp_path / "agg.duckdb"
    from veerkracht.indicators import registry_frame
    s = open_store(path)
    s.register_indicators(registry_frame())
    codes = ["BU03440111", "BU03440112", "BU03440211"]
    s.write_areas(gpd.GeoDataFrame({"geo_version": "cbs2023", "code": codes, "level": "buurt", "name": codes,
                                    "gm_code": "GM0344", "wk_code": ["WK034401", "WK034401", "WK034402"]},
                                   geometry=[None] * 3, crs=4326))
    s.ingest(Batch(Provenance("t", "x", "y"), facts=pd.DataFrame({
        "geo_version": "cbs2023", "code": codes, "year": 2023, "indicator": "corp_share",
        "numerator": [10.0, 30.0, 5.0], "denominator": [100.0, 100.0, 50.0], "value": [10.0, 30.0, 10.0],
        "source": "t"})))
    s.close()
    res = run_cli("aggregate", "--geo-version", "cbs2023", "--from-level", "buurt", "--to-level", "wijk", store=path)
    assert res.returncode == 0, res.stderr
    assert "3 facts in, 2 out" in res.stdout
    s = open_store(path, read_only=True)
    f = s.facts(indicator="corp_share", codes=["WK034401", "WK034402"]).set_index("code")
    assert f.loc["WK034401", ["numerator", "denominator", "value"]].tolist() == [40.0, 200.0, 20.0]
    assert np.isclose(f.loc["WK034402", "value"], 10.0) and set(f["source"]) == {"t+aggregated"}
    s.close()


def test_cli_messages_name_the_missing_input(tmp_path):
    path = tmp_path / "m.duckdb"
    s = open_store(path)
    s.ingest(Batch(Provenance("t", "x", "y"), facts=pd.DataFrame({
        "geo_version": "lbm3-2022", "code": ["PC3511"], "year": 2022, "indicator": "lbm", "value": [0.1],
        "source": "t"})))
    s.write_areas(_areas("cbs2019", "buurt", ["BU00010001"], [box(0, 0, 100, 100)]))
    s.close()
    res = run_cli("harmonise", "--to", "cbs2019", store=path)
    assert res.returncode == 1
    err = " ".join(res.stderr.split())
    assert "no crosswalk path from 'lbm3-2022' to 'cbs2019'" in err and "--geo-version lbm3-2022" in err
    res = run_cli("crosswalk", "--from", "lbm3-2022", "--to", "cbs2019", store=path)
    err = " ".join(res.stderr.split())
    assert res.returncode == 1 and "no buurt geometry for version 'lbm3-2022'" in err and "crosswalk-levels" in err
