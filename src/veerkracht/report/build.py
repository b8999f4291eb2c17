"""Assemble the report: run every section (each wrapped), pick the summary, render HTML and PDF.

Summary rule (documented in the report itself): every section proposes findings with a storyline
order (corporation share → gap of vulnerable groups → liveability → tipping point → typology →
concentration → benchmark) and a weight: 2 = a statistically clear signal (a 95% interval that
excludes no-change, intervals that do not overlap, or a turning point found in ≥ 95% of bootstrap
samples); 1 = a substantive count or change (problem or watch-list areas present, a corporation
share change of at least one point, a gemeente in the outer quarter of its peer group); 0 = other.
The five highest weights are kept (ties: storyline order) and shown in storyline order.
"""
from __future__ import annotations

import datetime as _dt
import logging
import time
from pathlib import Path

import jinja2
from markupsafe import Markup

from ..i18n import Message, render
from .context import Ctx, slug
from .plan import Coverage, Unavailable, resolve_region
from .provenance import data_period
from .summary import pick_findings, summary_blocks, write_analyses

__all__ = ["build_report", "section_keys", "pick_findings"]

log = logging.getLogger("veerkracht.report")
#: chapters made only when a corporation is named (``--corporation``)
CORPORATION_ONLY = {"portfolio"}
_TEMPLATES = Path(__file__).parent / "templates"
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True)
_CSS_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=False)


#: hand-written chapters: key, title (message id ``report.title.<key>``), function, order (the
#: analyses they show are not given a generic chapter); every other analysis with a ReportSpec gets
#: one at its own order
def _handwritten():
    from . import sections_areas as a
    from . import sections_data as d
    from . import sections_portfolio as p
    from . import sections_trends as t
    chapters = [("corp", t.corp_and_vulnerable, 10, "corp-profile"), ("liveability", t.liveability, 20, "liveability"),
                ("tipping", t.tipping_points, 30, "tipping-point"), ("typology", a.typology, 40, "typology"),
                ("concentration", a.concentration, 50, "concentration"), ("relative", a.relative, 60, "relative"),
                ("benchmark", a.benchmark, 70, "benchmark"), ("portfolio", p.portfolio, 80, "portfolio"),
                ("data", d.data_section, 90, None)]
    return [(key, Message(f"report.title.{key}"), fn, order, analysis) for key, fn, order, analysis in chapters]


def _sections():
    """The chapters in order: the hand-written ones and one per other analysis in the registry."""
    from .sections_registry import registry_sections
    hand = _handwritten()
    shown = {analysis for *_, analysis in hand if analysis}
    rows = [(order, key, titles, fn) for key, titles, fn, order, _ in hand]
    rows += [(order, key, titles, fn) for key, titles, fn, order in registry_sections(shown)]
    return [(key, titles, fn) for order, key, titles, fn in sorted(rows, key=lambda r: r[0])]


def section_keys() -> list[str]:
    """Every chapter key in order, summary and introduction first (derived from the registry)."""
    return ["summary", "about"] + [key for key, _, _ in _sections()]


def build_report(store, region, corporation: str | None = None, year_from: int | None = None,
                 year_to: int | None = None, lang: str = "nl", out_dir="report", on_section=None) -> dict:
    """Write ``out_dir/report.html`` (self-contained), ``report.pdf`` (A4), ``figures/`` and ``tables/``.

    Parameters
    ----------
    store : Store
    region : str | list[str]
        Area codes (``GM0363``, ``WK036300`` …) or a gemeente name (``"Amsterdam"``).
    corporation : str, optional
        Named on the title page; adds the portfolio chapter (``sections_portfolio``: the hook for the
        portfolio reader; until its data are in the store the chapter says how to load them).
    year_from, year_to : int
        The period; every section uses the years of its data that fall within it.
    lang : 'nl' | 'en'
    on_section : callable(key, title), optional
        Called after each section (progress bars).

    Returns
    -------
    dict with ``html``, ``pdf``, ``figures``, ``tables``, ``sections`` (key → 'ok' | 'partial' |
    'unavailable'), ``pages``, ``findings``, ``map_labels`` (map → labels placed: code, name, box),
    ``map_insets`` (the maps with an inset locator) and ``seconds``.
    """
    if lang not in ("nl", "en"):
        raise ValueError(f"lang must be 'nl' or 'en', not {lang!r}")
    if year_from is None or year_to is None or int(year_from) >= int(year_to):
        raise ValueError(f"need year_from < year_to, got {year_from}–{year_to}")
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    reg = resolve_region(store, region)
    ctx = Ctx(store, reg, Coverage(store, reg, year_from, year_to), lang, out_dir, corporation)

    built, status = [], {}
    for key, title_message, fn in _sections():
        if key in CORPORATION_ONLY and not corporation:
            continue
        title = render(title_message, lang)
        try:
            blocks = fn(ctx)
            status[key] = "partial" if any(b["type"] == "unavailable" for b in blocks) else "ok"
        except Unavailable as e:
            blocks = [{"type": "unavailable", "text": ctx.render("report.na", reason=e.message)}]
            status[key] = "unavailable"
        except Exception:  # a bug: logged with its traceback; the reader sees no exception text
            log.exception("report section %s failed", key)
            blocks = [{"type": "unavailable", "text": ctx.render("report.na", reason=Message("report.na.bug"))}]
            status[key] = "unavailable"
        # the summary never quotes a section that could not be computed
        ctx.findings = [f for f in ctx.findings if status.get(f.section, "ok") != "unavailable"]
        built.append({"key": key, "title": title, "blocks": blocks})
        if on_section:
            on_section(key, title)

    # chapters with nothing to show are not printed as chapters (a page each): they are gathered in
    # one short list in the introduction, each with what is missing and what would supply it
    missing = [s for s in built if status[s["key"]] == "unavailable"]
    built = [s for s in built if status[s["key"]] != "unavailable"]
    about = _about(ctx)
    if missing:
        about.append({"type": "h3", "text": ctx.render("report.about.missing.head")})
        about += [{"type": "unavailable", "text": f"{s['title']} — " + s["blocks"][0]["text"]} for s in missing]
        codes = ",".join(ctx.region.codes)
        about.append({"type": "note", "text": ctx.render("report.about.missing.supply", codes=codes,
                                                          y0=ctx.cov.year_from, y1=ctx.cov.year_to)})
    sections = [{"key": "summary", "title": ctx.render("report.title.summary"), "blocks": summary_blocks(ctx)},
                {"key": "about", "title": ctx.render("report.title.about"), "blocks": about}]
    sections += built
    for i, s in enumerate(sections):
        s["number"] = "" if s["key"] in ("summary", "about") else f"{i - 1}"
        s["id"] = f"sec-{s['key']}"
        s["subs"] = []
        for j, b in enumerate(s["blocks"]):
            if b["type"] == "h3":
                b["id"] = f"{s['id']}-{j}-{slug(b['text'])}"
                s["subs"].append({"id": b["id"], "text": b["text"]})
    status = {"summary": "ok", "about": "ok", **status}
    html, pages = _render(ctx, sections)
    write_analyses(ctx, out_dir)
    res = {"html": str(out_dir / "report.html"), "pdf": str(out_dir / "report.pdf"), "pages": pages,
           "figures": sorted(str(p) for p in ctx.files if p.parent.name == "figures"),
           "tables": sorted(str(p) for p in ctx.files if p.parent.name == "tables"),
           "sections": status, "findings": [f.text for f in pick_findings(ctx.findings)],
           "map_labels": ctx.map_labels, "map_insets": ctx.map_insets,
           "seconds": round(time.perf_counter() - t0, 2)}
    return res


def _about(ctx) -> list[dict]:
    blocks = [{"type": "p", "text": ctx.render("report.about.intro", region=ctx.region.name,
                                               codes=", ".join(ctx.region.codes), period=ctx.period())},
              {"type": "p", "text": ctx.render("report.about.causation")}]
    return blocks


def _render(ctx, sections) -> tuple[str, int]:
    from weasyprint import HTML

    from .. import __version__ as version
    t = ctx.render
    css = Markup(_CSS_ENV.get_template("report.css").render(t=t))   # CSS is ours: not escaped
    span = data_period(ctx)
    data_span = (t("report.doc.data_period.value", y0=span[0], y1=span[1]) if span
                 else t("report.doc.data_period.none"))
    prov = ctx.sources()
    vintages = list(dict.fromkeys(v for v, u in zip(prov["vintage"].fillna(""), prov["use"]) if v and u == "facts"))
    html = _ENV.get_template("report.html").render(
        lang=ctx.lang, t=t, css=css, sections=sections, region_name=ctx.region.name,
        region_codes=", ".join(ctx.region.codes), period=ctx.period(), corporation=ctx.corporation,
        data_span=data_span, vintages=vintages,
        date=_dt.date.today().isoformat(), version=version,
        title=t("report.doc.title", region=ctx.region.name, period=ctx.period()))
    (ctx.out_dir / "report.html").write_text(html, encoding="utf-8")
    doc = HTML(string=html, base_url=None).render()
    doc.write_pdf(ctx.out_dir / "report.pdf")
    return html, len(doc.pages)
