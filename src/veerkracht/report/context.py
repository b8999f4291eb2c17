"""The report's working state and its wording helpers.

:class:`Ctx` carries the store, region, period and language through the sections, writes every
figure (PNG + SVG in ``figures/``) and table (CSV in ``tables/``) once, and keeps what the data
section must account for. The wording helpers choose words *from the numbers* (``more``/``less``
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

from ..indicators.registry import unit_in
from ..analysis._common import fmt as _fmt
from .words import clean_sources

#: every chart is drawn this wide (inches, matplotlib) at this dpi; the text width is ~6.85 in
FIGURE_WIDTH, FIGURE_MAX_HEIGHT, FIGURE_DPI = 8.0, 6.0, 150
#: tables shorter than this stay on one page; a cell this short never wraps, this long may hyphenate
KEEP_ROWS, SHORT_CELL, LONG_CELL = 25, 16, 40

__all__ = ["Ctx", "Finding", "direction", "interval_verdict", "slug", "clean_sources"]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "x"


@dataclass
class Finding:
    """A candidate for the summary: its storyline order, weight and sentence (see ``summary``)."""

    order: int
    weight: int
    text: str
    section: str


def direction(delta: float, lang: str, up=("gestegen", "risen"), down=("gedaald", "fallen"),
              same=("gelijk gebleven", "unchanged"), tol: float = 0.0) -> str:
    """The word for a change: ``up`` when ``delta > tol``, ``down`` when ``< -tol``, else ``same``."""
    i = 1 if lang == "en" else 0
    if delta is None or (isinstance(delta, float) and math.isnan(delta)):
        return ("onbekend", "unknown")[i]
    if delta > tol:
        return up[i]
    if delta < -tol:
        return down[i]
    return same[i]


def interval_verdict(lo: float, hi: float, lang: str, what=("de verandering", "the change")) -> str:
    """A clause saying whether a 95% interval lies wholly above, below or around zero."""
    i = 1 if lang == "en" else 0
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return ("er is geen interval te berekenen", "no interval can be computed")[i]
    if lo > 0:
        return (f"het 95%-interval ligt geheel boven nul: {what[0]} is statistisch duidelijk",
                f"the 95% interval lies wholly above zero: {what[1]} is statistically clear")[i]
    if hi < 0:
        return (f"het 95%-interval ligt geheel onder nul: {what[0]} is statistisch duidelijk",
                f"the 95% interval lies wholly below zero: {what[1]} is statistically clear")[i]
    return (f"het 95%-interval omvat nul: {what[0]} is statistisch niet zeker",
            f"the 95% interval includes zero: {what[1]} is not statistically certain")[i]


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
    used: list = field(default_factory=list)          # (indicator, version, level, years) per section
    files: list = field(default_factory=list)
    counters: dict = field(default_factory=lambda: {"figure": 0, "map": 0})
    _catalog: object = None

    # ------------------------------------------------------------------ words
    @property
    def en(self) -> bool:
        return self.lang == "en"

    def t(self, nl: str, en: str) -> str:
        return en if self.en else nl

    def fmt(self, x, digits: int = 0, sign: bool = False) -> str:
        if x is None or (isinstance(x, (float, np.floating)) and not np.isfinite(x)):
            return "n/a" if self.en else "n.b."
        return _fmt(float(x), digits, self.lang, sign=sign)

    def label(self, indicator: str) -> str:
        try:
            meta = self.store.indicator(indicator)
        except Exception:  # unknown to the registry: its id is the label
            return indicator
        return meta.get("label_en" if self.en else "label_nl") or indicator

    def label_unit(self, indicator: str) -> str:
        """``'label, unit'`` in lower case for a caption; the unit only when the label lacks it."""
        label, unit = self.label(indicator), self.unit(indicator)
        text = label if not unit or unit.lower() in label.lower() else f"{label}, {unit}"
        return text[0].lower() + text[1:] if len(text) > 1 and not text[1].isupper() else text

    def unit(self, indicator: str) -> str:
        try:
            return unit_in(self.store.indicator(indicator).get("unit"), self.lang)
        except Exception:  # unknown indicator: no unit
            return ""

    def period(self) -> str:
        return f"{self.cov.year_from}–{self.cov.year_to}"

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
        word = {"map": ("Kaart", "Map"), "figure": ("Figuur", "Figure")}[kind][1 if self.en else 0]
        return {"type": "figure", "src": "data:image/png;base64," + base64.b64encode(png).decode(),
                "caption": f"{word} {self.counters[kind]} — {caption}", "source": "" if kind == "map" else source,
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
