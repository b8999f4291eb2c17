"""Accessibility in Chromium: axe-core (vendored from npm, tests/web/vendor/axe-core) finds no serious or
critical violation in the main states of the page; every control is reached and worked with the keyboard
alone; the legend palettes stay distinguishable under simulated colour-vision deficiency."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from .conftest import PageWatch

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


def _axe(page) -> list[dict]:
    """Serious and critical violations axe-core finds on the page as it is now (WCAG 2.1 A/AA rules)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    res = page.evaluate("""axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a',
        'wcag21aa', 'best-practice']}, resultTypes: ['violations']})""")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in res["violations"] if v["impact"] in ("serious", "critical")]


def _ready(page, url, query=""):
    page.goto(url + "/" + query)
    page.wait_for_function("window.mapReady === true", timeout=60_000)


@pytest.mark.browser
@pytest.mark.parametrize("w,h", [(1366, 800), (390, 844)])
def test_axe_finds_no_serious_violation(browser, server, artifacts, w, h):
    ctx = browser.new_context(viewport={"width": w, "height": h})
    page = ctx.new_page()
    watch = PageWatch(page, server)
    _ready(page, server)
    found = {"start": _axe(page)}
    if w < 700:
        page.click("#controls-toggle")
        found["settings open"] = _axe(page)
        page.click("#controls-toggle")
    code = page.evaluate("APP.codes.find((c) => APP.view.areas[c] && APP.view.areas[c][2] === 'ok')")
    page.evaluate(f"Panels.openProfile(APP, '{code}')")
    page.wait_for_selector("#profile-name", timeout=30_000)
    found["profile"] = _axe(page)
    two = page.evaluate("APP.codes.filter((c) => APP.view.areas[c] && APP.view.areas[c][2] === 'ok').slice(0, 3)")
    page.evaluate(f"APP.state.sel = {two!r}; Panels.openCompare(APP)")
    page.wait_for_selector("#compare-table", timeout=30_000)
    found["compare"] = _axe(page)
    page.click("#lang-toggle")
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.fill("#search", "Nieuw")
    page.wait_for_selector("#search-results li[data-i]", timeout=30_000)
    found["english, search results"] = _axe(page)
    page.screenshot(path=str(artifacts / f"web_axe_{w}x{h}.png"))
    assert found == {k: [] for k in found}, found
    assert not watch.errors
    ctx.close()


CONTROLS = ["search", "lang-toggle", "indicator", "mode", "year", "year-play", "year-range", "level", "version",
            "region-clear", "export-csv", "export-xls", "export-geojson", "export-png", "export-pdf", "legend-toggle"]


@pytest.mark.browser
def test_keyboard_only_walk(page, server):
    _ready(page, server)
    page.locator("body").focus()
    seen, outlines = [], {}
    for _ in range(60):
        page.keyboard.press("Tab")
        el = page.evaluate("""(() => { const e = document.activeElement; const s = getComputedStyle(e);
            return [e.id || e.className || e.tagName, s.outlineStyle, parseFloat(s.outlineWidth)]; })()""")
        seen.append(el[0])
        outlines[el[0]] = el[1:]
        if el[0] == CONTROLS[-1]:
            break
    # every control is reached in this order, each with a visible focus ring
    order = [c for c in seen if c in CONTROLS]
    assert order == CONTROLS, seen
    assert all(outlines[c][0] != "none" and outlines[c][1] >= 2 for c in CONTROLS), outlines
    # and worked with keys only: another indicator (arrow key on the select), the year by the slider,
    # the legend folded with Enter, a search hit opened with Enter and the profile closed with Escape
    first = page.evaluate("APP.state.indicator")
    n = page.evaluate("window.renderCount")
    page.focus("#indicator")
    page.keyboard.press("ArrowDown")
    page.wait_for_function(f"window.renderCount > {n}", timeout=60_000)
    assert page.evaluate("APP.state.indicator") != first
    page.focus("#year-range")
    page.keyboard.press("Home")
    page.wait_for_function("APP.state.year === APP.meta.indicators.find((i) => i.id === APP.state.indicator)"
                           ".available[APP.state.version][APP.state.level][0]", timeout=60_000)
    page.focus("#legend-toggle")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('legend-toggle').getAttribute('aria-expanded') === 'false'")
    page.focus("#search")
    page.keyboard.type("Nieuwmarkt")
    page.wait_for_selector("#search-results li[data-i]", timeout=30_000)
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.getAttribute('role')") == "option"
    page.keyboard.press("Enter")
    page.wait_for_selector("#profile-name", timeout=60_000)
    assert "Nieuwmarkt" in page.locator("#profile-name").inner_text()
    page.keyboard.press("Escape")
    assert page.locator("#panel").is_hidden()
    page.watch.assert_clean()


# --------------------------------------------------------------- colour-vision deficiency (Machado et al. 2009)
#: severity 1.0 matrices, applied to linear RGB
MACHADO = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}
#: smallest CIE76 ΔE between two classes of one legend that still reads as two colours on a map
MIN_DELTA_E = 8.0


def _linear(rgb):
    c = np.asarray(rgb, float) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(lin):
    xyz = lin @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def _hex(c):
    return [int(c[i:i + 2], 16) for i in (1, 3, 5)]


def min_delta_e(colours: list[str], matrix=None) -> float:
    lin = _linear([_hex(c) for c in colours])
    if matrix is not None:
        lin = np.clip(lin @ np.asarray(matrix).T, 0, 1)
    lab = _lab(lin)
    d = np.sqrt(((lab[:, None] - lab[None]) ** 2).sum(-1))
    return float(d[np.triu_indices(len(colours), 1)].min())


def test_simulation_is_right():
    """Hand-checked: pure red and green collapse under deuteranopia; white stays white under every matrix."""
    assert min_delta_e(["#ff0000", "#00ff00"]) > 80
    assert min_delta_e(["#d62728", "#2ca02c"], MACHADO["deuteranopia"]) < min_delta_e(["#d62728", "#2ca02c"]) / 3
    for m in MACHADO.values():
        assert np.allclose(np.asarray(m).sum(axis=1), 1, atol=1e-3)


def test_palettes_stay_apart_for_colour_blind_readers(client):
    meta = client.get("/api/meta").json()
    d = meta["default"]
    checked = []
    for mode in meta["modes"]:
        for level in ("buurt", "wijk"):
            v = client.get("/api/values", params={"version": d["version"], "level": level, "indicator": d["indicator"],
                                                  "region": d["region"], "mode": mode["id"]}).json()
            colours = [e["color"] for e in v.get("legend") or []]
            if not v.get("available") or len(set(colours)) < 2:
                continue
            # the map's own status fills count too: suppressed (#eeeeee) and missing must not look like a class
            for name, m in [("normal", None), *MACHADO.items()]:
                checked.append((mode["id"], level, name, round(min_delta_e(sorted(set(colours)), m), 1)))
            break
    low = [c for c in checked if c[3] < MIN_DELTA_E]
    assert len({c[0] for c in checked}) >= 4 and not low, (low, checked)


def _contrast(fg: str, bg: str) -> float:
    lum = [float(_linear(_hex(c)) @ np.array([0.2126, 0.7152, 0.0722])) for c in (fg, bg)]
    return (max(lum) + 0.05) / (min(lum) + 0.05)


def test_text_colours_contrast():
    """WCAG contrast of the page's own text colours on their backgrounds (style.css), and of the map's
    area names on their white halo; axe-core checks the rendered page, this the pairs it cannot see."""
    css = (Path(__file__).parents[2] / "src/veerkracht/web/static/style.css").read_text().lower()
    pairs = [("#5b6670", "#ffffff"), ("#5b6670", "#f7f8fa"), ("#7a4a00", "#fff3cd"), ("#7a4a00", "#ffffff"),
             ("#0b5cad", "#ffffff"), ("#1d2530", "#f7f8fa"), ("#ffffff", "#1f3a5a"), ("#111111", "#ffffff"),
             ("#a00000", "#ffffff")]
    for fg, bg in pairs:
        assert fg in css or fg[:4] in css, f"{fg} is no longer a colour of style.css: update this list"
        assert _contrast(fg, bg) >= 4.5, (fg, bg, _contrast(fg, bg))
    assert abs(_contrast("#000000", "#ffffff") - 21) < 0.01
