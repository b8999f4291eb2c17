"""The segmented fit's arithmetic, shared by the tipping point and its break test.

Candidate breaks (:func:`candidate_grid`), the seven interval moments per area (:func:`moment_values`)
and the profile SSE of a continuous one-break fit at every candidate, for every replicate at once
(:func:`profile_sse`). Kept apart so that ``tipping_point`` and ``_breaktest`` both import it and
neither imports the other.
"""
from __future__ import annotations

import numpy as np

__all__ = ["candidate_grid", "moment_values", "profile_sse"]


def candidate_grid(lo: float, hi: float, step: float) -> np.ndarray:
    """Candidate breaks ``lo, lo + step, …`` below ``hi``, and ``hi`` itself: never beyond ``hi``."""
    n = int(np.floor((hi - lo) / step + 1e-9))
    grid = lo + step * np.arange(n + 1, dtype=float)
    if grid[-1] < hi - 1e-9 * step:
        return np.append(grid, hi)
    grid[-1] = hi                                   # hi on the grid: exactly hi, not hi ± rounding
    return grid


def moment_values(u, y, w):
    """Per area: count, w, w·u, w·u², w·y, w·u·y, w·y² (summed per interval they give the fit)."""
    return np.stack([np.ones_like(u), w, w * u, w * u * u, w * y, w * u * y, w * y * y])


def profile_sse(M: np.ndarray, ku: np.ndarray, m: int):
    """SSE and coefficients of the segmented fit at every candidate break, for every replicate.

    ``M`` (..., G+1, 7): moments of the areas in each interval between candidates (interval j holds
    the areas with exactly j candidates below them). ``ku`` (G,) candidates. A candidate needs ``m``
    areas on each side. Returns ``sse`` (..., G) (inf where invalid) and ``beta`` (..., G, 3).
    """
    T = M.sum(axis=-2)                                           # totals (..., 7)
    B = np.cumsum(M[..., ::-1, :], axis=-2)[..., ::-1, :][..., 1:, :]   # beyond candidate g (..., G, 7)
    cnt, bw, bwu, bwuu, bwy, bwuy = (B[..., q] for q in range(6))
    k = ku
    sh, sxh = bwu - k * bw, bwuu - k * bwu
    shh, shy = bwuu - 2 * k * bwu + k * k * bw, bwuy - k * bwy
    t = T[..., None, :]
    tw, twu, twuu = (np.broadcast_to(t[..., q], sh.shape) for q in (1, 2, 3))
    A = np.stack([np.stack([tw, twu, sh], -1), np.stack([twu, twuu, sxh], -1),
                  np.stack([sh, sxh, shh], -1)], -2)
    rhs = np.stack([np.broadcast_to(t[..., 4], sh.shape), np.broadcast_to(t[..., 5], sh.shape), shy], -1)
    valid = (cnt >= m) & (t[..., 0] - cnt >= m) & (shh > 0)
    # Hadamard ratio det(A)/ΠA_ii ∈ [0, 1] for a Gram matrix: ~0 = collinear (e.g. all areas left of
    # the candidate share one x, as with many shares of exactly 0)
    with np.errstate(all="ignore"):
        ratio = np.linalg.det(A) / (tw * twuu * shh)
    valid &= ratio > 1e-9
    A = np.where(valid[..., None, None], A, np.eye(3))
    beta = np.linalg.solve(A, rhs[..., None])[..., 0]
    sse = np.where(valid, t[..., 6] - (beta * rhs).sum(-1), np.inf)
    return sse, beta
