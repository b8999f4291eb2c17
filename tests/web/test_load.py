"""The API under load, as far as a test can say it (the speed itself is measured in
``benchmarks/bench_web.py``): caches are bounded, a cache-busting parameter is the same view,
several worker processes serve one read-only store."""
from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from .conftest import free_port, stop_server

VIEW = {"version": "cbs2019", "level": "buurt", "indicator": "corp_share", "region": "GM0363"}


@pytest.fixture
def small_client(web_store):
    """A fresh app whose response cache holds at most 300 kB."""
    from fastapi.testclient import TestClient

    from veerkracht.web.app import create_app
    app = create_app(str(web_store), warm=False)
    app.state.web.max_bytes = 300_000
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c, app.state.web


def test_response_cache_is_bounded_by_bytes(small_client):
    client, web = small_client
    bodies = {}
    for k in (3, 4, 5, 6, 7, 8, 9):
        for scheme in ("quantiles", "equal_interval", "fisher_jenks"):
            r = client.get("/api/values", params={**VIEW, "year": 2017, "k": k, "scheme": scheme})
            assert r.status_code == 200
            bodies[(k, scheme)] = r.content
            assert web.cached_bytes <= web.max_bytes
    assert len(web.responses) < len(bodies)              # the oldest went
    assert web.cached_bytes == sum(len(b) + len(g or b"") for b, g in web.responses.values())
    # an evicted view is built again, equal to what was sent the first time
    again = client.get("/api/values", params={**VIEW, "year": 2017, "k": 3, "scheme": "quantiles"})
    assert again.content == bodies[(3, "quantiles")]


def test_cache_busting_parameters_are_the_same_view(small_client):
    client, web = small_client
    first = client.get("/api/values", params={**VIEW, "year": 2013}).content
    n = len(web.responses)
    for i in range(20):
        assert client.get("/api/values", params={**VIEW, "year": 2013, "_": str(i), "utm": "x"}).content == first
    assert len(web.responses) == n


def test_analysis_results_and_layers_are_bounded(web_store):
    from veerkracht.maps.catalog import Catalog
    from veerkracht.maps.layers import AnalysisLayers
    from veerkracht.store import open_store

    store = open_store(str(web_store), read_only=True)
    try:
        cat = Catalog(store)
        small, fresh = AnalysisLayers(cat, max_results=2, max_layers=2), AnalysisLayers(cat)
        args = [("relative", "cbs2019", "buurt", "GM0363", "corp_share", y, None) for y in (2005, 2009, 2013, 2017)]
        for a in args:
            small.layer(*a)
            assert len(small._cache) <= 2 and len(small._layers) <= 2
        for a in args:       # evicted and computed again: the same layer as from a cache that kept all
            assert small.layer(*a) == fresh.layer(*a)
            assert small.layer(*a)["values"]
    finally:
        store.close()


def test_several_workers_serve_one_read_only_store(web_store, tmp_path):
    port = free_port()
    code = ("import sys; from veerkracht.web.workers import serve_workers; "
            "serve_workers(sys.argv[1], port=int(sys.argv[2]), workers=2)")
    log = open(tmp_path / "workers.log", "w")
    proc = subprocess.Popen([sys.executable, "-c", code, str(web_store), str(port)], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            try:
                if httpx.get(url + "/api/meta", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        kids = subprocess.run(["ps", "--ppid", str(proc.pid), "-o", "pid=,args="], capture_output=True,
                              text=True).stdout.splitlines()
        assert sum("multiprocessing" in k or "spawn" in k for k in kids) >= 2, kids
        # the answers do not depend on the worker that gives them (fresh connections spread over both)
        bodies = {httpx.get(url + "/api/values", params={**VIEW, "year": 2017}).content for _ in range(8)}
        assert len(bodies) == 1
        assert b'"indicator":"corp_share"' in next(iter(bodies))
    finally:
        stop_server(proc)
    assert "Numba" not in (tmp_path / "workers.log").read_text()


def test_cached_route_answers_exactly_what_the_endpoint_answers(small_client):
    """A cached answer is sent before FastAPI reads the parameters: the same bytes, the same headers,
    and anything the cache does not hold (a bad parameter) still gets the endpoint's own 4xx."""
    from veerkracht.web.views.common import values_key
    client, web = small_client
    params = {**VIEW, "year": "2017", "mode": "change", "year_from": "2005", "lang": "en"}
    first = client.get("/api/values", params=params)
    key = values_key(params)
    assert key in web.responses and key == ("values", ("cbs2019", "buurt", "corp_share", "change", 2017, 2005,
                                                       "GM0363", "gemeente", "quantiles", 5), "en")
    again = client.get("/api/values", params=params)
    assert again.content == first.content and again.headers.get("content-encoding") == first.headers.get(
        "content-encoding")
    assert client.get("/api/values", params={**params, "year": "20x7"}).status_code == 422
    assert client.get("/api/values", params={**params, "k": "99"}).status_code == 422
    code = next(iter(first.json()["areas"]))
    prof = client.get(f"/api/profile/cbs2019/{code}", params={"lang": "en"})
    assert prof.status_code == 200
    assert client.get(f"/api/profile/cbs2019/{code}", params={"lang": "en"}).content == prof.content
    assert client.get(f"/api/profile/cbs2019/{code}", params={"lang": "xx"}).status_code == 422
