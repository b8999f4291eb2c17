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


def _api_routes(routes) -> list[APIRoute]:
    """The app's API routes, through the routers it includes (FastAPI keeps those as included routers)."""
    out = []
    for r in routes:
        if isinstance(r, APIRoute):
            out.append(r)
        elif hasattr(r, "original_router"):
            out += _api_routes(r.original_router.routes)
    return out


def _fields(dependant) -> dict[str, list]:
    """The query and path parameters of a route, its dependencies' included."""
    out = {"query": list(dependant.query_params), "path": list(dependant.path_params)}
    for sub in dependant.dependencies:
        more = _fields(sub)
        out["query"] += more["query"]
        out["path"] += more["path"]
    return out


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
    first = sorted(_values(client, d, auth))[:2]
    known = {"version": d["version"], "level": d["level"], "indicator": d["indicator"], "year": d["year"],
             "region": d["region"], "code": first[0], "codes": ",".join(first), "q": "Centrum", "lang": "nl"}
    modes = [m["id"] for m in meta["modes"]]
    out = []
    for route in _api_routes(app.routes):
        fields = _fields(route.dependant)
        params = {f.name for f in fields["query"]}
        path_params = {f.name for f in fields["path"]}
        required = {f.name for f in fields["query"] + fields["path"] if f.field_info.is_required()}
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


def _values(client, d, auth, **kw) -> dict:
    """``{code: [value, class, status]}`` of a view (the default one, changed by ``kw``)."""
    q = {k: v for k, v in ({k: d[k] for k in ("version", "level", "indicator", "year", "region")} | kw).items()
         if v is not None}
    r = client.get("/api/values", params=q, auth=auth)
    assert r.status_code == 200, r.text
    return r.json()["areas"]


@pytest.fixture(scope="module")
def served(shared):
    from veerkracht.web.app import create_app
    from veerkracht.web.auth import AuthConfig

    url, planted = shared
    app = create_app(url, auth=AuthConfig(accounts=True, header="X-Remote-User", proxies=("127.0.0.1",)))
    with TestClient(app) as client:
        yield app, client, planted


def test_every_route_as_each_organisation_shows_its_own_private_data_only(served):
    app, client, planted = served
    n_probes, n_modes = {}, {}
    for org, o in ORGS.items():
        auth = (o["login"], o["password"])
        answers = _probe(client, app, auth)
        n_probes[org] = len(answers)
        leaks = [(req, m) for req, _, text in answers for m in _markers(_other(org)) if m in text]
        assert leaks == []
        assert [(req, status, text[:200]) for req, status, text in answers if status >= 500] == []
        meta = client.get("/api/meta", auth=auth).json()
        n_modes[org] = len(meta["modes"])
        # the tenant panel is Alpha's: only Alpha's map offers the analysis of it
        assert meta["analyses"].get("dynamics", False) is (org == "Alpha")
        assert meta["analyses"]["portfolio"] is True
        # the portfolio layer colours exactly the organisation's own buurten: the planted truth
        lay = _values(client, meta["default"], auth, mode="portfolio", level="buurt", version="cbs2019", region=None)
        coloured = {code for code, (_, cls, _) in lay.items() if cls != "none"}
        assert coloured == set(planted[org]["code"])
        assert not coloured & set(planted[_other(org)]["code"])
    # every route was asked (all the API's documented paths among them), the view routes once per map mode
    routes = _api_routes(app.routes)
    assert set(app.openapi()["paths"]) <= {r.path for r in routes} and len(routes) >= 13
    # each map mode an organisation has more (dynamics for Alpha's tenants, the survey layer for whoever has a
    # survey) is asked on the four view routes: values, export.csv, .geojson, print
    assert n_probes["Alpha"] > len(routes)
    assert n_probes["Alpha"] - n_probes["Beta"] == 4 * (n_modes["Alpha"] - n_modes["Beta"])


def test_no_login_no_answer_and_a_proxy_header_only_from_the_proxy(served):
    app, client, planted = served
    routes = _api_routes(app.routes)
    assert len(routes) >= 13
    for route in routes:
        path = route.path.replace("{version}", "cbs2019").replace("{level}", "buurt").replace("{code}", "BU03630000")
        method = sorted(route.methods)[0]
        r = client.request(method, path)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic"), path
        assert client.request(method, path, auth=("alice", "wrong-password")).status_code == 401
        assert client.request(method, path, auth=("mallory", "alpha-geheim")).status_code == 401
    # a header naming a login counts from the trusted proxy only
    untrusted = TestClient(app, client=("10.9.8.7", 40000))
    assert untrusted.get("/api/meta", headers={"X-Remote-User": "alice"}).status_code == 403
    proxy = TestClient(app, client=("127.0.0.1", 40000))
    assert proxy.get("/api/meta", headers={"X-Remote-User": "nobody"}).status_code == 401
    meta = proxy.get("/api/meta", headers={"X-Remote-User": "bob"}).json()
    assert "dynamics" not in meta["analyses"] or meta["analyses"]["dynamics"] is False
    meta = proxy.get("/api/meta", headers={"X-Remote-User": "alice"}).json()
    assert meta["analyses"]["dynamics"] is True


def test_report_and_export_as_each_organisation(shared, tmp_path):
    from tests.cli.conftest import run_cli

    url, planted = shared
    for org, o in ORGS.items():
        out = tmp_path / org
        res = run_cli("report", "-r", "GM0363", "--from", "2005", "--to", "2017", "--corporation", o["owner"],
                      "--out", str(out / "rep"), store=f"{url}?org={org}")
        assert res.returncode == 0, res.stderr
        table = pd.read_csv(out / "rep" / "tables" / "table_portfolio.csv", dtype=str)
        assert len(table) > 0
        res = run_cli("export", "-i", "corp_share", "--to", "cbs2019", "--out", str(out / "facts.csv"),
                      store=f"{url}?org={org}")
        assert res.returncode == 0, res.stderr
        texts = [p.read_text(errors="replace") for p in out.rglob("*") if p.suffix in (".html", ".csv", ".json", ".svg")]
        texts.append(subprocess.run(["pdftotext", str(out / "rep" / "report.pdf"), "-"], capture_output=True,
                                    text=True).stdout)
        assert any(o["owner"] in t for t in texts)             # its own portfolio is in its report
        assert [m for t in texts for m in _markers(_other(org)) if m in t] == []
    # asked by name for the other organisation's portfolio, the report finds none
    res = run_cli("report", "-r", "GM0363", "--from", "2005", "--to", "2017", "--corporation", ORGS["Alpha"]["owner"],
                  "--out", str(tmp_path / "cross"), store=f"{url}?org=Beta")
    text = subprocess.run(["pdftotext", str(tmp_path / "cross" / "report.pdf"), "-"], capture_output=True,
                          text=True).stdout
    assert res.returncode == 0 and f"geen bezit van {ORGS['Alpha']['owner']}" in " ".join(text.split())
    assert not (tmp_path / "cross" / "tables" / "table_portfolio.csv").exists()


def test_organisations_and_accounts_from_the_command_line_and_a_served_map(shared, tmp_path):
    """`store org add`, `store user add` (password from the environment, stored hashed), then `serve --accounts
    --auth-header` in a real process on 127.0.0.1: a third organisation sees no portfolio at all, Alpha sees its own."""
    import os
    import signal
    import socket
    import sys
    import time

    import httpx

    from tests.cli.conftest import run_cli

    url, _ = shared
    res = run_cli("store", "org", "add", "Gamma", store=url)
    assert res.returncode == 0 and "vk_org_gamma" in res.stdout, res.stderr
    assert run_cli("store", "org", "add", "Gamma", store=url).returncode != 0          # once only
    res = run_cli("store", "user", "add", "carol", "--org", "Gamma", store=url, env={"VEERKRACHT_PASSWORD": "gamma-geheim"})
    assert res.returncode == 0, res.stderr
    with psycopg.connect(url) as con:
        stored = con.execute("SELECT password FROM accounts WHERE login = 'carol'").fetchone()[0]
    assert stored.startswith("scrypt$") and "gamma-geheim" not in stored
    res = run_cli("store", "org", "add", "Delta", store=tmp_path / "x.duckdb")
    assert res.returncode != 0 and "PostgreSQL" in res.stdout + res.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "veerkracht.cli", "--store", url, "serve", "--port", str(port),
                             "--accounts", "--auth-header", "X-Remote-User"], stdout=log, stderr=log,
                            env={**os.environ})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(base + "/api/meta", timeout=5).status_code == 401:
                    break
            except httpx.HTTPError:
                pass
            assert time.time() < deadline, "server did not start"
            time.sleep(0.3)
        gamma = httpx.get(base + "/api/meta", auth=("carol", "gamma-geheim"), timeout=120).json()
        assert gamma["analyses"].get("portfolio", False) is False and gamma["analyses"].get("dynamics", False) is False
        alpha = httpx.get(base + "/api/meta", headers={"X-Remote-User": "alice"}, timeout=120).json()
        assert alpha["analyses"]["portfolio"] is True and alpha["analyses"]["dynamics"] is True
        assert httpx.get(base + "/api/meta", auth=("carol", "wrong-pass"), timeout=30).status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_a_server_login_that_is_no_superuser(shared, pg_cluster):
    """The deployment of docs/deployment.md: the map server logs in as a plain role that `store org add --server`
    lets act as the organisation; that login by itself reads public rows but no private row."""
    from veerkracht.web.app import create_app
    from veerkracht.web.auth import AuthConfig

    url, planted = shared
    pg_cluster.admin("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vk_web_test') THEN "
                     "CREATE ROLE vk_web_test LOGIN; END IF; END $$")
    admin = open_store(url)
    add_organisation(admin, "Epsilon", server="vk_web_test")
    add_account(admin, "erik", "Epsilon", "epsilon-geheim")
    admin.close()
    epsilon = open_store(f"{url}?org=Epsilon")
    rows = planted["Alpha"].head(12).assign(unit_id=lambda d: "EPSUNIT" + d["unit_id"])
    assert epsilon.write_portfolio("Epsilon Wonen", rows) == 12
    epsilon.close()
    web_url = url.replace("postgres@", "vk_web_test@")
    with psycopg.connect(web_url) as con:
        assert con.execute("SELECT count(*) FROM portfolio").fetchone()[0] == 0          # the login itself: no private row
        assert con.execute("SELECT count(*) FROM facts").fetchone()[0] > 0
    app = create_app(web_url, auth=AuthConfig(accounts=True))
    with TestClient(app) as client:
        meta = client.get("/api/meta", auth=("erik", "epsilon-geheim")).json()
        assert meta["analyses"]["portfolio"] is True and not meta["analyses"].get("dynamics", False)
        lay = _values(client, meta["default"], ("erik", "epsilon-geheim"), mode="portfolio", level="buurt",
                      version="cbs2019", region=None)
        assert {code for code, (_, cls, _) in lay.items() if cls != "none"} == set(rows["code"])
        # the login cannot act as an organisation it was not granted
        r = client.get("/api/meta", auth=("alice", ORGS["Alpha"]["password"]))
        assert r.status_code == 403 and "Alpha" in r.json()["error"]
