"""The tipping point on the grid recovers a planted break; the buurt level of the same data blurs it."""
from __future__ import annotations

import numpy as np
import pytest

from veerkracht.analysis import get_analysis
from veerkracht.analysis.grid_tipping import block_sums_fn
from veerkracht.geo.grid_store import crosswalk_grid, surroundings
from veerkracht.i18n import render

from .world import BREAK, GEO, ZERO


@pytest.fixture(scope="module")
def result(world):
    store, w = world
    crosswalk_grid(store, GEO)
    surroundings(store, years=[2014])
    return get_analysis("grid-tipping-point")(store, n_boot=200, n_test=49), w


def test_planted_break_and_zero_crossing_recovered(result):
    r, w = result
    g = r.table[(r.table["unit"] == "grid") & (r.table["outcome"] == "lbm")].iloc[0]
    print("grid:", g[["breakpoint", "break_lo", "break_hi", "zero_crossing", "zero_lo", "zero_hi", "n", "n_units",
                      "n_eff"]].to_dict())
    assert abs(g["zero_crossing"] - ZERO) <= 3
    assert abs(g["breakpoint"] - BREAK) <= 3
    assert g["zero_lo"] <= ZERO <= g["zero_hi"]
    assert g["n"] == w["n"] and g["pattern"] == "turns_negative" and g["break_evidence"]
    # blocks are buurten; cells of one buurt share their surroundings and a buurt effect
    assert g["n_units"] == len(set(w["buurt"]))
    assert 1 < g["n_eff"] < g["n"] / 10          # 24k cells are worth a few hundred independent units


def test_buurt_level_of_the_same_data_blurs_the_break(result):
    r, w = result
    g = r.table[(r.table["unit"] == "grid")].iloc[0]
    b = r.table[(r.table["unit"] == "buurt")].iloc[0]
    print("buurt:", b[["breakpoint", "break_lo", "break_hi", "zero_crossing", "zero_lo", "zero_hi", "n"]].to_dict())
    assert b["n"] == len(set(w["buurt"]))
    bu = r.extra["buurten"]
    assert bu["corp_share"].std() < r.extra["areas"]["corp_share"].std()      # buurten average streets out
    # the buurt fit puts the turn several points off the planted 50 % (seed 0: ~41 %; the grid: ~49.6 %),
    # and is less sure of it: a wider interval
    assert abs(b["zero_crossing"] - ZERO) > abs(g["zero_crossing"] - ZERO) + 3
    assert (b["zero_hi"] - b["zero_lo"]) > (g["zero_hi"] - g["zero_lo"])
    assert not (b["zero_lo"] <= ZERO <= b["zero_hi"])
    text = render(r.summary["message"], "en")
    assert "Per 100 m cell, by the share within 200 m" in text and "Per buurt" in text
    assert "{" not in text and "{" not in render(r.summary["message"], "nl")


def test_block_sums_equal_cell_sums_for_each_draw():
    # a block bootstrap draw weights every cell of a block by how often the block was drawn: the sparse
    # per-block sums must equal the sums over the cells themselves
    rng = np.random.default_rng(3)
    blocks = rng.integers(0, 7, size=200).astype(str).astype(object)
    groups = rng.integers(0, 5, size=200)
    vals = rng.normal(size=(3, 200))
    got = block_sums_fn(blocks)(groups, vals, 5, 4, seed=11)
    draws = np.random.default_rng(11).integers(0, 7, size=(4, 7))
    ids = np.unique(blocks, return_inverse=True)[1]
    for r in range(4):
        mult = np.bincount(draws[r], minlength=7)[ids]
        for q in range(3):
            want = np.bincount(groups, weights=mult * vals[q], minlength=5)
            assert np.allclose(got[r, 0, q], want)


def test_words_render_cleanly(result):
    """The checks of tests/analysis/test_words.py, on the grid world (the demo store has no grid)."""
    import dataclasses

    from veerkracht.analysis.base import Analysis, Message
    from veerkracht.errors import StoreError

    from ..analysis.test_words import _bad, _figure_texts
    r, _ = result
    a = get_analysis("grid-tipping-point")
    assert isinstance(a, Analysis) and all(f.metadata.get("help") for f in dataclasses.fields(a.Params))
    with pytest.raises(StoreError, match="no parameter"):
        a(None, no_such_parameter=1)
    assert isinstance(r.summary["message"], Message) and all(isinstance(n, Message) for n in r.notes)
    roles = {k: v for k, v in r.inputs.items() if isinstance(v, dict)}
    assert roles and all(v["indicators"] and v["years"] for v in roles.values())
    texts = {}
    for lang in ("nl", "en"):
        table = r.rendered_table(lang)
        cells = [str(v) for v in table["message"]]
        texts[lang] = r.note_texts(lang) + [render(r.summary["message"], lang)] + cells + r.about(lang) \
            + _figure_texts(r.figure(lang))
        bad = {t: _bad(t) for t in texts[lang] if _bad(t)}
        assert bad == {}, bad
        assert "Message(" not in r.to_json(lang)
    assert len(texts["nl"]) == len(texts["en"])
    assert "worth about" in " ".join(texts["en"]) and "onafhankelijke eenheden" in " ".join(texts["nl"])


def test_region_and_square_blocks(result, world):
    store, w = world
    r = get_analysis("grid-tipping-point")(store, region=["GM0363"], block="1000", n_boot=50, n_test=9)
    g = r.table[r.table["unit"] == "grid"].iloc[0]
    assert g["n"] == w["n"] and abs(g["zero_crossing"] - ZERO) <= 3
    # 1 km squares: as many blocks as distinct (x // 10, y // 10) among the cells
    assert g["n_units"] == len(set(zip(w["ix"] // 10, w["iy"] // 10)))


def test_buurt_profile_share_of_dwellings_beyond_the_turn(result):
    r, w = result
    zero = r.table[(r.table["unit"] == "grid")].iloc[0]["zero_crossing"]
    prof = r.extra["buurt_profile"].set_index("buurt")
    for b in ("BU0363AC02", prof.index[-1]):
        sel = w["buurt"] == b
        want = w["dwellings"][sel][w["share_200m"][sel] > zero].sum() / w["dwellings"][sel].sum() * 100
        assert prof.loc[b, "share_beyond_turn"] == pytest.approx(want)
        assert prof.loc[b, "dwellings"] == w["dwellings"][sel].sum()
