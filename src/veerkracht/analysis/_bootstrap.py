"""Area bootstrap for the analyses: resampled indices, per-group sums and percentile intervals.

Re-exported by :mod:`._common` (analyses call ``c.boot_group_sums`` …). Everything is vectorised over
replicates with ``np.bincount``; ``blocks`` resamples many regions in one pass, each with the
stream a run on that region alone would draw, so results do not depend on how regions are batched.
"""
from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

__all__ = ["boot_indices", "group_sums", "boot_group_sums", "percentile_interval", "t_interval"]


def boot_indices(n: int, n_boot: int, seed: int | None = 0, chunk: int = 100,
                 blocks: Sequence[int] | None = None) -> Iterator[np.ndarray]:
    """Yield arrays of shape ``(b, n)`` of area indices drawn with replacement, ``b ≤ chunk``.

    Together the chunks hold ``n_boot`` replicates; the stream depends only on ``seed``, so a result
    is reproducible. Chunking bounds memory (100 × 13,594 int64 ≈ 11 MB).

    ``blocks`` (sizes of consecutive runs of the ``n`` areas, summing to ``n``) resamples each run
    within itself: one region per block. Each block draws from its own stream seeded with ``seed``,
    so its replicates are exactly those of a run on that block alone (blocks of equal size share
    their draws, which are made once).
    """
    sizes = np.asarray([n] if blocks is None else blocks, dtype=np.int64)
    if sizes.sum() != n:
        raise ValueError(f"blocks sum to {sizes.sum()}, not {n}")
    starts = np.cumsum(sizes) - sizes
    rngs = {int(s): np.random.default_rng(seed) for s in np.unique(sizes[sizes > 0])}
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        draws = {s: rng.integers(0, s, size=(b, s)) for s, rng in rngs.items()}
        if len(sizes) == 1:
            yield draws[n]
        else:
            idx = np.empty((b, n), dtype=np.int64)
            for start, s in zip(starts.tolist(), sizes.tolist()):
                if s:
                    np.add(draws[s], start, out=idx[:, start:start + s])
            yield idx
        done += b


def group_sums(groups: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Per-group sums over all areas (no resampling): the point estimate of :func:`boot_group_sums`.

    Same ``groups`` ``(k, n)`` and ``values`` ``(k, m, n)`` conventions; returns ``(k, m, n_groups)``.
    """
    groups = np.atleast_2d(np.asarray(groups))
    values = np.asarray(values, dtype=float)
    if values.ndim == 2:
        values = values[None]
    out = np.zeros(values.shape[:2] + (n_groups,))
    for g in range(groups.shape[0]):
        keep = groups[g] >= 0
        for q in range(values.shape[1]):
            out[g, q] = np.bincount(groups[g][keep], weights=values[g, q][keep], minlength=n_groups)
    return out


def boot_group_sums(groups: np.ndarray, values: np.ndarray, n_groups: int, n_boot: int,
                    seed: int | None = 0, chunk: int = 100, blocks: Sequence[int] | None = None) -> np.ndarray:
    """Bootstrap per-group sums: resample areas, then sum ``values`` within each group, per replicate.

    Parameters
    ----------
    groups : int array ``(k, n)`` (or ``(n,)``)
        Group id per area for each of ``k`` groupings of the *same* areas (e.g. one corp-share bin
        per year). Ids run ``0 … n_groups-1``; ``-1`` leaves an area out of that grouping.
    values : float array ``(k, m, n)`` (or ``(m, n)`` when ``k == 1``)
        ``m`` quantities per area to sum per group (e.g. numerator and denominator).
    n_groups, n_boot, seed, chunk
        Number of groups, replicates, RNG seed, replicates per vectorised chunk.
    blocks : sequence of int, optional
        Resample within consecutive blocks of areas (many regions in one pass, see
        :func:`boot_indices`); group ids must then not be shared between blocks.

    Returns
    -------
    ndarray ``(n_boot, k, m, n_groups)`` of sums. One resample of areas serves all ``k`` groupings
    and ``m`` quantities of a replicate (a paired bootstrap: an area carries all its years along).
    No loop over areas: each chunk is one ``np.bincount`` per (grouping, quantity) on
    ``replicate * n_groups + group``.
    """
    groups = np.atleast_2d(np.asarray(groups))
    values = np.asarray(values, dtype=float)
    if values.ndim == 2:
        values = values[None]
    k, n = groups.shape
    m = values.shape[1]
    out = np.empty((n_boot, k, m, n_groups))
    start = 0
    for idx in boot_indices(n, n_boot, seed, chunk, blocks):
        b = idx.shape[0]
        base = (np.arange(b) * n_groups)[:, None]
        for g in range(k):
            gid = groups[g][idx]
            keep = gid >= 0
            key = (base + gid)[keep]
            for q in range(m):
                out[start:start + b, g, q] = np.bincount(
                    key, weights=values[g, q][idx][keep], minlength=b * n_groups).reshape(b, n_groups)
        start += b
    return out


def percentile_interval(samples: np.ndarray, level: float = 0.95, axis: int = 0):
    """Percentile bootstrap interval ``(lo, hi)`` along ``axis``, ignoring NaN replicates.

    Equal, bit for bit, to ``np.nanpercentile`` (linear method), but vectorised: one sort instead of
    numpy's per-slice loop whenever any slice holds a NaN (thousands of slices for many regions).
    """
    a = (1 - level) / 2 * 100
    if np.shape(samples)[axis] == 0:
        return (np.full(np.delete(np.shape(samples), axis), np.nan)[()],) * 2
    s = np.sort(np.moveaxis(np.asarray(samples, dtype=float), axis, 0), axis=0)   # NaN sorts last
    n = (~np.isnan(s)).sum(axis=0)
    return _sorted_percentile(s, n, a), _sorted_percentile(s, n, 100 - a)


def _sorted_percentile(s: np.ndarray, n: np.ndarray, pct: float):
    """numpy's linear percentile of the first ``n`` (non-NaN) values of each sorted column of ``s``."""
    vi = (n - 1) * np.true_divide(pct, 100)
    prev = np.floor(vi)
    last = vi >= n - 1                                    # numpy then takes the largest value
    prev = np.where(last, n - 1, prev)
    lo = np.take_along_axis(s, np.maximum(prev, 0).astype(np.intp)[None], 0)[0]
    hi = np.take_along_axis(s, np.maximum(np.where(last, prev, prev + 1), 0).astype(np.intp)[None], 0)[0]
    t = np.where(last, 0.0, vi - prev)
    with np.errstate(all="ignore"):
        diff = hi - lo                                    # numpy's _lerp, for identical rounding
        out = np.where(t >= 0.5, hi - diff * (1 - t), lo + diff * t)
    out = np.where(n > 0, out, np.nan)
    return out[()] if out.ndim == 0 else out


def t_interval(mean, sd, n, level: float = 0.95):
    """``mean ± t(n-1)·sd/√n`` (Student t); NaN where ``n < 2``. Accepts scalars or arrays."""
    from scipy import stats
    n = np.asarray(n, dtype=float)
    with np.errstate(all="ignore"):
        se = np.asarray(sd, dtype=float) / np.sqrt(n)
        q = stats.t.ppf(0.5 + level / 2, np.where(n >= 2, n - 1, np.nan))
    return np.asarray(mean) - q * se, np.asarray(mean) + q * se
