"""One map view = (version, level, region, indicator, mode, years): its table and its legend.

The values endpoint, the CSV/GeoJSON exports and the PDF page all call :func:`map_view`, so what is
downloaded or printed is exactly what is on the screen.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ..indicators.registry import unit_in
from ..indicators.words import source_name
from ..i18n import render
from .catalog import ESTIMATE_FLAGS, MAP_LEVELS, Catalog, ViewError
from .layers import AnalysisLayers, analysis_of, modes
from .legend import (lbm_legend, MISSING_COLOR, SUPPRESSED_COLOR, change_breaks, class_legend, classify, pooled_breaks,
                     decimals, diverging, sequential)

__all__ = ["ViewParams", "VIEW_MODES", "all_modes", "map_view", "validate", "view_sources"]

#: the map's own modes; every registered analysis with a map layer adds one (:func:`all_modes`)
VIEW_MODES = ("value", "change")


def all_modes() -> tuple[str, ...]:
    """``value``, ``change`` and the analyses with a map layer, in registration order."""
    return VIEW_MODES + tuple(modes())



@dataclass(frozen=True)
class ViewParams:
    version: str
    level: str
    indicator: str
    mode: str = "value"
    year: int | None = None
    year_from: int | None = None
    region: str | None = None
    ref: str = "gemeente"
    scheme: str = "quantiles"
    k: int = 5


def validate(cat: Catalog, p: ViewParams) -> tuple[ViewParams, dict]:
    """Check every parameter against the store; fill the default year. Returns (params, indicator)."""
    if p.mode not in all_modes():        # checked per request: an analysis registered later is a mode too
        raise ViewError(f"unknown mode {p.mode!r}; modes: {', '.join(all_modes())}", 422)
    cat.check_version(p.version)
    cat.check_level(p.version, p.level)
    ind = cat.check_indicator(p.indicator)
    if p.region not in (None, "", "NL01"):
        cat.region_areas(p.version, p.level, p.region)
    years = cat.years(p.indicator, p.version, p.level)
    if not years:
        raise ViewError(f"no {p.indicator!r} data for {p.level} areas in version {p.version!r}", 404)
    year = years[-1] if p.year is None else cat.check_year(p.indicator, p.version, p.level, p.year)
    year_from = p.year_from
    if p.mode == "change":
        year_from = years[0] if year_from is None else cat.check_year(p.indicator, p.version, p.level, year_from)
        if year_from >= year:
            raise ViewError(f"year_from ({year_from}) must be before year ({year})")
    elif year_from is not None:
        cat.check_year(p.indicator, p.version, p.level, year_from)
    return ViewParams(**{**asdict(p), "year": year, "year_from": year_from,
                         "region": p.region or None}), ind


def _title(ind: dict, p: ViewParams, lang: str) -> str:
    label = ind["label_en" if lang == "en" else "label_nl"]
    if p.mode == "change":
        return f"{label}: {'change' if lang == 'en' else 'verandering'} {p.year_from}–{p.year}"
    if p.mode in modes():
        return _analysis_title(ind, p, str(p.year), lang)
    return f"{label}, {p.year}"


def _analysis_title(ind: dict, p: ViewParams, period: str, lang: str) -> str:
    """Title with the years the analysis used; an analysis that chooses its own inputs (the
    typology) is not titled with the view's indicator."""
    spec = analysis_of(p.mode).layer
    name = render(spec.label, lang) if spec.label else p.mode
    if spec.refs:
        ref = {"gemeente": ("t.o.v. gemeente", "vs municipality"), "country": ("t.o.v. Nederland", "vs country")}[p.ref]
        return f"{ind['label_en' if lang == 'en' else 'label_nl']} {ref[lang == 'en']}, {period}"
    if not spec.own_indicator:
        return f"{name} {period}"
    return f"{name}: {ind['label_en' if lang == 'en' else 'label_nl']}, {period}"


def map_view(cat: Catalog, layers: AnalysisLayers, p: ViewParams, ind: dict, lang: str = "nl") -> dict:
    """``{params, title, unit, legend, kind, table (DataFrame), notes, available, message}``.

    ``p`` must come from :func:`validate` (its ``year`` filled in)."""
    assert p.year is not None, "map_view takes validated parameters"
    base = cat.values(p.indicator, p.version, p.level, p.year, p.region)
    table = base[["code", "name", "gm_code", "wk_code", "status", "flags", "source"]].copy()
    table["value"] = base["value"]
    out = {"params": asdict(p), "title": _title(ind, p, lang), "unit": unit_in(ind.get("unit"), lang),
           "label_nl": ind["label_nl"], "label_en": ind["label_en"], "available": True, "message": "",
           "notes": [], "sources": view_sources(base["source"], lang) or cat.sources.get(p.indicator, []),
           "kind": "numeric", "decimals": decimals(ind.get("kind"), ind.get("unit"))}
    if p.mode == "value" and ind.get("kind") == "class":
        out["kind"] = "categorical"
        out["legend"] = lbm_legend()
        table["cls"] = table["value"].round().astype("Int64").astype(object)
    elif p.mode == "value":
        bins, lower = cat.breaks(p.indicator, p.version, p.level, p.scheme, p.k)   # once per parameters
        colors = sequential(len(bins), ind.get("higher_is_worse"))
        out["legend"] = class_legend(bins, colors, lower=lower)
        out["breaks"] = bins
        table["cls"] = classify(table["value"], bins)
    elif p.mode == "change":
        assert p.year_from is not None      # validate() fills it for a change view
        before = cat.values(p.indicator, p.version, p.level, p.year_from, p.region).set_index("code")
        prev = table["code"].map(before["value"])
        prev_status = table["code"].map(before["status"]).fillna("missing")
        table["value_from"] = prev
        table["value"] = table["value"] - prev
        table["status"] = _worst(table["status"], prev_status)
        table.loc[table["status"].isin(["suppressed", "missing"]), "value"] = np.nan
        _numeric_legend(out, table, ind, symmetric=True)
        out["unit"] = _change_unit(out["unit"], lang)
    else:
        spec = analysis_of(p.mode).layer
        lay = layers.layer(p.mode, p.version, p.level, p.region, p.indicator, p.year,
                           p.year_from if p.mode != "relative" else None, p.ref, lang)
        _analysis_values(out, table, lay, own_indicator=spec.own_indicator)
        if not lay["available"] and lay.get("levels"):
            out["switch_level"] = _switch_level(cat, p, lay.get("levels", []))
        out["title"] = _analysis_title(ind, p, lay.get("period") or str(p.year), lang)
        if spec.kind == "numeric" and spec.scale == "sequential":
            if out["available"]:
                _sequential_legend(out, table)
            out["unit"] = spec.unit or ""
        elif spec.kind == "numeric":
            if out["available"]:
                _numeric_legend(out, table, ind, symmetric=True)
            out["unit"] = _change_unit(out["unit"], lang)
        else:
            out["unit"] = ""    # classes, not the indicator's unit
            out["kind"] = lay.get("kind", "categorical")
            out["legend"] = lay.get("legend", [])
            table["cls"] = table["value"]
            table["rule"] = table["code"].map(lay.get("rules", {}))
        if not spec.own_indicator:
            out["sources"] = []     # its own indicators: named in the notes
    table.loc[table["status"].isin(["suppressed", "missing"]), ["value", "cls"]] = [np.nan, -1]
    if (table["status"] == "unreliable").any() and not (table["status"] == "ok").any():
        out["notes"] = [("Every value here is an estimate (converted from another area division or "
                         "approximated): the whole map is hatched." if lang == "en" else
                         "Alle waarden hier zijn schattingen (omgerekend uit een andere gebiedsindeling of "
                         "benaderd): de hele kaart is gearceerd.")] + out["notes"]
    out["notes"] = _estimate_note(table, lang) + out["notes"]
    out["table"] = table
    out["missing_color"], out["suppressed_color"] = MISSING_COLOR, SUPPRESSED_COLOR
    return out


def _switch_level(cat: Catalog, p: ViewParams, levels: list[str]) -> str | None:
    """The nearest level where the typology can run and the view's indicator can be drawn."""
    return next((lv for lv in levels if lv in MAP_LEVELS and cat.years(p.indicator, p.version, lv)), None)


def _estimate_note(table: pd.DataFrame, lang: str) -> list[str]:
    """Model estimates (``approx``) are coloured like other values; the legend says so once."""
    shown = table["status"].isin(["ok", "unreliable"])
    flags = table["flags"].fillna("").tolist()
    has = {f: bool(ESTIMATE_FLAGS & set(str(f).split(","))) for f in set(flags)}   # few distinct flag sets
    est = shown.to_numpy() & np.fromiter((has[f] for f in flags), dtype=bool, count=len(flags))
    n, m = int(est.sum()), int(shown.sum())
    if not n:
        return []
    if n == m:
        return ["All values are model estimates (approx.)." if lang == "en"
                else "Alle waarden zijn modelschattingen (benaderd)."]
    return [f"{n} of {m} values are estimates (approx.)." if lang == "en"
            else f"{n} van {m} waarden zijn schattingen (benaderd)."]


def view_sources(sources: pd.Series, lang: str = "nl") -> list[str]:
    """The sources of the values on the map, once each: ``bbga+aggregated`` is ``bbga`` (summed
    from smaller areas), which the legend says in words instead of listing every derivation."""
    out: dict[str, bool] = {}
    for s in sources.dropna().astype(str).unique():
        base, _, how = s.partition("+")
        out[base] = out.get(base, False) or bool(how)
    derived = (" (deels afgeleid)", " (partly derived)")[lang == "en"]
    return [source_name(b, lang) + (derived if d else "") for b, d in sorted(out.items())]


def _analysis_values(out: dict, table: pd.DataFrame, lay: dict, own_indicator: bool) -> None:
    """Put an analysis layer's per-area values in ``table['value']`` and set each area's status.

    ``own_indicator``: the analysis is computed on the view's indicator (relative, concentration,
    hot spots), so that indicator's suppressed and unreliable values stay marked. The typology
    uses its own indicators: its status comes from the layer alone.
    """
    out["available"], out["message"] = lay["available"], lay.get("message", "")
    out["notes"] = lay.get("notes", [])
    vals = table["code"].map(lay.get("values", {}))
    # classes are labels (object, not pandas' str dtype, so a missing class can become -1)
    table["value"] = pd.to_numeric(vals, errors="coerce") if lay.get("kind") == "numeric" else vals.astype(object)
    if not own_indicator:
        table["status"], table["flags"] = "ok", ""
    hidden = (table["status"] == "suppressed") | table["code"].isin(lay.get("suppressed", []))
    table.loc[hidden, "value"] = np.nan
    known = table["value"].notna()
    table.loc[hidden, "status"] = "suppressed"
    table.loc[known & (table["status"] == "missing"), "status"] = "ok"
    table.loc[~known & ~hidden, "status"] = "missing"


def _numeric_legend(out: dict, table: pd.DataFrame, ind: dict, symmetric: bool) -> None:
    bins = change_breaks(table["value"].to_numpy(float), k=5)
    out["legend"] = class_legend(bins, diverging(len(bins), ind.get("higher_is_worse")), symmetric=True)
    out["breaks"] = bins
    table["cls"] = classify(table["value"], bins, symmetric=symmetric)


def _sequential_legend(out: dict, table: pd.DataFrame) -> None:
    """Quantile classes light → dark for a level drawn by an analysis (e.g. a survey share per area)."""
    vals = table["value"].to_numpy(float)
    bins = pooled_breaks(vals, "quantiles", 5)
    known = vals[~np.isnan(vals)]
    out["legend"] = class_legend(bins, sequential(len(bins), None), lower=float(known.min()) if known.size else None)
    out["breaks"] = bins
    table["cls"] = classify(table["value"], bins)


def _change_unit(unit: str, lang: str) -> str:
    return ("%-points" if lang == "en" else "%-punt") if unit == "%" else unit


def _worst(a: pd.Series, b: pd.Series) -> pd.Series:
    order = {"ok": 0, "unreliable": 1, "missing": 2, "suppressed": 3}
    return pd.Series(np.where(a.map(order) >= b.map(order), a, b), index=a.index)
