"""Static maps with the social map's cartography: its classes, colours, statuses and legend text.

The view (classes, colours, which areas are suppressed) comes from :mod:`veerkracht.maps`, the
package the social map draws with: :func:`~veerkracht.maps.view.map_view` over its
:class:`~veerkracht.maps.catalog.Catalog` (pooled mapclassify breaks over all years, polarity
colours, suppression applied before anything is drawn). Analysis maps draw the report's own
result with :func:`~veerkracht.maps.layers.layer_of`, from the analysis' ``LayerSpec`` — the same
function the social map uses — so map, table and social map agree.
Only the drawing is done here, with geopandas/matplotlib: suppressed areas hatched grey, missing
areas plain, uncertain values faded (a white veil over their colour), as on the social map.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..maps.layers import AnalysisLayers, layer_of
from ..maps.legend import MISSING_COLOR, SUPPRESSED_COLOR, change_breaks, class_legend, classify, diverging
from ..maps.view import ViewParams, map_view, validate
from ..maps.legend import legend_rows
from .context import clean_sources
from ..i18n import render

__all__ = ["area_map"]

RD = 28992
#: the statuses the legend counts, worded by the messages ``report.map.status.<status>``
_STATUS = ("suppressed", "missing", "unreliable")


def area_map(ctx, name: str, version: str, level: str, indicator: str, mode: str = "value",
             year: int | None = None, year_from: int | None = None, result=None, title: str = "",
             suppressed_codes=(), source: str = "", label_codes=()) -> dict:
    """Draw one map of the region's areas; returns a figure block (see ``Ctx.figure``).

    ``result``: the analysis result for ``mode`` in typology / concentration / relative.
    ``suppressed_codes``: areas the analysis flagged as resting on small numbers (drawn hatched).
    ``label_codes``: the areas the chapter names (labelled first; see :mod:`.cartography`).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from .cartography import draw_inset, label_areas

    view = _view(ctx, version, level, indicator, mode, year, year_from, result)
    table = view["table"]
    codes = set(ctx.cov.areas.loc[(ctx.cov.areas["geo_version"] == version)
                                  & (ctx.cov.areas["level"] == level), "code"])
    table = table[table["code"].isin(codes)].copy()
    hide = table["code"].isin(set(suppressed_codes))
    table.loc[hide, "status"] = "suppressed"
    table.loc[hide, "cls"] = None
    geo = ctx.store.areas(geo_version=version, level=level, codes=sorted(codes), geometry=True)
    ctx.drawn.add((version, level))
    gdf = geo[["code", "geometry"]].merge(table, on="code", how="left").to_crs(RD)
    gdf["status"] = gdf["status"].fillna("missing")

    legend = view.get("legend", [])
    colour_of = {_key(e["cls"]): e["color"] for e in legend}
    colours = gdf["cls"].map(lambda c: colour_of.get(_key(c)) if pd.notna(c) else None)
    hidden = gdf["status"].isin(["suppressed", "missing"]) | colours.isna()
    colours = colours.where(~hidden, MISSING_COLOR)
    colours[gdf["status"] == "suppressed"] = SUPPRESSED_COLOR

    fig = Figure(figsize=(9.2, 6.4))
    FigureCanvasAgg(fig)
    ax = fig.add_axes([0.0, 0.06, 0.66, 0.9])
    gdf.plot(ax=ax, color=colours.tolist(), edgecolor="#ffffff", linewidth=0.25)
    sup = gdf[gdf["status"] == "suppressed"]
    if len(sup):
        sup.plot(ax=ax, facecolor="none", edgecolor="#7a7a7a", hatch="////", linewidth=0)
    unr = gdf[gdf["status"] == "unreliable"]
    if len(unr):
        unr.plot(ax=ax, facecolor="#ffffff", alpha=0.55, edgecolor="none", linewidth=0)
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.apply_aspect()
    names = geo.set_index("code")["name"] if "name" in geo else pd.Series(dtype=object)
    # suppressed areas are named too: a name tells where, not what
    labelled = label_areas(fig, ax, gdf, names, priority=[c for c in label_codes if c in codes])
    ctx.map_labels[name] = labelled

    handles = []
    if view.get("kind") == "bivariate":
        _bivariate_legend(fig, legend, result, ctx)
    else:
        for r in legend_rows(view, ctx.lang):
            handles.append(Patch(facecolor=r["color"], edgecolor="#777777", linewidth=0.4, label=r["text"]))
    counts = gdf["status"].value_counts()
    for key in _STATUS:
        n = int(counts.get(key, 0))
        if n:
            face = SUPPRESSED_COLOR if key == "suppressed" else (MISSING_COLOR if key == "missing" else "#9ecae1")
            hatch = "////" if key == "suppressed" else None
            handles.append(Patch(facecolor=face, edgecolor="#555555", hatch=hatch, linewidth=0.4,
                                 alpha=0.45 if key == "unreliable" else 1.0,
                                 label=f"{ctx.render(f'report.map.status.{key}')} ({n})"))
    unit = view.get("unit") or ""
    with_unit = unit and view.get("kind") == "numeric"
    head = ctx.render("report.map.legend_unit", unit=unit) if with_unit else ctx.render("report.map.legend")
    low = 0.95          # the lowest point (figure fraction) the legend reaches
    if handles:
        leg = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.67, 0.95), frameon=False, fontsize=9.5,
                         title=head, title_fontsize=10.5, alignment="left")
        low = leg.get_window_extent(fig.canvas.get_renderer()).transformed(fig.transFigure.inverted()).y0
    if view.get("kind") == "bivariate":
        low = min(low, 0.45)
    top = min(low - 0.04, 0.40)
    if top - 0.09 >= 0.16:      # room for an inset locator under the legend
        if draw_inset(fig, ctx, gdf.geometry.union_all(), rect=(0.70, 0.09, 0.27, top - 0.09)):
            ctx.map_insets.append(name)
    fig.suptitle(title or view["title"], x=0.02, y=0.995, ha="left", fontsize=12, fontweight="bold")
    src = clean_sources(view.get("sources") or [], ctx.lang)
    line = ctx.render("report.source", sources=source or src or "veerkracht", version=version, level=level)
    if mode in ("value", "change", "relative") and view.get("kind") == "numeric":
        line += " · " + ctx.render("report.map.pooled")
    fig.text(0.02, 0.015, line, fontsize=9, color="#444444", ha="left", va="bottom", wrap=True)
    caption = title or view["title"]
    return ctx.figure(name, fig, caption, source=line)


def _view(ctx, version, level, indicator, mode, year, year_from, result) -> dict:
    """The social map's view: ``map_view`` for indicator values; for analysis modes the web's
    layer (legend, colours, values) joined to the catalogue's statuses, as ``map_view`` does.

    (``map_view`` itself cannot be used for analysis modes under pandas 3: it writes ``-1`` into
    a string column of classes when an area is suppressed or missing.)
    """
    cat = ctx.catalog
    p, ind = validate(cat, ViewParams(version=version, level=level, indicator=indicator, mode=mode,
                                      year=year, year_from=year_from, region=None))
    if mode == "value":
        return map_view(cat, AnalysisLayers(cat), p, ind, ctx.lang)
    lay = layer_of(mode, result, ctx.lang, ref="gemeente")
    if not lay["available"]:
        from .plan import Unavailable
        raise Unavailable("report.map.unavailable", reason=lay.get("message"))
    base = cat.values(indicator, version, level, p.year, None)
    table = base[["code", "status"]].copy()
    values = pd.Series(lay.get("values", {}), dtype=object)
    table["value"] = table["code"].map(values)
    hidden = table["status"] == "suppressed"
    known = table["value"].notna() & ~hidden
    table.loc[known, "status"] = table.loc[known, "status"].replace("missing", "ok")
    table.loc[~known & ~hidden, "status"] = "missing"
    view = {"table": table, "kind": lay.get("kind", "categorical"), "legend": lay.get("legend", []),
            "unit": "", "title": "", "sources": cat.sources.get(indicator, []), "available": True}
    if mode == "relative":
        v = pd.to_numeric(table["value"], errors="coerce").where(~hidden)
        bins = change_breaks(v.to_numpy(float), k=5)
        view["legend"] = class_legend(bins, diverging(len(bins), ind.get("higher_is_worse")), symmetric=True)
        table["cls"] = classify(v, bins, symmetric=True).where(v.notna())
        unit = ind.get("unit") or ""
        view["kind"], view["unit"] = "numeric", ctx.render("report.map.points") if unit == "%" else unit
    else:
        table["cls"] = table["value"].where(known)
    return view


def _key(c) -> str:
    """Class key as text: numeric classes compare as integers (``2.0`` is class ``2``)."""
    if isinstance(c, (int, float, np.integer, np.floating)) and not isinstance(c, bool):
        return str(int(c))
    return str(c)


def _bivariate_legend(fig, legend: list[dict], result, ctx) -> None:
    """The 3×3 key in the web's colours, labelled with level and change words."""
    ax = fig.add_axes([0.72, 0.52, 0.2, 0.3])
    for e in legend:
        a, b = (int(x) for x in re.split(r"[|\-]", str(e["cls"])))   # "<level>-<change>" (or "a|b")
        ax.add_patch(_rect(b - 1, a - 1, e["color"]))
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 3)
    ax.set_xticks([0.5, 1.5, 2.5], [render(f"concentration.change.{b}", ctx.lang) for b in (1, 2, 3)], fontsize=8)
    ax.set_yticks([0.5, 1.5, 2.5], [render(f"concentration.level.{a}", ctx.lang) for a in (1, 2, 3)], fontsize=8)
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    ax.set_xlabel(ctx.render("report.map.axis.change"), fontsize=8.5)
    ax.set_ylabel(ctx.render("report.map.axis.level"), fontsize=8.5)


def _rect(x, y, colour):
    from matplotlib.patches import Rectangle
    return Rectangle((x, y), 1, 1, facecolor=colour, edgecolor="white")

