"""Search by postcode (PC6) and by street + house number through an ``adressen`` list in the store.

The address list is hand-made for the test (real Amsterdam street names and postcodes, each address
assigned by us to a demo buurt, chosen by its name): what the search must find is what was planted.
"""
from __future__ import annotations

import pytest

from veerkracht.errors import InputError
from veerkracht.sources import get_reader
from veerkracht.store import open_store

from .conftest import open_page, start_server, stop_server
from .stores import build_demo

# (postcode, huisnummer, huisletter, toevoeging, straat, woonplaats, buurt name in the demo store)
PLANTED = [
    ("1012 LG", "1", "", "", "Damrak", "Amsterdam", "Kop Zeedijk"),
    ("1012 LG", "3", "", "", "Damrak", "Amsterdam", "Kop Zeedijk"),
    ("1012 LG", "5", "a", "", "Damrak", "Amsterdam", "Kop Zeedijk"),
    ("1012 JS", "70", "", "", "Damrak", "Amsterdam", "Nieuwendijk Noord"),
    ("1012 JS", "72", "", "2", "Damrak", "Amsterdam", "Nieuwendijk Noord"),
    ("1011 HB", "10", "", "", "Nieuwmarkt", "Amsterdam", "Nieuwmarkt"),
    ("1011 HB", "12", "", "", "Nieuwmarkt", "Amsterdam", "Nieuwmarkt"),
    ("1011 HB", "14", "", "", "Nieuwmarkt", "Amsterdam", "Lastage"),
]


@pytest.fixture(scope="module")
def address_store(tmp_path_factory):
    """The demo store plus the planted address list (ingested with the ``adressen`` reader)."""
    path = build_demo(tmp_path_factory.mktemp("addr") / "addr.duckdb")
    store = open_store(str(path))
    try:
        areas = store.areas(geo_version="cbs2019", level="buurt")
        code = dict(zip(areas["name"], areas["code"]))
        csv = path.parent / "adressen.csv"
        lines = ["postcode;huisnummer;huisletter;toevoeging;openbare_ruimte;woonplaats;bu_code"]
        lines += [";".join([*row[:6], code[row[6]]]) for row in PLANTED]
        csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
        store.ingest(get_reader("adressen")(str(csv), to_version="cbs2019"))
    finally:
        store.close()
    return path, code


@pytest.fixture(scope="module")
def addr_client(address_store):
    from fastapi.testclient import TestClient

    from veerkracht.web.app import create_app
    with TestClient(create_app(str(address_store[0]), warm=False)) as c:
        yield c


def _search(client, q):
    r = client.get("/api/search", params={"q": q})
    assert r.status_code == 200, r.text
    return r.json()["results"]


def test_postcode_finds_its_buurten_with_shares(addr_client, address_store):
    code = address_store[1]
    for q in ("1012 LG", "1012lg", " 1012  LG "):
        hits = [h for h in _search(addr_client, q) if "match" in h]
        assert [(h["code"], h["match"], h["level"], h["geo_version"]) for h in hits] == \
            [(code["Kop Zeedijk"], "1012 LG", "buurt", "cbs2019")]
        assert hits[0]["bounds"] and "share" not in hits[0]       # all its addresses lie in one buurt
    hits = [h for h in _search(addr_client, "1011HB") if "match" in h]
    assert [(h["name"], h["share"]) for h in hits] == [("Nieuwmarkt", pytest.approx(2 / 3, abs=1e-3)),
                                                      ("Lastage", pytest.approx(1 / 3, abs=1e-3))]


def test_street_and_number(addr_client, address_store):
    code = address_store[1]
    one = [h for h in _search(addr_client, "Damrak 72-2") if "match" in h]
    assert [(h["code"], h["match"]) for h in one] == [(code["Nieuwendijk Noord"], "Damrak 72-2, Amsterdam (1012 JS)")]
    assert [h["match"] for h in _search(addr_client, "damrak 5A") if "match" in h] == ["Damrak 5A, Amsterdam (1012 LG)"]
    # "Damrak 1" is number 1, not 10 or 12 of another street
    assert [h["match"] for h in _search(addr_client, "Damrak 1") if "match" in h] == ["Damrak 1, Amsterdam (1012 LG)"]
    # a street alone: the buurten it runs through, most addresses first
    street = [(h["name"], h["match"]) for h in _search(addr_client, "damrak") if "match" in h]
    assert street == [("Kop Zeedijk", "Damrak, Amsterdam (3 adr.)"), ("Nieuwendijk Noord", "Damrak, Amsterdam (2 adr.)")]
    # the area-name search still answers after the address hits
    assert any(h["name"] == "Nieuwmarkt" and "match" not in h for h in _search(addr_client, "Nieuwmarkt"))


def test_without_address_table_nothing_is_made_up(client):
    assert not [h for h in _search(client, "1012 LG") if "match" in h]
    assert not [h for h in _search(client, "Damrak 1") if "match" in h]


def test_reader_names_the_bad_row(tmp_path):
    bad = tmp_path / "a.csv"
    bad.write_text("postcode,huisnummer,straat,bu_code\n1012 LG,1,Damrak,BU03630000\n1012 L,3,Damrak,BU03630000\n")
    with pytest.raises(InputError) as e:
        get_reader("adressen")(str(bad), to_version="cbs2019")
    assert e.value.row == 3 and "1012 L" in str(e.value)
    with pytest.raises(InputError, match="to_version"):
        get_reader("adressen")(str(bad))


@pytest.mark.browser
def test_address_hit_lands_on_its_buurt(browser, address_store, tmp_path, artifacts):
    path, code = address_store
    proc, url = start_server(path, tmp_path / "server.log")
    try:
        # start on the national gemeente map: the hit must switch version, level and region to show it
        ctx, page, watch = open_page(browser, url, "?v=cbs2023&l=gemeente")
        page.fill("#search", "Damrak 72")
        page.wait_for_selector("#search-results li[data-i]", timeout=30_000)
        assert page.locator("#search-results li[data-i]").first.inner_text().startswith(
            "Damrak 72-2, Amsterdam (1012 JS) → Nieuwendijk Noord")
        n = page.evaluate("window.renderCount")
        page.keyboard.press("Enter")
        page.wait_for_function(f"window.renderCount > {n}", timeout=60_000)
        page.wait_for_selector("#profile-name", timeout=30_000)
        page.screenshot(path=str(artifacts / "web_search_address.png"))
        assert page.locator("#profile-name").inner_text() == "Nieuwendijk Noord"
        target = code["Nieuwendijk Noord"]
        state = page.evaluate(f"[APP.state.version, APP.state.level, APP.codes.includes('{target}'), "
                              f"APP.map.getFeatureState({{source: 'areas', id: '{target}'}})]")
        assert state[:3] == ["cbs2019", "buurt", True] and state[3]["selected"] is True
        assert state[3]["status"] in ("ok", "unreliable", "suppressed", "missing")
        # the buurt is on screen: its drawn features lie inside the visible map
        on_screen = page.evaluate("APP.map.queryRenderedFeatures({layers: ['areas-fill'], "
                                  f"filter: ['==', ['get', 'code'], '{target}']}}).length")
        assert on_screen > 0
        assert not page.locator("#status.error").count()
        assert not watch.errors and not watch.bad_status and not watch.external
        ctx.close()
    finally:
        stop_server(proc)
