"""Benchmark the analyses on a synthetic national buurt panel (13,594 real buurten). Not a test.

    .venv/bin/python benchmarks/bench_analysis.py [--repeat 3] [--only tipping]

Runs every analysis of issue 3 (item 14) and prints, per benchmark, the median wall time of
``--repeat`` (≥ 3) runs and the median CPU time of this process (less sensitive to other work on a
shared machine), then the total of the full set and the load (``uptime``) before and after.
:data:`BENCHMARKS` is the full set that the total sums; :data:`EXTRAS` are printed but not summed
(the bootstrap core is part of the tipping-point run; ``outcome=all`` is six runs of it).
To add an analysis, append ``(name, callable)``; the callable gets the prepared :class:`Setup`
(``.store``, ``.panel``, ``.areas``).
Targets (2-core machine): the full set ≤ 20 s; the 1,000-replicate tipping-point bootstrap ≤ 10 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))          # for tests.analysis.planted (the shared planted-panel generator)

from tests.analysis.planted import make_panel, national_areas, plant_rate, planted_store, segmented  # noqa: E402
from veerkracht.analysis import get_analysis  # noqa: E402
from veerkracht.analysis.tipping_point import _bootstrap, fit_segmented  # noqa: E402

SHARED_DATA = ROOT / "tests" / "data" / "real"   # real public data in the repository
YEARS = [2012, 2014, 2016, 2018]
DIMENSIONS = ["lbm_won", "lbm_fys", "lbm_vrz", "lbm_soc", "lbm_onv"]


@dataclass
class Setup:
    areas: object
    panel: object
    store: object


def build() -> Setup:
    """The national panel: corp_share (drifting), bijstand (gap grows), lbm + 5 dimensions (tipping)."""
    areas = national_areas(SHARED_DATA)
    pan = make_panel(areas, YEARS, seed=1, share_drift_sd=2)
    rng = np.random.default_rng(2)
    s = pan["corp_share"].to_numpy()
    t = (pan["year"].to_numpy() - YEARS[0]) / (YEARS[-1] - YEARS[0])
    pan = plant_rate(pan, "bijstand", 0.02 + (0.06 + 0.05 * t) * s / 100, seed=3)
    n = len(areas)
    s0 = s[:n]
    for ind, brk in [("lbm", 45)] + [(d, 60) for d in DIMENSIONS]:
        level = rng.normal(0, 0.1, n)
        steps = [level] + [segmented(s0, brk, -0.0001, -0.001, 0.005) * k / 3 + rng.normal(0, 0.03, n)
                           for k in (1, 2, 3)]
        pan[ind] = np.concatenate([level + st if i else level for i, st in enumerate(steps)])
    store = planted_store(areas, pan, ["corp_share", "bijstand", "dwellings", "lbm"] + DIMENSIONS)
    return Setup(areas, pan, store)


def _tipping_bootstrap_core(su: Setup):
    """Only the vectorised bootstrap: 1,000 replicates of the breakpoint on 13,594 areas."""
    d = su.panel
    x = d.loc[d["year"] == 2012, "corp_share"].to_numpy()
    y = d.loc[d["year"] == 2018, "lbm"].to_numpy() - d.loc[d["year"] == 2012, "lbm"].to_numpy()
    fit = fit_segmented(x, y)
    return _bootstrap(x, y, None, 1000, 0, 0.25, fit)


def _run(name, **kw):
    return lambda su: get_analysis(name)(su.store, **kw)


Y = {"year_from": 2012, "year_to": 2018}

#: The full set (issue 3, item 14): one line per analysis mode; the total sums these medians.
#: bijstand stands in for the vulnerable groups (no lvb / low_income / residents in this panel) and
#: lbm_onv is the nuisance measure.
BENCHMARKS: list[tuple[str, callable]] = [
    ("corp-profile bijstand 2012–2018, n_boot=500", _run("corp-profile", indicator="bijstand", **Y)),
    ("liveability level, deciles by start, 3 periods", _run("liveability")),
    ("liveability dimension mode (corp ≥ 50%)", _run("liveability", mode="dimension")),
    ("tipping-point lbm 2012–2018, n_boot=1000 (whole run)", _run("tipping-point", n_boot=1000, **Y)),
    ("change-model lbm_onv ~ Δbijstand + controls, HC3", _run("change-model", **Y)),
    ("change-model, cluster errors by gemeente", _run("change-model", errors="cluster", **Y)),
    ("change-model, spatial lag (GM) on Queen weights", _run("change-model", spatial="lag", **Y)),
    ("typology (stand-in vulnerability index from bijstand)", _run("typology", **Y)),
    ("concentration bijstand 2012–2018 (3×3)", _run("concentration", indicator="bijstand", **Y)),
    ("relative bijstand 2018 (gemeente + country)", _run("relative", indicator="bijstand", year=2018)),
    ("hotspots lbm_onv change 2012–2018, 999 permutations",
     _run("hotspots", indicator="lbm_onv", measure="change", **Y)),
    ("benchmark 355 gemeenten (corp-profile, n_boot=200)",
     _run("benchmark", indicator="bijstand", size_indicator="dwellings", **Y)),
]

#: Printed, not summed: a part of a run above, or several runs of it.
EXTRAS: list[tuple[str, callable]] = [
    ("tipping-point bootstrap core, 1000 replicates", _tipping_bootstrap_core),
    ("tipping-point outcome=all (6 outcomes), n_boot=1000", _run("tipping-point", outcome="all", **Y)),
]


def _load() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _time(fn, su, repeat: int) -> tuple[float, float, float]:
    """Median wall, min wall and median CPU seconds of ``repeat`` runs."""
    wall, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn(su)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), min(wall), statistics.median(cpu)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per benchmark (at least 3)")
    ap.add_argument("--only", default="", help="run only benchmarks whose name contains this text")
    args = ap.parse_args(argv)
    repeat = max(args.repeat, 3)
    print(f"load before: {_load()}")
    t0 = time.perf_counter()
    su = build()
    print(f"setup: {len(su.areas):,} areas, {len(su.panel):,} area-years, {time.perf_counter() - t0:.1f} s")
    print(f"{'benchmark':<58} {'median':>8} {'min':>7} {'cpu':>7}   (s, n={repeat})")
    totals = [0.0, 0.0]
    for group, items in (("set", BENCHMARKS), ("extra", EXTRAS)):
        for name, fn in items:
            if args.only and args.only not in name:
                continue
            med, lo, cpu = _time(fn, su, repeat)
            if group == "set":
                totals[0] += med
                totals[1] += cpu
            print(f"{name if group == 'set' else '(extra) ' + name:<58} {med:8.2f} {lo:7.2f} {cpu:7.2f}", flush=True)
    what = "the selected benchmarks" if args.only else "the full set (target ≤ 20 s)"
    print(f"{'TOTAL of ' + what + ', sum of medians':<58} {totals[0]:8.2f} {'':>7} {totals[1]:7.2f}")
    print(f"load after:  {_load()}")


if __name__ == "__main__":
    main()
