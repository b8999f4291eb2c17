"""Derived indicators: a rate built from two stored count indicators of the same area and year."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import StoreError
from ..store.schema import merge_flags

__all__ = ["derive_rate"]


def derive_rate(store, indicator: str, numerator: str, denominator: str, geo_version: str,
                source: str = "derived") -> dict:
    """Write ``indicator`` = numerator / denominator × scale (scale from the registry).

    Only areas and years where both counts are known get a fact; the flags of both inputs are
    carried, plus ``derived``. Returns counts of facts written and pairs left out.
    """
    spec = store.indicator(indicator)
    if spec["kind"] != "rate":
        raise StoreError(f"{indicator} is not a rate in the registry; cannot derive it from two counts")
    f = store.facts(indicator=[numerator, denominator], geo_version=geo_version)
    num = f[f["indicator"] == numerator].groupby(["code", "year"]).agg(
        num=("value", "first"), nflags=("flags", "first"))
    den = f[f["indicator"] == denominator].groupby(["code", "year"]).agg(
        den=("value", "first"), dflags=("flags", "first"))
    both = num.join(den, how="inner").reset_index()
    ok = both["num"].notna() & both["den"].notna() & (both["den"] > 0)
    both = both[ok]
    out = pd.DataFrame({
        "geo_version": geo_version, "code": both["code"], "year": both["year"], "indicator": indicator,
        "numerator": both["num"], "denominator": both["den"],
        "value": both["num"] / both["den"] * float(spec["scale"]), "source": source,
        "flags": merge_flags(both["nflags"], both["dflags"], pd.Series("derived", index=both.index)),
    })
    if len(out):
        store.write_facts(out)
    return {"facts_out": int(len(out)), "left_out": int((~ok).sum()) + int(len(num) - len(num.join(den, how="inner")))}
