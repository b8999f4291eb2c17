"""Grid benchmark: a national 100 m grid (382k cells) × 8 Leefbaarometer waves + CBS dwellings.

Run: ``.venv/bin/python benchmarks/bench_grid.py [--cells 382000] [--fixture DIR] [--n-boot 200]``.

Setup (not timed, reused from ``--fixture`` when present): cells are drawn inside the real national
buurten of 2019 (``tests/data/real/geo_buurt_2019_nl``), with dwellings, corporation dwellings from a
smooth random field, and a Leefbaarometer series whose 2014 → 2022 change bends on the 200 m share.
Files are written in the published layouts (``tests/grid/synthetic.py``): a CBS grid CSV and
"Leefbaarometer-scores grids 2002-2022.csv".

Timed, in a child process with a fresh DuckDB file (its peak RSS is the figure printed): ingest of both
files through the readers, the crosswalk to the buurten (cell centres), the 200 m sums
(``corp_share_200m``) and the grid tipping point (block bootstrap by buurt). Goal: ≤ 20 s, ≤ 1.5 GB
for ingest + 200 m sums + tipping point.
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

BUURTEN = ROOT / "tests" / "data" / "real" / "geo_buurt_2019_nl" / "buurten_2019_nl_wgs84_topo_simplified.geojson.gz"


def setup(folder: Path, n_cells: int, seed: int = 0) -> None:
    """Write the CBS grid file and the Leefbaarometer grid file for ``n_cells`` cells on land."""
    import numpy as np
    import shapely
    from scipy.ndimage import gaussian_filter

    from tests.grid.synthetic import LBM_YEARS, write_cbs_grid_csv, write_lbm_grid_csv
    from veerkracht.geo.grid import cell_codes, radius_sums
    from veerkracht.sources import read

    rng = np.random.default_rng(seed)
    b = read("geometry", BUURTEN, geo_version="cbs2019").areas.to_crs(28992)
    x0, y0, x1, y1 = (np.asarray(b.total_bounds) // 100).astype(int)
    tree = shapely.STRtree(np.asarray(b.geometry.values))
    picked: set[int] = set()
    width = y1 - y0 + 1
    while len(picked) < n_cells:
        cand = rng.integers(0, (x1 - x0 + 1) * width, size=1_500_000)
        ix, iy = cand // width + x0, cand % width + y0
        pi, _ = tree.query(shapely.points((ix + 0.5) * 100, (iy + 0.5) * 100), predicate="within")
        picked.update(cand[np.unique(pi)].tolist())
    flat = rng.permutation(np.array(sorted(picked)))[:n_cells]      # a random subset of the land cells
    ix, iy = flat // width + x0, flat % width + y0
    dwellings = rng.integers(5, 150, size=n_cells).astype(float)
    field = gaussian_filter(rng.normal(size=(x1 - x0 + 1, width)), 2.5)[ix - x0, iy - y0]
    p = np.clip((np.argsort(np.argsort(field)) + 0.5) / n_cells * 1.1 - 0.05, 0, 1)
    corp = rng.binomial(dwellings.astype(int), p).astype(float)
    write_cbs_grid_csv(folder / "cbs_vk100_2014.csv", ix * 100, iy * 100, dwellings, corp)
    sums, _ = radius_sums(ix, iy, np.column_stack([corp, dwellings]), 200, 100)
    share = sums[:, 0] / sums[:, 1] * 100
    change = 0.04 - 0.004 * np.clip(share - 40, 0, None) + rng.normal(0, 0.03, size=n_cells)
    base = rng.normal(0, 0.1, size=n_cells)
    scores = {y: base + rng.normal(0, 0.01, size=n_cells) for y in LBM_YEARS}
    scores[2022] = scores[2014] + change
    write_lbm_grid_csv(folder / "Leefbaarometer-scores grids 2002-2022.csv", cell_codes(ix * 100, iy * 100),
                       scores, rng)
    (folder / "ready").write_text(json.dumps({"cells": n_cells}))


def child(folder: Path, work: Path, n_boot: int, n_test: int) -> dict:
    """The timed pipeline in this process; returns the phase times and the peak RSS."""
    from veerkracht.analysis import get_analysis
    from veerkracht.geo.grid_store import crosswalk_grid, surroundings
    from veerkracht.indicators import registry_frame
    from veerkracht.sources import read
    from veerkracht.store import open_store

    store = open_store(work / "grid.duckdb")
    store.register_indicators(registry_frame())
    store.ingest(read("geometry", BUURTEN, geo_version="cbs2019"))      # the buurten: setup, not timed
    import veerkracht.analysis._load_all  # noqa: F401  (imports are not what is measured)
    t: dict[str, float] = {}
    cpu: dict[str, float] = {}
    peak: dict[str, float] = {}

    def timed(label, fn):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        t[label], cpu[label] = time.perf_counter() - t0, time.process_time() - c0
        peak[label] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024     # peak so far: who raised it
        return out

    def load(label, kind, path, **opts):
        batch = timed(f"read {label}", lambda: read(kind, str(path), **opts))
        timed(f"store {label}", lambda: store.ingest(batch))

    load("grid-cbs", "grid-cbs", folder / "cbs_vk100_2014.csv", year=2014)
    load("lbm-grid (8 waves)", "lbm-grid", folder / "Leefbaarometer-scores grids 2002-2022.csv")
    timed("crosswalk to buurten", lambda: crosswalk_grid(store, "cbs2019"))
    s = timed("200 m sums", lambda: surroundings(store, years=[2014]))
    r = timed("tipping point (grid + buurt)",
              lambda: get_analysis("grid-tipping-point")(store, n_boot=n_boot, n_test=n_test))
    g = r.table[r.table["unit"] == "grid"].iloc[0]
    n_facts = int(store.sql("SELECT count(*) AS n FROM facts")["n"].iloc[0])
    store.close()
    return {"timings": t, "cpu": cpu, "peak": peak, "facts": n_facts, "surroundings": s["facts"],
            "break": float(g["breakpoint"]), "zero": float(g["zero_crossing"]), "n": int(g["n"]),
            "blocks": int(g["n_units"]), "n_eff": float(g["n_eff"]),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=382_000)
    ap.add_argument("--fixture", type=Path, default=Path(tempfile.gettempdir()) / "veerkracht_bench_grid")
    ap.add_argument("--n-boot", type=int, default=200)
    ap.add_argument("--n-test", type=int, default=49)
    ap.add_argument("--child", type=Path, default=None)
    a = ap.parse_args()
    if a.child is not None:
        print(json.dumps(child(a.fixture, a.child, a.n_boot, a.n_test)))
        return
    folder = a.fixture / str(a.cells)
    if not (folder / "ready").exists():
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        setup(folder, a.cells)
        print(f"setup (not timed): {time.perf_counter() - t0:.1f} s, files in {folder}")
    with tempfile.TemporaryDirectory() as work:
        res = subprocess.run([sys.executable, __file__, "--fixture", str(folder), "--child", work,
                              "--n-boot", str(a.n_boot), "--n-test", str(a.n_test)],
                             capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(res.stderr)
    out = json.loads(res.stdout.strip().splitlines()[-1])
    t = out["timings"]
    print(f"cells: {out['n']:,} in {out['blocks']:,} buurten (effective units {out['n_eff']:,.0f}); "
          f"facts in the store: {out['facts']:,}; corp_share_200m facts: {out['surroundings']:,}")
    print(f"  {'phase':<32} {'wall':>7} {'CPU':>7} {'peak RSS so far':>16}")
    for k, v in t.items():
        print(f"  {k:<32} {v:6.1f}s {out['cpu'][k]:6.1f}s {out['peak'][k]:13,.0f} MB")
    goal = sum(v for k, v in t.items() if k != "crosswalk to buurten")
    goal_cpu = sum(v for k, v in out["cpu"].items() if k != "crosswalk to buurten")
    print(f"ingest + 200 m sums + tipping point: {goal:.1f} s wall, {goal_cpu:.1f} s CPU (goal ≤ 20 s); "
          f"with the crosswalk {sum(t.values()):.1f} s wall")
    print(f"peak RSS of the timed process: {out['peak_rss_mb']:,.0f} MB (goal ≤ 1,536 MB)")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared machine)")
    print(f"planted break 40 / zero 50 → found {out['break']:.1f} / {out['zero']:.1f} "
          f"(n_boot {a.n_boot}, n_test {a.n_test})")


if __name__ == "__main__":
    main()
