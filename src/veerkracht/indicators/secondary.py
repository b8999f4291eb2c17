"""Secondary suppression: hide enough extra cells that no suppressed cell can be recovered.

Primary suppression (:func:`~veerkracht.indicators.reliability.suppress`) hides values that rest
on small numbers. Published next to each other, the remaining values give them away: a wijk minus
its visible buurten is the one hidden buurt; a visible count of corporation dwellings divided by a
visible count of dwellings is the hidden corporation share. This module completes the pattern
(decision record 0006) with two hierarchical rules, applied until nothing changes:

* **sum rule** — for every additive quantity (a count's value; a rate's numerator and denominator)
  the parent area's cell and the cells of its children form one equation ``parent = Σ children``
  (buurt → wijk → gemeente → country, per year and indicator). An equation with exactly one hidden
  cell gives it away, so one more is hidden: the smallest visible child, else the parent;
* **division rule** — a rate and the two counts it is built from (``corp_share`` =
  ``corp_dwellings`` / ``dwellings``) form one equation per area and year; exactly one hidden of the
  three → the rate and its numerator count are hidden together.

A tree of equations in which every equation has none or at least two hidden cells determines no
hidden cell (decision record 0006 gives the argument); the attack in
``tests/indicators/test_disclosure.py`` checks it on the demo and a synthetic national store.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["RATE_PARTS", "CELL", "primary_hits", "parent_of", "hidden_cells"]

#: rate → (numerator count, denominator count): the indicators a published rate can be divided from
RATE_PARTS: dict[str, tuple[str, str]] = {
    "corp_share": ("corp_dwellings", "dwellings"),
    "bijstand_per_100_dwellings": ("bijstand_benefits", "dwellings"),
}
#: a cell: one indicator of one area in one year (all its sources are shown or hidden together)
CELL = ["code", "year", "indicator"]
_PARENT_LEVEL = {"buurt": ("wijk", "gemeente"), "wijk": ("gemeente",), "gemeente": ("country",)}


def primary_hits(facts: pd.DataFrame, counts: set[str], min_den: float, min_num: float) -> pd.Series:
    """Per fact row: the primary rule (numerator in (0, min_num), denominator < min_den; the value
    of a count in (0, min_num) — fractional values such as 0.4 or 9.6 included)."""
    num, den = facts["numerator"], facts["denominator"]
    hit = (den.notna() & (den < min_den)) | (num.notna() & (num > 0) & (num < min_num))
    if counts:
        bare = facts["indicator"].isin(counts) & num.isna() & den.isna()
        hit |= bare & (facts["value"] > 0) & (facts["value"] < min_num)
    return hit.fillna(False).astype(bool)


def parent_of(areas: pd.DataFrame) -> pd.Series:
    """``code → parent code`` within one version: a buurt's wijk (else its gemeente), a wijk's
    gemeente, a gemeente's country; only parents the version holds."""
    level = areas.drop_duplicates("code").set_index("code")["level"].astype(str)
    country = level.index[level == "country"]
    out = pd.Series(pd.NA, index=level.index, dtype=object)
    a = areas.drop_duplicates("code").set_index("code")
    for lv, ups in _PARENT_LEVEL.items():
        here = level.index[level == lv]
        for up in reversed(ups):      # the nearest level last, so it wins
            if up == "country":
                cand = pd.Series(country[0] if len(country) == 1 else pd.NA, index=here, dtype=object)
            else:
                cand = a.loc[here, "wk_code" if up == "wijk" else "gm_code"].astype(object)
            ok = cand.map(level).eq(up).fillna(False).astype(bool)
            out.loc[cand.index[ok]] = cand[ok]
    return out.dropna()


def _cells(facts: pd.DataFrame, counts: set[str], rates: set[str], min_den: float, min_num: float) -> pd.DataFrame:
    """One row per cell: primary flag, size (denominator, else the value) and whether it adds up."""
    f = facts.assign(_hit=primary_hits(facts, counts, min_den, min_num).to_numpy(),
                     _size=facts["denominator"].fillna(facts["value"]).abs(),
                     _add=facts["indicator"].isin(counts) | (facts["indicator"].isin(rates)
                                                            & facts["numerator"].notna()))
    cells = f.groupby(CELL, sort=False).agg(primary=("_hit", "any"), size=("_size", "max"),
                                            additive=("_add", "any")).reset_index()
    cells["size"] = cells["size"].fillna(0.0)
    return cells


def _link_primary(cells: pd.DataFrame, min_den: float, min_num: float) -> None:
    """A rate stored without numerator and denominator is judged on its two counts (same area, year)."""
    key = cells.set_index(CELL)
    for rate, (num, den) in RATE_PARTS.items():
        r = cells["indicator"] == rate
        if not r.any():
            continue
        idx = pd.MultiIndex.from_arrays([cells.loc[r, "code"], cells.loc[r, "year"]])
        for part, small in ((den, lambda v: v < min_den), (num, lambda v: (v > 0) & (v < min_num))):
            try:
                vals = key.xs(part, level="indicator")["size"].reindex(idx)
            except KeyError:
                continue
            cells.loc[r, "primary"] |= small(vals).fillna(False).to_numpy()


def _sum_equations(cells: pd.DataFrame, parent: pd.Series) -> pd.DataFrame:
    """``(eq, cell, is_parent)``: one equation per parent cell of an additive quantity with children."""
    add = cells[cells["additive"]]
    kids = add.assign(pcode=add["code"].map(parent)).dropna(subset=["pcode"])
    pkey = add.reset_index().set_index(CELL)["index"]
    pidx = pkey.reindex(pd.MultiIndex.from_arrays([kids["pcode"], kids["year"], kids["indicator"]])).to_numpy()
    ok = ~pd.isna(pidx)
    child = pd.DataFrame({"eq": pidx[ok].astype(np.int64), "cell": kids.index[ok], "is_parent": False})
    heads = pd.DataFrame({"eq": np.unique(child["eq"]), "is_parent": True})
    heads["cell"] = heads["eq"]
    return pd.concat([child, heads[["eq", "cell", "is_parent"]]], ignore_index=True)


def _division_equations(cells: pd.DataFrame) -> pd.DataFrame:
    """``(eq, cell, role)`` with role 0 = rate, 1 = numerator count, 2 = denominator count."""
    key = cells.reset_index().set_index(CELL)["index"]
    out = []
    for rate, parts in RATE_PARTS.items():
        r = cells[cells["indicator"] == rate]
        if r.empty:
            continue
        ids = [r.index.to_numpy()]
        for part in parts:
            ids.append(key.reindex(pd.MultiIndex.from_arrays([r["code"], r["year"], [part] * len(r)])).to_numpy())
        ok = ~pd.isna(ids[1]) & ~pd.isna(ids[2])
        for role, i in enumerate(ids):
            out.append(pd.DataFrame({"eq": ids[0][ok].astype(np.int64), "cell": i[ok].astype(np.int64), "role": role}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame({"eq": [], "cell": [], "role": []}, dtype=np.int64)


def _sum_pass(eqs: pd.DataFrame, hidden: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Cells to hide so that no sum equation keeps exactly one hidden cell."""
    h = hidden[eqs["cell"].to_numpy()]
    u = pd.Series(h).groupby(eqs["eq"].to_numpy()).sum()
    lone = u.index[u.to_numpy() == 1]
    if not len(lone):
        return np.array([], dtype=np.int64)
    e = eqs[eqs["eq"].isin(lone) & ~h]
    # the smallest visible child; the parent only when no child is left to hide
    e = e.assign(_order=e["is_parent"].astype(int), _size=size[e["cell"].to_numpy()])
    pick = e.sort_values(["eq", "_order", "_size", "cell"]).drop_duplicates("eq")
    return pick["cell"].to_numpy(np.int64)


def _division_pass(eqs: pd.DataFrame, hidden: np.ndarray) -> np.ndarray:
    """Cells to hide so that no rate/count triple keeps exactly one hidden cell."""
    if eqs.empty:
        return np.array([], dtype=np.int64)
    h = hidden[eqs["cell"].to_numpy()]
    u = pd.Series(h).groupby(eqs["eq"].to_numpy()).sum()
    lone = u.index[u.to_numpy() == 1]
    e = eqs[eqs["eq"].isin(lone) & ~h]
    # hide the rate and its numerator count together; the denominator count only if nothing else is left
    pick = e.sort_values(["eq", "role"]).drop_duplicates("eq")
    return pick["cell"].to_numpy(np.int64)


def hidden_cells(facts: pd.DataFrame, areas: pd.DataFrame, counts: set[str], rates: set[str],
                 min_den: float, min_num: float) -> pd.DataFrame:
    """The cells of one geography version to hide: ``code, year, indicator, secondary``.

    ``facts``: every fact of the version (all indicators, years, sources); ``areas``: its areas
    (``code, level, gm_code, wk_code``); ``counts``: indicators judged on their value;
    ``rates``: indicators whose numerator and denominator add up over areas.
    """
    if facts.empty:
        return pd.DataFrame({"code": [], "year": [], "indicator": [], "secondary": []})
    cells = _cells(facts, counts, rates, min_den, min_num)
    _link_primary(cells, min_den, min_num)
    sums = _sum_equations(cells, parent_of(areas))
    divs = _division_equations(cells)
    hidden = cells["primary"].to_numpy(bool).copy()
    size = cells["size"].to_numpy(float)
    while True:
        new = np.union1d(_sum_pass(sums, hidden, size), _division_pass(divs, hidden))
        if not len(new):
            break
        hidden[new] = True
    out = cells.loc[hidden, CELL].copy()
    out["secondary"] = ~cells.loc[hidden, "primary"].to_numpy(bool)
    return out.reset_index(drop=True)
