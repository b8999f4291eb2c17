"""Build benchmark: ``veerkracht build --country`` for 13 KWB editions from loopback services.

Run: ``.venv/bin/python benchmarks/bench_build.py [--reps 3] [--years 2013-2025] [--extra 100]``.

The answers (the real 13,594 buurten of 2019 redrawn in 2016, 2019 and 2022; synthetic KWB values
with ``--extra`` measures the registry does not use beside the nine it reads) are written once to a
folder (``--fixture``, reused when present) and served by ``tests/servers/public_data.py`` in its own
process. Each repetition is a child process with a fresh cache and store: it fetches (KWB csv
downloads, PDOK OGC API pages), ingests, crosswalks and harmonises everything onto the last year.
Prints medians of wall time, peak memory of the child and the share of every phase, and the
parse + ingest rate of the KWB facts. Goals: ≤ 120 s, ≤ 2 GB, parse + ingest ≥ 1 M facts/s.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

PHASES = ("download", "parse", "ingest", "crosswalk", "harmonise", "coverage")


def child(fixture_base: str, years: list[int], work: Path) -> dict:
    """One build in this process; returns timings, counts and the peak resident memory."""
    from veerkracht.build import BuildPlan, run_build
    from veerkracht.indicators import registry_frame
    from veerkracht.sources.download import DownloadCache
    from veerkracht.sources.public import Services
    from veerkracht.store import open_store

    store = open_store(work / "nl.duckdb")
    store.register_indicators(registry_frame())
    t0, c0 = time.perf_counter(), time.process_time()
    res = run_build(store, BuildPlan(years=years, kwb_via="download"), DownloadCache(work / "cache"),
                    Services.loopback(fixture_base))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    n_facts = int(store.sql("SELECT count(*) AS n FROM facts")["n"].iloc[0])
    store.close()
    cov = res["coverage"]
    return {"wall": wall, "cpu": cpu, "timings": res["timings"], "facts_total": n_facts,
            "coverage_min_buurt": float(cov[cov["level"] == "buurt"]["share"].min()),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--years", default="2013-2025")
    ap.add_argument("--extra", type=int, default=100, help="KWB measures beside the nine the registry reads")
    ap.add_argument("--fixture", default=str(Path(tempfile.gettempdir()) / "veerkracht-bench-build"))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    lo, hi = (int(x) for x in args.years.split("-"))
    years = list(range(lo, hi + 1))
    if args.child:
        base, work = args.child.split("|")
        print(json.dumps(child(base, years, Path(work))))
        return

    from tests.servers import process
    from tests.servers.national import write_fixture

    fixture = Path(args.fixture) / f"{lo}-{hi}-x{args.extra}"
    if not (fixture / "done").exists():
        t = time.perf_counter()
        write_fixture(fixture, years, redraws={y: (150, 150) for y in (2016, 2019, 2022) if lo < y <= hi},
                      n_extra=args.extra)
        (fixture / "done").write_text("")
        print(f"fixture written to {fixture} in {time.perf_counter() - t:.0f} s")
    size = sum(f.stat().st_size for f in fixture.rglob("*") if f.is_file()) / 1e6
    proc, base = process.start(fixture)
    runs = []
    try:
        for rep in range(args.reps):
            with tempfile.TemporaryDirectory() as work:
                out = subprocess.run([sys.executable, __file__, "--years", args.years, "--extra", str(args.extra),
                                      "--child", f"{base}|{work}"], capture_output=True, text=True, cwd=ROOT)
                if out.returncode:
                    print(out.stderr[-3000:])
                    return 1
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
                r = runs[-1]
                print(f"rep {rep + 1}: {r['wall']:.1f} s, peak {r['peak_mb']:,.0f} MB, {r['facts_total']:,} facts in "
                      "the store", flush=True)
    finally:
        process.stop(proc)

    def med(f):
        return statistics.median(f(r) for r in runs)
    wall = med(lambda r: r["wall"])
    peak = med(lambda r: r["peak_mb"])
    kwb_facts = med(lambda r: r["timings"].get("facts_kwb", 0))
    print(f"\nbuild --country, {len(years)} KWB editions ({lo}–{hi}), {args.extra + 9} KWB measures a table, "
          f"fixture {size:,.0f} MB on disk; medians of {len(runs)} run(s):")
    print(f"  wall time            {wall:8.1f} s    (goal ≤ 120 s: {wall / 120:.2f} of it)")
    print(f"  peak memory (child)  {peak:8,.0f} MB   (goal ≤ 2,048 MB: {peak / 2048:.2f} of it)")
    print(f"  CPU time (child, all threads) {med(lambda r: r.get('cpu', 0.0)):.1f} s — the machine is shared, "
          f"load average now {os.getloadavg()[0]:.1f}: wall time depends on the other users")
    for ph in PHASES:
        sec = med(lambda r, ph=ph: r["timings"].get(ph, 0.0))
        print(f"  {ph:<20} {sec:8.1f} s    {sec / wall:6.1%} of the wall time")
    other = wall - sum(med(lambda r, ph=ph: r["timings"].get(ph, 0.0)) for ph in PHASES)
    print(f"  {'(journal, other)':<20} {other:8.1f} s    {other / wall:6.1%}")
    pk = med(lambda r: r["timings"].get("parse_kwb", 0) + r["timings"].get("ingest_kwb", 0))
    pg = med(lambda r: r["timings"].get("parse_geometry", 0) + r["timings"].get("ingest_geometry", 0))
    print(f"  KWB parse + ingest   {pk:8.1f} s    {kwb_facts:,.0f} facts → {kwb_facts / max(pk, 1e-9) / 1e6:.2f} M facts/s "
          "(goal ≥ 1 M/s; a streamed KWB file is parsed inside its ingest)")
    print(f"  geometry parse + ingest {pg:5.1f} s    ({len(years) * 3} layers)")
    print(f"  facts in the store   {med(lambda r: r['facts_total']):,.0f}; lowest buurt coverage "
          f"{med(lambda r: r['coverage_min_buurt']):.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
