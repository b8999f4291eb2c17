"""Crosswalks between geography versions: from geometry overlay, from address counts, composed.

A crosswalk row says which share (``weight``) of a source area's basis (area, addresses …) lies in
a target area, and how much that is (``amount``). The weights of one source sum to 1.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..sources.crosswalk_file import address_crosswalk, validate_weights
from ..store.schema import CROSSWALK_COLUMNS, normalise_crosswalk

__all__ = ["overlay_crosswalk", "address_crosswalk", "compose", "lineage", "identical_pairs",
           "validate_weights"]


def _geoms(gdf: gpd.GeoDataFrame, crs) -> np.ndarray:
    g = gdf.geometry if gdf.crs is None or gdf.crs == crs else gdf.geometry.to_crs(crs)
    return np.asarray(g.values, dtype=object)


def identical_pairs(src_codes, src_geoms, dst_codes, dst_geoms, tolerance: float = 0.001) -> np.ndarray:
    """For each source: the index of the target with the same code and (near-)identical geometry, or -1.

    Identical means equal coordinates, or a symmetric difference below ``tolerance`` of the
    source's area (computed only for the few same-code pairs whose areas already agree).
    """
    pos = pd.Index(dst_codes).get_indexer(src_codes)
    out = np.full(len(src_codes), -1, dtype=np.int64)
    i_s = np.flatnonzero(pos >= 0)
    if not len(i_s):
        return out
    i_d = pos[i_s]
    a, b = src_geoms[i_s], dst_geoms[i_d]
    same = shapely.equals_exact(a, b, tolerance=0.0)
    area_a, area_b = shapely.area(a), shapely.area(b)
    maybe = ~same & (np.abs(area_a - area_b) <= tolerance * area_a)
    if maybe.any():
        sym = shapely.area(shapely.symmetric_difference(a[maybe], b[maybe]))
        same[np.flatnonzero(maybe)[sym < tolerance * area_a[maybe]]] = True
    out[i_s[same]] = i_d[same]
    return out


def _point_pieces(points: gpd.GeoDataFrame, point_weight, crs, src_g, dst_g):
    """(source index, target index, count) for every point, each point in one source and one target."""
    pg = _geoms(points, crs)
    count = (points[point_weight].to_numpy(dtype=float) if point_weight else np.ones(len(pg)))
    located = []
    for geoms in (src_g, dst_g):
        pi, gi = shapely.STRtree(geoms).query(pg, predicate="intersects")
        first = np.unique(pi, return_index=True)[1]        # a point on a shared edge counts once
        idx = np.full(len(pg), -1, dtype=np.int64)
        idx[pi[first]] = gi[first]
        located.append(idx)
    s_idx, d_idx = located
    ok = (s_idx >= 0) & (d_idx >= 0)
    return s_idx[ok], d_idx[ok], count[ok], int((~ok).sum())


def overlay_crosswalk(src: gpd.GeoDataFrame, dst: gpd.GeoDataFrame, from_version: str, to_version: str,
                      basis: str = "area", points: gpd.GeoDataFrame | None = None,
                      point_weight: str | None = None, min_share: float = 0.001, crs=28992,
                      identical_tolerance: float = 0.001, same_code_same_area: bool = False,
                      min_coverage: float = 0.5) -> pd.DataFrame:
    """Crosswalk from ``src`` to ``dst`` areas by geometry.

    Parameters
    ----------
    src, dst : areas frames with a ``code`` column (unique codes), any CRS.
    basis : ``'area'`` (intersection areas in ``crs``, equal-area for NL) or the name of a point
        basis (``'addresses'``, ``'dwellings'``); the latter needs ``points``.
    points : point GeoDataFrame; ``point_weight`` names its count column (default 1 per point).
    min_share : pieces below this share of the source are dropped (slivers of differently
        generalised layers); the rest is renormalised so that the weights of each source sum to 1.
    min_coverage : a source whose kept pieces cover less than this share of it lies (mostly) outside
        the target map — e.g. a Diemen wijk against a map of Amsterdam only — and is *unmatched*, not
        renormalised to weight 1 (which would move all its residents into the few target areas it
        touches). Sources covered between ``min_coverage`` and 99 % are kept and listed in
        ``attrs['report']['partial']``.
    crs : the equal-area projection for the overlay (default RD New, EPSG:28992).
    identical_tolerance : a same-code pair whose symmetric difference is below this share of the
        area is taken as unchanged (weight 1) without an overlay.
    same_code_same_area : take every code present in both versions as the same area (weight 1),
        whatever its drawn geometry; only codes that appear in one version are overlaid. Right for
        gemeenten, whose codes change when their territory does, and necessary when the two versions
        are generalised differently: an overlay of two generalisations moves whole percents of a
        gemeente into its neighbours.

    Returns
    -------
    DataFrame with :data:`CROSSWALK_COLUMNS`. ``attrs['unmatched']`` lists the source codes that
    received no target (no overlap, no points, or coverage below ``min_coverage``);
    ``attrs['report']`` counts identical pairs, overlaid sources, pieces, dropped slivers and the
    share of the overlaid basis they held (``sliver_share``), sources left out for low coverage
    (``low_coverage``, with codes in ``attrs['low_coverage']``) and partly covered sources (``partial``).
    """
    if basis != "area" and points is None:
        raise ValueError(f"basis {basis!r} needs points=; use basis='area' for an area overlay")
    src_g, dst_g = _geoms(src, crs), _geoms(dst, crs)
    src_c, dst_c = src["code"].astype(str).to_numpy(), dst["code"].astype(str).to_numpy()
    match = identical_pairs(src_c, src_g, dst_c, dst_g, identical_tolerance)
    if same_code_same_area:
        pos = pd.Series(np.arange(len(dst_c)), index=dst_c)
        by_code = pos.reindex(src_c).to_numpy()
        found = ~np.isnan(by_code)
        match = np.where((match < 0) & found, np.nan_to_num(by_code, nan=-1).astype(match.dtype), match)
    rest = np.flatnonzero(match < 0)
    same = np.flatnonzero(match >= 0)

    if basis == "area":
        src_total = shapely.area(src_g)
        si, di = shapely.STRtree(dst_g).query(src_g[rest], predicate="intersects")
        si = rest[si]
        amount = shapely.area(shapely.intersection(src_g[si], dst_g[di]))
        n_points_out = 0
    else:
        ps, pd_, pc, n_points_out = _point_pieces(points, point_weight, crs, src_g, dst_g)
        src_total = np.bincount(ps, weights=pc, minlength=len(src_g))
        keep = match[ps] < 0                                 # identical sources are settled already
        key = ps[keep].astype(np.int64) * len(dst_g) + pd_[keep]
        uniq, inv = np.unique(key, return_inverse=True)
        si, di = uniq // len(dst_g), uniq % len(dst_g)
        amount = np.bincount(inv, weights=pc[keep], minlength=len(uniq))

    share = np.divide(amount, src_total[si], out=np.zeros_like(amount), where=src_total[si] > 0)
    kept = share >= min_share
    sliver_share = float(amount[~kept].sum() / max(amount.sum(), 1e-300)) if len(amount) else 0.0
    n_slivers = int((~kept).sum())
    si, di, amount = si[kept], di[kept], amount[kept]
    kept_total = np.bincount(si, weights=amount, minlength=len(src_g))
    coverage = np.divide(kept_total, src_total, out=np.zeros(len(src_g)), where=src_total > 0)
    low = np.zeros(len(src_g), dtype=bool)
    low[np.unique(si)] = True
    low &= coverage < min_coverage                    # touches the target map only at its edge
    keep_piece = ~low[si]
    si, di, amount = si[keep_piece], di[keep_piece], amount[keep_piece]
    weight = amount / kept_total[si]
    partial = np.unique(si[coverage[si] < 0.99])
    frame = pd.DataFrame({
        "from_code": np.concatenate([src_c[same], src_c[si]]),
        "to_code": np.concatenate([dst_c[match[same]], dst_c[di]]),
        "weight": np.concatenate([np.ones(len(same)), weight]),
        "amount": np.concatenate([src_total[same], weight * src_total[si]]),
    })
    frame["from_version"], frame["to_version"], frame["basis"] = from_version, to_version, basis
    out = normalise_crosswalk(frame[CROSSWALK_COLUMNS].sort_values(["from_code", "to_code"]))
    unmatched = sorted(set(src_c[rest]) - set(src_c[si]))
    out.attrs["unmatched"] = unmatched
    out.attrs["low_coverage"] = sorted(src_c[low])
    out.attrs["coverage"] = pd.Series(coverage[rest], index=src_c[rest])
    out.attrs["report"] = {"identical": int(len(same)), "overlaid": int(len(rest)),
                           "pieces": int(len(si)), "slivers_dropped": n_slivers,
                           "sliver_share": round(sliver_share, 6), "low_coverage": int(low.sum()),
                           "partial": int(len(partial)), "unmatched": len(unmatched),
                           "points_outside": n_points_out}
    return out


def compose(cw_ab: pd.DataFrame, cw_bc: pd.DataFrame) -> pd.DataFrame:
    """Chain a→b and b→c into a→c: weights multiply, amounts are scaled by the b→c weight.

    The basis is kept when both agree, else written ``'addresses>area'``. Mass that reaches a b
    code absent from ``cw_bc`` is lost; ``attrs['lost']`` gives the lost weight per a code
    (those sources then sum to less than 1).
    """
    vb = set(cw_ab["to_version"]) | set(cw_bc["from_version"])
    if len(vb) != 1:
        raise ValueError(f"cannot compose: a→b ends in {sorted(set(cw_ab['to_version']))} but b→c "
                         f"starts in {sorted(set(cw_bc['from_version']))}")
    bc = cw_bc.rename(columns={"from_code": "to_code", "to_code": "c_code", "weight": "w_bc",
                               "to_version": "c_version", "basis": "basis_bc"})
    m = cw_ab.merge(bc[["to_code", "c_code", "w_bc", "c_version", "basis_bc"]], on="to_code", how="left")
    lost = m[m["c_code"].isna()].groupby("from_code")["weight"].sum()
    m = m[m["c_code"].notna()].copy()
    m["weight"] = m["weight"] * m["w_bc"]
    m["amount"] = m["amount"] * m["w_bc"]
    m["basis"] = np.where(m["basis"] == m["basis_bc"], m["basis"], m["basis"] + ">" + m["basis_bc"])
    out = (m.groupby(["from_version", "from_code", "c_version", "c_code", "basis"], as_index=False)
            [["weight", "amount"]].sum(min_count=1)
            .rename(columns={"c_version": "to_version", "c_code": "to_code"}))
    out = normalise_crosswalk(out)
    out.attrs["lost"] = lost
    return out


def lineage(crosswalk: pd.DataFrame, to_code: str) -> pd.DataFrame:
    """Which source areas make up target ``to_code``: weight (share of the source) and share of the target.

    ``share_of_target`` = the piece's amount / the target's total amount (NaN without amounts).
    """
    rows = crosswalk[crosswalk["to_code"] == to_code]
    out = rows[["from_version", "from_code", "to_version", "weight", "amount", "basis"]].copy()
    total = out["amount"].sum(min_count=1)
    out["share_of_target"] = out["amount"] / total if pd.notna(total) and total > 0 else np.nan
    return out.sort_values("share_of_target", ascending=False, na_position="last").reset_index(drop=True)
