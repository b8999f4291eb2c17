"""Leefbaarometer on the map: the nine official classes need verified class bounds, which the material
in this repository does not document (tests/data/real/SOURCES.md §3: `lbm` score and `afw` deviation only),
so the map draws the raw deviation in numeric classes and its legend says so."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_deviation_is_labelled_raw(page, server, client):
    meta = client.get("/api/meta").json()
    d = meta["default"]
    lbm = next(i for i in meta["indicators"] if i["id"] == "lbm")
    assert lbm["unit"] == "afwijking" and d["version"] in lbm["available"]
    v = client.get("/api/values", params={"version": d["version"], "level": d["level"], "indicator": "lbm",
                                          "region": d["region"]}).json()
    # numeric classes of the deviation itself, not named classes
    assert v["legend"] and all("label_nl" not in e for e in v["legend"])
    assert any(e.get("low") is not None and e["low"] < 0 for e in v["legend"])
    page.goto(f"{server}/?v={d['version']}&l={d['level']}&i=lbm&r={d['region']}")
    page.wait_for_function("window.mapReady === true", timeout=60_000)
    note = page.locator("#legend .lbm-raw")
    assert note.count() == 1 and "niet in de negen officiële klassen" in note.inner_text()
    page.select_option("#indicator", d["indicator"])
    page.wait_for_function(f"APP.view && APP.view.indicator !== 'lbm' && APP.state.indicator === '{d['indicator']}'",
                           timeout=60_000)
    page.wait_for_function("document.querySelector('#status').textContent === ''", timeout=60_000)
    assert page.locator("#legend .lbm-raw").count() == 0
    page.watch.assert_clean()
