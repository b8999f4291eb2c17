"""Benchmark the corporation's view: the early-warning back-test on the national Leefbaarometer PC4 waves
and the portfolio overlay. Not a test.

    .venv/bin/python benchmarks/bench_corp.py [--repeat 3]

Prints the median wall time of ``--repeat`` runs (and the min/max) for:

* the early-warning back-test over every origin of the real national PC4 panel 2002–2022
  (4,058 PC4 areas, horizons 4 and 2; goal ≤ 30 s each), with the 2018 → 2022 skill it found;
* reading, locating and overlaying a synthetic 20,000-dwelling portfolio on the 13,594 real buurten
  of 2019 (per dwelling, RD coordinates);
* an allocation scenario of 13,594 areas × 10 years × 1,000 simulations, current policy and the cap rule
  (goal ≤ 30 s), with its peak memory.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from veerkracht.analysis import get_analysis  # noqa: E402
from veerkracht.indicators import registry_frame  # noqa: E402
from veerkracht.sources import read  # noqa: E402
from veerkracht.store import open_store  # noqa: E402

REAL = ROOT / "tests" / "data" / "real"
LBM = REAL / "leefbaarometer_pc4" / "leefbaarometer3_scores_pc4_2002_2022.csv.gz"
BUURTEN = REAL / "geo_buurt_2019_nl" / "buurten_2019_nl_wgs84_topo_simplified.geojson.gz"


_CPU: list[float] = []      # CPU seconds of the runs timed last (all threads of this process)


def timed(fn, repeat: int) -> tuple[list[float], object]:
    out, last = [], None
    _CPU.clear()
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        last = fn()
        out.append(time.perf_counter() - t0)
        _CPU.append(time.process_time() - c0)
    return out, last


def show(name: str, times: list[float], extra: str = "") -> None:
    """Wall-time median (min/max) and the CPU-time median: on a shared machine CPU time is the steadier figure."""
    cpu = f", CPU median {statistics.median(_CPU):.2f} s" if _CPU else ""
    print(f"{name:<58} median {statistics.median(times):6.2f} s  (min {min(times):.2f}, max {max(times):.2f}, "
          f"n={len(times)}{cpu}) {extra}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", choices=["scenario"], help="run only this part")
    args = ap.parse_args()
    print("load before:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    if args.only == "scenario":
        scenario(args.repeat)
        print("load after:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
        return
    store = open_store(":memory:")
    store.register_indicators(registry_frame())
    times, _ = timed(lambda: store.ingest(read("leefbaarometer", LBM), force=True), 1)
    show("ingest national Leefbaarometer PC4 2002–2022", times)
    for k in (4, 2):
        times, res = timed(lambda k=k: get_analysis("early-warning")(store, horizon=k, n_boot=200), args.repeat)
        last = res.extra["skill"]
        last = last[last["origin"] == last["origin"].max()].set_index("method")
        skill = "; ".join(f"{m} P={100 * r['precision']:.0f}% R={100 * r['recall']:.0f}% AP={r['pr_auc']:.2f}"
                          for m, r in last.iterrows())
        show(f"early-warning back-test, every origin, horizon {k} (goal ≤ 30 s)", times,
             f"\n    last origin {int(last['origin'].iloc[0])}→{int(last['outcome'].iloc[0])}: {skill}")
    store.close()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "nl.duckdb"
        st = open_store(str(path))
        st.register_indicators(registry_frame())
        st.ingest(read("geometry", BUURTEN, geo_version="cbs2019", level="buurt"))
        areas = st.areas(geo_version="cbs2019", level="buurt")
        rng = np.random.default_rng(0)
        pick = areas.sample(20_000, replace=True, random_state=0)
        pts = pick.geometry.representative_point().to_crs(28992)
        df = pd.DataFrame({"vhe": [f"V{i}" for i in range(len(pick))], "complex": [f"C{i // 25}" for i in range(len(pick))],
                           "x": pts.x.round(1).to_numpy() + rng.uniform(-1, 1, len(pick)),
                           "y": pts.y.round(1).to_numpy() + rng.uniform(-1, 1, len(pick))})
        csv = Path(tmp) / "bezit.csv"
        df.to_csv(csv, index=False)
        from veerkracht.cli_portfolio import ingest_portfolio
        rss0 = psutil.Process().memory_info().rss
        times, _ = timed(lambda: ingest_portfolio(st, read("portfolio", csv, corporation="Bench"), lambda *a, **k: None),
                         args.repeat)
        show("read + locate (point in 13,594 buurten) + store 20,000 dwellings", times,
             f"RSS +{(psutil.Process().memory_info().rss - rss0) / 2**20:.0f} MB")
        st.close()
    scenario(args.repeat)
    print("load after:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


def scenario(repeat: int) -> None:
    import geopandas as gpd
    rng = np.random.default_rng(1)
    n = 13_594
    store = open_store(":memory:")
    store.register_indicators(registry_frame())
    codes = [f"BU{i:08d}" for i in range(n)]
    store.write_areas(gpd.GeoDataFrame({"geo_version": "syn", "code": codes, "level": "buurt", "name": codes,
                                        "gm_code": "GM0000", "wk_code": None}, geometry=[None] * n, crs=4326))
    stock = rng.lognormal(4.5, 1.0, n).round().clip(1, 3000)     # many small, some very large corporation stocks
    store.write_facts(pd.concat([
        pd.DataFrame({"geo_version": "syn", "code": codes, "year": 2024, "indicator": "corp_share", "numerator": stock,
                      "denominator": stock * 2, "value": 50.0, "source": "bench", "flags": "", "origin_version": "syn"}),
        pd.DataFrame({"geo_version": "syn", "code": codes, "year": 2024, "indicator": "low_income",
                      "value": rng.uniform(10, 70, n), "numerator": np.nan, "denominator": np.nan, "source": "bench",
                      "flags": "", "origin_version": "syn"})]))
    rss0 = psutil.Process().memory_info().rss
    times, res = timed(lambda: get_analysis("scenario")(store, geo_version="syn", level="buurt", n_sim=1000, horizon=10),
                       repeat)
    peak = (psutil.Process().memory_info().rss - rss0) / 2**20
    show("scenario 13,594 areas × 10 years × 1,000 sims, 2 rules (goal ≤ 30 s)", times,
         f"RSS +{peak:.0f} MB after; areas above 50 %: {res.summary['areas_above_current']:.0f} current, "
         f"{res.summary['areas_above_cap']:.0f} cap")


if __name__ == "__main__":
    main()
