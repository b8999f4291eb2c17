"""`fetch` of the grid sources: the CBS grid zip and the Leefbaarometer grid table, from the loopback server."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest

from tests.grid.synthetic import write_cbs_grid_gpkg, write_lbm_grid_csv
from veerkracht.errors import InputError
from veerkracht.geo.grid import cell_codes
from veerkracht.sources.download import DownloadCache
from veerkracht.sources.fetch import fetch_grid_cbs, fetch_leefbaarometer
from veerkracht.sources.public import Services

X = np.array([85_900, 86_000, 86_100, 120_000])
Y = np.array([436_000, 436_000, 436_100, 487_000])
DWELLINGS = np.array([120.0, 40.0, 0.0, 75.0])
CORP = np.array([60.0, np.nan, 0.0, 30.0])          # NaN is written as CBS's -99997 (secret)


def _serve_zip(public_server, folder: str, name: str, members: dict) -> None:
    target = public_server["root"] / "files" / folder
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target / name, "w") as z:
        for arc, path in members.items():
            z.write(path, arc) if not isinstance(path, str) else z.writestr(arc, path)


def test_cbs_grid_zip_is_fetched_read_and_loaded(public_server, tmp_path, mem_store):
    gpkg = write_cbs_grid_gpkg(tmp_path / "cbs_vk100_2023_v1.gpkg", X, Y, DWELLINGS, CORP)
    _serve_zip(public_server, "vierkant/100", "2024-cbs_vk100_2023_v1.zip",
               {"cbs_vk100_2023_v1.gpkg": gpkg, "Toelichting.txt": "CBS vierkantstatistieken"})
    svc = Services.loopback(public_server["base"])
    batch = fetch_grid_cbs(2023, DownloadCache(tmp_path / "cache"), svc)
    assert batch.provenance.location.endswith("/vierkant/100/2024-cbs_vk100_2023_v1.zip!cbs_vk100_2023_v1.gpkg")
    codes = list(cell_codes(X, Y))
    assert codes[0] == "E0859N4360" and sorted(batch.areas["code"]) == sorted(codes)
    f = batch.facts.astype({"code": object, "indicator": object, "flags": object})
    dw = f[f["indicator"] == "dwellings"].set_index("code")
    assert dw.loc[codes, "value"].tolist() == DWELLINGS.tolist() and set(dw["year"]) == {2023}
    corp = f[f["indicator"] == "corp_dwellings"].set_index("code")
    assert np.isnan(corp.loc[codes[1], "value"]) and corp.loc[codes[1], "flags"] == "cbs_marker:-99997"
    share = f[f["indicator"] == "corp_share"].set_index("code")
    assert share.loc[codes[0], "value"] == pytest.approx(50.0) and share.loc[codes[3], "value"] == pytest.approx(40.0)
    res = mem_store.ingest(batch)
    assert res["areas"] == 4 and not res["skipped"]
    # a year CBS has not published (no file on the server): an error naming the address, nothing half-loaded
    with pytest.raises(InputError, match="2023-cbs_vk100_2022_v1.zip"):
        fetch_grid_cbs(2022, DownloadCache(tmp_path / "cache"), svc)
    with pytest.raises(InputError, match="100 or 500"):
        fetch_grid_cbs(2023, DownloadCache(tmp_path / "cache"), svc, resolution=250)


def test_leefbaarometer_grid_table_is_read_as_the_grid(public_server, tmp_path):
    rng = np.random.default_rng(3)
    afw = {2018: rng.normal(0, 0.1, 4), 2020: rng.normal(0, 0.1, 4)}
    grid = write_lbm_grid_csv(tmp_path / "grid.csv", cell_codes(X, Y), afw, rng)
    _serve_zip(public_server, "resources", "open-data-leefbaarometer-meting-2020.zip",
               {"Leefbaarometer-scores PC4 2002-2020.csv": "PC4,jaar,lbm,afw,fys,onv,soc,vrz,won\n3511,2020,4.1,0.0,0,0,0,0,0\n",
                "Leefbaarometer-scores grids 2002-2020.csv": grid})
    batch = fetch_leefbaarometer(2020, DownloadCache(tmp_path / "cache"), Services.loopback(public_server["base"]),
                                 level="grid")
    assert batch.provenance.location.endswith("meting-2020.zip!Leefbaarometer-scores grids 2002-2020.csv")
    f = batch.facts.astype({"code": object, "indicator": object, "geo_version": object})
    assert set(f["geo_version"]) == {"grid100"} and set(batch.areas["level"]) == {"grid"}
    got = f[(f["indicator"] == "lbm") & (f["year"] == 2020)].set_index("code")["value"]
    assert got.loc[list(cell_codes(X, Y))].to_numpy() == pytest.approx(np.round(afw[2020], 6))
