"""Profile and compare in Chromium: names, not codes; the map's year everywhere; five areas side by side
with sparklines, none cut off; indicator descriptions from the registry."""
from __future__ import annotations

import pytest

from veerkracht.indicators import registry_frame

pytestmark = pytest.mark.browser


def _nl(x: float, digits: int) -> str:
    s = f"{x:,.{digits}f}"
    return s.replace(",", "_").replace(".", ",").replace("_", ".")


@pytest.fixture(scope="module")
def five(client, read_store):
    """The map's default view and five buurten of it that have a value in an earlier year of the default indicator."""
    meta = client.get("/api/meta").json()
    d = meta["default"]
    ind = next(i for i in meta["indicators"] if i["id"] == d["indicator"])
    year = ind["available"][d["version"]][d["level"]][1]            # not the latest: the map's year must rule
    f = read_store.facts(indicator=d["indicator"], geo_version=d["version"])
    f = f[(f["year"] == year) & f["value"].notna() & ~f["source"].str.contains(r"\+")]
    vals = client.get("/api/values", params={"version": d["version"], "level": d["level"], "indicator": d["indicator"],
                                             "region": d["region"], "year": year}).json()["areas"]
    codes = [c for c in f["code"] if vals.get(c, [None, None, ""])[2] == "ok"][:5]
    names = read_store.areas(geo_version=d["version"], level=d["level"]).set_index("code")["name"]
    return {"d": d, "year": year, "codes": codes, "names": [names[c] for c in codes],
            "values": f.set_index("code").loc[codes, "value"].tolist(), "ind": ind}


def test_five_areas_side_by_side(page, server, five, artifacts):
    d, year = five["d"], five["year"]
    page.goto(f"{server}/?v={d['version']}&l={d['level']}&i={d['indicator']}&y={year}&r={d['region']}"
              f"&sel={','.join(five['codes'])}")
    page.wait_for_function("window.mapReady === true", timeout=60_000)
    page.wait_for_selector("#compare-table", timeout=30_000)
    page.wait_for_function("document.querySelectorAll('#compare-table thead th[scope=col]').length === 5")
    page.screenshot(path=str(artifacts / "web_compare_five.png"))
    heads = page.locator("#compare-table thead th[scope=col]")
    assert [h.split("\n")[0] for h in heads.all_inner_texts()] == five["names"]
    assert page.locator("#panel h2").inner_text().endswith(str(year))
    # none cut off: every column lies inside the visible panel
    panel = page.locator("#panel").bounding_box()
    for i in range(5):
        b = heads.nth(i).bounding_box()
        assert b["x"] >= panel["x"] and b["x"] + b["width"] <= panel["x"] + panel["width"] + 0.5, (i, b, panel)
    # the map's year, not the latest: the store's values of that year, with the indicator's decimals
    row = page.locator(f"#compare-table tr[data-indicator='{d['indicator']}'] td.num")
    texts = [t.split("\n")[0].strip() for t in row.all_inner_texts()]
    assert texts == [_nl(round(v, 4), five["ind"]["decimals"]) for v in five["values"]], texts
    # a sparkline per cell, its dot on the map's year
    assert row.locator("svg.spark polyline").count() == 5 and row.locator("svg.spark circle").count() == 5
    label = row.first.locator("svg.spark").get_attribute("aria-label")
    assert label.startswith("Trend") or label.startswith("Ontwikkeling") or ":" in label
    # the registry's description under the indicator's name
    reg = registry_frame().set_index("id")
    th = page.locator(f"#compare-table tr[data-indicator='{d['indicator']}'] th .desc").inner_text()
    assert th == reg.loc[d["indicator"], "description_nl"]
    # the selection lists names
    assert page.locator("#selection [data-open]").all_inner_texts() == five["names"]
    page.watch.assert_clean()


def test_a_sixth_area_drops_the_first(page, server, five, read_store):
    d = five["d"]
    page.goto(f"{server}/?v={d['version']}&l={d['level']}&r={d['region']}&sel={','.join(five['codes'])}")
    page.wait_for_function("window.mapReady === true", timeout=60_000)
    sixth = next(c for c in read_store.areas(geo_version=d["version"], level=d["level"])["code"] if c not in five["codes"]
                 and c.startswith("BU0363"))
    page.evaluate(f"Panels.toggleSelect(APP, '{sixth}')")
    assert page.evaluate("APP.state.sel") == five["codes"][1:] + [sixth]


def test_profile_uses_the_maps_year_and_describes(page, server, five):
    d, year, code = five["d"], five["year"], five["codes"][0]
    page.goto(f"{server}/?v={d['version']}&l={d['level']}&i={d['indicator']}&y={year}&r={d['region']}&p={code}")
    page.wait_for_function("window.mapReady === true", timeout=60_000)
    page.wait_for_selector("#profile-name", timeout=30_000)
    assert page.locator("#profile-name").inner_text() == five["names"][0]
    tr = page.locator(f"#profile-figures tr[data-indicator='{d['indicator']}']")
    assert tr.locator("td").nth(2).inner_text() == str(year)
    assert tr.locator("td.num").inner_text() == _nl(round(five["values"][0], 4), five["ind"]["decimals"])
    assert tr.locator(".desc").inner_text() == registry_frame().set_index("id").loc[d["indicator"], "description_nl"]
    page.watch.assert_clean()
