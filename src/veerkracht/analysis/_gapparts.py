"""Whose change moved the gap? A decomposition of the corporation-share profile's gap change.

The gap is ``I_top − I_bot`` (index points: a bin's pooled rate over the reference × 100). Its
change between the two years splits exactly into

* the **top bin's** change ``ΔI_top`` and the **bottom bin's** ``−ΔI_bot`` (a gap can grow because
  the bottom bin fell, which is not "rising concentration in corporation areas"), and, per bin,
* **within areas**: the change of the bin's rate with its start-year areas held fixed
  (``R_fixed,1 / ref_1 − R_0 / ref_0``), and **composition**: the rest — areas that changed bin
  (their share crossed an edge) or lack a year (``R_1 / ref_1 − R_fixed,1 / ref_1``).

All four parts add up to the change of the gap (to rounding). Each part has a 95 % percentile
interval from the profile's own bootstrap draws (areas, or whole support units when values were
spread; the region's stream), so the parts' change interval is the gap change's interval.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._bootstrap import group_sums, percentile_interval
from ._inference import boot_sums
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
    groups, values = _rows(num, den, bin_id, has, top, bot)
    sums = group_sums(groups, values, 2)
    return {k: float(v) for k, v in _parts(sums, np.asarray(ref, float)).items()}


def _rows(num, den, bin_id, has, top, bot, with_ref: bool = False):
    """Groupings of the region's areas (id 0 = top bin, 1 = bottom bin): start-year members in the
    start year, end-year members in the end year, start-year members in the end year (fixed); with
    ``with_ref`` two more rows (every area with a value, per year: the reference's sums)."""
    def ids(members_top, members_bot):
        return np.where(members_top, 0, np.where(members_bot, 1, -1))
    start = [(bin_id[0] == k) & has[0] for k in (top, bot)]
    rows = [ids(*start), ids(*((bin_id[1] == k) & has[1] for k in (top, bot))), ids(*(s & has[1] for s in start))]
    years = [0, 1, 1]
    if with_ref:
        rows += [np.where(has[0], 0, -1), np.where(has[1], 0, -1)]
        years += [0, 1]
    return np.stack(rows), np.stack([np.stack([num[t], den[t]]) for t in years])


def _parts(sums: np.ndarray, ref: np.ndarray) -> dict:
    """The parts from the sums of :func:`_rows` (``(..., rows, 2, 2)``) and ``ref`` (``(..., 2)``)."""
    with np.errstate(all="ignore"):
        r = sums[..., 0, :] / np.where(sums[..., 1, :] > 0, sums[..., 1, :], np.nan)     # (..., rows, 2)
        i0, i1, fixed = (r[..., q, :] / ref[..., t, None] * 100 for q, t in ((0, 0), (1, 1), (2, 1)))
    out = {}
    for name, k, sign in (("top", 0, 1), ("bottom", 1, -1)):
        out[name] = sign * (i1[..., k] - i0[..., k])
        out[f"{name}_within"] = sign * (fixed[..., k] - i0[..., k])
        out[f"{name}_composition"] = sign * (i1[..., k] - fixed[..., k])
    out["change"] = out["top"] + out["bottom"]
    out["within"] = out["top_within"] + out["bottom_within"]
    out["composition"] = out["top_composition"] + out["bottom_composition"]
    return out


def gap_parts(self, g: int, top, bot, summary: dict, notes: list) -> pd.DataFrame:
    """For region ``g`` of a :class:`.corp_profile.Profiles` (``self``): the parts of :func:`decompose`
    with 95 % intervals (the profile's bootstrap draws again: the same areas or support units, the
    same stream), the gap's change with its interval, and a flag for a gap bin resting on fewer than
    ``min_areas`` areas; adds to ``summary`` and ``notes``, returns the parts as a table."""
    if top is None:
        return pd.DataFrame(columns=["part", "points", "lo", "hi"])
    num, den, bin_id, has, members = self._areas
    pos = members[self.names[g]]
    parts = decompose(num[:, pos], den[:, pos], bin_id[:, pos], has[:, pos], top, bot, self.ref[g] / self.scale)
    groups, values = _rows(num[:, pos], den[:, pos], bin_id[:, pos], has[:, pos], top, bot,
                           with_ref=self.ref_from_sample)
    cl = None if self.clusters is None else self.clusters[self.offsets[g]:self.offsets[g] + len(pos)]
    sums = boot_sums(groups, values, 2, self.n_boot, self.seed, cl)      # (B, rows, num/den, top/bottom)
    ref = (sums[:, 3:, 0, 0] / sums[:, 3:, 1, 0]) if self.ref_from_sample else \
        np.broadcast_to(self.ref[g] / self.scale, (len(sums), 2))
    boot = _parts(sums, ref)
    lo, hi = percentile_interval(np.stack([boot[k] for k in parts], 1))
    b = self.b_gap[:, g, 1] - self.b_gap[:, g, 0]
    c_lo, c_hi = percentile_interval(b)
    summary.update(gap_change=float(self.gap[g, 1] - self.gap[g, 0]), gap_change_lo=float(c_lo),
                   gap_change_hi=float(c_hi), parts=parts,
                   parts_lo=dict(zip(parts, map(float, lo))), parts_hi=dict(zip(parts, map(float, hi))))
    summary["decomposition"] = Message("corp_profile.decomposition", {
        "change": summary["gap_change"], "lo": float(c_lo), "hi": float(c_hi), "top": self.labels[top],
        "bottom": self.labels[bot], "top_part": parts["top"], "bottom_part": parts["bottom"],
        "comp": parts["composition"], "within": parts["within"]})
    notes.append(summary["decomposition"])
    for t, y in enumerate(self.yrs):
        for k in dict.fromkeys((top, bot)):
            if self.counts[g, t, k] < self.min_areas:
                notes.append(Message("corp_profile.note.few_areas", {"bin": self.labels[k], "year": y,
                                                                     "n": int(self.counts[g, t, k]),
                                                                     "min": int(self.min_areas)}))
    return pd.DataFrame({"part": list(parts), "points": list(parts.values()), "lo": lo, "hi": hi})
