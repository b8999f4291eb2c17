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


@pytest.fixture(scope="session")
def two_city_store(tmp_path_factory, real_data):
    """The demo store (Amsterdam, all gemeenten) plus Utrecht's buurten from the real KWB 2023 and 2024
    files (both on the 2023 indeling: the 111 buurt codes are the same, tests/data/real/SOURCES.md) with
    their 2019 boundaries (the same 111 codes) — a store holding two cities."""
    from veerkracht.demo import build_demo_store
    from veerkracht.sources import read
    from veerkracht.store import open_store

    path = tmp_path_factory.mktemp("twocity") / "two.duckdb"
    store = open_store(str(path))
    build_demo_store(store)
    for year in (2023, 2024):
        store.ingest(read("cbs-kwb", real_data / "kwb_utrecht_gemeente" / f"kwb_{year}_gemeente_utrecht.csv",
                          geo_version="cbs2023"), replace=True)   # its gemeente row: the demo's KWB holds it too
    geo = read("geometry", real_data / "geo_buurt_2019_nl" / "buurten_2019_nl_wgs84_topo_simplified.geojson.gz",
               geo_version="cbs2023", level="buurt")
    kwb = store.areas(geo_version="cbs2023", level="buurt", geometry=False)
    utrecht = set(kwb.loc[kwb["gm_code"] == "GM0344", "code"])
    geo.areas = geo.areas[geo.areas["code"].isin(utrecht)]
    assert len(geo.areas) == 111
    store.ingest(geo)
    yield store
    store.close()


@pytest.fixture(scope="session")
def report_utrecht(two_city_store, tmp_path_factory):
    """Gemeente Utrecht from its own KWB buurt files (2023–2024), in the two-city store."""
    out = tmp_path_factory.mktemp("report_utrecht")
    return _build(two_city_store, out, region="GM0344", year_from=2023, year_to=2024, lang="nl")


#: A4 in mm and the page margins of report.css: the body is what lies inside the margins (the running
#: head and the page number sit in the margins and do not count)
PAGE_MM, MARGIN_MM = (210, 297), (18, 20)


def page_fill(pdf: str, dpi: int = 30) -> list[dict]:
    """Per page, rendered with pdftoppm: ``fill`` = how far down the body the content reaches (from the
    top of the body to its lowest inked row, as a share of the body height) and ``ink`` = the share of
    the body's pixels that are inked (darker than 200 of 255). A page of running text fills ~0.95 with
    ink ~0.12; a page with a one-line box on top fills ~0.1."""
    import tempfile

    import numpy as np
    from PIL import Image

    folder = Path(tempfile.mkdtemp(prefix="fill_"))
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", pdf, str(folder / "p")], check=True)
    out = []
    for p in sorted(folder.glob("p-*.png")):
        a = np.asarray(Image.open(p).convert("L"), dtype=float)
        h, w = a.shape
        my, mx = round(h * MARGIN_MM[1] / PAGE_MM[1]), round(w * MARGIN_MM[0] / PAGE_MM[0])
        body = a[my:h - my, mx:w - mx] < 200
        rows = np.flatnonzero(body.any(axis=1))
        out.append({"fill": (rows.max() + 1) / body.shape[0] if len(rows) else 0.0, "ink": float(body.mean())})
    return out
