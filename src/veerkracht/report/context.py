"""The report's working state and its wording helpers.

:class:`Ctx` carries the store, region, period and language through the sections, writes every
figure (PNG + SVG in ``figures/``) and table (CSV in ``tables/``) once, and keeps what the data
section must account for. Every word comes from the message catalogs (``report.*`` in
:mod:`veerkracht.i18n`); the wording helpers choose a message *from the numbers* (``more``/``less``
by the sign of a difference, whether an interval excludes zero), so no sentence can contradict its
own figures.
"""
from __future__ import annotations

import base64
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..i18n import Message, fmt_number, plural, render
from ..indicators.registry import unit_in
from .words import clean_sources

#: every chart is drawn this wide (inches, matplotlib) at this dpi; the text width is ~6.85 in
FIGURE_WIDTH, FIGURE_MAX_HEIGHT, FIGURE_DPI = 8.0, 6.0, 150
#: tables shorter than this stay on one page; a cell this short never wraps, this long may hyphenate
KEEP_ROWS, SHORT_CELL, LONG_CELL = 25, 16, 40

__all__ = ["Ctx", "Finding", "direction", "interval_verdict", "slug", "clean_sources", "n_areas", "message_numbers"]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "x"


@dataclass
class Finding:
    """A candidate for the summary: its storyline order, weight and sentence (see ``build``).

    ``analysis`` names the entry of ``analyses.json`` the sentence quotes and ``figures`` the numbers
    it shows (as shown: a growth of 0.38 is 38), so every figure of the summary can be traced;
    ``meaning`` and ``watch`` are the 'wat betekent dit' and 'waar op letten' lines; ``strength`` is
    ``clear`` (a 95% interval that excludes no-change), ``uncertain`` (one that includes it) or
    ``count`` (a count or change without an interval).
    """

    order: int
    weight: int
    text: str
    section: str
    analysis: str = ""
    figures: dict = field(default_factory=dict)
    meaning: str = ""
    watch: str = ""
    strength: str = "count"


def direction(delta: float, up: str = "report.word.risen", down: str = "report.word.fallen",
              same: str = "report.word.unchanged", tol: float = 0.0) -> Message:
    """The word for a change (a message): ``up`` when ``delta > tol``, ``down`` when ``< -tol``, else ``same``."""
    if delta is None or (isinstance(delta, float) and math.isnan(delta)):
        return Message("report.word.unknown")
    if delta > tol:
        return Message(up)
    if delta < -tol:
        return Message(down)
    return Message(same)


def interval_verdict(lo: float, hi: float, what: str = "report.verdict.the_change") -> Message:
    """A clause (a message) saying whether a 95% interval lies wholly above, below or around zero."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return Message("report.verdict.none")
    verdict = "report.verdict.above" if lo > 0 else "report.verdict.below" if hi < 0 else "report.verdict.zero"
    return Message(verdict, {"what": Message(what)})


def message_numbers(message, prefix: str = "") -> dict:
    """Every number among the parameters of ``message`` (nested messages too), by dotted name: the
    figures a sentence built from it shows."""
    out = {}
    for k, v in (getattr(message, "params", None) or {}).items():
        if isinstance(v, Message):
            out.update(message_numbers(v, f"{prefix}{k}."))
        elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and np.isfinite(v):
            out[f"{prefix}{k}"] = v.item() if hasattr(v, "item") else v
    return out


def n_areas(n: int, lang: str) -> str:
    """``'1 gebied'`` / ``'12 gebieden'``."""
    return plural(n, "report.n_areas.one", "report.n_areas.many", lang)


def _lower_initial(text: str) -> str:
    return text[0].lower() + text[1:] if len(text) > 1 and not text[1].isupper() else text


def _finite(x):
    """Numbers that cannot be shown (inf) become NaN, which the catalogs print as n.b. / n/a."""
    if isinstance(x, (float, np.floating)) and not np.isfinite(x):
        return math.nan
    return x


@dataclass
class Ctx:
    store: object
    region: object            # plan.Region
    cov: object               # plan.Coverage
    lang: str
    out_dir: Path
    corporation: str | None = None
    results: dict = field(default_factory=dict)       # name -> Result (for summary and data section)
    findings: list = field(default_factory=list)
    #: figures the report pools itself (not an analysis): written to analyses.json beside the results
    extra: dict = field(default_factory=dict)
    used: list = field(default_factory=list)          # (indicator, version, level, years) per section
    files: list = field(default_factory=list)
    counters: dict = field(default_factory=lambda: {"figure": 0, "map": 0})
    cache: dict = field(default_factory=dict)        # geometry the maps share (gemeenten for the inset)
    map_labels: dict = field(default_factory=dict)   # map name -> the labels placed on it
    map_insets: list = field(default_factory=list)   # the maps that have an inset locator
    drawn: set = field(default_factory=set)          # (geo version, level) whose geometry a map drew
    _catalog: object = None

    # ------------------------------------------------------------------ words
    @property
    def en(self) -> bool:
        return self.lang == "en"

    def render(self, message: str | Message, /, **params) -> str:
        """The text of a catalog message in the report's language (numbers that are not finite: n.b.)."""
        return render(message, self.lang, **{k: _finite(v) for k, v in params.items()})

    def fmt(self, x, digits: int = 0, sign: bool = False) -> str:
        """A number for a table cell, formatted by :func:`veerkracht.i18n.fmt_number` (n.b./n/a when unknown)."""
        return fmt_number(None if x is None else _finite(float(x)), f"{'+' if sign else ''},.{digits}f", self.lang)

    def label(self, indicator: str) -> str:
        """The store's label of ``indicator`` in the report's language."""
        try:
            meta = self.store.indicator(indicator)
        except Exception:  # unknown to the registry: its id is the label
            return indicator
        return meta.get("label_en" if self.en else "label_nl") or indicator

    def label_unit(self, indicator: str) -> str:
        """``'label, unit'`` in lower case for a caption; the unit only when the label lacks it."""
        label, unit = self.label(indicator), self.unit(indicator)
        return _lower_initial(label if not unit or unit.lower() in label.lower() else f"{label}, {unit}")

    def label_lc(self, indicator: str) -> str:
        """The label for inside a sentence: a lower-case initial unless the word is an acronym (LVB)."""
        return _lower_initial(self.label(indicator))

    def unit(self, indicator: str) -> str:
        try:
            return unit_in(self.store.indicator(indicator).get("unit"), self.lang)
        except Exception:  # unknown indicator: no unit
            return ""

    def period(self) -> str:
        return f"{self.cov.year_from}–{self.cov.year_to}"

    def sources(self):
        """The provenance rows this report used (see :mod:`.provenance`), computed once after the
        chapters that use data have run."""
        if "sources" not in self.cache:
            from .provenance import used_provenance
            self.cache["sources"] = used_provenance(self)
        return self.cache["sources"]

    def use(self, indicator: str, version: str, level: str, years) -> None:
        self.used.append((indicator, version, level, tuple(int(y) for y in years)))

    # ------------------------------------------------------------------ outputs
    @property
    def catalog(self):
        """The social map's catalogue over the store (suppressed facts, pooled breaks)."""
        if self._catalog is None:
            from ..maps.catalog import Catalog
            self._catalog = Catalog(self.store)
        return self._catalog

    def figure(self, name: str, fig, caption: str, source: str = "", dpi: int = FIGURE_DPI) -> dict:
        """Save ``fig`` as ``figures/<name>.png`` and ``.svg``; a block with the PNG as data URI.

        Charts are redrawn at :data:`FIGURE_WIDTH` inches (aspect kept, height capped) and shown at a
        page width proportional to their saved width, so a point of text is the same size in every
        chart of the report. Maps keep their own layout and fill the text width.
        """
        kind = "map" if name.startswith("map") else "figure"
        if kind == "figure":
            w, h = fig.get_size_inches()
            # multi-panel charts wider than the page keep some of their height, or the panels get flat
            fig.set_size_inches(FIGURE_WIDTH, min(max(h * FIGURE_WIDTH / w, 0.75 * h), FIGURE_MAX_HEIGHT))
        folder = self.out_dir / "figures"
        folder.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
        png = buf.getvalue()
        (folder / f"{name}.png").write_bytes(png)
        fig.savefig(folder / f"{name}.svg", format="svg", bbox_inches="tight", facecolor="white")
        self.files += [folder / f"{name}.png", folder / f"{name}.svg"]
        from PIL import Image
        px = Image.open(io.BytesIO(png)).size[0]
        width = 100.0 if kind == "map" else min(100.0, px / dpi / FIGURE_WIDTH * 100)
        self.counters[kind] += 1
        numbered = self.render("report.figure.map" if kind == "map" else "report.figure.chart",
                               n=self.counters[kind], caption=caption)
        return {"type": "figure", "src": "data:image/png;base64," + base64.b64encode(png).decode(),
                "caption": numbered, "source": "" if kind == "map" else source,
                "file": f"figures/{name}.png",
                "width": f"{width:.1f}%"}

    def table(self, name: str, shown: pd.DataFrame, caption: str, csv: pd.DataFrame | None = None,
              note: str = "") -> dict:
        """Write ``tables/<name>.csv`` (``csv`` or ``shown``); a block showing ``shown`` (strings)."""
        folder = self.out_dir / "tables"
        folder.mkdir(parents=True, exist_ok=True)
        (csv if csv is not None else shown).to_csv(folder / f"{name}.csv", index=False)
        self.files.append(folder / f"{name}.csv")
        rows = [["" if (isinstance(v, float) and math.isnan(v)) else str(v) for v in r]
                for r in shown.itertuples(index=False)]
        cols = [str(c) for c in shown.columns]
        # short cells (codes, numbers, one-word labels) never wrap; names wrap at spaces only; only
        # long running text (rules, flag lists) may also be hyphenated
        longest = [max((len(r[j]) for r in rows), default=0) for j in range(len(cols))]
        return {"type": "table", "columns": cols, "rows": rows, "caption": caption, "note": note,
                "file": f"tables/{name}.csv", "keep": len(rows) < KEEP_ROWS,
                "classes": ["nw" if n <= SHORT_CELL else "txt" if n > LONG_CELL and any(" " in r[j] for r in rows)
                            else "" for j, n in enumerate(longest)],
                "head_classes": ["nw" if " " not in c or len(c) <= SHORT_CELL else "" for c in cols]}
