"""Is there a break at all? A sup-F test of one continuous break against a straight line.

The statistic is ``sup_k F(k) = (SSE_line − SSE_seg(k)) / (SSE_seg(k) / (n − 4))`` over the same
candidate breaks as the tipping point's fit (the largest F is the best break). Its null distribution
is not an F (the break only exists under the alternative: Davies' problem), so the p-value comes
from a **wild cluster bootstrap under the null**: the straight-line fit plus its residuals times
Webb multipliers drawn per cluster (per support unit: a PC4 score spread onto buurten moves as one),
refitted for every candidate break at once through the interval moments of ``_segfit`` (shared with ``tipping_point``).
``p = (1 + #{F* ≥ F}) / (B + 1)``. Weighted when the fit is (dwellings by default).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._bootstrap import group_sums
from ._inference import cluster_index, webb
from ._segfit import candidate_grid, profile_sse

__all__ = ["break_test"]


def break_test(x, y, w=None, clusters=None, *, lo: float, hi: float, m: int, n_test: int = 199,
               seed: int | None = 0, step: float = 0.25, chunk: int = 100) -> dict:
    """sup-F of one continuous break in ``[lo, hi]`` (``m`` areas each side) with its bootstrap p.

    Returns ``sup_f``, ``p``, ``n_test`` and ``n_clusters`` (independent units the multipliers
    were drawn for). ``p`` is NaN when no candidate break is valid.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    w = np.ones_like(x) if w is None else np.asarray(w, float)
    n = len(x)
    cid, g = cluster_index(np.arange(n) if clusters is None else clusters)
    sw = np.sqrt(w)
    X = np.column_stack([np.ones(n), x])
    beta = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)[0]
    fitted = X @ beta
    resid = y - fitted
    grid = candidate_grid(lo, hi, step)
    gu, u = (grid - 50) / 100, (x - 50) / 100
    j = np.searchsorted(gu, u, side="left")
    n_int = len(grid) + 1
    fixed = group_sums(j, np.stack([np.ones(n), w, w * u, w * u * u]), n_int)[0].T     # (G+1, 4)
    ybar = float(np.average(y, weights=w))
    Q = np.linalg.qr(X * sw[:, None])[0]                          # weighted projection onto the line
    rng = np.random.default_rng(seed)
    # the interval sums of w·Yc, w·u·Yc and w·Yc² as sparse products (no (b, n) key array)
    rows = np.arange(n)
    A_w = sp.csr_matrix((w, (rows, j)), shape=(n, n_int))
    A_wu = sp.csr_matrix((w * u, (rows, j)), shape=(n, n_int))
    # replicates per pass: a (chunk, n) block of floats stays ~32 MB even for 400k grid cells
    chunk = max(1, min(chunk, 4_000_000 // max(n, 1)))

    def sup_f(Y):                                                 # Y (b, n) → sup-F per row
        b = Y.shape[0]
        Yc = Y - ybar
        mom = [np.asarray(A_w.T @ Yc.T).T, np.asarray(A_wu.T @ Yc.T).T, np.asarray(A_w.T @ (Yc * Yc).T).T]
        M = np.concatenate([np.broadcast_to(fixed, (b, n_int, 4)), np.stack(mom, -1)], -1)
        sse, _ = profile_sse(M, gu, m)
        sse_seg = sse.min(axis=1)
        Yw = Y * sw
        sse_lin = (Yw ** 2).sum(1) - ((Yw @ Q) ** 2).sum(1)
        with np.errstate(all="ignore"):
            return np.where(np.isfinite(sse_seg), (sse_lin - sse_seg) / (sse_seg / (n - 4)), np.nan)

    f_obs = float(sup_f(y[None])[0])
    if not np.isfinite(f_obs):
        return {"sup_f": np.nan, "p": np.nan, "n_test": n_test, "n_clusters": g}
    exceed, done = 0, 0
    while done < n_test:
        b = min(chunk, n_test - done)
        V = webb(b, g, rng)[:, cid]
        f_star = sup_f(fitted[None] + resid[None] * V)
        exceed += int(np.sum(f_star >= f_obs - 1e-12 * abs(f_obs)))
        done += b
    return {"sup_f": f_obs, "p": (1 + exceed) / (n_test + 1), "n_test": n_test, "n_clusters": g}
