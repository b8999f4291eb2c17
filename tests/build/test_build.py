"""``veerkracht build`` end to end against loopback services in their own process.

Region: Utrecht (GM0344) 2013–2025 — synthetic answers on the real 2019 buurten, redrawn in 2016 and
2021, and the real recorded CBS answers where they exist (KWB 2023 OData v3, KWB 2025 OData v4).
Killed with SIGKILL in the middle of a step and run again. Country: the real 13,594 buurten.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.servers import process
from tests.servers.national import write_fixture
from veerkracht.store import open_store

ROOT = Path(__file__).resolve().parents[2]
CBS_ODATA = ROOT / "tests" / "data" / "cbs_odata"
YEARS = list(range(2013, 2026))


@pytest.fixture(scope="module")
def region_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("region")
    truth = write_fixture(root, YEARS, gm_codes=["GM0344"], redraws={2016: (3, 2), 2021: (2, 3)},
                          odata=True, csv=False, page=60, n_extra=2)
    for api, table in (("v3", "85618NED"), ("v4", "86165NED")):     # the real answers, where they exist
        dest = root / "odata" / api / table
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(CBS_ODATA / api / table, dest)
    proc, base = process.start(root)
    yield {"base": base, "truth": truth}
    process.stop(proc)


def cli(args, store, cache, base, env=None, **kw):
    cmd = [sys.executable, "-m", "veerkracht.cli", "--store", str(store), *args, "--cache", str(cache),
           "--services-url", base]
    full_env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT / "src"), **(env or {})}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env, **kw)


def finish(proc, timeout=600):
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return out, err


REGION = ["build", "--region", "GM0344", "--from", "2013", "--to", "2025"]


def test_region_build_killed_and_resumed(region_server, tmp_path):
    store, cache = tmp_path / "s.duckdb", tmp_path / "cache"
    marker = tmp_path / "paused"
    proc = cli(REGION, store, cache, region_server["base"],
               env={"VEERKRACHT_TEST_PAUSE_IN_STEP": f"harmonise:2018:{marker}"})
    for _ in range(600):
        if marker.exists() or proc.poll() is not None:
            break
        time.sleep(0.2)
    assert marker.exists(), proc.communicate()[1][-2000:]
    os.kill(proc.pid, signal.SIGKILL)                 # in the middle of harmonise:2018's transaction
    proc.wait()
    proc.stdout.close(), proc.stderr.close()

    s = open_store(store, read_only=True)
    done = s.sql("SELECT step FROM build_steps")["step"].tolist()
    s.close()
    # 13 years × 3 levels of geometry, 13 KWB editions, 12 crosswalks, harmonise 2013–2017: 69 steps
    assert len(done) == 69 and "harmonise:2017" in done and "harmonise:2018" not in done

    out, err = finish(cli(REGION, store, cache, region_server["base"], env={}))
    assert "resumed: 69 finished step(s) skipped" in out
    assert "harmonise:2018:" in err and "kwb:2013:" not in err      # only the unfinished steps ran

    s = open_store(store, read_only=True)
    try:
        dup = s.sql("SELECT count(*) AS n FROM (SELECT geo_version, code, year, indicator, source, origin_version "
                    "FROM facts GROUP BY ALL HAVING count(*) > 1)")["n"].iloc[0]
        assert dup == 0
        assert len(s.sql("SELECT step FROM build_steps")) == 13 * 3 + 13 + 12 + 12
        truth = region_server["truth"]
        f = s.facts(indicator="residents", geo_version="cbs2025")
        bu = f[f["code"].str.startswith("BU")]
        for year in (2013, 2016, 2019, 2021, 2024):
            # every synthetic year's buurten add up on the 2025 indeling to the gemeente total
            total = bu[bu["year"] == year]["value"].sum()
            gm = f[(f["code"] == "GM0344") & (f["year"] == year)]["value"].item()
            assert total == pytest.approx(gm) and gm == truth["residents"][year]
        # the real KWB 2023 figure of Utrecht, harmonised onto the 2025 gemeenten
        assert f[(f["code"] == "GM0344") & (f["year"] == 2023)]["value"].item() == 367947
        # its four real buurten keep their residents, except those whose code the (synthetic) 2023 map
        # no longer has — and those are reported as unmapped by the harmonise step, not lost in silence
        real = [r for name in ("TypedDataSet.json", "TypedDataSet.skip3.json", "TypedDataSet.skip6.json")
                for r in json.loads((CBS_ODATA / "v3" / "85618NED" / name).read_text())["value"]]
        real_bu = {r["WijkenEnBuurten"].strip(): r["AantalInwoners_5"] for r in real
                   if r["WijkenEnBuurten"].startswith("BU")}
        assert len(real_bu) == 4
        info = json.loads(s.sql("SELECT info FROM build_steps WHERE step = 'harmonise:2023'")["info"].iloc[0])
        lost = [c for c in info["unmapped_codes"] if c in real_bu]
        assert lost == [c for c in real_bu if c not in truth["codes"][2023]]
        kept = sum(v for c, v in real_bu.items() if c not in lost)
        assert bu[bu["year"] == 2023]["value"].sum() == pytest.approx(kept)
        share_2023 = round(100 * bu[bu["year"] == 2023]["code"].nunique() / truth["buurten"][2025])
        # support: a buurt merged in 2016 rests on two 2013 buurten, and says so
        sup = s.support(geo_version="cbs2025", origin_version="cbs2013")
        merged = sup[sup["n_sources"] == 2]
        assert len(merged) >= 1 and set(sup["source_level"]) == {"buurt", "wijk", "gemeente", "country"}
        row = merged.iloc[0]
        assert row["cluster"] in row["sources"].split(",") and row["code"] not in truth["codes"][2013]
    finally:
        s.close()
    # the coverage summary: in 2023 only the buurten fed by the four real ones have a value
    assert "Dekking op cbs2025" in out
    line = next(ln for ln in out.splitlines() if ln.split("│")[1:2] and ln.split("│")[1].strip() == "residents")
    cells = [c.strip() for c in line.split("│")[2:-1]]
    assert cells[YEARS.index(2023)] == str(share_2023) != "0" and cells[YEARS.index(2019)] == "100"


def test_offline_rebuild_from_the_cache(region_server, tmp_path):
    store, cache = tmp_path / "s.duckdb", tmp_path / "cache"
    args = ["build", "--region", "GM0344", "--from", "2022", "--to", "2023"]
    finish(cli(args, store, cache, region_server["base"]))
    store.unlink()
    out, _ = finish(cli(args + ["--offline"], store, cache, region_server["base"]))
    assert "Dekking op cbs2023" in out
    bad = cli(["build", "--region", "GM0344", "--from", "2020", "--to", "2020", "--offline"], tmp_path / "t.duckdb",
              cache, region_server["base"])
    _, err = bad.communicate(timeout=120)
    assert bad.returncode == 1 and "--offline" in err and "not in the download cache" in err


@pytest.mark.slow
def test_country_build_conserves_national_totals(tmp_path_factory, tmp_path):
    from veerkracht.build import BuildPlan, run_build
    from veerkracht.indicators import registry_frame
    from veerkracht.sources.download import DownloadCache
    from veerkracht.sources.public import Services

    root = tmp_path_factory.mktemp("country")
    years = [2019, 2020, 2021]
    truth = write_fixture(root, years, redraws={2021: (150, 150)}, n_extra=5)
    proc, base = process.start(root)
    try:
        store = open_store(tmp_path / "nl.duckdb")
        store.register_indicators(registry_frame())
        plan = BuildPlan(years=years, kwb_via="download")
        res = run_build(store, plan, DownloadCache(tmp_path / "cache"), Services.loopback(base))
    finally:
        process.stop(proc)
    assert truth["buurten"][2019] == 13594 and truth["buurten"][2021] == 13594 - 150 + 150
    cw = res["reports"]["crosswalk:2019"]["buurt"]
    assert cw["identical"] == 13594 - 450 and cw["unmatched"] == 0 and cw["low_coverage"] == 0
    f = store.facts(indicator="residents", geo_version="cbs2021")
    bu = f[f["code"].str.startswith("BU")]
    for year in years:
        assert bu[bu["year"] == year]["value"].sum() == pytest.approx(truth["residents"][year], rel=1e-12)
        assert f[(f["code"] == "NL01") & (f["year"] == year)]["value"].item() == truth["residents"][year]
    cov = res["coverage"]
    assert (cov[(cov["level"] == "buurt")]["share"] == 1.0).all()
    assert set(cov["year"]) == set(years) and res["facts_ingested"] > 3 * 17000 * 9
    store.close()


def test_address_weighted_crosswalks(region_server, tmp_path):
    """With address points the crosswalks are weighted by addresses: a split buurt divides by its points."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from veerkracht.build import BuildPlan, run_build
    from veerkracht.indicators import registry_frame
    from veerkracht.sources.download import DownloadCache
    from veerkracht.sources.public import Services

    atoms = region_server["truth"]["atoms"].to_crs(28992)
    rng = np.random.default_rng(5)
    pts = []
    for g in atoms.geometry:                      # 1–6 addresses at random inside every 2019 buurt
        x0, y0, x1, y1 = g.bounds
        got = 0
        want = int(rng.integers(1, 7))
        while got < want:
            p = shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
            if g.contains(p):
                pts.append(p)
                got += 1
    path = tmp_path / "adressen.geojson"
    gpd.GeoDataFrame(geometry=pts, crs=28992).to_file(path)
    store = open_store(tmp_path / "a.duckdb")
    store.register_indicators(registry_frame())
    plan = BuildPlan(years=[2020, 2021], region=["GM0344"], levels=("buurt",), addresses=str(path))
    run_build(store, plan, DownloadCache(tmp_path / "cache"), Services.loopback(region_server["base"]))
    cw = store.crosswalk(from_version="cbs2020", to_version="cbs2021")
    assert set(cw["basis"]) == {"addresses"}
    split = cw.groupby("from_code").filter(lambda g: len(g) == 2)
    assert len(split) >= 2
    src = store.areas(geo_version="cbs2020", level="buurt").to_crs(28992).set_index("code")
    dst = store.areas(geo_version="cbs2021", level="buurt").to_crs(28992).set_index("code")
    p = gpd.GeoSeries(pts, crs=28992)
    for r in split.itertuples():
        inside = p.within(src.geometry[r.from_code])
        share = (inside & p.within(dst.geometry[r.to_code])).sum() / inside.sum()
        assert r.weight == pytest.approx(share) and r.amount == (inside & p.within(dst.geometry[r.to_code])).sum()
    store.close()
