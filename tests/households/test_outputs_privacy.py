"""The household analyses in every output, and the privacy of the microdata behind them.

A store with the demo's Amsterdam areas, one indicator (so the map has a view), a synthetic survey and a
synthetic tenant panel, used as a new user would: ``veerkracht synth``, ``ingest``, ``analyse``,
``export``, the social map's API and the report. No output holds a person-level row (no dwelling,
household or respondent id, no record-level table), and no count below the suppression threshold.
Without the microdata the map and the report say "niet beschikbaar".
"""
from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.households.conftest import with_corp_share
from veerkracht.cli import _register_analyse, _register_ingest, _register_synth, app

#: what a record-level leak would show: the synthetic files' dwelling and household ids, respondent weights
_IDS = re.compile(r"VHE\d{7}|HH\d{8}")


def _cli(*args, stdout: bool = False):
    res = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})    # no wrapped lines
    assert res.exit_code == 0, res.output
    return res.stdout if stdout else res.output


def _report(path, out):
    """The report on the store at ``path`` for every wijk of its Amsterdam, 2013–2017."""
    from veerkracht.report import build_report
    from veerkracht.store import open_store
    store = open_store(str(path), read_only=True)
    try:
        wijken = list(store.areas(geo_version="cbs2019", level="wijk", geometry=False)["code"])
        res = build_report(store, region=wijken, year_from=2013, year_to=2017, out_dir=out)
    finally:
        store.close()
    return res, (out / "report.html").read_text(encoding="utf-8")


def _with_corp_share(path, years=(2013, 2017)) -> None:
    from veerkracht.store import open_store
    store = open_store(str(path))
    with_corp_share(store, years)
    store.close()


@pytest.fixture(scope="module")
def user_store(tmp_path_factory, areas_store_path):
    """The steps of a new user, through the CLI."""
    for reg in (_register_analyse, _register_ingest, _register_synth):
        reg()
    d = tmp_path_factory.mktemp("user")
    path = d / "store.duckdb"
    shutil.copy(areas_store_path, path)
    _with_corp_share(path)
    out = _cli("--store", path, "synth", "survey", "--out", d / "woon.sav", "--n", 3000)
    assert "veerkracht ingest survey" in " ".join(out.split())        # the console may wrap the line
    _cli("--store", path, "ingest", "survey", d / "woon.sav", "--mapping", d / "woon.toml")
    out = _cli("--store", path, "synth", "tenants", "--out", d / "huurders.csv", "--geo-version", "cbs2019",
               "--level", "buurt", "--region", "GM0363", "--truth", d / "truth.json")
    assert json.loads((d / "truth.json").read_text())["exit"]["weak"]["middle_high"] == 0.14
    out = _cli("--store", path, "ingest", "tenants", d / "huurders.csv", "--mapping", d / "huurders.toml")
    out = " ".join(out.split())
    assert "private dataset 'huurders'" in out and "tenant_contracts" in out
    return path, d


def test_the_cli_answers_with_aggregates_only(user_store, tmp_path):
    path, d = user_store
    raw = (d / "huurders.csv").read_text()
    assert _IDS.search(raw)                       # the file itself holds ids …
    for name in ("survey-trends", "dynamics"):
        for fmt in ("json", "csv", "table"):
            out = _cli("--store", path, "analyse", name, "--format", fmt)
            assert not _IDS.search(out), (name, fmt)
    # the survey answers per figure cell, never per respondent
    js = json.loads(_cli("--store", path, "analyse", "survey-trends", "--format", "json", stdout=True))
    table = pd.DataFrame(js["table"])
    assert len(table) < 300 and (table["n"].dropna() >= 50).all()
    assert "Aandeel laagste inkomens" in _cli("--store", path, "analyse", "survey-trends")
    # the panel answers per area: no count below 10, no area below 50 households
    js = json.loads(_cli("--store", path, "analyse", "dynamics", "-o", "level=wijk", "--format", "json", stdout=True))
    t = pd.DataFrame(js["table"])
    assert (t["n_start"].dropna() >= 50).all() and len(t) <= 99
    assert (t["n_out"].dropna() >= 10).all() and (t["n_in"].dropna() >= 10).all()
    g = pd.DataFrame(js["extra"]["groups"])
    for col in ("n_start", "n_out", "n_in"):
        assert (g[col].dropna() >= 10).all()
    # the layer file too
    _cli("--store", path, "analyse", "dynamics", "-o", "level=wijk", "--layer", tmp_path / "dyn.geojson")
    text = (tmp_path / "dyn.geojson").read_text()
    assert not _IDS.search(text) and '"change"' in text
    # the fact exports and listings know nothing of the private tables
    _cli("--store", path, "export", "-i", "corp_share", "--to", "cbs2019", "--out", tmp_path / "x.csv")
    assert not _IDS.search((tmp_path / "x.csv").read_text())
    for args in (("facts", "-i", "corp_share", "-a", "WK036300"), ("provenance",), ("indicators",)):
        assert not _IDS.search(_cli("--store", path, *args))


def test_there_is_no_way_to_name_a_private_table(user_store, tmp_path):
    path, _ = user_store
    for args in (("facts", "-i", "tenant_contracts", "-a", "BU03630000"),
                 ("export", "-i", "survey_respondents", "--to", "cbs2019", "--out", tmp_path / "y.csv")):
        res = CliRunner().invoke(app, ["--store", str(path), *map(str, args)])
        written = (tmp_path / "y.csv").read_text() if (tmp_path / "y.csv").exists() else ""
        assert not _IDS.search(res.output + written) and "weegfactor" not in res.output + written


def test_the_map_shows_the_dynamics_layer_and_no_records(user_store, tmp_path):
    from fastapi.testclient import TestClient

    from veerkracht.web.app import create_app
    path, _ = user_store
    copy = tmp_path / "web.duckdb"
    shutil.copy(path, copy)
    with TestClient(create_app(str(copy), warm=False)) as client:
        meta = client.get("/api/meta")
        modes = {m["id"]: m for m in meta.json()["modes"]}
        assert modes["dynamics"]["label_nl"] == "Dynamiek: instroom, uitstroom, blijvers"
        body = client.get("/api/values", params={"version": "cbs2019", "level": "wijk",
                                                 "indicator": "corp_share", "mode": "dynamics", "year": 2017,
                                                 "year_from": 2013, "lang": "nl"})
        assert body.status_code == 200, body.text
        data = body.json()
        assert data["available"], data
        shown = [v for v in data["areas"].values() if v[2] == "ok"]
        assert len(shown) >= 90
        texts = [meta.text, body.text]
        for route in client.get("/openapi.json").json()["paths"]:
            assert "survey" not in route and "tenant" not in route
        texts.append(client.get("/api/values", params={"version": "cbs2019", "level": "buurt",
                                                       "indicator": "corp_share", "mode": "dynamics",
                                                       "year": 2017}).text)
    assert not any(_IDS.search(t) for t in texts)


def test_without_microdata_map_and_report_say_not_available(areas_store_path, tmp_path):
    from fastapi.testclient import TestClient

    from veerkracht.web.app import create_app
    path = tmp_path / "plain.duckdb"
    shutil.copy(areas_store_path, path)
    _with_corp_share(path, years=(2017,))
    with TestClient(create_app(str(path), warm=False)) as client:
        data = client.get("/api/values", params={"version": "cbs2019", "level": "wijk",
                                                 "indicator": "corp_share", "mode": "dynamics", "year": 2017}).json()
        survey = client.get("/api/values", params={"version": "cbs2019", "level": "wijk",
                                                   "indicator": "corp_share", "mode": "survey-trends", "year": 2017}).json()
    assert not data["available"] and "niet beschikbaar" in data["message"]
    assert not survey["available"] and "niet beschikbaar" in survey["message"]
    res, html = _report(path, tmp_path / "r")
    assert res["sections"]["dynamics"] != "ok" and res["sections"]["survey-trends"] != "ok"
    assert html.count("niet beschikbaar") >= 2


def test_the_report_has_both_chapters_and_no_records(user_store, tmp_path):
    path, _ = user_store
    res, html = _report(path, tmp_path / "r")
    assert res["sections"]["survey-trends"] == "ok" and res["sections"]["dynamics"] == "ok"
    assert "Trends uit de woonenquête" in html and "Dynamiek: instroom, uitstroom, blijvers" in html
    assert "instroom" in html and "Aandeel laagste inkomens" in html
    assert not _IDS.search(html)
    for f in (tmp_path / "r").rglob("*"):
        if f.is_file() and f.suffix in (".csv", ".json", ".html"):
            assert not _IDS.search(f.read_text(encoding="utf-8", errors="ignore")), f
