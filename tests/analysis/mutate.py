"""Mutation run of ``veerkracht.analysis`` (``./dev mutate``): do the tests catch a wrong estimator?

Two kinds of mutants, each applied to a fresh copy of ``src/`` and tested with the analysis tests
of the module it touches (``TESTS``; a failing test, an error or a timeout kills it):

* **faithful** (:data:`FAITHFUL`): the wrong estimators a reviewer would write by mistake — resampling
  the wrong unit, ignoring weights or clusters, a start value from the wrong year, a rank without its
  noise, HC3 instead of cluster errors … (issue 10 item 7 lists the kinds);
* **operator** (``--random N``): N random operator swaps (``+``/``-``, ``<``/``<=``, ``*``/``/``,
  ``and``/``or``, a constant ±1) on the arithmetic of the analysis modules, drawn with ``--seed``.

Usage: ``python tests/analysis/mutate.py [--random 20] [--seed 0] [--only NAME] [--out FILE]``.
Prints one line per mutant and the score; ``--out`` writes the table as Markdown.
"""
from __future__ import annotations

import argparse
import ast
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PKG = "src/veerkracht/analysis"
PY = os.environ.get("MUTATE_PYTHON", sys.executable)

#: module → the test files that must catch a mutant in it
TESTS = {
    "tipping_point": ["test_tipping_point.py", "test_break_test.py"],
    "_breaktest": ["test_break_test.py"],
    "_segfit": ["test_tipping_point.py", "test_break_test.py"],
    "_inference": ["test_support.py", "test_break_test.py", "test_profile_support.py"],
    "liveability": ["test_liveability.py", "test_support.py"],
    "hotspots": ["test_hotspots.py", "test_support.py"],
    "benchmark": ["test_benchmark.py", "test_profile_support.py"],
    "_ranks": ["test_ranks.py", "test_benchmark.py"],
    "relative": ["test_relative.py", "test_ranks.py"],
    "corp_profile": ["test_corp_profile.py", "test_profile_support.py"],
    "_gapparts": ["test_corp_profile.py"],
    "concentration": ["test_concentration.py", "test_caveats.py"],
    "typology": ["test_typology.py", "test_caveats.py"],
    "change_model": ["test_change_model.py", "test_caveats.py", "test_recovery.py"],
    "_caveats": ["test_caveats.py", "test_break_test.py"],
    "_bootstrap": ["test_recovery.py", "test_corp_profile.py", "test_support.py", "test_tipping_point.py"],
    "_smallarea": ["test_smallarea.py"],
}

#: (name, module, old text, new text): each old text occurs exactly once in its module
FAITHFUL = [
    ("unpaired bootstrap: each year resampled on its own (area-years, not areas)", "_bootstrap",
     "            gid = groups[g][idx]\n", "            idx = idx[::-1] if g else idx\n            gid = groups[g][idx]\n"),
    ("cluster errors silently replaced by HC3", "change_model",
     'res = model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(gm)[0]}, use_t=True)',
     'res = model.fit(cov_type="HC3", use_t=True)'),
    ("tipping point: weights ignored", "tipping_point",
     'w = d["weight"].to_numpy(float) if weights else None', "w = None"),
    ("typology stand-in rise measured against the end year's distribution", "typology",
     "return percentile_of(comp_from, comp_from), percentile_of(comp_to, comp_from)",
     "return percentile_of(comp_from, comp_from), percentile_of(comp_to, comp_to)"),
    ("corp-profile bins frozen at the start year", "corp_profile",
     "s = c.value_at(share, y, fallback=yrs[0] if t else None)", "s = c.value_at(share, yrs[0], fallback=None)"),
    ("tipping point: bootstrap over areas although values are spread", "tipping_point",
     "spread = len(set(cl)) < len(cl)", "spread = False"),
    ("break test: wild multipliers per area, not per cluster", "_breaktest",
     "cid, g = cluster_index(np.arange(n) if clusters is None else clusters)",
     "cid, g = cluster_index(np.arange(n))"),
    ("break test: p-value without the +1 of the observed statistic", "_breaktest",
     '"p": (1 + exceed) / (n_test + 1)', '"p": exceed / n_test'),
    ("break test: null replicates from the segmented, not the straight, fit", "_breaktest",
     "resid = y - fitted", "resid = y - fitted - np.clip(x - 50, 0, None) * 0.001"),
    ("tipping point: start share from the nearest year, also a later one", "_caveats",
     "    before = ok[ok[\"year\"] <= year]\n", "    before = ok\n"),
    ("hot spots on the spread areas, not their source units", "hotspots",
     "unit_of = clusters if p.support and clusters.nunique() < len(clusters) else None", "unit_of = None"),
    ("liveability intervals ignore the support", "liveability",
     'cl = clusters if clusters.attrs["n_spread"] else None', "cl = None"),
    ("cluster-robust mean with t on n − 1 instead of G − 1 degrees of freedom", "_inference",
     "q = stats.t.ppf(0.5 + level / 2, g - 1)", "q = stats.t.ppf(0.5 + level / 2, n - 1)"),
    ("cluster bootstrap draws areas, not clusters", "_inference",
     "ids, g_n = cluster_index(clusters[a:a + s])", "ids, g_n = cluster_index(np.arange(s))"),
    ("benchmark rank intervals ranked in the wrong direction", "benchmark",
     "lo, hi = rank_intervals(reps[col], t[\"peer_group\"].astype(str).to_numpy(), ascending=asc,",
     "lo, hi = rank_intervals(reps[col], t[\"peer_group\"].astype(str).to_numpy(), ascending=not asc,"),
    ("benchmark ranks over all groups, not within the peer group", "benchmark",
     "lo, hi = rank_intervals(reps[col], t[\"peer_group\"].astype(str).to_numpy(), ascending=asc,",
     "lo, hi = rank_intervals(reps[col], None, ascending=asc,"),
    ("relative-view rank draws without the counts' noise", "relative",
     "draws = draw(f[\"numerator\"], f[\"denominator\"], N_RANK_DRAWS, seed=0, scale=scale)",
     "draws = np.tile(t[\"value\"].to_numpy(float), (N_RANK_DRAWS, 1))"),
    ("rank interval: a replicate's NaN ranks last for everyone", "_ranks",
     "        s = np.where(own_nan, np.asarray(point, dtype=float)[None, :], s)\n", "        pass\n"),
    ("gap decomposition: composition measured with the start-year bins in both years", "_gapparts",
     "ids(*((bin_id[1] == k) & has[1] for k in (top, bot)))", "ids(*((bin_id[0] == k) & has[1] for k in (top, bot)))"),
    ("spatial-lag direct impact = the coefficient", "_caveats",
     "direct_mult = trace_inverse(W, rho) / n", "direct_mult = 1.0"),
    ("concentration level_year ignored", "concentration",
     "if ly != y0:     # the level from an independent, earlier year", "if False:"),
    ("percentile interval at 90 % instead of 95 %", "_bootstrap",
     "def percentile_interval(samples: np.ndarray, level: float = 0.95, axis: int = 0):",
     "def percentile_interval(samples: np.ndarray, level: float = 0.90, axis: int = 0):"),
    ("hot spots without the FDR correction", "hotspots",
     "q = bh_qvalues(lisa.p_sim)", "q = lisa.p_sim"),
    ("corp-profile reference not resampled with the areas (regional)", "corp_profile",
     'self.ref_from_sample = ref_from_sample = index_on == "regional" or whole',
     'self.ref_from_sample = ref_from_sample = whole'),
    ("liveability deciles on the end year although grouped by start", "liveability",
     "gy = group_year if group_year is not None else (f if group_by == \"start\" else t)",
     "gy = group_year if group_year is not None else t"),
    ("small-area shrinkage ignores the exposure", "_smallarea",
     "shrink = b / (b + e)", "shrink = np.full_like(e, b.mean() / (b.mean() + e.mean()))"),
    ("corp-profile resamples buurten although values were spread", "corp_profile",
     'self.clusters = cl = sup.to_numpy(dtype=object)[pos] if sup.attrs["n_spread"] else None',
     "self.clusters = cl = None"),
    ("benchmark trend replicates ignore the support", "benchmark",
     'clusters = sup.reindex(long["code"]).to_numpy(dtype=object) if sup.attrs["n_spread"] else None',
     "clusters = None"),
    ("spatial-lag impact intervals hold rho fixed", "_caveats",
     "r = np.clip(draws[:, -1], -0.99, 0.99)", "r = np.full(len(draws), rho)"),
    ("typology start-year grouping ignored", "typology",
     "return s.y1 if p.group_by == \"end\" else s.y0", "return s.y1"),
]


_SNAPSHOT: list[Path] = []


def copy_src(dst: Path) -> None:
    """A copy of ``src/`` as it was when the run started (edits during a long run do not leak in)."""
    if not _SNAPSHOT:
        snap = Path(tempfile.mkdtemp(prefix="mutate_src_"))
        shutil.copytree(ROOT / "src", snap / "src", ignore=shutil.ignore_patterns("__pycache__"))
        _SNAPSHOT.append(snap / "src")
    shutil.copytree(_SNAPSHOT[0], dst / "src")


def run_tests(src: Path, module: str, timeout: int) -> tuple[str, float]:
    files = [str(ROOT / "tests/analysis" / f) for f in TESTS.get(module, []) if (ROOT / "tests/analysis" / f).exists()]
    env = dict(os.environ, PYTHONPATH=f"{src}:{ROOT}", PYTHONDONTWRITEBYTECODE="1")
    t0 = time.time()
    try:
        r = subprocess.run([PY, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--basetemp",
                            str(src.parent / "bt"), *files], cwd=ROOT, env=env, capture_output=True, timeout=timeout)
        result = "killed" if r.returncode != 0 else "SURVIVED"
    except subprocess.TimeoutExpired:
        result = "timeout"            # counted as killed, but listed apart: a slow machine is not a test
    return result, time.time() - t0


class _Ops(ast.NodeTransformer):
    """Collect (or apply, at ``target``) one operator mutation."""

    SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
            ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.And: ast.Or, ast.Or: ast.And}

    def __init__(self, target: int = -1):
        self.n, self.target, self.done = 0, target, None

    def _hit(self, node, kind):
        i = self.n
        self.n += 1
        return i == self.target

    def _swap_op(self, node):
        self.generic_visit(node)
        if type(node.op) in self.SWAP and self._hit(node, "op"):
            self.done = f"line {node.lineno}: {type(node.op).__name__} → {self.SWAP[type(node.op)].__name__}"
            node.op = self.SWAP[type(node.op)]()
        return node

    visit_BinOp = visit_BoolOp = _swap_op

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) == 1 and type(node.ops[0]) in self.SWAP and self._hit(node, "cmp"):
            self.done = f"line {node.lineno}: {type(node.ops[0]).__name__} → {self.SWAP[type(node.ops[0])].__name__}"
            node.ops = [self.SWAP[type(node.ops[0])]()]
        return node

    def visit_Constant(self, node):
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool) and self._hit(node, "num"):
            self.done = f"line {node.lineno}: {node.value!r} → {node.value + 1!r}"
            return ast.copy_location(ast.Constant(node.value + 1), node)
        return node


def _visit(tree, ops: _Ops) -> _Ops:
    """Walk the module's top level with ``ops``, skipping figure code and ``Params`` classes."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and "figure" in node.name:
            continue
        if isinstance(node, ast.ClassDef) and node.name.endswith("Params"):
            continue
        ops.visit(node)
    return ops


def random_mutants(n: int, seed: int) -> list[tuple[str, str, int]]:
    """``n`` (module, description, target index) drawn over the analysis modules' operators, outside
    figure code (``_figure``/``legend_figure``), dataclass defaults and docstrings."""
    rng = random.Random(seed)
    pool = []
    for mod in TESTS:
        path = _SNAPSHOT[0] / "veerkracht" / "analysis" / f"{mod}.py"
        if not path.exists():
            continue
        counter = _visit(ast.parse(path.read_text()), _Ops())
        pool += [(mod, i) for i in range(counter.n)]
    picks = rng.sample(pool, min(n, len(pool)))
    return [(mod, f"operator #{i}", i) for mod, i in picks]


def apply_operator(path: Path, target: int) -> str | None:
    tree = ast.parse(path.read_text())
    ops = _visit(tree, _Ops(target))      # the same traversal order as random_mutants
    if ops.done is None:
        return None
    path.write_text(ast.unparse(tree))
    return ops.done


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--random", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", default=None, help="run only mutants whose name contains this")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--out", default=None)
    ap.add_argument("--no-faithful", action="store_true", help="operator mutants only")
    a = ap.parse_args(argv)
    copy_src(Path(tempfile.mkdtemp(prefix="mutate_warm_")))      # take the snapshot now
    mutants = [] if a.no_faithful else [("faithful", name, mod, (old, new)) for name, mod, old, new in FAITHFUL]
    mutants += [("operator", desc, mod, idx) for mod, desc, idx in random_mutants(a.random, a.seed)]
    if a.only:
        mutants = [m for m in mutants if a.only in m[1]]
    rows = []
    for kind, name, mod, change in mutants:
        with tempfile.TemporaryDirectory(prefix="mutant_") as tmp:
            tmp = Path(tmp)
            copy_src(tmp)
            path = tmp / PKG / f"{mod}.py"
            if not path.exists():
                rows.append((kind, mod, name, "not applied", 0.0))
                continue
            text = path.read_text()
            if kind == "faithful":
                old, new = change
                if text.count(old) != 1:
                    rows.append((kind, mod, name, "not applied", 0.0))
                    print(f"?? {mod}: {name} (text not found)", flush=True)
                    continue
                path.write_text(text.replace(old, new))
            else:
                done = apply_operator(path, change)
                if done is None:
                    continue
                name = f"{done}"
            result, secs = run_tests(tmp / "src", mod, a.timeout)
            rows.append((kind, mod, name, result, secs))
            print(f"{result:8} {secs:6.0f}s {mod}: {name}", flush=True)
    done = [r for r in rows if r[3] in ("killed", "SURVIVED", "timeout")]
    score = sum(r[3] != "SURVIVED" for r in done) / max(len(done), 1)
    print(f"\nmutation score: {sum(r[3] != 'SURVIVED' for r in done)}/{len(done)} = {score:.0%} "
          f"({sum(r[3] == 'timeout' for r in done)} by timeout)")
    if a.out:
        lines = ["| kind | module | mutant | result | seconds |", "|---|---|---|---|---|"]
        lines += [f"| {k} | {m} | {n} | {r} | {s:.0f} |" for k, m, n, r, s in rows]
        lines.append(f"\nScore: {sum(r[3] != 'SURVIVED' for r in done)} of {len(done)} killed ({score:.0%}; "
                     f"{sum(r[3] == 'timeout' for r in done)} by timeout).")
        Path(a.out).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
