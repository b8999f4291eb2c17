"""``veerkracht serve --basemap``: none by default (nothing leaves the machine), PDOK and any XYZ or
style URL on request; in Chromium against a loopback tile server, whose tiles show under the areas."""
from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from tests.servers import process
from tests.servers.tiles import TILE_RGB
from veerkracht.errors import VeerkrachtError
from veerkracht.web.basemap import PDOK_TEMPLATE, resolve_basemap

from .conftest import open_page, start_server, stop_server


def test_specs_resolve():
    assert resolve_basemap("none") is None and resolve_basemap(None) is None
    pdok = resolve_basemap("pdok")
    assert pdok["tiles"] == ["https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/grijs/EPSG:3857/{z}/{x}/{y}.png"]
    assert "Kadaster" in pdok["attribution"]
    assert resolve_basemap("pdok:pastel")["tiles"] == [PDOK_TEMPLATE.format(style="pastel")]
    xyz = "http://127.0.0.1:9/t/{z}/{x}/{y}.png"
    assert resolve_basemap(xyz) == {"kind": "raster", "tiles": [xyz], "attribution": "127.0.0.1:9", "max_zoom": 19}
    assert resolve_basemap("https://example.org/style.json") == {"kind": "style", "url": "https://example.org/style.json"}
    for bad in ("pdok:roze", "ftp://x/{z}/{x}/{y}", "tiles/{z}/{x}/{y}.png"):
        with pytest.raises(VeerkrachtError):
            resolve_basemap(bad)


def test_default_page_names_no_basemap(client):
    html = client.get("/").text
    assert "window.BASEMAP=null;" in html and "pdok" not in html.lower()


@pytest.mark.browser
def test_loopback_tiles_show_under_the_areas(browser, web_store, tmp_path, client, artifacts):
    tiles, tiles_url = process.start(tmp_path, "tests.servers.tiles")
    try:
        proc, url = start_server(web_store, tmp_path / "server.log", basemap=tiles_url + "/tiles/{z}/{x}/{y}.png")
        try:
            ctx, page, watch = open_page(browser, url)
            page.wait_for_function("APP.map.areTilesLoaded()", timeout=30_000)
            page.screenshot(path=str(artifacts / "web_basemap_loopback.png"))
            zoom = page.evaluate("APP.map.getZoom()")
            # Chromium asked the tile server for tiles of the map's zoom, and for nothing else outside the app
            asked = (tmp_path / "requests.log").read_text().split()
            zs = {int(p.split("/")[2]) for p in asked}
            assert asked and all(p.startswith("/tiles/") for p in asked)
            # 256-pixel tiles: MapLibre's zoom + 1 (it counts in 512-pixel tiles)
            assert any(abs(z - (zoom + 1)) < 1 for z in zs), (zoom, zs)
            assert watch.external and all(u.startswith(tiles_url + "/tiles/") for u in watch.external)
            assert not watch.errors and not watch.bad_status
            # read the map's own pixels (the tiles are CORS-clean, so the canvas is readable: PNG export works)
            data = page.evaluate("APP.map.getCanvas().toDataURL('image/png')")
            px = np.asarray(Image.open(io.BytesIO(base64.b64decode(data.split(",")[1]))).convert("RGB")).astype(int)
            ratio = px.shape[1] / page.evaluate("APP.map.getContainer().clientWidth")
            # outside the areas the tile itself
            assert (np.abs(px - np.array(TILE_RGB)).max(axis=2) <= 3).mean() > 0.05
            # inside an area with a class colour: that colour at 72 % over the tile
            d = client.get("/api/meta").json()["default"]
            values = client.get("/api/values", params={k: d[k] for k in ("version", "level", "indicator", "year",
                                                                         "region")}).json()
            colours = {str(e["cls"]): e["color"] for e in values["legend"]}
            labels = client.get(f"/api/labels/{d['version']}/{d['level']}", params={"region": d["region"]}).json()
            checked = 0
            for lb in labels["labels"][:40]:
                v = values["areas"].get(lb["code"])
                if not v or v[2] != "ok" or str(v[1]) not in colours:
                    continue
                x, y = page.evaluate(f"(() => {{ const p = APP.map.project([{lb['lon']}, {lb['lat']}]); return [p.x, p.y]; }})()")
                if not (0 <= x * ratio < px.shape[1] and 0 <= y * ratio < px.shape[0]):
                    continue
                c = colours[str(v[1])]
                rgb = np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)])
                expected = 0.72 * rgb + 0.28 * np.array(TILE_RGB)
                got = px[int(y * ratio), int(x * ratio)]
                assert np.abs(got - expected).max() <= 6, (lb["name"], got, expected)
                checked += 1
            assert checked >= 5
            ctx.close()
        finally:
            stop_server(proc)
    finally:
        process.stop(tiles)
