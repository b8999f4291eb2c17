"""Hot spots: local Moran's I (LISA) of an indicator's level or change, FDR-corrected.

Per area: the local Moran statistic on row-standardised Queen weights (islands joined to their
nearest area; areas without a value are left out of the weights), a conditional-permutation pseudo
p-value (``permutations``, ``seed``), the Benjamini–Hochberg q-value over all areas, and a class:
``HH`` (high among high), ``LL``, ``HL`` (high among low), ``LH`` or ``ns`` (q > ``alpha``). ``HH``
means high *values*: for an indicator where higher is better (``lbm_onv``) an HH cluster is a good
one — the table says so in ``favourable``.

Measured: 999 permutations on the 13,594 national buurten take ~1 s (weights ~0.6 s, cached).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import StoreError
from . import _common as c
from ._spatial import area_layer, two_years, weights
from ._inference import support_clusters
from .base import Analysis, ClassSpec, LayerSpec, Message, ReportSpec, Result, register

__all__ = ["Hotspots", "run", "bh_qvalues", "COLOURS"]

#: "ns" is a pale cream, not white-grey, which would read as "no data"
COLOURS = {"HH": "#d7191c", "LL": "#2c7bb6", "HL": "#fdae61", "LH": "#abd9e9", "ns": "#fbf7ea"}
LAYER = LayerSpec(order=40, kind="categorical", column="class", label=Message("analysis.hotspots.title"),
                  classes=tuple(ClassSpec(k, Message(f"hotspots.class.{k}"), COLOURS[k])
                                for k in ("HH", "LL", "HL", "LH", "ns")))
_QUAD = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q ≤ α ⇔ rejected at FDR α)."""
    p = np.asarray(p, float)
    n = len(p)
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out


@dataclass
class HotspotsParams:
    indicator: str = c.param("low_income", "indicator whose clusters are sought")
    measure: str = c.param("level", "'level' (value in year) or 'change' (year_from → year_to)")
    year: int | None = c.param(None, "level year (default: the last year with values)")
    year_from: int | None = c.param(None, "change: first year (default: the first year with values)")
    year_to: int | None = c.param(None, "change: last year (default: the last year with values)")
    region: list[str] | str | None = c.param(None, "gemeente/wijk/area codes (default: every area of the level)")
    geo_version: str | None = c.param(None, "geography version (default: the only one holding the indicator)")
    level: str | None = c.param(None, "level (default: the finest level holding the indicator)")
    permutations: int = c.param(999, "conditional permutations for the pseudo p-values")
    seed: int = c.param(0, "random seed of the permutations")
    alpha: float = c.param(0.05, "false-discovery rate (Benjamini–Hochberg over all areas analysed)")
    weights_kind: str = c.param("queen", "'queen' contiguity or 'knn' (k nearest neighbours)")
    k: int = c.param(6, "neighbours for weights_kind='knn'")
    support: bool = c.param(True, "run the test on the units the values were measured on (a PC4 score spread "
                                  "onto buurten: one value per PC4, neighbours = PC4s whose buurten touch)")

    def __post_init__(self):
        c.choice("measure", self.measure, ("level", "change"))
        c.choice("weights_kind", self.weights_kind, ("queen", "knn"))
        c.positive("permutations", self.permutations)
        c.positive("k", self.k)
        c.between("alpha", self.alpha, 0, 1)


@dataclass
class Scope:
    """The question, resolved once: geography, areas and the year(s) of the level or change."""

    p: HotspotsParams
    geo_version: str
    level: str
    codes: list[str]
    y0: int
    y1: int


@register
class Hotspots(Analysis):
    """LISA classes per area.

    The pseudo p is esda 2.9's "directed" one (folded, one-sided in the observed direction, as in
    GeoDa; p ≥ 1/(permutations+1)). esda warns that its default will become two-sided (about double
    the p); ``Moran_Local`` does not yet let us choose, so the warning is silenced here.
    """

    name = "hotspots"
    Params = HotspotsParams
    title = "analysis.hotspots.title"
    summary = "analysis.hotspots.summary"
    layer = LAYER
    report = ReportSpec(order=55, title=Message("analysis.hotspots.chapter"),
                        indicators=("low_income", "social_minimum", "bijstand", "bijstand_per_100_dwellings",
                                    "corp_share", "lbm"))

    def resolve(self, store, p: HotspotsParams) -> Scope:
        geo_version, level, _, codes, years = c.scope(store, p.indicator, p.geo_version, p.level, p.region)
        if not years:
            raise StoreError(f"no values of {p.indicator!r} in the region")
        if p.measure == "level":
            y0 = y1 = years[-1] if p.year is None else int(p.year)
        else:
            y0, y1 = c.period(years, p.year_from, p.year_to, p.indicator)
        return Scope(p, geo_version, level, codes, int(y0), int(y1))

    def compute(self, store, s: Scope) -> Result:
        import esda
        p, ind = s.p, s.p.indicator
        f = two_years(store, [ind], s.geo_version, s.codes, s.y0, s.y1)
        x = f[f"{ind}_to"] if p.measure == "level" else f[f"{ind}_change"]
        sup = f[f"{ind}_sup_to"] if p.measure == "level" else f[f"{ind}_suppressed"]
        use = x.dropna()
        if len(use) < 10 or use.nunique() < 2:
            raise StoreError(f"too few areas with a value ({len(use)}) for a local Moran's I")
        g = weights(store, s.geo_version, use.index, kind=p.weights_kind, k=p.k)
        # values spread from a coarser unit (PC4 → buurt): the test runs on the units, not the copies
        clusters = support_clusters(store, ind, s.geo_version, use.index, years=sorted({s.y0, s.y1}))
        unit_of = clusters if p.support and clusters.nunique() < len(clusters) else None
        vals, g_test = (use, g) if unit_of is None else _on_units(use, unit_of, g)
        if len(vals) < 10 or vals.nunique() < 2:
            raise StoreError(f"too few independent units with a value ({len(vals)}) for a local Moran's I")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The alternative hypothesis", category=DeprecationWarning)
            lisa = esda.Moran_Local(vals.to_numpy(float), g_test, permutations=p.permutations, seed=p.seed,
                                    n_jobs=1)
        q = bh_qvalues(lisa.p_sim)
        quad = pd.Series(lisa.q).map(_QUAD).to_numpy()
        cls = np.where(q <= p.alpha, quad, "ns")
        if unit_of is not None:          # every area takes its unit's statistic and class
            pos = pd.Series(np.arange(len(vals)), index=vals.index)[unit_of.reindex(use.index)].to_numpy()
            lisa = _Per(Is=lisa.Is[pos], z_sim=lisa.z_sim[pos], p_sim=lisa.p_sim[pos])
            q, cls = q[pos], cls[pos]

        t = pd.DataFrame({"code": f.index, "value": x.to_numpy()}).set_index("code")
        t["local_i"] = pd.Series(lisa.Is, index=use.index)
        t["z"] = pd.Series(lisa.z_sim, index=use.index)
        t["p"] = pd.Series(lisa.p_sim, index=use.index)
        t["q"] = pd.Series(q, index=use.index)
        t["class"] = pd.Series(cls, index=use.index).reindex(t.index).fillna("")     # "": not analysed
        good_high = c.indicator_meta(store, ind).get("higher_is_worse") in (False, 0)
        t["favourable"] = t["class"].map({"HH": good_high, "LL": not good_high})
        t["colour"] = t["class"].map(COLOURS).fillna("#ffffff")
        t["suppressed"] = sup.to_numpy()
        table = t.reset_index()

        notes = _notes(p, len(vals), len(f), good_high, int(t["suppressed"].sum()))
        if unit_of is not None:
            notes.insert(0, Message("hotspots.note.support", {"n": len(use), "units": len(vals),
                                                              "level": clusters.attrs["source_level"] or "-"}))
        counts = table["class"].value_counts()
        summary: dict = {f"n_{k}": int(counts.get(k, 0)) for k in ("HH", "LL", "HL", "LH", "ns")}
        summary["moran_global"] = float(esda.Moran(vals.to_numpy(float), g_test, permutations=0).I)
        summary.update(n_areas=len(use), n_units=len(vals), tested_on=clusters.attrs["source_level"]
                       if unit_of is not None else s.level)
        summary["message"] = Message("hotspots.summary", {"hh": summary["n_HH"], "ll": summary["n_LL"],
                                                          "alpha": float(p.alpha)})
        params = {"indicator": ind, "measure": p.measure, "year_from": s.y0, "year_to": s.y1, "region": p.region,
                  "geo_version": s.geo_version, "level": s.level, "permutations": p.permutations, "seed": p.seed,
                  "alpha": p.alpha, "weights_kind": p.weights_kind, "k": p.k if p.weights_kind == "knn" else None,
                  "support": p.support}
        vint = c.vintage(store, store.facts(indicator=ind, geo_version=s.geo_version, years=sorted({s.y0, s.y1})),
                         s.geo_version, s.level)
        return Result("hotspots", table, params, vint, notes, {}, summary, _figure=_figure,
                      _layer=lambda r, st: area_layer(r.table, st or store, r.params["geo_version"],
                                                      blank={"suppressed": ["value"]}),
                      inputs=c.inputs(vint, {"indicator": [ind]}))


def run(store, **params) -> Result:
    """Local Moran's I (see :class:`Hotspots`); kept for callers of the old entry point."""
    return c.run_registered("hotspots", store, **params)


@dataclass
class _Per:
    """Local statistics per area (a unit's, repeated on each of its areas)."""

    Is: np.ndarray
    z_sim: np.ndarray
    p_sim: np.ndarray


def _on_units(values: pd.Series, unit_of: pd.Series, g):
    """One value per unit (the mean of its areas: equal when spread) and the units' graph: two units
    are neighbours when any of their areas are (row-standardised; a unit without one is an island)."""
    from libpysal import graph as lg
    unit = unit_of.reindex(values.index)
    vals = values.groupby(unit.to_numpy()).mean()
    adj = g.adjacency.reset_index()
    adj.columns = ["focal", "neighbor", "weight"]
    a = pd.DataFrame({"focal": unit.reindex(adj["focal"]).to_numpy(), "neighbor": unit.reindex(adj["neighbor"]).to_numpy()})
    a = a[a["focal"] != a["neighbor"]].drop_duplicates()
    iso = vals.index[~vals.index.isin(a["focal"])]
    a = pd.concat([a.assign(weight=1.0), pd.DataFrame({"focal": iso, "neighbor": iso, "weight": 0.0})])
    order = pd.Categorical(a["focal"], categories=vals.index)
    a = a.iloc[np.lexsort((a["neighbor"].astype(str).to_numpy(), order.codes))]
    graph = lg.Graph.from_arrays(a["focal"].to_numpy(), a["neighbor"].to_numpy(), a["weight"].to_numpy())
    return vals, graph.transform("r")


def _notes(p: HotspotsParams, n_used: int, n_all: int, good_high: bool, n_sup: int) -> list[Message]:
    p_floor = 1 / (p.permutations + 1)
    notes = [Message("hotspots.note.method", {"alpha": float(p.alpha), "n": n_used, "permutations": p.permutations,
                                              "seed": p.seed, "p_floor": p_floor})]
    need = int(np.ceil(n_used * p_floor / p.alpha))
    if need > 1:
        notes.append(Message("hotspots.note.need", {"need": need}))
    if good_high:
        notes.append(Message("hotspots.note.higher_better", {"ind": p.indicator}))
    if n_used < n_all:
        notes.append(Message("hotspots.note.missing", {"n": n_all - n_used}))
    if n_sup:
        notes.append(Message("hotspots.note.suppressed", {"n": n_sup}))
    return notes


def _figure(result: Result, lang: str = "nl"):
    """Moran scatter: standardised value against its spatial lag is not kept; show class counts."""
    order = ["HH", "LL", "HL", "LH"]
    counts = result.table["class"].value_counts().reindex(order, fill_value=0)
    fig, ax = c.new_figure(6, 3.5)
    ax.bar(order, counts.to_numpy(), color=[COLOURS[k] for k in order], edgecolor="#666666")
    ax.set_ylabel(c.tr("areas", lang))
    ax.set_title(c.tr("clusters", lang, ind=result.params["indicator"], alpha=float(result.params["alpha"])))
    return fig
