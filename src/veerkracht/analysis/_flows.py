"""Flows of a tenant panel between two snapshots, and the exact decomposition of the lowest-income share.

Snapshot of year ``y``: the contracts running on 31 December of ``y`` whose household has an income
group for ``y``. Between the snapshots of ``y0`` and ``y1`` a household is a *stayer* (in both), has
*left* (only in the first) or *come* (only in the second). Per area and income group ``g``:
``n_start`` (in the first snapshot), ``n_out`` (left, by their group in ``y0``), ``n_in`` (came, by their
group in ``y1``), ``stay_start`` and ``stay_end`` (stayers by their group in ``y0`` and in ``y1``), and
``n_ended`` (contracts that ended in the period, for the turnover rate).

With ``N0, L0`` the households and the lowest-income ones at the start, ``O, L_O`` those that left,
``I, L_I`` those that came, ``M`` the stayers' net move into the lowest group and ``N1 = N0 − O + I``:

    Δp = p1 − p0 = (L_I − p0·I)/N1  +  (p0·O − L_O)/N1  +  M/N1
                   inflow             outflow              stayers' mobility

which holds exactly (``p1 = (L0 − L_O + L_I + M)/N1`` and ``p0·N0 = L0``). Inflow raises the share when
newcomers are poorer than the start population; outflow raises it when leavers are richer.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..store.schema import INCOME_GROUPS

__all__ = ["panel_flows", "decompose", "FLOW_COUNTS"]

FLOW_COUNTS = ["n_start", "n_out", "n_in", "stay_start", "stay_end", "n_ended"]


def _group_codes(values) -> np.ndarray:
    cat = pd.Categorical(values, categories=list(INCOME_GROUPS))
    return np.asarray(cat.codes, dtype=np.int8)


def panel_flows(contracts: pd.DataFrame, incomes: pd.DataFrame, y0: int, y1: int,
                area: np.ndarray | None = None) -> pd.DataFrame:
    """Flows per area and income group between the snapshots of ``y0`` and ``y1`` (see the module).

    ``area`` overrides the contracts' ``area_code`` (e.g. their wijk); vectorised over contracts.
    """
    cid, uniq_ids = pd.factorize(contracts["contract_id"])
    n = len(uniq_ids)
    area_codes, area_names = pd.factorize(pd.Series(contracts["area_code"].to_numpy() if area is None else area))
    start = pd.to_datetime(contracts["start_date"]).to_numpy("datetime64[D]")
    end = pd.to_datetime(contracts["end_date"]).to_numpy("datetime64[D]")
    d0, d1 = np.datetime64(f"{y0}-12-31", "D"), np.datetime64(f"{y1}-12-31", "D")
    no_end = np.isnat(end)
    act0 = (start <= d0) & (no_end | (end > d0))
    act1 = (start <= d1) & (no_end | (end > d1))
    pos = pd.Index(uniq_ids).get_indexer(incomes["contract_id"])
    years = incomes["year"].to_numpy()
    codes = _group_codes(incomes["income_group"])
    g0 = np.full(n, -1, np.int8)
    g1 = np.full(n, -1, np.int8)
    sel0 = (years == y0) & (pos >= 0)
    sel1 = (years == y1) & (pos >= 0)
    g0[pos[sel0]] = codes[sel0]
    g1[pos[sel1]] = codes[sel1]
    k0 = act0 & (g0 >= 0)
    k1 = act1 & (g1 >= 0)
    stay, out, come = k0 & k1, k0 & ~k1, k1 & ~k0
    ended = ~no_end & (end > d0) & (end <= d1)
    na, ng = len(area_names), len(INCOME_GROUPS)

    def count(mask, g):
        return np.bincount(area_codes[mask] * ng + g[mask], minlength=na * ng).reshape(na, ng)

    res = {"n_start": count(k0, g0), "n_out": count(out, g0), "n_in": count(come, g1),
           "stay_start": count(stay, g0), "stay_end": count(stay, g1)}
    n_ended = np.bincount(area_codes[ended], minlength=na)
    frame = pd.DataFrame({"area_code": np.repeat(np.asarray(area_names, dtype=object), ng),
                          "income_group": np.tile(np.array(INCOME_GROUPS, dtype=object), na),
                          **{k: v.ravel().astype(float) for k, v in res.items()}})
    # the contracts ended in the period belong to the area, not to a group: on the lowest group's row
    frame["n_ended"] = np.where(frame["income_group"] == INCOME_GROUPS[0], np.repeat(n_ended, ng), 0.0)
    frame["year_from"], frame["year_to"] = y0, y1
    return frame


def decompose(flows: pd.DataFrame) -> pd.DataFrame:
    """One row per ``area_code``: shares, the change and its three parts (as fractions), turnover."""
    f = flows.copy()
    f["is_low"] = f["income_group"] == INCOME_GROUPS[0]
    tot = f.groupby("area_code", sort=True)[FLOW_COUNTS].sum(min_count=1)
    low = f[f["is_low"]].groupby("area_code", sort=True)[FLOW_COUNTS].sum(min_count=1).reindex(tot.index)
    n0, o, i = tot["n_start"], tot["n_out"], tot["n_in"]
    l0, lo, li = low["n_start"], low["n_out"], low["n_in"]
    mob = low["stay_end"] - low["stay_start"]
    n1 = n0 - o + i
    p0 = l0 / n0
    l1 = l0 - lo + li + mob
    out = pd.DataFrame({"n_start": n0, "n_end": n1, "n_out": o, "n_in": i, "share_start": p0, "share_end": l1 / n1},
                       index=tot.index)
    out["change"] = out["share_end"] - out["share_start"]
    out["inflow"] = (li - p0 * i) / n1
    out["outflow"] = (p0 * o - lo) / n1
    out["mobility"] = mob / n1
    years = (flows["year_to"] - flows["year_from"]).groupby(flows["area_code"]).first().reindex(tot.index)
    out["turnover"] = tot["n_ended"] / ((n0 + n1) / 2) / years
    return out.reset_index()
