"""Inference that respects where a number came from (METHOD.md, "Inference rules").

* **Support** — :func:`support_clusters` gives, per area, the unit its values were measured on (a
  Leefbaarometer PC4 score spread onto five buurten: one cluster of five areas), from the store's
  ``support`` table (``store.support_clusters``); a native value is its own cluster.
* **Cluster bootstrap** — :func:`cluster_multiplicity` draws, per replicate, how often each area is
  taken when whole clusters are resampled (an area bootstrap when every area is its own cluster);
  :func:`boot_group_sums_clustered` is :func:`._bootstrap.boot_group_sums` on those draws.
* **Cluster-robust means** — :func:`cluster_mean` (CR1 standard error, Student t on G − 1 degrees of
  freedom) and the *effective number of independent units* (n divided by the design effect).
* **Wild cluster bootstrap** multipliers (:func:`webb`): six-point weights per cluster, which stay
  honest with few clusters.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["support_clusters", "cluster_index", "cluster_multiplicity", "boot_group_sums_clustered",
           "cluster_mean", "effective_n", "webb"]


def support_clusters(store, indicators, geo_version: str, codes, years=None) -> pd.Series:
    """Per area of ``codes``: the cluster (source unit) its facts of ``indicators`` rest on.

    An area whose facts were spread from a coarser unit gets that unit's code (prefixed with its
    geography version); a native area its own code. Where the years disagree, the coarser source
    wins (one spread year makes a change partly shared). ``attrs``: ``source_level`` (the level of
    most spread values, or ``None``) and ``n_spread`` (areas whose values were spread).
    """
    codes = pd.Index(list(codes), dtype=object)
    out = pd.Series(codes.to_numpy(dtype=object), index=codes, dtype=object)
    out.attrs.update(source_level=None, n_spread=0, spread=[])
    read = getattr(store, "support_clusters", None)
    if read is None or len(codes) == 0:
        return out
    inds = [indicators] if isinstance(indicators, str) else list(indicators)
    sup = read(geo_version, indicator=inds, codes=None if len(codes) > 2000 else list(codes), years=years)
    sup = sup[sup["cluster"].notna() & sup["code"].isin(codes)]
    if sup.empty:
        return out
    sup = sup.assign(_cl=sup["origin_version"].astype(str) + ":" + sup["cluster"].astype(str))
    size = sup.groupby("_cl")["code"].transform("nunique")
    pick = sup.assign(_n=size).sort_values(["code", "_n", "_cl"], ascending=[True, False, True])
    pick = pick.drop_duplicates("code").set_index("code")
    out.loc[pick.index] = pick["_cl"].to_numpy()
    levels = pick["source_level"].dropna()
    out.attrs.update(source_level=str(levels.mode().iloc[0]) if len(levels) else None, n_spread=int(len(pick)),
                     spread=list(pick.index))
    return out


def cluster_index(clusters) -> tuple[np.ndarray, int]:
    """Integer ids ``0 … G−1`` per area and the number of clusters ``G`` (``None``: one per area)."""
    ids, uniq = pd.factorize(pd.Series(clusters, dtype=object), sort=True)
    return ids.astype(np.int64), len(uniq)


def cluster_multiplicity(cluster_ids: np.ndarray, n_clusters: int, n_boot: int,
                         rng: np.random.Generator) -> np.ndarray:
    """``(n_boot, n)`` how often each area is taken when ``n_clusters`` clusters are drawn with
    replacement (every area of a drawn cluster comes along): a cluster bootstrap as weights."""
    draws = rng.integers(0, n_clusters, size=(n_boot, n_clusters))
    counts = np.zeros((n_boot, n_clusters))
    np.add.at(counts, (np.repeat(np.arange(n_boot), n_clusters), draws.ravel()), 1.0)
    return counts[:, cluster_ids]


def boot_group_sums_clustered(groups: np.ndarray, values: np.ndarray, n_groups: int, n_boot: int,
                              seed: int | None, clusters, chunk: int = 50) -> np.ndarray:
    """Like :func:`._bootstrap.boot_group_sums` (``(n_boot, k, m, n_groups)``) but resampling whole
    clusters: each replicate weighs an area by how often its cluster was drawn."""
    groups = np.atleast_2d(np.asarray(groups))
    values = np.asarray(values, dtype=float)
    if values.ndim == 2:
        values = values[None]
    k, n = groups.shape
    m = values.shape[1]
    cid, g_n = cluster_index(clusters)
    rng = np.random.default_rng(seed)
    out = np.empty((n_boot, k, m, n_groups))
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        mult = cluster_multiplicity(cid, g_n, b, rng)                      # (b, n)
        base = (np.arange(b) * n_groups)[:, None]
        for g in range(k):
            keep = groups[g] >= 0
            key = (base + groups[g][None, :])[:, keep].ravel()
            for q in range(m):
                wts = (mult[:, keep] * values[g, q][keep][None, :]).ravel()
                out[start:start + b, g, q] = np.bincount(key, weights=wts,
                                                         minlength=b * n_groups).reshape(b, n_groups)
    return out


def cluster_mean(y, clusters=None, level: float = 0.95) -> dict:
    """Mean of ``y`` with a cluster-robust (CR1) standard error and a t interval on G − 1 df.

    Without clusters (or one area per cluster) this is the ordinary ``sd/√n`` interval. Returns
    ``mean, se, ci_lo, ci_hi, n, n_clusters, n_eff`` (n_eff = n / design effect, ≤ n).
    """
    from scipy import stats
    y = np.asarray(y, float)
    ok = np.isfinite(y)
    y = y[ok]
    n = len(y)
    cl = np.arange(n) if clusters is None else np.asarray(clusters, dtype=object)[ok]
    cid, g = cluster_index(cl)
    out = {"mean": float(y.mean()) if n else np.nan, "n": n, "n_clusters": g}
    if n < 2 or g < 2:
        return out | {"se": np.nan, "ci_lo": np.nan, "ci_hi": np.nan, "n_eff": float(min(n, g))}
    resid = y - y.mean()
    if g == n:
        var = resid.var(ddof=1) / n
    else:
        tot = np.bincount(cid, weights=resid, minlength=g)
        var = g / (g - 1) * (tot ** 2).sum() / n ** 2
    se = float(np.sqrt(var))
    q = stats.t.ppf(0.5 + level / 2, g - 1)
    iid = resid.var(ddof=1) / n
    n_eff = float(n) if var <= 0 else float(np.clip(n * iid / var, 1, n))
    return out | {"se": se, "ci_lo": out["mean"] - q * se, "ci_hi": out["mean"] + q * se, "n_eff": n_eff}


def effective_n(y, clusters) -> float:
    """The number of independent units ``y`` is worth: n over the design effect of its clusters."""
    return cluster_mean(y, clusters)["n_eff"]


_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def webb(n_boot: int, n_clusters: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_boot, n_clusters)`` Webb six-point multipliers (mean 0, variance 1) for a wild bootstrap."""
    return _WEBB[rng.integers(0, 6, size=(n_boot, n_clusters))]
