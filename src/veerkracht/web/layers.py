"""Map layers from the analyses (typology, concentration, relative view, hot spots).

The web app never recomputes an analysis: it calls ``get_analysis(name)(store, **params)`` and
reads the result's table (one row per area). Parameters are passed only when the analysis accepts
them. An analysis that is not installed, or that cannot run on this data, gives a layer with
``available = False`` and the reason, which the map shows instead of colours.
"""
from __future__ import annotations

import inspect
import threading

import pandas as pd

from .legend import diverging

__all__ = ["ANALYSIS_LAYERS", "AnalysisLayers"]

ANALYSIS_LAYERS = ("typology", "concentration", "relative", "hotspots")

_CODE_COLS = ("code", "area", "area_code")
_CLASS_COLS = ("typology", "class", "type", "category", "concentration", "cluster", "hotspot", "label")
_RULE_COLS = ("rule", "reason", "why", "rule_nl", "explanation")
_LEVEL_COLS = ("level_class", "start_class", "level")
_TREND_COLS = ("change_class", "trend_class", "trend", "change")
_REL_COLS = {"gemeente": ("vs_gemeente", "rel_gemeente", "diff_gemeente", "relative_gemeente"),
             "country": ("vs_country", "rel_country", "diff_country", "relative_country", "vs_national")}

_TYPOLOGY_COLORS = {"probleemgebied": "#d7301f", "kwetsbaar": "#2b8cbe", "watch": "#fdae61",
                    "watchlist": "#fdae61", "geen": "#f0f0f0", "none": "#f0f0f0", "overig": "#f0f0f0"}
#: 3×3 bivariate palette (level low→high × change falling→rising), J. Stevens
_BIVARIATE = [["#e8e8e8", "#e4acac", "#c85a5a"], ["#b0d5df", "#ad9ea5", "#985356"],
              ["#64acbe", "#627f8c", "#574249"]]
_CATEGORICAL = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]


def _first(cols, names):
    low = {c.lower(): c for c in cols}
    for n in names:
        if n in low:
            return low[n]
    return None


class AnalysisLayers:
    """Runs and caches analysis results for the map; thread-safe."""

    def __init__(self, catalog):
        self.catalog = catalog
        self._cache: dict = {}
        self._running: dict = {}
        self._lock = threading.Lock()

    @staticmethod
    def installed(name: str) -> bool:
        """Whether analysis ``name`` is registered in this installation."""
        try:
            from ..analysis import get_analysis
            get_analysis(name)
        except Exception:
            return False
        return True

    def _run(self, name: str, **params):
        key = (name, tuple(sorted(params.items())))
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            once = self._running.setdefault(key, threading.Lock())
        with once:   # the same analysis asked twice at once runs once
            with self._lock:
                if key in self._cache:
                    return self._cache[key]
            res = self._compute(name, params)
            with self._lock:
                self._cache[key] = res
                self._running.pop(key, None)
        return res

    def _compute(self, name: str, params: dict):
        try:
            from ..analysis import get_analysis
            fn = get_analysis(name)
        except Exception:
            res = (None, f"analysis '{name}' is not available in this installation yet")
        else:
            accepted = inspect.signature(fn).parameters
            call = {k: v for k, v in params.items() if k in accepted and v is not None}
            try:
                res = (fn(self.catalog.db(), **call), "")
            except Exception as exc:  # an analysis that cannot run here: say why, never a 500
                res = (None, f"analysis '{name}' cannot run on this selection: {exc}")
        return res

    def layer(self, name: str, version: str, level: str, region: str | None, indicator: str | None,
              year: int | None, year_from: int | None, ref: str = "gemeente", lang: str = "nl") -> dict:
        """``{available, message, kind, legend, values: {code: cls}, rules: {code: text}}``.

        The view's years are tried first; when the analysis cannot use them (its own indicators
        have other years), it runs on its defaults and a note says so.
        """
        base = dict(geo_version=version, level=level, region=region, indicator=indicator)
        result, why = self._run(name, **base, year=year, year_to=year, year_from=year_from)
        moved = False
        if result is None and (year is not None or year_from is not None):
            result, why2 = self._run(name, **base)
            moved = result is not None
            why = why if result is None else why2
        empty = {"analysis": name, "available": False, "message": why, "legend": [], "values": {}, "rules": {}}
        if result is None:
            return empty
        table = result.table
        code_col = _first(table.columns, _CODE_COLS)
        if code_col is None or table.empty:
            return {**empty, "message": f"analysis '{name}' returned no per-area table"}
        table = table.drop_duplicates(code_col).set_index(code_col)
        notes = [str(n) for n in getattr(result, "notes", [])][:5]
        if moved:
            notes.insert(0, "Berekend op de standaardjaren van de analyse (het gekozen jaar kan niet)."
                         if lang == "nl" else "Computed on the analysis' default years (the chosen year cannot be used).")
        if "suppressed" in table.columns:   # the analysis' own small-number rule: never show a class
            table = table[~table["suppressed"].fillna(False).astype(bool)]
        if name == "relative":
            return self._relative(table, ref, notes)
        lvl, trd = _first(table.columns, _LEVEL_COLS), _first(table.columns, _TREND_COLS)
        if name == "concentration" and lvl and trd:
            return self._bivariate(table, lvl, trd, notes)
        cls_col = _first(table.columns, _CLASS_COLS)
        if cls_col is None:
            return {**empty, "message": f"analysis '{name}' has no class column"}
        rule_col = _first(table.columns, (f"rule_{lang}", *_RULE_COLS))
        t = table[table[cls_col].notna()]
        key = t[cls_col].astype(str)
        label_en = t[f"{cls_col}_en"].astype(str) if f"{cls_col}_en" in t else key
        shade = t["shade"].fillna(0).astype(int) if "shade" in t else pd.Series(0, index=t.index)
        key = key.where(shade == 0, key + ":" + shade.astype(str))
        colour = t["colour"] if "colour" in t else None
        legend = []
        for k in sorted(pd.unique(key), key=lambda k: (self._order(k), k)):
            first = key[key == k].index[0]
            sh = int(shade.loc[first])
            suffix = ("", " (stijging laag)", " (stijging midden)", " (stijging hoog)")[min(sh, 3)]
            suffix_en = ("", " (low rise)", " (medium rise)", " (high rise)")[min(sh, 3)]
            legend.append({"cls": k, "label_nl": str(t.loc[first, cls_col]) + suffix,
                           "label_en": str(label_en.loc[first]) + suffix_en,
                           "color": str(colour.loc[first]) if colour is not None else self._color(k, len(legend))})
        return {"analysis": name, "available": True, "message": "", "kind": "categorical", "notes": notes,
                "legend": legend, "values": key.to_dict(),
                "rules": t[rule_col].dropna().astype(str).to_dict() if rule_col else {}}

    @staticmethod
    def _order(key: str) -> int:
        order = ("probleemgebied", "kwetsbaar", "signaal", "geen", "onbekend")
        base = key.split(":")[0].lower()
        return order.index(base) if base in order else len(order)

    @staticmethod
    def _color(cls: str, i: int) -> str:
        low = cls.lower()
        for key, col in _TYPOLOGY_COLORS.items():
            if key in low:
                return col
        return _CATEGORICAL[i % len(_CATEGORICAL)]

    def _bivariate(self, table, lvl, trd, notes) -> dict:
        levels = _ordered(table[lvl], ("low", "laag", "medium", "midden", "high", "hoog"))
        trends = _ordered(table[trd], ("falling", "dalend", "stable", "stabiel", "rising", "stijgend"))
        legend, values = [], {}
        for i, a in enumerate(levels[:3]):
            for j, b in enumerate(trends[:3]):
                legend.append({"cls": f"{a}|{b}", "label_nl": f"{a} / {b}", "label_en": f"{a} / {b}",
                               "color": _BIVARIATE[j][i], "row": j, "col": i})
        for code, row in table.iterrows():
            if pd.notna(row[lvl]) and pd.notna(row[trd]):
                values[code] = f"{row[lvl]}|{row[trd]}"
        return {"analysis": "concentration", "available": True, "message": "", "kind": "bivariate",
                "notes": notes, "legend": legend, "values": values, "rules": {}}

    def _relative(self, table, ref, notes) -> dict:
        col = _first(table.columns, _REL_COLS[ref])
        if col is None:
            return {"analysis": "relative", "available": False, "legend": [], "values": {}, "rules": {},
                    "message": f"the relative analysis gives no deviation from the {ref}"}
        vals = pd.to_numeric(table[col], errors="coerce").dropna()
        return {"analysis": "relative", "available": True, "message": "", "kind": "numeric", "notes": notes,
                "values": vals.to_dict(), "rules": {}, "legend": [], "palette": diverging(5, True)}


def _ordered(series: pd.Series, order: tuple) -> list[str]:
    vals = [str(v) for v in pd.unique(series.dropna())]
    rank = {k: i for i, k in enumerate(order)}
    return sorted(vals, key=lambda v: (rank.get(v.lower(), 99), v))
