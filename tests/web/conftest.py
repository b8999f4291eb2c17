"""Fixtures for the web tests: the demo store, the app in a subprocess, Chromium.

The store is the bundled demo store (``veerkracht.demo.build_demo_store``: the real files shipped
with the package). Every expected number is read from that store, never typed in.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .stores import build_demo

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def web_store(tmp_path_factory) -> Path:
    return build_demo(tmp_path_factory.mktemp("webstore") / "web.duckdb")


@pytest.fixture(scope="session")
def read_store(web_store):
    """The same store, read-only, for the expected values (DuckDB allows many readers)."""
    from veerkracht.store import open_store
    store = open_store(str(web_store), read_only=True)
    yield store
    store.close()


@pytest.fixture(scope="session")
def client(web_store):
    from fastapi.testclient import TestClient

    from veerkracht.web.app import create_app
    with TestClient(create_app(str(web_store)), raise_server_exceptions=False) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(store_path: Path, log: Path, basemap: str = "none") -> tuple[subprocess.Popen, str]:
    """``veerkracht.web.app.serve`` in a subprocess on a free loopback port; returns (process, url)."""
    port = free_port()
    code = "import sys; from veerkracht.web.app import serve; serve(sys.argv[1], port=int(sys.argv[2]), basemap=sys.argv[3])"
    fh = open(log, "w")
    proc = subprocess.Popen([sys.executable, "-c", code, str(store_path), str(port), basemap], stdout=fh, stderr=fh)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()}")
        try:
            if httpx.get(url + "/api/meta", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start in 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def server(web_store, tmp_path_factory):
    proc, url = start_server(web_store, tmp_path_factory.mktemp("server") / "server.log")
    yield url
    stop_server(proc)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class PageWatch:
    """Records every failed request, non-2xx response, page error and non-local URL."""

    def __init__(self, page, base: str):
        self.failed, self.bad_status, self.errors, self.external = [], [], [], []
        page.on("requestfailed", lambda r: self.failed.append((r.url, r.failure)))
        page.on("response", lambda r: r.status >= 400 and self.bad_status.append((r.status, r.url)))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: (r.url.startswith(("data:", "blob:", base)) or self.external.append(r.url)))

    def assert_clean(self):
        assert not self.failed, self.failed
        assert not self.bad_status, self.bad_status
        assert not self.errors, self.errors
        assert not self.external, f"requests outside the app: {self.external}"


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1366, "height": 800}, accept_downloads=True)
    pg = ctx.new_page()
    pg.watch = PageWatch(pg, server)
    yield pg
    ctx.close()


def open_page(browser, url: str, query: str = "", viewport=(1366, 800)):
    """A new browser context on the app at ``url`` + ``query``, once the map is drawn: (context, page, watch)."""
    ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = ctx.new_page()
    watch = PageWatch(page, url)
    page.goto(url + "/" + query)
    page.wait_for_function("window.mapReady === true", timeout=60_000)
    return ctx, page, watch
