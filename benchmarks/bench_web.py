"""Benchmark of the social map (prints figures; not a test).

1. First render of a gemeente with its buurten in headless Chromium: navigation → ``mapReady``
   (the demo store's default view: Amsterdam, 479 buurten). Target ≤ 1.5 s.
2. Bytes over the wire (gzip) of the national buurt layer (13,594 buurten) per zoom. Target ≤ 5 MB.
3. API latency with 50 concurrent clients on loopback (values, geometry, profile, search, meta),
   three runs, median. Target p95 ≤ 100 ms.

The load generator runs in this process, the server in a subprocess. Each client is a plain
asyncio HTTP/1.1 keep-alive connection: sending a request and reading its answer costs the client
a few microseconds, so the latency measured is the server's (queueing included). An ``httpx``
``AsyncClient`` costs ~5 ms of client CPU per request: with 50 clients in one Python process the
*client* saturates and its own queueing (p95 ≈ 1 s on this machine) was mistaken for the server's.

4. Distinct views (issue 11 item 10): ``cold`` — /api/values for views nobody asked before (each URL
   once: mode × indicator × level × year × classes × scheme × language × region), 50 clients,
   target p95 ≤ 500 ms; ``memory`` — server RSS over 10,000 distinct requests (every 1,000), target
   flat; ``cached`` — repeated layer and profile requests with 200 clients, target p95 ≤ 50 ms.

Run: ``.venv/bin/python benchmarks/bench_web.py [--only api,render,wire,cold,memory,cached] [--runs 3]``
(uses the national geometry in tests/data/real for the national layer).
"""
from __future__ import annotations

import argparse
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
from tests.web.stores import build_demo, build_national_store  # noqa: E402

SHARED = ROOT / "tests" / "data" / "real"   # real public data in the repository


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


async def _get(reader, writer, host: str, path: str, headers: str = "") -> int:
    """One keep-alive GET (``headers``: more header lines, each ending in CRLF); returns the status after
    the whole body was read."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: gzip\r\n{headers}\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    length = next((int(ln.split(b":")[1]) for ln in head.split(b"\r\n")
                   if ln.lower().startswith(b"content-length:")), 0)
    await reader.readexactly(length)
    return int(head.split(b" ", 2)[1])


async def _load(url: str, paths: list[str], clients: int = 50, per_client: int = 40, budget: float = 60.0,
                headers: str = ""):
    """``clients`` connections, each sending ``per_client`` requests in turn (bounded by ``budget`` s)."""
    host, port = url.split("//")[1].split(":")
    lat: list[float] = []
    deadline = time.perf_counter() + budget

    async def worker(i: int):
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for k in range(per_client):
                if time.perf_counter() > deadline:
                    return
                t0 = time.perf_counter()
                status = await _get(reader, writer, f"{host}:{port}", paths[(i + k) % len(paths)], headers)
                lat.append(time.perf_counter() - t0)
                assert status == 200, (status, paths[(i + k) % len(paths)])
        finally:
            writer.close()
    await asyncio.gather(*(worker(i) for i in range(clients)))
    return lat


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[18]


def api_paths(url: str, headers: dict | None = None) -> list[str]:
    everything = httpx.get(url + "/api/meta", headers=headers, timeout=120).json()
    meta = everything["default"]
    q = f"version={meta['version']}&level={meta['level']}&indicator={meta['indicator']}&region={meta['region']}"
    values = httpx.get(f"{url}/api/values?{q}", headers=headers, timeout=120).json()
    codes = list(values["areas"])[:40]
    ind = next(i for i in everything["indicators"] if i["id"] == meta["indicator"])
    years = ind["available"][meta["version"]][meta["level"]]
    return ([f"/api/values?{q}&year={y}" for y in years[-4:]]
            + [f"/api/geometry/{meta['version']}/{meta['level']}?region={meta['region']}&zoom=12"]
            + [f"/api/profile/{meta['version']}/{c}" for c in codes]
            + ["/api/search?q=park", "/api/meta"])


def api_latency(url: str, pid: int, runs: int) -> None:
    paths = api_paths(url)
    for p in paths:           # first request of each computes and caches; measure the steady state
        httpx.get(url + p, timeout=120)
    seq = []
    with httpx.Client(base_url=url) as c:
        for i in range(300):
            t0 = time.perf_counter()
            c.get(paths[i % len(paths)])
            seq.append(time.perf_counter() - t0)
    print(f"3a. API, one client (server cost): p50 {statistics.median(seq) * 1000:.1f} ms, "
          f"p95 {p95(seq) * 1000:.1f} ms")
    p50s, p95s = [], []
    for r in range(runs):
        cpu0, t0 = _cpu_seconds(pid), time.perf_counter()
        lat = asyncio.run(_load(url, paths))
        wall, cpu = time.perf_counter() - t0, _cpu_seconds(pid) - cpu0
        p50s.append(statistics.median(lat) * 1000)
        p95s.append(p95(lat) * 1000)
        print(f"   run {r + 1}: {len(lat)} requests, p50 {p50s[-1]:.0f} ms, p95 {p95s[-1]:.0f} ms, "
              f"max {max(lat) * 1000:.0f} ms, {len(lat) / wall:.0f} req/s, server CPU "
              f"{cpu / len(lat) * 1000:.2f} ms/request, load average {os.getloadavg()[0]:.1f}")
    print(f"3. API with 50 concurrent clients, median of {runs} runs: p50 {statistics.median(p50s):.0f} ms, "
          f"p95 {statistics.median(p95s):.0f} ms (target p95 ≤ 100 ms)")


def _start(store: Path, log: Path, workers: int):
    """The server: ``serve`` (one process) or ``serve_workers`` (several, one read-only store each)."""
    if workers <= 1:
        return start_server(store, log)
    import subprocess

    from tests.web.conftest import free_port
    port = free_port()
    code = ("import sys; from veerkracht.web.workers import serve_workers; "
            "serve_workers(sys.argv[1], port=int(sys.argv[2]), workers=int(sys.argv[3]))")
    fh = open(log, "w")
    proc = subprocess.Popen([sys.executable, "-c", code, str(store), str(port), str(workers)], stdout=fh, stderr=fh)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            if httpx.get(url + "/api/meta", timeout=5).status_code == 200:
                time.sleep(3 * workers)     # every worker warmed up, not only the first to answer
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("server did not start")


def _tree_cpu(pid: int) -> float:
    """CPU seconds of the server and its worker processes."""
    kids = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return sum(_cpu_seconds(p) for p in [pid, *kids])


def _rss_mb(pid: int) -> float:
    """Resident memory of the server and its worker processes (children), in MB."""
    pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    total = 0
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def distinct_views(url: str, limit: int = 12_000) -> list[str]:
    """Valid /api/values URLs, all different views (the parameters a user exploring changes)."""
    from urllib.parse import urlencode
    meta = httpx.get(url + "/api/meta").json()
    d = meta["default"]
    version, region = d["version"], d["region"]
    modes = [m["id"] if isinstance(m, dict) else m for m in meta.get("modes", ["value"])]
    out = []
    for ind in meta["indicators"]:
        for level, years in ind.get("available", {}).get(version, {}).items():
            if level not in ("buurt", "wijk", "gemeente") or not years:
                continue
            for mode in modes:
                for y in years:
                    if mode == "change" and y == years[0]:
                        continue
                    for k in (3, 4, 5, 6, 7, 9):
                        for scheme in ("quantiles", "fisher_jenks", "equal_interval"):
                            for lang in ("nl", "en"):
                                q = {"version": version, "level": level, "indicator": ind["id"], "mode": mode,
                                     "year": y, "k": k, "scheme": scheme, "lang": lang}
                                if region and level != "gemeente":
                                    q["region"] = region
                                out.append("/api/values?" + urlencode(q))
    import random
    random.Random(7).shuffle(out)
    return out[:limit]


async def _load_once(url: str, paths: list[str], clients: int, ok=(200,)) -> list[float]:
    """Each path requested once, spread over ``clients`` keep-alive connections."""
    host, port = url.split("//")[1].split(":")
    lat: list[float] = []
    queue = list(reversed(paths))

    async def worker():
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while queue:
                path = queue.pop()
                t0 = time.perf_counter()
                status = await _get(reader, writer, f"{host}:{port}", path)
                lat.append(time.perf_counter() - t0)
                assert status in ok, (status, path)
        finally:
            writer.close()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return lat


def _fmt(lat: list[float], wall: float) -> str:
    return (f"{len(lat)} requests, p50 {statistics.median(lat) * 1000:.0f} ms, p95 {p95(lat) * 1000:.0f} ms, "
            f"max {max(lat) * 1000:.0f} ms, {len(lat) / wall:.0f} req/s")


def _group(path: str) -> tuple:
    """The analysis-relevant part of a view: mode, indicator, level, year (not k, scheme, language)."""
    from urllib.parse import parse_qs, urlsplit
    q = parse_qs(urlsplit(path).query)
    return tuple(q.get(k, [""])[0] for k in ("mode", "indicator", "level", "year"))


def cold_views(url: str, pid: int, n: int = 1500, groups_per_mode: int = 3) -> None:
    """Per mode: the first run of a few analysis results (one client: the analysis' own cost), then
    views nobody asked before *on those results* (other classes, scheme, language) with 50 clients."""
    views = distinct_views(url)
    by_mode: dict[str, dict[tuple, list[str]]] = {}
    for v in views:
        g = _group(v)
        by_mode.setdefault(g[0], {}).setdefault(g, []).append(v)
    per = max(1, n // len(by_mode))
    for mode, groups in sorted(by_mode.items()):
        chosen = list(groups.values())[:groups_per_mode]
        first = []
        for paths in chosen:
            t0 = time.perf_counter()
            assert httpx.get(url + paths[0], timeout=300).status_code == 200
            first.append(time.perf_counter() - t0)
        rest = [p for paths in chosen for p in paths[1:]][:per]
        t0, cpu0 = time.perf_counter(), _tree_cpu(pid)
        lat = asyncio.run(_load_once(url, rest, 50))
        cpu = _tree_cpu(pid) - cpu0
        print(f"4a. cold /api/values, mode {mode:<14} first run of {len(first)} results (1 client): median "
              f"{statistics.median(first) * 1000:.0f} ms, max {max(first) * 1000:.0f} ms; new views on them, "
              f"50 clients: {_fmt(lat, time.perf_counter() - t0)} (target p95 ≤ 500 ms); server CPU "
              f"{cpu / len(lat) * 1000:.2f} ms/request, load average {os.getloadavg()[0]:.1f}")
    print(f"   server RSS after the cold runs: {_rss_mb(pid):.0f} MB")


def memory_views(url: str, pid: int, n: int = 10_000) -> None:
    # value and change views (an analysis' first run is measured in 4a; 10,000 of them would measure
    # the analyses, not the server's memory); beyond the distinct views, cache-busting variants
    views = [v for v in distinct_views(url, limit=10**6) if "mode=value&" in v or "mode=change&" in v][:n]
    paths = [views[i % len(views)] + (f"&_={i}" if i >= len(views) else "") for i in range(n)]
    rss = [_rss_mb(pid)]
    lat_all: list[float] = []
    t0 = time.perf_counter()
    for i in range(0, n, 1000):
        lat_all += asyncio.run(_load_once(url, paths[i:i + 1000], 50))
        rss.append(_rss_mb(pid))
    print(f"4b. {n} distinct requests ({len(views)} distinct views), 50 clients: "
          f"{_fmt(lat_all, time.perf_counter() - t0)}")
    print("   server RSS (MB) every 1,000: " + " → ".join(f"{r:.0f}" for r in rss) + " (target flat)")


def cached_load(url: str, pid: int, runs: int, workers: int = 1) -> None:
    meta = httpx.get(url + "/api/meta").json()["default"]
    q = f"version={meta['version']}&level={meta['level']}&indicator={meta['indicator']}&region={meta['region']}"
    views = [p for p in distinct_views(url, limit=400) if "lang=nl" in p][:20]
    codes = list(httpx.get(f"{url}/api/values?{q}").json()["areas"])[:20]
    for name, paths in (("layer", views), ("profile", [f"/api/profile/{meta['version']}/{c}" for c in codes])):
        for p in paths:       # each worker has its own cache: fresh connections reach every one
            for _ in range(4 * workers if workers > 1 else 1):
                assert httpx.get(url + p, timeout=120).status_code == 200
        p50s, p95s = [], []
        for _ in range(runs):
            t0, cpu0 = time.perf_counter(), _tree_cpu(pid)
            lat = asyncio.run(_load(url, paths, clients=200, per_client=25))
            cpu = _tree_cpu(pid) - cpu0
            p50s.append(statistics.median(lat) * 1000)
            p95s.append(p95(lat) * 1000)
            print(f"   cached {name}, 200 clients: {_fmt(lat, time.perf_counter() - t0)}, server CPU "
                  f"{cpu / len(lat) * 1000:.2f} ms/request, load average {os.getloadavg()[0]:.1f}")
        print(f"4c. cached {name} requests, 200 clients, median of {runs} runs: p50 {statistics.median(p50s):.0f} ms, "
              f"p95 {statistics.median(p95s):.0f} ms (target p95 ≤ 50 ms)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="render,api,wire,cold,memory,cached",
                    help="comma-separated: render, api, wire, cold, memory, cached")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cold-n", type=int, default=1500, help="cold requests in all (spread over the modes)")
    ap.add_argument("--memory-n", type=int, default=10_000, help="distinct requests of the memory run")
    ap.add_argument("--workers", type=int, default=1, help="server worker processes (read-only store)")
    args = ap.parse_args()
    only = set(args.only.split(","))
    tmp = Path(tempfile.mkdtemp(prefix="bench_web_"))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    if only & {"render", "api", "cold", "memory", "cached"}:
        demo = build_demo(tmp / "demo.duckdb")
        proc, url = _start(demo, tmp / "demo.log", args.workers)
        try:
            if "render" in only:
                times = first_render(url)
                print(f"1. first render, Amsterdam 479 buurten: median {statistics.median(times):.2f} s, "
                      f"min {min(times):.2f} s, max {max(times):.2f} s (runs {len(times)}; target ≤ 1.5 s)")
            if "api" in only:
                api_latency(url, proc.pid, args.runs)
            if "cold" in only:
                cold_views(url, proc.pid, args.cold_n)
            if "memory" in only:
                memory_views(url, proc.pid, args.memory_n)
            if "cached" in only:
                cached_load(url, proc.pid, args.runs, args.workers)
        finally:
            stop_server(proc)
    if "wire" in only:
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
