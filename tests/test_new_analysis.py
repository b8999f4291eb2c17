"""A new analysis, added as a contributor would (one class, its messages), appears in the CLI, on the
social map and in the report without a change to ``web/`` or ``report/``.

The analysis here is deliberately small: per area, is the indicator above or below the region's
median in a year. It is registered for the length of this module and removed afterwards.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field

import pandas as pd
import pytest

from veerkracht.analysis import _common as c
from veerkracht.analysis.base import ANALYSES, Analysis, ClassSpec, LayerSpec, Message, ReportSpec, Result
from veerkracht.i18n import catalog

MESSAGES = {  # what a contributor adds to the two .po files
    "test.median.title": ("Boven of onder de mediaan", "Above or below the median"),
    "test.median.summary": ("Gebieden boven en onder de mediaan", "Areas above and below the median"),
    "test.median.high": ("boven de mediaan", "above the median"),
    "test.median.low": ("op of onder de mediaan", "at or below the median"),
    "test.median.message": ("{n_high} van {n} gebieden liggen boven de mediaan ({median:.1f}).",
                            "{n_high} of {n} areas lie above the median ({median:.1f})."),
}


@dataclass
class MedianParams:
    indicator: str = field(default="corp_share", metadata={"help": "indicator to split at its median"})
    year: int | None = field(default=None, metadata={"help": "year (default the latest)"})
    region: list[str] | str | None = field(default=None, metadata={"help": "region codes"})
    geo_version: str | None = field(default=None, metadata={"help": "geography version"})
    level: str | None = field(default=None, metadata={"help": "level"})


class AboveMedian(Analysis):
    name = "above-median"
    Params = MedianParams
    title = "test.median.title"
    summary = "test.median.summary"
    layer = LayerSpec(order=99, kind="categorical", column="class", label=Message("test.median.title"),
                      classes=(ClassSpec("high", Message("test.median.high"), "#b2182b"),
                               ClassSpec("low", Message("test.median.low"), "#2166ac")))
    report = ReportSpec(order=65, title=Message("test.median.title"), indicators=("corp_share",))

    def resolve(self, store, p):
        gv, lv, areas, codes, years = c.scope(store, p.indicator, p.geo_version, p.level, p.region)
        return p, gv, lv, areas, (p.year or years[-1])

    def compute(self, store, scope):
        p, gv, lv, areas, year = scope
        f = store.facts(indicator=p.indicator, geo_version=gv, codes=list(areas["code"]), years=[year])
        v = f.set_index("code")["value"].reindex(areas["code"])
        med = float(v.median())
        table = pd.DataFrame({"code": v.index, "value": v.to_numpy(),
                              "class": ["high" if x > med else ("low" if x == x else "") for x in v],
                              "suppressed": False})
        msg = Message("test.median.message", {"n_high": int((table["class"] == "high").sum()), "n": len(table),
                                              "median": med})
        return Result(self.name, table, {"indicator": p.indicator, "year": year, "geo_version": gv, "level": lv},
                      summary={"message": msg}, inputs={"value": {"indicators": [p.indicator], "years": [year]},
                                                       "geo_version": gv, "level": lv})


@pytest.fixture(scope="module")
def registered():
    for lang, i in (("nl", 0), ("en", 1)):
        catalog(lang).update({k: v[i] for k, v in MESSAGES.items()})
    ANALYSES["above-median"] = AboveMedian()
    yield
    del ANALYSES["above-median"]
    for lang in ("nl", "en"):
        for k in MESSAGES:
            catalog(lang).pop(k, None)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    from veerkracht.demo import build_demo_store
    from veerkracht.store import open_store
    path = tmp_path_factory.mktemp("newanalysis") / "demo.duckdb"
    store = open_store(str(path))
    build_demo_store(store)
    store.close()
    return path


def test_the_cli_lists_and_runs_it(registered, store_path):
    from typer.testing import CliRunner

    from veerkracht.cli import _register_analyse, app
    _register_analyse()                      # main() does this before dispatching
    runner = CliRunner()
    listing = runner.invoke(app, ["analyse"])
    assert "above-median" in listing.output and "Gebieden boven en onder de mediaan" in listing.output
    params = runner.invoke(app, ["analyse", "above-median", "--list"])
    assert "indicator to split at its median" in params.output
    res = runner.invoke(app, ["--store", str(store_path), "analyse", "above-median", "--region", "GM0363",
                              "--geo-version", "cbs2019", "-o", "level=wijk", "-o", "year=2017"])
    assert res.exit_code == 0, res.output
    assert "van 99 gebieden liggen boven de mediaan" in res.output


def test_the_map_offers_and_draws_it(registered, store_path, tmp_path):
    from fastapi.testclient import TestClient

    from veerkracht.web.app import create_app
    copy = tmp_path / "web.duckdb"
    shutil.copy(store_path, copy)
    with TestClient(create_app(str(copy), warm=False)) as client:
        modes = {m["id"]: m for m in client.get("/api/meta").json()["modes"]}
        assert modes["above-median"]["label_nl"] == "Boven of onder de mediaan"
        body = client.get("/api/values", params={"version": "cbs2019", "level": "wijk", "region": "GM0363",
                                                 "indicator": "corp_share", "mode": "above-median",
                                                 "year": 2017, "lang": "en"}).json()
    assert body["available"]
    assert {e["label_en"] for e in body["legend"]} == {"above the median", "at or below the median"}
    classes = [cls for _, cls, status in body["areas"].values() if status == "ok"]
    assert classes.count("high") >= 40 and classes.count("low") >= 40


def test_the_report_has_its_chapter(registered, store_path, tmp_path):
    from veerkracht.report import build_report, section_keys
    from veerkracht.store import open_store
    assert "above-median" in section_keys()
    store = open_store(str(store_path), read_only=True)
    try:
        res = build_report(store, region=["GM0363"], year_from=2013, year_to=2017, out_dir=tmp_path / "r")
    finally:
        store.close()
    assert res["sections"]["above-median"] == "ok"
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "Boven of onder de mediaan" in html and "liggen boven de mediaan" in html
    assert (tmp_path / "r" / "figures" / "map_above-median.png").exists()
