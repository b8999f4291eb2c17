"""Trajectories (METHOD.md analysis 14): Markov transitions between liveability classes, with intervals.

Each area is put in a class at each wave of ``indicator`` by ``breaks`` (default for the Leefbaarometer
dimension *overlast en onveiligheid*: problem ≤ −0.10 < weak ≤ −0.05 < fine). Between consecutive waves
the transitions are counted; the **transition matrix** ``P[i, j]`` is the share of areas in class *i*
that are in class *j* at the next wave, pooled over all pairs and per pair. From it: the
**persistence** ``P[problem, problem]``, the **expected stay** in the problem class ``1 / (1 − P)``
waves (× the mean gap in years), and — **spatially conditioned** — the chance of becoming a problem
area for areas with and without a neighbour in the problem class (queen contiguity, where the store
has the areas' shapes). Intervals: bootstrap over areas (clustered on the support of spread values).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import NotComputable
from . import _common as c
from ._inference import cluster_index, cluster_multiplicity, support_clusters
from .base import Analysis, ClassSpec, LayerSpec, Message, ReportSpec, Result, register

__all__ = ["Trajectories", "run", "transition_counts", "CLASSES"]

CLASSES = ("problem", "weak", "fine")
#: typology classes in the order of the matrix (``problem`` first: persistence is ``P[0, 0]``)
TYPOLOGY_CLASSES = ("problem", "vulnerable", "signal", "none")
_PATHS = {"stays": "#b2182b", "became": "#ef8a62", "recovered": "#67a9cf", "never": "#e0e0e0", "unknown": "#ffffff"}


@dataclass
class TrajectoriesParams:
    classes: str = c.param("liveability", "liveability (classes of an indicator by breaks) or typology (the "
                                          "typology's classes in consecutive periods)")
    indicator: str = c.param("lbm_onv", "the measure whose classes are followed over time (liveability)")
    breaks: list[float] | str = c.param(None, "two bounds: problem ≤ a < weak ≤ b < fine (lower is worse); "
                                              "default −0.10, −0.05", factory=lambda: [-0.10, -0.05])
    geo_version: str | None = c.param(None, "geography version (default: the one holding the indicator)")
    level: str | None = c.param(None, "level (default: the finest holding the indicator)")
    region: list[str] | str | None = c.param(None, "region codes (default: every area)")
    spatial: bool = c.param(True, "also the chance of becoming a problem area with and without a problem neighbour")
    n_boot: int = c.param(200, "bootstrap replicates for the intervals")
    seed: int = c.param(0, "random seed of the bootstrap")

    def __post_init__(self):
        c.choice("classes", self.classes, ("liveability", "typology"))
        if isinstance(self.breaks, str):
            self.breaks = [float(b) for b in self.breaks.split(",")]
        self.breaks = [float(b) for b in self.breaks]
        if len(self.breaks) != 2 or self.breaks[0] >= self.breaks[1]:
            raise NotComputable(Message("trajectories.err.breaks", {"breaks": self.breaks}))
        c.positive("n_boot", self.n_boot)


def transition_counts(a: np.ndarray, b: np.ndarray, w: np.ndarray, k: int = 3) -> np.ndarray:
    """``(b, k, k)`` weighted counts of class ``a`` → class ``b`` (classes 0…k−1; −1 = missing) per
    replicate row of ``w`` (``(reps, n)`` multiplicities)."""
    ok = (a >= 0) & (b >= 0)
    cell = np.where(ok, a * k + b, 0)
    out = np.zeros((w.shape[0], k * k))
    for j in range(k * k):
        out[:, j] = (w * ((cell == j) & ok)).sum(axis=1)
    return out.reshape(w.shape[0], k, k)


def _rows(counts: np.ndarray) -> np.ndarray:
    tot = counts.sum(axis=-1, keepdims=True)
    return np.divide(counts, tot, out=np.full_like(counts, np.nan), where=tot > 0)


@register
class Trajectories(Analysis):
    name = "trajectories"
    Params = TrajectoriesParams
    title = "analysis.trajectories.title"
    summary = "analysis.trajectories.summary"
    layer = LayerSpec(order=27, kind="categorical", column="path", rule_column="rule", own_indicator=False,
                      label=Message("analysis.trajectories.title"),
                      classes=tuple(ClassSpec(k, Message(f"trajectories.path.{k}"), v) for k, v in _PATHS.items()))
    report = ReportSpec(order=28, title=Message("analysis.trajectories.title"))

    def resolve(self, store, p: TrajectoriesParams) -> dict:
        if p.classes == "typology":
            return self._typology(store, p)
        gv, level, areas, codes, years = c.scope(store, p.indicator, p.geo_version, p.level, p.region)
        f = store.facts(indicator=p.indicator, geo_version=gv, codes=None if p.region is None else codes)
        wide = f.pivot_table(index="code", columns="year", values="value", aggfunc="first").reindex(areas["code"])
        years = [int(y) for y in wide.columns if wide[y].notna().any()]
        if len(years) < 2:
            raise NotComputable(Message("trajectories.err.waves", {"ind": p.indicator, "years": years}))
        wide = wide[years]
        worse_high = c.indicator_meta(store, p.indicator).get("higher_is_worse") not in (False, 0)
        v = -wide if worse_high else wide                     # lower = worse from here on
        lo, hi = (-p.breaks[1], -p.breaks[0]) if worse_high else (p.breaks[0], p.breaks[1])
        cls = np.where(v.isna(), -1, np.where(v <= lo, 0, np.where(v <= hi, 1, 2))).astype(int)
        return {"p": p, "gv": gv, "level": level, "codes": wide.index, "cls": cls, "names": CLASSES, "years": years,
                "wide": wide, "inds": [p.indicator], "y_first": years[0]}

    @staticmethod
    def _typology(store, p: TrajectoriesParams) -> dict:
        """The typology's class of each area at the end of each consecutive period of its input years."""
        from .typology import Typology
        ty = Typology()
        s = ty.resolve(store, ty.params(geo_version=p.geo_version, level=p.level, region=p.region))
        codes = None if p.region is None else s.areas["code"].tolist()
        years = [y for y in c.available_years(store, s.comps[0], s.geo_version, codes) if s.y0 <= y <= s.y1]
        if len(years) < 3:
            raise NotComputable(Message("trajectories.err.typology", {"years": years}))
        index = pd.Index(s.areas["code"])
        cols, ends = [], []
        for y0, y1 in zip(years[:-1], years[1:]):
            t = ty(store, year_from=y0, year_to=y1, geo_version=s.geo_version, level=s.level, region=p.region)
            k = t.table.set_index("code")["class"].reindex(index)
            cols.append(np.array([TYPOLOGY_CLASSES.index(v) if v in TYPOLOGY_CLASSES else -1 for v in k]))
            ends.append(int(y1))
        return {"p": p, "gv": s.geo_version, "level": s.level, "codes": index, "cls": np.column_stack(cols),
                "names": TYPOLOGY_CLASSES, "years": ends, "wide": None, "inds": list(s.comps), "y_first": years[0]}

    def compute(self, store, scope: dict) -> Result:
        p, gv, level, cls, names, years = (scope[k] for k in ("p", "gv", "level", "cls", "names", "years"))
        codes, wide, k = scope["codes"], scope["wide"], len(scope["names"])
        clusters = support_clusters(store, scope["inds"], gv, codes)
        ids, g = cluster_index(clusters.to_numpy())
        rng = np.random.default_rng(p.seed)
        w = np.vstack([np.ones((1, len(ids))), cluster_multiplicity(ids, g, p.n_boot, rng)])
        per_pair = [transition_counts(cls[:, i], cls[:, i + 1], w, k) for i in range(len(years) - 1)]
        pooled = _rows(sum(per_pair))
        rows = []
        for name, counts in [("pooled", sum(per_pair))] + [(f"{years[i]}-{years[i + 1]}", x)
                                                            for i, x in enumerate(per_pair)]:
            P = _rows(counts)
            for i, a in enumerate(names):
                for j, b in enumerate(names):
                    lo_, hi_ = c.percentile_interval(P[1:, i, j][np.isfinite(P[1:, i, j])]) \
                        if np.isfinite(P[1:, i, j]).sum() > 10 else (np.nan, np.nan)
                    rows.append({"pair": name, "from": a, "to": b, "n_from": float(counts[0, i].sum()),
                                 "n": float(counts[0, i, j]), "p": float(P[0, i, j]), "p_lo": float(lo_),
                                 "p_hi": float(hi_)})
        matrix = pd.DataFrame(rows)
        gap = float(np.mean(np.diff(years)))
        stay = pooled[:, 0, 0]
        expected = np.divide(1.0, 1 - stay, out=np.full_like(stay, np.inf), where=stay < 1) * gap
        e_lo, e_hi = c.percentile_interval(expected[1:][np.isfinite(expected[1:])])
        spatial = self._spatial(store, gv, level, codes, cls, w) if p.spatial else pd.DataFrame()
        table = self._paths(codes, wide, cls, years, names)
        m0 = matrix[matrix["pair"] == "pooled"].set_index(["from", "to"])
        pp = m0.loc[("problem", "problem")]
        summary = {"persistence": float(pp["p"]), "persistence_lo": float(pp["p_lo"]),
                   "persistence_hi": float(pp["p_hi"]), "expected_years": float(expected[0]),
                   "expected_years_lo": float(e_lo), "expected_years_hi": float(e_hi),
                   "message": Message("trajectories.summary" if wide is not None else "trajectories.summary_typology", {
                       "ind": p.indicator, "y0": years[0], "y1": years[-1], "p": 100 * pp["p"],
                       "lo": 100 * pp["p_lo"], "hi": 100 * pp["p_hi"], "years": float(expected[0]),
                       "ylo": float(e_lo), "yhi": float(e_hi)})}
        notes = [Message("trajectories.note.classes", {"ind": p.indicator, "a": p.breaks[0], "b": p.breaks[1]})
                 if wide is not None else Message("trajectories.note.typology", {"years": ", ".join(map(str, years))})]
        if not spatial.empty:
            s = spatial.set_index("neighbour_problem")
            if {True, False} <= set(s.index):
                notes.append(Message("trajectories.note.spatial", {
                    "with": 100 * s.loc[True, "p"], "with_lo": 100 * s.loc[True, "p_lo"],
                    "with_hi": 100 * s.loc[True, "p_hi"], "without": 100 * s.loc[False, "p"],
                    "without_lo": 100 * s.loc[False, "p_lo"], "without_hi": 100 * s.loc[False, "p_hi"]}))
        gaps = sorted(set(int(g_) for g_ in np.diff(years)))
        if len(gaps) > 1:
            notes.append(Message("trajectories.note.gaps", {"gaps": ", ".join(map(str, np.diff(years))), "gap": gap}))
        if clusters.attrs.get("n_spread"):
            notes.append(Message("trajectories.note.support", {"n": int(clusters.attrs["n_spread"]), "g": int(g)}))
        params = {"classes": p.classes, "indicator": p.indicator, "breaks": p.breaks, "geo_version": gv, "level": level,
                  "region": p.region,
                  "year_from": scope["y_first"], "year_to": years[-1], "n_boot": p.n_boot}
        facts = store.facts(indicator=scope["inds"], geo_version=gv, codes=None if p.region is None else list(codes))
        facts = facts[facts["year"].between(scope["y_first"], max(years))]
        vint = c.vintage(store, facts, gv, level)
        return Result(self.name, table, params, vintage=vint, notes=notes,
                      extra={"matrix": matrix, "spatial": spatial}, summary=summary,
                      inputs=c.inputs(vint, {"outcome": scope["inds"]}), _figure=_figure)

    @staticmethod
    def _spatial(store, gv, level, codes: pd.Index, cls: np.ndarray, w: np.ndarray) -> pd.DataFrame:
        """P(becoming a problem area at the next wave | not one now), with vs without a problem neighbour."""
        shapes = store.areas(geo_version=gv, level=level)
        shapes = shapes[shapes.geometry.notna() & ~shapes.geometry.is_empty].set_index("code").reindex(codes)
        have = shapes.geometry.notna().to_numpy()
        if have.sum() < 3:              # contiguity needs shapes
            return pd.DataFrame()
        from libpysal.weights import Queen
        sub = shapes[have].reset_index()
        wq = Queen.from_dataframe(sub, use_index=False, silence_warnings=True)
        pos = np.flatnonzero(have)
        hit = np.zeros((w.shape[0], 2))
        tot = np.zeros((w.shape[0], 2))
        for i in range(cls.shape[1] - 1):
            a, b = cls[pos, i], cls[pos, i + 1]
            nb = np.array([any(a[j] == 0 for j in wq.neighbors[k]) for k in range(len(pos))])
            risk = (a > 0) & (b >= 0)
            for side in (0, 1):
                sel = risk & (nb == bool(side))
                tot[:, side] += (w[:, pos] * sel).sum(axis=1)
                hit[:, side] += (w[:, pos] * (sel & (b == 0))).sum(axis=1)
        P = np.divide(hit, tot, out=np.full_like(hit, np.nan), where=tot > 0)
        out = []
        for side in (0, 1):
            lo, hi = c.percentile_interval(P[1:, side][np.isfinite(P[1:, side])]) \
                if np.isfinite(P[1:, side]).sum() > 10 else (np.nan, np.nan)
            out.append({"neighbour_problem": bool(side), "n_at_risk": float(tot[0, side]), "n_became": float(hit[0, side]),
                        "p": float(P[0, side]), "p_lo": float(lo), "p_hi": float(hi)})
        return pd.DataFrame(out)

    @staticmethod
    def _paths(codes: pd.Index, wide: pd.DataFrame | None, cls: np.ndarray, years: list[int],
               names: tuple[str, ...]) -> pd.DataFrame:
        a, b = cls[:, -2], cls[:, -1]
        path = np.select([(a < 0) | (b < 0), (a == 0) & (b == 0), (a != 0) & (b == 0), (a == 0) & (b != 0)],
                         ["unknown", "stays", "became", "recovered"], "never")
        n_problem = (cls == 0).sum(axis=1)
        if wide is not None:
            v0, v1 = wide[years[-2]].to_numpy(), wide[years[-1]].to_numpy()
            rule = [Message(f"trajectories.rule.{k}", {"y0": years[-2], "y1": years[-1], "n": int(n),
                                                       "waves": len(years), "v0": x0, "v1": x1})
                    for k, n, x0, x1 in zip(path, n_problem, v0, v1)]
        else:
            rule = [Message("trajectories.rule_typology", {"y0": years[-2], "y1": years[-1], "n": int(n), "waves": len(years),
                                                           "c0": Message(f"typology.class.{names[x]}") if x >= 0 else "–",
                                                           "c1": Message(f"typology.class.{names[z]}") if z >= 0 else "–"})
                    for n, x, z in zip(n_problem, a, b)]
        return pd.DataFrame({"code": codes, "class_from": [names[k] if k >= 0 else "" for k in a],
                             "class_to": [names[k] if k >= 0 else "" for k in b], "path": path,
                             "waves_in_problem": n_problem, "rule": rule, "suppressed": False})


def _figure(result: Result, lang: str = "nl"):
    """The pooled transition matrix as a heat map, each cell with its share and interval."""
    from ..i18n import render
    m = result.extra["matrix"]
    m = m[m["pair"] == "pooled"]
    keys = TYPOLOGY_CLASSES if result.params["classes"] == "typology" else CLASSES
    prefix = "typology.class" if result.params["classes"] == "typology" else "trajectories.class"
    P = m.pivot(index="from", columns="to", values="p").reindex(index=list(keys), columns=list(keys))
    fig, ax = c.new_figure(6, 4.6)
    ax.imshow(P.to_numpy(), cmap="Greys", vmin=0, vmax=1, aspect="auto")
    names = [render(f"{prefix}.{k}", lang) for k in keys]
    ax.set_xticks(range(len(keys)), names)
    ax.set_yticks(range(len(keys)), names)
    for (i, a) in enumerate(keys):
        for (j, b) in enumerate(keys):
            r = m[(m["from"] == a) & (m["to"] == b)].iloc[0]
            ax.text(j, i, f"{c.fmt(100 * r['p'], 0, lang)} %\n({c.fmt(100 * r['p_lo'], 0, lang)}–"
                          f"{c.fmt(100 * r['p_hi'], 0, lang)})", ha="center", va="center", fontsize=8,
                    color="white" if r["p"] > 0.5 else "black")
    ax.set_xlabel(c.tr("class_next_wave", lang))
    ax.set_ylabel(c.tr("class_this_wave", lang))
    ax.set_title(render("trajectories.figure_title", lang, y0=result.params["year_from"], y1=result.params["year_to"]))
    return fig


def run(store, **params) -> Result:
    """Markov trajectories with ``params`` (see :class:`TrajectoriesParams`)."""
    from .base import ANALYSES
    return ANALYSES["trajectories"](store, **params)
