"""Small-number suppression: one rule for every output (map, API, report, export).

METHOD.md: a value built on small numbers is suppressed below a configurable count — default
denominator < 50 or numerator < 10. Corporation and survey data are personal data, so the rule is
applied before anything leaves the store, not only when drawing.

Primary suppression alone discloses what it hides (a wijk minus its visible buurten); every output
therefore hides the cells of :func:`hidden_in_version` — primary and secondary (see
:mod:`veerkracht.indicators.secondary` and decision record 0006).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .secondary import CELL, hidden_cells, primary_hits

__all__ = ["SUPPRESS_MIN_DENOMINATOR", "SUPPRESS_MIN_NUMERATOR", "suppress", "apply_suppression",
           "small_count_indicators", "hidden_in_version", "suppress_store_facts", "hidden_of_store",
           "hidden_cache", "forget_hidden"]

SUPPRESS_MIN_DENOMINATOR = 50
SUPPRESS_MIN_NUMERATOR = 10


def suppress(num: pd.Series, den: pd.Series, min_den: int = SUPPRESS_MIN_DENOMINATOR,
             min_num: int = SUPPRESS_MIN_NUMERATOR) -> pd.Series:
    """True where a value rests on too small numbers to show (privacy and reliability).

    A numerator of exactly 0 is not disclosive and stays; anything above 0 and below min_num is
    (fractional numerators of converted facts, 0.4 or 9.6, included).
    """
    small_den = den.notna() & (den < min_den)
    small_num = num.notna() & (num < min_num) & (num > 0)
    return small_den | small_num


def small_count_indicators(registry: pd.DataFrame) -> set[str]:
    """Indicators whose small values (above 0, below min_num) are suppressed as counts.

    Every count (a count of corporation dwellings is the numerator of the corporation share: showing
    it would undo that share's suppression) and every restricted indicator (personal data).
    """
    reg = registry.set_index("id") if "id" in registry.columns else registry
    counts = reg["kind"].astype(str).eq("count")
    restricted = reg["restricted"].fillna(False).astype(bool)
    return set(reg.index[counts | restricted])


def _rates(registry: pd.DataFrame) -> set[str]:
    reg = registry.set_index("id") if "id" in registry.columns else registry
    return set(reg.index[reg["kind"].astype(str).eq("rate")])


def hidden_in_version(facts: pd.DataFrame, areas: pd.DataFrame, registry: pd.DataFrame,
                      min_den: int = SUPPRESS_MIN_DENOMINATOR, min_num: int = SUPPRESS_MIN_NUMERATOR) -> pd.DataFrame:
    """Cells (``code, year, indicator, secondary``) of one version that no output may show.

    ``facts`` must hold every fact of the version (the completion looks at parents, children and
    the counts a rate is divided from); ``areas`` the version's areas.
    """
    return hidden_cells(facts, areas, small_count_indicators(registry), _rates(registry), min_den, min_num)


#: attribute of a store object holding ``{version: hidden cells}`` (shared with its readers)
_CACHE = "_hidden_cells"


def hidden_cache(store) -> dict:
    """The store's ``{version: hidden cells}`` (made now: readers copied from it later share it)."""
    base = getattr(store, "_store", store)       # a store wrapped for locking: the store itself
    cache = base.__dict__.get(_CACHE)
    if cache is None:
        cache = base.__dict__.setdefault(_CACHE, {})
    return cache


def hidden_of_store(store, version: str) -> pd.DataFrame:
    """:func:`hidden_in_version` for ``version`` of ``store``, decided once per store object.

    The cache lives on the store object (its readers — copies of it — share it) and is emptied by
    every write transaction (:func:`forget_hidden`), so it never outlives the facts it was decided on.
    """
    cache = hidden_cache(store)
    hit = cache.get(version)
    if hit is None:
        hit = hidden_in_version(store.facts(geo_version=version), store.areas(geo_version=version, geometry=False),
                                store.indicators())
        cache[version] = hit
    return hit


def forget_hidden(store) -> None:
    """Empty the store's cache of hidden cells (its facts changed)."""
    cache = store.__dict__.get(_CACHE)
    if cache:
        cache.clear()


def apply_suppression(facts: pd.DataFrame, restricted: set[str] | None = None,
                      min_den: int = SUPPRESS_MIN_DENOMINATOR, min_num: int = SUPPRESS_MIN_NUMERATOR,
                      hidden: pd.DataFrame | None = None) -> pd.DataFrame:
    """Blank value, numerator and denominator of suppressed facts and flag them ``suppressed``.

    Rates are judged on numerator/denominator; the value-only facts of the indicators in
    ``restricted`` (see :func:`small_count_indicators`) are suppressed above 0 and below ``min_num``
    too. ``hidden`` (from :func:`hidden_in_version`) adds the cells secondary suppression hides; a
    cell is hidden in all its rows (every source).
    """
    out = facts.copy()
    hit = primary_hits(out, restricted or set(), min_den, min_num)
    if hidden is not None and len(hidden) and len(out):
        keys = pd.MultiIndex.from_frame(hidden[CELL].astype({"year": "int64"}))
        mine = pd.MultiIndex.from_arrays([out["code"], out["year"].astype("int64"), out["indicator"]])
        hit |= pd.Series(mine.isin(keys), index=out.index)
    out.loc[hit, ["value", "numerator", "denominator"]] = np.nan
    out.loc[hit, "flags"] = out.loc[hit, "flags"].fillna("").map(
        lambda f: ",".join(sorted(set(filter(None, f.split(","))) | {"suppressed"})))
    return out


def suppress_store_facts(store, facts: pd.DataFrame) -> pd.DataFrame:
    """:func:`apply_suppression` with secondary suppression for facts read from ``store`` (any
    subset: the cells to hide are decided on every fact of each version the subset touches)."""
    registry = store.indicators()
    parts = []
    for version, f in facts.groupby("geo_version", sort=False):
        parts.append(apply_suppression(f, small_count_indicators(registry), hidden=hidden_of_store(store, version)))
    return pd.concat(parts).loc[facts.index] if parts else apply_suppression(facts)
