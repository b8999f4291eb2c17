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
import pandas as pd

from ._bootstrap import percentile_interval
from .base import Message

__all__ = ["decompose", "gap_parts"]


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


def gap_parts(self, g: int, top, bot, summary: dict, notes: list) -> pd.DataFrame:
    """For region ``g`` of a :class:`.corp_profile.Profiles` (``self``): the parts of :func:`decompose`,
    the gap's change with its bootstrap interval, and a flag for a gap bin resting on fewer than
    ``min_areas`` areas; adds to ``summary`` and ``notes``, returns the parts as a table."""
    if top is None:
        return pd.DataFrame(columns=["part", "points"])
    num, den, bin_id, has, members = self._areas
    pos = members[self.names[g]]
    parts = decompose(num[:, pos], den[:, pos], bin_id[:, pos], has[:, pos], top, bot, self.ref[g] / self.scale)
    b = self.b_gap[:, g, 1] - self.b_gap[:, g, 0]
    lo, hi = percentile_interval(b)
    summary.update(gap_change=float(self.gap[g, 1] - self.gap[g, 0]), gap_change_lo=float(lo),
                   gap_change_hi=float(hi), parts=parts)
    summary["decomposition"] = Message("corp_profile.decomposition", {
        "change": summary["gap_change"], "lo": float(lo), "hi": float(hi), "top": self.labels[top],
        "bottom": self.labels[bot], "top_part": parts["top"], "bottom_part": parts["bottom"],
        "comp": parts["composition"], "within": parts["within"]})
    notes.append(summary["decomposition"])
    for t, y in enumerate(self.yrs):
        for k in dict.fromkeys((top, bot)):
            if self.counts[g, t, k] < self.min_areas:
                notes.append(Message("corp_profile.note.few_areas", {"bin": self.labels[k], "year": y,
                                                                     "n": int(self.counts[g, t, k]),
                                                                     "min": int(self.min_areas)}))
    return pd.DataFrame({"part": list(parts), "points": list(parts.values())})
