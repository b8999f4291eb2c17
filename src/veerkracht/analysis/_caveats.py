"""Caveats that travel with a result (METHOD.md, "Inference rules"; issue 10 item 6).

* :func:`definition_notes` — a warning when the compared years straddle a known change in an
  indicator's definition (:data:`DEFINITION_BREAKS`), or when the facts' own flags say the
  definition differs (a ``definition:…`` flag that is not the same in both years);
* :func:`lag_impacts` — direct, indirect and total impacts of a spatial-lag model (LeSage & Pace):
  with ``y = ρWy + Xβ + ε`` a coefficient β is not the effect of x; the average direct impact is
  ``β·tr((I − ρW)⁻¹)/n``, the total ``β/(1 − ρ)`` (row-standardised W), the indirect the rest;
* :func:`rtm_message` — the regression-to-the-mean note for analyses that group on a level and
  then show a change measured from (or to) the same year.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import value_at
from .base import Message

__all__ = ["DEFINITION_BREAKS", "definition_notes", "lag_impacts", "trace_inverse", "value_at_or_before"]

#: indicator → years from which its definition differs from the year before (the first year of the
#: new definition). bijstand: the count changed in 2013 (the review of issue 10 found the break in the
#: CBS series; the Participatiewet of 2015 changed who is counted again).
DEFINITION_BREAKS: dict[str, tuple[int, ...]] = {
    "bijstand": (2013, 2015),
    "bijstand_per_100_dwellings": (2013, 2015),
    "bijstand_benefits": (2013, 2015),
}


def definition_notes(indicators, y0: int, y1: int, facts: pd.DataFrame | None = None) -> list[Message]:
    """One warning per indicator whose definition changes between ``y0`` and ``y1`` (exclusive of
    ``y0``, inclusive of ``y1``), from :data:`DEFINITION_BREAKS` or differing ``definition:`` flags."""
    out = []
    lo, hi = sorted((int(y0), int(y1)))
    for ind in ([indicators] if isinstance(indicators, str) else list(indicators)):
        years = [b for b in DEFINITION_BREAKS.get(ind, ()) if lo < b <= hi]
        if not years and facts is not None and "flags" in facts:
            f = facts[(facts["indicator"] == ind) & facts["year"].isin([lo, hi])]
            defs = {y: {t for fl in f.loc[f["year"] == y, "flags"].dropna() for t in str(fl).split(",")
                        if t.startswith("definition:")} for y in (lo, hi)}
            years = [hi] if defs[lo] != defs[hi] else []
        if years:
            out.append(Message("inference.note.definition_change", {"ind": ind, "y0": lo, "y1": hi,
                                                                    "years": ", ".join(map(str, years))}))
    return out


def trace_inverse(W, rho: float, exact_max_n: int = 3000, n_vectors: int = 50, seed: int = 0) -> float:
    """``tr((I − ρW)⁻¹)``: exactly for small ``W``, else by the power series ``Σ ρᵏ tr(Wᵏ)`` with
    Hutchinson's estimator of ``tr(Wᵏ)`` (``n_vectors`` Rademacher vectors, fixed seed)."""
    import scipy.sparse as sp
    W = sp.csr_matrix(W)
    n = W.shape[0]
    if n <= exact_max_n:
        return float(np.trace(np.linalg.inv(np.eye(n) - rho * W.toarray())))
    rng = np.random.default_rng(seed)
    z = rng.choice([-1.0, 1.0], size=(n, n_vectors))
    v, total, k = z.copy(), float(n), 0
    while k < 500:
        k += 1
        v = W @ v
        term = rho ** k * float((z * v).sum() / n_vectors)
        total += term
        if abs(rho) ** k * n < 1e-8 * n:
            break
    return total


def lag_impacts(coefs: pd.Series, rho: float, W, cov=None, n_draws: int = 1000, seed: int = 0,
                level: float = 0.95, traces=None) -> pd.DataFrame:
    """Direct, indirect and total impacts per term (intercept and ρ left out) of a spatial-lag fit.

    With ``cov`` (the fit's covariance of ``coefs`` followed by ρ, as spreg's ``vm`` rows/columns of
    those terms) each impact gets a ``level`` interval by simulation (LeSage & Pace 2009, §5.6):
    ``n_draws`` draws of (β, ρ) from their asymptotic normal distribution, the impacts of every draw
    (the trace of ``(I − ρW)⁻¹`` as a power series in ρ over traces of ``Wᵏ`` computed once), and
    their percentiles: columns ``direct_lo`` … ``total_hi``. ``traces``: :func:`_power_traces` of
    ``W`` when already at hand.
    """
    n = W.shape[0]
    direct_mult = trace_inverse(W, rho) / n
    total_mult = 1 / (1 - rho)
    out = pd.DataFrame({"term": coefs.index, "coef": coefs.to_numpy(float)})
    out["direct"] = out["coef"] * direct_mult
    out["total"] = out["coef"] * total_mult
    out["indirect"] = out["total"] - out["direct"]
    cols = ["term", "coef", "direct", "indirect", "total"]
    if cov is None:
        return out[cols]
    from ._bootstrap import percentile_interval
    mean = np.append(coefs.to_numpy(float), rho)
    draws = np.random.default_rng(seed).multivariate_normal(mean, np.asarray(cov, float), size=n_draws,
                                                            method="eigh")
    r = np.clip(draws[:, -1], -0.99, 0.99)
    traces = _power_traces(W) if traces is None else traces
    powers = r[:, None] ** np.arange(len(traces))[None, :]
    d_mult = powers @ traces / n                                    # (draws,)
    beta = draws[:, :-1]
    sims = {"direct": beta * d_mult[:, None], "total": beta / (1 - r)[:, None]}
    sims["indirect"] = sims["total"] - sims["direct"]
    for k, v in sims.items():
        out[f"{k}_lo"], out[f"{k}_hi"] = percentile_interval(v, level)
    return out[cols + [f"{k}_{e}" for k in ("direct", "indirect", "total") for e in ("lo", "hi")]]


def _power_traces(W, k_max: int = 100, exact_max_n: int = 1000, n_vectors: int = 50, seed: int = 0) -> np.ndarray:
    """``tr(Wᵏ)`` for ``k = 0 … k_max``: exactly from the eigenvalues for small ``W``, else by
    Hutchinson's estimator (``n_vectors`` Rademacher vectors, fixed seed) as :func:`trace_inverse`."""
    import scipy.sparse as sp
    W = sp.csr_matrix(W)
    n = W.shape[0]
    if n <= exact_max_n:
        lam = np.linalg.eigvals(W.toarray())
        return np.real(lam[None, :] ** np.arange(k_max + 1)[:, None]).sum(axis=1)
    z = np.random.default_rng(seed).choice([-1.0, 1.0], size=(n, n_vectors))
    out, v = [float(n)], z.copy()
    for _ in range(k_max):
        v = W @ v
        out.append(float((z * v).sum() / n_vectors))
    return np.array(out)


def value_at_or_before(long: pd.DataFrame, year: int) -> tuple[pd.Series, int]:
    """Per code the value at ``year``, else at its latest earlier year; and how many codes have
    values only after ``year`` (left out: a start value must not come from the future)."""
    ok = long[long["value"].notna()]
    before = ok[ok["year"] <= year]
    out = value_at(before, year)
    later = int((~ok["code"].drop_duplicates().isin(out.index)).sum())
    return out, later
