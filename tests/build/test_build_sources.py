"""``veerkracht build --leefbaarometer Y --crime`` end to end against loopback services, killed and resumed.

Region Utrecht (GM0344) 2022–2023 (buurten redrawn in 2023). The services answer in their formats:

- Leefbaarometer: the meting zip with the *real* PC4 scores of 2022 (Utrecht postcodes, from
  tests/data/real), and two real postcodes of elsewhere (Amsterdam) that a region build must leave out;
- CBS PC4 geometry: the zipped GeoPackage (``postcode``, geometry), each PC4 the union of a run of the
  2023 buurten (so every buurt lies in exactly one PC4: it must get that PC4's published score), the
  two Amsterdam postcodes as squares over Amsterdam;
- registered crime: a monthly Politie/CBS table (OData v3, two pages) with planted counts per buurt of
  each year's indeling (a total and a sub-kind that must not be added).
"""
from __future__ import annotations

import gzip
import os
import signal
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from tests.build.test_build import cli, finish
from tests.servers import process
from tests.servers.crime import write_monthly_table
from tests.servers.national import write_fixture
from veerkracht.store import open_store

LBM = Path("leefbaarometer_pc4") / "leefbaarometer3_scores_pc4_2002_2022.csv.gz"
OUTSIDE = ["1011", "1012"]       # Amsterdam: outside the region
ARGS = ["build", "--region", "GM0344", "--from", "2022", "--to", "2023", "--leefbaarometer", "2022", "--crime"]


def _crime_table(root: Path, truth: dict, rng) -> dict:
    """Monthly answers of 47022NED with planted counts; returns {year: {code: count}} (buurten)."""
    planted, monthly = {}, {}
    for year in (2022, 2023):
        codes = sorted(truth["codes"][year])
        planted[year] = dict(zip(codes, (int(x) for x in rng.integers(0, 200, len(codes)))))
        monthly.update({(code, year): rng.multinomial(total, np.ones(12) / 12).tolist()
                        for code, total in planted[year].items()})
    write_monthly_table(root, monthly)
    return planted


def _leefbaarometer(root: Path, real_data: Path) -> dict:
    """The meting 2022 zip and the PC4 GeoPackage zip; returns {pc4 code: real score} and the PC4 layout."""
    lines = gzip.open(real_data / LBM, "rt").read().splitlines()
    rows = [r for r in lines[1:] if (r.startswith("35") or r[:4] in OUTSIDE) and ",2022," in r]
    utrecht = sorted({r[:4] for r in rows if r.startswith("35")})
    files = root / "files" / "resources"
    files.mkdir(parents=True)
    with zipfile.ZipFile(files / "open-data-leefbaarometer-meting-2022.zip", "w") as z:
        z.writestr("Leefbaarometer-scores PC4 2022.csv", "PC4,jaar,lbm,afw,fys,onv,soc,vrz,won\n" + "\n".join(rows))
        z.writestr("LEESMIJ.txt", "Leefbaarometer 3.0")
    bu = gpd.read_file(root / "ogc" / "2023" / "buurten.geojson").sort_values("buurtcode").reset_index(drop=True)
    groups = np.array_split(np.arange(len(bu)), 8)
    pcs = utrecht[:8]
    geoms = [shapely.union_all(bu.geometry.iloc[g].to_numpy()) for g in groups]
    pc4 = gpd.GeoDataFrame({"postcode": pcs, "geometry": geoms}, crs=bu.crs).to_crs(28992)
    squares = gpd.GeoDataFrame({"postcode": OUTSIDE, "geometry": [shapely.box(121000 + i * 900, 487000, 121800 + i * 900,
                                                                                     487800) for i in range(2)]},
                               crs=28992)
    gpkg = root / "cbs_pc4_2022_v1.gpkg"
    gpd.GeoDataFrame(pd.concat([pc4, squares], ignore_index=True), crs=28992).to_file(gpkg, layer="cbs_pc4_2022")
    (root / "files" / "postcode").mkdir(parents=True)
    with zipfile.ZipFile(root / "files" / "postcode" / "2023-CBS_pc4_2022_v1.zip", "w") as z:
        z.write(gpkg, "cbs_pc4_2022_v1.gpkg")
    score = {f"PC{r[:4]}": float(r.split(",")[2]) for r in rows}
    members = {f"PC{p}": set(bu["buurtcode"].iloc[g]) for p, g in zip(pcs, groups)}
    return {"score": score, "members": members}


@pytest.fixture(scope="module")
def server(tmp_path_factory, real_data):
    root = tmp_path_factory.mktemp("sources")
    truth = write_fixture(root, [2022, 2023], gm_codes=["GM0344"], redraws={2023: (3, 2)}, odata=True, csv=False,
                          page=60, n_extra=2)
    crimes = _crime_table(root, truth, np.random.default_rng(7))
    lbm = _leefbaarometer(root, real_data)
    proc, base = process.start(root)
    yield {"base": base, "truth": truth, "crimes": crimes, **lbm}
    process.stop(proc)


def test_leefbaarometer_and_crime_steps_killed_and_resumed(server, tmp_path):
    store, cache = tmp_path / "s.duckdb", tmp_path / "cache"
    marker = tmp_path / "paused"
    proc = cli(ARGS, store, cache, server["base"], env={"VEERKRACHT_TEST_PAUSE_IN_STEP": f"harmonise-lbm:2022:{marker}"})
    for _ in range(900):
        if marker.exists() or proc.poll() is not None:
            break
        time.sleep(0.2)
    assert marker.exists(), proc.communicate()[1][-3000:]
    os.kill(proc.pid, signal.SIGKILL)                  # inside harmonise-lbm:2022's transaction
    proc.wait()
    proc.stdout.close(), proc.stderr.close()
    s = open_store(store, read_only=True)
    done = set(s.sql("SELECT step FROM build_steps")["step"])
    s.close()
    # 2 × 3 geometry, 2 KWB, crime, 1 crosswalk, 1 harmonise, pc4, leefbaarometer, crosswalk-pc4
    assert {"crime", "pc4:2022", "leefbaarometer:2022", "crosswalk-pc4:2022", "harmonise:2022"} <= done
    assert len(done) == 14 and "harmonise-lbm:2022" not in done

    out, err = finish(cli(ARGS, store, cache, server["base"]))
    assert "resumed: 14 finished step(s) skipped" in out
    assert "harmonise-lbm:2022:" in err and "crime:" not in err and "kwb:2022:" not in err

    s = open_store(store, read_only=True)
    try:
        dup = s.sql("SELECT count(*) AS n FROM (SELECT geo_version, code, year, indicator, source, origin_version "
                    "FROM facts GROUP BY ALL HAVING count(*) > 1)")["n"].iloc[0]
        assert dup == 0
        # the region's postcodes only: the Amsterdam ones were neither stored as areas nor as scores
        pc = set(s.areas(geo_version="lbm3-2022", geometry=False)["code"])
        assert pc == set(server["members"])
        native = s.facts(indicator="lbm_score", geo_version="lbm3-2022")
        assert set(native["code"]) == set(server["members"])
        # every 2023 buurt lies in one PC4 and gets exactly its published score
        got = s.facts(indicator="lbm_score", geo_version="cbs2023", years=[2022]).set_index("code")["value"]
        checked = 0
        for pc4, members in server["members"].items():
            for code in members:
                assert got[code] == pytest.approx(server["score"][pc4], abs=1e-9), (code, pc4)
                checked += 1
        assert checked == server["truth"]["buurten"][2023]
        # crime: the 2023 counts as planted; the 2022 counts, moved onto the 2023 buurten, add up
        crimes = s.facts(indicator="crimes", geo_version="cbs2023")
        bu = crimes[crimes["code"].str.startswith("BU")]
        c23 = bu[bu["year"] == 2023].set_index("code")["value"]
        assert c23.to_dict() == pytest.approx({k: float(v) for k, v in server["crimes"][2023].items()})
        assert bu[bu["year"] == 2022]["value"].sum() == pytest.approx(sum(server["crimes"][2022].values()))
        native22 = s.facts(indicator="crimes", geo_version="cbs2022")
        assert native22[native22["code"].str.startswith("BU")]["value"].sum() == sum(server["crimes"][2022].values())
    finally:
        s.close()
    assert "lbm_score" in out and "crimes" in out          # in the coverage table
