"""The JSON API on a store built from the real files: values equal the store, suppression holds,
every bad parameter gets a 4xx with a message, no traversal, no injection."""
from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from veerkracht.indicators import apply_suppression
from veerkracht.indicators.reliability import hidden_in_version


@pytest.fixture(scope="module")
def default(client):
    return client.get("/api/meta").json()["default"]


@pytest.fixture(scope="module")
def facts(read_store, default):
    """Raw (unsuppressed) facts of the default indicator at the default level and year."""
    areas = read_store.areas(geo_version=default["version"], level=default["level"], geometry=False)
    f = read_store.facts(indicator=default["indicator"], geo_version=default["version"],
                         codes=list(areas["code"]), years=[default["year"]])
    return f[~f["source"].str.contains(r"\+")].set_index("code")


def _completed(store, version: str):
    """The cells primary and secondary suppression hide in ``version`` (decision 0006), decided on
    every fact of the version."""
    return hidden_in_version(store.facts(geo_version=version), store.areas(geo_version=version, geometry=False),
                             store.indicators())


def _params(d, **kw):
    """The default view (the page opens on it; its year is not always the latest)."""
    return {"version": d["version"], "level": d["level"], "indicator": d["indicator"],
            "region": d["region"], "year": d["year"], **kw}


def test_meta_lists_store_contents(client, read_store, default):
    meta = client.get("/api/meta").json()
    all_areas = read_store.areas(geometry=False)
    # versions that hold areas (a version known only from a crosswalk has nothing to draw)
    assert [v["id"] for v in meta["versions"]] == sorted(set(all_areas["geo_version"]))
    assert set(all_areas["geo_version"]) < set(read_store.geo_versions()["id"])
    ind = next(i for i in meta["indicators"] if i["id"] == default["indicator"])
    codes = all_areas.query("geo_version == @default['version'] and level == @default['level']")["code"]
    years = sorted(read_store.facts(indicator=default["indicator"], geo_version=default["version"],
                                    codes=list(codes))["year"].unique())
    assert ind["available"][default["version"]][default["level"]] == [int(y) for y in years]
    assert ind["label_nl"] and ind["label_en"] and ind["label_nl"] != ind["label_en"]
    # analyses of data a user loads (portfolio, tenants, grid, scenario start shares) are not offered
    assert set(meta["analyses"]) == {"typology", "concentration", "relative", "hotspots", "early-warning",
                                     "trajectories"}
    assert "openapi" in client.get("/openapi.json").json()


def test_values_equal_the_store_and_suppressed_never_leave(client, facts, default, read_store):
    body = client.get("/api/values", params=_params(default)).json()
    completed = _completed(read_store, default["version"])
    shown = apply_suppression(facts.reset_index(), hidden=completed)
    assert shown["flags"].str.contains("suppressed").sum() > apply_suppression(facts.reset_index())[
        "flags"].str.contains("suppressed").sum()
    hidden = shown[shown["flags"].str.contains("suppressed")]
    visible = shown[~shown["flags"].str.contains("suppressed") & shown["value"].notna()]
    assert len(hidden) > 10 and len(visible) > 100          # the real data has both
    for code, value in visible.set_index("code")["value"].items():
        assert body["areas"][code][0] == pytest.approx(value, rel=1e-6)
        assert body["areas"][code][2] in ("ok", "unreliable")
    for code in hidden["code"]:
        assert body["areas"][code] == [None, -1, "suppressed"]
    assert body["counts"]["suppressed"] == len(hidden)
    # the raw values of suppressed areas appear nowhere: values, CSV, GeoJSON, profile
    csv_text = client.get("/api/export.csv", params=_params(default)).text
    gj = {f["properties"]["code"]: json.dumps(f["properties"])
          for f in client.get("/api/export.geojson", params=_params(default)).json()["features"]}
    raw_v = facts.loc[hidden["code"], "value"]
    telling = hidden["code"][(raw_v.notna() & (raw_v % 1 != 0)).to_numpy()]   # a number that would be recognised
    assert len(telling) >= 5
    for code in telling[:20]:
        raw = facts.loc[code]
        prof = client.get(f"/api/profile/{default['version']}/{code}", params={"year": default["year"]}).json()
        fig = next(f for f in prof["key_figures"] if f["indicator"] == default["indicator"])
        assert fig["value"] is None and fig["status"] == "suppressed"
        # the area's own rows (another area may have the same ratio, e.g. 42/574 = 6/82)
        rows = [ln for ln in csv_text.splitlines() if ln.startswith(code + ",")] + [gj[code]]
        area_trend = next(t for t in prof["trends"] if t["indicator"] == default["indicator"])["area"]
        assert len(rows) == 2 and all(p["value"] is None for p in area_trend if p["year"] == default["year"])
        for r in rows + [json.dumps(fig), json.dumps(area_trend)]:
            assert f"{raw['value']:.6g}" not in r and f"{round(raw['value'], 4)}" not in r


def test_class_breaks_are_pooled_over_years(client, read_store, default):
    years = client.get("/api/meta").json()["indicators"]
    years = next(i for i in years if i["id"] == default["indicator"])["available"][default["version"]][default["level"]]
    legends = [client.get("/api/values", params=_params(default, year=y)).json()["breaks"] for y in years]
    assert all(b == legends[0] for b in legends) and len(legends) >= 2
    body = client.get("/api/values", params=_params(default, year=years[0])).json()
    for value, cls, _status in body["areas"].values():
        if value is not None:
            lo = -np.inf if cls == 0 else legends[0][cls - 1]
            assert lo < value <= legends[0][cls] + 1e-9


def test_change_is_difference_of_the_two_years(client, read_store, default):
    meta = client.get("/api/meta").json()
    ind = next(i for i in meta["indicators"] if i["id"] == default["indicator"])
    years = ind["available"][default["version"]][default["level"]]
    y0, y1 = years[0], years[-1]
    body = client.get("/api/values", params=_params(default, mode="change", year=y1, year_from=y0)).json()
    f = read_store.facts(indicator=default["indicator"], geo_version=default["version"], years=[y0, y1])
    f = apply_suppression(f[~f["source"].str.contains(r"\+")], hidden=_completed(read_store, default["version"]))
    wide = f.pivot_table(index="code", columns="year", values="value")
    both = wide.dropna()
    assert len(both) > 50
    for code, row in both.head(40).iterrows():
        assert body["areas"][code][0] == pytest.approx(row[y1] - row[y0], abs=1e-5)


def test_profile_numbers_trend_and_sources(client, read_store, facts, default):
    shown = apply_suppression(facts.reset_index(), hidden=_completed(read_store, default["version"]))
    code = shown[shown["value"].notna() & ~shown["flags"].str.contains("suppressed")]["code"].iloc[0]
    prof = client.get(f"/api/profile/{default['version']}/{code}",
                      params={"indicator": default["indicator"], "year": default["year"]}).json()
    area = read_store.areas(geo_version=default["version"], codes=[code], geometry=False).iloc[0]
    assert prof["name"] == area["name"] and prof["gm_code"] == area["gm_code"]
    fig = next(f for f in prof["key_figures"] if f["indicator"] == default["indicator"])
    assert fig["value"] == pytest.approx(facts.loc[code, "value"], abs=1e-4) and fig["year"] == default["year"]
    trend = prof["trends"][0]
    assert trend["indicator"] == default["indicator"] and len(trend["area"]) >= 2
    assert trend["gemeente"], "a buurt's trend is drawn against its gemeente"
    assert prof["provenance"] and all(p["file"] and "/" not in p["file"] for p in prof["provenance"])


def test_compare_and_search(client, facts, read_store, default):
    codes = list(facts.index[:3])
    body = client.get("/api/compare", params={"version": default["version"], "codes": ",".join(codes)}).json()
    assert [a["code"] for a in body["areas"]] == codes
    name = read_store.areas(geo_version=default["version"], codes=[codes[0]], geometry=False)["name"].iloc[0]
    hits = client.get("/api/search", params={"q": name[:6]}).json()["results"]
    assert codes[0] in [h["code"] for h in hits] or len(hits) == 20
    hit = client.get("/api/search", params={"q": codes[0]}).json()["results"][0]
    assert hit["code"] == codes[0] and len(hit["bounds"]) == 4


def test_geometry_is_gzipped_geojson_of_the_region(client, read_store, default):
    r = client.get(f"/api/geometry/{default['version']}/{default['level']}",
                   params={"region": default["region"], "zoom": 12}, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    fc = r.json()
    n = len(read_store.areas(geo_version=default["version"], level=default["level"], geometry=False)
            .query("gm_code == @default['region']"))
    assert len(fc["features"]) == n
    low = client.get(f"/api/geometry/{default['version']}/{default['level']}",
                     params={"region": default["region"], "zoom": 6}).content
    assert len(low) < len(r.content)          # coarser zoom, fewer bytes


def test_exports_parse(client, facts, default):
    r = client.get("/api/export.csv", params=_params(default))
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    df = pd.read_csv(io.StringIO(r.text), dtype={"code": str})
    code = df.dropna(subset=["value"])["code"].iloc[0]
    assert df.set_index("code").loc[code, "value"] == pytest.approx(facts.loc[code, "value"], rel=1e-5)
    gj = client.get("/api/export.geojson", params=_params(default)).json()
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == len(df)


BAD = [
    ("/api/values", {"version": "nope", "level": "buurt", "indicator": "corp_share"}, 404, "unknown geography version"),
    ("/api/values", {"version": "{v}", "level": "buurt", "indicator": "nope"}, 404, "unknown indicator"),
    ("/api/values", {"version": "{v}", "level": "grid", "indicator": "{i}"}, 404, "has no level"),
    ("/api/values", {"version": "{v}", "level": "{l}", "indicator": "{i}", "year": 1901}, 404, "no 'corp_share' data for 1901"),
    ("/api/values", {"version": "{v}", "level": "{l}", "indicator": "{i}", "region": "GM9999"}, 404, "no area 'GM9999'"),
    ("/api/values", {"version": "{v}", "level": "{l}", "indicator": "corp_share' OR 1=1 --"}, 422, "indicator"),
    ("/api/values", {"version": "x'; DROP TABLE facts; --", "level": "{l}", "indicator": "{i}"}, 422, "version"),
    ("/api/values", {"version": "{v}", "level": "{l}", "indicator": "{i}", "year": "abc"}, 422, "year"),
    ("/api/values", {"version": "{v}", "level": "{l}", "indicator": "{i}", "mode": "evil"}, 422, "mode"),
    ("/api/values", {"version": "{v}", "level": "{l}", "indicator": "{i}", "mode": "change", "year": "{y}",
                     "year_from": "{y}"}, 400, "must be before"),
    ("/api/values", {"level": "{l}", "indicator": "{i}"}, 422, "version"),
    ("/api/profile/{v}/BU99999999", {}, 404, "no area 'BU99999999'"),
    ("/api/profile/{v}/BU0363' OR '1'='1", {}, 422, "code"),
    ("/api/compare", {"version": "{v}", "codes": "BU03630000"}, 400, "2 to 5"),
    ("/api/search", {"q": "x" * 61}, 422, "q"),
    ("/api/geometry/{v}/nolevel", {}, 404, "has no level"),
    ("/api/export.csv", {"version": "{v}", "level": "{l}", "indicator": "{i}", "k": 50}, 422, "k"),
]


@pytest.mark.parametrize("path,params,status,message", BAD)
def test_bad_parameters_get_a_clear_4xx(client, default, path, params, status, message):
    fill = {"{v}": default["version"], "{l}": default["level"], "{i}": default["indicator"], "{y}": default["year"]}
    sub = lambda s: fill.get(s, s) if isinstance(s, str) else s
    path = path.replace("{v}", default["version"])
    r = client.get(path, params={k: sub(v) for k, v in params.items()})
    assert r.status_code == status, r.text
    body = r.json()
    assert message in body["error"], body
    assert "Traceback" not in r.text and "File \"" not in r.text


@pytest.mark.parametrize("path", [
    "/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py", "/static/%2e%2e%2f%2e%2e%2fcli.py",
    "/static/vendor/../../catalog.py", "/static/..%5capp.py", "/static//etc/passwd", "/static/%2fetc%2fpasswd",
])
def test_no_path_traversal(client, path):
    r = client.get(path)
    assert r.status_code in (400, 404), (path, r.status_code)
    assert "import" not in r.text and "root:" not in r.text


def test_static_files_and_index(client):
    assert "maplibre-gl.js" in client.get("/").text
    js = client.get("/static/vendor/maplibre-gl/maplibre-gl.js")
    assert js.status_code == 200 and len(js.content) > 500_000
    assert client.get("/static/vendor/maplibre-gl/LICENSE.txt").status_code == 200


def test_print_validates_the_image(client, default):
    base = {"version": default["version"], "level": default["level"], "indicator": default["indicator"],
            "region": default["region"]}
    assert client.post("/api/print", json={**base, "image": "data:image/png;base64,AAAA"}).status_code == 400
    assert client.post("/api/print", json={**base, "image": "http://example.org/x.png"}).status_code == 400
    r = client.post("/api/print", json={**base, "indicator": "nope", "image": "data:image/png;base64,AAAA"})
    assert r.status_code in (400, 404)
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    import base64
    r = client.post("/api/print", json={**base, "image": "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


def test_index_inlines_meta_and_starts_the_default_requests(client):
    html = client.get("/").text
    boot = json.loads(html.split("window.BOOT=", 1)[1].split(";if(location", 1)[0].replace("<\\/", "</"))
    assert boot["meta"] == client.get("/api/meta").json()
    d = boot["meta"]["default"]
    assert d["region_name"] == "Amsterdam"       # cbs2019 stores GM0363 unnamed: borrowed from cbs2023
    assert len(boot["early"]) == 4 and all(client.get(u).status_code == 200 for u in boot["early"])
    assert any(f"year={d['year']}" in u for u in boot["early"])


def test_flagged_estimates_are_unreliable(client, read_store):
    """partial_coverage / incomplete values are drawn hatched; plain aggregated sums are not."""
    from veerkracht.maps.catalog import UNRELIABLE_FLAGS
    # 2013: OIS 2005 buurten converted to cbs2019, some only partly covered (partial_coverage)
    params = {"version": "cbs2019", "level": "buurt", "indicator": "corp_share", "region": "GM0363", "year": 2013}
    body = client.get("/api/values", params=params).json()
    f = read_store.facts(indicator="corp_share", geo_version="cbs2019", years=[2013])
    f = f[f["code"].isin(list(body["areas"]))].set_index("code")
    shown = apply_suppression(f.reset_index(), hidden=_completed(read_store, "cbs2019")).set_index("code")
    seen = set()
    for code, (_value, _, status) in body["areas"].items():
        if code not in shown.index or "suppressed" in shown.loc[code, "flags"] or pd.isna(shown.loc[code, "value"]):
            continue
        tokens = set(str(shown.loc[code, "flags"]).split(","))
        assert status == ("unreliable" if tokens & UNRELIABLE_FLAGS else "ok"), (code, tokens, status)
        seen.add(status)
    assert seen == {"ok", "unreliable"}


def test_analysis_layers_match_the_analyses(client, read_store):
    """The map shows each analysis' own classes (column contracts of typology, concentration,
    relative and hot spots), and never a class for an area the analysis suppressed."""
    from veerkracht.analysis import get_analysis
    base = {"version": "cbs2019", "region": "GM0363"}
    conc = get_analysis("concentration")(read_store, indicator="corp_share", geo_version="cbs2019", level="buurt",
                                         region="GM0363", year_from=2005, year_to=2017)
    body = client.get("/api/values", params={**base, "level": "buurt", "indicator": "corp_share",
                                             "mode": "concentration", "year": 2017, "year_from": 2005}).json()
    t = conc.table.set_index("code")
    assert body["kind"] == "bivariate" and sorted(e["cls"] for e in body["legend"]) == sorted(
        f"{a}-{b}" for a in (1, 2, 3) for b in (1, 2, 3))
    n = 0
    for code, (value, _cls, status) in body["areas"].items():
        if t.loc[code, "suppressed"] or t.loc[code, "class"] == "":
            assert value is None
        elif status in ("ok", "unreliable"):
            assert value == t.loc[code, "class"]
            n += 1
    assert n > 100
    rel = get_analysis("relative")(read_store, indicator="corp_share", geo_version="cbs2023", level="gemeente", year=2024)
    body = client.get("/api/values", params={"version": "cbs2023", "level": "gemeente", "indicator": "corp_share",
                                             "mode": "relative", "ref": "country", "year": 2024}).json()
    r = rel.table.set_index("code")
    ok = [c for c, (v, _, s) in body["areas"].items() if s == "ok"]
    assert len(ok) > 300 and all(body["areas"][c][0] == pytest.approx(r.loc[c, "diff_nl"], abs=1e-6) for c in ok)
    same = client.get("/api/values", params={"version": "cbs2023", "level": "gemeente", "indicator": "corp_share",
                                             "mode": "relative", "ref": "gemeente", "year": 2024}).json()
    assert not same["available"] and "zichzelf" in same["message"]
    typ = client.get("/api/values", params={**base, "level": "wijk", "indicator": "corp_share", "mode": "typology"}).json()
    assert typ["available"] and typ["rules"] and typ["unit"] == "" and typ["title"].startswith("Typologie 20")
    assert {e["cls"].split(":")[0] for e in typ["legend"]} <= {"problem", "vulnerable", "signal", "none"}
    assert all(e["label_nl"] and e["label_en"] and "_" not in e["label_nl"] for e in typ["legend"])
    no = client.get("/api/values", params={**base, "level": "buurt", "indicator": "corp_share", "mode": "typology"}).json()
    assert not no["available"] and "kies niveau wijk" in no["message"]
    hot = client.get("/api/values", params={**base, "level": "buurt", "indicator": "lbm", "mode": "hotspots"}).json()
    assert {"HH", "LL"} <= {e["cls"] for e in hot["legend"]} and "" not in {e["cls"] for e in hot["legend"]}


def test_model_estimates_are_coloured_and_said_once(client, read_store):
    """Every Leefbaarometer score is flagged ``approx``: coloured (status ok), not hatched, and the
    legend says once that all values are estimates; genuinely doubtful flags stay hatched."""
    body = client.get("/api/values", params={"version": "cbs2019", "level": "buurt", "indicator": "lbm",
                                             "region": "GM0363", "year": 2022}).json()
    f = read_store.facts(indicator="lbm", geo_version="cbs2019", years=[2022]).set_index("code")
    shown = {c: s for c, (v, _, s) in body["areas"].items() if v is not None}
    approx = [c for c in shown if "approx" in str(f.loc[c, "flags"]).split(",")]
    assert len(approx) == len(shown) > 300
    doubtful = {c for c in shown if {"partial_coverage", "incomplete", "pct_over_100", "split_estimate"}
                & set(str(f.loc[c, "flags"]).split(","))}
    assert {c for c, s in shown.items() if s == "unreliable"} == doubtful
    assert body["counts"]["ok"] == len(shown) - len(doubtful)
    assert body["notes"].count("Alle waarden zijn modelschattingen (benaderd).") == 1


def test_typology_switches_to_the_level_of_its_inputs(client):
    """Item 1: at buurt level the typology's inputs are missing; the view names wijk as the level to
    switch to (the page does so), and at wijk the typology has classes for Amsterdam's wijken."""
    base = {"version": "cbs2019", "region": "GM0363", "indicator": "corp_share", "mode": "typology"}
    buurt = client.get("/api/values", params={**base, "level": "buurt"}).json()
    assert not buurt["available"] and buurt["switch_level"] == "wijk"
    wijk = client.get("/api/values", params={**base, "level": "wijk"}).json()
    assert wijk["available"] and wijk.get("switch_level") is None
    classes = [cls for _, cls, status in wijk["areas"].values() if status == "ok"]
    assert len(classes) >= 50 and any(str(c).startswith("problem:") for c in classes)
    value = client.get("/api/values", params={**base, "level": "buurt", "mode": "value"}).json()
    assert "switch_level" not in value


def test_decimals_per_indicator(client, read_store):
    """Item 4: one number of decimals per indicator (by kind and unit), in meta, profile and compare."""
    from veerkracht.maps.legend import decimals
    assert [decimals("rate", "%"), decimals("rate", "per 1.000 inwoners"), decimals("count", "aantal"),
            decimals("score", "afwijking"), decimals("class", "klasse"), decimals("score", "index (stad = 100)"),
            decimals("score", "x 1.000 euro")] == [1, 1, 0, 2, 0, 0, 0]
    meta = {i["id"]: i["decimals"] for i in client.get("/api/meta").json()["indicators"]}
    assert meta["corp_share"] == 1 and meta["dwellings"] == 0 and meta["lbm"] == 2
    # a buurt whose share is shown in at least four years (secondary suppression hides some years of others)
    shares = client.app.state.web.catalog.facts("corp_share", "cbs2019")
    shown = shares[shares["status"].isin(["ok", "unreliable"]) & shares["code"].str.startswith("BU")]
    code = sorted(c for c, n in shown.groupby("code").size().items() if n >= 4)[0]
    p = client.get(f"/api/profile/cbs2019/{code}").json()
    figs = {f["indicator"]: f["decimals"] for f in p["key_figures"]}
    assert figs["corp_share"] == 1 and figs["dwellings"] == 0 and figs["lbm"] == 2
    assert all(t["decimals"] == figs[t["indicator"]] for t in p["trends"])
    # the count trend holds whole numbers, the share fractions: each keeps its own decimals
    series = {t["indicator"]: [x["value"] for x in t["area"] if x["value"] is not None] for t in p["trends"]}
    assert all(float(v).is_integer() for v in series["corp_dwellings"]) and len(series["corp_share"]) >= 4
    c = client.get("/api/compare", params={"version": "cbs2019", "codes": "BU03630000,BU03630001"}).json()
    assert {r["indicator"]: r["decimals"] for r in c["rows"]}["corp_share"] == 1
    v = client.get("/api/values", params={"version": "cbs2019", "level": "buurt", "indicator": "lbm"}).json()
    assert v["decimals"] == 2


def test_search_gives_one_drawable_row_per_area(client):
    """'Utrecht' was six identical rows (one per indeling), some in versions without geometry."""
    meta = client.get("/api/meta").json()
    drawable = {(v["id"], lv["level"]) for v in meta["versions"] for lv in v["levels"] if lv["geometry"]}
    hits = client.get("/api/search", params={"q": "Utrecht"}).json()["results"]
    keys = [(h["code"], h["level"]) for h in hits]
    assert ("GM0344", "gemeente") in keys and len(keys) == len(set(keys))
    assert all((h["geo_version"], h["level"]) in drawable for h in hits)
    gm = next(h for h in hits if h["code"] == "GM0344")
    assert gm["geo_version"] == max(v for v, lv in drawable if lv == "gemeente")    # the latest drawable
    pref = client.get("/api/search", params={"q": "Utrecht", "prefer": "cbs2021"}).json()["results"]
    assert next(h for h in pref if h["code"] == "GM0344")["geo_version"] == "cbs2021"


def test_csv_for_dutch_excel(client, default):
    """';' between fields, decimal comma and a UTF-8 byte-order mark: Dutch Excel opens it right."""
    import io
    params = {"version": default["version"], "level": default["level"], "indicator": default["indicator"],
              "region": default["region"]}
    plain = pd.read_csv(io.StringIO(client.get("/api/export.csv", params=params).text))
    r = client.get("/api/export.csv", params={**params, "excel": "true"})
    assert r.content.startswith("\ufeff".encode("utf-8")) and "_excel.csv" in r.headers["content-disposition"]
    xl = pd.read_csv(io.BytesIO(r.content), sep=";", decimal=",", encoding="utf-8-sig")
    assert list(xl.columns) == list(plain.columns) and len(xl) == len(plain)
    shown = plain["value"].notna()
    assert shown.sum() > 50 and np.allclose(xl.loc[shown, "value"], plain.loc[shown, "value"])
    assert "," in r.content.decode("utf-8-sig").splitlines()[1 + int(np.argmax(shown.to_numpy()))]


def test_palettes_follow_polarity(client, default):
    """Corporation share has no better or worse end: its change map is purple–green, never the
    red/blue of judgement; bijstand (worse when higher) keeps red for the worse side."""
    from veerkracht.maps.legend import _RDBU
    base = {"version": "cbs2019", "level": "wijk", "region": "GM0363", "mode": "change"}
    share = client.get("/api/values", params={**base, "indicator": "corp_share"}).json()
    assert share["legend"] and not {e["color"] for e in share["legend"]} & set(_RDBU[:4] + _RDBU[5:])
    worse = client.get("/api/values", params={**base, "indicator": "bijstand_per_100_dwellings"}).json()
    assert worse["legend"][-1]["color"] == _RDBU[-1]          # the highest rise is red
