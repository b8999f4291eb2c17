"""The CLI on a ``postgresql://`` store gives the answers it gives on a DuckDB file.

Both stores get the same commands in real subprocesses — ingest two KWB editions of Utrecht (and one
again: skipped), an identity crosswalk, harmonise, and two analyses — and the stores and the analyses'
JSON are compared value for value; then ``veerkracht serve`` on each (a real server on 127.0.0.1, stopped
by PID) answers the API routes with the same bytes.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pandas as pd
import pytest

from tests.cli.conftest import run_cli
from veerkracht.store import open_store

pytestmark = pytest.mark.postgis

_GROUPS = {f"wijk{i:02d}": [f"WK0344{i:02d}"] for i in range(1, 11)}


def _run_all(store: str, kwb) -> dict:
    out = {}
    steps = {
        "ingest23": ("ingest", "cbs-kwb", str(kwb / "kwb_2023_gemeente_utrecht.csv")),
        "ingest24": ("ingest", "cbs-kwb", str(kwb / "kwb_2024_gemeente_utrecht.csv")),
        "again24": ("ingest", "cbs-kwb", str(kwb / "kwb_2024_gemeente_utrecht.csv")),
        "crosswalk": ("crosswalk", "--from", "cbs2023", "--to", "cbs2024", "--basis", "identity", "--level", "buurt"),
        "harmonise": ("harmonise", "--to", "cbs2024"),
        "relative": ("analyse", "relative", "-i", "corp_share", "--geo-version", "cbs2023", "-o", "level=buurt",
                     "--format", "json"),
        "benchmark": ("analyse", "benchmark", "-i", "corp_share", "--from", "2023", "--to", "2024", "--geo-version",
                      "cbs2024", "-o", "level=buurt", "-o", "groups=" + json.dumps(_GROUPS), "-o", "n_boot=50",
                      "-o", "n_peers=2", "--format", "json"),
    }
    for name, args in steps.items():
        res = run_cli(*args, store=store)
        assert res.returncode == 0, f"{name} on {store}: {res.stderr[-2000:]}"
        out[name] = res
    return out


def _contents(location: str) -> dict:
    s = open_store(location, read_only=True)
    try:
        facts = s.facts().sort_values(["geo_version", "indicator", "code", "year", "source"]).reset_index(drop=True)
        areas = s.areas(geometry=False)
        return {"facts": facts, "areas": areas, "crosswalk": s.crosswalk(), "n_prov": len(s.provenance()),
                "versions": s.geo_versions()[["id", "n_areas", "n_facts"]]}
    finally:
        s.close()


def test_cli_on_postgis_answers_as_on_duckdb(real_data, tmp_path, pg_url):
    kwb = real_data / "kwb_utrecht_gemeente"
    duck = str(tmp_path / "s.duckdb")
    on_duck, on_pg = _run_all(duck, kwb), _run_all(pg_url, kwb)
    assert "already loaded" in on_pg["again24"].stdout + on_pg["again24"].stderr

    a, b = _contents(duck), _contents(pg_url)
    assert len(a["facts"]) == len(b["facts"]) == 1098 * 2 + 111 * 9   # two editions + 111 buurten × 9 indicators harmonised
    pd.testing.assert_frame_equal(a["facts"], b["facts"], check_dtype=False)
    pd.testing.assert_frame_equal(a["areas"], b["areas"], check_dtype=False)
    pd.testing.assert_frame_equal(a["crosswalk"], b["crosswalk"], check_dtype=False)
    pd.testing.assert_frame_equal(a["versions"], b["versions"], check_dtype=False)
    assert a["n_prov"] == b["n_prov"] == 2

    rel_d, rel_p = json.loads(on_duck["relative"].stdout), json.loads(on_pg["relative"].stdout)
    assert rel_p["table"] == rel_d["table"] and rel_p["summary"]["message"] == rel_d["summary"]["message"]
    assert len(rel_p["table"]) == 111
    # a value straight from the file: Halve Maan-Zuid, p_wcorpw 2023
    csv = pd.read_csv(kwb / "kwb_2023_gemeente_utrecht.csv", dtype=str).set_index("gwb_code")
    row = next(r for r in rel_p["table"] if r["code"] == "BU03440113")
    assert row["value"] == float(csv.loc["BU03440113", "p_wcorpw"]) == 9.0

    ben_d, ben_p = json.loads(on_duck["benchmark"].stdout), json.loads(on_pg["benchmark"].stdout)
    assert ben_p["table"] == ben_d["table"] and len(ben_p["table"]) == 10
    sizes = [r["size"] for r in ben_p["table"]]
    assert all(np.isfinite(sizes)) and sum(r["n_areas"] for r in ben_p["table"]) == 111

    _same_api(duck, pg_url)


_ROUTES = ["/api/meta", "/api/values?version=cbs2023&level=buurt&indicator=corp_share&year=2023",
           "/api/export.csv?version=cbs2023&level=buurt&indicator=corp_share&year=2023",
           "/api/profile/cbs2023/BU03440113", "/api/search?q=Halve"]


def _serve(store: str):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "veerkracht.cli", "--store", store, "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/meta", timeout=5)
            return proc, port
        except OSError:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    raise AssertionError(f"veerkracht serve on {store} did not answer")


def _same_api(duck: str, pg: str) -> None:
    answers = []
    for store in (duck, pg):
        proc, port = _serve(store)
        try:
            answers.append({r: urllib.request.urlopen(f"http://127.0.0.1:{port}{r}", timeout=60).read() for r in _ROUTES})
        finally:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    # the two stores were loaded seconds apart: the load times in a profile's sources differ, nothing else
    when = re.compile(rb'"loaded_at":"[^"]*"')
    assert [{r: when.sub(b"", body) for r, body in a.items()} for a in answers] == \
        [{r: when.sub(b"", body) for r, body in answers[0].items()}] * 2
    assert when.search(answers[1][_ROUTES[3]])
    csv = answers[1][_ROUTES[2]].decode()
    assert "BU03440113" in csv and len(csv.splitlines()) > 100
    values = json.loads(answers[1][_ROUTES[1]])
    assert len(values["areas"]) == 111 and values["areas"]["BU03440113"][0] == 9.0
