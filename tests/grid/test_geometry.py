"""Cell ids and cell squares of the CBS 100 m / 500 m grid (geo/grid.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from veerkracht.geo.grid import cell_codes, cell_polygons, grid_areas, parse_cell_ids
from veerkracht.store.schema import level_rank


def test_both_cbs_spellings_name_the_same_cell():
    ids = pd.Series(["E0859N4360", "crs28992res100mN436000E85900", "CRS28992RES100MN436000E085900",
                     "E85900N436000", " e0859n4360 "])
    xy = parse_cell_ids(ids, 100)
    assert xy["ok"].all()
    assert set(xy["x"]) == {85_900} and set(xy["y"]) == {436_000}
    assert list(cell_codes(xy["x"], xy["y"])) == ["E0859N4360"] * 5


def test_resolution_and_alignment_are_checked():
    xy = parse_cell_ids(pd.Series(["CRS28992RES500MN436000E085500", "E0855N4360", "E0859N4360",
                                   "CRS28992RES100MN436000E85900", "E0859", "N4360E0859", "E0859N9999"]), 500)
    # a 500 m id; the same corner as a short id; 85,900 is no multiple of 500; a 100 m long id;
    # broken ids; a corner far north of the Netherlands
    assert list(xy["ok"]) == [True, True, False, False, False, False, False]


def test_cell_square_is_the_exact_100m_cell_around_the_dam():
    # the Dam in Amsterdam: RD (121,400 … 121,500) × (487,400 … 487,500) holds RD point 121,450 / 487,450
    poly = cell_polygons([121_400], [487_400], 100)[0]
    back = Transformer.from_crs(4326, 28992, always_xy=True)
    x, y = back.transform(*np.asarray(poly.exterior.coords).T)
    assert np.allclose(sorted(set(np.round(x, 3))), [121_400, 121_500], atol=1e-3)
    assert np.allclose(sorted(set(np.round(y, 3))), [487_400, 487_500], atol=1e-3)
    rd_square = shapely.polygons(np.stack([x, y], axis=1))
    assert abs(rd_square.area - 10_000) < 1e-3
    to_wgs = Transformer.from_crs(28992, 4326, always_xy=True)
    assert poly.contains(shapely.Point(*to_wgs.transform(121_450, 487_450)))


def test_grid_areas_are_a_level_below_buurten(mem_store):
    areas = grid_areas(["E1214N4874", "crs28992res100mN487400E121500"], 100)
    assert list(areas["code"]) == ["E1214N4874", "E1215N4874"]
    assert set(areas["geo_version"]) == {"grid100"} and set(areas["level"]) == {"grid"}
    mem_store.write_areas(areas)
    back = mem_store.areas(geo_version="grid100", level="grid")
    assert sorted(back["code"]) == ["E1214N4874", "E1215N4874"]
    both = back.to_crs(28992).area.to_numpy()
    assert np.allclose(both, 10_000, rtol=1e-6)
    assert level_rank("grid") > level_rank("buurt")
    a500 = grid_areas(["CRS28992RES500MN487000E121000"], 500)
    assert a500["geo_version"].iloc[0] == "grid500"
    assert abs(a500.to_crs(28992).area.iloc[0] - 250_000) < 1e-3
