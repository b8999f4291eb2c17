"""Derived rates: hand-computed, and independent of the order in which sources were loaded."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from veerkracht.errors import StoreError
from veerkracht.indicators.derive import derive_rate


def _facts(rows):
    return pd.DataFrame(rows, columns=["code", "year", "indicator", "value", "source"]).assign(
        geo_version="v", numerator=np.nan, denominator=np.nan)


@pytest.mark.parametrize("order", [0, 1])
def test_rate_from_two_counts_with_a_chosen_source(mem_store, order):
    dwell = [("WK1", 2017, "dwellings", 2000.0, "b-bbga"), ("WK1", 2017, "dwellings", 2500.0, "a-ois")]
    rows = [("WK1", 2017, "bijstand_benefits", 100.0, "ois-bijstand"),
            ("WK2", 2017, "bijstand_benefits", 7.0, "ois-bijstand")] + (dwell if order else dwell[::-1])
    mem_store.write_facts(_facts(rows))
    out = derive_rate(mem_store, "bijstand_per_100_dwellings", "bijstand_benefits", "dwellings", "v")
    f = mem_store.facts(indicator="bijstand_per_100_dwellings").set_index("code")
    # alphabetical first source ('a-ois'): 100 / 2500 * 100 = 4.0, whatever the load order
    assert f.loc["WK1", "value"] == pytest.approx(4.0)
    assert f.loc["WK1", "denominator"] == 2500.0 and "derived" in f.loc["WK1", "flags"]
    assert "WK2" not in f.index and out["facts_out"] == 1      # no denominator: no number made up
    derive_rate(mem_store, "bijstand_per_100_dwellings", "bijstand_benefits", "dwellings", "v",
                denominator_source="b-bbga")
    assert mem_store.facts(indicator="bijstand_per_100_dwellings")["value"].tolist() == [pytest.approx(5.0)]
    with pytest.raises(StoreError, match="no dwellings facts from source"):
        derive_rate(mem_store, "bijstand_per_100_dwellings", "bijstand_benefits", "dwellings", "v",
                    denominator_source="nope")
    with pytest.raises(StoreError, match="not a rate"):
        derive_rate(mem_store, "dwellings", "bijstand_benefits", "dwellings", "v")
