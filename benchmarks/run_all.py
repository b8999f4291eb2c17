"""Run every benchmark script in this folder, one after another, each in its own process.

``./dev bench`` runs this. Each script prints its own medians, ratios and peak memory; nothing here
is a timed test. Pass script names to run a subset: ``./dev bench bench_foundation``.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(p for p in HERE.glob("bench_*.py"))
    if argv:
        scripts = [p for p in scripts if p.stem in argv or p.name in argv]
    failed = 0
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        print(f"=== {script.name}: exit {rc}, {time.perf_counter() - t0:.0f} s wall ===", flush=True)
        failed += rc != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
