"""Words on the map: no internal id, Python repr, exception name or traceback in any text the
social map shows, for every mode the registry publishes, in Dutch and English."""
from __future__ import annotations

import re

import pytest

#: a Python repr, an exception or a traceback in user-facing text
_RAW = re.compile(r"Traceback|\b[A-Z][A-Za-z]*(?:Error|Exception)\b|Message\(|\{'|\bnan\b|\bNone\b")


def _texts(body: dict) -> list[str]:
    out = [body.get("title") or "", body.get("unit") or "", *body.get("notes", []), *body.get("rules", {}).values()]
    out += [e.get(k) or "" for e in body.get("legend", []) for k in ("label_nl", "label_en")]
    if body.get("available") is False:
        out.append(body.get("message") or "")
    return [str(t) for t in out]


def _internal_ids(read_store) -> list[str]:
    return [i for i in read_store.indicators()["id"] if "_" in i] + ["lbm_onv", "nuisance_standin"]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_mode_speaks_words(client, read_store, lang):
    meta = client.get("/api/meta").json()
    modes = [m["id"] for m in meta["modes"]]
    assert {"value", "change", "relative", "typology", "concentration", "hotspots"} <= set(modes)
    ids = _internal_ids(read_store)
    seen = 0
    views = [("cbs2019", lv, ind) for lv in ("buurt", "wijk") for ind in ("corp_share", "bijstand_per_100_dwellings",
                                                                          "lbm")]
    for mode in modes:
        for version, level, ind in views:
            params = {"version": version, "level": level, "indicator": ind, "mode": mode, "region": "GM0363",
                      "lang": lang}
            r = client.get("/api/values", params=params)
            if r.status_code == 404:          # this indicator has no data at this level: not a view
                continue
            assert r.status_code == 200, (params, r.text)
            for text in _texts(r.json()):
                seen += 1
                assert not _RAW.search(text), (params, text)
                assert not any(i in text for i in ids), (params, text)
    assert seen > 200


def test_interface_words_come_from_the_catalogs(client):
    """The map's interface labels are the catalogs' ``web.*`` messages, put in the page by the
    server; the front-end code holds no words of its own."""
    import json
    from pathlib import Path

    from veerkracht.i18n import catalog
    page = client.get("/").text
    start = page.index("window.I18N=") + len("window.I18N=")
    labels = json.JSONDecoder().raw_decode(page[start:])[0]
    for lang in ("nl", "en"):
        web = {k[4:]: v for k, v in catalog(lang).items() if k.startswith("web.")}
        assert labels[lang] == web and len(web) > 50
    assert labels["nl"]["title"] == "Sociale kaart" and labels["en"]["title"] == "Social map"
    static = Path(__file__).resolve().parents[2] / "src" / "veerkracht" / "web" / "static" / "i18n.js"
    assert "Sociale kaart" not in static.read_text(encoding="utf-8")
