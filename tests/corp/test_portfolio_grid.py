"""Per complex, the direct surroundings on the 100 m grid (issue 14 item 2 with issue 16's grid): the cell
of a complex located by coordinates, the corporation share within 200 m of that cell and the cell's
Leefbaarometer nuisance class — checked against a brute-force distance sum and hand classes."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from tests.cli.conftest import run_cli
from tests.corp.plant import copy_store, plant_portfolio
from veerkracht.analysis import get_analysis
from veerkracht.store import open_store

YEAR = 2017


def _cell(ix: int, iy: int) -> str:
    return f"E{ix:04d}N{iy:04d}"


def _planted_corp(ix, iy):
    return (ix * 7 + iy * 3) % 21            # corporation dwellings of 20 per cell: shares 0 … 100 %


def _planted_onv(ix, iy):
    return ((ix + iy) % 5 - 2) * 0.05        # −0.10 … +0.10: problem, weak, fine, fine, fine


@pytest.fixture(scope="module")
def grid_store(demo_store, tmp_path_factory):
    d = tmp_path_factory.mktemp("corp_grid")
    path = copy_store(demo_store, d)
    csv, plan = plant_portfolio(path, d)
    res = run_cli("ingest", "portfolio", str(csv), "-o", "corporation=Woonstad", store=path)
    assert res.returncode == 0, res.stderr
    raw = pd.read_csv(csv, sep=";", dtype=str).iloc[:len(plan)]
    to_rd = Transformer.from_crs(4326, 28992, always_xy=True)
    cells = {}
    for _, r in raw.iterrows():
        if pd.isna(r["X"]):
            continue
        x, y = float(r["X"]), float(r["Y"])
        if x < 1000:                                   # degrees: WGS84
            x, y = to_rd.transform(x, y)
        cells[r["Complexnummer"]] = (int(x // 100), int(y // 100))
    block = {(ix + dx, iy + dy) for ix, iy in cells.values() for dx in range(-3, 4) for dy in range(-3, 4)}
    rows = []
    for ix, iy in sorted(block):
        for ind, v in (("dwellings", 20.0), ("corp_dwellings", float(_planted_corp(ix, iy))),
                       ("lbm_onv", _planted_onv(ix, iy))):
            rows.append({"geo_version": "grid100", "code": _cell(ix, iy), "year": YEAR, "indicator": ind,
                         "value": v, "source": "test"})
    store = open_store(str(path))
    try:
        store.write_facts(pd.DataFrame(rows))
        from veerkracht.geo.grid_store import surroundings
        surroundings(store)
    finally:
        store.close()
    return path, plan, cells, block


def _brute_share(ix, iy, block):
    num = den = 0.0
    for jx, jy in block:
        if (jx - ix) ** 2 + (jy - iy) ** 2 <= 4.0 + 1e-9:          # centres within 200 m
            num += _planted_corp(jx, jy)
            den += 20.0
    return np.nan if 0 < num < 10 else num / den * 100


def test_each_complex_has_its_cell_and_the_200m_share_of_a_brute_force_sum(grid_store):
    path, plan, cells, block = grid_store
    store = open_store(str(path), read_only=True)
    try:
        res = get_analysis("portfolio")(store, corporation="Woonstad")
        stored = store.portfolio("Woonstad")
    finally:
        store.close()
    cx = res.extra["complexes"].set_index("complex_id")
    assert len(cells) == 80 and cx["cell"].notna().sum() == 80
    third = len(plan) // 3
    assert cx.loc[plan["complex"].iloc[:third], "cell"].isna().all()         # located by buurt code: no point
    for complex_id, (ix, iy) in cells.items():
        row = cx.loc[complex_id]
        assert row["cell"] == _cell(ix, iy)
        want = _brute_share(ix, iy, block)
        assert (np.isnan(want) and np.isnan(row["corp_share_200m"])) or row["corp_share_200m"] == pytest.approx(want)
        onv = _planted_onv(ix, iy)
        assert row["cell_lbm_onv"] == pytest.approx(onv)
        assert row["cell_class"] == ("problem" if onv <= -0.10 + 1e-12 else "weak" if onv <= -0.05 + 1e-12 else "fine")
    assert set(stored.loc[stored["cell"].notna(), "cell"]) == {_cell(*c) for c in cells.values()}
    assert any("200 m" in n and "80 van 120" in n for n in res.note_texts("nl"))
    assert cx["cell_class"].value_counts().get("problem", 0) >= 5


def test_the_export_carries_the_surroundings(grid_store, tmp_path):
    path, plan, cells, _ = grid_store
    out = tmp_path / "complexen.csv"
    res = run_cli("portfolio", "--export", str(out), store=path)
    assert res.returncode == 0, res.stderr
    back = pd.read_csv(out, sep=";", decimal=",", encoding="utf-8-sig").set_index("complex_id")
    assert {"cell", "corp_share_200m", "cell_class"} <= set(back.columns)
    assert back["cell"].notna().sum() == len(cells)


def test_without_grid_figures_the_note_says_what_to_load(demo_store, tmp_path):
    path = copy_store(demo_store, tmp_path)
    csv, _ = plant_portfolio(path, tmp_path, n=30)
    assert run_cli("ingest", "portfolio", str(csv), "-o", "corporation=Woonstad", store=path).returncode == 0
    store = open_store(str(path), read_only=True)
    try:
        res = get_analysis("portfolio")(store, corporation="Woonstad")
    finally:
        store.close()
    assert "cell" not in res.extra["complexes"] or res.extra["complexes"].get("corp_share_200m") is None
    assert any("grid surroundings" in n for n in res.note_texts("en"))
