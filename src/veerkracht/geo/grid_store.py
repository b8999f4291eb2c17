"""The grid in the store: crosswalks to buurten, aggregation, and the direct surroundings as facts.

* :func:`crosswalk_grid` — ``grid100`` → a buurt version: by cell centre (each cell whole to the buurt
  holding its centre; ``amount`` = the cell's dwellings where the grid gives them, else its area) or
  by area overlay (:func:`~veerkracht.geo.crosswalk.overlay_crosswalk` on the cell squares). It also
  gives every cell the ``gm_code``/``wk_code`` of its buurt, so a region selects cells like buurten.
* :func:`aggregate_grid` — grid facts onto the buurten with the existing harmonisation (counts summed,
  rates from summed numerators and denominators, scores averaged by dwellings), then up to wijk and
  gemeente with :func:`~veerkracht.geo.aggregate.aggregate_store`.
* :func:`surroundings_facts` / :func:`surroundings` — for a count pair on the grid, per cell and year the
  sums within ``radius`` and their rate: ``corp_share_200m`` = corporation dwellings within 200 m /
  dwellings within 200 m. The definition (radius, cell size, source years) goes into the indicator's
  registry row.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import StoreError
from .grid import GRID_VERSION, cell_index, centroid_crosswalk, neighbour_matrix, radius_sums

__all__ = ["crosswalk_grid", "aggregate_grid", "latest_values", "surroundings_facts", "surroundings", "surroundings_definition"]


def latest_values(facts: pd.DataFrame, indicator: str, year: int | None) -> pd.Series:
    """Per code the value of ``indicator`` at ``year`` or, lacking it, at its latest earlier year (all years
    when ``year`` is None). One sort and group — fast on 400k cells."""
    f = facts[(facts["indicator"] == indicator) & facts["value"].notna()]
    if year is not None:
        f = f[f["year"] <= year]
    return f.sort_values("year").groupby("code", observed=True)["value"].last()


def crosswalk_grid(store, to_version: str, res: int = 100, method: str = "centroid", weight: str | None = "dwellings",
                   year: int | None = None) -> pd.DataFrame:
    """Build, store and return the crosswalk ``grid<res>`` → the buurten of ``to_version``.

    ``weight``: a count on the grid whose latest value (at or before ``year``) is each cell's
    ``amount`` (the basis for averaging scores onto buurten); ``None`` or absent: the cell's area.
    """
    from .crosswalk import overlay_crosswalk
    from .grid import grid_areas

    version = GRID_VERSION[res]
    cells = store.areas(geo_version=version, level="grid", geometry=False)
    if cells.empty:
        raise StoreError(f"no grid cells in version {version!r}: ingest grid-cbs or lbm-grid first")
    buurten = store.areas(geo_version=to_version, level="buurt")
    if buurten.empty or buurten.geometry.isna().all():
        raise StoreError(f"no buurt geometry in version {to_version!r}: ingest a geometry file of that version")
    buurten = buurten[buurten.geometry.notna()]
    amounts = None
    if weight:
        a = latest_values(store.facts(indicator=weight, geo_version=version), weight, year)
        amounts = a if len(a) else None
    if method == "centroid":
        cw = centroid_crosswalk(cells["code"], buurten, to_version, res, amounts)
    elif method == "area":
        squares = grid_areas(cells["code"], res)
        cw = overlay_crosswalk(squares[["code", "geometry"]], buurten[["code", "geometry"]], version, to_version,
                               basis="area", min_coverage=0.0)
    else:
        raise StoreError(f"method must be 'centroid' or 'area', not {method!r}")
    store.write_crosswalk(cw)
    # cells take the parents of the buurt with the largest share: a region then selects its cells
    main = cw.sort_values("weight", ascending=False).drop_duplicates("from_code").set_index("from_code")["to_code"]
    parents = buurten.drop_duplicates("code").set_index("code")[["gm_code", "wk_code"]].astype(object)
    buurt = pd.Series(cells["code"].to_numpy(dtype=object)).map(main.astype(object))   # hash lookups, no isin
    upd = cells.iloc[np.flatnonzero(buurt.notna().to_numpy())].copy()
    buurt = buurt.dropna().to_numpy(dtype=object)
    upd["gm_code"] = parents["gm_code"].reindex(buurt).to_numpy()
    upd["wk_code"] = parents["wk_code"].reindex(buurt).to_numpy()
    import geopandas as gpd
    store.write_areas(gpd.GeoDataFrame(upd, geometry=gpd.GeoSeries([None] * len(upd), crs=4326)))
    return cw


def aggregate_grid(store, to_version: str, res: int = 100, indicators: list[str] | None = None,
                   weight: str | None = "dwellings") -> dict:
    """Grid facts onto the buurten of ``to_version`` (through the stored crosswalk), then to wijk and
    gemeente. Returns the harmonisation summary and the aggregation counts."""
    from .aggregate import aggregate_store
    from .harmonise import harmonise_store

    out = {"buurt": harmonise_store(store, to_version, indicators=indicators, from_versions=[GRID_VERSION[res]])}
    for lower, upper in (("buurt", "wijk"), ("wijk", "gemeente")):
        out[upper] = aggregate_store(store, to_version, lower, upper, weight=weight, indicators=indicators)
    return out


# ------------------------------------------------------------------------------ surroundings
def surroundings_definition(indicator: str, numerator: str, denominator: str, radius: float, res: int,
                            years) -> dict:
    """The registry row of a surroundings indicator: what it sums, over which radius, cell and years."""
    yrs = ", ".join(str(int(y)) for y in sorted(set(years)))
    return dict(
        id=indicator, label_nl=f"{numerator} / {denominator} binnen {radius:g} m",
        label_en=f"{numerator} / {denominator} within {radius:g} m", unit="%", kind="rate", scale=100.0,
        higher_is_worse=None, numerator_nl=f"{numerator} binnen {radius:g} m",
        denominator_nl=f"{denominator} binnen {radius:g} m", source=f"afgeleid: grid{res}; jaren {yrs}",
        description_nl=(f"Directe woonomgeving: som van {numerator} gedeeld door som van {denominator} over de "
                        f"{res} m-vierkanten waarvan het middelpunt binnen {radius:g} m van het middelpunt van het "
                        f"vierkant ligt (het vierkant zelf meegeteld); jaren {yrs}."),
        description_en=(f"Direct surroundings: sum of {numerator} over sum of {denominator} across the {res} m cells "
                        f"whose centre lies within {radius:g} m of the cell's centre (the cell itself included); "
                        f"years {yrs}."),
        restricted=False)


def surroundings_facts(facts: pd.DataFrame, numerator: str, denominator: str, indicator: str,
                       radius: float = 200, res: int = 100, scale: float = 100.0) -> pd.DataFrame:
    """Per cell and year: numerator and denominator summed over the cells within ``radius``, and the rate.

    ``facts``: grid facts holding the counts ``numerator`` and ``denominator``. A cell with a missing
    value in its surroundings gets the flag ``partial_surroundings`` (the sum counts the known cells).
    The surroundings extend over every cell in ``facts`` of that year — also cells outside a region.
    """
    out = []
    for year, f in facts[facts["indicator"].isin([numerator, denominator])].groupby("year"):
        num = _count(f, numerator)
        den = _count(f, denominator)
        codes = num.index.union(den.index)
        ix, iy = cell_index(codes, res)
        W = neighbour_matrix(ix, iy, radius, res)
        v = np.column_stack([num.reindex(codes).to_numpy(float), den.reindex(codes).to_numpy(float)])
        sums, miss = radius_sums(ix, iy, v, radius, res, matrix=W)
        with np.errstate(all="ignore"):
            rate = np.where(sums[:, 1] > 0, sums[:, 0] / sums[:, 1] * scale, np.nan)
        partial = (miss > 0).any(axis=1)
        out.append(pd.DataFrame({"geo_version": GRID_VERSION[res], "code": np.asarray(codes, dtype=object),
                                 "year": int(year), "indicator": indicator, "numerator": sums[:, 0],
                                 "denominator": sums[:, 1], "value": rate, "source": f"derived:surroundings-{radius:g}m",
                                 "flags": np.where(partial, "partial_surroundings", "")}))
    if not out:
        raise StoreError(f"no grid facts of {numerator!r} and {denominator!r} to sum")
    return pd.concat(out, ignore_index=True)


def _count(f: pd.DataFrame, indicator: str) -> pd.Series:
    """The count ``indicator`` per cell (its value; NaN where suppressed)."""
    return f[f["indicator"] == indicator].drop_duplicates("code").set_index("code")["value"].astype(float)


def surroundings(store, numerator: str = "corp_dwellings", denominator: str = "dwellings",
                 indicator: str | None = None, radius: float = 200, res: int = 100,
                 years: list[int] | None = None) -> dict:
    """Compute :func:`surroundings_facts` for the grid in ``store``, write the facts and register the
    indicator with its definition. Default id: ``corp_share_200m`` for corporation dwellings / dwellings,
    else ``<numerator>_<radius>m``."""
    if indicator is None:
        base = "corp_share" if (numerator, denominator) == ("corp_dwellings", "dwellings") else numerator
        indicator = f"{base}_{radius:g}m"
    facts = store.facts(indicator=[numerator, denominator], geo_version=GRID_VERSION[res])
    if years:
        facts = facts[facts["year"].isin(years)]
    out = surroundings_facts(facts, numerator, denominator, indicator, radius, res)
    from ..indicators.registry import get as core_indicator
    try:
        core_indicator(indicator)          # a core indicator (corp_share_200m) keeps its own definition
    except KeyError:
        store.register_indicators(pd.DataFrame([surroundings_definition(indicator, numerator, denominator, radius,
                                                                         res, out["year"].unique())]))
    store.write_facts(out)
    return {"indicator": indicator, "facts": int(len(out)), "years": sorted(int(y) for y in out["year"].unique()),
            "partial": int((out["flags"] != "").sum())}
