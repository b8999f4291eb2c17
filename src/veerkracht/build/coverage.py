"""Coverage summary of a harmonised store: indicators × years × share of areas with a value."""
from __future__ import annotations

import pandas as pd

from ..sources._codes import infer_level

__all__ = ["coverage_summary", "coverage_table"]


def coverage_summary(store, geo_version: str, levels: list[str] | None = None) -> pd.DataFrame:
    """Per level, indicator and year: areas of ``geo_version`` with a value, all areas, and the share.

    A value counts whatever its origin (native or harmonised) and source; an area counts once.
    """
    areas = store.areas(geo_version=geo_version, geometry=False)
    if levels:
        areas = areas[areas["level"].isin(levels)]
    n_areas = areas.groupby("level")["code"].nunique()
    if hasattr(store, "sql"):     # counted where the facts are: a national store holds millions of rows
        out = store.sql("SELECT a.level, f.indicator, f.year, count(DISTINCT f.code) AS with_value FROM facts f "
                        "JOIN areas a ON a.geo_version = f.geo_version AND a.code = f.code "
                        "WHERE f.geo_version = ? AND f.value IS NOT NULL AND NOT isnan(f.value) GROUP BY ALL",
                        [geo_version])
        out = out[out["level"].isin(n_areas.index)]
    else:
        facts = store.facts(geo_version=geo_version)
        facts = facts[facts["value"].notna() & facts["code"].isin(set(areas["code"]))]
        facts = facts.assign(level=infer_level(facts["code"]).to_numpy())
        out = facts.groupby(["level", "indicator", "year"])["code"].nunique().rename("with_value").reset_index()
    if out.empty:
        return pd.DataFrame(columns=["level", "indicator", "year", "with_value", "areas", "share"])
    out["areas"] = out["level"].map(n_areas).astype(int)
    out["share"] = out["with_value"] / out["areas"]
    return out.sort_values(["level", "indicator", "year"]).reset_index(drop=True)


def coverage_table(summary: pd.DataFrame, level: str = "buurt") -> pd.DataFrame:
    """One level of :func:`coverage_summary` as indicators × years of percentages (for printing)."""
    part = summary[summary["level"] == level]
    if part.empty:
        return pd.DataFrame()
    wide = part.pivot(index="indicator", columns="year", values="share").mul(100).round(0)
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index()
