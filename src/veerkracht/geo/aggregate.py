"""Aggregate facts to parent levels (buurt → wijk → gemeente → country) within one version.

Aggregation is harmonisation along the code hierarchy: every area goes whole (weight 1) into its
parent, so counts are summed, rates are recomputed from summed numerators and denominators, and
scores are averaged with the amount of a weight indicator (e.g. dwellings) — the same rules as
:func:`veerkracht.geo.harmonise.harmonise`, which does the work.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import StoreError
from .harmonise import harmonise

__all__ = ["parent_crosswalk", "identity_crosswalk", "aggregate_store", "PARENT_COLUMN"]

PARENT_COLUMN = {"wijk": "wk_code", "gemeente": "gm_code", "country": None}


def parent_crosswalk(areas: pd.DataFrame, version: str, to_level: str,
                     amounts: pd.Series | None = None) -> pd.DataFrame:
    """Crosswalk from each area to its parent of ``to_level`` (``NL01`` for the country).

    ``amounts`` (indexed by code) weights scores when they are averaged; 1 per area when absent.
    """
    if to_level not in PARENT_COLUMN:
        raise StoreError(f"cannot aggregate to level {to_level!r}; choose wijk, gemeente or country")
    col = PARENT_COLUMN[to_level]
    parent = pd.Series("NL01", index=areas.index) if col is None else areas[col]
    ok = parent.notna() & (parent.astype(str) != "")
    cw = pd.DataFrame({
        "from_version": f"{version}#{areas['level'].iloc[0] if len(areas) else ''}",
        "from_code": areas.loc[ok, "code"].astype(str).to_numpy(),
        "to_version": version, "to_code": parent[ok].astype(str).to_numpy(), "weight": 1.0,
        "basis": "hierarchy",
    })
    amt = np.ones(len(cw)) if amounts is None else cw["from_code"].map(amounts).fillna(0).to_numpy(float)
    cw["amount"] = amt
    return cw


def identity_crosswalk(store, from_version: str, to_version: str, level: str | None = None) -> pd.DataFrame:
    """Crosswalk between two versions whose codes are the same (e.g. gemeenten 2024 = 2023).

    Refuses when the code sets differ: then boundaries changed and an overlay or file is needed.
    """
    a = set(store.areas(geo_version=from_version, level=level, geometry=False)["code"])
    b = set(store.areas(geo_version=to_version, level=level, geometry=False)["code"])
    if not a:
        raise StoreError(f"no {level or ''} areas in version {from_version!r}")
    if a != b:
        only_a, only_b = sorted(a - b)[:5], sorted(b - a)[:5]
        raise StoreError(f"{from_version} and {to_version} differ in codes ({len(a - b)} only in {from_version}, "
                         f"e.g. {only_a}; {len(b - a)} only in {to_version}, e.g. {only_b}): not an identity")
    codes = sorted(a)
    return pd.DataFrame({"from_version": from_version, "from_code": codes, "to_version": to_version,
                         "to_code": codes, "weight": 1.0, "amount": np.nan, "basis": "identity"})


def aggregate_store(store, version: str, from_level: str, to_level: str, weight: str | None = None,
                    indicators: list[str] | None = None) -> dict:
    """Aggregate the ``from_level`` facts of ``version`` to ``to_level`` and write them.

    Facts that the source already gives at ``to_level`` are kept: aggregated facts get source
    ``<source>+aggregated`` so they never overwrite a published figure.
    """
    areas = store.areas(geo_version=version, level=from_level, geometry=False)
    if areas.empty:
        raise StoreError(f"no {from_level} areas in version {version!r}")
    facts = store.facts(indicator=indicators, geo_version=version, codes=list(areas["code"]))
    if facts.empty:
        return {"facts_in": 0, "facts_out": 0}
    amounts = None
    if weight is not None:
        w = facts[facts["indicator"] == weight]
        # weight of an area = its latest known amount (dwellings change slowly)
        amounts = w.sort_values("year").groupby("code")["value"].last()
    reg = store.indicators().set_index("id")
    pseudo = f"{version}#{from_level}"
    src = facts.assign(geo_version=pseudo, origin_version=pseudo)
    cw = parent_crosswalk(areas, version, to_level, amounts)
    out = harmonise(src, cw, kinds=reg["kind"].to_dict(), to_version=version,
                    scales=reg["scale"].to_dict())
    out["origin_version"] = version
    out["source"] = out["source"].astype(str) + "+aggregated"
    out["flags"] = out["flags"].astype(str).map(
        lambda f: ",".join(sorted({t for t in f.split(",") if t and t != "harmonised"} | {"aggregated"})))
    if to_level != "country":
        _ensure_parent_areas(store, areas, version, to_level)
    else:
        _ensure_country(store, version)
    store.write_facts(out)
    return {"facts_in": int(len(facts)), "facts_out": int(len(out))}


def _ensure_parent_areas(store, areas: pd.DataFrame, version: str, to_level: str) -> None:
    """Parents that the store does not know yet are added without geometry (codes only)."""
    col = PARENT_COLUMN[to_level]
    have = set(store.areas(geo_version=version, level=to_level, geometry=False)["code"])
    new = areas.loc[~areas[col].isin(have) & areas[col].notna()].drop_duplicates(col)
    if new.empty:
        return
    import geopandas as gpd
    rows = gpd.GeoDataFrame({
        "geo_version": version, "code": new[col].to_numpy(), "level": to_level,
        "name": new[col].to_numpy(), "gm_code": new["gm_code"].to_numpy(),
        "wk_code": new[col].to_numpy() if to_level == "wijk" else None,
    }, geometry=[None] * len(new), crs=4326)
    store.write_areas(rows)


def _ensure_country(store, version: str) -> None:
    if store.areas(geo_version=version, codes=["NL01"], geometry=False).empty:
        import geopandas as gpd
        store.write_areas(gpd.GeoDataFrame({"geo_version": [version], "code": ["NL01"], "level": ["country"],
                                            "name": ["Nederland"], "gm_code": [None], "wk_code": [None]},
                                           geometry=[None], crs=4326))
