"""The grid as a user runs it: ingest the files, link the cells, sum the surroundings, analyse (subprocesses)."""
from __future__ import annotations

import json

import pytest

from ..cli.conftest import run_cli
from .world import BREAK, BUURTEN, GEO, ZERO, build_world


@pytest.fixture(scope="module")
def files(tmp_path_factory, real_data):
    """The world's files (written by build_world into its folder)."""
    from veerkracht.indicators import registry_frame
    from veerkracht.store import open_store
    folder = tmp_path_factory.mktemp("gridfiles")
    store = open_store(":memory:")
    store.register_indicators(registry_frame())
    build_world(store, real_data, folder)
    store.close()
    return folder


def test_ingest_link_sum_and_analyse_from_the_command_line(files, real_data, tmp_path):
    st = tmp_path / "grid.duckdb"
    steps = [
        ("ingest", "geometry", str(real_data / BUURTEN), "--geo-version", GEO),
        ("ingest", "grid-cbs", str(files / "cbs_vk100_2014.csv"), "--year", "2014"),
        ("ingest", "lbm-grid", str(files / "Leefbaarometer-scores grids 2002-2022.csv")),
        ("grid", "crosswalk", "--to", GEO),
        ("grid", "surroundings", "--radius", "200", "--year", "2014"),
    ]
    for args in steps:
        res = run_cli(*args, store=st)
        assert res.returncode == 0, (args, res.stderr)
    assert "24,341 cells → 518 buurten" in run_cli("grid", "crosswalk", "--to", GEO, store=st).stdout.replace("\n", " ")
    res = run_cli("analyse", "grid-tipping-point", "-o", "n_boot=100", "-o", "n_test=19", "--format", "json", store=st)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    grid = next(r for r in out["table"] if r["unit"] == "grid")
    assert abs(grid["zero_crossing"] - ZERO) <= 3 and abs(grid["breakpoint"] - BREAK) <= 3
    assert run_cli("grid", "aggregate", "--to", GEO, "-i", "dwellings", store=st).returncode == 0
    facts = run_cli("facts", "-i", "dwellings", "--area", "GM0363", "--format", "csv", store=st)
    assert facts.returncode == 0 and "GM0363" in facts.stdout
