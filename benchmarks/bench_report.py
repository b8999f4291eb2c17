"""Benchmark the stakeholder report on the demo store. Not a test.

    .venv/bin/python benchmarks/bench_report.py [--repeat 3] [--store demo.duckdb]

Builds the demo store once (or uses ``--store``), then times ``build_report`` for a gemeente:
GM0363 2005–2017 (the issue's check: every chapter except the benchmark), and Groningen
2020–2025 (the peer benchmark over 342 gemeenten). Prints the median of ``--repeat`` runs each.
Target: a gemeente report in ≤ 20 s on the 2-core machine.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from veerkracht.report import build_report
from veerkracht.store import open_store

CASES = [("GM0363 2005–2017", dict(region=["GM0363"], year_from=2005, year_to=2017)),
         ("Groningen 2020–2025", dict(region="Groningen", year_from=2020, year_to=2025))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--store", default=None, help="an existing demo store (default: build one)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_report_"))
    if args.store:
        store = open_store(args.store, read_only=True)
    else:
        from veerkracht.demo import build_demo_store
        store = open_store(str(tmp / "demo.duckdb"))
        build_demo_store(store)
    for name, kw in CASES:
        times, pages = [], 0
        for i in range(args.repeat):
            t0 = time.perf_counter()
            res = build_report(store, lang="nl", out_dir=tmp / f"r{i}", **kw)
            times.append(time.perf_counter() - t0)
            pages = res["pages"]
        print(f"report {name:22} median {statistics.median(times):6.2f} s  (runs: "
              f"{', '.join(f'{t:.2f}' for t in times)}; {pages} pages)  target ≤ 20 s")
    store.close()


if __name__ == "__main__":
    main()
