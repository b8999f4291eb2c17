"""Whose change moved the gap? A decomposition of the corporation-share profile's gap change.

The gap is ``I_top − I_bot`` (index points: a bin's pooled rate over the reference × 100). Its
change between the two years splits exactly into

* the **top bin's** change ``ΔI_top`` and the **bottom bin's** ``−ΔI_bot`` (a gap can grow because
  the bottom bin fell, which is not "rising concentration in corporation areas"), and, per bin,
* **within areas**: the change of the bin's rate with its start-year areas held fixed
  (``R_fixed,1 / ref_1 − R_0 / ref_0``), and **composition**: the rest — areas that changed bin
  (their share crossed an edge) or lack a year (``R_1 / ref_1 − R_fixed,1 / ref_1``).

All four parts add up to the change of the gap (to rounding). Pure arithmetic on the point
estimates; the interval of the gap's change itself comes from the profile's bootstrap.
"""
from __future__ import annotations

import numpy as np

__all__ = ["decompose"]


def decompose(num: np.ndarray, den: np.ndarray, bin_id: np.ndarray, has: np.ndarray, top: int, bot: int,
              ref: np.ndarray) -> dict:
    """Parts of the gap change for one region.

    ``num``, ``den``, ``bin_id``, ``has``: ``(2, n)`` per year and area of the region (bin -1 = in no
    bin); ``top``/``bot``: the gap's bins; ``ref``: the reference rate per year (same unit as
    ``num/den`` × 1). Returns index points: ``change``, ``top``, ``bottom`` (= −ΔI_bot),
    ``top_within``, ``top_composition``, ``bottom_within``, ``bottom_composition`` (the bottom
    parts with the gap's sign), ``within``, ``composition``.
    """
    def rate(t, members):
        d = den[t][members].sum()
        return num[t][members].sum() / d if d > 0 else np.nan

    out = {}
    for name, k in (("top", top), ("bottom", bot)):
        start = (bin_id[0] == k) & has[0]
        i0 = rate(0, start) / ref[0] * 100
        i1 = rate(1, (bin_id[1] == k) & has[1]) / ref[1] * 100
        fixed = rate(1, start & has[1]) / ref[1] * 100
        sign = 1 if name == "top" else -1
        out[name] = sign * (i1 - i0)
        out[f"{name}_within"] = sign * (fixed - i0)
        out[f"{name}_composition"] = sign * (i1 - fixed)
    out["change"] = out["top"] + out["bottom"]
    out["within"] = out["top_within"] + out["bottom_within"]
    out["composition"] = out["top_composition"] + out["bottom_composition"]
    return {k: float(v) for k, v in out.items()}
