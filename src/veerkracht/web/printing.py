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

__all__ = ["render_pdf"]

_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                          autoescape=True)
_STATUS = {"suppressed": ("Onderdrukt (kleine aantallen)", "Suppressed (small numbers)"),
           "missing": ("Geen gegevens", "No data"), "unreliable": ("Onzeker (vervaagd)", "Uncertain (faded)")}


def render_pdf(view: dict, png: bytes, provenance, lang: str = "nl") -> bytes:
    from weasyprint import HTML

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
