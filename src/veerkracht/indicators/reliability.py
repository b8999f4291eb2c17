"""Small-number suppression: one rule for every output (map, API, report, export).

METHOD.md: a value built on small numbers is suppressed below a configurable count — default
denominator < 50 or numerator < 10. Corporation and survey data are personal data, so the rule is
applied before anything leaves the store, not only when drawing.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["SUPPRESS_MIN_DENOMINATOR", "SUPPRESS_MIN_NUMERATOR", "suppress", "apply_suppression",
           "small_count_indicators"]

SUPPRESS_MIN_DENOMINATOR = 50
SUPPRESS_MIN_NUMERATOR = 10


def suppress(num: pd.Series, den: pd.Series, min_den: int = SUPPRESS_MIN_DENOMINATOR,
             min_num: int = SUPPRESS_MIN_NUMERATOR) -> pd.Series:
    """True where a value rests on too small numbers to show (privacy and reliability).

    A numerator of exactly 0 is not disclosive and stays; 1 … min_num−1 is.
    """
    small_den = den.notna() & (den < min_den)
    small_num = num.notna() & (num < min_num) & (num > 0)
    return small_den | small_num


def small_count_indicators(registry: pd.DataFrame) -> set[str]:
    """Indicators whose small values (1 … min_num−1) are suppressed as counts.

    Every count (a count of corporation dwellings is the numerator of the corporation share: showing
    it would undo that share's suppression) and every restricted indicator (personal data).
    """
    reg = registry.set_index("id") if "id" in registry.columns else registry
    counts = reg["kind"].astype(str).eq("count")
    restricted = reg["restricted"].fillna(False).astype(bool)
    return set(reg.index[counts | restricted])


def apply_suppression(facts: pd.DataFrame, restricted: set[str] | None = None,
                      min_den: int = SUPPRESS_MIN_DENOMINATOR, min_num: int = SUPPRESS_MIN_NUMERATOR) -> pd.DataFrame:
    """Blank value, numerator and denominator of suppressed facts and flag them ``suppressed``.

    Rates are judged on numerator/denominator; the value-only facts of the indicators in
    ``restricted`` (see :func:`small_count_indicators`) are suppressed below ``min_num`` too.
    """
    out = facts.copy()
    hit = suppress(out["numerator"], out["denominator"], min_den, min_num)
    if restricted:
        is_count = out["indicator"].isin(restricted) & out["numerator"].isna() & out["denominator"].isna()
        hit |= is_count & out["value"].between(1, min_num - 1)
    out.loc[hit, ["value", "numerator", "denominator"]] = np.nan
    out.loc[hit, "flags"] = out.loc[hit, "flags"].fillna("").map(
        lambda f: ",".join(sorted(set(filter(None, f.split(","))) | {"suppressed"})))
    return out
