"""The grid on the social map's API: a gemeente's cells compactly, never the national grid."""
from __future__ import annotations

import gzip
import json

import pytest

from veerkracht.geo.grid_store import crosswalk_grid, surroundings

from .world import GEO


@pytest.fixture(scope="module")
def client(world, tmp_path_factory):
    from fastapi.testclient import TestClient

    from veerkracht.store import open_store
    from veerkracht.web.app import create_app
    store, w = world
    crosswalk_grid(store, GEO)
    surroundings(store, years=[2014])
    path = tmp_path_factory.mktemp("gridweb") / "grid.duckdb"
    store.sql(f"ATTACH '{path}' AS out")          # the world as a file the app can open
    store.sql("COPY FROM DATABASE memory TO out")
    store.sql("DETACH out")
    open_store(str(path)).close()
    with TestClient(create_app(str(path)), raise_server_exceptions=False) as c:
        yield c, w


def test_meta_offers_the_grid_level(client):
    c, w = client
    meta = c.get("/api/meta").json()
    grid = next(v for v in meta["versions"] if v["id"] == "grid100")
    assert {"level": "grid", "n_areas": w["n"], "geometry": True} in grid["levels"]
    assert meta["default"].get("level") != "grid"                    # the first view is never the grid


def test_a_gemeentes_cells_under_2mb_and_never_the_national_grid(client):
    c, w = client
    r = c.get("/api/geometry/grid100/grid", params={"region": "GM0363", "zoom": 14})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert r.num_bytes_downloaded < 2_000_000                     # over the wire (24k cells: ~0.5 MB)
    body = r.content                                               # httpx has inflated it
    fc = json.loads(gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body)
    assert len(fc["features"]) == w["n"]
    ring = fc["features"][0]["geometry"]["coordinates"][0]
    assert len(ring) == 5                                           # a square stays a square
    assert c.get("/api/geometry/grid100/grid", params={"zoom": 8}).status_code == 400


def test_cells_coloured_by_the_200m_share_with_small_cells_suppressed(client):
    c, w = client
    v = c.get("/api/values", params={"version": "grid100", "level": "grid", "indicator": "corp_share_200m",
                                     "region": "GM0363", "year": 2014}).json()
    assert len(v["areas"]) == w["n"]
    statuses = {a[2] for a in v["areas"].values()}
    assert "ok" in statuses
    # a single cell's own share rests on 8–119 dwellings: under 50 dwellings, or 1–9 corporation
    # dwellings, it is suppressed (hatched), as for buurten (indicators/reliability.py)
    own = c.get("/api/values", params={"version": "grid100", "level": "grid", "indicator": "corp_share",
                                       "region": "GM0363", "year": 2014}).json()
    n_small = int(((w["dwellings"] < 50) | ((w["corp"] > 0) & (w["corp"] < 10))).sum())
    suppressed = [k for k, a in own["areas"].items() if a[2] == "suppressed"]
    assert len(suppressed) == n_small and all(own["areas"][k][0] is None for k in suppressed)


def test_a_buurts_profile_counts_its_dwellings_beyond_the_turn(client):
    """The profile of a buurt: the share of its dwellings in cells whose planted 200 m share lies beyond the
    turn the grid tipping point finds (planted at 50 %), against a count made here from the planted world."""
    import numpy as np
    import pandas as pd

    from .world import ZERO
    c, w = client
    cells = pd.DataFrame({"buurt": w["buurt"], "dw": w["dwellings"], "s": w["share_200m"]})
    mixed = cells.assign(over=cells["s"] > ZERO + 5, under=cells["s"] < ZERO - 5).groupby("buurt").agg(
        over=("over", "sum"), under=("under", "sum"), dw=("dw", "sum"))
    code = mixed[(mixed["over"] >= 3) & (mixed["under"] >= 3) & (mixed["dw"] >= 200)].index[0]
    prof = c.get(f"/api/profile/{GEO}/{code}").json()
    bt = prof["beyond_turn"]
    assert bt["available"] and bt["status"] == "ok" and bt["year"] == 2014
    assert abs(bt["turn"] - ZERO) <= 3                                   # the planted turn, recovered
    mine = cells[cells["buurt"] == code]
    beyond = mine.loc[mine["s"] > bt["turn"], "dw"].sum()
    assert bt["dwellings"] == int(mine["dw"].sum()) and bt["beyond"] == int(round(beyond))
    assert bt["share"] == round(100 * beyond / mine["dw"].sum(), 1) and 0 < bt["share"] < 100
    assert np.isfinite(bt["turn"])
    # a 100 m cell is not a buurt: its profile has no such section
    cell = c.get(f"/api/profile/grid100/{w['codes'][0]}").json()
    assert cell["level"] == "grid" and cell["beyond_turn"] == {"available": False, "reason": ""}
