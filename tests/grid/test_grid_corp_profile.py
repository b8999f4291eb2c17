"""The corporation-share profile on the 100 m grid (report figs 9–12 at grid level): cells binned by the share
within 200 m, against pooled sums computed here by a brute-force distance check on a planted grid."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from veerkracht.analysis import get_analysis
from veerkracht.geo.grid import cell_codes, grid_areas
from veerkracht.geo.grid_store import surroundings

N, BLOCK = 40, 10                  # 40 × 40 cells; buurten of 10 × 10 cells
EDGES = [0, 30, 60, float("inf")]


def _plant(store):
    rng = np.random.default_rng(7)
    ix, iy = (a.ravel() for a in np.meshgrid(np.arange(N) + 1200, np.arange(N) + 4800, indexing="ij"))
    codes = cell_codes(ix * 100, iy * 100)
    areas = grid_areas(codes, 100, gm_code="GM0001")
    store.write_areas(areas)
    buurt = np.char.add("BU", (((ix - 1200) // BLOCK) * 10 + (iy - 4800) // BLOCK).astype(str)).astype(object)
    store.write_crosswalk(pd.DataFrame({"from_version": "grid100", "from_code": codes, "to_version": "bu",
                                        "to_code": buurt, "weight": 1.0, "amount": 1.0, "basis": "cell_centroid"}))
    planted, rows = {}, []
    trend = np.clip((ix - 1200) / N + rng.normal(0, 0.15, N * N), 0, 1)     # more corporation stock eastwards
    for year in (2014, 2018):
        dw = rng.integers(20, 120, N * N).astype(float)
        corp = rng.binomial(dw.astype(int), np.clip(trend + (year - 2014) * 0.02, 0, 1)).astype(float)
        planted[year] = (dw, corp)
        base = pd.DataFrame({"geo_version": "grid100", "code": codes, "year": year, "source": "planted"})
        rows += [base.assign(indicator="dwellings", value=dw), base.assign(indicator="corp_dwellings", value=corp),
                 base.assign(indicator="corp_share", numerator=corp, denominator=dw, value=corp / dw * 100)]
    store.write_facts(pd.concat(rows, ignore_index=True))
    surroundings(store, years=[2014, 2018])
    return ix, iy, buurt, planted


def test_grid_profile_bins_cells_by_their_200m_share(mem_store):
    ix, iy, buurt, planted = _plant(mem_store)
    r = get_analysis("corp-profile")(mem_store, indicator="corp_share", share="corp_share_200m", geo_version="grid100",
                                     level="grid", bins=EDGES, n_boot=60)
    # independent: the 200 m surroundings by brute force (centres within 200 m), then the pooled rate per bin
    d2 = (ix[:, None] - ix[None, :]) ** 2 + (iy[:, None] - iy[None, :]) ** 2
    near = (d2 * 100 ** 2 <= 200 ** 2).astype(float)
    for year, (dw, corp) in planted.items():
        s200 = near @ corp / (near @ dw) * 100
        ref = corp.sum() / dw.sum() * 100
        got = r.table[r.table["year"] == year].set_index("bin")
        for k, (lo, hi) in enumerate(zip(EDGES[:-1], EDGES[1:])):
            inb = (s200 >= lo) & (s200 < hi)
            assert got.loc[k, "n_areas"] == inb.sum()
            assert got.loc[k, "rate"] == pytest.approx(corp[inb].sum() / dw[inb].sum() * 100, rel=1e-9)
            assert got.loc[k, "index"] == pytest.approx(corp[inb].sum() / dw[inb].sum() * 100 / ref * 100, rel=1e-9)
    # the intervals resample whole buurten (16 blocks), and say so
    assert r.summary["n_units"] == len(set(buurt)) == 16 and r.summary["n_areas"] == N * N
    assert r.params["share"] == "corp_share_200m"
    note = next(n for n in r.notes if n.id == "corp_profile.note.grid_blocks")
    assert "16 blocks" in note.render("en") and "1,600 cells" in note.render("en")
    lo, hi = r.table["rate_lo"].to_numpy(), r.table["rate_hi"].to_numpy()
    assert (lo <= r.table["rate"].to_numpy() + 1e-9).all() and (r.table["rate"].to_numpy() <= hi + 1e-9).all()
