"""The differencing attack: recover suppressed values from what an output publishes.

The attacker knows every published cell (value; numerator and denominator of rates, as the export
and ``veerkracht facts`` give them) and the area hierarchy, and solves, until nothing changes:

* **subtraction** — ``parent = Σ children`` for every additive quantity (a count's value, a rate's
  numerator and denominator), over buurt → wijk, wijk → gemeente, buurt → gemeente and
  gemeente → country: one unknown in an equation is solved;
* **division** — a rate's value = numerator / denominator × scale (two known give the third), and a
  rate's numerator and denominator are the counts it is made of (``corp_share`` = ``corp_dwellings``
  / ``dwellings``).

A suppressed cell counts as recovered when the value solved equals the true one (relative 1e-9).
Nothing here imports the code under attack except to read the store.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

#: rate → (numerator count, denominator count): what an attacker divides (the registry's words)
DIVIDE = {"corp_share": ("corp_dwellings", "dwellings"),
          "bijstand_per_100_dwellings": ("bijstand_benefits", "dwellings")}


def _exact(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def _vars(facts: pd.DataFrame, kinds: dict[str, str]) -> dict:
    """``(code, year, indicator, part) → value`` of the rows (one per cell)."""
    out = {}
    for r in facts.itertuples(index=False):
        key = (r.code, int(r.year), r.indicator)
        if pd.notna(r.value):
            out[key + ("v",)] = float(r.value)
        if kinds.get(r.indicator) == "rate":
            if pd.notna(r.numerator):
                out[key + ("n",)] = float(r.numerator)
            if pd.notna(r.denominator):
                out[key + ("d",)] = float(r.denominator)
    return out


def _parents(areas: pd.DataFrame) -> dict[str, list[str]]:
    """Every coarser area an area lies in (its wijk, gemeente and the country) within the version."""
    level = dict(zip(areas["code"], areas["level"]))
    country = [c for c, lv in level.items() if lv == "country"]
    out: dict[str, list[str]] = {}
    for r in areas.itertuples(index=False):
        ups = [p for p in (r.wk_code, r.gm_code) if isinstance(p, str) and p != r.code and p in level]
        if r.level in ("gemeente", "wijk", "buurt"):
            ups += country
        out[r.code] = ups
    return out


def attack(published: pd.DataFrame, truth: pd.DataFrame, areas: pd.DataFrame, registry: pd.DataFrame) -> dict:
    """Recover what ``published`` hides of ``truth`` (both one row per cell, one version).

    Returns ``{recovered: [(code, year, indicator)], small_numerators: [...], hidden: n}``.
    """
    reg = registry.set_index("id")
    kinds = reg["kind"].astype(str).to_dict()
    scale = reg["scale"].astype(float).to_dict()
    known = _vars(published, kinds)
    real = _vars(truth, kinds)
    cells = {(r.code, int(r.year), r.indicator) for r in truth.itertuples(index=False)}
    # sum equations: (parent var, [child vars]) per additive part
    parents = _parents(areas)
    groups: dict[tuple, list] = defaultdict(list)
    for code, year, ind in cells:
        parts = ("v",) if kinds.get(ind) == "count" else ("n", "d") if kinds.get(ind) == "rate" else ()
        for up in parents.get(code, []):
            if (up, year, ind) in cells:
                for p in parts:
                    if (code, year, ind, p) in real or (code, year, ind, p) in known:
                        groups[(up, year, ind, p)].append((code, year, ind, p))
    sums = [(head, kids) for head, kids in groups.items() if head in real or head in known]
    # identities and products per cell
    same, rates = [], []
    for code, year, ind in cells:
        if kinds.get(ind) == "rate":
            rates.append(((code, year, ind, "v"), (code, year, ind, "n"), (code, year, ind, "d"), scale.get(ind, 1.0)))
        if ind in DIVIDE:
            num, den = DIVIDE[ind]
            same += [((code, year, ind, "n"), (code, year, num, "v")), ((code, year, ind, "d"), (code, year, den, "v"))]
            rates.append(((code, year, ind, "v"), (code, year, num, "v"), (code, year, den, "v"), scale.get(ind, 1.0)))
    changed = True
    while changed:
        changed = False
        for head, kids in sums:
            unknown = [k for k in [head, *kids] if k not in known]
            if len(unknown) == 1:
                rest = sum(known[k] for k in kids if k in known)
                known[unknown[0]] = rest if unknown[0] == head else known[head] - rest
                changed = True
        for a, b in same:
            if (a in known) != (b in known):
                known[b if a in known else a] = known[a if a in known else b]
                changed = True
        for v, n, d, s in rates:
            have = [k in known for k in (v, n, d)]
            if sum(have) != 2:
                continue
            if not have[0]:
                if known[d]:
                    known[v] = known[n] / known[d] * s
                    changed = True
            elif not have[1]:
                known[n] = known[v] * known[d] / s
                changed = True
            elif known[v]:
                known[d] = known[n] * s / known[v]
                changed = True
    shown = {(r.code, int(r.year), r.indicator) for r in published.itertuples(index=False) if pd.notna(r.value)}
    hidden = [c for c in cells if c not in shown and c + ("v",) in real]
    recovered = sorted(c for c in hidden if c + ("v",) in known and _exact(known[c + ("v",)], real[c + ("v",)]))
    small = sorted(c for c in hidden if c + ("n",) in known and c + ("n",) in real
                   and 0 < real[c + ("n",)] < 10 and _exact(known[c + ("n",)], real[c + ("n",)]))
    return {"recovered": recovered, "small_numerators": small, "hidden": len(hidden),
            "nonzero": [c for c in recovered if not np.isclose(real[c + ("v",)], 0.0)]}
