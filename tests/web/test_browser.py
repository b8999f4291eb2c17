"""The social map in real Chromium: it loads cleanly, draws areas (pixels), clicks open the profile
with the store's numbers, switches change colours, exports open, URL state and English work."""
from __future__ import annotations

import io
import json
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from PIL import Image


pytestmark = pytest.mark.browser


def _open(page, url: str, query: str = ""):
    page.goto(url + "/" + query)
    page.wait_for_function("window.mapReady === true", timeout=60_000)
    return page


def _render_count(page) -> int:
    return page.evaluate("window.renderCount || 0")


def _wait_render(page, before: int):
    page.wait_for_function(f"(window.renderCount || 0) > {before}", timeout=60_000)


def _map_pixels(page, artifacts, name: str) -> np.ndarray:
    png = page.locator("#map").screenshot(path=str(artifacts / f"web_{name}.png"))
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def _hex(c: str) -> tuple[int, int, int]:
    return tuple(int(c[i:i + 2], 16) for i in (1, 3, 5))


def _share_near(pixels: np.ndarray, colour, tol: int = 6) -> float:
    return float((np.abs(pixels - np.array(colour)).max(axis=2) <= tol).mean())


@pytest.fixture(scope="module")
def view(client):
    meta = client.get("/api/meta").json()
    d = meta["default"]
    params = {"version": d["version"], "level": d["level"], "indicator": d["indicator"], "region": d["region"],
              "year": d["year"]}
    return {"default": d, "meta": meta, "values": client.get("/api/values", params=params).json()}


def _largest_areas(read_store, view, k: int) -> list[dict]:
    """The ``k`` largest areas with a shown value in the default view, largest first: code, name,
    the store's value in the default year and in the indicator's latest year, and a point inside."""
    d = view["default"]
    areas = read_store.areas(geo_version=d["version"], level=d["level"])
    areas = areas[areas["gm_code"] == d["region"]] if d["region"] else areas
    ok = [c for c, (v, _, s) in view["values"]["areas"].items() if v is not None and s == "ok" and v % 1 > 0.05]
    areas = areas[areas["code"].isin(ok)].to_crs(28992)
    out = []
    for idx in areas.area.sort_values(ascending=False).index[:k]:
        big = areas.loc[idx]
        pt = areas.to_crs(4326).loc[idx].geometry.representative_point()
        f = read_store.facts(indicator=d["indicator"], geo_version=d["version"], codes=[big["code"]])
        f = f[~f["source"].str.contains(r"\+")]          # the area's own fact, not a pooled one
        last = f.loc[f["year"].idxmax()]
        out.append({"code": big["code"], "name": big["name"], "lon": pt.x, "lat": pt.y,
                    "value": float(f.loc[f["year"] == d["year"], "value"].iloc[0]),
                    "last_year": int(last["year"]), "last_value": float(last["value"])})
    return out


@pytest.fixture(scope="module")
def known_area(read_store, view):
    """The largest area with a shown value in the default view: its code, name, value and a point."""
    return _largest_areas(read_store, view, 1)[0]


def _screen_point(page, lon: float, lat: float) -> tuple[float, float]:
    box = page.locator("#map").bounding_box()
    x, y = page.evaluate(f"(() => {{ const p = APP.map.project([{lon}, {lat}]); return [p.x, p.y]; }})()")
    return box["x"] + x, box["y"] + y


def test_page_loads_cleanly_and_draws_areas(page, server, view, artifacts):
    _open(page, server)
    page.screenshot(path=str(artifacts / "web_page.png"))
    page.watch.assert_clean()
    px = _map_pixels(page, artifacts, "map_default")
    legend = [e["color"] for e in view["values"]["legend"]]
    # the areas are fitted beside the legend box: measure the part of the map the legend leaves free
    box, lg = page.locator("#map").bounding_box(), page.locator("#legend").bounding_box()
    free = px[:, int(lg["x"] + lg["width"] - box["x"]):]
    coloured = sum(_share_near(free, _hex(c)) for c in legend)
    # secondary suppression (decision 0006) stripes more areas: drawn = coloured + striped
    striped = _share_near(free, (238, 238, 238), 4) + _share_near(free, (150, 150, 150), 6)
    assert coloured > 0.08 and coloured + striped > 0.15, \
        f"only {coloured:.1%} of the free map has legend colours, {striped:.1%} stripes"
    # and no area lies under the legend: its left-hand strip is background only
    under = px[:, :int(lg["x"] - box["x"] + lg["width"])]
    assert sum(_share_near(under, _hex(c)) for c in legend) < 0.01
    assert sum(_share_near(px, _hex(c)) > 0.003 for c in legend) >= 3, "at least three classes are visible"
    # suppressed areas are striped (light grey + mid grey), never a legend colour
    stripes = _share_near(px, (238, 238, 238), 4) + _share_near(px, (150, 150, 150), 6)
    assert view["values"]["counts"].get("suppressed", 0) > 0 and stripes > 0.01
    assert page.locator("#legend").inner_text().count("Onderdrukt") == 1


def test_suppressed_area_is_striped_not_coloured(page, server, view, read_store):
    _open(page, server)
    code = next(c for c, (v, _, s) in view["values"]["areas"].items() if s == "suppressed")
    state = page.evaluate(f"APP.map.getFeatureState({{source: 'areas', id: '{code}'}})")
    assert state["status"] == "suppressed" and state["color"] == "#eeeeee"
    assert state["color"] not in [e["color"] for e in view["values"]["legend"]]


def test_click_opens_profile_with_store_numbers(page, server, known_area, view):
    _open(page, server)
    x, y = _screen_point(page, known_area["lon"], known_area["lat"])
    page.mouse.click(x, y)
    page.wait_for_selector("#profile-name", timeout=30_000)
    assert page.locator("#profile-name").inner_text() == known_area["name"]
    row = page.locator(f"#profile-figures tr[data-indicator='{view['default']['indicator']}'] td.num").inner_text()
    shown = float(row.replace(".", "").replace(",", "."))          # Dutch: 1.234,5
    assert shown == pytest.approx(round(known_area["value"], 1 if known_area["value"] < 100 else 0)), (row, known_area)
    assert page.locator(".panel svg.chart polyline").count() >= 2     # area and gemeente lines
    assert f"p={known_area['code']}" in page.url
    page.watch.assert_clean()


def test_switching_year_and_indicator_changes_colours(page, server, view, artifacts):
    _open(page, server)
    before = _map_pixels(page, artifacts, "map_year_last")
    years = view["meta"]["indicators"]
    d = view["default"]
    years = next(i for i in years if i["id"] == d["indicator"])["available"][d["version"]][d["level"]]
    n = _render_count(page)
    page.select_option("#year", str(years[0]))
    _wait_render(page, n)
    after = _map_pixels(page, artifacts, "map_year_first")
    changed = float((np.abs(before - after).max(axis=2) > 30).mean())
    assert changed > 0.02, f"year switch changed only {changed:.1%} of the pixels"
    other = next(i["id"] for i in view["meta"]["indicators"] if i["id"] != d["indicator"]
                 and d["level"] in i["available"].get(d["version"], {}))
    n = _render_count(page)
    page.select_option("#indicator", other)
    _wait_render(page, n)
    third = _map_pixels(page, artifacts, "map_other_indicator")
    assert float((np.abs(after - third).max(axis=2) > 30).mean()) > 0.02
    assert f"i={other}" in page.url
    page.watch.assert_clean()


def test_exports_open(page, server, view, read_store, artifacts, tmp_path):
    _open(page, server)
    files = {}
    for button in ("export-csv", "export-geojson", "export-png", "export-pdf"):
        with page.expect_download(timeout=60_000) as dl:
            page.click(f"#{button}")
        path = tmp_path / dl.value.suggested_filename
        dl.value.save_as(path)
        shutil.copy(path, artifacts / f"web_export_{path.name}")
        files[button] = path
    df = pd.read_csv(files["export-csv"], dtype={"code": str})
    assert len(df) == len(view["values"]["areas"]) and {"code", "value", "status"} <= set(df.columns)
    assert df["value"].notna().sum() == sum(v is not None for v, _, _ in view["values"]["areas"].values())
    gj = json.loads(files["export-geojson"].read_text())
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == len(df)
    with Image.open(files["export-png"]) as im:
        im.load()
        assert im.width > 600 and im.height > 400
    pdf = files["export-pdf"].read_bytes()
    assert pdf.startswith(b"%PDF")
    out = tmp_path / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(files["export-pdf"]), str(out)], check=True)
    rendered = next(tmp_path.glob("page*.png"))
    shutil.copy(rendered, artifacts / "web_export_pdf_page1.png")
    with Image.open(rendered) as im:
        arr = np.asarray(im.convert("RGB")).astype(int)
    assert im.width > im.height and (arr.std(axis=2) > 20).mean() > 0.02   # landscape page with a coloured map
    page.watch.assert_clean()


def test_url_state_round_trips(page, server, view, known_area):
    d = view["default"]
    other = next(i for i in view["meta"]["indicators"] if i["id"] != d["indicator"]
                 and d["level"] in i["available"].get(d["version"], {}))
    year = other["available"][d["version"]][d["level"]][0]
    query = (f"?v={d['version']}&l={d['level']}&i={other['id']}&y={year}&r={d['region']}"
             f"&p={known_area['code']}&sel={known_area['code']}&lang=en")
    _open(page, server, query)
    page.wait_for_selector("#profile-name")
    assert page.locator("#indicator").input_value() == other["id"]
    assert page.locator("#year").input_value() == str(year)
    assert page.locator("#level").input_value() == d["level"]
    assert page.locator("#profile-name").inner_text() == known_area["name"]
    assert page.locator("h1").inner_text() == "Social map"
    for part in (f"i={other['id']}", f"y={year}", f"p={known_area['code']}", "lang=en", f"r={d['region']}"):
        assert part in page.url
    page.watch.assert_clean()


def test_english_toggle_changes_labels(page, server, view, artifacts):
    _open(page, server)
    assert page.locator("label[for=indicator]").inner_text() == "Indicator"
    assert page.locator("label[for=year]").inner_text() == "Jaar"
    n = _render_count(page)
    page.keyboard.press("Tab")
    page.focus("#lang-toggle")
    page.keyboard.press("Enter")            # keyboard-accessible
    _wait_render(page, n)
    assert page.locator("label[for=year]").inner_text() == "Year"
    assert page.locator("h1").inner_text() == "Social map"
    ind = next(i for i in view["meta"]["indicators"] if i["id"] == view["default"]["indicator"])
    assert ind["label_en"] in page.locator("#legend-title").inner_text()
    assert page.evaluate("document.documentElement.lang") == "en"
    page.screenshot(path=str(artifacts / "web_page_en.png"))


def test_search_zooms_and_opens_profile(page, server, known_area):
    _open(page, server)
    page.fill("#search", known_area["name"])
    page.wait_for_selector("#search-results li[data-i]")
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.getElementById('profile-name') && "
                           f"document.getElementById('profile-name').textContent === {json.dumps(known_area['name'])}")
    assert f"p={known_area['code']}" in page.url


ANALYSIS_VIEWS = {   # the demo store's data decide where each analysis can run
    "typology": {"v": "cbs2019", "l": "wijk", "i": "corp_share", "m": "typology", "r": "GM0363"},
    "concentration": {"v": "cbs2019", "l": "buurt", "i": "corp_share", "m": "concentration", "r": "GM0363"},
    "relative_country": {"v": "cbs2023", "l": "gemeente", "i": "corp_share", "m": "relative", "ref": "country"},
    "relative_gemeente": {"v": "cbs2019", "l": "buurt", "i": "corp_share", "m": "relative", "r": "GM0363"},
    "hotspots": {"v": "cbs2019", "l": "buurt", "i": "lbm", "m": "hotspots", "r": "GM0363"},
}
_API_NAMES = {"v": "version", "l": "level", "i": "indicator", "m": "mode", "r": "region", "ref": "ref"}


@pytest.mark.parametrize("name", list(ANALYSIS_VIEWS))
def test_analysis_layers_render(page, server, client, artifacts, name):
    q = ANALYSIS_VIEWS[name]
    body = client.get("/api/values", params={_API_NAMES[k]: v for k, v in q.items()}).json()
    assert body["available"], body["message"]
    _open(page, server, "?" + "&".join(f"{k}={v}" for k, v in q.items()))
    px = _map_pixels(page, artifacts, f"analysis_{name}")
    page.screenshot(path=str(artifacts / f"web_page_analysis_{name}.png"))
    page.watch.assert_clean()
    assert page.locator("#status").inner_text() == ""
    shown = {code: cls for code, (_, cls, status) in body["areas"].items() if status in ("ok", "unreliable")}
    if body["kind"] == "numeric":
        colours = [e["color"] for e in body["legend"]]
        assert len(shown) >= 50
    else:
        legend = {e["cls"]: e["color"] for e in body["legend"]}
        assert set(shown.values()) <= set(legend), "every class on the map is in the legend"
        colours = [legend[c] for c in set(shown.values())]
    visible = [c for c in colours if _share_near(px, _hex(c)) > 0.002]
    assert len(visible) >= 2, f"{name}: only {visible} of {colours} on the map"
    if name == "concentration":            # the 3×3 bivariate legend
        assert page.locator("#legend ul.bivariate li").count() == 9
    if name == "typology":                 # the profile says why the class fired
        code = next(c for c, cls in shown.items() if str(cls).startswith("problem:"))
        rule = body["rules"][code]
        page.goto(page.url + f"&p={code}")
        page.wait_for_selector("#profile-typology")
        text = page.locator("#profile-typology").inner_text()
        assert "probleemgebied" in text and rule in text
    if name.startswith("relative"):
        assert ("Nederland" if name == "relative_country" else "gemeente") in page.locator("#legend-title").inner_text()


def test_typology_at_buurt_switches_to_wijk(page, server, view, artifacts):
    """Item 1: choosing Typologie on the default buurt view moves to wijk and says so in the legend."""
    _open(page, server)
    n = _render_count(page)
    page.select_option("#mode", "typology")
    page.wait_for_function("APP.state.level === 'wijk' && APP.view && APP.view.available", timeout=60_000)
    _wait_render(page, n)
    page.screenshot(path=str(artifacts / "web_page_typology_auto_wijk.png"))
    assert page.locator("#level").input_value() == "wijk" and "l=wijk" in page.url
    note = page.locator("#legend .auto-level").inner_text()
    assert "alleen per wijk" in note and "van buurt naar wijk" in note
    assert page.locator("#status").inner_text() == ""
    assert page.locator("#legend ul.classes li").count() >= 2
    page.select_option("#mode", "value")           # the note goes with the typology
    page.wait_for_function("APP.state.mode === 'value' && APP.view && APP.view.title.indexOf('Typologie') < 0")
    assert page.locator("#legend .auto-level").count() == 0
    page.watch.assert_clean()


def test_profile_numbers_have_the_indicators_decimals(page, server, view, client):
    """Item 4: a percentage shows one decimal in every year (21,0 and 20,6), counts none."""
    d = view["default"]
    _open(page, server, f"?v={d['version']}&l=buurt&i=corp_share&r={d['region']}&p=BU03630000")
    page.wait_for_selector("#profile-figures")
    assert page.evaluate("[APP.fmt(21, 1), APP.fmt(20.6, 1), APP.fmt(1024, 0), APP.fmt(-0.04, 2)]") == [
        "21,0", "20,6", "1.024", "-0,04"]
    p = client.get("/api/profile/cbs2019/BU03630000").json()
    for f in p["key_figures"]:
        if f["value"] is None:
            continue
        text = page.locator(f"#profile-figures tr[data-indicator='{f['indicator']}'] td.num").inner_text()
        frac = text.split(",")[1] if "," in text else ""
        assert len(frac) == f["decimals"], (f["indicator"], text)
    tips = page.evaluate("[...document.querySelector('.panel svg.chart').querySelectorAll('circle title')]"
                         ".map((e) => e.textContent)")      # the first chart: the view's percentage
    assert tips and all(len(t.split(": ")[1].split(",")[1]) == 1 for t in tips), tips


def _nl(x: float, digits: int) -> str:
    """A number as the page writes it in Dutch (``APP.fmt``): 1.234,5."""
    return f"{x:,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def test_ctrl_click_compares_two_areas(page, server, view, read_store, artifacts):
    """Click one buurt, Ctrl-click a second: the compare panel shows both names and the store's values."""
    from veerkracht.maps.legend import decimals

    first, second = _largest_areas(read_store, view, 2)
    d = view["default"]
    reg = read_store.indicators().set_index("id").loc[d["indicator"]]     # the registry the app serves
    digits = decimals(reg["kind"], reg["unit"])
    _open(page, server)
    page.mouse.click(*_screen_point(page, first["lon"], first["lat"]))
    page.wait_for_selector("#profile-name", timeout=30_000)
    assert page.locator("#profile-name").inner_text() == first["name"]
    # the profile panel took its width: the second point is projected after that
    x, y = _screen_point(page, second["lon"], second["lat"])
    page.keyboard.down("Control")
    page.mouse.click(x, y)
    page.keyboard.up("Control")
    page.wait_for_selector("#compare-table", timeout=30_000)
    heads = page.locator("#compare-table thead th[scope=col]").all_inner_texts()
    assert [h.split("\n")[0] for h in heads] == [first["name"], second["name"]]
    assert page.eval_on_selector_all("#compare-table thead th[scope=col]", "hs => hs.map(h => h.title)") == \
        [first["code"], second["code"]]
    rows = page.evaluate("[...document.querySelectorAll('#compare-table tbody tr')].map((r) => "
                         "[r.querySelector('th').innerText, [...r.querySelectorAll('td.num')].map((c) => c.innerText.trim())])")
    cells = next(c for th, c in rows if th == reg["label_nl"] or th.startswith(reg["label_nl"] + " ("))
    # the map's year (the default view's), so no year is added to the value
    assert cells == [_nl(round(a["value"], 4), digits) for a in (first, second)], cells
    assert len(rows) >= 2                                            # all key figures, not only one
    # both areas are listed by name in the selection and outlined on the map
    assert sorted(page.locator("#selection [data-open]").all_inner_texts()) == sorted([first["name"], second["name"]])
    for a in (first, second):
        assert page.evaluate(f"APP.map.getFeatureState({{source: 'areas', id: '{a['code']}'}})")["selected"] is True
    assert f"sel={first['code']},{second['code']}" in page.url.replace("%2C", ",")
    page.screenshot(path=str(artifacts / "web_compare.png"))
    page.watch.assert_clean()


def _settled(page):
    """Wait until the page has finished its update (the status is no longer 'Laden…')."""
    page.wait_for_function("document.querySelector('#status').textContent !== 'Laden…'", timeout=120_000)


def test_every_option_of_every_control_leads_somewhere(page, server, artifacts):
    """No dead ends: every option the controls offer (from /api/meta) gives a map with a legend, or
    an explanation of why this analysis cannot be computed here — never an error."""
    _open(page, server, "?l=wijk&r=GM0363")
    controls = ["indicator", "version", "level", "mode", "year", "ref"]
    walked = 0
    for cid in controls:
        values = page.eval_on_selector_all(f"#{cid} option", "os => os.map(o => o.value)")
        for value in values:
            if page.locator(f"#{cid}").is_hidden():
                break
            page.select_option(f"#{cid}", value)
            _settled(page)
            status = page.locator("#status").inner_text()
            state = page.evaluate("JSON.stringify(APP.state)")
            assert "Fout" not in status and "Error" not in status, (cid, value, status, state)
            legend = page.locator("#legend li").count()
            assert legend > 0 or status.startswith("Niet beschikbaar"), (cid, value, status, state)
            walked += 1
        # back to a view with data before the next control
        page.goto(server + "/?l=wijk&r=GM0363")
        page.wait_for_function("window.mapReady === true", timeout=60_000)
    page.screenshot(path=str(artifacts / "web_walk_last.png"))
    assert walked >= 20
