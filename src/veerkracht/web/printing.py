"""The print page: the map image the browser made, with title, legend and source line, as PDF.

Rendered locally with Jinja2 + WeasyPrint; the page references nothing outside itself (the map
is embedded as a data URL, fonts are the system's), so nothing leaves the machine.
"""
from __future__ import annotations

import base64
import datetime as _dt
from pathlib import Path

import jinja2

from ..maps.legend import legend_rows

__all__ = ["render_pdf", "check_png", "fit_for_print", "MAX_SIDE", "MAX_PIXELS", "PRINT_PIXELS"]

#: the largest map image accepted: a 4K screen's canvas at device pixel ratio 1 and more than a full
#: HD one at ratio 2; checked in the PNG header, before anything is decoded
MAX_SIDE = 8192
MAX_PIXELS = 16_000_000
#: larger images are reduced to at most this many pixels before WeasyPrint (a dpr-2 laptop screen keeps every pixel)
PRINT_PIXELS = 6_000_000

_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                          autoescape=True)
_STATUS = {"suppressed": ("Onderdrukt (kleine aantallen)", "Suppressed (small numbers)"),
           "missing": ("Geen gegevens", "No data"), "unreliable": ("Onzeker (vervaagd)", "Uncertain (faded)")}


def check_png(raw: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk; :class:`ViewError` when too large to decode.

    A PNG of a few hundred KB can hold a plain image of 100 megapixels (400 MB once decoded), so the
    size is read from the header, never by decoding."""
    from ..i18n import Message, render
    from ..maps.catalog import ViewError

    if len(raw) < 24 or raw[12:16] != b"IHDR":
        raise ViewError("image is not a PNG")
    width, height = int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS or not width or not height:
        raise ViewError(render(Message("error.print_image_too_large", {
            "width": width, "height": height, "max_side": MAX_SIDE, "max_mp": MAX_PIXELS // 1_000_000}), "en"),
            status=413)
    return width, height


def fit_for_print(png: bytes) -> bytes:
    """The PNG itself when it has at most :data:`PRINT_PIXELS` pixels, else a copy reduced by a whole
    factor (2×2 or more pixels averaged into one).

    WeasyPrint needs ~10 bytes a pixel for an RGBA image (decoded, alpha split off, both re-encoded);
    decoding here (4) and averaging strip by strip by a whole factor needs little more, and leaves
    WeasyPrint a quarter or less. (A LANCZOS resize to an exact size, or one ``reduce`` of the whole
    RGBA image, cost more than it saved: 270 and 240 MB for 14.4 MP.)
    """
    import io
    import math

    from PIL import Image

    width, height = check_png(png)
    if width * height <= PRINT_PIXELS:
        return png
    factor = math.ceil(math.sqrt(width * height / PRINT_PIXELS))
    with Image.open(io.BytesIO(png)) as im:
        im.load()
        small = Image.new(im.mode, (math.ceil(width / factor), math.ceil(height / factor)))
        step = factor * 128     # in strips: reducing a whole RGBA image first copies it premultiplied
        for y in range(0, height, step):
            small.paste(im.crop((0, y, width, min(y + step, height))).reduce(factor), (0, y // factor))
    out = io.BytesIO()
    small.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def render_pdf(view: dict, png: bytes, provenance, lang: str = "nl") -> bytes:
    from weasyprint import HTML

    png = fit_for_print(png)

    counts = view["table"]["status"].value_counts().to_dict() if "table" in view else {}
    status = [{"key": k, "text": _STATUS[k][lang == "en"], "n": int(counts.get(k, 0))} for k in _STATUS]
    vintages = sorted({f"{r.kind}: {r.vintage}" if r.vintage else str(r.kind) for r in provenance.itertuples()})
    html = _ENV.get_template("print.html").render(
        lang=lang, title=view["title"], unit=view["unit"], legend=legend_rows(view, lang), status=status,
        available=view.get("available", True), message=view.get("message", ""), notes=view.get("notes", []),
        sources=view.get("sources", []), vintages=vintages,
        image="data:image/png;base64," + base64.b64encode(png).decode(),
        date=_dt.date.today().isoformat(), params=view["params"])
    return HTML(string=html, base_url=None).write_pdf()
