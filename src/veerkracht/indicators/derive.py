"""Derived indicators: a rate built from two stored count indicators of the same area and year."""
from __future__ import annotations

import pandas as pd

from ..errors import StoreError
from ..store.schema import merge_flags
from .choice import one_fact_per_area_year

__all__ = ["derive_rate"]


def _one_per_area_year(f, indicator: str, source: str | None):
    """The facts of ``indicator``, one per (code, year).

    Several sources can hold the same count (e.g. dwellings from the OIS yearbook and from BBGA):
    ``source`` picks one; without it :func:`~veerkracht.indicators.choice.one_fact_per_area_year`
    decides, as it does for every other reader of facts.
    """
    part = f[f["indicator"] == indicator]
    if source is not None:
        part = part[part["source"] == source]
        if part.empty:
            raise StoreError(f"no {indicator} facts from source {source!r}")
    part = one_fact_per_area_year(part)
    return part.set_index(["code", "year"])[["value", "flags"]]


def derive_rate(store, indicator: str, numerator: str, denominator: str, geo_version: str,
                source: str = "derived", numerator_source: str | None = None,
                denominator_source: str | None = None) -> dict:
    """Write ``indicator`` = numerator / denominator × scale (scale from the registry).

    Only areas and years where both counts are known get a fact; the flags of both inputs are
    carried, plus ``derived``. Returns counts of facts written and pairs left out.
    """
    spec = store.indicator(indicator)
    if spec["kind"] != "rate":
        raise StoreError(f"{indicator} is not a rate in the registry; cannot derive it from two counts")
    f = store.facts(indicator=[numerator, denominator], geo_version=geo_version)
    num = _one_per_area_year(f, numerator, numerator_source).rename(columns={"value": "num", "flags": "nflags"})
    den = _one_per_area_year(f, denominator, denominator_source).rename(columns={"value": "den", "flags": "dflags"})
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
