"""Sums over the direct surroundings (radius around each cell): hand-computed and brute force."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from veerkracht.geo.grid import cell_codes, neighbour_matrix, radius_offsets, radius_sums
from veerkracht.geo.grid_store import surroundings, surroundings_facts

# how many of the 5×5 cells lie within 200 m (centre to centre) of each cell, counted by hand: the
# 13-cell diamond (itself, 4 at 100 m, 4 at 141 m, 4 at 200 m) cut off at the edges
HAND_COUNTS_5x5 = np.array([[6, 8, 9, 8, 6],
                            [8, 11, 12, 11, 8],
                            [9, 12, 13, 12, 9],
                            [8, 11, 12, 11, 8],
                            [6, 8, 9, 8, 6]])


def _grid5():
    i, j = np.meshgrid(np.arange(5), np.arange(5), indexing="ij")
    return i.ravel(), j.ravel()


def test_hand_computed_5x5():
    i, j = _grid5()
    ones, _ = radius_sums(i, j, np.ones(25), 200, 100)
    assert (ones.reshape(5, 5) == HAND_COUNTS_5x5).all()
    v = (5 * i + j).astype(float)                     # value 0 … 24, row-major
    sums, _ = radius_sums(i, j, v, 200, 100)
    # centre: 12 + (7 + 17 + 11 + 13) + (6 + 8 + 16 + 18) + (2 + 22 + 10 + 14) = 156
    assert sums[12] == 156
    # corner (0, 0): 0 + 5 + 1 + 6 + 10 + 2 = 24;  edge (0, 2): 2 + 1 + 3 + 7 + 6 + 8 + 0 + 4 + 12 = 43
    assert sums[0] == 24 and sums[2] == 43
    assert len(radius_offsets(200, 100)) == 13 and len(radius_offsets(199.9, 100)) == 9


def test_missing_values_are_counted_and_flagged():
    i, j = _grid5()
    v = np.ones(25)
    v[12] = np.nan
    sums, miss = radius_sums(i, j, v, 200, 100)
    assert sums[12] == 12 and miss[12] == 1 and miss[0] == 0 and miss[2] == 1   # (0,2) reaches (2,2)


@pytest.mark.parametrize("radius,res", [(200, 100), (350, 100), (500, 100), (1000, 500), (99, 100)])
def test_exact_against_brute_force_distances(radius, res):
    rng = np.random.default_rng(radius)
    flat = rng.choice(60 * 60, size=1500, replace=False)
    ix, iy = flat // 60 + 800, flat % 60 + 4000
    v = rng.integers(0, 100, size=(len(ix), 2)).astype(float)
    got, _ = radius_sums(ix, iy, v, radius, res)
    cx, cy = (ix + 0.5) * res, (iy + 0.5) * res
    d2 = (cx[:, None] - cx[None, :]) ** 2 + (cy[:, None] - cy[None, :]) ** 2
    within = d2 <= radius ** 2 + 1e-6
    assert (got == within.astype(float) @ v).all()
    assert neighbour_matrix(ix, iy, radius, res).nnz == within.sum()


def test_corp_share_200m_sums_then_divides(mem_store):
    i, j = _grid5()
    codes = cell_codes(120_000 + i * 100, 480_000 + j * 100)
    dw = np.full(25, 10.0)
    dw[0] = 90.0
    corp = np.zeros(25)
    corp[0] = 90.0                                    # one cell full of corporation dwellings
    rows = [pd.DataFrame({"geo_version": "grid100", "code": codes, "year": 2022, "indicator": ind, "value": val,
                          "source": "test"}) for ind, val in (("dwellings", dw), ("corp_dwellings", corp))]
    mem_store.write_facts(pd.concat(rows))
    out = surroundings(mem_store, radius=200)
    assert out["indicator"] == "corp_share_200m" and out["facts"] == 25
    f = mem_store.facts(indicator="corp_share_200m").set_index("code")
    # cell (0,0): 6 cells, 90 corporation dwellings of 90 + 5 × 10 = 140 — not the mean of the cell shares
    assert f.loc[codes[0], "numerator"] == 90 and f.loc[codes[0], "denominator"] == 140
    assert f.loc[codes[0], "value"] == pytest.approx(90 / 140 * 100)
    assert f.loc[codes[24], "value"] == 0
    reg = mem_store.indicator("corp_share_200m")
    assert "within 200 m" in reg["description_en"] and "100 m cells" in reg["description_en"]
    other = surroundings(mem_store, radius=300)          # another radius: its own definition, with the years
    reg = mem_store.indicator(other["indicator"])
    assert other["indicator"] == "corp_share_300m" and reg["kind"] == "rate"
    assert "within 300 m" in reg["description_en"] and "100 m cells" in reg["description_en"] and "2022" in reg["description_en"]
    again = surroundings_facts(mem_store.facts(indicator=["dwellings", "corp_dwellings"]), "corp_dwellings",
                               "dwellings", "x", radius=100)
    assert again.set_index("code").loc[codes[0], "denominator"] == 110        # itself and two neighbours
