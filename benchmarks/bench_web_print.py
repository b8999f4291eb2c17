"""Benchmark of ``POST /api/print``: the server's memory per print request (prints figures; not a test).

Each case runs against a fresh server process on the demo store (``veerkracht.web.app.serve`` in a
subprocess on 127.0.0.1), warmed with one small print so WeasyPrint is loaded; the figure is the
growth of the process's peak RSS (``VmHWM`` in /proc) over that warm state, and the wall time.

Cases: a real screen-sized map image (1366 × 800 and 2732 × 1600, a gradient), a 14.4 MP image
(4800 × 3000), four of those at once, and the hostile one of issue 11: a one-colour image of
10000 × 7000 pixels (a PNG of ~180 KB that decodes to 210 MB), alone and four at once.

``--src DIR`` serves another source tree, e.g. the code before the limits, to compare:
``git archive 4aaddaa src | tar -x -C /tmp/old`` then ``--src /tmp/old/src``.

Run: ``.venv/bin/python benchmarks/bench_web_print.py [--src DIR] [--only a,b]``

Measured 2026-11-30 on the shared 2-core machine (peak RSS growth in MB; before = commit 4aaddaa):

    case                      before            after (limits: 12 MiB body, 8192 px a side, 16 MP,
    1366 × 800                    12               12            2 at once, reduced above 6 MP)
    2732 × 1600                   40               41
    4800 × 3000                  145               89
    4800 × 3000, 4 at once       473              179
    10000 × 7000 (199 KB)        538                0  (413, from the PNG header)
    10000 × 7000, 4 at once     2057                1  (413)
"""
from __future__ import annotations

import argparse
import base64
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.web.stores import build_demo  # noqa: E402
from tests.web.test_hardening import png_bytes  # noqa: E402

CASES = {   # name: (width, height, rgba, plain, concurrent requests)
    "screen_1366x800": (1366, 800, True, False, 1),
    "screen_2732x1600": (2732, 1600, True, False, 1),
    "large_4800x3000": (4800, 3000, True, False, 1),
    "large_4800x3000_x4": (4800, 3000, True, False, 4),
    "hostile_10000x7000": (10000, 7000, False, True, 1),
    "hostile_10000x7000_x4": (10000, 7000, False, True, 4),
}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(pid: int) -> dict:
    with open(f"/proc/{pid}/status") as fh:
        return {line.split(":")[0]: int(line.split()[1]) / 1024 for line in fh if line.startswith(("VmRSS", "VmHWM"))}


def _serve(store: Path, src: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = _port()
    code = "import sys; from veerkracht.web.app import serve; serve(sys.argv[1], port=int(sys.argv[2]))"
    env = {**os.environ, "PYTHONPATH": str(src)}
    proc = subprocess.Popen([sys.executable, "-c", code, str(store), str(port)], stdout=open(log, "w"),
                            stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if proc.poll() is not None:
            raise RuntimeError(log.read_text())
        try:
            if httpx.get(url + "/api/meta", timeout=5).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")


def _body(url: str, png: bytes) -> dict:
    d = httpx.get(url + "/api/meta").json()["default"]
    return {k: d[k] for k in ("version", "level", "indicator", "year", "region") if d.get(k) is not None} | {
        "image": "data:image/png;base64," + base64.b64encode(png).decode()}


def run_case(store: Path, src: Path, name: str, tmp: Path) -> dict:
    w, h, rgba, plain, n = CASES[name]
    png = png_bytes(w, h, rgba=rgba, plain=plain)
    proc, url = _serve(store, src, tmp / f"{name}.log")
    try:
        warm = httpx.post(url + "/api/print", json=_body(url, png_bytes(400, 300)), timeout=300)
        assert warm.status_code == 200, warm.text
        before = _status(proc.pid)
        body = _body(url, png)
        t = time.perf_counter()
        with ThreadPoolExecutor(n) as pool:
            codes = list(pool.map(lambda _: httpx.post(url + "/api/print", json=body, timeout=600).status_code,
                                  range(n)))
        took = time.perf_counter() - t
        after = _status(proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)
    return {"case": name, "png_kb": len(png) / 1024, "n": n, "codes": codes, "seconds": took,
            "rss_before": before["VmRSS"], "peak_growth": after["VmHWM"] - before["VmHWM"],
            "peak": after["VmHWM"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="source tree to serve (default: this one)")
    ap.add_argument("--only", default=",".join(CASES), help="comma-separated cases: " + ", ".join(CASES))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_print_") as d:
        tmp = Path(d)
        store = build_demo(tmp / "demo.duckdb")
        print(f"serving {args.src}")
        print(f"{'case':<24}{'PNG KB':>9}{'n':>3}  {'answers':<22}{'s':>7}{'RSS before':>12}{'peak +MB':>10}{'peak MB':>9}")
        for name in args.only.split(","):
            r = run_case(store, args.src, name, tmp)
            print(f"{r['case']:<24}{r['png_kb']:>9.0f}{r['n']:>3}  {str(r['codes']):<22}{r['seconds']:>7.1f}"
                  f"{r['rss_before']:>12.0f}{r['peak_growth']:>10.0f}{r['peak']:>9.0f}", flush=True)


if __name__ == "__main__":
    main()
