"""Two organisations' private data in one PostGIS store, kept apart by PostgreSQL row-level security.

The demo store is copied into a fresh database of the test cluster; organisation Alpha loads a portfolio
(on one half of the Amsterdam buurten) and a tenant panel, Beta a portfolio (on the other half) and a
survey. Then:

- connected as each organisation's role, plain ``SELECT *`` on every private table returns its own rows
  only (the policies hold even when an application forgets a filter), and writing a row for the other
  organisation is refused;
- every route of the map's API (enumerated from the FastAPI app, every map mode for the view routes),
  asked as each organisation's login, never returns a trace of the other's private data (owner, unit and
  complex ids, dataset names), and the portfolio layer colours exactly the organisation's own buurten;
- the report and the export, made as each organisation, likewise.
"""
from __future__ import annotations

import base64
import io
import subprocess

import numpy as np
import pandas as pd
import psycopg
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from veerkracht.store import open_store
from veerkracht.store._pg_orgs import add_account, add_organisation, org_role
from veerkracht.store.copy import copy_store
from veerkracht.store.microdata import ingest_any

ORGS = {"Alpha": {"owner": "Alpha Wonen", "login": "alice", "password": "alpha-geheim", "prefix": "ALPHAUNIT",
                  "complex": "ALPHACPLX", "dataset": "huurders_alpha"},
        "Beta": {"owner": "Beta Woonstichting", "login": "bob", "password": "beta-geheim!", "prefix": "BETAUNIT",
                 "complex": "BETACPLX", "dataset": "woon_beta"}}
N_UNITS = 80


def _other(org: str) -> str:
    return next(o for o in ORGS if o != org)


def _markers(org: str) -> list[str]:
    """Strings only ``org``'s private data holds."""
    o = ORGS[org]
    return [o["owner"], o["prefix"], o["complex"], o["dataset"]]


@pytest.fixture(scope="module")
def shared(pg_cluster, demo_store, tmp_path_factory):
    """The demo store in PostGIS with two organisations' private data; yields (url, planted buurten per org)."""
    from veerkracht.sources import read
    from veerkracht.synth.survey import write_survey
    from veerkracht.synth.tenants import write_tenants

    url = pg_cluster.new_database()
    admin = open_store(url)
    copy_store(demo_store, admin)
    buurten = sorted(admin.areas(geo_version="cbs2019", level="buurt", geometry=False)["code"])
    rng = np.random.default_rng(5)
    halves = {"Alpha": buurten[: len(buurten) // 2], "Beta": buurten[len(buurten) // 2:]}
    planted = {}
    folder = tmp_path_factory.mktemp("rls")
    for org, o in ORGS.items():
        add_organisation(admin, org)
        add_account(admin, o["login"], org, o["password"])
        codes = rng.choice(halves[org], size=N_UNITS)
        rows = pd.DataFrame({"unit_id": [f"{o['prefix']}{i:03d}" for i in range(N_UNITS)],
                             "complex_id": [f"{o['complex']}{i // 4:03d}" for i in range(N_UNITS)],
                             "dwellings": rng.integers(5, 60, size=N_UNITS), "geo_version": "cbs2019", "code": codes,
                             "located_by": "code", "source_row": np.arange(2, N_UNITS + 2)})
        planted[org] = rows
        as_org = open_store(f"{url}?org={org}")
        try:
            assert as_org.write_portfolio(o["owner"], rows) == N_UNITS
            if org == "Alpha":
                res = write_tenants(as_org, folder / f"{o['dataset']}.csv", geo_version="cbs2019", level="buurt", seed=3)
                ingest_any(as_org, read("tenants", res["file"], mapping=res["mapping"]))
            else:
                res = write_survey(folder / f"{o['dataset']}.csv", n_per_year=3000, seed=2)
                ingest_any(as_org, read("survey", res["file"], mapping=res["mapping"]))
        finally:
            as_org.close()
    admin.close()
    yield url, planted
    pg_cluster.drop_database(url)


def test_the_policies_hold_for_a_plain_select(shared, pg_cluster):
    url, planted = shared
    counts = {}
    with psycopg.connect(url, autocommit=True) as con:
        everything = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                      for t in ("portfolio", "tenant_contracts", "tenant_incomes", "survey_respondents")}
        assert everything["portfolio"] == 2 * N_UNITS and everything["tenant_contracts"] > 0
        assert everything["survey_respondents"] > 0
        for org in ORGS:
            con.execute(f"SET ROLE {org_role(org)}")
            rows = con.execute("SELECT owner, unit_id, org FROM portfolio").fetchall()     # no WHERE: the policy filters
            assert sorted(r[1] for r in rows) == sorted(planted[org]["unit_id"])
            assert {r[0] for r in rows} == {ORGS[org]["owner"]} and {r[2] for r in rows} == {org_role(org)}
            counts[org] = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in everything}
            # writing a row for the other organisation, or changing its rows, is refused or touches nothing
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute("INSERT INTO portfolio (owner, unit_id, dwellings, geo_version, code, org) VALUES "
                            "('x', 'x', 1, 'cbs2019', 'x', %s)", [org_role(_other(org))])
            assert con.execute("UPDATE portfolio SET dwellings = 0 WHERE org = %s", [org_role(_other(org))]).rowcount == 0
            assert con.execute("DELETE FROM survey_respondents WHERE org <> current_user").rowcount == 0
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute("SELECT * FROM accounts")
            con.execute("RESET ROLE")
        con.execute("SET ROLE veerkracht_member")      # the map server's public context: no private rows at all
        assert all(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] == 0 for t in everything)
        assert con.execute("SELECT count(*) FROM facts").fetchone()[0] > 0
    # each organisation's tables hold exactly its share, and the two shares make up the whole
    assert counts["Alpha"]["tenant_contracts"] == everything["tenant_contracts"] and counts["Beta"]["tenant_contracts"] == 0
    assert counts["Beta"]["survey_respondents"] == everything["survey_respondents"] and counts["Alpha"]["survey_respondents"] == 0
    assert counts["Alpha"]["portfolio"] + counts["Beta"]["portfolio"] == everything["portfolio"]


def _png() -> str:
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 220, 240)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _text(resp) -> str:
    if resp.headers.get("content-type", "").startswith("application/pdf"):
        return subprocess.run(["pdftotext", "-", "-"], input=resp.content, capture_output=True, check=True).stdout.decode()
    return resp.text


def _probe(client, app, auth) -> list[tuple[str, int, str]]:
    """Every route of the app, every map mode for the view routes: (request, status, text of the answer)."""
    meta = client.get("/api/meta", auth=auth).json()
    d = meta["default"]
    code = client.get(f"/api/geometry/{d['version']}/{d['level']}", params={"region": d["region"]}, auth=auth)
    assert code.status_code == 200
    first = sorted(planted_codes for planted_codes in _codes(client, d, auth))[:2]
    known = {"version": d["version"], "level": d["level"], "indicator": d["indicator"], "year": d["year"],
             "region": d["region"], "code": first[0], "codes": ",".join(first), "q": "Centrum", "lang": "nl"}
    modes = [m["id"] for m in meta["modes"]]
    out = []
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        params = {p.name for p in route.dependant.query_params} | {p.name for d_ in route.dependant.dependencies
                                                                   for p in d_.query_params}
        path_params = {p.name for p in route.dependant.path_params}
        required = {p.name for p in route.dependant.query_params + route.dependant.path_params if p.required}
        assert required <= set(known), f"{route.path}: no probe value for {required - set(known)}"
        path = route.path.format(**{k: known[k] for k in path_params})
        query = {k: v for k, v in known.items() if k in params and k not in path_params and v is not None}
        for method in route.methods:
            for mode in (modes if "mode" in params or route.path.endswith("/print") else [None]):
                q = {**query, **({"mode": mode} if mode else {})}
                if method == "POST":
                    body = {k: known[k] for k in ("version", "level", "indicator", "year", "region")} | \
                        {"mode": mode or "value", "image": _png()}
                    r = client.post(path, json=body, auth=auth)
                else:
                    r = client.get(path, params=q, auth=auth)
                out.append((f"{method} {path} {q}", r.status_code, _text(r)))
    return out


def _codes(client, d, auth):
    geo = client.get(f"/api/values", params={k: d[k] for k in ("version", "level", "indicator", "year", "region")
                                             if d[k] is not None}, auth=auth).json()
    return list(geo["values"]) if isinstance(geo.get("values"), dict) else [v["code"] for v in geo["values"]]
