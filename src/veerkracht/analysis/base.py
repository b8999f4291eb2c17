"""What every analysis shares: the registry, the result object, region selection and panels.

An analysis is a module with one public entry point ``run(store, **params) -> Result`` registered
with :func:`analysis`. It is a pure function of the store and its parameters.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from ..errors import StoreError
from ..indicators.reliability import SUPPRESS_MIN_DENOMINATOR, SUPPRESS_MIN_NUMERATOR, suppress

__all__ = [
    "analysis", "ANALYSES", "get_analysis", "Result", "select_region", "panel", "one_fact_per_area_year",
    "suppress",
    "SUPPRESS_MIN_DENOMINATOR", "SUPPRESS_MIN_NUMERATOR",
]

ANALYSES: dict[str, Callable] = {}



def analysis(name: str, summary_nl: str, summary_en: str):
    """Register ``run`` as analysis ``name`` (``veerkracht analyse <name>``)."""
    def deco(fn):
        fn.analysis_name = name
        fn.summary_nl = summary_nl
        fn.summary_en = summary_en
        ANALYSES[name] = fn
        return fn
    return deco


def get_analysis(name: str) -> Callable:
    from . import _load_all  # noqa: F401
    if name not in ANALYSES:
        raise StoreError(f"unknown analysis {name!r}; known: {', '.join(sorted(ANALYSES))}")
    return ANALYSES[name]


@dataclass
class Result:
    """A tidy table plus everything needed to trust and show it.

    ``table``: one row per area or per group. ``params``: the parameters as used (defaults filled).
    ``vintage``: the data used (indicator → years, geo version, sources). ``notes``: caveats
    and warnings a reader must see (e.g. regression to the mean). ``extra``: further tables by name.
    """

    name: str
    table: pd.DataFrame
    params: dict
    vintage: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)   # headline numbers (and sentences) for report & CLI
    _figure: Callable | None = None
    _layer: Callable | None = None

    def figure(self, lang: str = "nl"):
        """A matplotlib Figure; Dutch labels by default, English with ``lang='en'``."""
        if self._figure is None:
            raise StoreError(f"analysis {self.name} has no figure")
        return self._figure(self, lang)

    def layer(self, store=None):
        """A GeoDataFrame with one row per area (spatial analyses only)."""
        if self._layer is None:
            raise StoreError(f"analysis {self.name} is not spatial: it has no map layer")
        return self._layer(self, store)

    @property
    def is_spatial(self) -> bool:
        return self._layer is not None

    def to_json(self) -> str:
        def frame(df):
            return json.loads(df.to_json(orient="records", double_precision=6))
        return json.dumps({
            "analysis": self.name, "params": self.params, "vintage": self.vintage, "notes": self.notes,
            "summary": self.summary, "table": frame(self.table),
            "extra": {k: frame(v) for k, v in self.extra.items()},
        }, indent=2, default=_json_default, ensure_ascii=False)


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return None if np.isnan(o) else float(o)
    return str(o)


def select_region(store, region: list[str] | str | None, geo_version: str, level: str = "buurt") -> pd.DataFrame:
    """Areas of ``level`` in ``geo_version`` inside the region (gemeente/wijk codes, or area codes).

    ``region=None`` or ``NL01`` means the whole country. Returns the area table without geometry.
    """
    areas = store.areas(geo_version=geo_version, level=level, geometry=False)
    if areas.empty:
        raise StoreError(f"the store has no {level} areas in geography version {geo_version!r}")
    if region is None or region == [] or region == "NL01" or region == ["NL01"]:
        return areas
    codes = [region] if isinstance(region, str) else list(region)
    keep = areas["code"].isin(codes) | areas["gm_code"].isin(codes) | areas["wk_code"].isin(codes)
    if not keep.any():
        raise StoreError(f"no {level} areas of {geo_version!r} lie in region {', '.join(codes)}")
    return areas[keep]


def one_fact_per_area_year(facts: pd.DataFrame) -> pd.DataFrame:
    """One fact per (code, year, indicator) when several sources hold it.

    A source's own figure beats one aggregated from smaller areas; between equals, the source
    name decides — never the order in which rows happen to come back.
    """
    if facts.empty:
        return facts
    derived = facts["source"].astype(str).str.contains("+aggregated", regex=False)
    return (facts.assign(_derived=derived).sort_values(["code", "year", "indicator", "_derived", "source"])
            .drop_duplicates(["code", "year", "indicator"]).drop(columns="_derived"))


def panel(store, indicators: list[str], geo_version: str, codes=None, years=None) -> pd.DataFrame:
    """Wide panel: one row per (code, year), columns ``<ind>``, ``<ind>_num``, ``<ind>_den``, ``<ind>_flags``."""
    facts = one_fact_per_area_year(store.facts(indicator=indicators, geo_version=geo_version, codes=codes,
                                               years=years))
    if facts.empty:
        raise StoreError(f"no facts for {', '.join(indicators)} in {geo_version!r}"
                         + (f" for years {years}" if years else ""))
    wide = facts.pivot_table(index=["code", "year"], columns="indicator",
                             values=["value", "numerator", "denominator"], aggfunc="first")
    out = pd.DataFrame(index=wide.index)
    for ind in indicators:
        for part, suffix in (("value", ""), ("numerator", "_num"), ("denominator", "_den")):
            out[ind + suffix] = wide[(part, ind)] if (part, ind) in wide.columns else np.nan
    flags = facts.pivot_table(index=["code", "year"], columns="indicator", values="flags", aggfunc="first")
    for ind in indicators:
        out[ind + "_flags"] = flags[ind] if ind in flags.columns else ""
    return out.reset_index()
