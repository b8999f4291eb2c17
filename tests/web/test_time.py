"""Time in the social map (Chromium): a year slider with play, a change view between two years the user
chooses, and the period of every layer in its legend title."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def _ready(page, url, query=""):
    page.goto(url + "/" + query)
    page.wait_for_function("window.mapReady === true", timeout=60_000)


def _drawn(page, before: int):
    page.wait_for_function(f"(window.renderCount || 0) > {before} && "
                           "document.querySelector('#status').textContent === ''", timeout=60_000)


def _years(client):
    d = client.get("/api/meta").json()
    ind = next(i for i in d["indicators"] if i["id"] == d["default"]["indicator"])
    return d, ind["available"][d["default"]["version"]][d["default"]["level"]]


def test_slider_moves_through_the_years_and_plays(page, server, client, artifacts):
    meta, years = _years(client)
    assert len(years) >= 3
    _ready(page, server)
    assert page.locator("#year-slider").is_visible()
    assert page.locator("#year-min").inner_text() == str(years[0])
    assert page.locator("#year-max").inner_text() == str(years[-1])
    # keyboard on the slider: Home = first year, End = last; the map and its legend follow
    n = page.evaluate("window.renderCount")
    page.focus("#year-range")
    page.keyboard.press("Home")
    _drawn(page, n)
    assert page.evaluate("APP.state.year") == years[0]
    assert page.locator("#legend-title").inner_text().endswith(str(years[0]))
    assert page.locator("#year").input_value() == str(years[0]) and f"y={years[0]}" in page.url
    assert page.get_attribute("#year-range", "aria-valuetext") == str(years[0])
    # play from the first year: every year is drawn in turn, then it stops at the last
    page.evaluate("""APP.playDelay = 30; window.titles = [];
        new MutationObserver(() => { const h = document.querySelector('#legend-title');
          if (h && window.titles[window.titles.length - 1] !== h.textContent) window.titles.push(h.textContent); })
          .observe(document.querySelector('#legend'), {childList: true, subtree: true});""")
    page.click("#year-play")
    assert page.get_attribute("#year-play", "aria-pressed") == "true"
    page.wait_for_function(f"APP.playing === false && APP.state.year === {years[-1]}", timeout=120_000)
    page.screenshot(path=str(artifacts / "web_time_played.png"))
    shown = [int(re.search(r"(\d{4})$", t).group(1)) for t in page.evaluate("window.titles")]
    assert shown == years[1:], shown
    assert page.get_attribute("#year-play", "aria-pressed") == "false"
    page.watch.assert_clean()


def test_change_between_two_chosen_years(page, server, client, artifacts):
    meta, years = _years(client)
    _ready(page, server)
    n = page.evaluate("window.renderCount")
    page.select_option("#mode", "change")
    _drawn(page, n)
    assert page.locator("#from-row").is_visible()
    y0, y1 = years[1], years[-2]
    n = page.evaluate("window.renderCount")
    page.select_option("#year", str(y1))
    _drawn(page, n)
    # only earlier years can be the start
    assert [int(v) for v in page.eval_on_selector_all("#year-from option", "os => os.map(o => o.value)")] == \
        [y for y in years if y < y1]
    n = page.evaluate("window.renderCount")
    page.select_option("#year-from", str(y0))
    _drawn(page, n)
    title = page.locator("#legend-title").inner_text()
    assert f"{y0}–{y1}" in title, title
    assert f"y0={y0}" in page.url and f"y={y1}" in page.url
    # the same view from the API: the page drew what the store says for these two years
    d = meta["default"]
    api = client.get("/api/values", params={"version": d["version"], "level": d["level"], "indicator": d["indicator"],
                                            "region": d["region"], "mode": "change", "year": y1, "year_from": y0}).json()
    assert api["title"] == title
    code, (value, cls, status) = next((c, a) for c, a in api["areas"].items() if a[2] == "ok")
    assert page.evaluate(f"APP.view.areas['{code}']") == [value, cls, status]
    page.screenshot(path=str(artifacts / "web_time_change.png"))
    page.watch.assert_clean()


def test_every_layer_names_its_period(page, server, client):
    meta, _ = _years(client)
    _ready(page, server)
    for mode in meta["modes"]:
        n = page.evaluate("window.renderCount")
        page.select_option("#mode", mode["id"])
        _drawn(page, n)
        if page.evaluate("APP.view.available") is False:
            continue
        state = page.evaluate("APP.state")
        title = page.locator("#legend-title").inner_text()
        if mode["id"] == "change":
            period = f"{state['year_from']}–{state['year']}"
        elif mode["id"] == "value":
            period = str(state["year"])
        else:   # an analysis names the years it used, which may end before the map's year (typology: 2017)
            import re
            assert re.search(r"\b(19|20)\d\d\b", title), (mode["id"], title, state)
            continue
        assert period in title, (mode["id"], title, state)
