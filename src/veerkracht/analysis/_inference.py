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

__all__ = ["support_clusters", "cluster_index", "cluster_counts", "cluster_multiplicity", "boot_group_sums_clustered",
           "boot_sums",
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
    read = getattr(store, "support", None)
    if read is None or len(codes) == 0:
        return out
    inds = [indicators] if isinstance(indicators, str) else list(indicators)
    sup = _spread_facts(store, read(geo_version=geo_version), geo_version, inds,
                        None if len(codes) > 2000 else list(codes), years)
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


def _spread_facts(store, support: pd.DataFrame, geo_version: str, inds: list, codes, years) -> pd.DataFrame:
    """The facts of ``inds`` that came from another version, with the support row of their area:
    ``code, origin_version, source_level, cluster`` (what ``store.support_clusters`` answers, joined
    here in pandas: the store's SQL join runs as a nested loop, ~30 s for 30,000 facts)."""
    cols = ["code", "origin_version", "source_level", "cluster"]
    if support.empty:
        return pd.DataFrame(columns=cols)
    f = store.facts(indicator=inds, geo_version=geo_version, codes=codes, years=years)
    f = f.loc[f["origin_version"].astype(object) != geo_version, ["code", "origin_version"]].drop_duplicates()
    sup = support[["code", "origin_version", "source_level", "cluster"]].astype(object)
    return f.astype(object).merge(sup, on=["code", "origin_version"], how="inner")[cols]


def cluster_index(clusters) -> tuple[np.ndarray, int]:
    """Integer ids ``0 … G−1`` per area and the number of clusters ``G`` (``None``: one per area)."""
    ids, uniq = pd.factorize(pd.Series(clusters, dtype=object), sort=True)
    return ids.astype(np.int64), len(uniq)


def cluster_counts(n_clusters: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_boot, n_clusters)`` how often each cluster is drawn when ``n_clusters`` are drawn with
    replacement."""
    draws = rng.integers(0, n_clusters, size=(n_boot, n_clusters))
    key = (np.arange(n_boot)[:, None] * n_clusters + draws).ravel()
    return np.bincount(key, minlength=n_boot * n_clusters).reshape(n_boot, n_clusters).astype(float)


def cluster_multiplicity(cluster_ids: np.ndarray, n_clusters: int, n_boot: int,
                         rng: np.random.Generator) -> np.ndarray:
    """``(n_boot, n)`` how often each area is taken when ``n_clusters`` clusters are drawn with
    replacement (every area of a drawn cluster comes along): a cluster bootstrap as weights."""
    return cluster_counts(n_clusters, n_boot, rng)[:, cluster_ids]


def boot_group_sums_clustered(groups: np.ndarray, values: np.ndarray, n_groups: int, n_boot: int,
                              seed: int | None, clusters, chunk: int = 50, blocks=None) -> np.ndarray:
    """Like :func:`._bootstrap.boot_group_sums` (``(n_boot, k, m, n_groups)``) but resampling whole
    clusters: each replicate weighs an area by how often its cluster was drawn.

    ``blocks`` (sizes of consecutive runs of areas, one region each) resamples the clusters of each
    run within it, from its own stream seeded with ``seed``: a region's replicates are those of a run
    on that region alone (a cluster crossing two regions is resampled in each on its own). The sums
    are taken per cluster first (a sparse cluster × group table), so a replicate is one product of
    the clusters' draw counts with that table.
    """
    import scipy.sparse as sp
    groups = np.atleast_2d(np.asarray(groups))
    values = np.asarray(values, dtype=float)
    if values.ndim == 2:
        values = values[None]
    k, n = groups.shape
    m = values.shape[1]
    clusters = np.asarray(clusters, dtype=object)
    sizes = np.asarray([n] if blocks is None else blocks, dtype=np.int64)
    if sizes.sum() != n:
        raise ValueError(f"blocks sum to {sizes.sum()}, not {n}")
    cid, runs, off = np.empty(n, dtype=np.int64), [], 0
    for a, s in zip((np.cumsum(sizes) - sizes).tolist(), sizes.tolist()):
        if s:
            ids, g_n = cluster_index(clusters[a:a + s])
            cid[a:a + s] = ids + off
            runs.append((off, g_n, np.random.default_rng(seed)))
            off += g_n
    tables = [[sp.csr_matrix((values[g, q][groups[g] >= 0], (cid[groups[g] >= 0], groups[g][groups[g] >= 0])),
                             shape=(off, n_groups)) for q in range(m)] for g in range(k)]
    out = np.empty((n_boot, k, m, n_groups))
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        counts = np.empty((b, off))
        for o, g_n, rng in runs:
            counts[:, o:o + g_n] = cluster_counts(g_n, b, rng)
        for g in range(k):
            for q in range(m):
                out[start:start + b, g, q] = (tables[g][q].T @ counts.T).T
    return out


def boot_sums(groups, values, n_groups: int, n_boot: int, seed: int | None, clusters=None,
              blocks=None) -> np.ndarray:
    """The bootstrap the data call for: areas (:func:`._bootstrap.boot_group_sums`) when ``clusters``
    is ``None``, whole clusters (:func:`boot_group_sums_clustered`) otherwise; same shapes."""
    if clusters is None:
        from ._bootstrap import boot_group_sums
        return boot_group_sums(groups, values, n_groups, n_boot, seed, blocks=blocks)
    return boot_group_sums_clustered(groups, values, n_groups, n_boot, seed, clusters, blocks=blocks)


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
