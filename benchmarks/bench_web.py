"""Benchmark of the social map (prints figures; not a test).

1. First render of a gemeente with its buurten in headless Chromium: navigation → ``mapReady``
   (Amsterdam, 479 buurten, from the real files). Target ≤ 1.5 s.
2. Bytes over the wire (gzip) of the national buurt layer (13,594 buurten) per zoom. Target ≤ 5 MB.
3. API p95 latency with 50 concurrent clients on loopback (values, geometry, profile, search).
   Target ≤ 100 ms.

Run: ``.venv/bin/python benchmarks/bench_web.py`` (uses /work/shared/data or VEERKRACHT_SHARED_DATA).
"""
from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server  # noqa: E402
from tests.web.stores import build_dev_store, build_national_store  # noqa: E402

SHARED = Path(os.environ.get("VEERKRACHT_SHARED_DATA", ROOT.parent / "shared" / "data"))


def first_render(url: str, runs: int = 5) -> list[float]:
    from playwright.sync_api import sync_playwright
    out = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(runs):
            ctx = b.new_context(viewport={"width": 1366, "height": 800})
            page = ctx.new_page()
            page.goto(url + "/")
            page.wait_for_function("window.mapReady === true", timeout=60_000)
            # navigation start → first idle after the data was drawn, measured by the page itself
            out.append(page.evaluate("APP.timings.first_idle") / 1000)
            ctx.close()
        b.close()
    return out


def wire_bytes(url: str) -> dict[int, tuple[int, int, float]]:
    res = {}
    with httpx.Client(timeout=120) as c:
        for z in (6, 8, 10, 12, 14):
            t0 = time.perf_counter()
            r = c.get(f"{url}/api/geometry/cbs2019/buurt", params={"zoom": z}, headers={"Accept-Encoding": "gzip"})
            dt = time.perf_counter() - t0
            wire = int(r.headers.get("content-length", len(r.content)))
            res[z] = (wire, len(r.content), dt)
    return res


async def _load(url: str, paths: list[str], clients: int = 50, per_client: int = 20, budget: float = 60.0):
    lat: list[float] = []
    deadline = time.perf_counter() + budget
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as c:
        async def worker(i: int):
            for k in range(per_client):
                if time.perf_counter() > deadline:
                    return
                t0 = time.perf_counter()
                r = await c.get(paths[(i + k) % len(paths)])
                lat.append(time.perf_counter() - t0)
                assert r.status_code == 200, (r.status_code, r.text[:200])
        await asyncio.gather(*(worker(i) for i in range(clients)))
    return lat


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[18]


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench_web_"))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    dev = build_dev_store(tmp / "ams.duckdb", SHARED)
    proc, url = start_server(dev, tmp / "ams.log")
    try:
        times = first_render(url)
        print(f"1. first render, Amsterdam 479 buurten: median {statistics.median(times):.2f} s, "
              f"min {min(times):.2f} s, max {max(times):.2f} s (runs {len(times)}; target ≤ 1.5 s)")
        meta = httpx.get(url + "/api/meta").json()["default"]
        q = f"version={meta['version']}&level=buurt&indicator={meta['indicator']}&region={meta['region']}"
        codes = list(httpx.get(f"{url}/api/values?{q}").json()["areas"])[:40]
        paths = ([f"/api/values?{q}&year={y}" for y in (2005, 2009, 2013, 2017)]
                 + [f"/api/geometry/cbs2019/buurt?region=GM0363&zoom=12"]
                 + [f"/api/profile/cbs2019/{c}" for c in codes]
                 + ["/api/search?q=park", "/api/meta"])
        for p in paths:           # first request of each computes and caches; measure the steady state
            httpx.get(url + p, timeout=60)
        seq = []
        with httpx.Client(base_url=url) as c:
            for i in range(300):
                t0 = time.perf_counter()
                c.get(paths[i % len(paths)])
                seq.append(time.perf_counter() - t0)
        print(f"3a. API, one client (server cost): p50 {statistics.median(seq) * 1000:.1f} ms, "
              f"p95 {p95(seq) * 1000:.1f} ms")
        lat = asyncio.run(_load(url, paths))
        print(f"3. API with 50 concurrent clients: {len(lat)} requests, p50 {statistics.median(lat) * 1000:.0f} ms, "
              f"p95 {p95(lat) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms (target p95 ≤ 100 ms)")
    finally:
        stop_server(proc)
    nat = build_national_store(tmp / "nl.duckdb", SHARED)
    t0 = time.perf_counter()
    proc, url = start_server(nat, tmp / "nl.log")
    print(f"   national store: server ready in {time.perf_counter() - t0:.1f} s")
    try:
        for z, (wire, raw, dt) in wire_bytes(url).items():
            print(f"2. national buurt layer (13,594) zoom {z:>2}: {wire / 1e6:.2f} MB over the wire (gzip), "
                  f"{raw / 1e6:.2f} MB GeoJSON, first request {dt:.2f} s (target ≤ 5 MB)")
    finally:
        stop_server(proc)
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
