"""The optional basemap under the social map: ``veerkracht serve --basemap none|pdok|URL``.

The default is ``none``: the page then loads nothing from outside the app. A basemap is fetched by the
user's browser from the server the user names, so it is only ever there when asked for:

- ``pdok`` — the PDOK BRT-Achtergrondkaart (Kadaster, CC BY 4.0) as XYZ raster tiles in Web Mercator,
  the grey style (``pdok:standaard``, ``pdok:pastel`` and ``pdok:water`` pick another);
- a URL with ``{z}``, ``{x}`` and ``{y}`` — any XYZ raster tile template (256-pixel tiles);
- any other ``http(s)://`` URL — a MapLibre style (JSON); the map's layers are drawn on top of it.

>>> resolve_basemap("none") is None
True
>>> resolve_basemap("pdok")["tiles"][0].endswith("/grijs/EPSG:3857/{z}/{x}/{y}.png")
True
"""
from __future__ import annotations

from urllib.parse import urlsplit

from ..errors import VeerkrachtError

__all__ = ["resolve_basemap", "basemap_script", "PDOK_TEMPLATE", "PDOK_STYLES", "PDOK_ATTRIBUTION"]

PDOK_TEMPLATE = "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/{style}/EPSG:3857/{{z}}/{{x}}/{{y}}.png"
PDOK_STYLES = ("grijs", "standaard", "pastel", "water")
PDOK_ATTRIBUTION = "Achtergrond: BRT-Achtergrondkaart © Kadaster (PDOK), CC BY 4.0"


def resolve_basemap(spec: str | None) -> dict | None:
    """What the page needs to draw the basemap ``spec`` names, or None for ``none``.

    Returns ``{"kind": "raster", "tiles": [template], "attribution": …}`` or
    ``{"kind": "style", "url": …}``; raises :class:`VeerkrachtError` for anything else.
    """
    s = (spec or "none").strip()
    if s.lower() in ("", "none", "geen"):
        return None
    if s.lower() == "pdok" or s.lower().startswith("pdok:"):
        style = s.split(":", 1)[1].lower() if ":" in s else "grijs"
        if style not in PDOK_STYLES:
            raise VeerkrachtError(f"unknown PDOK style {style!r}; choose one of {', '.join(PDOK_STYLES)}")
        return {"kind": "raster", "tiles": [PDOK_TEMPLATE.format(style=style)], "attribution": PDOK_ATTRIBUTION,
                "max_zoom": 19}
    parts = urlsplit(s)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise VeerkrachtError(f"--basemap {s!r}: give none, pdok, an XYZ tile URL with {{z}}/{{x}}/{{y}}, "
                              "or a MapLibre style URL (http or https)")
    if all(k in s for k in ("{z}", "{x}", "{y}")):
        return {"kind": "raster", "tiles": [s], "attribution": parts.netloc, "max_zoom": 19}
    return {"kind": "style", "url": s}


def basemap_script(basemap: dict | None) -> str:
    """The ``<script>`` that hands the resolved basemap to the page (``window.BASEMAP``)."""
    import json
    return "<script>window.BASEMAP=" + json.dumps(basemap).replace("</", "<\\/") + ";</script>\n"
