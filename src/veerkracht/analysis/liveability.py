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

import numpy as np
import pandas as pd

from ..errors import StoreError
from . import _common as c
from .base import Result, analysis

__all__ = ["run", "DIMENSIONS"]

DIMENSIONS = ["lbm_won", "lbm_fys", "lbm_vrz", "lbm_soc", "lbm_onv"]


@analysis("liveability",
          "Ontwikkeling van de leefbaarheid per niveau (decielen of Leefbaarometer-klassen) en per "
          "dimensie in corporatiegebieden, per periode",
          "Development of liveability by level (deciles or Leefbaarometer classes) and by dimension in "
          "housing-association areas, per period")
def run(store, indicator: str = "lbm", classes: str = "decile", group_by: str = "start",
        periods=None, region=None, geo_version: str | None = None, level: str | None = None,
        mode: str = "level", threshold: float = 50.0, dimensions=None, group_year: int | None = None) -> Result:
    """Mean change of liveability per group and period.

    Parameters
    ----------
    indicator : str
        Score whose change is shown (level mode); default ``lbm``.
    classes : {'decile', 'lbm_class'}
        Deciles of ``indicator`` in the grouping year (1 = lowest), or the Leefbaarometer class 1–9.
    group_by : {'start', 'end'}
        Group each period's areas by their level at the period's start or end year.
    group_year : int, optional
        One grouping year for all periods (the report's fig. 8 uses 2018); overrides ``group_by``.
    periods : list of (from, to), optional
        Default: consecutive measurement years of the indicator (of the dimensions in dimension mode).
    mode : {'level', 'dimension'}
    threshold : float
        Dimension mode: corporation share (%, at the period's start; nearest year if missing) that
        makes an area corporation-dominated.
    dimensions : list[str], optional
        Dimension mode: default every one of lbm_won/fys/vrz/soc/onv present.

    Returns
    -------
    Result
        ``table``: one row per period × group (× dimension) with n, mean_change, se, ci_lo, ci_hi.
    """
    if mode not in ("level", "dimension"):
        raise StoreError(f"mode must be 'level' or 'dimension', not {mode!r}")
    if group_by not in ("start", "end"):
        raise StoreError(f"group_by must be 'start' or 'end', not {group_by!r}")
    if classes not in ("decile", "lbm_class"):
        raise StoreError(f"classes must be 'decile' or 'lbm_class', not {classes!r}")
    inds = ([indicator] + (["lbm_class"] if classes == "lbm_class" else [])) if mode == "level" \
        else list(dimensions or DIMENSIONS)
    geo_version = c.resolve_geo_version(store, inds[0], geo_version)
    level = c.resolve_level(store, geo_version, level, indicator=inds[0])
    codes, areas = c.region_codes(store, region, geo_version, level)
    facts = store.facts(indicator=inds, geo_version=geo_version, codes=codes)
    facts = facts[facts["code"].isin(areas["code"]) & facts["value"].notna()]
    if classes == "lbm_class" and mode == "level" and not (facts["indicator"] == "lbm_class").any():
        raise StoreError("classes='lbm_class' needs Leefbaarometer classes (lbm_class) in the store; "
                         "use classes='decile'")
    if mode == "dimension":
        inds = [d for d in inds if (facts["indicator"] == d).any()]
        if not inds:
            raise StoreError("the store has no Leefbaarometer dimensions for this region")
    years = sorted(facts.loc[facts["indicator"] == inds[0], "year"].unique())
    periods = [tuple(int(v) for v in p) for p in (periods or zip(years[:-1], years[1:]))]
    if not periods:
        raise StoreError(f"need at least two years of {inds[0]!r}; the region has {years}")
    wide = facts.pivot_table(index="code", columns=["indicator", "year"], values="value", aggfunc="first")

    notes: list[str] = []
    if mode == "level":
        table = _level(wide, indicator, classes, group_by, group_year, periods)
        gy_after_start = group_year is not None and any(group_year > f for f, _ in periods)
        if group_by == "end" or gy_after_start:
            notes += c.bilingual(
                "Let op: de gebieden zijn ingedeeld naar hun niveau aan het eind van de periode (of later). "
                "Dat bouwt regressie naar het gemiddelde in het beeld: wie aan het eind laag scoort, kwam daar "
                "deels door toevallige tegenvallers in dezelfde periode, dus lage groepen lijken achter te "
                "blijven ook als er niets structureels gebeurt. Vergelijk met group_by='start'.",
                "Caution: areas are grouped by their level at the end of the period (or later). This builds "
                "regression to the mean into the picture: areas that end low got there partly through chance "
                "setbacks in the same period, so low groups seem to fall behind even when nothing systematic "
                "happens. Compare with group_by='start'.")
        else:
            notes += c.bilingual(
                "De gebieden zijn ingedeeld naar hun niveau aan het begin van de periode. Door regressie naar "
                "het gemiddelde lijken lage groepen wat in te lopen en hoge groepen wat terug te vallen.",
                "Areas are grouped by their level at the start of the period. Through regression to the "
                "mean, low groups seem to catch up a little and high groups to fall back a little.")
    else:
        share = store.facts(indicator="corp_share", geo_version=geo_version, codes=codes)
        if share.empty:
            raise StoreError(f"no corp_share facts in {geo_version!r} for the region")
        table, n_fb = _dimension(wide, inds, share, threshold, periods)
        facts = pd.concat([facts, share])
        if n_fb:
            notes += c.bilingual(f"{n_fb} keer is het aandeel corporatiewoningen van het dichtstbijzijnde "
                                 "jaar gebruikt (geen gegeven in het beginjaar).",
                                 f"{n_fb} times the corporation share of the nearest year was used (none in "
                                 "the start year).")
    table[["ci_lo", "ci_hi"]] = np.column_stack(c.t_interval(table["mean_change"], table["sd"], table["n"]))
    table["se"] = table["sd"] / np.sqrt(table["n"])
    params = {"indicator": indicator, "classes": classes, "group_by": group_by, "group_year": group_year,
              "periods": [list(p) for p in periods], "region": region, "geo_version": geo_version,
              "level": level, "mode": mode, "threshold": threshold,
              "dimensions": inds if mode == "dimension" else None}
    return Result("liveability", table, params, c.vintage(store, facts, geo_version, level), notes,
                  summary=_summary(table, mode), _figure=_figure)


def _group_stats(change: pd.Series, group: pd.Series) -> pd.DataFrame:
    g = change.groupby(group)
    return pd.DataFrame({"n": g.size(), "mean_change": g.mean(), "sd": g.std(ddof=1)})


def _level(wide, indicator, classes, group_by, group_year, periods) -> pd.DataFrame:
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
        s = _group_stats(change, group).reset_index(names="group")
        s["group_label_nl"], s["group_label_en"] = zip(*(_label(classes, int(g)) for g in s["group"]))
        out.append(s.assign(period=f"{f}–{t}", year_from=f, year_to=t, group_year=gy))
    cols = ["period", "year_from", "year_to", "group_year", "group", "group_label_nl", "group_label_en",
            "n", "mean_change", "sd"]
    return pd.concat(out, ignore_index=True)[cols]


def _label(classes: str, g: int) -> tuple[str, str]:
    if classes == "lbm_class":
        nl, en = c.LBM_CLASSES.get(g, (str(g), str(g)))
        return f"{g} {nl}", f"{g} {en}"
    extra = {1: (" (laagst)", " (lowest)"), 10: (" (hoogst)", " (highest)")}.get(g, ("", ""))
    return f"{g}{extra[0]}", f"{g}{extra[1]}"


def _dimension(wide, dims, share, threshold, periods):
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
            st = _group_stats(change, grp).reset_index(names="group")
            st = st.sort_values("group", key=lambda g: ~g.str.startswith("≥"))   # corporation group first
            out.append(st.assign(period=f"{f}–{t}", year_from=f, year_to=t, dimension=dim))
    if not out:
        raise StoreError("no dimension has data in both years of any period")
    cols = ["period", "year_from", "year_to", "dimension", "group", "n", "mean_change", "sd"]
    return pd.concat(out, ignore_index=True)[cols], n_fb


def _summary(table: pd.DataFrame, mode: str) -> dict:
    """Headline: per period the mean change of the lowest and highest group (level mode), or of the
    corporation group per dimension (dimension mode)."""
    if mode == "level":
        first = table.groupby("period")["group"].transform("min") == table["group"]
        last = table.groupby("period")["group"].transform("max") == table["group"]
        return {"lowest_group": dict(zip(table.loc[first, "period"], table.loc[first, "mean_change"])),
                "highest_group": dict(zip(table.loc[last, "period"], table.loc[last, "mean_change"]))}
    corp = table[table["group"].str.startswith("≥")]
    return {"corp_areas": {f"{p} {d}": v for p, d, v in
                           zip(corp["period"], corp["dimension"], corp["mean_change"])}}


def _figure(result: Result, lang: str = "nl"):
    t, p = result.table, result.params
    periods = list(dict.fromkeys(t["period"]))
    if p["mode"] == "level":
        fig, ax = c.new_figure(9, 4.5)
        cats = list(dict.fromkeys(t[f"group_label_{'en' if lang == 'en' else 'nl'}"]))
        series = {}
        for per in periods:
            d = t[t["period"] == per].set_index(f"group_label_{'en' if lang == 'en' else 'nl'}").reindex(cats)
            series[per] = (d["mean_change"].to_numpy(), d["ci_lo"].to_numpy(), d["ci_hi"].to_numpy())
        c.grouped_bars(ax, cats, series, colors=c.COLORS[1:] if len(periods) == 1 else c.COLORS)
        what = c.ind_label(result, p["indicator"], lang)
        if p["classes"] == "lbm_class":
            xl = c.tr("lbm_class", lang)
        elif p["group_year"] is not None:
            xl = c.tr("decile", lang, what=what, year=p["group_year"])
        else:
            xl = c.tr("decile_start" if p["group_by"] == "start" else "decile_end", lang, what=what)
        ax.set_xlabel(xl)
        ax.set_title(what)
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
            ax.set_title(f"{c.tr('corp_bin', lang)} {g}", fontsize=10)
            ax.tick_params(axis="x", labelrotation=20)
        axes[0].set_xlabel(c.tr("dimension", lang))
    for ax in axes:
        c.reference_line(ax, 0)
    axes[0].set_ylabel(c.tr("mean_change", lang))
    axes[0].legend(title=c.tr("period", lang), frameon=False, fontsize=8)
    return fig
