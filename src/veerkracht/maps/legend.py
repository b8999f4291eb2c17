"""Class breaks and colours: one legend for the map, the PDF page and the exports.

Breaks come from the values of *all* years pooled, so a colour means the same number in every
year. Colours follow the indicator's polarity: red is always the worse end.

The class breaks are computed here with numpy (the same definitions as mapclassify's ``Quantiles``
and ``EqualInterval``, and an exact Fisher–Jenks on a deterministic sample): mapclassify's
Fisher–Jenks without Numba took 10–20 s per view and drew a different random sample each time.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["SCHEMES", "sequential", "diverging", "pooled_breaks", "change_breaks", "classify", "quantile_breaks",
           "equal_interval_breaks", "jenks_breaks",
           "lbm_legend", "class_legend", "MISSING_COLOR", "SUPPRESSED_COLOR", "decimals", "legend_rows"]

SCHEMES = ("quantiles", "fisher_jenks", "equal_interval")
#: no data: white (drawn with a dotted pattern on the map), so it never reads as a pale class colour
#: such as the bivariate "low, falling" (#e8e8e8) or the lightest ramp step
MISSING_COLOR = "#ffffff"
SUPPRESSED_COLOR = "#bdbdbd"

# ColorBrewer (Cynthia Brewer, Apache-2.0 style licence) ramps, 9 classes
_YLORRD = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026"]
_BLUES = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"]
_RDBU = ["#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d", "#b2182b"]
#: purple–green for indicators without a better or worse end (corporation share): no red = bad
_PRGN = ["#762a83", "#9970ab", "#c2a5cf", "#e7d4e8", "#f7f7f7", "#d9f0d3", "#a6dba0", "#5aae61", "#1b7837"]

def lbm_legend() -> list[dict]:
    """Legend entries of the Leefbaarometer's nine classes (names and colours from
    :mod:`veerkracht.indicators.lbm`, their one owner)."""
    from ..i18n import render
    from ..indicators.lbm import lbm_classes
    return [{"cls": k, "label_nl": render(m, "nl"), "label_en": render(m, "en"), "color": col}
            for k, m, col in lbm_classes()]


def decimals(kind: str | None, unit: str | None) -> int:
    """Decimals to show for an indicator, the same in every year, map, profile and print.

    Counts, classes, indices and euros are whole numbers; Leefbaarometer scores and deviations
    (``afwijking``, around ±0.1) need two; rates (%, per 1,000) one.
    """
    unit = str(unit or "").lower()
    if kind in ("count", "class") or "index" in unit or "euro" in unit:
        return 0
    if kind == "score":
        return 2
    return 1


def _pick(ramp: list[str], k: int) -> list[str]:
    idx = np.round(np.linspace(1 if k < 9 else 0, len(ramp) - 1, k)).astype(int)
    return [ramp[i] for i in idx]


def sequential(k: int, higher_is_worse) -> list[str]:
    """``k`` colours, light → dark; the worse end is dark red, neutral indicators are blue."""
    if higher_is_worse is None or pd.isna(higher_is_worse):
        return _pick(_BLUES, k)
    cols = _pick(_YLORRD, k)
    return cols if bool(higher_is_worse) else cols[::-1]


def diverging(k: int, higher_is_worse) -> list[str]:
    """``k`` colours around a neutral middle; red is the worse side. An indicator without polarity
    (corporation share) gets purple–green, which passes no judgement."""
    idx = np.round(np.linspace(0, len(_RDBU) - 1, k)).astype(int)
    if higher_is_worse is None or pd.isna(higher_is_worse):
        return [_PRGN[i] for i in idx]
    cols = [_RDBU[i] for i in idx]
    if higher_is_worse is not None and not pd.isna(higher_is_worse) and not bool(higher_is_worse):
        cols = cols[::-1]
    return cols


#: Fisher–Jenks runs on at most this many values (evenly spaced quantiles of the data beyond it)
JENKS_SAMPLE = 400


def quantile_breaks(y: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of ``k`` quantile classes (mapclassify ``Quantiles``: linear percentiles, unique)."""
    pct = np.arange(1, k + 1) * (100.0 / k)
    pct[-1] = 100.0
    return np.unique(np.percentile(y, pct))


def equal_interval_breaks(y: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of ``k`` classes of equal width between the minimum and the maximum."""
    lo, hi = float(y.min()), float(y.max())
    cuts = lo + (hi - lo) / k * np.arange(1, k + 1)
    cuts[-1] = hi
    return cuts


def jenks_breaks(y: np.ndarray, k: int, sample: int = JENKS_SAMPLE) -> np.ndarray:
    """Upper bounds of ``k`` Fisher–Jenks classes (least within-class squares), exact on the data or,
    beyond ``sample`` values, on that many evenly spaced quantiles of it (deterministic)."""
    x = np.sort(y)
    if x.size > sample:
        x = np.quantile(x, np.linspace(0.0, 1.0, sample))
    n = x.size
    k = min(k, n)
    s1 = np.concatenate([[0.0], np.cumsum(x)])
    s2 = np.concatenate([[0.0], np.cumsum(x * x)])
    i = np.arange(n)[:, None]          # first value of a class
    j = np.arange(n)[None, :]          # last value of a class
    cnt = (j - i + 1).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cost = (s2[j + 1] - s2[i]) - (s1[j + 1] - s1[i]) ** 2 / cnt
    cost = np.where(j >= i, np.maximum(cost, 0.0), np.inf)
    best = cost[0].copy()               # best[j]: one class over x[0..j]
    back = np.zeros((k, n), dtype=int)
    for m in range(1, k):
        prev = np.concatenate([[np.inf], best[:-1]])       # classes 0..m-1 end at i-1
        total = prev[:, None] + cost                         # the last class is x[i..j]
        back[m] = np.argmin(total, axis=0)
        best = total[back[m], np.arange(n)]
    ends, j_end = [n - 1], n - 1
    for m in range(k - 1, 0, -1):
        start = back[m, j_end]
        ends.append(start - 1)
        j_end = start - 1
    return np.unique(x[np.array(sorted(e for e in ends if e >= 0))])


def pooled_breaks(values: np.ndarray, scheme: str = "quantiles", k: int = 5) -> list[float]:
    """Upper bounds of the classes from all years pooled."""
    y = np.asarray(values, dtype=float)
    y = y[np.isfinite(y)]
    if y.size == 0:
        return []
    k = int(min(k, max(1, np.unique(y).size)))
    if scheme == "fisher_jenks":
        bins = jenks_breaks(y, k)
    elif scheme == "equal_interval":
        bins = equal_interval_breaks(y, k)
    else:
        bins = quantile_breaks(y, k)
    out = [float(b) for b in bins]
    out[-1] = max(out[-1], float(y.max()))
    return sorted(set(out))


def change_breaks(values: np.ndarray, k: int = 5) -> list[float]:
    """Symmetric breaks around 0 for changes and deviations (the middle class = about equal)."""
    y = values[np.isfinite(values)]
    if y.size == 0:
        return []
    m = float(np.quantile(np.abs(y), 0.95)) or float(np.abs(y).max()) or 1.0
    inner = np.linspace(-m, m, k + 1)[1:-1]
    return [float(b) for b in inner] + [float(max(np.abs(y).max(), m))]


def classify(values: pd.Series, bins: list[float], symmetric: bool = False) -> pd.Series:
    """Class index per value (0-based; ``-1`` where missing); value ≤ bins[i] → class i."""
    v = values.to_numpy(float)
    if not bins:
        return pd.Series(-1, index=values.index)
    if symmetric:
        idx = np.searchsorted(np.asarray(bins[:-1]), v, side="left")
    else:
        idx = np.minimum(np.searchsorted(np.asarray(bins), v, side="left"), len(bins) - 1)
    idx = np.where(np.isfinite(v), idx, -1)
    return pd.Series(idx.astype(int), index=values.index)


def class_legend(bins: list[float], colors: list[str], symmetric: bool = False, lower: float | None = None) -> list[dict]:
    """Legend entries ``{cls, color, low, high}``; the open ends are ``None``."""
    out = []
    for i, (b, c) in enumerate(zip(bins, colors)):
        low = (lower if not symmetric else None) if i == 0 else bins[i - 1]
        high = None if (symmetric and i == len(bins) - 1) else b
        out.append({"cls": i, "color": c, "low": low, "high": high})
    return out


def _fmt(x, lang: str, digits: int = 1) -> str:
    """A class bound, formatted by :func:`veerkracht.i18n.fmt_number` (the one owner); none: blank."""
    from ..i18n import fmt_number
    return "" if x is None else fmt_number(float(x), f",.{digits}f", lang)


def legend_rows(view: dict, lang: str) -> list[dict]:
    """Legend entries as (colour, text) for any kind of view."""
    rows, d = [], view.get("decimals", 1)
    for e in view.get("legend", []):
        if "label_nl" in e:
            text = e["label_en" if lang == "en" else "label_nl"]
        elif e.get("low") is None:
            text = f"≤ {_fmt(e['high'], lang, d)}"
        elif e.get("high") is None:
            text = f"> {_fmt(e['low'], lang, d)}"
        else:
            text = f"{_fmt(e['low'], lang, d)} – {_fmt(e['high'], lang, d)}"
        rows.append({"color": e["color"], "text": text})
    return rows
