"""A corporation's portfolio: read, located (code, coordinates, postcode), kept private, overlaid on the typology.

A synthetic portfolio is planted on the demo's Amsterdam buurten with a known number of dwellings in
areas of each typology class; the overlay must count them back exactly (exposure = hand count), and
what cannot be located is listed by file row.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from tests.cli.conftest import run_cli
from tests.corp.plant import copy_store, plant_portfolio
from veerkracht.analysis import get_analysis
from veerkracht.errors import InputError, NotComputable
from veerkracht.sources import read
from veerkracht.store import open_store


@pytest.fixture(scope="module", params=["duckdb", "postgis"])
def store_copy(request, demo_store, tmp_path_factory):
    """A copy of the demo store: a DuckDB file, or a PostGIS database opened as the organisation that owns
    the portfolio (``?org=``: its rows are private to that role under row-level security)."""
    if request.param == "duckdb":
        yield copy_store(demo_store, tmp_path_factory.mktemp("corp"))
        return
    from veerkracht.store._pg_orgs import add_organisation
    from veerkracht.store.copy import copy_store as copy_between

    cluster = request.getfixturevalue("pg_cluster")
    url = cluster.new_database()
    admin = open_store(url)
    copy_between(demo_store, admin)
    add_organisation(admin, "woonstad")
    admin.close()
    yield f"{url}?org=woonstad"
    cluster.drop_database(url)


@pytest.fixture(scope="module")
def planted(store_copy, tmp_path_factory):
    """Complexes placed in wijken of known typology class, loaded as a user does: file, plan, CLI answer."""
    path, plan = plant_portfolio(store_copy, tmp_path_factory.mktemp("bezit"))
    before = open_store(str(store_copy), read_only=True)
    n_facts = len(before.facts())
    before.close()
    res = run_cli("ingest", "portfolio", str(path), "-o", "corporation=Woonstad", store=store_copy)
    return path, plan, res, n_facts


def test_reader_checks_every_value(tmp_path):
    f = tmp_path / "b.csv"
    f.write_text("vhe,aantal,x,y\nV1,3,121000,487000\nV2,4,52.37,4.89\n")
    with pytest.raises(InputError) as e:
        read("portfolio", f, corporation="X")
    assert e.value.row == 3 and e.value.column == "x" and "swapped" in e.value.message
    f.write_text("vhe,aantal,buurtcode\nV1,3,BU03630000\nV1,2,BU03630001\n")
    with pytest.raises(InputError) as e:
        read("portfolio", f, corporation="X")
    assert e.value.row == 3 and "duplicate unit_id=V1 (first seen on row 2)" in e.value.message
    f.write_text("vhe,aantal,buurtcode\nV1,3,BU03630000\nV2,2.5,BU03630001\n")
    with pytest.raises(InputError) as e:
        read("portfolio", f, corporation="X")
    assert (e.value.row, e.value.column) == (3, "aantal") and "whole number" in e.value.message
    f.write_text("vhe,postcode\nV1,1011 AB\nV2,10111\n")
    with pytest.raises(InputError) as e:
        read("portfolio", f, corporation="X")
    assert (e.value.row, e.value.column) == (3, "postcode")
    m = tmp_path / "m.toml"
    m.write_text('[columns]\nidd = "vhe"\n')
    with pytest.raises(InputError, match="unknown key 'idd' in \\[columns\\]; valid keys: code, complex"):
        read("portfolio", f, corporation="X", mapping=str(m))
    f.write_text("nummer,straat\nV1,Damrak\n")
    with pytest.raises(InputError, match="no id column"):
        read("portfolio", f, corporation="X")


def test_reader_with_a_mapping_reads_dutch_numbers(tmp_path):
    f = tmp_path / "b.csv"
    f.write_text("Eenheid;Cplx;Woningen;Postcode;Bouwjaar\nA1;K1;1.200;1011 ab;1965\nA2;K1;8;1012AB;\n")
    m = tmp_path / "m.toml"
    m.write_text('[columns]\nid = "Eenheid"\ncomplex = "Cplx"\ndwellings = "Woningen"\npostcode = "Postcode"\n'
                 'year_built = "Bouwjaar"\n')
    with pytest.raises(InputError) as e:         # 1.200: twelve hundred or one point two?
        read("portfolio", f, corporation="Woonstad", mapping=str(m))
    assert (e.value.row, e.value.column) == (2, "Woningen") and "decimal=','" in e.value.message
    pf = read("portfolio", f, corporation=" Woonstad ", mapping=str(m), decimal=",")
    assert pf.corporation == "Woonstad" and pf.rows["dwellings"].tolist() == [1200, 8]
    assert pf.rows["pc6"].tolist() == ["PC1011AB", "PC1012AB"] and pf.rows["source_row"].tolist() == [2, 3]
    assert pf.rows["year_built"].tolist()[0] == 1965 and pd.isna(pf.rows["year_built"].tolist()[1])


def test_ingest_locates_and_lists_what_it_cannot(store_copy, planted):
    path, plan, res, n_facts = planted
    assert res.returncode == 0, res.stderr
    assert f"{len(plan)} of {len(plan) + 2} rows located, {plan['dwellings'].sum()} dwellings" in res.stdout
    assert "row 122 (id V900): buurt code BU99999999 is in no geography version" in res.stderr
    assert "row 123 (id V901): point 90000.0, 560000.0 (EPSG:28992) lies in no buurt" in res.stderr
    s = open_store(str(store_copy), read_only=True)
    try:
        got = s.portfolio("Woonstad", "cbs2019").set_index("complex_id")
        # every complex in the buurt it was planted in, whichever way it was located
        assert got.loc[plan["complex"], "code"].tolist() == plan["buurt"].tolist()
        assert set(got["located_by"]) == {"code", "xy"}
        # private: no fact, indicator or export gained anything
        assert len(s.facts()) == n_facts
        assert "portfolio" not in set(s.indicators()["id"])
    finally:
        s.close()


def test_exposure_equals_the_hand_count(store_copy, planted):
    path, plan, _, _ = planted
    s = open_store(str(store_copy), read_only=True)
    try:
        res = get_analysis("portfolio")(s, corporation="Woonstad", over_time=False)
    finally:
        s.close()
    exp = res.extra["exposure"].set_index("class")
    total = int(plan["dwellings"].sum())
    for k in ("problem", "vulnerable", "signal", "none", "unknown"):
        want = int(plan.loc[plan["class"] == k, "dwellings"].sum())
        if want >= 10 or want == 0:
            assert exp.loc[k, "dwellings"] == want, k
            assert exp.loc[k, "complexes"] == int((plan["class"] == k).sum())
            assert exp.loc[k, "share"] == pytest.approx(want / total * 100)
        else:
            assert np.isnan(exp.loc[k, "dwellings"]) and exp.loc[k, "suppressed"]
    classes = exp.drop(index="watch")
    if not classes["suppressed"].any():              # conservation: every located dwelling in one class
        assert classes["dwellings"].sum() == total
    watch = int(plan.loc[plan["watch"], "dwellings"].sum())
    if watch >= 10:
        assert exp.loc["watch", "dwellings"] == watch
    # per area: the sum over wijken, blanked below 10
    per = plan.groupby("wijk")["dwellings"].sum()
    t = res.table.set_index("code")
    for wk, n in per.items():
        if n >= 10:
            assert t.loc[wk, "own_dwellings"] == n
            assert t.loc[wk, "share_of_portfolio"] == pytest.approx(n / total * 100)
        else:
            assert np.isnan(t.loc[wk, "own_dwellings"]) and t.loc[wk, "share_class"] == "few"
    assert res.summary["n_dwellings"] == total and res.summary["n_complexes"] == len(plan)


def test_over_time_and_the_complexes_export(store_copy, planted, tmp_path):
    path, plan, _, _ = planted
    s = open_store(str(store_copy), read_only=True)
    try:
        res = get_analysis("portfolio")(s, corporation="Woonstad")
        periods = sorted(set(res.extra["exposure"]["period"]))
        assert periods == ["2005-2009", "2005-2017", "2009-2013", "2013-2017"]
        for period in periods:       # each period's classes add up to the located stock (or less when blanked)
            e = res.extra["exposure"][res.extra["exposure"]["period"] == period]
            cls = e[e["class"] != "watch"]
            assert cls["dwellings"].sum() <= plan["dwellings"].sum()
            if not cls["suppressed"].any():
                assert cls["dwellings"].sum() == plan["dwellings"].sum()
        # the 2013-2017 class of each complex is the class of its wijk in a typology of that period
        t = get_analysis("typology")(s, year_from=2013, year_to=2017).table.set_index("code")["class"]
    finally:
        s.close()
    cx = res.extra["complexes"].set_index("complex_id")
    for _, r in plan.iterrows():
        assert cx.loc[r["complex"], "class_2013-2017"] == t.get(r["wijk"], "unknown")
    out = tmp_path / "complexen.csv"
    res_cli = run_cli("portfolio", "--export", str(out), store=store_copy)
    assert res_cli.returncode == 0, res_cli.stderr
    back = pd.read_csv(out, sep=";", encoding="utf-8-sig")
    assert len(back) == len(plan) and back["dwellings"].sum() == plan["dwellings"].sum()


def test_without_a_portfolio_the_analysis_says_what_to_load(demo_store):
    with pytest.raises(NotComputable) as e:
        get_analysis("portfolio")(demo_store)
    assert "veerkracht ingest portfolio" in e.value.text("nl") and "-o corporation=" in e.value.text("en")
    assert get_analysis("portfolio").available(demo_store) is False


def test_map_offers_the_layer_only_with_a_portfolio(store_copy, demo_store, planted):
    from veerkracht.web.views.meta import map_modes
    assert "portfolio" not in [m["id"] for m in map_modes(demo_store)]
    s = open_store(str(store_copy), read_only=True)
    try:
        assert "portfolio" in [m["id"] for m in map_modes(s)]
    finally:
        s.close()


def test_located_by_postcode_through_the_cbs_pc6_file(mem_store, tmp_path):
    """PC6 → buurt from a file in the CBS pc6huisnr layout; a postcode split over two buurten goes to the
    buurt with most of its addresses and says so (``pc6~``); a postcode not in the file is listed."""
    from shapely.geometry import box

    from veerkracht.cli_portfolio import ingest_portfolio
    areas = gpd.GeoDataFrame({"geo_version": "cbs2022", "code": ["BU03630001", "BU03630002"], "level": "buurt",
                              "name": ["Oost", "West"], "gm_code": "GM0363", "wk_code": "WK036300"},
                             geometry=[box(4.90, 52.37, 4.91, 52.38), box(4.89, 52.37, 4.90, 52.38)], crs=4326)
    mem_store.write_areas(areas)
    pc = tmp_path / "pc6hnr.csv"
    pc.write_text("PC6;Huisnummer;Buurt2022;Wijk2022;Gemeente2022\n"
                  "1011AB;1;3630001;36300;363\n1011AB;3;3630001;36300;363\n1011AB;5;3630001;36300;363\n"
                  "1011AB;7;3630002;36300;363\n1012CD;2;3630002;36300;363\n")
    mem_store.ingest(read("cbs-pc6-buurt", pc, to_version="cbs2022"))
    f = tmp_path / "bezit.csv"
    f.write_text("vhe;aantal;postcode;huisnummer\nA;20;1011 AB;3\nB;15;1012CD;2\nC;11;9999ZZ;1\n")
    said: list[str] = []
    ingest_portfolio(mem_store, read("portfolio", f, corporation="Ymere"), lambda label, text, err=False: said.append(text))
    got = mem_store.portfolio("Ymere").set_index("unit_id")
    assert got.loc["A", "code"] == "BU03630001" and got.loc["A", "located_by"] == "pc6~"     # 3 of 4 addresses
    assert got.loc["B", "code"] == "BU03630002" and got.loc["B", "located_by"] == "pc6"
    assert "C" not in got.index
    assert any("row 4 (id C): postcode 9999ZZ is not in a PC6 → buurt crosswalk" in t for t in said)


def test_report_has_the_portfolio_chapter_with_the_exposure_table(store_copy, planted, tmp_path):
    """`report --corporation` on a store with that portfolio: chapter 'Uw bezit' with the table of dwellings
    per area class, equal to the overlay's exposure; with another name, the box says how to load it."""
    import subprocess
    out = tmp_path / "rep"
    res = run_cli("report", "-r", "GM0363", "--from", "2005", "--to", "2017", "--corporation", "Woonstad",
                  "--out", str(out), store=store_copy)
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(out / "tables" / "table_portfolio.csv", dtype=str)
    s = open_store(str(store_copy), read_only=True)
    try:
        exp = get_analysis("portfolio")(s, corporation="Woonstad", region=["GM0363"], year_from=2005,
                                        year_to=2017).extra["exposure"]
    finally:
        s.close()
    exp = exp[exp["period"] == "2005-2017"]
    shown = [x.replace(".", "") for x in table["woningen"]]
    want = ["minder dan 10" if sup else str(int(n)) for n, sup in zip(exp["dwellings"], exp["suppressed"])]
    assert shown == want
    text = subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Uw bezit" in text and "geen bezit van Woonstad" not in text and "privé" in text
