"""Benchmark the analyses on a synthetic national buurt panel (13,594 real buurten). Not a test.

    .venv/bin/python benchmarks/bench_analysis.py [--repeat 3] [--only tipping]

Prints the median wall time of each benchmark. To add an analysis, append ``(name, callable)`` to
:data:`BENCHMARKS`; the callable gets the prepared :class:`Setup` (``.store``, ``.panel``, ``.areas``).
Target: the 1,000-replicate tipping-point bootstrap ≤ 10 s on the 2-core machine.
"""
from __future__ import annotations

import argparse
import os
import statistics
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

SHARED_DATA = Path(os.environ.get("VEERKRACHT_SHARED_DATA", ROOT.parent / "shared" / "data"))
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


BENCHMARKS: list[tuple[str, callable]] = [
    ("corp-profile bijstand 2012–2018, n_boot=500",
     lambda su: get_analysis("corp-profile")(su.store, "bijstand", year_from=2012, year_to=2018)),
    ("liveability level, deciles by start, 3 periods",
     lambda su: get_analysis("liveability")(su.store)),
    ("liveability dimension mode (corp ≥ 50%)",
     lambda su: get_analysis("liveability")(su.store, mode="dimension")),
    ("tipping-point lbm 2012–2018, n_boot=1000 (whole run)",
     lambda su: get_analysis("tipping-point")(su.store, year_from=2012, year_to=2018, n_boot=1000)),
    ("tipping-point bootstrap core, 1000 replicates", _tipping_bootstrap_core),
    ("tipping-point outcome=all (6 outcomes), n_boot=1000",
     lambda su: get_analysis("tipping-point")(su.store, outcome="all", year_from=2012, year_to=2018)),
]

# ---- spatial / change analyses (helper-5): the same national store; bijstand stands in for the
# vulnerable groups (no lvb / low_income / residents in this panel) and lbm_onv is the nuisance measure.
BENCHMARKS += [
    ("change-model lbm_onv ~ Δbijstand + controls, HC3",
     lambda su: get_analysis("change-model")(su.store, year_from=2012, year_to=2018)),
    ("change-model, cluster errors by gemeente",
     lambda su: get_analysis("change-model")(su.store, year_from=2012, year_to=2018, errors="cluster")),
    ("change-model, spatial lag (GM) on Queen weights",
     lambda su: get_analysis("change-model")(su.store, year_from=2012, year_to=2018, spatial="lag")),
    ("typology (stand-in vulnerability index from bijstand)",
     lambda su: get_analysis("typology")(su.store, year_from=2012, year_to=2018)),
    ("concentration bijstand 2012–2018 (3×3)",
     lambda su: get_analysis("concentration")(su.store, "bijstand", year_from=2012, year_to=2018)),
    ("relative bijstand 2018 (gemeente + country)",
     lambda su: get_analysis("relative")(su.store, "bijstand", year=2018)),
    ("hotspots lbm_onv change 2012–2018, 999 permutations",
     lambda su: get_analysis("hotspots")(su.store, "lbm_onv", measure="change", year_from=2012, year_to=2018)),
    ("benchmark 355 gemeenten (corp-profile each, n_boot=200)",
     lambda su: get_analysis("benchmark")(su.store, "bijstand", year_from=2012, year_to=2018,
                                          size_indicator="dwellings")),
]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="", help="run only benchmarks whose name contains this text")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    su = build()
    print(f"setup: {len(su.areas):,} areas, {len(su.panel):,} area-years, {time.perf_counter() - t0:.1f} s")
    for name, fn in BENCHMARKS:
        if args.only and args.only not in name:
            continue
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            fn(su)
            times.append(time.perf_counter() - t)
        print(f"{name:<58} median {statistics.median(times):7.2f} s  (min {min(times):.2f}, n={args.repeat})")


if __name__ == "__main__":
    main()
