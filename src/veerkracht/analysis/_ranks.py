"""Ranks with intervals (METHOD.md: "Ranks always come with intervals").

A league table ranks point estimates; two noisy replicates of the same truth can reorder it
completely. :func:`rank_intervals` ranks every bootstrap (or posterior) replicate within its group
(peer group, gemeente) and returns the 95% interval of each item's rank: items whose truth ties
get overlapping intervals, and a rank whose interval spans the whole group says "no real order".
"""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

__all__ = ["rank_intervals", "beta_draws"]


def rank_intervals(samples: np.ndarray, groups=None, ascending: bool = True, level: float = 0.95,
                   point=None) -> tuple[np.ndarray, np.ndarray]:
    """``(rank_lo, rank_hi)`` per item from ``samples`` ``(B, n)`` (replicates × items).

    Ranks run 1 … m within each group (``groups`` ``(n,)``; ``None`` = one group), rank 1 = the
    smallest value when ``ascending`` (the largest otherwise); ties share the lowest rank (as
    ``method='min'``). A replicate where an item is NaN (a gap a resample cannot form) does not
    count for that item's interval, and for the others' ranks the item takes its ``point`` value
    (without ``point``: it ranks last) — so one unstable group does not move everyone else's rank.
    An item NaN in every replicate gets NaN. The interval is the ``level`` percentile interval of
    the replicate ranks (lower and higher observed ranks, so both ends are whole ranks).
    """
    s = np.asarray(samples, dtype=float)
    own_nan = np.isnan(s)
    if point is not None:
        s = np.where(own_nan, np.asarray(point, dtype=float)[None, :], s)
    if not ascending:
        s = -s
    n = s.shape[1]
    grp = np.zeros(n, dtype=np.int64) if groups is None else np.unique(np.asarray(groups, dtype=object).astype(str),
                                                                          return_inverse=True)[1]
    ranks = np.full(s.shape, np.nan)
    for g in np.unique(grp):
        cols = np.flatnonzero(grp == g)
        sub = np.where(np.isnan(s[:, cols]), np.inf, s[:, cols])
        ranks[:, cols] = rankdata(sub, method="min", axis=1)
    ranks[own_nan] = np.nan
    a = (1 - level) / 2 * 100
    some = ~own_nan.all(axis=0)
    lo, hi = np.full(n, np.nan), np.full(n, np.nan)
    lo[some] = np.nanpercentile(ranks[:, some], a, axis=0, method="lower")
    hi[some] = np.nanpercentile(ranks[:, some], 100 - a, axis=0, method="higher")
    return lo, hi


def beta_draws(num, den, n_draws: int, seed: int | None = 0, scale: float = 1.0) -> np.ndarray:
    """``(n_draws, n)`` draws of each rate num/den from its Jeffreys posterior Beta(num+½, den−num+½)
    (× ``scale``); NaN where there are no counts. The sampling noise of a small area, for its rank."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    ok = np.isfinite(num) & np.isfinite(den) & (den > 0) & (num >= 0) & (num <= den)
    rng = np.random.default_rng(seed)
    out = np.full((n_draws, len(num)), np.nan)
    a, b = num[ok] + 0.5, den[ok] - num[ok] + 0.5
    out[:, ok] = rng.beta(a, b, size=(n_draws, int(ok.sum()))) * scale
    return out
