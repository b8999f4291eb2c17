"""Export facts as CSV, Parquet or GeoPackage — suppressed, with provenance and labels."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from .indicators.choice import one_fact_per_area_year
from .errors import VeerkrachtError
from .indicators.reliability import suppress_store_facts

__all__ = ["export_facts", "FORMATS"]

FORMATS = ("csv", "parquet", "gpkg")


def export_facts(store, indicators: list[str], geo_version: str, fmt: str, out: str | Path,
                 level: str | None = None) -> int:
    """Write the facts of ``indicators`` on ``geo_version`` to ``out``; returns the number of rows.

    Small numbers are suppressed, with the secondary suppression that keeps them from being recovered
    by subtraction or division (see :mod:`veerkracht.indicators.reliability`). GeoPackage output
    is wide (one row per area and year, one column per indicator) with the area geometry; CSV and
    Parquet are long and tidy with unit and label columns.
    """
    if fmt not in FORMATS:
        raise VeerkrachtError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    reg = store.indicators().set_index("id")
    for ind in indicators:
        store.indicator(ind)
    facts = store.facts(indicator=indicators, geo_version=geo_version)
    if facts.empty:
        raise VeerkrachtError(f"no facts for {', '.join(indicators)} on geography version {geo_version!r}; "
                              "run `veerkracht harmonise --to " + geo_version + "` first?")
    areas = store.areas(geo_version=geo_version, level=level, geometry=(fmt == "gpkg"))
    if level is not None:
        facts = facts[facts["code"].isin(areas["code"])]
    facts = suppress_store_facts(store, facts)
    facts = facts.merge(areas[["code", "name", "level"]], on="code", how="left")
    facts["unit"] = facts["indicator"].map(reg["unit"])
    facts["label_nl"] = facts["indicator"].map(reg["label_nl"])
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    store.provenance().to_csv(out.with_name(out.stem + ".provenance.csv"), index=False)
    if fmt == "csv":
        facts.to_csv(out, index=False)
        return len(facts)
    if fmt == "parquet":
        facts.to_parquet(out, index=False)
        return len(facts)
    # one row per area and year, suppressed and missing values included (as empty cells), so that
    # a GIS shows them as "no value" rather than as holes in the map
    one = one_fact_per_area_year(facts)
    wide = one.set_index(["code", "year", "indicator"])["value"].unstack("indicator")
    wide.columns = [str(c) for c in wide.columns]
    flags = facts.groupby(["code", "year"])["flags"].agg(lambda f: ",".join(sorted({t for s in f for t in s.split(",") if t})))
    wide = wide.join(flags).reset_index()
    gdf = areas[["code", "name", "level", "geometry"]].merge(wide, on="code", how="inner")
    gpd.GeoDataFrame(gdf, geometry="geometry", crs=4326).to_file(out, driver="GPKG", layer="facts")
    return len(gdf)
