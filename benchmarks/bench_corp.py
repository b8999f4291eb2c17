"""Benchmark the corporation's view: the early-warning back-test on the national Leefbaarometer PC4 waves
and the portfolio overlay. Not a test.

    .venv/bin/python benchmarks/bench_corp.py [--repeat 3]

Prints the median wall time of ``--repeat`` runs (and the min/max) for:

* the early-warning back-test over every origin of the real national PC4 panel 2002–2022
  (4,058 PC4 areas, horizons 4 and 2; goal ≤ 30 s each), with the 2018 → 2022 skill it found;
* reading, locating and overlaying a synthetic 20,000-dwelling portfolio on the 13,594 real buurten
  of 2019 (per dwelling, RD coordinates).
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


def timed(fn, repeat: int) -> tuple[list[float], object]:
    out, last = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        last = fn()
        out.append(time.perf_counter() - t0)
    return out, last


def show(name: str, times: list[float], extra: str = "") -> None:
    print(f"{name:<58} median {statistics.median(times):6.2f} s  (min {min(times):.2f}, max {max(times):.2f}, "
          f"n={len(times)}) {extra}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print("load before:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
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
    print("load after:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
