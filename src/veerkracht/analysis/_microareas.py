"""Placing microdata (a tenant panel, survey respondents) on the store's areas.

Household records carry an area code of their own (usually a buurt). These helpers find the stored
geography version and level that holds most of those codes, lift codes to a coarser level (a buurt's
wijk or gemeente) and select a region. Shared by the dynamics decomposition and the survey's map layer.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import NotComputable
from ..store.schema import level_rank
from .base import Message

__all__ = ["locate", "to_level", "in_region"]


def locate(store, codes: pd.Series, geo_version: str | None) -> tuple[str | None, str | None, pd.DataFrame]:
    """``(version, level, area table of that version)`` of the stored areas holding most of ``codes``;
    ``(geo_version, None, empty)`` when none of the codes is a stored area."""
    areas = store.areas(geo_version=geo_version, geometry=False)
    hit = areas[areas["code"].isin(set(codes.astype(str)))]
    if hit.empty:
        return geo_version, None, areas.iloc[0:0]
    best = hit.groupby(["geo_version", "level"]).size().sort_values(ascending=False).index[0]
    return best[0], best[1], areas[areas["geo_version"] == best[0]]


def to_level(codes: pd.Series, areas: pd.DataFrame, own: str | None, level: str | None, err: str) -> np.ndarray:
    """Each code as the code of ``level``: its own, or the wijk/gemeente it lies in.

    A finer level than the data's own cannot be made up: :class:`NotComputable` with message ``err``
    (parameters ``level`` and ``own``)."""
    if level is None or level == own:
        return codes.astype(str).to_numpy()
    if own is None or level_rank(level) > level_rank(own) or level not in ("wijk", "gemeente"):
        raise NotComputable(Message(err, {"level": level, "own": own or "-"}))
    col = "wk_code" if level == "wijk" else "gm_code"
    lookup = areas.drop_duplicates("code").set_index("code")[col]
    return codes.astype(str).map(lookup).to_numpy()


def in_region(codes: np.ndarray, areas: pd.DataFrame, region) -> np.ndarray:
    """Which of ``codes`` lie in ``region`` (gemeente, wijk or area codes; None or NL01: all)."""
    if region in (None, [], "NL01", ["NL01"]):
        return np.ones(len(codes), dtype=bool)
    want = {region} if isinstance(region, str) else set(region)
    inside = set(areas.loc[areas["code"].isin(want) | areas["gm_code"].isin(want) | areas["wk_code"].isin(want),
                           "code"].astype(str)) | want
    return pd.Series(codes).isin(inside).to_numpy()
