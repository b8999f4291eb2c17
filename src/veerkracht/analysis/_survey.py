"""Design-based estimation of weighted shares from survey microdata.

A share in a domain is the ratio ``p = Σ w·d·y / Σ w·d``. Its variance is the linearisation
(Taylor) estimator under with-replacement sampling of primary sampling units within strata: the
influence values ``z_i = w_i d_i (y_i − p) / Σ w·d`` are summed per PSU and
``v(p) = Σ_h n_h/(n_h − 1) Σ_j (z_hj − z̄_h)²``. Without strata and PSUs each respondent is its own
PSU in one stratum. Respondents outside the domain count as PSUs with ``z = 0`` (domain estimation,
not a conditional sample). The interval is built on the logit scale (it stays inside 0–1 and covers
better for shares near 0 or 1).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..indicators.reliability import SUPPRESS_MIN_DENOMINATOR, SUPPRESS_MIN_NUMERATOR

__all__ = ["Design", "share", "Z95"]

Z95 = 1.959963984540054


@dataclass
class Design:
    """Weights and (optional) strata and PSUs of one survey year's respondents."""

    weight: np.ndarray
    stratum: np.ndarray | None = None
    psu: np.ndarray | None = None

    @classmethod
    def of(cls, frame: pd.DataFrame) -> "Design":
        st = frame["stratum"] if "stratum" in frame else None
        ps = frame["psu"] if "psu" in frame else None
        has = lambda c: c is not None and pd.Series(c).notna().any()  # noqa: E731
        return cls(frame["weight"].to_numpy(float), pd.factorize(st)[0] if has(st) else None,
                   pd.factorize(ps)[0] if has(ps) else None)

    def __post_init__(self):
        # PSU and stratum codes once per design: every cell's variance is then two bincounts
        if self.psu is None and self.stratum is None:
            self._psu = self._st = None
            return
        stratum = np.zeros(len(self.weight), dtype=np.int64) if self.stratum is None else self.stratum
        psu = np.arange(len(self.weight)) if self.psu is None else self.psu
        self._psu, uniq = pd.factorize(pd.MultiIndex.from_arrays([stratum, psu]))
        self._st = pd.factorize(np.asarray(uniq.get_level_values(0)))[0]
        self._nh = np.bincount(self._st)

    @property
    def lonely(self) -> int:
        """Strata with a single PSU: they cannot show their own variance and add nothing to it."""
        return 0 if self._psu is None else int((self._nh == 1).sum())

    def variance(self, z: np.ndarray) -> float:
        if self._psu is None:             # one stratum, each respondent its own PSU
            n = len(z)
            return float(n / (n - 1) * np.sum((z - z.mean()) ** 2)) if n > 1 else 0.0
        tot = np.bincount(self._psu, weights=z)
        mean = np.bincount(self._st, weights=tot) / self._nh
        dev2 = np.bincount(self._st, weights=(tot - mean[self._st]) ** 2)
        ok = self._nh > 1
        return float(np.sum(self._nh[ok] / (self._nh[ok] - 1) * dev2[ok]))


def share(y: np.ndarray, domain: np.ndarray, design: Design) -> dict:
    """Weighted share of ``y`` (boolean, NaN = not known) in ``domain`` with SE, 95 % interval and the
    unweighted counts; ``suppressed`` when the domain has fewer than 50 respondents or fewer than 10 in
    the numerator (then the estimate and the counts are blanked)."""
    yv = np.asarray(y, dtype=float)
    d = np.asarray(domain, dtype=bool) & ~np.isnan(yv)
    yv = np.where(d, yv, 0.0)
    n, k = int(d.sum()), int(yv[d].sum())
    if n < SUPPRESS_MIN_DENOMINATOR or k < SUPPRESS_MIN_NUMERATOR:
        return {"estimate": np.nan, "se": np.nan, "lo": np.nan, "hi": np.nan, "n": np.nan, "suppressed": True}
    w = design.weight
    wd = float(np.sum(w * d))
    p = float(np.sum(w * d * yv) / wd)
    z = w * d * (yv - p) / wd
    se = float(np.sqrt(design.variance(z)))
    if 0.0 < p < 1.0:
        sl = se / (p * (1 - p))
        lg = np.log(p / (1 - p))
        lo, hi = 1 / (1 + np.exp(-(lg - Z95 * sl))), 1 / (1 + np.exp(-(lg + Z95 * sl)))
    else:
        lo = hi = p
    return {"estimate": p, "se": se, "lo": float(lo), "hi": float(hi), "n": n, "suppressed": False}
