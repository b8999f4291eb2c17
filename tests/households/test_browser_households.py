"""The dynamics layer in real Chromium: the social map, served from a store holding a synthetic tenant
panel, draws the change in the lowest-income share per wijk in the legend's colours, and its page holds
no dwelling or household id."""
from __future__ import annotations

import io
import re
import numpy as np
import pytest
from PIL import Image

from tests.households.conftest import panel_store
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, PageWatch, start_server, stop_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory, areas_store_path):
    d = tmp_path_factory.mktemp("browser")
    store, res = panel_store(areas_store_path, d, seed=5, corp_share=True)
    # a survey whose respondents live in the same buurten, for the survey layer
    from veerkracht.sources import read
    from veerkracht.store.microdata import ingest_any
    from veerkracht.synth.survey import write_survey
    from veerkracht.synth.tenants import area_codes
    sv = write_survey(d / "woon.csv", n_per_year=20000, seed=4, area_codes=area_codes(store, "cbs2019", "buurt"))
    ingest_any(store, read("survey", sv["file"], mapping=sv["mapping"]))
    store.close()
    proc, url = start_server(res["path"], d / "server.log")
    yield url
    stop_server(proc)


def test_the_map_draws_the_dynamics_layer(served, tmp_path):
    import httpx
    from playwright.sync_api import sync_playwright
    q = {"v": "cbs2019", "l": "wijk", "i": "corp_share", "m": "dynamics", "y": 2017}
    body = httpx.get(served + "/api/values", params={"version": "cbs2019", "level": "wijk", "indicator": "corp_share",
                                                     "mode": "dynamics", "year": 2017}, timeout=120).json()
    assert body["available"] and body["kind"] == "numeric", body
    shown = {c: v for c, (v, _, s) in body["areas"].items() if s == "ok"}
    assert len(shown) >= 90
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1366, "height": 800}).new_page()
            watch = PageWatch(page, served)
            page.goto(served + "/?" + "&".join(f"{k}={v}" for k, v in q.items()))
            page.wait_for_function("window.mapReady === true", timeout=120_000)
            page.wait_for_function("APP.view && APP.view.available", timeout=120_000)
            png = page.locator("#map").screenshot(path=str(tmp_path / "dynamics.png"))
            html = page.content()
            legend = page.locator("#legend").inner_text()
            watch.assert_clean()
        finally:
            browser.close()
    assert "Dynamiek" in legend or "instroom" in legend.lower()
    assert not re.search(r"VHE\d{7}|HH\d{8}", html)
    px = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    colours = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in (e["color"] for e in body["legend"])]
    visible = [c for c in colours if float((np.abs(px - np.array(c)).max(axis=2) <= 6).mean()) > 0.002]
    assert len(visible) >= 2, f"only {visible} of {colours} on the map"


def test_the_map_draws_the_survey_layer_per_wijk(served, tmp_path):
    """The survey's shares per wijk, in a sequential legend in %, with small wijken hatched as suppressed."""
    import httpx
    from playwright.sync_api import sync_playwright
    body = httpx.get(served + "/api/values", params={"version": "cbs2019", "level": "wijk", "indicator": "corp_share",
                                                     "mode": "survey-trends", "year": 2017}, timeout=120).json()
    assert body["available"] and body["kind"] == "numeric" and body["unit"] == "%", body
    states = [s for (_, _, s) in body["areas"].values()]
    assert states.count("ok") >= 60 and states.count("suppressed") >= 1
    shown = [v for (v, _, s) in body["areas"].values() if s == "ok"]
    assert all(5 < v < 90 for v in shown)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1366, "height": 800}).new_page()
            watch = PageWatch(page, served)
            page.goto(served + "/?v=cbs2019&l=wijk&i=corp_share&m=survey-trends&y=2017")
            page.wait_for_function("window.mapReady === true", timeout=120_000)
            page.wait_for_function("APP.view && APP.view.available", timeout=120_000)
            png = page.locator("#map").screenshot(path=str(tmp_path / "survey.png"))
            legend = page.locator("#legend").inner_text()
            watch.assert_clean()
        finally:
            browser.close()
    assert "Woononderzoek" in legend and "%" in legend
    px = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    colours = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in (e["color"] for e in body["legend"])]
    visible = [c for c in colours if float((np.abs(px - np.array(c)).max(axis=2) <= 6).mean()) > 0.002]
    assert len(visible) >= 3, f"only {visible} of {colours} on the map"
