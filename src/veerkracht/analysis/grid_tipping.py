"""The tipping point on the 100 m grid, binned by the corporation share of the direct surroundings.

The report's headline bins by the share of corporation dwellings *within 200 m* (``corp_share_200m``,
:mod:`veerkracht.geo.grid_store`), not by the buurt's share. This analysis fits the same continuous
segmented line as :mod:`.tipping_point` (``fit_segmented``) to the change in liveability per cell, with
that share as the binning variable. Neighbouring cells share most of their 200 m surroundings (and
their buurt's circumstances), so cells are not independent: intervals come from a **block bootstrap**
that resamples whole blocks (buurten by default, or wijken, or squares of ``block`` metres), and the
break test draws its wild-bootstrap multipliers per block. The result states the number of blocks and
the *effective number of units* (cells over the design effect of the blocks on the residuals).

For comparison the same cells are aggregated to their buurten (corporation share = corporation
dwellings / dwellings of the buurt; change = the dwelling-weighted mean of its cells) and fitted the
same way: the table has a ``grid`` and a ``buurt`` row per outcome, and the summary says in words what
the difference means.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import NotComputable
from ..geo.grid import GRID_VERSION, cell_index
from ..geo.grid_store import latest_values
from . import _common as c
from . import tipping_point as tp
from ._breaktest import break_test
from ._inference import cluster_index, effective_n
from .base import Analysis, Message, ReportSpec, Result, register

__all__ = ["GridTippingPoint", "run", "block_sums_fn", "cell_blocks"]


@dataclass
class GridTippingParams:
    outcome: str = c.param("lbm", "lbm (default), a dimension (lbm_onv …) or 'all' (the total and every dimension)")
    share: str = c.param("corp_share_200m", "the binning share on the grid (made by `veerkracht grid surroundings`)")
    year_from: int | None = c.param(None, "start year (default: the first year of the outcome with a share at or before it)")
    year_to: int | None = c.param(None, "end year (default: the last year of the outcome)")
    region: list[str] | str | None = c.param(None, "gemeente/wijk codes whose cells to use (default: every cell)")
    block: str = c.param("buurt", "bootstrap blocks: buurt, wijk, or a block size in metres (e.g. 1000)")
    buurt_version: str | None = c.param(None, "buurt version of the grid crosswalk (default: the only one)")
    n_boot: int = c.param(500, "bootstrap replicates (whole blocks resampled)")
    seed: int | None = c.param(0, "bootstrap seed")
    weights: str | None = c.param("dwellings", "grid count at year_from to weight the cells; None: unweighted")
    grid_step: float = c.param(0.25, "candidate-break spacing (%-points) for the bootstrap")
    min_side: int = c.param(10, "a candidate break needs at least this many units on each side")
    trim: float = c.param(0.02, "… and at least this share of the units on each side")
    n_test: int = c.param(99, "wild-bootstrap replicates of the test that there is a break at all")
    alpha: float = c.param(0.05, "level of that test")

    def __post_init__(self):
        for name in ("n_boot", "grid_step", "min_side", "n_test"):
            c.positive(name, getattr(self, name))
        c.between("trim", self.trim, 0, 0.5, with_lo=True)
        if self.block not in ("buurt", "wijk") and not str(self.block).isdigit():
            raise NotComputable(Message("grid_tipping_point.na.block", {"block": str(self.block)}))


@dataclass
class Scope:
    p: GridTippingParams
    outcomes: list[str]
    codes: list[str] | None
    cells: pd.DataFrame
    facts: pd.DataFrame
    buurt_of: pd.Series
    y0: int
    y1: int


def block_sums_fn(blocks, chunk: int = 100):
    """A ``sums_fn`` for :func:`.tipping_point._bootstrap` that resamples whole blocks.

    The moments are first summed per (block, interval): a sparse ``(blocks, moments × intervals)``
    matrix, so each replicate is one sparse product with the blocks' draw counts — its cost grows with
    the number of occupied (block, interval) pairs, not with the number of cells.
    """
    bid, n_blocks = cluster_index(blocks)

    def sums(groups, values, n_groups, n_boot, seed):
        values = np.asarray(values, float)
        m = values.shape[0]
        cols = (np.arange(m)[:, None] * n_groups + np.asarray(groups)[None, :]).ravel()
        S = sp.csr_matrix((values.ravel(), (np.tile(bid, m), cols)), shape=(n_blocks, m * n_groups)).T.tocsr()
        rng = np.random.default_rng(seed)
        out = np.empty((n_boot, 1, m, n_groups))
        for start in range(0, n_boot, chunk):
            b = min(chunk, n_boot - start)
            draws = rng.integers(0, n_blocks, size=(b, n_blocks)) + (np.arange(b) * n_blocks)[:, None]
            counts = np.bincount(draws.ravel(), minlength=b * n_blocks).reshape(b, n_blocks).astype(float)
            out[start:start + b, 0] = (S @ counts.T).T.reshape(b, m, n_groups)
        return out
    return sums


def cell_blocks(codes, buurt_of: pd.Series, block: str, wijk_of: pd.Series | None = None) -> np.ndarray:
    """The bootstrap block of each cell: its buurt, its wijk, or the square of ``block`` metres it lies in.
    A cell outside every buurt is a block of its own."""
    codes = pd.Index(codes)
    if block == "buurt":
        out = buurt_of.reindex(codes)
    elif block == "wijk":
        out = buurt_of.reindex(codes).map(wijk_of) if wijk_of is not None else buurt_of.reindex(codes)
    else:
        size = int(block) // 100
        ix, iy = cell_index(codes, 100)
        return np.char.add(np.char.add((ix // size).astype(str), ":"), (iy // size).astype(str)).astype(object)
    return out.fillna(pd.Series(codes, index=codes)).to_numpy(dtype=object)


@register
class GridTippingPoint(Analysis):
    """Segmented regression of the change per 100 m cell on the corporation share within 200 m, with a
    block bootstrap, beside the same fit on the buurten the cells make up."""

    name = "grid-tipping-point"
    Params = GridTippingParams
    title = "analysis.grid_tipping_point.title"
    summary = "analysis.grid_tipping_point.summary"
    report = ReportSpec(order=26, title=Message("analysis.grid_tipping_point.title"))

    def available(self, store) -> bool:
        """Only a store holding 100 m cells (``ingest grid-cbs`` / ``lbm-grid``) can run it."""
        return not store.areas(geo_version=GRID_VERSION[100], level="grid", geometry=False).empty

    def resolve(self, store, p: GridTippingParams) -> Scope:
        version = GRID_VERSION[100]
        outcomes = ["lbm"] + tp.DIMENSIONS if p.outcome == "all" else [p.outcome]
        codes, cells = c.region_codes(store, p.region, version, "grid")
        if cells.empty:
            raise NotComputable(Message("grid_tipping_point.na.no_grid"))
        cw = store.crosswalk(from_version=version)
        versions = sorted(set(cw["to_version"])) if len(cw) else []
        bv = p.buurt_version or (versions[0] if len(versions) == 1 else None)
        if bv is None or bv not in versions:
            raise NotComputable(Message("grid_tipping_point.na.no_crosswalk", {"versions": ", ".join(versions) or "-"}))
        cw = cw[cw["to_version"] == bv].sort_values("weight", ascending=False).drop_duplicates("from_code")
        buurt_of = cw.set_index("from_code")["to_code"].astype(object)
        # 382k cells × 8 waves: read the years first, then only the two years the question needs
        years = _years(store, outcomes[0], version, codes)
        share_years = _years(store, p.share, version, codes)
        if not share_years:
            raise NotComputable(Message("grid_tipping_point.na.no_share", {"share": p.share}))
        y0 = p.year_from if p.year_from is not None else next((y for y in years if y >= min(share_years)), None)
        y1 = p.year_to if p.year_to is not None else (years[-1] if years else None)
        if y0 is None or y1 is None or y0 >= y1:
            raise NotComputable(Message("grid_tipping_point.na.years", {"ind": outcomes[0],
                                                                         "years": ", ".join(map(str, years))}))
        facts = store.facts(indicator=outcomes, geo_version=version, codes=codes, years=[int(y0), int(y1)])
        facts = facts[facts["value"].notna()]
        return Scope(p, outcomes, codes, cells, facts, buurt_of, int(y0), int(y1))

    def compute(self, store, s: Scope) -> Result:
        p, y0, y1 = s.p, s.y0, s.y1
        version = GRID_VERSION[100]
        share_f = store.facts(indicator=p.share, geo_version=version, codes=s.codes,
                              years=[y for y in _years(store, p.share, version, s.codes) if y <= y0])
        counts = store.facts(indicator=["corp_dwellings", "dwellings"], geo_version=version, codes=s.codes,
                             years=[y for y in _years(store, "dwellings", version, s.codes) if y <= y0] or None)
        data = pd.DataFrame({"corp_share": latest_values(share_f, p.share, y0)})
        if p.weights:
            wf = counts if p.weights in ("dwellings", "corp_dwellings") else \
                store.facts(indicator=p.weights, geo_version=version, codes=s.codes)
            data["weight"] = latest_values(wf, p.weights, y0)
        for name in ("corp_dwellings", "dwellings"):
            data["n_" + name] = latest_values(counts, name, y0)
        present = []
        for out in s.outcomes:
            f = s.facts[s.facts["indicator"] == out]
            a = f[f["year"] == y0].set_index("code")["value"]
            b = f[f["year"] == y1].set_index("code")["value"]
            if a.empty or b.empty:
                continue
            data["change_" + out] = b - a
            present.append(out)
        if not present:
            raise NotComputable(Message("grid_tipping_point.na.years", {"ind": s.outcomes[0], "years": f"{y0}, {y1}"}))
        data = data.dropna(subset=["corp_share"])
        wijk_of = None
        if p.block == "wijk":
            bu = store.areas(level="buurt", geometry=False)
            wijk_of = bu.drop_duplicates("code").set_index("code")["wk_code"]
        data["block"] = cell_blocks(data.index, s.buurt_of, p.block, wijk_of)
        data["buurt"] = s.buurt_of.reindex(data.index).to_numpy(dtype=object)

        rows, buurt_frames = [], []
        for i, out in enumerate(present):
            seed = None if p.seed is None else p.seed + i
            d = data.dropna(subset=["change_" + out] + (["weight"] if p.weights else []))
            if p.weights:
                d = d[d["weight"] > 0]
            rows.append(_fit(out, d, "grid", d["block"].to_numpy(dtype=object), p, seed, y0, y1))
            bd = _buurt_level(d, out, bool(p.weights))
            if bd is not None and len(bd) > 2 * p.min_side:
                buurt_frames.append(bd.assign(outcome=out))
                rows.append(_fit(out, bd, "buurt", bd.index.to_numpy(dtype=object), p, seed, y0, y1))
        table = pd.DataFrame(rows)
        table["message"] = [tp._tested(tp._message(r), r, p.alpha) for r in rows]
        grid0 = table[table["unit"] == "grid"].iloc[0].to_dict()
        buurt0 = table[(table["unit"] == "buurt") & (table["outcome"] == grid0["outcome"])]
        sd_g = float(data["corp_share"].std())
        bd0 = buurt_frames[0] if buurt_frames else None
        sd_b = float(bd0["corp_share"].std()) if bd0 is not None else float("nan")
        meaning = _meaning(grid0, buurt0.iloc[0].to_dict() if len(buurt0) else None, sd_g, sd_b)
        summary = {k: grid0[k] for k in ("outcome", "breakpoint", "break_lo", "break_hi", "zero_crossing", "zero_lo",
                                         "zero_hi", "break_p", "n", "n_units", "n_eff")}
        summary["buurt"] = {k: buurt0.iloc[0][k] for k in ("breakpoint", "zero_crossing", "zero_lo", "zero_hi", "n")} \
            if len(buurt0) else None
        summary["message"] = Message("grid_tipping_point.side_by_side", {
            "grid": grid0["message"], "buurt": buurt0.iloc[0]["message"] if len(buurt0) else
            Message("grid_tipping_point.no_buurt"), "meaning": meaning})
        notes = [Message("grid_tipping_point.note.method", {"share": p.share}),
                 Message("grid_tipping_point.note.blocks", {"n": int(grid0["n"]), "blocks": int(grid0["n_units"]),
                                                            "block": str(p.block), "n_eff": float(grid0["n_eff"])}),
                 Message("inference.note.ecological")]
        used = pd.concat([s.facts[s.facts["year"].isin([y0, y1])], share_f[share_f["year"] <= y0],
                          counts[counts["year"] <= y0]])
        vint = c.vintage(store, used, version, "grid")
        params = {"outcome": p.outcome, "share": p.share, "year_from": y0, "year_to": y1, "region": p.region,
                  "block": p.block, "n_boot": p.n_boot, "seed": p.seed, "weights": p.weights,
                  "grid_step": p.grid_step, "min_side": p.min_side, "trim": p.trim, "n_test": p.n_test,
                  "alpha": p.alpha}
        roles = {"outcome": present, "corp_share": [p.share], "weights": [p.weights] if p.weights else []}
        cells = data.reset_index().rename(columns={"index": "code"})
        extra = {"areas": cells, "binned": tp._binned(cells, present),
                 "buurten": pd.concat(buurt_frames).reset_index() if buurt_frames else pd.DataFrame(),
                 "buurt_profile": _beyond_turn(data, grid0["zero_crossing"])}
        return Result(self.name, table, params, vint, notes, extra, summary, _figure=_figure,
                      inputs=c.inputs(vint, roles))


def run(store, **params) -> Result:
    """The grid tipping point (see :class:`GridTippingPoint`)."""
    return c.run_registered("grid-tipping-point", store, **params)


def _years(store, indicator: str, version: str, codes) -> list[int]:
    """The years of ``indicator`` on the grid (read through the store contract, so every backend answers)."""
    return c.available_years(store, indicator, version, codes)


def _fit(out: str, d: pd.DataFrame, unit: str, blocks: np.ndarray, p: GridTippingParams, seed, y0, y1) -> dict:
    w = d["weight"].to_numpy(float) if "weight" in d and p.weights else None
    x, y = d["corp_share"].to_numpy(float), d["change_" + out].to_numpy(float)
    fit = tp.fit_segmented(x, y, w, min_side=p.min_side, trim=p.trim)
    boot = tp._bootstrap(x, y, w, p.n_boot, seed, p.grid_step, fit, sums_fn=block_sums_fn(blocks))
    test = break_test(x, y, w, blocks, lo=fit["lo"], hi=fit["hi"], m=fit["m"], n_test=p.n_test, seed=seed,
                      step=p.grid_step)
    fitted = fit["a"] + fit["b"] * x + fit["c"] * np.clip(x - fit["breakpoint"], 0, None)
    return tp._row(out, fit, boot, y0, y1) | {
        "unit": unit, "break_f": test["sup_f"], "break_p": test["p"], "break_evidence": bool(test["p"] < p.alpha),
        "n_units": int(test["n_clusters"]), "n_eff": effective_n(y - fitted, blocks),
        "weighting": p.weights or "none"}


def _buurt_level(d: pd.DataFrame, out: str, weighted: bool) -> pd.DataFrame | None:
    """The cells summed per buurt: the buurt's own corporation share, its dwelling-weighted change."""
    if d["buurt"].isna().all() or d["n_dwellings"].isna().all():
        return None
    w = d["n_dwellings"].fillna(0) if weighted else pd.Series(1.0, index=d.index)
    g = pd.DataFrame({"b": d["buurt"], "corp": d["n_corp_dwellings"], "dw": d["n_dwellings"], "w": w,
                      "wy": w * d["change_" + out]}).dropna(subset=["b"]).groupby("b").sum(min_count=1)
    g = g[(g["dw"] > 0) & (g["w"] > 0)]
    return pd.DataFrame({"corp_share": g["corp"] / g["dw"] * 100, "change_" + out: g["wy"] / g["w"],
                         "weight": g["w"]})


def _beyond_turn(data: pd.DataFrame, zero: float) -> pd.DataFrame:
    """Per buurt: its dwellings, and the share of them in cells whose 200 m share lies beyond the point where
    the change turns negative (NaN when it never does) — which streets of a buurt carry the concentration."""
    d = data.dropna(subset=["buurt"])
    dw = d["n_dwellings"].fillna(0)
    beyond = dw.where(d["corp_share"] > zero, 0.0) if np.isfinite(zero) else dw * np.nan
    g = pd.DataFrame({"buurt": d["buurt"], "dwellings": dw, "beyond": beyond}).groupby("buurt").sum(min_count=1)
    with np.errstate(all="ignore"):
        g["share_beyond_turn"] = g["beyond"] / g["dwellings"] * 100
    return g.drop(columns="beyond").reset_index()


def _meaning(g: dict, b: dict | None, sd_g: float, sd_b: float) -> Message:
    """A plain sentence on what the difference between the grid and the buurt result means."""
    params = {"sd_g": sd_g, "sd_b": sd_b, "zg": g["zero_crossing"]}
    if b is None:
        return Message("grid_tipping_point.meaning.no_buurt", params)
    width_g = g["zero_hi"] - g["zero_lo"]
    width_b = b["zero_hi"] - b["zero_lo"]
    if np.isfinite(g["zero_crossing"]) and not np.isfinite(b["zero_crossing"]):
        return Message("grid_tipping_point.meaning.hidden", params)
    if np.isfinite(g["zero_crossing"]) and np.isfinite(b["zero_crossing"]):
        ratio = width_b / width_g if width_g > 0 else float("nan")
        return Message("grid_tipping_point.meaning.blurred", params | {"zb": b["zero_crossing"], "ratio": ratio})
    return Message("grid_tipping_point.meaning.none", params)


def _figure(result: Result, lang: str = "nl"):
    grid = Result(result.name, result.table[result.table["unit"] == "grid"].reset_index(drop=True), result.params,
                  result.vintage, [], {"areas": result.extra["areas"], "binned": result.extra["binned"]})
    grid.inputs = result.inputs
    return tp._figure(grid, lang)
