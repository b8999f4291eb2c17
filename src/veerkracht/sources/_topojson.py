"""A small, vectorised TopoJSON decoder for polygon layers (no ``topojson`` dependency).

TopoJSON stores shared boundaries once as *arcs*. A quantised topology has a ``transform``
(``scale``, ``translate``) and delta-encoded arcs: the first position is absolute in grid units and
every next position is an offset from the previous one. A ring is a list of arc indices; index
``~i`` (= ``-i - 1``) means arc ``i`` reversed. Consecutive arcs share their end/start point, so the
first point of every arc but the first is dropped when a ring is stitched together.
"""
from __future__ import annotations

import numpy as np
import shapely

__all__ = ["decode_arcs", "decode_object"]


def decode_arcs(topology: dict) -> tuple[np.ndarray, np.ndarray]:
    """All arc positions as one ``(n, 2)`` float array plus the start offset of each arc.

    Returns ``(coords, offsets)`` where arc ``i`` is ``coords[offsets[i]:offsets[i + 1]]``.
    """
    arcs = topology.get("arcs")
    if not isinstance(arcs, list) or not all(isinstance(a, list) and a for a in arcs):
        raise ValueError("the topology has no 'arcs' list of point lists")
    if not all(isinstance(p, list) and len(p) >= 2 for a in arcs for p in a):
        raise ValueError("an arc holds a point that is not [x, y]")
    lengths = np.fromiter((len(a) for a in arcs), dtype=np.int64, count=len(arcs))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    flat = np.array([p[:2] for a in arcs for p in a], dtype=np.float64).reshape(-1, 2)
    transform = topology.get("transform")
    if transform is not None and not (isinstance(transform, dict) and _pair(transform.get("scale"))
                                      and _pair(transform.get("translate"))):
        raise ValueError("the topology's transform needs 'scale' and 'translate', each [x, y]")
    if transform:
        # delta decoding: cumulative sum within each arc = global cumsum minus the sum before the arc
        csum = np.cumsum(flat, axis=0)
        before = np.vstack([[0.0, 0.0], csum])[offsets[:-1]]
        flat = csum - np.repeat(before, lengths, axis=0)
        flat = flat * np.asarray(transform["scale"], dtype=np.float64) + np.asarray(
            transform["translate"], dtype=np.float64)
    return flat, offsets


def _pair(v) -> bool:
    return isinstance(v, list) and len(v) == 2 and all(isinstance(x, (int, float)) for x in v)


def _ring_index(refs: np.ndarray, first_in_ring: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Indices into the arc coordinates that stitch the arc references ``refs`` into rings."""
    arc = np.where(refs >= 0, refs, ~refs)
    reverse = refs < 0
    length = offsets[arc + 1] - offsets[arc]
    skip = (~first_in_ring).astype(np.int64)          # shared point with the previous arc
    n = length - skip
    starts = np.concatenate([[0], np.cumsum(n)[:-1]])
    k = np.arange(n.sum()) - np.repeat(starts, n)      # position within the contributed piece
    pos = k + np.repeat(skip, n)                        # position within the (oriented) arc
    rev = np.repeat(reverse, n)
    a_start = np.repeat(offsets[arc], n)
    a_len = np.repeat(length, n)
    return np.where(rev, a_start + a_len - 1 - pos, a_start + pos)


def _check_rings(points: np.ndarray, ring_off: np.ndarray, ring_feature: list[int]) -> None:
    """Every stitched ring has ≥ 4 positions and ends where it starts (else GEOS cannot build it)."""
    if len(ring_off) < 2:
        return
    n = np.diff(ring_off)
    short = n < 4
    start, end = ring_off[:-1], np.maximum(ring_off[1:] - 1, 0)
    open_ = ~short & ~(points[np.minimum(start, len(points) - 1)] == points[end]).all(axis=1) if len(points) else short
    bad = short | open_
    if bad.any():
        k = int(np.argmax(bad))
        what = f"has {n[k]} positions, a ring needs at least 4" if short[k] else "does not end where it starts"
        raise ValueError(f"feature {ring_feature[k]}: a ring of its arcs {what}")


def decode_object(topology: dict, name: str | None = None):
    """Decode one polygon object of ``topology`` into shapely geometries and properties.

    Parameters
    ----------
    topology : dict
        The parsed TopoJSON document.
    name : str, optional
        The object to decode; default the first one.

    Returns
    -------
    geometries : numpy.ndarray of shapely geometries (``None`` for a null geometry)
    properties : list of dict (each geometry's ``properties``, with ``id`` when present)
    types : list of str (the TopoJSON type of each geometry, ``None`` for null)

    Raises
    ------
    ValueError
        When the object is missing or a geometry is not a (Multi)Polygon; the message names the
        1-based feature number.
    """
    objects = topology.get("objects") if isinstance(topology, dict) else None
    if not isinstance(objects, dict) or not objects:
        raise ValueError("the topology has no objects")
    name = name or next(iter(objects))
    if name not in objects:
        raise ValueError(f"the topology has no object {name!r}; it has {', '.join(objects)}")
    obj = objects[name]
    if not isinstance(obj, dict):
        raise ValueError(f"object {name!r} is not a TopoJSON object")
    geoms = obj.get("geometries", [obj]) if obj.get("type") == "GeometryCollection" else [obj]
    if not isinstance(geoms, list) or not all(isinstance(g, dict) for g in geoms):
        raise ValueError(f"object {name!r}: geometries must be a list of objects")
    coords, offsets = decode_arcs(topology)

    # flatten: geometry -> polygons -> rings -> arc refs
    refs, first, ring_len, poly_rings, geom_polys, types, props, ring_feature = [], [], [], [], [], [], [], []
    for i, g in enumerate(geoms, start=1):
        gtype = g.get("type")
        p = dict(g.get("properties") or {})
        if "id" in g:
            p.setdefault("id", g["id"])
        props.append(p)
        types.append(gtype)
        if gtype is None or not g.get("arcs"):
            geom_polys.append(0)
            continue
        if gtype == "Polygon":
            polys = [g["arcs"]]
        elif gtype == "MultiPolygon":
            polys = g["arcs"]
        else:
            raise ValueError(f"feature {i}: geometry type {gtype} is not a Polygon or MultiPolygon")
        if not (isinstance(polys, list) and all(isinstance(p, list) and p and all(
                isinstance(r, list) and r and all(isinstance(a, int) and not isinstance(a, bool) for a in r)
                for r in p) for p in polys)):
            raise ValueError(f"feature {i}: arcs of a {gtype} must be nested "
                             f"{'[[ring]]' if gtype == 'Polygon' else '[[[ring]]]'} lists of arc numbers")
        bad = [a for p in polys for r in p for a in r if not -len(offsets) < a < len(offsets) - 1]
        if bad:
            raise ValueError(f"feature {i}: arc number {bad[0]} does not exist (the topology has "
                             f"{len(offsets) - 1} arcs)")
        geom_polys.append(len(polys))
        for poly in polys:
            poly_rings.append(len(poly))
            for ring in poly:
                first.extend([True] + [False] * (len(ring) - 1))
                refs.extend(ring)
                ring_len.append(len(ring))
                ring_feature.append(i)
    refs_a = np.asarray(refs, dtype=np.int64)
    first_a = np.asarray(first, dtype=bool)
    idx = _ring_index(refs_a, first_a, offsets) if len(refs_a) else np.zeros(0, dtype=np.int64)
    # points per ring = sum of contributed points of its arc refs
    arc = np.where(refs_a >= 0, refs_a, ~refs_a)
    contributed = offsets[arc + 1] - offsets[arc] - (~first_a)
    ring_ends = np.cumsum(ring_len)
    ring_points = np.add.reduceat(contributed, ring_ends - np.asarray(ring_len)) if len(ring_len) else []
    ring_off = np.concatenate([[0], np.cumsum(ring_points)]).astype(np.int64)
    _check_rings(coords[idx], ring_off, ring_feature)
    poly_off = np.concatenate([[0], np.cumsum(poly_rings)]).astype(np.int64)
    geom_off = np.concatenate([[0], np.cumsum(geom_polys)]).astype(np.int64)
    multi = shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, coords[idx],
                                      (ring_off, poly_off, geom_off))
    out = np.empty(len(geoms), dtype=object)
    for i, (gtype, m) in enumerate(zip(types, multi)):
        if gtype is None or geom_polys[i] == 0:
            out[i] = None
        elif gtype == "Polygon":
            out[i] = shapely.get_geometry(m, 0)
        else:
            out[i] = m
    return out, props, types
