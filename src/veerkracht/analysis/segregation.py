"""Segregation (METHOD.md analysis 15): how unevenly a group is spread over the areas of each gemeente.

The group is the numerator of a rate indicator and the rest its denominator minus the numerator:
corporation dwellings vs other dwellings (``corp_share``, the default), households on social assistance
vs the other residents (``bijstand``) … Per gemeente and year, over its areas (default buurten):

* **dissimilarity** D = ½ Σ |aᵢ/A − bᵢ/B| — the share of the group that would have to move to be spread
  like the rest;
* **isolation** = Σ (aᵢ/A)(aᵢ/tᵢ) — the group's share in the area of an average member of the group;
* **entropy** (Theil's H) = Σ tᵢ (E − Eᵢ) / (T E), with E the entropy of the gemeente's own mix;
* **spatial dissimilarity** (Morrill's D(adj)): D minus the mean absolute difference in group share
  between neighbouring areas (queen contiguity), where the store has the areas' shapes.

Inference: intervals from a bootstrap over areas (clustered on the support of spread values), and the
value expected when the same members were spread **at random** over the same areas (D is biased upwards
in small areas); ``excess`` = D − that expectation is what is not chance.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import NotComputable
from . import _common as c
from ._inference import cluster_index, cluster_multiplicity, support_clusters
from .base import Analysis, Message, ReportSpec, Result, register

__all__ = ["Segregation", "run", "indices", "benchmark", "peer_class"]

INDICES = ("dissimilarity", "isolation", "entropy")


@dataclass
class SegregationParams:
    indicator: str = c.param("corp_share", "a rate whose numerator is the group (the rest: denominator − numerator)")
    geo_version: str | None = c.param(None, "geography version (default: the one holding the indicator)")
    level: str | None = c.param(None, "level of the areas within each gemeente (default: the finest)")
    region: list[str] | str | None = c.param(None, "gemeente codes (default: every gemeente with areas)")
    min_areas: int = c.param(5, "a gemeente needs at least this many areas with counts")
    n_boot: int = c.param(200, "bootstrap replicates for the intervals")
    n_random: int = c.param(100, "random allocations for the value expected by chance")
    seed: int = c.param(0, "random seed")
    view: str = c.param("trend", "trend (every gemeente and year) or benchmark (the last year's gemeenten side by "
                                 "side: excess D over chance with intervals, rank with its interval, overall and "
                                 "among gemeenten of similar size)")

    def __post_init__(self):
        c.choice("view", self.view, ("trend", "benchmark"))
        c.positive("min_areas", self.min_areas)
        c.positive("n_boot", self.n_boot)
        c.positive("n_random", self.n_random)


def indices(a: np.ndarray, b: np.ndarray, w: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """D, isolation and Theil's H of group counts ``a`` and other counts ``b`` per area; with ``w``
    (``(reps, n)`` multiplicities) one value per replicate."""
    w = np.ones((1, len(a))) if w is None else w
    A, B = (w * a).sum(axis=1, keepdims=True), (w * b).sum(axis=1, keepdims=True)
    t = a + b
    T = A + B
    d = 0.5 * (w * np.abs(a / A - b / B)).sum(axis=1)
    share = np.divide(a, t, out=np.zeros_like(a, dtype=float), where=t > 0)
    iso = (w * (a / A) * share).sum(axis=1)

    def ent(p):
        p = np.clip(p, 1e-12, 1 - 1e-12)
        return -(p * np.log(p) + (1 - p) * np.log(1 - p))
    E = ent((A / T).ravel())[:, None]
    h = (w * t * (E - ent(share))).sum(axis=1) / (T.ravel() * E.ravel())
    return {"dissimilarity": d, "isolation": iso, "entropy": h}


def summary_fell(t0: pd.DataFrame, g: str, lead: pd.Series) -> bool:
    """Whether D fell from the first year to the last (no first year: reported as 'from … to')."""
    return g in t0.index and float(lead["dissimilarity"]) < float(t0.loc[g, "dissimilarity"])


def _spatial_d(a: np.ndarray, b: np.ndarray, neighbours: list[list[int]]) -> float:
    d = float(indices(a, b)["dissimilarity"][0])
    t = a + b
    z = np.divide(a, t, out=np.zeros_like(a, dtype=float), where=t > 0)
    pairs = [(i, j) for i, nb in enumerate(neighbours) for j in nb]
    if not pairs:
        return np.nan
    i, j = np.array(pairs).T
    return d - float(np.abs(z[i] - z[j]).mean())


@register
class Segregation(Analysis):
    name = "segregation"
    Params = SegregationParams
    title = "analysis.segregation.title"
    summary = "analysis.segregation.summary"
    report = ReportSpec(order=15, title=Message("analysis.segregation.title"), indicators=("corp_share", "bijstand"))

    def resolve(self, store, p: SegregationParams):
        gv, level, areas, codes, years = c.scope(store, p.indicator, p.geo_version, p.level, p.region)
        if level == "gemeente":
            raise NotComputable(Message("segregation.err.level", {"ind": p.indicator, "version": gv}))
        f = store.facts(indicator=p.indicator, geo_version=gv, codes=None if p.region is None else codes)
        f = f[f["numerator"].notna() & f["denominator"].notna() & (f["denominator"] > 0)]
        if f.empty:
            raise NotComputable(Message("segregation.err.counts", {"ind": p.indicator}))
        return p, gv, level, areas, f

    def compute(self, store, scope) -> Result:
        p, gv, level, areas, f = scope
        gm = areas.set_index("code")["gm_code"]
        f = f.assign(gm=f["code"].map(gm)).dropna(subset=["gm"])
        clusters = support_clusters(store, p.indicator, gv, f["code"].unique())
        shapes = store.areas(geo_version=gv, level=level)
        shapes = shapes[shapes.geometry.notna() & ~shapes.geometry.is_empty].set_index("code")
        rng = np.random.default_rng(p.seed)
        rows, skipped, draws = [], [], {}
        for (g, year), d in f.groupby(["gm", "year"], sort=True):
            d = d.sort_values("code")
            if len(d) < p.min_areas:
                skipped.append(g)
                continue
            a = d["numerator"].to_numpy(float)
            b = (d["denominator"] - d["numerator"]).clip(lower=0).to_numpy(float)
            point = indices(a, b)
            ids, n_cl = cluster_index(clusters.reindex(d["code"]).to_numpy())
            boot = indices(a, b, cluster_multiplicity(ids, n_cl, p.n_boot, rng))
            rand = self._random(a, b, p.n_random, rng)
            row = {"gm_code": g, "year": int(year), "n_areas": len(d), "n_clusters": int(n_cl),
                   "group": float(a.sum()), "total": float(a.sum() + b.sum())}
            for k in INDICES:
                lo, hi = c.percentile_interval(boot[k])
                row.update({k: float(point[k][0]), f"{k}_lo": float(lo), f"{k}_hi": float(hi)})
            row["dissimilarity_random"] = float(rand.mean())
            draws[(g, int(year))] = boot["dissimilarity"] - rand.mean()
            row["excess"] = row["dissimilarity"] - row["dissimilarity_random"]
            row["spatial_dissimilarity"] = self._spatial(shapes, d["code"], a, b)
            rows.append(row)
        if not rows:
            raise NotComputable(Message("segregation.err.areas", {"n": p.min_areas, "ind": p.indicator}))
        table = pd.DataFrame(rows)
        table["code"] = table["gm_code"]
        first, last = table["year"].min(), table["year"].max()
        t0 = table[table["year"] == first].set_index("gm_code")
        t1 = table[table["year"] == last].set_index("gm_code")
        both = t0.index.intersection(t1.index)
        lead = t1.loc[both].sort_values("total", ascending=False).iloc[0] if len(both) else t1.iloc[0]
        g = lead.name
        names = store.areas(geo_version=gv, level="gemeente", geometry=False).set_index("code")["name"].dropna()
        summary = {"n_gemeenten": int(table["gm_code"].nunique()), "gm_code": g,
                   "d_first": float(t0.loc[g, "dissimilarity"]) if g in t0.index else float("nan"),
                   "d_last": float(lead["dissimilarity"]),
                   "message": Message("segregation.summary.fell" if summary_fell(t0, g, lead) else "segregation.summary.rose", {
                       "ind": p.indicator, "gm": names.get(g, g), "y0": int(first), "y1": int(last),
                       "d0": t0.loc[g, "dissimilarity"] if g in t0.index else float("nan"),
                       "d1": lead["dissimilarity"], "lo": lead["dissimilarity_lo"], "hi": lead["dissimilarity_hi"],
                       "rand": lead["dissimilarity_random"]})}
        notes = [Message("segregation.note.random", {"n": p.n_random}),
                 Message("segregation.note.units", {"level": level})]
        if skipped:
            notes.append(Message("segregation.note.skipped", {"n": len(set(skipped)), "min": p.min_areas}))
        params = {"indicator": p.indicator, "geo_version": gv, "level": level, "region": p.region,
                  "year_from": int(first), "year_to": int(last), "n_boot": p.n_boot, "n_random": p.n_random}
        vint = c.vintage(store, f, gv, level)
        bench = benchmark(table, draws, names)
        params["view"] = p.view
        if p.view == "benchmark":
            notes.append(Message("segregation.note.benchmark", {"year": int(last), "n": len(bench)}))
        main, extra = (bench, {"trend": table}) if p.view == "benchmark" else (table, {"benchmark": bench})
        return Result(self.name, main, params, vintage=vint, notes=notes, summary=summary, extra=extra,
                      inputs=c.inputs(vint, {"group": [p.indicator]}),
                      _figure=_bench_figure if p.view == "benchmark" else _figure)

    @staticmethod
    def _random(a: np.ndarray, b: np.ndarray, n: int, rng) -> np.ndarray:
        """D of ``n`` random allocations of the (rounded) group members over the areas' totals."""
        t = np.rint(a + b).astype(np.int64)
        k = int(np.rint(a.sum()))
        if k <= 0 or t.sum() <= k:
            return np.zeros(1)
        out = np.empty(n)
        for r in range(n):
            ar = rng.multivariate_hypergeometric(t, k).astype(float)
            out[r] = indices(ar, t - ar)["dissimilarity"][0]
        return out

    @staticmethod
    def _spatial(shapes, codes: pd.Series, a, b) -> float:
        sub = shapes.reindex(codes.to_numpy())
        if sub.geometry.isna().any() or len(sub) < 3:
            return float("nan")
        from libpysal.weights import Queen
        wq = Queen.from_dataframe(sub.reset_index(), use_index=False, silence_warnings=True)
        return _spatial_d(a, b, [wq.neighbors[i] for i in range(len(sub))])


#: size classes of the peer groups: the group's total (e.g. dwellings) of the gemeente
PEER_BOUNDS = (20_000, 50_000, 100_000)


def peer_class(total: pd.Series) -> pd.Series:
    """``<20k``, ``20k–50k``, ``50k–100k`` or ``≥100k`` by the gemeente's total (dwellings or residents)."""
    edges = [-np.inf, *PEER_BOUNDS, np.inf]
    return pd.cut(total, edges, right=False, labels=["<20k", "20k–50k", "50k–100k", "≥100k"]).astype(str)


def benchmark(table: pd.DataFrame, draws: dict, names: pd.Series) -> pd.DataFrame:
    """The last year's gemeenten side by side: excess D (D − chance) with its bootstrap interval, and its rank
    (1 = most uneven) with a 95 % rank interval — overall and within the gemeente's size class — from the
    same bootstrap replicates (ranks of point estimates alone are noise)."""
    from ._ranks import rank_intervals
    last = int(table["year"].max())
    t = table[table["year"] == last].reset_index(drop=True)
    s = np.column_stack([draws[(g, last)] for g in t["gm_code"]])
    lo, hi = c.percentile_interval(s) if len(t) else (np.array([]), np.array([]))
    name = t["gm_code"].map(names)
    out = pd.DataFrame({"code": t["gm_code"], "name": name.where(name.notna(), t["gm_code"]), "year": last,
                        "n_areas": t["n_areas"], "total": t["total"], "dissimilarity": t["dissimilarity"],
                        "dissimilarity_random": t["dissimilarity_random"], "excess": t["excess"],
                        "excess_lo": np.asarray(lo, float), "excess_hi": np.asarray(hi, float)})
    out["rank"] = out["excess"].rank(ascending=False, method="min").astype(int)
    out["rank_lo"], out["rank_hi"] = rank_intervals(s, ascending=False, point=out["excess"].to_numpy())
    out["peer"] = peer_class(out["total"])
    out["peer_n"] = out.groupby("peer")["code"].transform("size")
    out["peer_rank"] = out.groupby("peer")["excess"].rank(ascending=False, method="min").astype(int)
    out["peer_rank_lo"], out["peer_rank_hi"] = rank_intervals(s, groups=out["peer"].to_numpy(), ascending=False,
                                                              point=out["excess"].to_numpy())
    return out.sort_values(["rank", "code"]).reset_index(drop=True)


def _bench_figure(result: Result, lang: str = "nl"):
    """Excess dissimilarity per gemeente with its interval, most uneven first (at most 40)."""
    from ..i18n import render
    t = result.table.head(40).iloc[::-1]
    fig, ax = c.new_figure(7, max(3.0, 0.22 * len(t) + 1))
    y = np.arange(len(t))
    ax.errorbar(t["excess"], y, xerr=[t["excess"] - t["excess_lo"], t["excess_hi"] - t["excess"]], fmt="o",
                capsize=2, color="#5e3c99")
    ax.axvline(0, color="#999999", lw=0.8)
    ax.set_yticks(y, [f"{n} ({int(a)}–{int(b)})" for n, a, b in zip(t["name"], t["rank_lo"], t["rank_hi"])], fontsize=7)
    ax.set_xlabel(render("segregation.bench_axis", lang))
    ax.set_title(render("segregation.bench_title", lang, ind=result.params["indicator"], year=int(t["year"].max())))
    return fig


def _figure(result: Result, lang: str = "nl"):
    """Dissimilarity per year with its interval and the value expected by chance, for the largest gemeenten."""
    from ..i18n import render
    t = result.table
    top = t.groupby("gm_code")["total"].max().sort_values(ascending=False).index[:6]
    fig, ax = c.new_figure(7, 4)
    for g in top:
        d = t[t["gm_code"] == g].sort_values("year")
        line = ax.errorbar(d["year"], d["dissimilarity"], yerr=[d["dissimilarity"] - d["dissimilarity_lo"],
                                                                 d["dissimilarity_hi"] - d["dissimilarity"]],
                           fmt="o-", capsize=3, label=g)
        ax.plot(d["year"], d["dissimilarity_random"], ":", color=line[0].get_color())
    ax.set_ylim(0, 1)
    ax.set_ylabel(c.tr("dissimilarity", lang))
    ax.set_title(render("segregation.figure_title", lang, ind=result.params["indicator"]))
    ax.legend(fontsize=8)
    return fig


def run(store, **params) -> Result:
    """Segregation indices with ``params`` (see :class:`SegregationParams`)."""
    from .base import ANALYSES
    return ANALYSES["segregation"](store, **params)
