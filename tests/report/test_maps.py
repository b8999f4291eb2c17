"""Orientation on the report's maps: area names (the areas the chapter names first, then the largest;
no two labels overlap) and an inset locator drawn from the store's geometry."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from veerkracht.analysis import get_analysis
from veerkracht.report.sections_areas import watch_list




def test_maps_name_the_areas_that_matter_without_overlap(report_nl, demo_store):
    labels = report_nl["map_labels"]
    assert {"map_typology", "map_corp_share", "map_concentration"} <= set(labels)
    names = demo_store.areas(geo_version="cbs2019", geometry=False).set_index("code")["name"]
    for m, placed in labels.items():
        assert 5 <= len(placed) <= 14, m
        for lab in placed:
            assert lab["name"] == names[lab["code"]] and lab["name"] != lab["code"]
        boxes = [lab["box"] for lab in placed]
        for i, a in enumerate(boxes):          # collision-avoiding: no two labels overlap
            for b in boxes[i + 1:]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (m, a, b)
    # the typology map names the watch-list first: the areas the chapter lists, in its order
    ty = get_analysis("typology")(demo_store, year_from=2005, year_to=2017, region=["GM0363"],
                                  geo_version="cbs2019", level="wijk")
    listed = list(watch_list(ty)["code"])
    placed = [lab["code"] for lab in labels["map_typology"]]
    named = [c for c in placed if c in listed]
    assert len(named) >= 0.75 * len(listed) >= 6
    assert placed[:len(named)] == named == [c for c in listed if c in named]
    # the largest areas follow: on the buurt map of corporation share the largest buurt has its name
    areas = demo_store.areas(geo_version="cbs2019", level="buurt", geometry=True).to_crs(28992)
    largest = areas.loc[areas.geometry.area.idxmax(), "code"]
    assert largest in {lab["code"] for lab in labels["map_corp_share"]}


def test_maps_have_an_inset_locator(report_nl):
    from PIL import Image
    assert {"map_typology", "map_corp_share"} <= set(report_nl["map_insets"])
    png = Path(report_nl["pdf"]).parent / "figures" / "map_corp_share.png"
    a = np.asarray(Image.open(png).convert("RGB")).astype(int)
    h, w, _ = a.shape
    red = (abs(a[..., 0] - 0xb2) < 12) & (abs(a[..., 1] - 0x18) < 12) & (abs(a[..., 2] - 0x2b) < 12)
    grey = (abs(a - 0xe4) < 4).all(axis=2)
    inset = (slice(int(h * 0.5), h), slice(int(w * 0.72), w))
    # the region in red within the country in light grey, in the lower right corner
    assert red[inset].sum() > 50 and grey[inset].sum() > 20 * red[inset].sum()
    assert red[:, : int(w * 0.66)].sum() == 0          # the map itself has no region red
