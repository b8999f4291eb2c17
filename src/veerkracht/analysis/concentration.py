"""Concentration map (METHOD.md analysis 6; report map 3): level × change, a 3×3 bivariate class.

Level of an indicator (default ``low_income``) in ``year_from``: low / medium / high by the region's
terciles, or by fixed ``level_breaks``. Change to ``year_to``: falling / stable / rising with a stable
band of ±``stable_band`` points (default 1 for a percentage), or by terciles of the change
(``stable_band='tercile'``, the default for other units).
Class code ``"<level>-<change>"``, e.g. ``"3-3"`` = high and rising (growing concentration); its
words are the message in column ``class_label``.

Colours: Joshua Stevens' 3×3 pink-blue bivariate scheme (level on the pink axis, change on the
blue axis; ``"3-3"`` darkest). Values resting on small numbers are flagged and blanked on the map.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import StoreError
from ..i18n import render
from . import _common as c
from ._caveats import definition_notes
from ._spatial import area_layer, two_years
from .base import Analysis, ClassSpec, LayerSpec, Message, Result, register

__all__ = ["Concentration", "run", "PALETTE", "LEVELS", "CHANGES", "legend_figure"]

#: Stevens blue-red: PALETTE["<level>-<change>"]; unlike his pink-blue (two classes 4.5 ΔE apart for
#: protanopes) every pair stays ≥ 9 ΔE apart under simulated protan-, deuteran- and tritanopia
#: (tests/web/test_accessibility.py)
PALETTE = {
    "1-1": "#e8e8e8", "1-2": "#b0d5df", "1-3": "#64acbe",
    "2-1": "#e4acac", "2-2": "#ad9ea5", "2-3": "#627f8c",
    "3-1": "#c85a5a", "3-2": "#985356", "3-3": "#574249",
}
#: data keys of the level and change classes 1–3 (their words: ``concentration.level.<n>`` …)
LEVELS = {1: "low", 2: "medium", 3: "high"}
CHANGES = {1: "falling", 2: "stable", 3: "rising"}


def class_label(code: str) -> Message:
    """The words of class ``"<level>-<change>"`` (``""``: no class) as a message."""
    if not code:
        return Message("concentration.class.unknown")
    return Message("concentration.class", {"level": Message(f"concentration.level.{code[0]}"),
                                           "change": Message(f"concentration.change.{code[2]}")})


LAYER = LayerSpec(order=30, kind="bivariate", column="class", label=Message("analysis.concentration.title"),
                  classes=tuple(ClassSpec(f"{lv}-{ch}", class_label(f"{lv}-{ch}"), PALETTE[f"{lv}-{ch}"])
                                for ch in (3, 2, 1) for lv in (1, 2, 3)))


@dataclass
class ConcentrationParams:
    indicator: str = c.param("low_income", "indicator whose level and change are classed")
    year_from: int | None = c.param(None, "level year (default: the first year with values)")
    year_to: int | None = c.param(None, "end of the change (default: the last year with values)")
    region: list[str] | str | None = c.param(None, "gemeente/wijk/area codes (default: every area of the level)")
    geo_version: str | None = c.param(None, "geography version (default: the only one holding the indicator)")
    level: str | None = c.param(None, "level (default: the finest level holding the indicator)")
    level_breaks: tuple[float, float] | None = c.param(
        None, "two values: low ≤ a < medium ≤ b < high (default: the region's terciles)")
    stable_band: float | str | None = c.param(
        None, "a change within ±band points is stable, or 'tercile' (default: ±1 for a percentage, else terciles)")

    level_year: int | None = c.param(
        None, "year whose level classes the areas (default year_from); an earlier, independent year keeps the "
              "start year's noise out of both level and change (regression to the mean)")

    def __post_init__(self):
        if self.level_breaks is not None:
            lb = [float(x) for x in self.level_breaks]
            if len(lb) != 2 or lb[1] <= lb[0]:
                raise StoreError(f"level_breaks must be two increasing values, not {self.level_breaks!r}")
        if isinstance(self.stable_band, str) and self.stable_band != "tercile":
            raise StoreError(f"stable_band must be a number or 'tercile', not {self.stable_band!r}")
        if self.stable_band is not None and not isinstance(self.stable_band, str):
            c.positive("stable_band", self.stable_band, allow_zero=True)


@dataclass
class Scope:
    """The question, resolved once: indicator, geography, areas, the two years and the stable band."""

    p: ConcentrationParams
    geo_version: str
    level: str
    codes: list[str]
    y0: int
    y1: int
    stable_band: float | str


@register
class Concentration(Analysis):
    name = "concentration"
    Params = ConcentrationParams
    title = "analysis.concentration.title"
    summary = "analysis.concentration.summary"
    layer = LAYER

    def resolve(self, store, p: ConcentrationParams) -> Scope:
        geo_version, level, _, codes, years = c.scope(store, p.indicator, p.geo_version, p.level, p.region)
        band = p.stable_band
        if band is None:
            band = 1.0 if c.indicator_meta(store, p.indicator).get("unit") == "%" else "tercile"
        y0, y1 = c.period(years, p.year_from, p.year_to, p.indicator)
        return Scope(p, geo_version, level, codes, y0, y1, band)

    def compute(self, store, s: Scope) -> Result:
        ind, y0, y1 = s.p.indicator, s.y0, s.y1
        f = two_years(store, [ind], s.geo_version, s.codes, y0, y1)
        lev, chg = f[f"{ind}_from"], f[f"{ind}_change"]
        ly = y0 if s.p.level_year is None else int(s.p.level_year)
        if ly > y0:
            raise StoreError(f"level_year {ly} lies after year_from {y0}: the level must not come from the change")
        if ly != y0:     # the level from an independent, earlier year
            lev = two_years(store, [ind], s.geo_version, s.codes, ly, y1)[f"{ind}_from"]
        if s.p.level_breaks is None:
            lb, level_method = lev.dropna().quantile([1 / 3, 2 / 3]).to_numpy(), "tercile"
        else:
            lb, level_method = np.asarray(s.p.level_breaks, float), "fixed"
        if s.stable_band == "tercile":
            cb, change_method = chg.dropna().quantile([1 / 3, 2 / 3]).to_numpy(), "tercile"
        else:
            band = float(s.stable_band)
            cb, change_method = np.array([-band, band]), f"±{band:g}"
        # low: ≤ first break; high: > second break (terciles put ties in the lower class)
        li = 1 + (lev > lb[0]).astype(int) + (lev > lb[1]).astype(int)
        if change_method == "tercile":
            ci = 1 + (chg > cb[0]).astype(int) + (chg > cb[1]).astype(int)
        else:   # stable band is closed: exactly ±band counts as stable
            ci = pd.Series(np.select([chg < cb[0], chg > cb[1]], [1, 3], 2), index=chg.index)
        known = lev.notna() & chg.notna()
        code = np.where(known, li.astype(str) + "-" + ci.astype(str), "")

        table = pd.DataFrame({
            "code": f.index, "level": lev.to_numpy(), "level_to": f[f"{ind}_to"].to_numpy(),
            "change": chg.to_numpy(), "level_class": np.where(known, li, 0),
            "change_class": np.where(known, ci, 0), "class": code})
        table["class_label"] = [class_label(k) for k in code]
        table["colour"] = [PALETTE.get(k, "#ffffff") for k in code]
        table["suppressed"] = f[f"{ind}_suppressed"].to_numpy()

        counts = pd.Series(code[known]).value_counts().reindex(list(PALETTE), fill_value=0)
        grid = pd.DataFrame([[int(counts[f"{a}-{b}"]) for b in (1, 2, 3)] for a in (3, 2, 1)],
                            index=[LEVELS[a] for a in (3, 2, 1)], columns=[CHANGES[b] for b in (1, 2, 3)])
        notes = []
        if (~known).any():
            notes.append(Message("concentration.note.no_value", {"n": int((~known).sum()), "y0": y0, "y1": y1}))
        if table["suppressed"].any():
            notes.append(Message("concentration.note.suppressed", {"n": int(table["suppressed"].sum())}))
        notes.append(Message("concentration.note.rtm_same", {"y0": y0}) if ly == y0 else
                     Message("concentration.note.rtm_independent", {"ly": ly, "y0": y0}))
        notes += definition_notes(ind, y0, y1)
        notes.append(Message("map.stable_tercile") if change_method == "tercile" else
                     Message("concentration.note.stable_band", {"band": float(s.stable_band)}))
        summary = {"n_3_3": int(counts["3-3"]), "n_classified": int(known.sum()),
                   "message": Message("concentration.summary", {"ind": ind, "n": int(counts["3-3"]),
                                                                "total": int(known.sum()), "y0": y0, "y1": y1})}
        params = {"indicator": ind, "year_from": int(y0), "year_to": int(y1), "region": s.p.region,
                  "geo_version": s.geo_version, "level": s.level, "level_breaks": [float(x) for x in lb],
                  "level_method": level_method, "change_breaks": [float(x) for x in cb],
                  "change_method": change_method, "stable_band": s.stable_band, "level_year": ly}
        vint = c.vintage(store, store.facts(indicator=ind, geo_version=s.geo_version, years=sorted({ly, y0, y1})),
                         s.geo_version, s.level)
        return Result("concentration", table, params, vint, notes, {"counts": grid}, summary,
                      _figure=_figure, _layer=lambda r, st: area_layer(
                          r.rendered_table(), st or store, r.params["geo_version"],
                          blank={"suppressed": ["level", "level_to", "change"]}),
                      inputs=c.inputs(vint, {"indicator": [ind]}))


def run(store, **params) -> Result:
    """The concentration map (see :class:`Concentration`); kept for callers of the old entry point."""
    return c.run_registered("concentration", store, **params)


def legend_figure(lang: str = "nl", counts: pd.DataFrame | None = None, indicator: str = "low_income"):
    """The 3×3 legend: level up, change to the right; optional counts printed in the cells."""
    fig, ax = c.new_figure(3.6, 3.4)
    for a in (1, 2, 3):
        for b in (1, 2, 3):
            ax.add_patch(_rect(b - 1, a - 1, PALETTE[f"{a}-{b}"]))
            if counts is not None:
                ax.text(b - 0.5, a - 0.5, str(counts.iloc[3 - a, b - 1]), ha="center", va="center", fontsize=9,
                        color="white" if (a + b) >= 5 else "#333333")
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 3)
    ax.set_xticks([0.5, 1.5, 2.5], [render(f"concentration.change.{b}", lang) for b in (1, 2, 3)])
    ax.set_yticks([0.5, 1.5, 2.5], [render(f"concentration.level.{a}", lang) for a in (1, 2, 3)])
    ax.grid(False)
    ax.set_xlabel(c.tr("change", lang))
    ax.set_ylabel(c.tr("level_of", lang, ind=indicator))
    return fig


def _rect(x, y, colour):
    from matplotlib.patches import Rectangle
    return Rectangle((x, y), 1, 1, facecolor=colour, edgecolor="white")


def _figure(result: Result, lang: str = "nl"):
    return legend_figure(lang, result.extra["counts"], result.params["indicator"])
