"""The optional sources of ``veerkracht build``: Leefbaarometer (PC4 scores) and registered crime.

Leefbaarometer, per meting year ``Y`` (``--leefbaarometer Y``), in four resumable steps:

1. ``pc4:Y`` — the CBS PC4 areas of ``Y`` (geometry) as version ``lbm3-Y``; for a region only the
   postcodes that touch its buurten of the target version;
2. ``leefbaarometer:Y`` — the PC4 score table of the meting (scores and deviations), for a region
   only its postcodes (those of step 1);
3. ``crosswalk-pc4:Y`` — PC4 → buurt of the target version (area overlay of different levels);
4. ``harmonise-lbm:Y`` — the scores onto the target buurten (weighted means; support recorded).

Crime (``--crime``): one step ``crime`` before the crosswalks, so that the counts of every year are
harmonised with that year's KWB facts: the Politie/CBS table, summed per year, as ``cbs<year>``.
"""
from __future__ import annotations

from typing import Callable

import pandas as pd

from ..geo.harmonise import harmonise_store
from ..geo.levels import level_crosswalk
from ..sources.fetch import fetch_leefbaarometer, fetch_pc4
from ..sources.fetch_crime import fetch_crime

__all__ = ["lbm_version", "pc4_batch", "lbm_batch", "pc4_crosswalk", "harmonise_info", "crime_batch"]


def lbm_version(year: int) -> str:
    """The version of the PC4 areas and scores of Leefbaarometer meting ``year``."""
    return f"lbm3-{int(year)}"


def _keep(batch, codes: set[str]):
    """``batch`` with only the areas and facts of ``codes``."""
    for attr in ("areas", "facts"):
        df = getattr(batch, attr)
        if df is not None and len(df):
            setattr(batch, attr, df[df["code"].astype(str).isin(codes).to_numpy()].reset_index(drop=True))
    return batch


def pc4_batch(store, plan, year: int, cache, services, progress=None):
    """The PC4 geometry of ``year``; for a region the postcodes touching its target-version buurten."""
    batch = fetch_pc4(year, cache, services, geo_version=lbm_version(year), progress=progress)
    if plan.region:
        bu = store.areas(geo_version=plan.target_version, level="buurt")
        bu = bu[bu.geometry.notna()]
        pc = batch.areas
        hit = pc.geometry.to_crs(bu.crs).intersects(bu.geometry.union_all()) if len(bu) else pc.geometry.isna()
        _keep(batch, set(pc.loc[hit.to_numpy(), "code"].astype(str)))
        batch.provenance.options = {**batch.provenance.options, "region": list(plan.region)}
    return batch


def lbm_batch(store, plan, year: int, cache, services, progress=None):
    """The Leefbaarometer PC4 scores of meting ``year``; for a region those of its postcodes."""
    batch = fetch_leefbaarometer(year, cache, services, level="pc4", geo_version=lbm_version(year), progress=progress)
    if plan.region:
        codes = set(store.areas(geo_version=lbm_version(year), level="pc4", geometry=False)["code"].astype(str))
        _keep(batch, codes)
        batch.provenance.options = {**batch.provenance.options, "region": list(plan.region)}
    return batch


def pc4_crosswalk(store, plan, year: int) -> tuple[pd.DataFrame, dict]:
    """PC4 areas of ``lbm3-<year>`` → buurten of the target version, and its report (under ``pc4``)."""
    cw = level_crosswalk(store, lbm_version(year), "pc4", plan.target_version, "buurt",
                         min_coverage=plan.min_coverage)
    report = {**cw.attrs["report"], "unmatched_codes": cw.attrs["unmatched"][:10],
              "low_coverage_codes": cw.attrs["low_coverage"][:10]}
    return cw, {"pc4": report}


def harmonise_info(store, plan, version: str) -> dict:
    """Harmonise the native facts of ``version`` onto the target version; the journal's summary."""
    summary = harmonise_store(store, plan.target_version, from_versions=[version])
    s = summary.get(version, {})
    return {"facts_in": s.get("facts_in", 0), "facts_out": s.get("facts_out", 0),
            "unmapped": len(s.get("unmapped", [])), "unmapped_codes": s.get("unmapped", [])[:10]}


def crime_batch(plan, cache, services, progress: Callable | None = None):
    """Registered crimes per area and year of the plan (``plan.extra['crime_table']`` chooses the table)."""
    kw = {"table": plan.extra["crime_table"]} if plan.extra.get("crime_table") else {}
    return fetch_crime(plan.years, cache, services, region=plan.region, progress=progress, **kw)
