"""Same question, same answer: the map API, the report, the map's CSV export and the CLI give one
typology (and one concentration map) for one region and period.

All four read the demo store that ``veerkracht demo`` built (``demo_out``); the report is the one
the demo wrote (Amsterdam, 2005–2017). Nothing here is typed in: each output is compared with the
others.
"""
from __future__ import annotations

import io
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from .conftest import run_cli

LISTED = {"problem", "vulnerable", "signal"}
REGION, VERSION, LEVEL = "GM0363", "cbs2019", "wijk"


@pytest.fixture(scope="module")
def store_copy(demo_out, tmp_path_factory):
    path = tmp_path_factory.mktemp("same") / "demo.duckdb"
    shutil.copy(demo_out / "demo.duckdb", path)
    return path


@pytest.fixture(scope="module")
def client(store_copy):
    from fastapi.testclient import TestClient

    from veerkracht.web.app import create_app
    with TestClient(create_app(str(store_copy), warm=False), raise_server_exceptions=False) as c:
        yield c


def _map(client, mode: str, indicator: str, y0: int, y1: int, lang: str = "nl") -> dict[str, tuple]:
    body = client.get("/api/values", params={"version": VERSION, "level": LEVEL, "region": REGION, "mode": mode,
                                             "indicator": indicator, "year": y1, "year_from": y0,
                                             "lang": lang}).json()
    assert body["available"], body.get("message")
    return {code: (str(cls), body["rules"].get(code)) for code, (_, cls, status) in body["areas"].items()
            if status in ("ok", "unreliable")}, body


def _cli(store, name: str, y0: int, y1: int, *opts) -> pd.DataFrame:
    res = run_cli("analyse", name, "--region", REGION, "--from", str(y0), "--to", str(y1), "--geo-version", VERSION,
                  "-o", f"level={LEVEL}", *opts, "--format", "json", store=store)
    assert res.returncode == 0, res.stderr
    return pd.DataFrame(json.loads(res.stdout)["table"])


@pytest.mark.parametrize("y0, y1", [(2005, 2017), (2013, 2017)])
def test_typology_is_one_answer(demo_out, store_copy, client, y0, y1):
    # the map: the classes and rules of every shown area
    shown, body = _map(client, "typology", "bijstand_per_100_dwellings", y0, y1)
    assert body["title"] == f"Typologie {y0}–{y1}"
    map_list = {c: (k.split(":")[0], r) for c, (k, r) in shown.items() if k.split(":")[0] in LISTED}
    # the CLI's JSON, with the same scope
    cli = _cli(store_copy, "typology", y0, y1)
    cli = cli[cli["class"].isin(LISTED) & ~cli["suppressed"]]
    cli_list = dict(zip(cli["code"], zip(cli["class"], cli["rule"])))
    assert map_list == cli_list and len(map_list) >= 5
    # the map's CSV export of the same view
    csv = client.get("/api/export.csv", params={"version": VERSION, "level": LEVEL, "region": REGION,
                                                "mode": "typology", "indicator": "bijstand_per_100_dwellings",
                                                "year": y1, "year_from": y0})
    exp = pd.read_csv(io.StringIO(csv.text), dtype=str)
    exp = exp[exp["class"].fillna("").str.split(":").str[0].isin(LISTED)]
    assert dict(zip(exp["code"], zip(exp["class"].str.split(":").str[0], exp["rule"]))) == map_list
    # the demo's analysis files (2013–2017) and the report (2005–2017)
    if (y0, y1) == (2013, 2017):
        files = pd.read_csv(demo_out / "analyses" / "typology-wijken-2013-2017.csv")
        files = files[files["class"].isin(LISTED) & ~files["suppressed"]]
        assert dict(zip(files["code"], zip(files["class"], files["rule"]))) == map_list
        about = (demo_out / "analyses" / "typology-wijken-2013-2017.about.txt").read_text(encoding="utf-8")
        assert "Overlast: Overlast (veiligheidsindex) (2017)" in about and "nuisance" not in about
    else:
        rep = pd.read_csv(demo_out / "report" / "tables" / "typology_areas.csv")
        assert dict(zip(rep["code"], zip(rep["class"], rep["rule"]))) == map_list


def test_concentration_is_one_answer(demo_out, store_copy, client):
    shown, body = _map(client, "concentration", "bijstand_per_100_dwellings", 2005, 2017)
    cli = _cli(store_copy, "concentration", 2005, 2017, "--indicator", "bijstand_per_100_dwellings")
    cli = cli[(cli["class"] != "") & ~cli["suppressed"]]
    assert {c: k for c, (k, _) in shown.items()} == dict(zip(cli["code"], cli["class"]))
    files = pd.read_csv(demo_out / "analyses" / "concentration-bijstand-2005-2017.csv", dtype={"class": str})
    files = files[files["class"].notna() & ~files["suppressed"]]
    assert dict(zip(files["code"], files["class"])) == {c: k for c, (k, _) in shown.items()}


def test_the_map_never_measures_outside_the_period_silently(client):
    """The year selector says 2005–2013 and no nuisance measure has values in it: the typology
    takes the nearest year (2014, the safety index's first), never the Leefbaarometer of 2022 (as
    before), and the layer's notes say the year lies outside the period."""
    _, body = _map(client, "typology", "bijstand_per_100_dwellings", 2005, 2013)
    assert body["title"] == "Typologie 2005–2013"
    text = " ".join(body["notes"])
    assert "uit 2014: dat ligt buiten de periode 2005–2013" in text and "2022" not in text


def test_corp_profile_of_the_report_is_the_cli_answer(demo_out, store_copy):
    """The report writes the parameters it ran each analysis with (analyses.json); the CLI asked the
    same question gives the same index and interval for every corporation-share bin and year."""
    report = demo_out / "report"
    used = json.loads((report / "analyses.json").read_text(encoding="utf-8"))["corp-profile"]["params"]
    ind = used["indicator"]
    rep = pd.read_csv(report / "tables" / f"profile_{ind}.csv")
    res = run_cli("analyse", "corp-profile", "-i", ind, "--region", ",".join(used["region"]),
                  "--from", str(used["year_from"]), "--to", str(used["year_to"]), "--geo-version", used["geo_version"],
                  "-o", f"level={used['level']}", "-o", f"index_on={used['index_on']}", "--format", "json",
                  store=store_copy)
    assert res.returncode == 0, res.stderr
    cli = pd.DataFrame(json.loads(res.stdout)["table"])
    key = ["year", "bin_label"]
    both = rep.merge(cli, on=key, suffixes=("_report", "_cli"))
    assert len(both) == len(rep) == len(cli) >= 8
    for col in ("index", "index_lo", "index_hi", "n_areas"):
        assert both[f"{col}_report"].fillna(-1).to_numpy() == pytest.approx(both[f"{col}_cli"].fillna(-1).to_numpy())


def test_gemeente_level_region_is_one_answer(demo_out, store_copy, client, tmp_path):
    """A gemeente-level region (Utrecht 2020–2025, gemeente figures only): the report's peer
    comparison equals the CLI's for the parameters the report says it used; the map, its CSV export
    and the CLI give one concentration map of the gemeenten for the same years."""
    from veerkracht.report import build_report
    from veerkracht.store import open_store
    store = open_store(str(store_copy), read_only=True)
    try:
        build_report(store, region=["GM0344"], year_from=2020, year_to=2025, out_dir=tmp_path / "utrecht")
    finally:
        store.close()
    used = json.loads((tmp_path / "utrecht" / "analyses.json").read_text(encoding="utf-8"))["benchmark"]["params"]
    rep = pd.read_csv(tmp_path / "utrecht" / "tables" / "benchmark_GM0344.csv").set_index("group")
    res = run_cli("analyse", "benchmark", "-i", used["indicator"], "--from", str(used["year_from"]),
                  "--to", str(used["year_to"]), "--geo-version", used["geo_version"], "-o", f"level={used['level']}",
                  "-o", "groups=" + json.dumps(used["groups"]), "--format", "json", store=store_copy)
    assert res.returncode == 0, res.stderr
    cli = pd.DataFrame(json.loads(res.stdout)["table"]).set_index("group").loc[rep.index]
    assert len(rep) > 300
    for col in ("value_from", "value_to", "trend", "peer_group", "rank_trend"):
        a, b = rep[col], cli[col]
        if pd.api.types.is_numeric_dtype(a):
            assert np.allclose(a.astype(float), b.astype(float), equal_nan=True), col
        else:
            assert (a.astype(str) == b.astype(str)).all(), col

    params = {"version": "cbs2023", "level": "gemeente", "indicator": "corp_share", "mode": "concentration",
              "year": 2025, "year_from": 2020}
    body = client.get("/api/values", params=params).json()
    shown = {c: k for c, (_, k, s) in body["areas"].items() if s in ("ok", "unreliable")}
    res = run_cli("analyse", "concentration", "-i", "corp_share", "--from", "2020", "--to", "2025",
                  "--geo-version", "cbs2023", "-o", "level=gemeente", "--format", "json", store=store_copy)
    cli = pd.DataFrame(json.loads(res.stdout)["table"])
    cli = cli[(cli["class"] != "") & ~cli["suppressed"]]
    assert len(shown) > 300 and shown == dict(zip(cli["code"], cli["class"]))
    exp = pd.read_csv(io.StringIO(client.get("/api/export.csv", params=params).text), dtype=str)
    exp = exp[exp["class"].notna()]
    assert dict(zip(exp["code"], exp["class"])) == shown
