"""Phone (390×844) and tablet (1024×768) in Chromium: map, legend and controls visible, inside the screen
and not overlapping (bounding boxes); on the phone the settings open over the map and a profile opens as a
sheet. Screenshots in test-artifacts/."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from .conftest import PageWatch

pytestmark = pytest.mark.browser


def _box(page, sel: str) -> list[float]:
    b = page.locator(sel).first.bounding_box()
    assert b, f"{sel} is not rendered"
    return [b["x"], b["y"], b["x"] + b["width"], b["y"] + b["height"]]


def _overlap(a, b) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def _inside(a, b) -> bool:
    return a[0] >= b[0] - 0.5 and a[1] >= b[1] - 0.5 and a[2] <= b[2] + 0.5 and a[3] <= b[3] + 0.5


def _check_layout(page, w, h, controls: str):
    screen = [0, 0, w, h]
    parts = {k: _box(page, s) for k, s in {"map": "#map", "legend": "#legend", "controls": controls, "search": "#search",
                                           "lang": "#lang-toggle", "zoom": ".maplibregl-ctrl-group"}.items()}
    for k, b in parts.items():
        assert page.locator({"map": "#map", "legend": "#legend", "controls": controls, "search": "#search",
                             "lang": "#lang-toggle", "zoom": ".maplibregl-ctrl-group"}[k]).first.is_visible(), k
        assert _inside(b, screen), (k, b, screen)
    for k in ("legend", "zoom"):
        assert _inside(parts[k], parts["map"]), (k, parts[k], parts["map"])
    others = ["legend", "controls", "search", "lang", "zoom"]
    for i, a in enumerate(others):
        for b in others[i + 1:]:
            assert not _overlap(parts[a], parts[b]), (a, b, parts[a], parts[b])
    assert not _overlap(parts["controls"], parts["map"]), "the controls cover the map"
    # the map keeps most of the screen; the legend leaves most of the map free
    m, lg = parts["map"], parts["legend"]
    map_area = (m[2] - m[0]) * (m[3] - m[1])
    assert map_area > 0.45 * w * h, (m, w, h)
    assert (lg[2] - lg[0]) * (lg[3] - lg[1]) < 0.3 * map_area
    # the areas are drawn (pixels that are not background)
    return parts


@pytest.mark.parametrize("w,h", [(390, 844), (1024, 768)])
def test_layout_at_phone_and_tablet(browser, server, artifacts, w, h):
    ctx = browser.new_context(viewport={"width": w, "height": h}, device_scale_factor=1, is_mobile=w < 500,
                              has_touch=w < 500)
    page = ctx.new_page()
    watch = PageWatch(page, server)
    page.goto(server + "/")
    page.wait_for_function("window.mapReady === true", timeout=60_000)
    page.screenshot(path=str(artifacts / f"web_responsive_{w}x{h}.png"))
    phone = w < 700
    _check_layout(page, w, h, "#controls-toggle" if phone else "#controls")
    assert page.evaluate("APP.codes.length") > 100
    # the map is not scrolled off: the page itself does not scroll sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= w
    if phone:
        assert page.locator("#indicator").is_hidden()
        page.click("#controls-toggle")
        assert page.get_attribute("#controls-toggle", "aria-expanded") == "true"
        for sel in ("#indicator", "#mode", "#year", "#year-range", "#level", "#version"):
            assert page.locator(sel).is_visible() and _inside(_box(page, sel), [0, 0, w, h]), sel
        page.screenshot(path=str(artifacts / f"web_responsive_{w}x{h}_settings.png"))
        page.click("#controls-toggle")
        assert page.locator("#indicator").is_hidden()
    # a profile opens beside (tablet) or over the lower part of (phone) the map, with its close button in view
    code = page.evaluate("APP.codes.find((c) => APP.view.areas[c] && APP.view.areas[c][2] === 'ok')")
    page.evaluate(f"Panels.openProfile(APP, '{code}')")
    page.wait_for_selector("#profile-name", timeout=30_000)
    page.evaluate("new Promise((r) => { APP.map.once('idle', r); APP.map.triggerRepaint(); })")
    png = page.screenshot(path=str(artifacts / f"web_responsive_{w}x{h}_profile.png"))
    # the map left in sight is drawn, with the opened area in it
    px = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    m, panel, close = _box(page, "#map"), _box(page, "#panel"), _box(page, "#panel-close")
    free = px[int(m[1]):int(m[3]), int(m[0]):int(m[2])]
    assert (np.abs(free - np.array([238, 241, 244])).max(axis=2) > 12).mean() > 0.3, "the map is empty beside the profile"
    # and the opened area itself is drawn there (MapLibre renders it inside the free part)
    inside = page.evaluate(f"""(() => {{
        const f = APP.map.queryRenderedFeatures({{layers: ['areas-fill']}});
        return f.some((x) => x.properties.code === '{code}'); }})()""")
    assert inside, "the opened area is not in the part of the map left in sight"
    assert _inside(panel, [0, 0, w, h]) and _inside(close, [0, 0, w, h]) and page.locator("#panel-close").is_visible()
    assert not _overlap(panel, m)
    if phone:
        assert panel[3] - panel[1] <= 0.6 * h and m[3] - m[1] > 0.3 * h      # the map stays in sight above it
        # the legend folds to its title there, inside the smaller map
        assert page.get_attribute("#legend-toggle", "aria-expanded") == "false" and _inside(_box(page, "#legend"), m)
    else:
        assert m[2] - m[0] > 350
    page.click("#panel-close")
    assert page.locator("#panel").is_hidden()
    assert not watch.errors and not watch.bad_status and not watch.external
    ctx.close()
