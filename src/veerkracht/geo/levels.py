"""Crosswalks across levels (PC4 → buurt, PC6 → buurt, buurt → another version's wijk …) and what to do
when a path is missing.

:func:`level_crosswalk` overlays the areas of one level of a version with those of another level of
another version — by area, or by address points — with the same sliver and coverage rules as
:func:`~veerkracht.geo.crosswalk.overlay_crosswalk`. :func:`missing_path_message` says, for a
version that cannot reach a target, which input would make the path (a geometry file, an address
table, a boundary-change file) and the command that loads it.
"""
from __future__ import annotations

import geopandas as gpd
import pandas as pd

from ..errors import StoreError
from .crosswalk import overlay_crosswalk

__all__ = ["level_crosswalk", "missing_path_message", "no_geometry_message", "version_levels"]


def version_levels(store, version: str) -> dict[str, tuple[int, int]]:
    """Per level of ``version``: (areas, areas with geometry)."""
    a = store.areas(geo_version=version)
    if a.empty:
        return {}
    has = a.geometry.notna() & ~a.geometry.is_empty
    return {lv: (int((a["level"] == lv).sum()), int((has & (a["level"] == lv)).sum()))
            for lv in sorted(a["level"].unique())}


def level_crosswalk(store, from_version: str, from_level: str, to_version: str, to_level: str,
                    points: gpd.GeoDataFrame | None = None, point_weight: str | None = None,
                    min_share: float = 0.001, min_coverage: float = 0.5) -> pd.DataFrame:
    """Crosswalk from the ``from_level`` areas of ``from_version`` to the ``to_level`` areas of ``to_version``.

    Area-weighted by default; with ``points`` (address points, optionally counted by ``point_weight``)
    address-weighted. Raises a :class:`StoreError` that names the missing input when either side
    has no geometry.
    """
    sides = []
    for v, lv in ((from_version, from_level), (to_version, to_level)):
        g = store.areas(geo_version=v, level=lv)
        g = g[g.geometry.notna() & ~g.geometry.is_empty]
        if g.empty:
            raise StoreError(no_geometry_message(store, v, lv))
        sides.append(g)
    return overlay_crosswalk(*sides, from_version, to_version, basis="addresses" if points is not None else "area",
                             points=points, point_weight=point_weight, min_share=min_share,
                             min_coverage=min_coverage)


def no_geometry_message(store, version: str, level: str) -> str:
    have = version_levels(store, version)
    held = ", ".join(f"{lv}: {n} areas, {g} with geometry" for lv, (n, g) in have.items()) or "nothing"
    fetch = {"pc4": "`veerkracht fetch pc4 --year YEAR`", "buurt": "`veerkracht fetch geometry --year YEAR "
             "--level buurt`", "wijk": "`veerkracht fetch geometry --year YEAR --level wijk`",
             "gemeente": "`veerkracht fetch geometry --year YEAR --level gemeente`"}.get(level)
    return (f"no {level} geometry for version {version!r} (the store holds {held}). Load it with "
            f"`veerkracht ingest geometry FILE --geo-version {version} -o level={level}`"
            + (f" or {fetch}" if fetch else "") + ".")


def missing_path_message(store, from_version: str, to_version: str) -> str:
    """What input would give ``from_version`` a crosswalk path onto ``to_version``, and how to load it."""
    src, dst = version_levels(store, from_version), version_levels(store, to_version)
    lines = [f"no crosswalk path from {from_version!r} to {to_version!r}."]
    src_geo = [lv for lv, (_, g) in src.items() if g]
    dst_geo = [lv for lv, (_, g) in dst.items() if g]
    levels = list(src) or ["(no areas)"]
    if src_geo and dst_geo:
        lines.append("Both have geometry: build one with `veerkracht crosswalk-levels --from "
                     f"{from_version} --from-level {src_geo[0]} --to {to_version} --to-level {dst_geo[-1]}` "
                     "(add --points FILE to weight by addresses).")
    else:
        if not src_geo:
            lines.append(f"{from_version} has no geometry (levels: {', '.join(levels)}): load it with "
                         f"`veerkracht ingest geometry FILE --geo-version {from_version}`"
                         + (" (PC4 areas: `veerkracht fetch pc4 --year YEAR`)" if "pc4" in src else "") + ".")
        if not dst_geo:
            lines.append(f"{to_version} has no geometry: load it with `veerkracht ingest geometry FILE "
                         f"--geo-version {to_version}` or `veerkracht fetch geometry --year YEAR`.")
    lines.append("Without geometry an address table does it: `veerkracht ingest cbs-pc6-buurt FILE "
                 f"-o to_version={to_version} -o level=pc4` (CBS pc6huisnr), `veerkracht ingest crosswalk-addresses "
                 f"FILE -o from_version={from_version} -o to_version={to_version}`, or a boundary-change "
                 f"file: `veerkracht ingest grenswijzigingen FILE -o from_version={from_version} "
                 f"-o to_version={to_version}`.")
    return " ".join(lines)
