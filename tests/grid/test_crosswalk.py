"""Grid → buurt crosswalks on the real Amsterdam buurten, and aggregation to buurt, wijk and gemeente."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from veerkracht.geo.grid_store import aggregate_grid, crosswalk_grid

from .world import GEO


def test_centroid_crosswalk_conserves_dwellings_up_to_the_gemeente(world):
    store, w = world
    cw = crosswalk_grid(store, GEO)
    assert len(cw) == w["n"] and (cw["weight"] == 1).all() and cw["from_code"].is_unique
    truth = pd.Series(w["buurt"], index=w["codes"])
    assert (cw.set_index("from_code")["to_code"] == truth.reindex(cw["from_code"]).to_numpy()).all()
    assert cw["basis"].iloc[0] == "dwellings" and cw["amount"].sum() == w["dwellings"].sum()
    cells = store.areas(geo_version="grid100", level="grid", geometry=False)
    assert set(cells["gm_code"]) == {"GM0363"}
    aggregate_grid(store, GEO, indicators=["dwellings", "corp_dwellings", "corp_share", "lbm"])
    f = store.facts(geo_version=GEO)
    gm = f[(f["code"] == "GM0363") & (f["indicator"] == "dwellings") & (f["year"] == 2014)]
    assert gm["value"].iloc[0] == w["dwellings"].sum()
    # a buurt's corporation share = its cells' corporation dwellings over their dwellings
    bu = pd.DataFrame({"b": w["buurt"], "c": w["corp"], "d": w["dwellings"]}).groupby("b").sum()
    share = f[(f["indicator"] == "corp_share") & (f["year"] == 2014) & f["code"].str.startswith("BU")]
    share = share.set_index("code")["value"]
    assert np.allclose(share.sort_index(), (bu["c"] / bu["d"] * 100).reindex(share.index).sort_index())
    # the Leefbaarometer score of a buurt: the dwelling-weighted mean of its cells
    lbm = f[(f["indicator"] == "lbm") & (f["year"] == 2014) & f["code"].str.startswith("BU")].set_index("code")
    one = lbm.index[0]
    cells_lbm = store.facts(indicator="lbm", geo_version="grid100")
    cells_lbm = cells_lbm[cells_lbm["year"] == 2014].set_index("code")["value"]
    sel = w["buurt"] == one
    assert lbm.loc[one, "value"] == pytest.approx(np.average(cells_lbm.loc[w["codes"][sel]], weights=w["dwellings"][sel]),
                                                  abs=1e-6)


def test_area_crosswalk_weights_sum_to_one(world):
    store, w = world
    cw = crosswalk_grid(store, GEO, method="area")
    sums = cw.groupby("from_code")["weight"].sum()
    assert np.allclose(sums, 1) and len(sums) == w["n"]
    assert (cw.groupby("from_code").size() > 1).sum() > 100        # cells on a buurt border are split
