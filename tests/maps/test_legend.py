"""Class breaks without mapclassify: hand-computed cases, equal to mapclassify's definitions, fast,
deterministic and silent (no "Numba not installed" warning)."""
from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

from veerkracht.maps.legend import equal_interval_breaks, jenks_breaks, pooled_breaks, quantile_breaks


def test_hand_computed_breaks():
    y = np.arange(1.0, 11.0)
    # linear percentiles 20 … 100 of 1..10: 1 + 9 × p
    assert quantile_breaks(y, 5).tolist() == pytest.approx([2.8, 4.6, 6.4, 8.2, 10.0])
    assert equal_interval_breaks(np.array([0.0, 3.0, 10.0]), 5).tolist() == pytest.approx([2, 4, 6, 8, 10])
    # three clusters: Fisher–Jenks puts the bounds at the end of each
    assert jenks_breaks(np.array([1, 1, 2, 10, 11, 12, 50, 51.0]), 3).tolist() == [2, 12, 51]
    assert pooled_breaks(np.array([np.nan, 1, 1, 2, 10, 11, 12, 50, 51.0]), "fisher_jenks", 3) == [2, 12, 51]
    # fewer distinct values than classes: one class per value
    assert pooled_breaks(np.array([3.0, 3.0, 7.0]), "quantiles", 5) == [3.0, 7.0]
    assert pooled_breaks(np.array([np.nan]), "quantiles", 5) == []


@pytest.mark.parametrize("k", [3, 5, 7, 9])
def test_equal_to_mapclassify_definitions(k):
    import mapclassify
    rng = np.random.default_rng(k)
    y = np.round(rng.gamma(2.0, 10.0, 250), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert jenks_breaks(y, k) == pytest.approx(mapclassify.FisherJenks(y, k=k).bins)
    assert quantile_breaks(y, k) == pytest.approx(mapclassify.Quantiles(y, k=k).bins)
    assert equal_interval_breaks(y, k) == pytest.approx(mapclassify.EqualInterval(y, k=k).bins)


def test_large_pools_are_fast_deterministic_and_silent():
    y = np.random.default_rng(1).lognormal(3, 1, 60_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # any warning (Numba's included) fails the test
        t0 = time.process_time()
        first = pooled_breaks(y, "fisher_jenks", 9)
        spent = time.process_time() - t0
    assert pooled_breaks(y, "fisher_jenks", 9) == first          # no random sample: the same legend every time
    assert len(first) == 9 and first[-1] == pytest.approx(y.max())
    assert spent < 5.0          # CPU seconds; mapclassify without Numba took 10–20 s per view on the demo
    # the sample keeps the classes where the data is: every class holds values
    counts = np.bincount(np.searchsorted(first, y, side="left"), minlength=9)
    assert (counts > 0).all()


def test_few_distinct_values_give_fewer_classes_not_an_error():
    """mapclassify's sampled Fisher–Jenks raised "Fewer unique values (2) than specified classes (3)"
    (a 500 on /api/values for a gemeente view in the benchmark): a pool with few distinct values
    gets one class per value."""
    y = np.array([1.0] * 60 + [2.0] * 60 + [3.0])
    for scheme in ("fisher_jenks", "quantiles", "equal_interval"):
        bins = pooled_breaks(y, scheme, 5)
        assert 1 <= len(bins) <= 3 and bins[-1] == 3.0
    assert pooled_breaks(y, "fisher_jenks", 5) == [1.0, 2.0, 3.0]
