"""Chapters for the analyses that declare a :class:`~veerkracht.analysis.base.ReportSpec` and have no
hand-written chapter: found in the analysis registry, so an analysis added as one module appears in
the report without a change here.

A chapter runs the analysis on the first of its preferred indicators that the region has in the
period (finest level first), and shows its summary, its notes and — when it has a map layer — its
map in the social map's cartography (:func:`~veerkracht.maps.layers.layer_of` via ``area_map``).
"""
from __future__ import annotations

import inspect
import logging

from ..analysis import get_analysis
from ..analysis.base import reported_analyses
from ..errors import NotComputable, VeerkrachtError
from ..i18n import Message, render
from ..maps.catalog import ViewError
from .maps import area_map
from .plan import Unavailable

__all__ = ["registry_sections"]

log = logging.getLogger("veerkracht.report")


def registry_sections(handwritten: set[str]) -> list[tuple[str, str | Message, object, int]]:
    """``(key, title message, section function, order)`` for every reported analysis without a
    hand-written chapter."""
    out = []
    for name, a in reported_analyses().items():
        if name in handwritten:
            continue
        spec = a.report
        out.append((name, spec.title, lambda ctx, name=name: chapter(ctx, name), spec.order))
    return out


def chapter(ctx, name: str, **params) -> list[dict]:
    """The generic chapter of analysis ``name`` (see the module docstring); ``params`` go to the analysis."""
    run = get_analysis(name)
    spec = run.report
    accepted = inspect.signature(run).parameters
    found = ctx.cov.available(spec.indicators) if spec.indicators else []
    if spec.indicators and not found:
        raise ctx.cov.missing(spec.indicators[0])
    ind, v, lv, ys = found[0] if found else (None, None, None, [ctx.cov.year_from, ctx.cov.year_to])
    given = {"region": ctx.region.codes, "geo_version": v, "level": lv, "indicator": ind,
             "year_from": ys[0], "year_to": ys[-1], "year": ys[-1], **params}
    try:
        r = run(ctx.store, **{k: x for k, x in given.items() if k in accepted and x is not None})
    except NotComputable as e:
        raise Unavailable(e.message) from None
    ctx.results[name] = r
    if ind is not None:
        ctx.use(ind, v, lv, [ys[-1]] if "year" in accepted and "year_from" not in accepted else ys)
    blocks = []
    msg = (r.summary or {}).get("message")
    if isinstance(msg, Message):
        blocks.append({"type": "p", "text": render(msg, ctx.lang)})
    blocks += [{"type": "note", "text": x} for x in r.note_texts(ctx.lang)]
    table = run.report_table(r, ctx.lang)
    if table is not None and len(table):
        blocks.append(ctx.table(f"table_{name}", table, caption=render(spec.title, ctx.lang)))
    if r._figure is not None:
        try:
            blocks.append(ctx.figure(f"fig_{name}", r.figure(ctx.lang), caption=render(spec.title, ctx.lang)))
        except Exception:      # a figure that cannot be drawn for this selection: the chapter still stands
            pass
    if v is None and getattr(run, "layer", None) is not None:
        # analyses that choose their own inputs: the map on the version and level they used, coloured by
        # the first of their inputs the map has there (for the statuses of the areas)
        v, lv = r.params.get("geo_version"), r.params.get("level")
        roles = [x["indicators"] for x in r.inputs.values() if isinstance(x, dict) and x.get("indicators")]
        known = set(ctx.store.indicators()["id"])          # private inputs (tenants, survey) are not on a map
        ind = next((i for ids in roles for i in ids if i in known), None)
        y1 = r.params.get("year_to") or r.params.get("year") or ys[-1]
        ys = [r.params.get("year_from") or y1, y1]
    if getattr(run, "layer", None) is not None and v is not None and ind is not None:
        try:
            sup = set(r.table.loc[r.table["suppressed"].astype(bool), "code"]) if "suppressed" in r.table else set()
            blocks.append(area_map(ctx, f"map_{name}", v, lv, ind, name, year=ys[-1], year_from=ys[0], result=r,
                                   suppressed_codes=sup, title=render(
                                       "report.registry.map_title" if run.layer.own_indicator
                                       else "report.registry.map_title_own", ctx.lang, name=run.report.title, ind=ind,
                                       period=_period(r.params, ys))))
        except Unavailable as e:
            blocks.append({"type": "unavailable", "text": ctx.render("report.na", reason=e.message)})
        except (VeerkrachtError, ViewError) as e:     # a view the map cannot draw here (e.g. a level without geometry)
            log.info("map of %s not drawn: %s", name, e)
            blocks.append({"type": "unavailable", "text": ctx.render("report.na",
                                                                     reason=Message("report.registry.no_map"))})
    return blocks


def _period(params: dict, ys: list[int]) -> str:
    y0, y1 = params.get("year_from"), params.get("year_to") or params.get("year")
    if y0 and y1 and y0 != y1:
        return f"{y0}–{y1}"
    return str(y1 or ys[-1])
