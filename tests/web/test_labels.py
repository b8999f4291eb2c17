"""Area names on the map in real Chromium: known Amsterdam buurten are named at street scale, no two
names overlap, each name lies in its own area, and fewer names show when zoomed out (by zoom)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

DAM = (4.8936, 52.3731)


def _labels_at(page, lon: float, lat: float, zoom: float) -> list[dict]:
    page.evaluate(f"APP.map.jumpTo({{center: [{lon}, {lat}], zoom: {zoom}}}); Labels.place(APP)")
    # the boxes the browser drew, not the ones the script computed
    return page.evaluate("""[...document.querySelectorAll('#labels .map-label')].map((e) => {
        const r = e.getBoundingClientRect(); return {code: e.dataset.code, name: e.textContent,
        box: [r.left, r.top, r.right, r.bottom]}; })""")


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_buurt_names_appear_without_overlap(page, server, read_store, client, artifacts):
    page.goto(server + "/")
    page.wait_for_function("window.mapReady === true && Labels.items.length > 0", timeout=60_000)
    d = client.get("/api/meta").json()["default"]
    names = read_store.areas(geo_version=d["version"], level=d["level"]).set_index("code")["name"].to_dict()
    street = _labels_at(page, *DAM, 14)
    page.screenshot(path=str(artifacts / "web_labels_z14.png"))
    shown = {lb["code"]: lb["name"] for lb in street}
    # every name is the store's name of that area; the old centre's buurten are among them
    assert shown and all(names[c] == n for c, n in shown.items())
    assert {"Kop Zeedijk", "Nieuwmarkt", "Lastage"} <= set(shown.values()), sorted(shown.values())
    for i, a in enumerate(street):
        for b in street[i + 1:]:
            assert not _overlap(a["box"], b["box"]), (a, b)
    # nor over the legend
    lg = page.locator("#legend").bounding_box()
    legend = [lg["x"], lg["y"], lg["x"] + lg["width"], lg["y"] + lg["height"]]
    assert not any(_overlap(lb["box"], legend) for lb in street)
    # each name stands on its own area: the area drawn under its centre has the label's code
    for lb in street:
        cx, cy = (lb["box"][0] + lb["box"][2]) / 2, (lb["box"][1] + lb["box"][3]) / 2
        under = page.evaluate(f"""(() => {{ const r = APP.map.getContainer().getBoundingClientRect();
            const f = APP.map.queryRenderedFeatures([{cx} - r.left, {cy} - r.top], {{layers: ['areas-fill']}});
            return f.length ? f[0].properties.code : null; }})()""")
        assert under == lb["code"], (lb, under)
    # by zoom: at city scale only the largest areas keep a name; at 12 none of the small centre buurten
    city = _labels_at(page, *DAM, 11)
    page.screenshot(path=str(artifacts / "web_labels_z11.png"))
    assert 0 < len(city) < len(street)
    assert not {"Kop Zeedijk", "Nieuwmarkt", "Lastage"} & {lb["name"] for lb in city}
    page.watch.assert_clean()
