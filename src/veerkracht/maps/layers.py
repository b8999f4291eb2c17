"""Analysis results drawn as map layers, from each analysis' own :class:`~veerkracht.analysis.base.LayerSpec`.

No output knows an analysis by name. The map's analysis modes are the registered analyses that
have a layer (:func:`modes`); a view's parameters are passed to an analysis only where it accepts
them; the classes, colours, labels and rule texts come from the result and its ``LayerSpec``.
:func:`layer_of` turns a result into a layer — the web app calls it on the results it computes
(:class:`AnalysisLayers` caches them), the report on the results of its own sections, so the
two cannot draw one result differently.

A layer is ``{analysis, available, message, kind, legend, values: {code: class or value},
rules: {code: text}, suppressed: [codes], notes, period}``.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import os
import threading
from pathlib import Path

import pandas as pd

from ..errors import NotComputable
from ..i18n import render
from ..store.schema import level_rank

__all__ = ["AnalysisLayers", "layer_of", "modes", "analysis_of"]



def modes() -> dict:
    """``{name: analysis}`` of every analysis with a map layer (the map's analysis modes)."""
    from ..analysis.base import mapped_analyses
    return mapped_analyses()


def analysis_of(name: str):
    from ..analysis import get_analysis
    return get_analysis(name)


def _period(params: dict) -> str:
    """The years the analysis actually used, e.g. ``2013–2017`` or ``2018``."""
    y0, y1 = params.get("year_from"), params.get("year_to") or params.get("year")
    if y0 and y1 and y0 != y1:
        return f"{y0}–{y1}"
    return str(y1 or y0 or "")


def _unavailable(name: str, message: str, **extra) -> dict:
    return {"analysis": name, "available": False, "message": message, "legend": [], "values": {},
            "rules": {}, "notes": [], "suppressed": [], **extra}


def layer_of(name: str, result, lang: str = "nl", ref: str | None = None) -> dict:
    """The layer of ``result`` (of analysis ``name``) in ``lang``; see the module docstring."""
    spec = analysis_of(name).layer
    table = result.extra.get(spec.table) if spec is not None and spec.table else result.table
    if spec is None or table is None or "code" not in table.columns or table.empty:
        return _unavailable(name, render("map.no_class", lang))
    table = table.drop_duplicates("code").set_index("code")
    hidden = table["suppressed"].fillna(False).astype(bool) if "suppressed" in table.columns else \
        pd.Series(False, index=table.index)
    shown = table[~hidden]
    out = {"analysis": name, "available": True, "message": "", "notes": result.note_texts(lang)[:4],
           "rules": {}, "suppressed": list(hidden.index[hidden]), "period": _period(result.params or {}),
           "kind": spec.kind, "label": render(spec.label, lang) if spec.label else name}
    col = spec.column_for(ref)
    if spec.kind == "numeric":
        vals = pd.to_numeric(shown[col], errors="coerce").dropna() if col in shown else pd.Series(dtype=float)
        return {**out, "values": vals.to_dict(), "legend": []}
    keys = {c.key for c in spec.classes}
    cls = shown[col].astype(str)
    cls = cls[cls.isin(keys)]
    legend = []
    for c in spec.classes:
        n = int((cls == c.key).sum())
        entry = {"cls": c.key, "label_nl": render(c.label, "nl"), "label_en": render(c.label, "en"),
                 "color": c.colour, "n": n}
        if spec.kind == "bivariate":       # key "<level>-<change>": rows rising → falling, columns low → high
            lv, ch = (int(x) for x in c.key.split("-"))
            entry.update(row=3 - ch, col=lv - 1)
        if n or spec.kind == "bivariate":
            legend.append(entry)
    if cls.empty:
        return {**out, "available": False, "legend": legend, "values": {},
                "message": render("map.no_class", lang)}
    rules = {}
    if spec.rule_column and spec.rule_column in shown:
        rules = {k: render(v, lang) if not isinstance(v, str) else v
                 for k, v in shown.loc[cls.index, spec.rule_column].items() if v is not None}
    return {**out, "legend": legend, "values": cls.to_dict(), "rules": rules}


class AnalysisLayers:
    """Runs registered analyses for map views and caches their results; thread-safe."""

    def __init__(self, catalog, max_results: int = 128, max_layers: int = 1024, shared: Path | str | None = None):
        from .catalog import LRU
        self.catalog = catalog
        # a folder the worker processes serving one snapshot share: a layer one worker drew is
        # read by the others instead of running the analysis again (None: this process only)
        self.shared = Path(shared) if shared is not None else None
        # bounded: a user exploring many regions and periods must not grow the server without end
        self._cache = LRU(max_results)
        self._layers = LRU(max_layers)
        self._running: dict = {}
        self._lock = threading.Lock()

    @staticmethod
    def installed(name: str) -> bool:
        """Whether analysis ``name`` is registered with a map layer in this installation."""
        return name in modes()

    def result(self, name: str, **params):
        """``(result, '')`` or ``(None, reason)``; each parameter set is computed once.

        The key holds only the parameters the analysis takes: the typology (its own indicators) is
        one result for every indicator a view shows."""
        params = self._accepted(name, params)
        key = (name, tuple(sorted((k, str(v)) for k, v in params.items())))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        with self._lock:
            once = self._running.setdefault(key, threading.Lock())
        with once:   # the same analysis asked twice at once runs once
            hit = self._cache.get(key)
            if hit is None:
                hit = self._compute(name, params)
                self._cache.put(key, hit)
            with self._lock:
                self._running.pop(key, None)
        return hit

    @staticmethod
    def _accepted(name: str, params: dict) -> dict:
        try:
            accepted = inspect.signature(analysis_of(name)).parameters
        except Exception:
            return params
        return {k: v for k, v in params.items() if k in accepted and v is not None}

    def _compute(self, name: str, params: dict):
        try:
            fn = analysis_of(name)
        except Exception:
            return None, f"analysis '{name}' is not available in this installation"   # a bug, not a user's state
        try:
            return fn(self.catalog.db(), **params), ""
        except Exception as exc:  # an analysis that cannot run here: say why, never a 500
            return None, exc

    @staticmethod
    def view_params(version: str, level: str, region: str | None, indicator: str | None, year: int | None,
                    year_from: int | None) -> dict:
        """The parameters a map view gives an analysis (each analysis takes the ones it accepts)."""
        return dict(geo_version=version, level=level, region=region, indicator=indicator, year=year,
                    year_to=year, year_from=year_from)

    def layer(self, name: str, version: str, level: str, region: str | None, indicator: str | None,
              year: int | None, year_from: int | None, ref: str = "gemeente", lang: str = "nl",
              stable_band: float | str | None = None) -> dict:
        """The layer of analysis ``name`` for one map view; an unavailable layer says why and,
        when the analysis runs at other levels of the version, lists them in ``levels``.

        Drawn once per view (the rules and labels rendered for every area are the costly part of a
        request that only changes the classes or the scheme); callers must not modify it."""
        key = (name, version, level, region, indicator, year, year_from, ref, lang, stable_band)
        return self._layers.get_or_build(key, lambda: self._shared_layer(key, lambda: self._layer(
            name, version, level, region, indicator, year, year_from, ref, lang, stable_band)))

    def _shared_layer(self, key: tuple, build) -> dict:
        """``build()``, or the layer another worker built for ``key`` (JSON in :attr:`shared`,
        written whole: a temporary file renamed into place)."""
        if self.shared is None:
            return build()
        path = self.shared / (hashlib.sha1(repr(key).encode()).hexdigest() + ".json")
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
        out = build()
        try:
            self.shared.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(out, ensure_ascii=False, allow_nan=True), encoding="utf-8")
            os.replace(tmp, path)
            return json.loads(path.read_text(encoding="utf-8"))    # the same form as the other workers read
        except (OSError, TypeError, ValueError):      # not shareable (or no room): this worker keeps it
            return out

    def _layer(self, name: str, version: str, level: str, region: str | None, indicator: str | None,
               year: int | None, year_from: int | None, ref: str, lang: str,
               stable_band: float | str | None) -> dict:
        spec = analysis_of(name).layer if name in modes() else None
        if spec is None:
            return _unavailable(name, f"analysis '{name}' has no map layer")
        if spec.refs and ref == "gemeente" and level == "gemeente":
            return _unavailable(name, render("map.relative_self", lang))
        params = self.view_params(version, level, region, indicator, year, year_from)
        if stable_band is not None:
            params["stable_band"] = stable_band
        result, why = self.result(name, **params)
        if result is None:
            levels = self.levels_for(name, version, level, region, indicator, year, year_from)
            reason = why.text(lang) if isinstance(why, NotComputable) else str(why)
            msg = render("map.cannot_run", lang, name=render(spec.label, lang) if spec.label else name, reason=reason)
            if levels:
                msg = render("map.other_levels", lang, message=msg, levels=", ".join(levels))
            return _unavailable(name, msg, levels=levels)
        out = layer_of(name, result, lang, ref)
        if spec.kind == "numeric" and out["available"] and not out["values"]:
            key = "map.relative_no_country" if ref == "country" else "map.relative_no_gemeente"
            return _unavailable(name, render(key, lang))
        return out

    def levels_for(self, name: str, version: str, level: str, region, indicator, year, year_from) -> list[str]:
        """Other levels of ``version`` (≥ 10 areas) where analysis ``name`` runs, nearest first."""
        areas = self.catalog.area_table
        here = level_rank(level)
        other = [lv for lv in self.catalog.levels(version) if lv != level
                 and ((areas["geo_version"] == version) & (areas["level"] == lv)).sum() >= 10]
        other.sort(key=lambda lv: (abs(level_rank(lv) - here), level_rank(lv)))
        ok = []
        for lv in other:
            res, _ = self.result(name, **self.view_params(version, lv, _region_at(areas, version, lv, region),
                                                          indicator, year, year_from))
            if res is not None:
                ok.append(lv)
        return ok


def _region_at(areas: pd.DataFrame, version: str, level: str, region: str | None) -> str | None:
    """A region code that still means something at ``level`` (a gemeente stays; a wijk or buurt
    region becomes its gemeente)."""
    if region in (None, "", "NL01") or str(region).startswith("GM"):
        return region
    row = areas[(areas["geo_version"] == version) & (areas["code"] == region)]
    return str(row["gm_code"].iloc[0]) if len(row) and pd.notna(row["gm_code"].iloc[0]) else None
