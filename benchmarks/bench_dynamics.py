"""Benchmark the dynamics decomposition on a national-size tenant panel (2 million contracts). Not a test.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_dynamics.py [--dwellings 1170000] [--keep DIR]

Steps, each in its own process so that its peak memory (``ru_maxrss``) is its own:

1. generate the panel (:func:`veerkracht.synth.tenants.simulate`, 10,000 areas, 2010–2020) and write
   it to Parquet (not timed against the goal);
2. *core*: read the Parquet and decompose 2010 → 2020 and one year (2019 → 2020) with
   :func:`~veerkracht.analysis._flows.panel_flows` and :func:`~veerkracht.analysis._flows.decompose`;
3. *store*: load the panel into a DuckDB store's private tables, then, in a fresh process, run
   ``get_analysis("dynamics")`` on it (reading 2 M contracts and their income rows from the store,
   the flows, the decomposition, suppression) — what ``veerkracht analyse dynamics`` does.

Goal: the decomposition of a 2-million-contract panel in ≤ 30 s and ≤ 2 GB (steps 2 and 3).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(out: Path, dwellings: int) -> None:
    from veerkracht.synth.tenants import area_types, simulate
    n_areas = 10_000
    types = area_types([f"A{i:05d}" for i in range(n_areas)], seed=11)
    t = time.perf_counter()
    contracts, incomes = simulate(types, dwellings=dwellings // n_areas, years=(2010, 2020), seed=11)
    contracts.to_parquet(out / "contracts.parquet", index=False)
    incomes.to_parquet(out / "incomes.parquet", index=False)
    print(json.dumps({"step": "generate", "contracts": len(contracts), "income_rows": len(incomes),
                      "seconds": round(time.perf_counter() - t, 2), "peak_rss_mb": round(_rss_mb())}))


def core(out: Path) -> None:
    import pandas as pd

    from veerkracht.analysis._flows import decompose, panel_flows
    t0 = time.perf_counter()
    contracts = pd.read_parquet(out / "contracts.parquet")
    incomes = pd.read_parquet(out / "incomes.parquet")
    t1 = time.perf_counter()
    res = {}
    for y0, y1 in ((2010, 2020), (2019, 2020)):
        t = time.perf_counter()
        d = decompose(panel_flows(contracts, incomes, y0, y1))
        gap = float((d["inflow"] + d["outflow"] + d["mobility"] - d["change"]).abs().max())
        res[f"{y0}-{y1}"] = {"seconds": round(time.perf_counter() - t, 2), "areas": len(d), "max_gap": gap}
    print(json.dumps({"step": "core", "contracts": len(contracts), "read_seconds": round(t1 - t0, 2),
                      "decompose": res, "total_seconds": round(time.perf_counter() - t0, 2),
                      "peak_rss_mb": round(_rss_mb())}))


def load(out: Path) -> None:
    import pandas as pd

    from veerkracht.store import open_store
    from veerkracht.store.base import Provenance
    from veerkracht.store.microdata import MicroBatch, ingest_any
    t = time.perf_counter()
    contracts = pd.read_parquet(out / "contracts.parquet")
    contracts["dwelling_id"] = contracts["dwelling_id"].astype(str)
    incomes = pd.read_parquet(out / "incomes.parquet")
    store = open_store(str(out / "store.duckdb"))
    ingest_any(store, MicroBatch(Provenance("tenants", "bench", "bench"), dataset="bench",
                                 tables={"tenant_contracts": contracts, "tenant_incomes": incomes}))
    store.close()
    print(json.dumps({"step": "load", "seconds": round(time.perf_counter() - t, 2), "peak_rss_mb": round(_rss_mb())}))


def analyse(out: Path) -> None:
    from veerkracht.analysis import get_analysis
    from veerkracht.store import open_store
    store = open_store(str(out / "store.duckdb"), read_only=True)
    t = time.perf_counter()
    r = get_analysis("dynamics")(store, year_from=2010, year_to=2020)
    sec = time.perf_counter() - t
    store.close()
    print(json.dumps({"step": "store", "seconds": round(sec, 2), "areas": len(r.table),
                      "change_pp": round(r.summary["change"], 3), "peak_rss_mb": round(_rss_mb())}))


def _child(step: str, out: Path, *extra: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    p = subprocess.run([sys.executable, __file__, "--step", step, "--dir", str(out), *extra], env=env,
                       capture_output=True, text=True, check=True)
    line = [ln for ln in p.stdout.splitlines() if ln.startswith("{")][-1]
    print(line, flush=True)
    return json.loads(line)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dwellings", type=int, default=1_170_000)
    ap.add_argument("--step")
    ap.add_argument("--dir")
    ap.add_argument("--keep")
    a = ap.parse_args()
    if a.step:
        {"generate": lambda: generate(Path(a.dir), a.dwellings), "core": lambda: core(Path(a.dir)),
         "load": lambda: load(Path(a.dir)), "store": lambda: analyse(Path(a.dir))}[a.step]()
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(a.keep or tmp)
        out.mkdir(parents=True, exist_ok=True)
        print(f"load before: {os.getloadavg()}")
        gen = _child("generate", out, "--dwellings", str(a.dwellings))
        c = _child("core", out)
        _child("load", out)
        s = _child("store", out)
        print(f"load after: {os.getloadavg()}")
        print(f"\n{gen['contracts']:,} contracts, {gen['income_rows']:,} income rows")
        print(f"core  (Parquet → flows → decomposition 2010→2020 and 2019→2020): {c['total_seconds']:.1f} s, "
              f"peak RSS {c['peak_rss_mb']:,} MB; max |parts − change| {c['decompose']['2010-2020']['max_gap']:.1e}")
        print(f"store (veerkracht analyse dynamics on the DuckDB store):          {s['seconds']:.1f} s, "
              f"peak RSS {s['peak_rss_mb']:,} MB")
        print("goal: ≤ 30 s and ≤ 2,048 MB")


if __name__ == "__main__":
    main()
