"""Small-area estimation for count rates: empirical-Bayes Poisson–gamma smoothing (Marshall 1991).

A rate ``y/e`` of a small area (20 benefits among 150 residents) jumps from year to year by chance
alone; a threshold or a rank reads that noise as change. The model: ``y_i ~ Poisson(e_i·θ_i)`` with
area rates ``θ_i ~ Gamma(α, β)`` (mean ``μ = α/β``, variance ``v = α/β²``) estimated from all areas
by the method of moments:

    μ = Σy / Σe,   v = Σe·(r − μ)² / Σe − μ / ē   (floored at a tiny positive value)

Each area's posterior is ``Gamma(α + y_i, β + e_i)``: its mean ``(α + y_i)/(β + e_i)`` is the raw
rate pulled towards μ by ``shrink = β/(β + e_i)`` — much for a small area, hardly for a large one —
and its quantiles give a per-area 95% interval. ``e`` is the denominator (residents, households),
so θ is the rate per unit; multiply by the indicator's scale to show it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["eb_poisson_gamma", "smooth_rate", "posterior_draws"]


def eb_poisson_gamma(y, e, level: float = 0.95) -> pd.DataFrame:
    """Per area: ``raw``, ``smoothed`` (posterior mean), ``lo``/``hi`` (posterior interval) and
    ``shrink`` (weight of the mean: 0 = raw kept, 1 = fully pooled); ``attrs``: ``mu``, ``var``,
    ``alpha``, ``beta``. Areas without counts (NaN or ``e ≤ 0``) get NaN and do not inform the prior."""
    from scipy import stats
    y = np.asarray(y, dtype=float)
    e = np.asarray(e, dtype=float)
    ok = np.isfinite(y) & np.isfinite(e) & (e > 0) & (y >= 0)
    out = pd.DataFrame({"raw": np.where(ok, y / np.where(e > 0, e, 1), np.nan)})
    if ok.sum() < 2:
        return out.assign(smoothed=out["raw"], lo=np.nan, hi=np.nan, shrink=0.0)
    yo, eo = y[ok], e[ok]
    mu = yo.sum() / eo.sum()
    r = yo / eo
    var = float((eo * (r - mu) ** 2).sum() / eo.sum() - mu / eo.mean())
    var = max(var, 1e-6 * mu * mu if mu > 0 else 1e-12)
    a, b = mu * mu / var, mu / var
    post_a, post_b = a + np.where(ok, y, 0), b + np.where(ok, e, 0)
    shrink = b / (b + e)
    smoothed = shrink * mu + (1 - shrink) * out["raw"].to_numpy()
    q = (1 - level) / 2
    lo = stats.gamma.ppf(q, post_a, scale=1 / post_b)
    hi = stats.gamma.ppf(1 - q, post_a, scale=1 / post_b)
    out["smoothed"] = np.where(ok, smoothed, np.nan)
    out["lo"], out["hi"] = np.where(ok, lo, np.nan), np.where(ok, hi, np.nan)
    out["shrink"] = np.where(ok, shrink, np.nan)
    out.attrs.update(mu=float(mu), var=var, alpha=float(a), beta=float(b))
    return out


def smooth_rate(num: pd.Series, den: pd.Series, scale: float) -> pd.DataFrame:
    """:func:`eb_poisson_gamma` of a rate ``num/den`` on an index, in the indicator's unit (× scale)."""
    r = eb_poisson_gamma(num.to_numpy(float), den.to_numpy(float))
    out = r[["smoothed", "lo", "hi"]].mul(scale).assign(shrink=r["shrink"].to_numpy())
    out.index = num.index
    out.attrs.update(r.attrs)
    return out


def posterior_draws(num, den, n_draws: int, seed: int | None = 0, scale: float = 1.0) -> np.ndarray:
    """``(n_draws, n)`` draws of every area's rate from its Poisson–gamma posterior (× scale); NaN
    without counts. For ranks of smoothed rates."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    fit = eb_poisson_gamma(num, den)
    ok = fit["smoothed"].notna().to_numpy()
    rng = np.random.default_rng(seed)
    out = np.full((n_draws, len(num)), np.nan)
    if "alpha" not in fit.attrs:                      # fewer than two areas with counts: no prior
        return out
    a, b = fit.attrs["alpha"] + num[ok], fit.attrs["beta"] + den[ok]
    out[:, ok] = rng.gamma(a, 1 / b, size=(n_draws, int(ok.sum()))) * scale
    return out


def smooth_two_years(frame: pd.DataFrame, indicators, scales: dict) -> tuple[pd.DataFrame, list[str]]:
    """A :func:`._spatial.two_years` frame with each rate's ``_from``/``_to``/``_change`` replaced by
    its smoothed values (each year smoothed on its own prior); returns the frame and the indicators
    smoothed (those with numerators and denominators)."""
    out, done = frame.copy(), []
    for ind in indicators:
        if f"{ind}_num_from" not in out or out[f"{ind}_num_from"].notna().sum() < 2:
            continue
        for tag in ("from", "to"):
            sm = smooth_rate(out[f"{ind}_num_{tag}"], out[f"{ind}_den_{tag}"], float(scales.get(ind, 1.0)))
            out[f"{ind}_{tag}"] = sm["smoothed"].where(sm["smoothed"].notna(), out[f"{ind}_{tag}"])
        out[f"{ind}_change"] = out[f"{ind}_to"] - out[f"{ind}_from"]
        done.append(ind)
    return out, done
