"""Which fact wins: one deterministic policy when several facts hold the same area, year and indicator.

The same count can come from two sources (dwellings from the OIS yearbook and from BBGA), or once as
published and once summed from smaller areas or converted from another geography. Every reader of
facts — analyses, derived rates, the map, the report, the exports — keeps one of them by this rule:

1. a figure the source published for this area in this geography (no ``+aggregated`` /
   ``+harmonised`` step, ``origin_version`` equal to ``geo_version``) beats a derived one;
2. between equals, the source name decides (alphabetical), never the order rows came back in.
"""
from __future__ import annotations

import pandas as pd

__all__ = ["one_fact_per_area_year", "is_derived"]


def is_derived(facts: pd.DataFrame) -> pd.Series:
    """True where a fact was computed from others (summed, converted) rather than published as is."""
    derived = facts["source"].astype(str).str.contains("+", regex=False)
    if "origin_version" in facts.columns:
        origin = facts["origin_version"]
        derived |= origin.notna() & (origin.astype(object) != facts["geo_version"].astype(object))
    return derived


def one_fact_per_area_year(facts: pd.DataFrame, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per (geo_version, code, year, indicator, *by) by the module's rule; index reset.

    Examples
    --------
    >>> f = pd.DataFrame({"geo_version": "v", "code": "A", "year": 2020, "indicator": "x",
    ...                   "value": [2.0, 1.0, 3.0], "source": ["b", "a+aggregated", "c"]})
    >>> one_fact_per_area_year(f)["source"].tolist()
    ['b']
    """
    if facts.empty:
        return facts.reset_index(drop=True)
    keys = [k for k in ("geo_version", "code", "year", "indicator") if k in facts.columns] + list(by)
    ranked = facts.assign(_derived=is_derived(facts).to_numpy(), _source=facts["source"].astype(str))
    return (ranked.sort_values([*keys, "_derived", "_source"], kind="mergesort")
            .drop_duplicates(keys).drop(columns=["_derived", "_source"]).reset_index(drop=True))
