"""DuckDB vs PostGIS side by side on the same data (issue 15 item 6, in part; prints figures, not a test).

The demo store (real files bundled with the package) is built in DuckDB and copied into a private
PostgreSQL 15 + PostGIS cluster (``tests/pgcluster.py``, 127.0.0.1, stopped by PID). Then, on both:

1. ``store copy`` DuckDB → PostGIS (the bulk-load path of the server store), once;
2. the map's analyses (typology, concentration, relative, hotspots, early-warning, trajectories), each
   run ``--runs`` times in this process, median per analysis and the sum; ratio PostGIS / DuckDB
   (goal ≤ 3×);
3. the API at 50 concurrent keep-alive clients (the paths of ``bench_web``: values, geometry, profiles,
   search, meta), median p50/p95 over ``--runs`` runs: DuckDB, PostGIS, and PostGIS with logins
   (``serve --accounts --auth-header``: every request looked up and answered as its organisation's
   role); ratios against DuckDB (goal ≤ 1.5×).

Not measured here (yet): the national panel ingest, crosswalk and harmonise steps.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/bench_backends.py [--runs 3]``
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_web import _load, api_paths, p95  # noqa: E402
from tests.pgcluster import PGCluster  # noqa: E402
from tests.web.conftest import free_port, start_server, stop_server  # noqa: E402
from tests.web.stores import build_demo  # noqa: E402

ANALYSES = ("typology", "concentration", "relative", "hotspots", "early-warning", "trajectories")


def analyses(location: str, runs: int) -> dict[str, float]:
    """Median seconds per analysis on the store at ``location`` (opened read-only)."""
    from veerkracht.analysis import get_analysis
    from veerkracht.errors import NotComputable
    from veerkracht.store import open_store

    store = open_store(location, read_only=True)
    try:
        out = {}
        for name in ANALYSES:
            try:                                   # the defaults, else on the demo's main indicator
                get_analysis(name)(store)
                params = {}
            except NotComputable:
                params = {"indicator": "corp_share"}
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                get_analysis(name)(store, **params)
                times.append(time.perf_counter() - t0)
            out[name] = statistics.median(times)
        return out
    finally:
        store.close()


def api(url: str, runs: int, headers: dict | None = None) -> tuple[float, float]:
    """Median (p50, p95) in ms of ``runs`` runs of 50 clients on the server at ``url``."""
    paths = api_paths(url, headers)
    for p in paths:                     # every answer computed once: the steady state is measured
        httpx.get(url + p, headers=headers, timeout=300)
    lines = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    p50s, p95s = [], []
    for _ in range(runs):
        lat = asyncio.run(_load(url, paths, headers=lines))
        p50s.append(statistics.median(lat) * 1000)
        p95s.append(p95(lat) * 1000)
    return statistics.median(p50s), statistics.median(p95s)


def serve_with_logins(url: str, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    fh = open(log, "w")
    proc = subprocess.Popen([sys.executable, "-m", "veerkracht.cli", "--store", url, "serve", "--port", str(port),
                             "--accounts", "--auth-header", "X-Remote-User"], stdout=fh, stderr=fh)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(base + "/api/meta", timeout=2).status_code == 401:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(log.read_text())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    from veerkracht.store import open_store
    from veerkracht.store._pg_orgs import add_account, add_organisation
    from veerkracht.store.copy import copy_store

    tmp = Path(tempfile.mkdtemp(prefix="vk-bench-backends-"))
    duck = str(build_demo(tmp / "demo.duckdb"))
    cluster = PGCluster().start()
    try:
        url = cluster.new_database()
        src, dst = open_store(duck, read_only=True), open_store(url)
        t0 = time.perf_counter()
        fp = copy_store(src, dst)
        print(f"1. store copy DuckDB → PostGIS: {time.perf_counter() - t0:.1f} s ({fp['facts'][0]} facts, "
              f"{fp['areas'][0]} areas); load average {os.getloadavg()[0]:.1f}")
        add_organisation(dst, "Bench")
        add_account(dst, "bench", "Bench", "bench-password")
        src.close()
        dst.close()

        a_duck, a_pg = analyses(duck, args.runs), analyses(url, args.runs)
        print(f"2. analyses, median of {args.runs} runs (s): DuckDB / PostGIS / ratio")
        for name in ANALYSES:
            print(f"   {name:14s} {a_duck[name]:7.2f} {a_pg[name]:7.2f} {a_pg[name] / a_duck[name]:6.2f}×")
        td, tp = sum(a_duck.values()), sum(a_pg.values())
        print(f"   {'all':14s} {td:7.2f} {tp:7.2f} {tp / td:6.2f}×  (goal ≤ 3×); load average {os.getloadavg()[0]:.1f}")

        results = {}
        for label, start, headers in (("DuckDB", lambda: start_server(Path(duck), tmp / "duck.log"), None),
                                      ("PostGIS", lambda: start_server(url, tmp / "pg.log"), None),
                                      ("PostGIS + logins", lambda: serve_with_logins(url, tmp / "pgauth.log"),
                                       {"X-Remote-User": "bench"})):
            proc, base = start()
            try:
                results[label] = api(base, args.runs, headers)
            finally:
                if label == "PostGIS + logins":
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(30)
                else:
                    stop_server(proc)
        print(f"3. API, 50 concurrent clients, median of {args.runs} runs: p50 / p95 (ms), p95 ratio to DuckDB")
        for label, (m50, m95) in results.items():
            print(f"   {label:17s} {m50:7.1f} {m95:7.1f}  {m95 / results['DuckDB'][1]:5.2f}×")
        print(f"   (goal: PostGIS p95 ≤ 1.5× DuckDB); load average {os.getloadavg()[0]:.1f}")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
