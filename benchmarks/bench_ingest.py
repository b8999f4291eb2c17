"""Ingest benchmark: parse + write of a large KWB-like CSV through the real ``cbs-kwb`` reader.

Run: ``.venv/bin/python benchmarks/bench_ingest.py [--rows 5000000] [--reps 3]``.
The file has ``rows`` rows (codes × years, with a ``year`` column), three mapped KWB measures per row
(``a_inw``, ``a_woning``, ``p_wcorpw``, so three facts per row), an unmapped decimal column, names and
region types, and a sprinkling of CBS markers — about 50 bytes a row. Each repetition runs in a fresh
process so that its peak resident memory is its own. Prints medians: parse s, write s, facts/s for
parse + write, peak RSS. Goals (issue 11): ≥ 1 M facts/s and ≤ 1.5 GB for 5 M rows.

Measured 2026-11-30 (5 M rows, 3 reps, ``--no-harmonise``, load average 14–16 on 2 shared cores):
before the stream's DuckDB memory limit (commit 7b6b9cc) peak RSS 1,604 MB, CPU 34.8 s, wall 176.6 s;
with it (512MB, 24 MiB pieces) 1,478 MB, CPU 36.4 s, wall 158.8 s; with 384MB and 16 MiB pieces
1,478 MB, CPU 43.5 s. 0.41–0.43 M facts per CPU-second: the speed goal is not met.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def write_kwb_like(path: Path, rows: int, years: int = 5, seed: int = 0) -> None:
    """A KWB-like CSV of ``rows`` rows: ``rows // years`` buurt codes in ``years`` years."""
    rng = np.random.default_rng(seed)
    n_codes = rows // years
    code = np.char.add("BU", np.char.zfill(np.arange(n_codes).astype(str), 8))
    inw = rng.integers(0, 20000, n_codes)
    won = (inw * rng.uniform(0.3, 0.6, n_codes)).astype(np.int64)
    pct = rng.integers(0, 100, n_codes).astype(str)
    pct[rng.random(n_codes) < 0.02] = "."                     # CBS markers
    hh = np.round(rng.uniform(1.2, 3.5, n_codes), 1).astype(str)
    with open(path, "w") as fh:
        fh.write("gwb_code_10,regio,recs,year,a_inw,a_woning,p_wcorpw,g_hhgro\n")
        for y in range(2019, 2019 + years):
            block = np.char.add(code, ",Buurt " + str(y) + ",Buurt," + str(y) + ",")
            block = np.char.add(np.char.add(block, inw.astype(str)), ",")
            block = np.char.add(np.char.add(block, won.astype(str)), ",")
            block = np.char.add(np.char.add(np.char.add(block, pct), ","), hh)
            fh.write("\n".join(block.tolist()))
            fh.write("\n")


_CHILD = r"""
import json, resource, sys, time
from veerkracht.indicators import registry_frame
from veerkracht.sources import read
from veerkracht.sources.base import get_reader
from veerkracht.sources.cbs_kwb import ingest_kwb
from veerkracht.store import open_store
get_reader("cbs-kwb")           # imports every reader module: start-up, not parsing
store = open_store(sys.argv[2])           # as `veerkracht ingest`: the store (its lock) before the file
store.register_indicators(registry_frame())
t0, c0 = time.perf_counter(), time.process_time()
if sys.argv[3] == "stream":
    res, batch = ingest_kwb(store, sys.argv[1])     # parse and write piece by piece
    t1, c1, n_read = t0, c0, res["facts"]
else:
    batch = read("cbs-kwb", sys.argv[1])
    t1, c1, n_read = time.perf_counter(), time.process_time(), len(batch.facts)
    res = store.ingest(batch)
peak_read = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
n = int(store.sql("SELECT count(*) AS n FROM fact_values")["n"].iloc[0])
store.close()
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"parse": t1 - t0, "write": t2 - t1, "cpu_parse": c1 - c0, "cpu_write": c2 - c1, "facts": n,
                  "facts_read": n_read, "read_mb": peak_read, "streamed": bool(res.get("streamed")),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


_HARMONISE = r"""
import json, resource, sys, time
from veerkracht.geo.harmonise import harmonise_store
from veerkracht.store import open_store
store = open_store(sys.argv[1])
versions = sorted(store.geo_versions()["id"])
target = versions[-1]
# identity crosswalks of every earlier version onto the last (the synthetic codes do not change)
for v in versions[:-1]:
    store.sql(f"INSERT INTO crosswalks SELECT '{v}', code, '{target}', code, 1.0, NULL, 'area' FROM areas "
              f"WHERE geo_version = '{v}'")
t0, c0 = time.perf_counter(), time.process_time()
summary = harmonise_store(store, target)
t1, c1 = time.perf_counter(), time.process_time()
n_in = sum(s["facts_in"] for s in summary.values())
n_out = sum(s["facts_out"] for s in summary.values())
store.close()
print(json.dumps({"harmonise": t1 - t0, "cpu_harmonise": c1 - c0, "facts_in": n_in, "facts_out": n_out,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def harmonise_run(tmp: Path) -> dict:
    """Harmonise the store the last ingest run left onto its last version, in a fresh process."""
    shutil.copy(tmp / "bench.duckdb", tmp / "harm.duckdb")      # each run from the ingested store
    out = subprocess.run([sys.executable, "-c", _HARMONISE, str(tmp / "harm.duckdb")], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def one_run(csv: Path, tmp: Path, mode: str = "stream", src: str | None = None) -> dict:
    """One ingest in a fresh process; ``src``: the ``src`` folder of another checkout (a "before")."""
    store = tmp / "bench.duckdb"
    for p in tmp.glob("bench.duckdb*"):
        p.unlink()
    env = {**os.environ, "PYTHONPATH": src} if src else None
    out = subprocess.run([sys.executable, "-c", _CHILD, str(csv), str(store), mode], capture_output=True, text=True,
                         check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--harmonise", action=argparse.BooleanOptionalAction, default=True,
                    help="also harmonise the ingested store onto its last version (identity crosswalks)")
    ap.add_argument("--mode", choices=("stream", "whole"), default="stream",
                    help="stream: `veerkracht ingest` (pieces written as read); whole: read() then store.ingest()")
    ap.add_argument("--before", metavar="SRC", help="also run the ingest with the veerkracht of another checkout "
                    "(its src folder, e.g. from `git archive <commit> src`), interleaved, and print both")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        csv = tmp / "kwb_like.csv"
        write_kwb_like(csv, args.rows)
        size = csv.stat().st_size / 2**20
        before, runs = [], []
        for _ in range(args.reps):        # interleaved: both see the same load
            if args.before:
                before.append(one_run(csv, tmp, args.mode, args.before))
            runs.append(one_run(csv, tmp, args.mode))
        harm = [harmonise_run(tmp) for _ in range(args.reps if args.harmonise else 0)]
    if before:
        _report(before, args, size, f"before ({args.before})")
    _report(runs, args, size, "this checkout" if before else "")
    if harm:
        h = {k: statistics.median(r[k] for r in harm) for k in ("harmonise", "cpu_harmonise", "rss_mb")}
        print(f"harmonise of that panel onto its last version: {harm[0]['facts_in']:,} facts in, "
              f"{harm[0]['facts_out']:,} out; {h['harmonise']:.1f} s (CPU {h['cpu_harmonise']:.1f} s), "
              f"peak RSS {h['rss_mb']:,.0f} MB (goal ≤ 1,500)")
    return 0


def _report(runs: list[dict], args, size: float, label: str) -> None:
    med = {k: statistics.median(r[k] for r in runs)
           for k in ("parse", "write", "rss_mb", "read_mb", "cpu_parse", "cpu_write")}
    facts = runs[0]["facts"]
    assert all(r["facts"] == r["facts_read"] == facts for r in runs), "facts read ≠ facts stored"
    rate = facts / (med["parse"] + med["write"])
    print(f"ingest of a KWB-like csv ({args.mode}{', ' + label if label else ''}): {args.rows:,} rows, "
          f"{size:,.0f} MiB, {facts:,} facts (median of {args.reps})")
    print(f"  parse {med['parse']:.1f} s, write {med['write']:.1f} s, {rate / 1e6:.2f} M facts/s "
          f"(goal ≥ 1), peak RSS {med['rss_mb']:,.0f} MB (goal ≤ 1,500; {med['read_mb']:,.0f} MB by the end of the read)")
    cpu = med["cpu_parse"] + med["cpu_write"]
    print(f"  CPU time (all threads) parse {med['cpu_parse']:.1f} s, write {med['cpu_write']:.1f} s: "
          f"{facts / cpu / 1e6:.2f} M facts per CPU-second (the machine is shared: wall time depends on the load; "
          f"load average at the end {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    sys.exit(main())
