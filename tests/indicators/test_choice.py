"""Which fact wins for an area-year: one policy, hand-computed cases."""
from __future__ import annotations

import pandas as pd

from veerkracht.indicators.choice import is_derived, one_fact_per_area_year


def _facts(rows):
    return pd.DataFrame(rows, columns=["geo_version", "code", "year", "indicator", "value", "source",
                                       "origin_version"])


def test_published_beats_derived_and_source_name_breaks_ties():
    f = _facts([
        ("v", "A", 2020, "x", 9.0, "bbga+aggregated", "v"),        # summed from buurten
        ("v", "A", 2020, "x", 7.0, "ois", "v"),                    # published, later name
        ("v", "A", 2020, "x", 5.0, "bbga", "v"),                   # published, first name: wins
        ("v", "A", 2021, "x", 4.0, "cbs-kwb", "old"),              # converted from another version
        ("v", "A", 2021, "x", 3.0, "zz", "v"),                     # published: wins over converted
        ("v", "B", 2020, "x", 1.0, "bbga+harmonised", "old"),      # the only one: kept
        ("v", "A", 2020, "y", 2.0, "ois", "v"),                    # another indicator: kept
    ])
    out = one_fact_per_area_year(f).set_index(["code", "year", "indicator"])["value"]
    assert out.to_dict() == {("A", 2020, "x"): 5.0, ("A", 2021, "x"): 3.0, ("B", 2020, "x"): 1.0,
                             ("A", 2020, "y"): 2.0}
    assert is_derived(f).tolist() == [True, False, False, True, False, True, False]


def test_row_order_does_not_matter():
    f = _facts([("v", "A", 2020, "x", float(i), f"s{i}", "v") for i in range(6)])
    for seed in range(5):
        shuffled = f.sample(frac=1, random_state=seed)
        assert one_fact_per_area_year(shuffled)["source"].tolist() == ["s0"]


def test_every_reader_uses_the_one_policy():
    """Derived rates, the map's catalogue, the exports and the analyses import this function."""
    from pathlib import Path
    src = Path(__file__).resolve().parents[2] / "src" / "veerkracht"
    for rel in ("indicators/derive.py", "maps/catalog.py", "export.py", "analysis/base.py"):
        text = (src / rel).read_text(encoding="utf-8")
        assert "one_fact_per_area_year" in text and "drop_duplicates([\"code\", \"year\"" not in text, rel
