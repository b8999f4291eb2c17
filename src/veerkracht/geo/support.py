"""The *support* of harmonised facts: which source areas, of which level, a target value rests on.

METHOD.md's inference rule: a PC4 score spread onto buurten is still one observation per PC4.
:func:`support_frame` turns the crosswalk that was used into one row per target area, with the
source area to cluster on (the one with the largest share of the target) — stored beside the facts
(``store.support()``) so analyses can resample and compute errors on the source units.
"""
from __future__ import annotations

import pandas as pd

from ..sources._codes import infer_level
from ..store.support import SUPPORT_COLUMNS

__all__ = ["support_frame"]


def support_frame(crosswalk: pd.DataFrame, origin_version: str) -> pd.DataFrame:
    """One row per target of ``crosswalk``: source level, cluster, number and list of source areas.

    The cluster is the source piece with the largest ``amount`` (its share of the target; the weight
    when amounts are missing); ties go to the first code in sort order.

    Examples
    --------
    >>> cw = pd.DataFrame({"from_code": ["PC1011", "PC1012"], "to_version": "cbs2019",
    ...                    "to_code": ["BU03630000", "BU03630000"], "weight": [0.5, 1.0],
    ...                    "amount": [40.0, 60.0]})
    >>> support_frame(cw, "lbm3-2022")[["code", "cluster", "n_sources", "sources"]].values.tolist()
    [['BU03630000', 'PC1012', 2, 'PC1012,PC1011']]
    """
    cw = crosswalk[crosswalk["weight"] > 0]
    if cw.empty:
        return pd.DataFrame(columns=SUPPORT_COLUMNS)
    cw = cw.assign(_amt=cw["amount"].fillna(cw["weight"]) if "amount" in cw else cw["weight"])
    cw = cw.sort_values(["to_code", "_amt", "from_code"], ascending=[True, False, True])
    g = cw.groupby("to_code", sort=True)
    out = pd.DataFrame({
        "geo_version": g["to_version"].first(),
        "cluster": g["from_code"].first(),
        "n_sources": g["from_code"].nunique(),
        "sources": g["from_code"].agg(",".join),
    }).reset_index(names="code")
    out["origin_version"] = origin_version
    out["source_level"] = infer_level(out["cluster"]).fillna("other").to_numpy()
    return out[SUPPORT_COLUMNS]
