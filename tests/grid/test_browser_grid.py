"""The grid level of the social map in real Chromium: a gemeente's 100 m cells drawn in the class colours of
their planted 200 m corporation share, and the time to the first drawn map (printed, not asserted)."""
from __future__ import annotations

import io
import os
import time

import numpy as np
import pytest
from PIL import Image

from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, PageWatch, start_server, stop_server
from veerkracht.geo.grid import radius_sums
from veerkracht.geo.grid_store import crosswalk_grid, surroundings

from .world import GEO

pytestmark = pytest.mark.browser
QUERY = "?v=grid100&l=grid&i=corp_share_200m&y=2014&r=GM0363"


@pytest.fixture(scope="module")
def grid_server(world, tmp_path_factory):
    store, w = world
    crosswalk_grid(store, GEO)
    surroundings(store, years=[2014])
    path = tmp_path_factory.mktemp("gridbrowser") / "grid.duckdb"
    store.sql(f"ATTACH '{path}' AS out")          # the planted world as a file the server opens
    store.sql("COPY FROM DATABASE memory TO out")
    store.sql("DETACH out")
    proc, url = start_server(path, path.with_suffix(".log"))
    yield url, w
    stop_server(proc)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _class_of(legend: list[dict], v: float, margin: float = 0.05):
    """The legend class holding ``v`` (``low < v ≤ high``); None when ``v`` lies within ``margin`` of a bound."""
    for e in legend:
        lo, hi = e.get("low"), e.get("high")
        if any(b is not None and abs(v - b) < margin for b in (lo, hi)):
            return None
        if (lo is None or v > lo) and (hi is None or v <= hi):
            return e
    return None


def test_grid_cells_drawn_in_the_class_colours_of_their_planted_share(browser, grid_server, tmp_path):
    url, w = grid_server
    ctx = browser.new_context(viewport={"width": 1366, "height": 800})
    page = ctx.new_page()
    watch = PageWatch(page, url)
    t0 = time.perf_counter()
    page.goto(url + "/" + QUERY)
    page.wait_for_function("window.mapReady === true", timeout=120_000)
    first = time.perf_counter() - t0
    idle = page.evaluate("APP.timings.first_idle")
    print(f"\ngrid map, {w['n']:,} cells of GM0363: first render {first:.2f} s after navigation "
          f"(first idle at {idle} ms page time)")
    watch.assert_clean()
    t1 = time.perf_counter()           # the same view again: the server has built its indexes and caches
    page.reload()
    page.wait_for_function("window.mapReady === true", timeout=120_000)
    print(f"  again (warm server): {time.perf_counter() - t1:.2f} s; load average {os.getloadavg()[0]:.1f}")
    view = page.evaluate("APP.view")
    legend = [e for e in view["legend"] if e.get("color")]
    assert page.evaluate("APP.state.level") == "grid" and len(view["areas"]) == w["n"]
    # the planted 200 m share of each cell decides its class; the map paints it in that class's colour, or
    # hatches it where the planted sums are small (1–9 corporation dwellings or < 50 dwellings within 200 m)
    sums, _ = radius_sums(w["ix"], w["iy"], np.column_stack([w["corp"], w["dwellings"]]), 200, 100)
    rng = np.random.default_rng(0)
    checked = {"ok": 0, "suppressed": 0}
    for i in rng.choice(w["n"], size=400, replace=False):
        code, planted = str(w["codes"][i]), float(w["share_200m"][i])
        state = page.evaluate(f"APP.map.getFeatureState({{source: 'areas', id: '{code}'}})")
        if 0 < sums[i, 0] < 10 or sums[i, 1] < 50:
            assert state["status"] == "suppressed" and state["color"] == "#eeeeee", (code, sums[i], state)
            checked["suppressed"] += 1
            continue
        e = _class_of(legend, planted)
        if e is None:
            continue
        assert state["status"] == "ok" and state["color"] == e["color"], (code, planted, state, e)
        checked["ok"] += 1
    assert checked["ok"] > 250 and checked["suppressed"] > 0, checked
    # and the pixels: the cells carry the legend colours (the city fills part of the map), four classes or more visible
    png = page.locator("#map").screenshot(path=str(tmp_path / "grid_map.png"))
    px = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)

    def share(c: str) -> float:
        rgb = np.array([int(c[k:k + 2], 16) for k in (1, 3, 5)])
        return float((np.abs(px - rgb).max(axis=2) <= 6).mean())
    shares = [share(e["color"]) for e in legend]
    assert sum(shares) > 0.05 and sum(s > 0.005 for s in shares) >= 4, shares
    ctx.close()
