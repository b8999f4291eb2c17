"""Liveability development by level (METHOD.md analysis 2; report fig. 8) and by dimension (fig. 13).

*Level mode*: areas are grouped by their liveability level (deciles of the score, or the
Leefbaarometer classes 1–9 when ``lbm_class`` is in the store) and the mean change per period is
shown per group, with a Student-t 95% interval. Grouping by the *end* year of a period (as the report's
fig. 8 groups by 2018) builds regression to the mean into the picture: an area that ends low is partly
there because of a negative shock in that period, so low groups seem to fall behind even when nothing
systematic happens. Grouping by the *start* year shows the mirror image (low groups seem to catch up).
The result says so in its notes.

*Dimension mode*: for areas with a corporation share ≥ ``threshold`` (and, for comparison, the rest),
the mean change of every Leefbaarometer dimension per period. The report's fig. 13 uses ≥ 80%.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import StoreError
from ..i18n import render
from . import _common as c
from ._inference import cluster_mean, support_clusters
from .base import Analysis, Message, Result, register

__all__ = ["Liveability", "run", "DIMENSIONS"]

DIMENSIONS = ["lbm_won", "lbm_fys", "lbm_vrz", "lbm_soc", "lbm_onv"]


@dataclass
class LiveabilityParams:
    indicator: str = c.param("lbm", "score whose change is shown (level mode)")
    classes: str = c.param("decile", "'decile' of the indicator in the grouping year (1 = lowest) or 'lbm_class' (1–9)")
    group_by: str = c.param("start", "group each period's areas by their level at its 'start' or 'end' year")
    periods: list | None = c.param(None, "list of (from, to); default: consecutive measurement years")
    region: list[str] | str | None = c.param(None, "gemeente/wijk/area codes (default: the whole country)")
    geo_version: str | None = c.param(None, "geography version (default: the only one holding the indicator)")
    level: str | None = c.param(None, "level (default: the finest level holding the indicator)")
    mode: str = c.param("level", "'level' (by liveability level) or 'dimension' (Leefbaarometer dimensions)")
    threshold: float = c.param(50.0, "dimension mode: corporation share (%) that makes an area corporation-dominated")
    dimensions: list[str] | None = c.param(None, "dimension mode: default every one of lbm_won/fys/vrz/soc/onv present")
    group_year: int | None = c.param(None, "one grouping year for all periods (overrides group_by)")

    def __post_init__(self):
        c.choice("mode", self.mode, ("level", "dimension"))
        c.choice("group_by", self.group_by, ("start", "end"))
        c.choice("classes", self.classes, ("decile", "lbm_class"))
        c.positive("threshold", self.threshold, allow_zero=True)


@dataclass
class Scope:
    """The question, resolved once: indicators, geography, areas, their facts and the periods."""

    p: LiveabilityParams
    inds: list[str]
    geo_version: str
    level: str
    codes: list[str] | None
    facts: pd.DataFrame
    periods: list[tuple[int, int]]


@register
class Liveability(Analysis):
    """Mean change of liveability per group and period.

    Returns a :class:`Result` whose ``table`` has one row per period × group (× dimension) with n,
    mean_change, se, ci_lo, ci_hi (and, in level mode, ``group_label``: a message).
    """

    name = "liveability"
    Params = LiveabilityParams
    title = "analysis.liveability.title"
    summary = "analysis.liveability.summary"

    def resolve(self, store, p: LiveabilityParams) -> Scope:
        inds = ([p.indicator] + (["lbm_class"] if p.classes == "lbm_class" else [])) if p.mode == "level" \
            else list(p.dimensions or DIMENSIONS)
        geo_version = c.resolve_geo_version(store, inds[0], p.geo_version)
        level = c.resolve_level(store, geo_version, p.level, indicator=inds[0])
        codes, areas = c.region_codes(store, p.region, geo_version, level)
        facts = store.facts(indicator=inds, geo_version=geo_version, codes=codes)
        facts = facts[facts["code"].isin(areas["code"]) & facts["value"].notna()]
        if p.classes == "lbm_class" and p.mode == "level" and not (facts["indicator"] == "lbm_class").any():
            raise StoreError("classes='lbm_class' needs Leefbaarometer classes (lbm_class) in the store; "
                             "use classes='decile'")
        if p.mode == "dimension":
            inds = [d for d in inds if (facts["indicator"] == d).any()]
            if not inds:
                raise StoreError("the store has no Leefbaarometer dimensions for this region")
        years = sorted(facts.loc[facts["indicator"] == inds[0], "year"].unique())
        periods = [(int(a), int(b)) for a, b in (p.periods or zip(years[:-1], years[1:]))]
        if not periods:
            raise StoreError(f"need at least two years of {inds[0]!r}; the region has {years}")
        return Scope(p, inds, geo_version, level, codes, facts, periods)

    def compute(self, store, s: Scope) -> Result:
        p, periods, facts = s.p, s.periods, s.facts
        wide = facts.pivot_table(index="code", columns=["indicator", "year"], values="value", aggfunc="first")
        notes: list[Message] = []
        # values spread from a coarser unit (PC4 → buurt) are one observation per unit: cluster on it
        clusters = support_clusters(store, s.inds, s.geo_version, wide.index,
                                    years=sorted({y for per in periods for y in per}))
        cl = clusters if clusters.attrs["n_spread"] else None
        if p.mode == "level":
            table = _level(wide, p.indicator, p.classes, p.group_by, p.group_year, periods, cl)
            gy_after_start = p.group_year is not None and any(p.group_year > f for f, _ in periods)
            notes.append(Message("liveability.note.grouped_end" if p.group_by == "end" or gy_after_start
                                 else "liveability.note.grouped_start"))
            roles = {"indicator": [p.indicator], "classes": ["lbm_class"] if p.classes == "lbm_class" else []}
        else:
            share = store.facts(indicator="corp_share", geo_version=s.geo_version, codes=s.codes)
            if share.empty:
                raise StoreError(f"no corp_share facts in {s.geo_version!r} for the region")
            table, n_fb = _dimension(wide, s.inds, share, p.threshold, periods, cl)
            # the shares used: those of the periods' start years (any year when one fell back)
            facts = pd.concat([facts, share if n_fb else share[share["year"].isin([f for f, _ in periods])]])
            if n_fb:
                notes.append(Message("liveability.note.share_fallback", {"n": int(n_fb)}))
            roles = {"dimensions": s.inds, "corp_share": ["corp_share"]}
        if cl is not None:
            notes.append(Message("inference.note.clustered", {"n": int(cl.attrs["n_spread"]),
                                                              "units": int(cl[cl.index.isin(cl.attrs["spread"])].nunique()),
                                                              "level": cl.attrs["source_level"] or "-"}))
        params = {"indicator": p.indicator, "classes": p.classes, "group_by": p.group_by, "group_year": p.group_year,
                  "periods": [list(x) for x in periods], "region": p.region, "geo_version": s.geo_version,
                  "level": s.level, "mode": p.mode, "threshold": p.threshold,
                  "dimensions": s.inds if p.mode == "dimension" else None}
        used = {y for per in periods for y in per} | ({p.group_year} if p.group_year is not None else set())
        vint = c.vintage(store, facts[facts["year"].isin(used) | (facts["indicator"] == "corp_share")],
                         s.geo_version, s.level)
        return Result("liveability", table, params, vint, notes, summary=_summary(table, p), _figure=_figure,
                      inputs=c.inputs(vint, roles))


def run(store, **params) -> Result:
    """Liveability by level or dimension (see :class:`Liveability`); kept for the old entry point."""
    return c.run_registered("liveability", store, **params)


def _group_stats(change: pd.Series, group: pd.Series, clusters: pd.Series | None = None) -> pd.DataFrame:
    """Per group: n, mean change, sd and its 95% interval — Student t on the areas, or cluster-robust
    (CR1, t on the number of units − 1) when values were spread from coarser units; ``n_units`` and
    ``n_eff`` (n over the design effect) say how many independent observations a group holds."""
    g = change.groupby(group)
    cl = None if clusters is None else clusters.reindex(change.index)
    rows = {k: cluster_mean(v.to_numpy(), None if cl is None else cl.loc[v.index].to_numpy())
            for k, v in g}
    st = pd.DataFrame.from_dict(rows, orient="index")
    return pd.DataFrame({"n": g.size(), "mean_change": g.mean(), "sd": g.std(ddof=1),
                         "se": st["se"], "ci_lo": st["ci_lo"], "ci_hi": st["ci_hi"],
                         "n_units": st["n_clusters"], "n_eff": st["n_eff"]})


def _level(wide, indicator, classes, group_by, group_year, periods, clusters=None) -> pd.DataFrame:
    out = []
    for f, t in periods:
        gy = group_year if group_year is not None else (f if group_by == "start" else t)
        cols = [(indicator, f), (indicator, t)]
        gcol = ("lbm_class", gy) if classes == "lbm_class" else (indicator, gy)
        if any(col not in wide.columns for col in cols + [gcol]):
            raise StoreError(f"{gcol[0]!r} or {indicator!r} lacks year {gy}, {f} or {t}")
        # deciles over every area with a value in the grouping year (an area's level does not depend
        # on whether it has data in another year); ranks first, so ties cannot collapse a decile
        level = wide[gcol].dropna()
        if classes == "decile":
            group = pd.qcut(level.rank(method="first"), 10, labels=False) + 1
        else:
            group = level.round().astype(int)
        change = (wide[(indicator, t)] - wide[(indicator, f)]).dropna()
        change = change[change.index.isin(group.index)]
        group = group.reindex(change.index)
        s = _group_stats(change, group, clusters).reset_index(names="group")
        s["group_label"] = [_label(classes, int(g)) for g in s["group"]]
        out.append(s.assign(period=f"{f}–{t}", year_from=f, year_to=t, group_year=gy))
    cols = ["period", "year_from", "year_to", "group_year", "group", "group_label", "n", "mean_change", "sd",
            "se", "ci_lo", "ci_hi", "n_units", "n_eff"]
    return pd.concat(out, ignore_index=True)[cols]


def _label(classes: str, g: int) -> Message:
    """The words of group ``g``: a Leefbaarometer class with its name, or a decile (lowest, highest)."""
    if classes == "lbm_class":
        return Message("liveability.group.lbm_class", {"g": g, "name": Message(f"lbm.class.{g}")}) \
            if 1 <= g <= 9 else Message("liveability.group.decile", {"g": g})
    return Message({1: "liveability.group.lowest", 10: "liveability.group.highest"}.get(g, "liveability.group.decile"),
                   {"g": g})


def _dimension(wide, dims, share, threshold, periods, clusters=None):
    out, n_fb = [], 0
    for f, t in periods:
        s = c.value_at(share, f)
        n_fb += s.attrs["n_fallback"]
        corp = s.reindex(wide.index) >= threshold
        known = s.reindex(wide.index).notna()
        for dim in dims:
            if (dim, f) not in wide.columns or (dim, t) not in wide.columns:
                continue
            change = (wide[(dim, t)] - wide[(dim, f)])[known].dropna()
            grp = corp.reindex(change.index).map({True: f"≥{threshold:g}%", False: f"<{threshold:g}%"})
            st = _group_stats(change, grp, clusters).reset_index(names="group")
            st = st.sort_values("group", key=lambda g: ~g.str.startswith("≥"))   # corporation group first
            out.append(st.assign(period=f"{f}–{t}", year_from=f, year_to=t, dimension=dim))
    if not out:
        raise StoreError("no dimension has data in both years of any period")
    cols = ["period", "year_from", "year_to", "dimension", "group", "n", "mean_change", "sd", "se", "ci_lo",
            "ci_hi", "n_units", "n_eff"]
    return pd.concat(out, ignore_index=True)[cols], n_fb


def _summary(table: pd.DataFrame, p: LiveabilityParams) -> dict:
    """Headline: per period the mean change of the lowest and highest group (level mode), or of the
    corporation group per dimension (dimension mode); ``message`` says it for the last period."""
    last = table[table["period"] == table["period"].iloc[-1]]
    if p.mode == "level":
        first = table.groupby("period")["group"].transform("min") == table["group"]
        top = table.groupby("period")["group"].transform("max") == table["group"]
        lo, hi = last.loc[last["group"].idxmin()], last.loc[last["group"].idxmax()]
        return {"lowest_group": dict(zip(table.loc[first, "period"], table.loc[first, "mean_change"])),
                "highest_group": dict(zip(table.loc[top, "period"], table.loc[top, "mean_change"])),
                "message": Message("liveability.summary.level", {
                    "ind": p.indicator, "period": lo["period"], "low": Message("liveability.summary.group", {
                        "group": lo["group_label"], "change": float(lo["mean_change"])}),
                    "high": Message("liveability.summary.group", {"group": hi["group_label"],
                                                                  "change": float(hi["mean_change"])})})}
    corp = table[table["group"].str.startswith("≥")]
    worst = corp[corp["period"] == last["period"].iloc[0]].sort_values("mean_change").iloc[0]
    return {"corp_areas": {f"{a} {d}": v for a, d, v in zip(corp["period"], corp["dimension"], corp["mean_change"])},
            "message": Message("liveability.summary.dimension", {
                "group": worst["group"], "period": worst["period"], "ind": worst["dimension"],
                "change": float(worst["mean_change"])})}


def _figure(result: Result, lang: str = "nl"):
    t, p = result.table, result.params
    periods = list(dict.fromkeys(t["period"]))
    if p["mode"] == "level":
        fig, ax = c.new_figure(9, 4.5)
        groups = list(dict.fromkeys(t["group"]))
        cats = [render(m, lang) for m in dict(zip(t["group"], t["group_label"])).values()]
        series = {}
        for per in periods:
            d = t[t["period"] == per].set_index("group").reindex(groups)
            series[per] = (d["mean_change"].to_numpy(), d["ci_lo"].to_numpy(), d["ci_hi"].to_numpy())
        c.grouped_bars(ax, cats, series, colors=c.COLORS[1:] if len(periods) == 1 else c.COLORS)
        what = p["indicator"]
        if p["classes"] == "lbm_class":
            xl = c.tr("lbm_class", lang)
        elif p["group_year"] is not None:
            xl = c.tr("decile", lang, ind=what, year=p["group_year"])
        else:
            xl = c.tr("decile_start" if p["group_by"] == "start" else "decile_end", lang, ind=what)
        ax.set_xlabel(xl)
        ax.set_title(c.ind_label(result, what, lang))
        axes = [ax]
    else:
        groups = list(dict.fromkeys(t["group"]))
        fig, axes = c.new_figure(5 * len(groups), 4.5, ncols=len(groups))
        axes = list(np.atleast_1d(axes))
        dims = list(dict.fromkeys(t["dimension"]))
        cats = [c.ind_label(result, d, lang).split(": ")[-1] for d in dims]
        for ax, g in zip(axes, groups):
            series = {}
            for per in periods:
                d = t[(t["period"] == per) & (t["group"] == g)].set_index("dimension").reindex(dims)
                series[per] = (d["mean_change"].to_numpy(), d["ci_lo"].to_numpy(), d["ci_hi"].to_numpy())
            c.grouped_bars(ax, cats, series)
            ax.set_title(c.tr("corp_group", lang, group=g), fontsize=10)
            ax.tick_params(axis="x", labelrotation=20)
        axes[0].set_xlabel(c.tr("dimension", lang))
    for ax in axes:
        c.reference_line(ax, 0)
    axes[0].set_ylabel(c.tr("mean_change", lang))
    axes[0].legend(title=c.tr("period", lang), frameon=False, fontsize=8)
    return fig
