"""The command line as a user meets it: the demo, looking at facts, errors, exports, analyses."""
from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest

from veerkracht.store import open_store

from .conftest import run_cli


def test_demo_writes_outputs(demo_out):
    log = json.loads((demo_out / "demo-log.json").read_text())
    assert log["seconds"] < 60
    for name in ("corp-profile-bijstand-2005-2017", "tipping-point-lbm-2012-2018", "liveability-start"):
        assert (demo_out / "analyses" / f"{name}.json").exists()
        assert (demo_out / "analyses" / f"{name}.png").stat().st_size > 10_000
    assert (demo_out / "data" / "amsterdam_wijken_cbs2019.gpkg").exists()


def test_facts_show_real_corp_share_for_several_years(demo_out, real_data):
    # --raw: the stored values (secondary suppression hides some of these cells in every output)
    res = run_cli("facts", "--indicator", "corp_share", "--area", "BU03630000", "--format", "csv", "--raw",
                  store=demo_out / "demo.duckdb")
    assert res.returncode == 0, res.stderr
    from io import StringIO
    df = pd.read_csv(StringIO(res.stdout))
    # the OIS yearbook: Kop Zeedijk (A00a) 21 of 644 dwellings in 2005, 83 of 740 in 2017
    raw = pd.read_csv(real_data / "amsterdam_ois" / "amsterdam_buurt_woningvoorraad_eigendom_2005_2009_2013_2017.csv")
    kop = raw[raw["cbs_bu_code_afgeleid"] == "BU03630000"].set_index("jaar")
    by_year = df.set_index("year")
    for year in (2005, 2009, 2013, 2017):
        assert by_year.loc[year, "numerator"] == kop.loc[year, "huur_corporatie"]
        assert by_year.loc[year, "denominator"] == kop.loc[year, "woningen_totaal"]
        assert by_year.loc[year, "value"] == pytest.approx(100 * kop.loc[year, "huur_corporatie"]
                                                           / kop.loc[year, "woningen_totaal"])
    assert {2005, 2009, 2013, 2017, 2018} <= set(df["year"])


def test_harmonising_conserves_amsterdam_dwelling_total(demo_out, real_data):
    raw = pd.read_csv(real_data / "amsterdam_ois" / "amsterdam_buurt_woningvoorraad_eigendom_2005_2009_2013_2017.csv")
    store = open_store(demo_out / "demo.duckdb", read_only=True)
    try:
        buurten = store.areas(geo_version="cbs2019", level="buurt", geometry=False)["code"]
        f = store.facts(indicator="dwellings", geo_version="cbs2019", codes=list(buurten))
        for year in (2005, 2009, 2013):
            harmonised = f[(f["year"] == year) & (f["origin_version"] == "ois2005")]["value"].sum()
            assert harmonised == pytest.approx(raw[raw["jaar"] == year]["woningen_totaal"].sum(), rel=1e-9)
        # and onwards to the gemeente: the city total of 2005 through buurt → wijk → gemeente
        gm = store.facts(indicator="dwellings", geo_version="cbs2019", codes=["GM0363"], years=[2005])
        assert gm["value"].iloc[0] == pytest.approx(raw[raw["jaar"] == 2005]["woningen_totaal"].sum(), rel=1e-9)
    finally:
        store.close()


def test_lineage_names_the_source_buurten(demo_out):
    res = run_cli("lineage", "--to", "cbs2019", "--area", "BU03630000", "--from", "ois2005",
                  store=demo_out / "demo.duckdb")
    assert res.returncode == 0, res.stderr
    assert "A00a" in res.stdout


def test_bad_input_names_file_row_and_column(tmp_path, real_data):
    df = pd.read_csv(real_data / "kwb_utrecht_gemeente" / "kwb_2023_gemeente_utrecht.csv", dtype=str,
                     keep_default_na=False)
    df.loc[2, "p_wcorpw"] = "veel"           # data row 3 = file row 4
    bad = tmp_path / "kwb-2023.csv"
    df.to_csv(bad, index=False)
    res = run_cli("ingest", "cbs-kwb", str(bad), store=tmp_path / "s.duckdb")
    assert res.returncode == 1
    msg = " ".join(res.stderr.split())
    assert str(bad) in msg.replace("\n", "") or "kwb-2023.csv" in msg
    assert "row 4" in msg and "p_wcorpw" in msg
    assert "Traceback" not in res.stderr


def test_ingest_twice_changes_nothing_from_the_cli(tmp_path, real_data):
    f = real_data / "kwb_gemeente_2020_2025" / "kwb_gemeente_woningvoorraad_2020_2025.csv"
    store = tmp_path / "s.duckdb"
    first = run_cli("ingest", "cbs-kwb", str(f), store=store)
    second = run_cli("ingest", "cbs-kwb", str(f), store=store)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "already loaded" in second.stdout
    s = open_store(store, read_only=True)
    assert len(s.facts(indicator="corp_share")) == 2078
    assert len(s.provenance()) == 1
    s.close()


def test_exports_open_and_suppress(demo_out, tmp_path):
    st = demo_out / "demo.duckdb"
    for fmt in ("csv", "parquet", "gpkg"):
        out = tmp_path / f"corp.{fmt}"
        res = run_cli("export", "-i", "corp_share", "--to", "cbs2019", "--level", "buurt", "--format", fmt,
                      "--out", str(out), store=st)
        assert res.returncode == 0, res.stderr
    csv = pd.read_csv(tmp_path / "corp.csv")
    small = csv["denominator"] < 50
    assert not small.any()                      # small denominators never leave the store
    assert (csv["flags"].fillna("").str.contains("suppressed")).any()
    assert csv["value"].isna().sum() >= csv["flags"].fillna("").str.contains("suppressed").sum()
    gpkg = gpd.read_file(tmp_path / "corp.gpkg")
    assert gpkg.crs.to_epsg() == 4326
    # every area and year is in the GeoPackage, suppressed ones as empty cells, not as holes
    assert len(gpkg) == len(csv.drop_duplicates(["code", "year"])) and gpkg["code"].nunique() == 479
    pq = pd.read_parquet(tmp_path / "corp.parquet")
    assert len(pq) == len(csv)
    assert (tmp_path / "corp.provenance.csv").exists()


def test_analyse_list_and_json(demo_out):
    res = run_cli("analyse", "--list")
    for name in ("corp-profile", "liveability", "tipping-point", "change-model", "typology", "concentration",
                 "relative", "hotspots", "benchmark"):
        assert name in res.stdout
    res = run_cli("analyse", "corp-profile", "--region", "GM0363", "--from", "2005", "--to", "2017",
                  "-i", "corp_share", "--geo-version", "cbs2019", "-o", "level=buurt", "-o", "n_boot=50",
                  "--format", "json", store=demo_out / "demo.duckdb")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["analysis"] == "corp-profile" and out["params"]["year_from"] == 2005
    assert len(out["table"]) > 0


def test_unknown_things_get_clear_errors(demo_out):
    st = demo_out / "demo.duckdb"
    res = run_cli("facts", "-i", "no_such_indicator", "-a", "BU03630000", store=st)
    assert res.returncode == 1 and "unknown indicator" in res.stderr and "Traceback" not in res.stderr
    res = run_cli("analyse", "no-such-analysis", store=st)
    assert res.returncode == 1 and "unknown analysis" in res.stderr
    res = run_cli("ingest", "no-such-reader", "x.csv", store=st)
    assert res.returncode == 1 and "unknown reader kind" in res.stderr


def test_every_command_is_documented_in_the_readme():
    from pathlib import Path

    from veerkracht.cli import _register_analyse, _register_report, app

    _register_analyse()
    _register_report()
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    import typer.main
    names = {c.name or c.callback.__name__ for c in typer.main.get_command(app).commands.values()}
    missing = [n for n in names if f"veerkracht {n}" not in readme and "--store" not in n]
    assert not missing, f"commands missing from README: {missing}"


def test_ingest_from_the_cbs_api_on_loopback(tmp_path):
    """`veerkracht ingest cbs-odata` against a CBS-format server in its own process, stopped by PID."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    srv = subprocess.Popen([sys.executable, "-m", "tests.servers.cbs_odata"], cwd=root,
                           stdout=subprocess.PIPE, text=True)
    try:
        base = srv.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:")
        res = run_cli("ingest", "cbs-odata", "cbs:85618NED", "-o", f"base_url={base}/ODataFeed/odata",
                      store=tmp_path / "s.duckdb")
        assert res.returncode == 0, res.stderr
        s = open_store(tmp_path / "s.duckdb", read_only=True)
        f = s.facts(indicator="corp_share", codes=["GM0344"])
        s.close()
        # KWB 2023, Utrecht: 31 % of 165,400 dwellings (the same figure as the published file)
        assert f["value"].tolist() == [31.0] and f["denominator"].tolist() == [165400.0]
    finally:
        os.kill(srv.pid, signal.SIGTERM)
        srv.wait(timeout=10)


def test_gemeenten_harmonised_onto_2023_are_conserved_and_exact(demo_out, real_data):
    """Merges move whole gemeenten; unchanged codes are not nibbled by generalisation slivers."""
    kwb = pd.read_csv(real_data / "kwb_gemeente_2020_2025" / "kwb_gemeente_woningvoorraad_2020_2025.csv")
    k = kwb.set_index(["year", "gwb_code"])["a_woning"]
    store = open_store(demo_out / "demo.duckdb", read_only=True)
    try:
        f = store.facts(indicator="dwellings", geo_version="cbs2023")
        f = f[f["code"].str.startswith("GM")].set_index(["year", "code"])["value"]
        for year in (2020, 2021, 2022):
            assert f.loc[year].sum() == pytest.approx(kwb[kwb["year"] == year]["a_woning"].sum(), rel=1e-9)
        # Weesp (GM0457) joined Amsterdam in 2022; Utrecht did not change
        assert f.loc[(2021, "GM0363")] == k.loc[(2021, "GM0363")] + k.loc[(2021, "GM0457")]
        assert f.loc[(2021, "GM0344")] == k.loc[(2021, "GM0344")]
        # Appingedam, Delfzijl and Loppersum (2020) are Eemsdelta (2021 on)
        assert f.loc[(2020, "GM1979")] == k.loc[(2020, "GM0003")] + k.loc[(2020, "GM0010")] + k.loc[(2020, "GM0024")]
        # Haaren was split in 2021: its 2020 dwellings are divided by area, and the result says so
        haaren = store.crosswalk(from_version="cbs2020", to_version="cbs2023")
        targets = haaren[haaren["from_code"] == "GM0788"]["to_code"]
        flags = store.facts(indicator="dwellings", geo_version="cbs2023", codes=list(targets), years=[2020])["flags"]
        assert len(targets) >= 3 and flags.str.contains("split_estimate").all()
    finally:
        store.close()


def test_usage_errors_are_short_and_json_stays_json(demo_out, tmp_path):
    st = demo_out / "demo.duckdb"
    for args in (["provenance", "--format", "csv"], ["facts", "-i", "corp_share"], ["nosuch"]):
        res = run_cli(*args, store=st)
        assert res.returncode == 2 and "Traceback" not in res.stderr and "Error:" in res.stderr
        assert len(res.stderr.splitlines()) <= 6
    # JSON on stdout, the figure message on stderr; a list option given as plain text
    res = run_cli("analyse", "typology", "--region", "GM0363", "--geo-version", "cbs2019", "-o", "level=wijk",
                  "-o", "standin_components=bijstand_per_100_dwellings", "-o", "nuisance=nuisance",
                  "--from", "2013", "--to", "2017", "--format", "json", "--figure", str(tmp_path / "t.png"),
                  store=st)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["params"]["standin_components"] == ["bijstand_per_100_dwellings"]
    assert (tmp_path / "t.png").stat().st_size > 10_000 and "figure written" in res.stderr
    # notes in the chosen language only
    assert "EN: " not in res.stderr and "LVB ontbreekt" in " ".join(res.stderr.split())


def test_small_counts_do_not_undo_a_suppressed_share(demo_out, tmp_path):
    """A buurt's corp_share 5/600 is suppressed; its count of 5 corporation dwellings must be too."""
    out = tmp_path / "c.csv"
    res = run_cli("export", "-i", "corp_share", "-i", "corp_dwellings", "--to", "cbs2019", "--level", "buurt",
                  "--format", "csv", "--out", str(out), store=demo_out / "demo.duckdb")
    assert res.returncode == 0, res.stderr
    df = pd.read_csv(out)
    counts = df[df["indicator"] == "corp_dwellings"]
    assert not counts["value"].between(1, 9).any()
    assert counts["flags"].fillna("").str.contains("suppressed").any()


def test_facts_suppress_small_numbers_unless_raw(demo_out):
    """The CLI is an output like the map: a share resting on 1–9 corporation dwellings is blank;
    --raw shows it (the analyst checking a load in their own store)."""
    from io import StringIO

    from veerkracht.store import open_store
    store = open_store(str(demo_out / "demo.duckdb"), read_only=True)
    f = store.facts(indicator="corp_share", geo_version="cbs2019")
    store.close()
    small = f[(f["numerator"] >= 1) & (f["numerator"] < 10)].iloc[0]
    args = ("facts", "-i", "corp_share", "-a", small["code"], "--geo-version", "cbs2019", "--format", "csv")
    shown = pd.read_csv(StringIO(run_cli(*args, store=demo_out / "demo.duckdb").stdout)).set_index("year")
    raw = pd.read_csv(StringIO(run_cli(*args, "--raw", store=demo_out / "demo.duckdb").stdout)).set_index("year")
    y = int(small["year"])
    assert pd.isna(shown.loc[y, "value"]) and pd.isna(shown.loc[y, "numerator"]) and "suppressed" in shown.loc[y, "flags"]
    assert raw.loc[y, "numerator"] == small["numerator"] and raw.loc[y, "value"] == pytest.approx(small["value"])


def test_every_analysis_runs_on_the_demo_or_says_which_option_works(demo_out):
    """A newcomer types `veerkracht analyse <name>` on the demo: it runs with its defaults, or the
    error names an indicator the store has (-i …) and that suggestion runs."""
    import re
    store = demo_out / "demo.duckdb"
    listed = run_cli("analyse", store=store).stdout
    names = re.findall(r"^(\S+)\s{2,}", listed, flags=re.M)
    assert len(names) >= 9
    from veerkracht.analysis import get_analysis
    st = open_store(str(store), read_only=True)
    try:   # analyses of data a user loads say which data to load (checked in test_analyse_defaults.py)
        needs_data = {n for n in names if not get_analysis(n).available(st)}
    finally:
        st.close()
    ran, suggested, impossible = [], [], []
    for name in names:
        if name in needs_data:
            continue
        res = run_cli("--lang", "en", "analyse", name, "--format", "csv", store=store)
        if res.returncode == 0:
            ran.append(name)
            continue
        hint = re.search(r"e\.g\. -i (\w+)", " ".join(res.stderr.split()))
        if hint is None:                     # no indicator would help: the message says what is missing
            assert "has values in both" in " ".join(res.stderr.split()), res.stderr
            impossible.append(name)
            continue
        again = run_cli("analyse", name, "-i", hint.group(1), "--format", "csv", store=store)
        assert again.returncode == 0, (name, again.stderr)
        suggested.append(name)
    assert {"typology", "liveability", "tipping-point"} <= set(ran)
    assert {"concentration", "relative", "hotspots", "corp-profile"} <= set(suggested)
    assert impossible == ["change-model"]     # the demo has no vulnerable group in the outcome's years


def test_cli_tables_speak_words(demo_out):
    """Table headers are words, not column ids; the typology's class is its label, with the rule."""
    store = demo_out / "demo.duckdb"
    env = {"COLUMNS": "400"}
    for args in (("analyse", "typology"), ("analyse", "concentration", "-i", "bijstand_per_100_dwellings"),
                 ("facts", "-i", "corp_share", "-a", "BU03630000"), ("indicators",)):
        res = run_cli(*args, store=store, env=env)
        assert res.returncode == 0, (args, res.stderr)
        header = next(line for line in res.stdout.splitlines() if line.startswith("┃"))
        cols = [c.strip() for c in header.strip("┃").split("┃")]
        assert cols and not [c for c in cols if "_" in c], (args, cols)
    typ = run_cli("analyse", "typology", store=store, env=env).stdout
    assert "klasse" in typ and "regel die gold" in typ and "geen van deze" in typ
    assert "layer_class" not in typ and " none " not in typ
