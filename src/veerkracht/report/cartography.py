"""Orientation on the report's static maps: area names as labels and an inset locator.

Labels: the areas that matter are named first (the areas a chapter lists — watch-list, hot spots,
the top of a ranking — in the chapter's order), then the largest areas by surface, up to
:data:`MAX_LABELS`. A label is placed on the area's representative point, or nudged around it; a
label that would overlap another label or leave the map is not drawn (collision-avoiding, greedy in
priority order), so the names that matter win.

Inset: the region (red) within its gemeente(n) (dark grey) and the country (light grey), all drawn
from the store's own geometry: the gemeente polygons of the version with the most gemeente
geometry. Without gemeente geometry there is no inset.
"""
from __future__ import annotations

import textwrap

import pandas as pd

__all__ = ["label_areas", "draw_inset", "MAX_LABELS"]

#: at most this many names on a map; the areas a chapter names come first
MAX_LABELS = 14
#: nudges tried around the representative point (in points), in order
_NUDGES = [(0, 0), (0, 9), (0, -9), (14, 0), (-14, 0), (12, 9), (-12, -9), (12, -9), (-12, 9)]
RD = 28992


def label_areas(fig, ax, gdf, names: pd.Series, priority=(), max_labels: int = MAX_LABELS) -> list[dict]:
    """Write area names on ``ax``; returns ``{code, name, box}`` per label placed, in the order placed
    (``box``: the label's extent in figure pixels, x0, y0, x1, y1).

    ``gdf`` (projected, with ``code``) holds the drawn areas; ``names`` maps code → name;
    ``priority`` the codes to name first.
    """
    import matplotlib.patheffects as pe

    if gdf.empty:
        return []
    area = gdf.geometry.area
    by_size = list(gdf.loc[area.sort_values(ascending=False).index, "code"])
    known = set(gdf["code"])
    order = list(dict.fromkeys([c for c in priority if c in known] + by_size))
    points = dict(zip(gdf["code"], gdf.geometry.representative_point()))
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    placed, done = [], []
    halo = [pe.withStroke(linewidth=2.2, foreground="white")]
    for code in order:
        if len(done) >= max_labels:
            break
        name = names.get(code)
        if not isinstance(name, str) or not name.strip() or name == code:
            continue
        # wrap at spaces and after a slash ('Weesperbuurt/Plantage'), never inside a word
        lines = textwrap.wrap(name.replace("/", "/ "), 18, break_long_words=False)
        text = "\n".join(x.replace("/ ", "/") for x in lines[:2])
        p = points[code]
        for dx, dy in _NUDGES:
            t = ax.annotate(text, (p.x, p.y), xytext=(dx, dy), textcoords="offset points", ha="center",
                            va="center", fontsize=6.8, color="#111111", path_effects=halo, zorder=5,
                            fontweight="bold" if code in priority else "normal")
            box = t.get_window_extent(renderer).expanded(1.05, 1.1)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if inside and not any(box.overlaps(b) for b in placed):
                placed.append(box)
                done.append({"code": code, "name": name, "box": [float(box.x0), float(box.y0), float(box.x1),
                                                                  float(box.y1)]})
                break
            t.remove()
    return done


def gemeente_context(ctx):
    """(country, the region's gemeenten) as two simplified RD New shapes from the gemeente polygons of
    the store version with the most gemeente geometry (that holds the region's gemeenten), cached on
    ``ctx``; None when the store has no gemeente geometry."""
    if "inset" not in ctx.cache:
        g = ctx.store.areas(level="gemeente", geometry=True)
        g = g[g.geometry.notna() & ~g.geometry.is_empty] if len(g) else g
        if len(g) == 0:
            ctx.cache["inset"] = None
        else:
            counts = g.groupby("geo_version").size()
            has = g[g["code"].isin(set(ctx.region.gemeenten))].groupby("geo_version")["code"].nunique()
            best = max(counts.index, key=lambda v: (has.get(v, 0), v))        # the newest that holds them
            g = g[g["geo_version"] == best].to_crs(RD)
            g = g.set_geometry(g.geometry.simplify(200).buffer(0))      # 200 m: invisible at inset size
            mine = g[g["code"].isin(ctx.region.gemeenten)]
            ctx.cache["inset_version"] = best
            ctx.cache["inset"] = (g.geometry.union_all().simplify(300),
                                  mine.geometry.union_all().simplify(100) if len(mine) else None)
    return ctx.cache["inset"]


def draw_inset(fig, ctx, region_geom, rect=(0.70, 0.04, 0.27, 0.30)) -> bool:
    """An inset locator at ``rect`` (figure fraction): the country, the region's gemeenten and the
    region itself. Returns False (and draws nothing) without gemeente geometry."""
    ctx_shapes = gemeente_context(ctx)
    if ctx_shapes is None or region_geom is None or region_geom.is_empty:
        return False
    country, mine = ctx_shapes
    ctx.drawn.add((ctx.cache["inset_version"], "gemeente"))
    ax = fig.add_axes(list(rect))
    _fill(ax, country, "#e4e4e4")
    if mine is not None:
        _fill(ax, mine, "#9a9a9a")
    _fill(ax, region_geom.simplify(50), "#b2182b")
    # a small region in a big country: a red box around it so it can be found
    x0, y0, x1, y1 = region_geom.bounds
    X0, Y0, X1, Y1 = country.bounds
    if (x1 - x0) < 0.08 * (X1 - X0):
        pad = 0.04 * (X1 - X0)
        ax.plot([x0 - pad, x1 + pad, x1 + pad, x0 - pad, x0 - pad], [y0 - pad, y0 - pad, y1 + pad, y1 + pad, y0 - pad],
                color="#b2182b", linewidth=0.8)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(ctx.render("report.map.inset"), fontsize=7.5, color="#444444", loc="left")
    return True


def _fill(ax, geom, colour: str) -> None:
    """Fill the outer rings of ``geom`` (holes do not show at inset size); faster than GeoSeries.plot."""
    parts = getattr(geom, "geoms", [geom])
    for part in parts:
        if part.geom_type == "Polygon" and part.area > 0:
            x, y = part.exterior.xy
            ax.fill(x, y, color=colour, linewidth=0)
        elif hasattr(part, "geoms"):
            _fill(ax, part, colour)
