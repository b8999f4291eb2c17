"""Helpers shared by the analysis modules: data access, bootstrap, intervals, labels and figures.

Everything here is private to ``veerkracht.analysis`` (the leading underscore keeps ``_load_all``
from treating it as an analysis) but meant to be reused by every analysis module:

* **data access** — :func:`resolve_geo_version`, :func:`resolve_level`, :func:`region_codes`,
  :func:`group_members`, :func:`cached_reads`, :func:`available_years`, :func:`value_at`,
  :func:`indicator_meta`, :func:`vintage`;
* **classes** — :func:`bin_labels` and :func:`assign_bins` (corp-share bins and the like);
* **bootstrap** (defined in :mod:`._bootstrap`, re-exported here) — :func:`boot_indices`
  (resampled area indices, in chunks; ``blocks`` = many regions in one pass) and
  :func:`boot_group_sums` (per replicate, per group sums of any area values, vectorised with
  ``np.bincount``; :func:`group_sums` is its point estimate); :func:`percentile_interval` and
  :func:`t_interval`;
* **parameters and results** — :func:`param` (a ``Params`` field with help text), :func:`choice`,
  :func:`positive` and :func:`between` (validation), :func:`run_registered` (a module's thin ``run``),
  :func:`inputs` (``Result.inputs`` from a vintage);
* **text** — none is built here: :func:`tr` renders a figure label from the message catalogs
  (``figure.<key>``), :func:`ind_label` an indicator's registry label, :func:`fmt` a number;
* **figures** — :func:`new_figure` (one house style), :func:`grouped_bars` (bars with error bars),
  :func:`reference_line`.
"""
from __future__ import annotations

from dataclasses import field
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from ..errors import NotComputable, StoreError
from ..i18n import Message, fmt_number, render
from ..indicators import registry
from ..store.base import Store
from ..store.schema import LEVELS, level_rank
from ._bootstrap import (  # noqa: F401  (re-exported: analyses use c.boot_group_sums …)
    boot_group_sums, boot_indices, group_sums, percentile_interval, t_interval)
from .base import select_region

__all__ = [
    "tr", "fmt", "param", "choice", "positive", "between", "run_registered", "inputs", "ind_label", "indicator_meta",
    "resolve_geo_version",
    "resolve_level", "region_codes", "group_members", "cached_reads", "available_years", "value_at",
    "vintage", "bin_labels",
    "assign_bins", "group_sums", "boot_indices",
    "boot_group_sums", "percentile_interval", "t_interval", "new_figure", "grouped_bars",
    "reference_line", "COLORS",
]

# ---------------------------------------------------------------------------------------- text
def tr(key: str, lang: str = "nl", **params) -> str:
    """A figure label: message ``figure.<key>`` rendered in ``lang`` (a thin wrapper over ``render``)."""
    return render(f"figure.{key}", lang, **params)


def fmt(x: float, digits: int = 0, lang: str = "nl", sign: bool = False) -> str:
    """A number with the language's separators, ``sign=True`` prefixes '+' to positives; NaN: n.b./n/a.

    A thin wrapper over :func:`veerkracht.i18n.fmt_number`, the one owner of number formatting.
    """
    return fmt_number(x, f"{'+' if sign else ''},.{digits}f", lang)


def param(default: Any = None, help: str = "", factory: Callable | None = None) -> Any:
    """A ``Params`` field with its help text (``veerkracht analyse <name> --list`` shows it)."""
    if factory is not None:
        return field(default_factory=factory, metadata={"help": help})
    return field(default=default, metadata={"help": help})


def choice(name: str, value: Any, options: Sequence) -> None:
    """Raise :class:`StoreError` unless ``value`` is one of ``options`` (parameter validation)."""
    if value not in options:
        raise StoreError(f"{name} must be {' or '.join(repr(o) for o in options)}, not {value!r}")


def positive(name: str, value: float, allow_zero: bool = False) -> None:
    """Raise :class:`StoreError` unless ``value`` is a positive number (or zero when allowed)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0 or (value == 0 and not allow_zero):
        raise StoreError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} number, not {value!r}")


def between(name: str, value: float, lo: float, hi: float, with_lo: bool = False) -> None:
    """Raise :class:`StoreError` unless ``lo < value < hi`` (``lo ≤ value`` with ``with_lo``)."""
    if not isinstance(value, (int, float)) or not (lo <= value if with_lo else lo < value) or not value < hi:
        raise StoreError(f"{name} must lie between {lo:g} and {hi:g}, not {value!r}")


def run_registered(name: str, store, **params):
    """``get_analysis(name)(store, **params)``: the body of every module's thin ``run``."""
    from .base import get_analysis
    return get_analysis(name)(store, **params)


def inputs(vint: dict, roles: dict[str, list[str]]) -> dict:
    """``Result.inputs`` from a :func:`vintage`: per role its indicators and the years they were used
    in, plus the geography version, level and sources (``docs/decisions/0003-result-contract.md``)."""
    inds = vint.get("indicators", {})
    out: dict = {}
    for role, ids in roles.items():
        if ids and list(ids) not in [v["indicators"] for v in out.values()]:   # one role per input
            out[role] = {"indicators": list(ids),
                         "years": sorted({y for i in ids for y in inds.get(i, {}).get("years", [])})}
    out.update(geo_version=vint.get("geo_version"), level=vint.get("level"),
               sources=sorted({s for i in inds.values() for s in i.get("sources", [])}))
    return out


def indicator_meta(store, indicator: str) -> dict:
    """Registry row of ``indicator`` as stored (labels, unit, kind, scale); raises if unknown."""
    meta = store.indicator(indicator)
    return {k: meta.get(k) for k in ("id", "label_nl", "label_en", "unit", "kind", "scale",
                                     "higher_is_worse")}


def ind_label(result_or_meta, indicator: str, lang: str = "nl") -> str:
    """Label of ``indicator`` from a result's ``vintage['indicators']`` (or a meta dict), else the registry."""
    meta = getattr(result_or_meta, "vintage", result_or_meta) or {}
    meta = meta.get("indicators", {}).get(indicator, {}) if "indicators" in meta else meta
    key = "label_en" if lang == "en" else "label_nl"
    return meta.get(key) or registry.label(indicator, lang)


# ---------------------------------------------------------------------------------------- data
def resolve_geo_version(store, indicator: str, geo_version: str | None) -> str:
    """``geo_version`` as given, else the version holding ``indicator`` on the finest CBS areas.

    With several versions the choice is deterministic: the version whose facts lie on the finest
    level (buurt, then wijk, gemeente, PC4), then the one with the most areas, then the latest by
    name; the result's ``inputs`` name it. No facts at all is an error listing the indicators the
    store does have, with a working example.
    """
    if geo_version is not None:
        return geo_version
    facts = store.facts(indicator=indicator)
    versions = sorted(facts["geo_version"].unique())
    if len(versions) == 1:
        return versions[0]
    if not versions:
        raise NotComputable(Message("analysis.err.no_indicator", {"ind": indicator, **_alternatives(store)}))
    areas = store.areas(geometry=False)[["geo_version", "code", "level"]]
    f = facts[["geo_version", "code"]].drop_duplicates().merge(areas, on=["geo_version", "code"], how="left")
    # CBS areas before postcodes, fine before coarse
    f["rank"] = f["level"].map(lambda lv: 1000 * (lv == "pc4") - level_rank(lv) if lv in LEVELS else 9999)
    best = f.groupby("geo_version").agg(rank=("rank", "min"), n=("code", "nunique")).reset_index()
    best = best.sort_values(["rank", "n", "geo_version"], ascending=[True, False, False])
    return str(best["geo_version"].iloc[0])


def _alternatives(store) -> dict:
    """The store's indicators (ids, as typed after ``-i``) and a working example: a rate with a worse
    end (a vulnerable group) observed in the most years, else any indicator with the most years."""
    f = store.facts()[["indicator", "year"]].drop_duplicates()
    years = f.groupby("indicator")["year"].nunique()
    reg = store.indicators().set_index("id")
    vulnerable = [i for i in years.index if i in reg.index and reg.loc[i, "kind"] == "rate"
                  and reg.loc[i, "higher_is_worse"] is not pd.NA and bool(reg.loc[i, "higher_is_worse"])]
    pool = years.loc[vulnerable] if vulnerable else years
    example = str(pool.sort_values(ascending=False).index[0]) if len(pool) else "corp_share"
    return {"have": ", ".join(sorted(years.index)), "example": example}


def resolve_level(store, geo_version: str, level: str | None = None, indicator: str | None = None) -> str:
    """``level`` as given, else the finest level of ``geo_version`` (buurt before pc4 …) — among the
    levels where ``indicator`` has facts, when it is given (bijstand only per wijk → wijk)."""
    if level is not None:
        return level
    areas = store.areas(geo_version=geo_version, geometry=False)
    levels = set(areas["level"])
    if indicator is not None:
        have = store.facts(indicator=indicator, geo_version=geo_version)["code"]
        with_facts = set(areas.loc[areas["code"].isin(set(have)), "level"])
        levels = with_facts or levels
    for lv in reversed(LEVELS):                       # finest first
        if lv in levels:
            return lv
    raise StoreError(f"the store has no areas in geography version {geo_version!r}")


def scope(store, indicator: str, geo_version: str | None, level: str | None, region):
    """One indicator in a region: ``(geo_version, level, areas, codes, years)`` resolved once."""
    geo_version = resolve_geo_version(store, indicator, geo_version)
    level = resolve_level(store, geo_version, level, indicator=indicator)
    _, areas = region_codes(store, region, geo_version, level)
    codes = areas["code"].tolist()
    years = available_years(store, indicator, geo_version, None if region is None else codes)
    return geo_version, level, areas, codes, years


def period(years: list[int], year_from: int | None, year_to: int | None, indicator: str) -> tuple[int, int]:
    """The two years of a change (default: the first and last year with values)."""
    y0 = years[0] if year_from is None and years else year_from
    y1 = years[-1] if year_to is None and years else year_to
    if y0 is None or y1 is None or y0 == y1:
        raise StoreError(f"need two different years of {indicator!r}; the region has {years}")
    return int(y0), int(y1)


def region_codes(store, region, geo_version: str, level: str) -> tuple[list[str] | None, pd.DataFrame]:
    """Area codes of the region and its area table; codes is ``None`` for the whole country.

    Passing ``None`` to ``store.facts(codes=…)`` avoids a 13,594-item ``IN`` list nationally.
    """
    areas = select_region(store, region, geo_version, level)
    whole = region is None or region == [] or region in ("NL01", ["NL01"])
    return (None if whole else areas["code"].tolist()), areas


def group_members(areas: pd.DataFrame, groups: dict) -> dict[str, np.ndarray]:
    """Per group name, the sorted row positions in ``areas`` of the areas the group holds.

    A group is a code or a list of codes: area, wijk or gemeente codes, as in ``select_region``.
    One join of all groups' codes on the three code columns, not a scan of the areas per group.
    """
    names = list(groups)
    want = pd.DataFrame([(i, k) for i, g in enumerate(names)
                         for k in ([groups[g]] if isinstance(groups[g], str) else groups[g])],
                        columns=["g", "key"], dtype=object)
    pos = np.arange(len(areas))
    hit = pd.concat([want.merge(pd.DataFrame({"key": areas[col].to_numpy(dtype=object), "pos": pos}), on="key")
                     for col in ("code", "wk_code", "gm_code") if col in areas])
    hit = hit[["g", "pos"]].astype(np.int64).drop_duplicates().sort_values(["g", "pos"])
    cuts = np.cumsum(np.bincount(hit["g"], minlength=len(names)))[:-1]
    return dict(zip(names, np.split(hit["pos"].to_numpy(), cuts)))


def cached_reads(store):
    """``store`` with its reads served from memory: each indicator is queried once per version.

    For an analysis that reads the same facts many times (the benchmark runs the profiles and the
    typology over one store). A list of indicators is served from the per-indicator copies (in the
    store's row order); codes and years are filtered in pandas; geometry is never cached.
    """
    return store if isinstance(store, _CachedReads) else _CachedReads(store)


class _CachedReads:
    def __init__(self, store):
        self._store, self._facts, self._areas, self._ind = store, {}, {}, None

    def __getattr__(self, name):                       # everything else: the store itself
        return getattr(self._store, name)

    def _one(self, indicator, geo_version, source) -> pd.DataFrame:
        key = (indicator, geo_version, source)
        if key not in self._facts:
            wider = self._facts.get((indicator, None, source))
            self._facts[key] = (wider[wider["geo_version"] == geo_version].reset_index(drop=True)
                                if wider is not None else _plain(self._store.facts(
                                    indicator=indicator, geo_version=geo_version, source=source)))
        return self._facts[key]

    def facts(self, indicator=None, geo_version=None, codes=None, years=None, source=None):
        if isinstance(indicator, (list, tuple, set)) and len(indicator):
            parts = [self._one(i, geo_version, source) for i in sorted(set(indicator))]
            df = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
            if geo_version is None and len(parts) > 1:  # the store orders by version first
                df = df.sort_values("geo_version", kind="stable", ignore_index=True)
        elif isinstance(indicator, (list, tuple, set)):
            df = self._store.facts(indicator=[], geo_version=geo_version, source=source)
        else:
            df = self._one(indicator, geo_version, source)
        if codes is not None:
            df = df[df["code"].isin(list(codes))]
        if years is not None:
            df = df[df["year"].isin(list(years))]
        return df.reset_index(drop=True)

    def areas(self, geo_version=None, level=None, codes=None, geometry=True):
        if geometry:
            return self._store.areas(geo_version=geo_version, level=level, codes=codes, geometry=True)
        if (geo_version, level) not in self._areas:
            self._areas[geo_version, level] = _plain(self._store.areas(geo_version=geo_version, level=level,
                                                                       geometry=False))
        df = self._areas[geo_version, level]
        return (df if codes is None else df[df["code"].isin(list(codes))]).reset_index(drop=True)

    def indicators(self):
        if self._ind is None:
            self._ind = self._store.indicators()
        return self._ind

    def indicator(self, indicator_id):
        return Store.indicator(self, indicator_id)                 # over the cached registry


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Codes as Python strings: ``isin`` with Arrow strings loops in Python (~5 µs per value)."""
    for col in ("code", "gm_code", "wk_code"):
        if col in df:
            df[col] = df[col].astype(object)
    return df


def available_years(store, indicator: str, geo_version: str, codes=None) -> list[int]:
    """Sorted years in which ``indicator`` has at least one non-missing value."""
    return store.fact_years(indicator, geo_version=geo_version, codes=codes)


def value_at(long: pd.DataFrame, year: int, fallback: str | int | None = "nearest",
             column: str = "value") -> pd.Series:
    """Per code, ``column`` of a long frame (``code, year, column``) at ``year``.

    Where a code lacks ``year``: ``fallback='nearest'`` takes its nearest available year (the earlier
    one on a tie), an ``int`` takes that year, ``None`` leaves it missing. Returns a Series by code
    with attribute ``n_fallback`` = how many codes used the fallback (for the notes).
    """
    d = long.loc[long[column].notna(), ["code", "year", column]]
    exact = d[d["year"] == year].set_index("code")[column]
    out = exact
    if fallback is not None:
        rest = d[~d["code"].isin(exact.index)]
        if isinstance(fallback, (int, np.integer)):
            alt = rest[rest["year"] == int(fallback)].set_index("code")[column]
        else:
            rest = rest.assign(_dist=(rest["year"] - year).abs(), _late=rest["year"] > year)
            alt = rest.sort_values(["code", "_dist", "_late"]).drop_duplicates("code").set_index("code")[column]
        out = pd.concat([exact, alt])
        out.attrs["n_fallback"] = int(len(alt))
    else:
        out.attrs["n_fallback"] = 0
    return out


def vintage(store, facts: pd.DataFrame, geo_version: str, level: str | None = None) -> dict:
    """What data a result used: per indicator its years, sources and labels (for captions)."""
    out = {"geo_version": geo_version, "level": level, "indicators": {}}
    for ind, f in facts.groupby("indicator"):
        try:
            meta = indicator_meta(store, ind)
        except StoreError:
            meta = {}
        out["indicators"][ind] = {
            "years": sorted(int(y) for y in f["year"].unique()),
            "sources": sorted(str(s) for s in f["source"].unique()),
            "label_nl": meta.get("label_nl"), "label_en": meta.get("label_en"), "unit": meta.get("unit"),
        }
    return out


def bin_labels(edges: Sequence[float]) -> list[str]:
    """Labels of the bins between ``edges``: ``[0, 10, inf] -> ['0–10', '≥10']``."""
    def num(v):
        return f"{v:g}"
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        out.append(f"≥{num(lo)}" if np.isinf(hi) else f"{num(lo)}–{num(hi)}")
    return out


def assign_bins(x, edges: Sequence[float]) -> np.ndarray:
    """Bin id per value: bins are ``[lo, hi)``, the last bin also holds its upper edge; -1 = outside/NaN."""
    x = np.asarray(x, dtype=float)
    edges = np.asarray(edges, dtype=float)
    ids = np.searchsorted(edges, x, side="right") - 1
    ids[x == edges[-1]] = len(edges) - 2
    ids[(ids < 0) | (ids > len(edges) - 2) | np.isnan(x)] = -1
    return ids


# ------------------------------------------------------------------------------------- figures
#: House colours (colour-blind safe, Okabe–Ito); first = earlier year / reference group.
COLORS = ["#999999", "#D55E00", "#0072B2", "#009E73", "#E69F00", "#56B4E9", "#CC79A7", "#F0E442"]


def new_figure(width: float = 8.0, height: float = 4.5, ncols: int = 1, nrows: int = 1):
    """A matplotlib ``(fig, ax)`` in the house style (``ax`` an array when there are several panels).

    Uses the object API only (no pyplot state), so it is safe in a web server and in tests.
    """
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True)
    for ax in np.asarray(axes, dtype=object).ravel():
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
    return fig, axes


def grouped_bars(ax, categories: Sequence[str], series: dict[str, tuple], colors: Sequence[str] = COLORS,
                 hatch_mask: dict[str, np.ndarray] | None = None):
    """Grouped bars: one group per category, one bar per series, with error bars.

    ``series`` maps a legend label to ``(values, lo, hi)`` (arrays as long as ``categories``;
    ``lo``/``hi`` may be ``None``). NaN values draw no bar. ``hatch_mask[label]`` marks bars to hatch
    (e.g. suppressed). Returns the bar containers.
    """
    x = np.arange(len(categories))
    width = 0.8 / max(len(series), 1)
    bars = []
    for i, (lab, (vals, lo, hi)) in enumerate(series.items()):
        vals = np.asarray(vals, dtype=float)
        pos = x - 0.4 + width * (i + 0.5)
        yerr = None
        if lo is not None and hi is not None:
            yerr = np.vstack([vals - np.asarray(lo, float), np.asarray(hi, float) - vals])
            yerr = np.where(np.isfinite(yerr), np.clip(yerr, 0, None), 0)
        c = ax.bar(pos, np.nan_to_num(vals), width, label=lab, color=colors[i % len(colors)],
                   yerr=yerr, capsize=2, error_kw={"elinewidth": 0.8, "ecolor": "#333333"})
        if hatch_mask is not None and lab in hatch_mask:
            for patch, m in zip(c.patches, hatch_mask[lab]):
                if m:
                    patch.set_hatch("//")
                    patch.set_alpha(0.5)
        bars.append(c)
    ax.set_xticks(x, categories)
    return bars


def reference_line(ax, y: float, label: str | None = None):
    """A dashed horizontal reference line (index 100, zero change) with an optional label."""
    ax.axhline(y, color="#333333", linestyle="--", linewidth=1, label=label, zorder=1)
