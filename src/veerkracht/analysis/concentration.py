"""Concentration map (METHOD.md analysis 6; report map 3): level × change, a 3×3 bivariate class.

Level of an indicator (default ``low_income``) in ``year_from``: low / medium / high by the region's
terciles, or by fixed ``level_breaks``. Change to ``year_to``: falling / stable / rising with a stable
band of ±``stable_band`` points (default 1 for a percentage), or by terciles of the change
(``stable_band='tercile'``, the default for other units).
Class code ``"<level>-<change>"``, e.g. ``"3-3"`` = high and rising (growing concentration).

Colours: Joshua Stevens' 3×3 pink-blue bivariate scheme (level on the pink axis, change on the
blue axis; ``"3-3"`` darkest). Values resting on small numbers are flagged and blanked on the map.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import _common as c
from ._spatial import area_layer, two_years
from .base import ClassSpec, LayerSpec, Message, Result, analysis

__all__ = ["run", "PALETTE", "legend_figure"]

#: Stevens pink-blue: PALETTE["<level>-<change>"]
PALETTE = {
    "1-1": "#e8e8e8", "1-2": "#ace4e4", "1-3": "#5ac8c8",
    "2-1": "#dfb0d6", "2-2": "#a5add3", "2-3": "#5698b9",
    "3-1": "#be64ac", "3-2": "#8c62aa", "3-3": "#3b4994",
}
LEVEL = {1: ("laag", "low"), 2: ("midden", "medium"), 3: ("hoog", "high")}
CHANGE = {1: ("dalend", "falling"), 2: ("stabiel", "stable"), 3: ("stijgend", "rising")}


LAYER = LayerSpec(order=30, kind="bivariate", column="class", label=Message("analysis.concentration.title"), classes=tuple(
    ClassSpec(f"{lv}-{ch}", Message("concentration.class", {"level": Message(f"concentration.level.{lv}"),
                                                             "change": Message(f"concentration.change.{ch}")}),
              PALETTE[f"{lv}-{ch}"]) for ch in (3, 2, 1) for lv in (1, 2, 3)))


@analysis("concentration",
          "Niveau × ontwikkeling (3×3): waar neemt de concentratie toe?",
          "Level × change (3×3): where is concentration growing?", layer=LAYER)
def run(store, indicator: str = "low_income", year_from: int | None = None, year_to: int | None = None,
        region=None, geo_version: str | None = None, level: str | None = None,
        level_breaks: tuple[float, float] | None = None, stable_band: float | str | None = None) -> Result:
    """Bivariate class per area.

    Parameters
    ----------
    level_breaks : two values (low ≤ a < medium ≤ b < high); default the region's terciles.
    stable_band : a change within ±band is stable (points of the indicator's unit), or ``'tercile'``.
        Default: ±1 point for a percentage; terciles otherwise (±1 on a Leefbaarometer score of
        ±0.1 would make every area 'stable').
    """
    geo_version, level, areas, codes, years = c.scope(store, indicator, geo_version, level, region)
    if stable_band is None:
        stable_band = 1.0 if c.indicator_meta(store, indicator).get("unit") == "%" else "tercile"
    y0, y1 = c.period(years, year_from, year_to, indicator)
    f = two_years(store, [indicator], geo_version, codes, y0, y1)
    lev, chg = f[f"{indicator}_from"], f[f"{indicator}_change"]

    if level_breaks is None:
        lb = lev.dropna().quantile([1 / 3, 2 / 3]).to_numpy()
        level_method = "tercile"
    else:
        lb = np.asarray(level_breaks, float)
        level_method = "fixed"
    if stable_band == "tercile":
        cb = chg.dropna().quantile([1 / 3, 2 / 3]).to_numpy()
        change_method = "tercile"
    else:
        band = float(stable_band)
        cb = np.array([-band, band])
        change_method = f"±{band:g}"
    # low: ≤ first break; high: > second break (terciles put ties in the lower class)
    li = 1 + (lev > lb[0]).astype(int) + (lev > lb[1]).astype(int)
    if change_method == "tercile":
        ci = 1 + (chg > cb[0]).astype(int) + (chg > cb[1]).astype(int)
    else:   # stable band is closed: exactly ±band counts as stable
        ci = pd.Series(np.select([chg < cb[0], chg > cb[1]], [1, 3], 2), index=chg.index)
    known = lev.notna() & chg.notna()
    code = np.where(known, li.astype(str) + "-" + ci.astype(str), "")

    table = pd.DataFrame({
        "code": f.index, "level": lev.to_numpy(), "level_to": f[f"{indicator}_to"].to_numpy(),
        "change": chg.to_numpy(), "level_class": np.where(known, li, 0), "change_class": np.where(known, ci, 0),
        "class": code})
    table["class_nl"] = [_name(k, "nl") for k in code]
    table["class_en"] = [_name(k, "en") for k in code]
    table["colour"] = [PALETTE.get(k, "#ffffff") for k in code]
    table["suppressed"] = f[f"{indicator}_suppressed"].to_numpy()

    counts = pd.Series(code[known]).value_counts().reindex(list(PALETTE), fill_value=0)
    grid = pd.DataFrame([[int(counts[f"{a}-{b}"]) for b in (1, 2, 3)] for a in (3, 2, 1)],
                        index=[LEVEL[a][0] for a in (3, 2, 1)], columns=[CHANGE[b][0] for b in (1, 2, 3)])
    notes = []
    if (~known).any():
        notes += c.bilingual(f"{int((~known).sum())} gebieden zonder waarde in {y0} of {y1}: geen klasse.",
                             f"{int((~known).sum())} areas without a value in {y0} or {y1}: no class.")
    if table["suppressed"].any():
        notes += c.bilingual(f"{int(table['suppressed'].sum())} gebieden rusten op kleine aantallen "
                             "(gemarkeerd; waarden niet op de kaart).",
                             f"{int(table['suppressed'].sum())} areas rest on small numbers (flagged; values "
                             "not shown on the map).")
    if change_method == "tercile":
        notes.append(Message("map.stable_tercile"))
    else:
        notes += c.bilingual(f"Stabiel = verandering binnen ±{band:g} punt; bij kleine aantallen valt "
                             "toevalsruis daar makkelijk buiten.",
                             f"Stable = change within ±{band:g} points; with small numbers random noise "
                             "easily falls outside it.")
    summary = {"n_3_3": int(counts["3-3"]), "n_classified": int(known.sum()),
               "sentence_nl": f"In {int(counts['3-3'])} van {int(known.sum())} gebieden is het aandeel al hoog "
                              f"en stijgt het verder ({y0}–{y1}).",
               "sentence_en": f"In {int(counts['3-3'])} of {int(known.sum())} areas the share was already high "
                              f"and rose further ({y0}–{y1})."}
    params = {"indicator": indicator, "year_from": int(y0), "year_to": int(y1), "region": region,
              "geo_version": geo_version, "level": level, "level_breaks": [float(x) for x in lb],
              "level_method": level_method, "change_breaks": [float(x) for x in cb],
              "change_method": change_method, "stable_band": stable_band}
    vint = c.vintage(store, store.facts(indicator=indicator, geo_version=geo_version, years=[y0, y1]),
                     geo_version, level)
    return Result("concentration", table, params, vint, notes, {"counts": grid}, summary,
                  _figure=_figure, _layer=lambda r, s: area_layer(
                      r.table, s or store, r.params["geo_version"],
                      blank={"suppressed": ["level", "level_to", "change"]}))


def _name(code: str, lang: str) -> str:
    if not code:
        return "onbekend" if lang == "nl" else "unknown"
    a, b = int(code[0]), int(code[2])
    i = 1 if lang == "en" else 0
    return f"{LEVEL[a][i]}, {CHANGE[b][i]}"


def legend_figure(lang: str = "nl", counts: pd.DataFrame | None = None, indicator: str = "low_income"):
    """The 3×3 legend: level up, change to the right; optional counts printed in the cells."""
    fig, ax = c.new_figure(3.6, 3.4)
    i = 1 if lang == "en" else 0
    for a in (1, 2, 3):
        for b in (1, 2, 3):
            ax.add_patch(_rect(b - 1, a - 1, PALETTE[f"{a}-{b}"]))
            if counts is not None:
                ax.text(b - 0.5, a - 0.5, str(counts.iloc[3 - a, b - 1]), ha="center", va="center", fontsize=9,
                        color="white" if (a + b) >= 5 else "#333333")
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 3)
    ax.set_xticks([0.5, 1.5, 2.5], [CHANGE[b][i] for b in (1, 2, 3)])
    ax.set_yticks([0.5, 1.5, 2.5], [LEVEL[a][i] for a in (1, 2, 3)])
    ax.grid(False)
    what = c.ind_label({}, indicator, lang)
    ax.set_xlabel("Change" if lang == "en" else "Ontwikkeling")
    ax.set_ylabel(("Level: " if lang == "en" else "Niveau: ") + what)
    return fig


def _rect(x, y, colour):
    from matplotlib.patches import Rectangle
    return Rectangle((x, y), 1, 1, facecolor=colour, edgecolor="white")


def _figure(result: Result, lang: str = "nl"):
    return legend_figure(lang, result.extra["counts"], result.params["indicator"])
