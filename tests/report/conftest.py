"""Fixtures for the report tests: the reports made from the bundled demo store (``demo_store``, built once
in ``tests/conftest.py``).

Every expected number is computed in the tests from the store or the analyses, never typed in.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


def _build(store, out: Path, **kw) -> dict:
    from veerkracht.report import build_report
    return build_report(store, out_dir=out, **kw)


@pytest.fixture(scope="session")
def report_nl(demo_store, tmp_path_factory):
    """The issue's check: GM0363, 2005–2017, Dutch, with a corporation named."""
    out = tmp_path_factory.mktemp("report_nl")
    return _build(demo_store, out, region=["GM0363"], year_from=2005, year_to=2017, lang="nl",
                  corporation="Woonstichting De Proef")


@pytest.fixture(scope="session")
def report_en(demo_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("report_en")
    return _build(demo_store, out, region=["GM0363"], year_from=2005, year_to=2017, lang="en")


@pytest.fixture(scope="session")
def report_gemeente(demo_store, tmp_path_factory):
    """A gemeente on cbs2023 that only has gemeente-level figures (corp_share, dwellings …)."""
    out = tmp_path_factory.mktemp("report_gm")
    return _build(demo_store, out, region="Groningen", year_from=2020, year_to=2025, lang="nl")


@pytest.fixture(scope="session")
def report_no_lbm(demo_store, tmp_path_factory):
    """GM0363 in a period with one Leefbaarometer year only (2014) and one benefit year (2013)."""
    out = tmp_path_factory.mktemp("report_nolbm")
    return _build(demo_store, out, region=["GM0363"], year_from=2013, year_to=2015, lang="nl")


def pdf_text(pdf: str) -> str:
    """The PDF's text with whitespace collapsed (line breaks do not split a number)."""
    out = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


def html_text(html_path: str) -> str:
    import html as _html
    import re
    raw = Path(html_path).read_text(encoding="utf-8")
    raw = re.sub(r"<style>.*?</style>", " ", raw, flags=re.S)
    raw = re.sub(r'src="data:[^"]*"', " ", raw)
    return " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())
