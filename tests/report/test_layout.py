"""Flow and white space: chapters flow (no page per chapter), measured on the rendered pages.

A page is *filled* as far as its content reaches down the body (``page_fill`` in conftest: pdftoppm,
inked rows inside the margins). No page is under 30 % filled except a *chapter end*: the last page
before a forced page break — the title page, the table of contents and the summary, which stand on
their own — and the report's last page. Every other page break falls where the flow puts it.
"""
from __future__ import annotations

import subprocess

import pytest

from .conftest import page_fill

MIN_FILL = 0.30


def _page_texts(pdf: str, n: int) -> list[str]:
    return [" ".join(subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), pdf, "-"], capture_output=True,
                                    text=True, check=True).stdout.split()) for i in range(1, n + 1)]


def chapter_ends(pdf: str, n: int, lang: str = "nl") -> set[int]:
    """The pages (1-based) that may end short: title page, contents, the summary's last page, the last page."""
    texts = _page_texts(pdf, n)
    rule = "Hoe gekozen:" if lang == "nl" else "How chosen:"
    contents = "Inhoud" if lang == "nl" else "Contents"
    ends = {1, n}
    ends |= {i + 1 for i, t in enumerate(texts) if t.startswith(contents) or f" {contents} " in t[:80]}
    ends |= {i + 1 for i, t in enumerate(texts) if rule in t}
    return ends


@pytest.mark.parametrize("which", ["report_nl", "report_utrecht", "report_gemeente"])
def test_no_page_is_under_30_percent_filled_except_chapter_ends(which, request):
    res = request.getfixturevalue(which)
    fill = page_fill(res["pdf"])
    assert len(fill) == res["pages"]
    ends = chapter_ends(res["pdf"], res["pages"])
    assert 1 in ends and res["pages"] in ends and len(ends) <= 4
    short = {i + 1: round(f["fill"], 2) for i, f in enumerate(fill) if f["fill"] < MIN_FILL}
    assert set(short) <= ends, (short, ends)
    # the body pages (everything after the summary) are mostly full: chapters do not start a page each
    body = [f["fill"] for i, f in enumerate(fill) if i + 1 not in ends]
    assert sum(body) / len(body) >= 0.7, body


def test_chapters_flow_and_the_summary_stands_alone(report_nl):
    import html
    import re
    from pathlib import Path
    heads = [html.unescape(h).strip() for h in re.findall(r"<h2>(.*?)</h2>",
                                                           Path(report_nl["html"]).read_text(encoding="utf-8"))]
    assert len(heads) >= 8
    lines = [subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), report_nl["pdf"], "-"], capture_output=True,
                            text=True, check=True).stdout.splitlines() for i in range(1, report_nl["pages"] + 1)]
    per_page = [[h for h in heads if h in {x.strip() for x in page}] for page in lines]
    # chapters flow: no style forces a page break before a chapter (only the title page, the contents and
    # the summary end their page); whether a title then shares a page with the previous chapter depends on
    # the figures around it (page fill is asserted in test_no_page_under_30_percent_except_chapter_ends)
    css = (Path(__file__).parents[2] / "src" / "veerkracht" / "report" / "templates" / "report.css").read_text()
    forced = re.findall(r"([^{}]+)\{[^}]*page-break-(?:before|after):\s*always", css)
    assert sorted(x.strip() for x in forced) == [".title-page", "nav.toc", "section#sec-summary"], forced
    # the summary stands alone: the page it ends on holds no other chapter title
    summary = next(h for h in per_page if heads[0] in h)
    assert summary == [heads[0]]
    # 22 pages for 10 chapters when every chapter started a page; on average under two pages a chapter now
    assert report_nl["pages"] < 2 * len(heads), (report_nl["pages"], len(heads))
