"""Map layers from the analyses (typology, concentration, relative view, hot spots).

The web app never recomputes an analysis: it calls ``get_analysis(name)(store, **params)`` and
reads the result's table (one row per area). Parameters are passed only when the analysis accepts
them. An analysis that is not installed, or that cannot run on this data, gives a layer with
``available = False`` and the reason, which the map shows instead of colours.

Columns read (the analyses' contracts): every table has ``code`` and ``suppressed``;
typology ``class``, ``class_en``, ``shade``, ``colour``, ``rule_nl``/``rule_en``; concentration
``class`` (``"<level>-<change>"``), ``class_nl``, ``class_en``, ``colour``, ``level_class``,
``change_class``; relative ``diff_gm``, ``diff_nl`` (and ``gm_method``/``nl_method``); hot spots
``class`` (HH, LL, HL, LH, ns), ``colour``.
"""
from __future__ import annotations

import inspect
import threading

import pandas as pd

from .legend import diverging

__all__ = ["ANALYSIS_LAYERS", "AnalysisLayers"]

ANALYSIS_LAYERS = ("typology", "concentration", "relative", "hotspots")

#: classes that say "no class" (no value): drawn as missing, never as a colour
_NO_CLASS = {"", "onbekend", "geen waarde", "nan", "none"}
_REL_COLS = {"gemeente": ("diff_gm", "gm_method"), "country": ("diff_nl", "nl_method")}
_TYPOLOGY_ORDER = ("probleemgebied", "kwetsbaar", "signaal", "geen")
_SHADE = (("", ""), (" (stijging laag)", " (low rise)"), (" (stijging midden)", " (medium rise)"),
          (" (stijging hoog)", " (high rise)"))
_HOTSPOT = {  # class: (nl, en, colour) — "ns" is not white-grey, which would read as "no data"
    "HH": ("hoog tussen hoog (hotspot)", "high among high (hot spot)", "#d7191c"),
    "LL": ("laag tussen laag (coldspot)", "low among low (cold spot)", "#2c7bb6"),
    "HL": ("hoog tussen laag (uitschieter)", "high among low (outlier)", "#fdae61"),
    "LH": ("laag tussen hoog (uitschieter)", "low among high (outlier)", "#abd9e9"),
    "ns": ("geen significant cluster", "no significant cluster", "#fbf7ea"),
}
_LEVEL = {1: ("laag", "low"), 2: ("midden", "medium"), 3: ("hoog", "high")}
_CHANGE = {1: ("dalend", "falling"), 2: ("stabiel", "stable"), 3: ("stijgend", "rising")}
#: indicators that can stand in for the vulnerable share when the store has no ``lvb``
_STANDIN_PREFIXES = ("bijstand", "low_income", "social_minimum")


def _notes(result, lang: str) -> list[str]:
    """The analysis' notes in the user's language (they come as ``NL: …`` / ``EN: …`` pairs)."""
    out = []
    for n in map(str, getattr(result, "notes", [])):
        tag, _, text = n.partition(": ")
        if tag in ("NL", "EN"):
            if tag == lang.upper():
                out.append(text)
        else:
            out.append(n)
    return out[:4]


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
              year: int | None, year_from: int | None, ref: str = "gemeente", lang: str = "nl",
              stable_band: float | str | None = None) -> dict:
        """``{available, message, kind, legend, values: {code: cls}, rules: {code: text}}``.

        The view's years are tried first; when the analysis cannot use them (its own indicators
        have other years), it runs on its defaults and a note says so. An unavailable typology
        also lists ``levels``: the levels where its inputs do exist. ``stable_band`` goes to the
        concentration analysis (None: its default).
        """
        base = dict(geo_version=version, level=level, region=region, indicator=indicator,
                    stable_band=stable_band)
        standins = self._standins(version, level) if name == "typology" else ()
        if standins:
            base["standin_components"] = standins
        if name == "relative" and ref == "gemeente" and level == "gemeente":
            return {"analysis": name, "available": False, "legend": [], "values": {}, "rules": {},
                    "message": "een gemeente t.o.v. zichzelf is altijd 0: kies 't.o.v. Nederland'" if lang == "nl"
                    else "a municipality compared with itself is always 0: choose 'vs country'"}
        result, why = self._run(name, **base, year=year, year_to=year, year_from=year_from)
        moved = False
        if not _usable(result) and (year is not None or year_from is not None):
            result2, why2 = self._run(name, **base)
            if _usable(result2):
                result, why, moved = result2, why2, True
        empty = {"analysis": name, "available": False, "message": why, "legend": [], "values": {}, "rules": {}}
        if result is None and standins is None:     # say what is missing and where it is
            empty["levels"] = self.typology_levels(version, level)
            empty["message"] = self._no_typology(level, empty["levels"], lang)
        if result is None:
            return empty
        table = result.table
        if "code" not in table.columns or table.empty:
            return {**empty, "message": f"analysis '{name}' returned no per-area table"}
        table = table.drop_duplicates("code").set_index("code")
        notes = _notes(result, lang)
        if moved:
            notes.insert(0, "Berekend op de standaardjaren van de analyse (het gekozen jaar kan niet)."
                         if lang == "nl" else "Computed on the analysis' default years (the chosen year cannot be used).")
        hidden = table["suppressed"].fillna(False).astype(bool) if "suppressed" in table.columns else None
        if hidden is not None:   # the analysis' own small-number rule: never show a class
            table = table[~hidden]
        out = {"analysis": name, "available": True, "message": "", "notes": notes, "rules": {},
               "suppressed": [] if hidden is None else list(hidden.index[hidden]),
               "period": _period(getattr(result, "params", {}) or {})}
        if name == "relative":
            return self._relative(out, table, ref, lang)
        if name == "concentration":
            return self._bivariate(out, table)
        if "class" not in table.columns:
            return {**empty, "message": f"analysis '{name}' has no class column"}
        t = table[~table["class"].astype(str).str.strip().str.lower().isin(_NO_CLASS) & table["class"].notna()]
        if name == "hotspots":
            return self._hotspots(out, t)
        return self._typology(out, t, lang)

    def _standins(self, version: str, level: str) -> tuple | None:
        """``()`` when ``lvb`` is there; else the stand-in rates with ≥ 2 years at this level
        (``bijstand*``, ``low_income``, ``social_minimum``); None when there are none."""
        cat = self.catalog
        if cat.years("lvb", version, level):
            return ()
        found = tuple(sorted(i for i in cat.registry.index if i.startswith(_STANDIN_PREFIXES)
                             and cat.registry.loc[i, "kind"] == "rate" and len(cat.years(i, version, level)) >= 2))
        return found or None

    def typology_levels(self, version: str, level: str) -> list[str]:
        """The other levels of ``version`` (≥ 10 areas) where the typology's inputs exist, nearest first."""
        areas = self.catalog.area_table
        rank = {lv: i for i, lv in enumerate(("country", "gemeente", "wijk", "buurt", "pc4", "pc6"))}
        here = rank.get(level, 0)
        other = [lv for lv in self.catalog.levels(version) if lv != level and self._standins(version, lv) is not None
                 and ((areas["geo_version"] == version) & (areas["level"] == lv)).sum() >= 10]
        return sorted(other, key=lambda lv: (abs(rank.get(lv, 9) - here), rank.get(lv, 9)))

    @staticmethod
    def _no_typology(level: str, other: list[str], lang: str) -> str:
        if lang == "en":
            return (f"the typology needs a vulnerable share (LVB) or a stand-in (benefits, low income) for {level} "
                    f"areas; none is in the store" + (f" — choose level {', '.join(other)}" if other else ""))
        return (f"de typologie heeft een kwetsbare groep (LVB) of vervanging (bijstand, laag inkomen) per {level} "
                f"nodig; die staat niet in de database" + (f" — kies niveau {', '.join(other)}" if other else ""))

    @staticmethod
    def _typology(out: dict, t: pd.DataFrame, lang: str) -> dict:
        cls = t["class"].astype(str)
        shade = t["shade"].fillna(0).astype(int).clip(0, 3) if "shade" in t else pd.Series(0, index=t.index)
        key = cls.where(shade == 0, cls + ":" + shade.astype(str))
        label_en = t["class_en"].astype(str) if "class_en" in t else cls
        legend = []
        for k in sorted(pd.unique(key), key=lambda k: (_rank(k.split(":")[0], _TYPOLOGY_ORDER), k)):
            first = key[key == k].index[0]
            sh = int(shade.loc[first])
            legend.append({"cls": k, "label_nl": cls.loc[first] + _SHADE[sh][0],
                           "label_en": label_en.loc[first] + _SHADE[sh][1],
                           "color": str(t.loc[first, "colour"]) if "colour" in t else "#888888"})
        rule = f"rule_{lang}" if f"rule_{lang}" in t else ("rule_nl" if "rule_nl" in t else None)
        return {**out, "kind": "categorical", "legend": legend, "values": key.to_dict(),
                "rules": t[rule].dropna().astype(str).to_dict() if rule else {}}

    @staticmethod
    def _hotspots(out: dict, t: pd.DataFrame) -> dict:
        cls = t["class"].astype(str)
        legend = [{"cls": k, "label_nl": nl, "label_en": en, "color": col}
                  for k, (nl, en, col) in _HOTSPOT.items() if (cls == k).any()]
        legend += [{"cls": k, "label_nl": k, "label_en": k, "color": "#888888"}
                   for k in sorted(set(cls) - set(_HOTSPOT))]
        return {**out, "kind": "categorical", "legend": legend, "values": cls.to_dict()}

    @staticmethod
    def _bivariate(out: dict, t: pd.DataFrame) -> dict:
        """3×3 legend (rows: change rising → falling, columns: level low → high) in the
        analysis' own colours; the class is ``"<level>-<change>"``."""
        from ..analysis.concentration import PALETTE
        cls = t["class"].astype(str) if "class" in t else pd.Series(dtype=str)
        known = cls[cls.isin(PALETTE)]
        legend = []
        for ch in (3, 2, 1):
            for lv in (1, 2, 3):
                k = f"{lv}-{ch}"
                legend.append({"cls": k, "label_nl": f"{_LEVEL[lv][0]}, {_CHANGE[ch][0]}",
                               "label_en": f"{_LEVEL[lv][1]}, {_CHANGE[ch][1]}", "color": PALETTE[k],
                               "row": 3 - ch, "col": lv - 1, "n": int((known == k).sum())})
        if known.empty:
            return {**out, "available": False, "kind": "bivariate", "legend": legend, "values": {},
                    "message": "geen gebied heeft een waarde in beide jaren"}
        return {**out, "kind": "bivariate", "legend": legend, "values": known.to_dict()}

    @staticmethod
    def _relative(out: dict, t: pd.DataFrame, ref: str, lang: str) -> dict:
        col, method = _REL_COLS[ref]
        vals = pd.to_numeric(t[col], errors="coerce").dropna() if col in t else pd.Series(dtype=float)
        if vals.empty:
            why = {("gemeente", "nl"): "deze gebiedsindeling heeft geen gemeentewaarden om mee te vergelijken",
                   ("gemeente", "en"): "this geography version has no municipal values to compare with",
                   ("country", "nl"): "deze gebiedsindeling heeft geen landelijke waarde (NL01); kies de "
                                      "gemeentekaart van Nederland of vergelijk met de gemeente",
                   ("country", "en"): "this geography version has no national value (NL01); choose the "
                                      "municipal map of the Netherlands or compare with the municipality"}
            return {**out, "available": False, "legend": [], "values": {}, "message": why[ref, lang]}
        return {**out, "kind": "numeric", "values": vals.to_dict(), "legend": [],
                "palette": diverging(5, True)}


def _period(params: dict) -> str:
    """The years the analysis actually used, e.g. ``2013–2017`` or ``2018``."""
    y0, y1 = params.get("year_from"), params.get("year_to") or params.get("year")
    if y0 and y1 and y0 != y1:
        return f"{y0}–{y1}"
    return str(y1 or y0 or "")


def _usable(result) -> bool:
    """A result with at least one area classed (or valued): a year the analysis' own indicators
    lack gives a table of 'onbekend' only, which is worth a retry on its default years."""
    if result is None or "code" not in result.table.columns or result.table.empty:
        return False
    t = result.table
    if "class" in t.columns:
        return bool((~t["class"].astype(str).str.strip().str.lower().isin(_NO_CLASS) & t["class"].notna()).any())
    return True


def _rank(key: str, order: tuple) -> int:
    return order.index(key) if key in order else len(order)
