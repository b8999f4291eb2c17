"""Dynamics decomposition (METHOD.md analysis 9; the report's §2.2): inflow, outflow, stayers.

Per area and period the change in the share of the lowest incomes among a corporation's tenants is
split into the part of inflow, of outflow and of stayers' income mobility, adding up exactly to the
observed change (:mod:`._flows`); with the turnover (mutation) rate and the outflow rate and inflow
share per income group. From the tenant panel in the store (``veerkracht ingest tenants``), or from
aggregated flows (``veerkracht ingest tenant-flows``) when only those exist.

Areas are those of the panel's codes, or coarser (buurten of the panel summed to wijken or gemeenten
through the store's areas). Private data: an area with fewer than 50 households at either snapshot is
suppressed (every value blank), and a group's counts below 10 and rates on fewer than 50 are blank.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import NotComputable
from ..indicators.reliability import SUPPRESS_MIN_DENOMINATOR, SUPPRESS_MIN_NUMERATOR
from ..store import microdata
from ..store.schema import INCOME_GROUPS
from . import _common as c
from ._microareas import in_region, locate, to_level
from ._flows import FLOW_COUNTS, decompose, panel_flows
from .base import Analysis, LayerSpec, Message, ReportSpec, Result, register

__all__ = ["Dynamics", "run", "PARTS"]

PARTS = ("inflow", "outflow", "mobility")


@dataclass
class DynamicsParams:
    dataset: str | None = c.param(None, "tenant dataset in the store (default: the only one)")
    year_from: int | None = c.param(None, "first snapshot, 31 December (default: the panel's first year)")
    year_to: int | None = c.param(None, "second snapshot (default: the panel's last year)")
    region: list[str] | str | None = c.param(None, "gemeente/wijk/area codes (default: every area of the data)")
    geo_version: str | None = c.param(None, "geography version of the areas (default: the one the codes are in)")
    level: str | None = c.param(None, "level to show: the panel's own or a coarser one (default: the panel's)")
    source: str | None = c.param(None, "panel or flows (default: the panel when the store holds one)")

    def __post_init__(self):
        if self.source is not None:
            c.choice("source", self.source, ("panel", "flows"))


class _Scope:
    def __init__(self, **kw):
        self.__dict__.update(kw)


@register
class Dynamics(Analysis):
    name = "dynamics"
    Params = DynamicsParams
    title = "analysis.dynamics.title"
    summary = "analysis.dynamics.summary"

    def available(self, store) -> bool:
        """Offered on the map only when the store holds a tenant panel or flows."""
        return bool(microdata.datasets(store, "tenant_contracts") or microdata.datasets(store, "tenant_flows"))
    layer = LayerSpec(order=80, kind="numeric", column="change", label=Message("analysis.dynamics.title"),
                      own_indicator=False)
    report = ReportSpec(order=8, title=Message("analysis.dynamics.title"))

    def resolve(self, store, p: DynamicsParams):
        try:
            has_panel = bool(microdata.datasets(store, "tenant_contracts"))
            has_flows = bool(microdata.datasets(store, "tenant_flows"))
            source = p.source or ("panel" if has_panel else "flows")
            if (source == "panel" and not has_panel) or (source == "flows" and not has_flows):
                raise NotComputable(Message("analysis.dynamics.err.no_data"))
            if source == "panel":
                outline, years = microdata.tenant_outline(store, p.dataset)
                codes = pd.Series(outline, dtype=object)
            else:
                flows = microdata.tenant_flows(store, p.dataset)
                codes = flows["area_code"]
                years = sorted({int(y) for y in flows["year_from"]} | {int(y) for y in flows["year_to"]})
        except NotComputable:
            raise
        except Exception as exc:             # several datasets, or an unknown one
            raise NotComputable(Message("analysis.dynamics.err.dataset", {"reason": str(exc)})) from None
        notes = []
        y0 = years[0] if p.year_from is None else int(p.year_from)
        y1 = years[-1] if p.year_to is None else int(p.year_to)
        if y0 not in years or y1 not in years:         # a map view's years: the nearest the data has
            y0n, y1n = min(years, key=lambda y: abs(y - y0)), min(years, key=lambda y: abs(y - y1))
            notes.append(Message("analysis.dynamics.note.years", {"y0": y0n, "y1": y1n, "first": years[0],
                                                                  "last": years[-1]}))
            y0, y1 = y0n, y1n
        if y1 <= y0:
            y0, y1 = (years[0], years[-1]) if len(years) > 1 else (y0, y1)
        if y1 <= y0:
            raise NotComputable(Message("analysis.dynamics.err.one_year", {"year": y0}))
        version, own, areas = locate(store, codes, p.geo_version)
        if p.geo_version is not None and own is None:
            raise NotComputable(Message("analysis.dynamics.err.version", {"version": p.geo_version}))
        target = to_level(codes, areas, own, p.level, "analysis.dynamics.err.level")
        keep = in_region(target, areas, p.region) & pd.notna(target)
        if not keep.any():
            raise NotComputable(Message("analysis.dynamics.err.region", {"region": str(p.region)}))
        if source == "panel":
            contracts, incomes = microdata.tenant_panel(store, p.dataset, years=(y0, y1))
            to = pd.Series(target[keep], index=codes[keep].astype(str).to_numpy())
            area = contracts["area_code"].astype(str).map(to)
            sub = area.notna().to_numpy()
            flows = panel_flows(contracts[sub], incomes, y0, y1, area=area[sub].to_numpy())
        else:
            f = flows.assign(area_code=target)[keep]
            f = f[(f["year_from"] == y0) & (f["year_to"] == y1)]
            if f.empty:
                periods = ", ".join(sorted({f"{a}–{b}" for a, b in zip(flows["year_from"], flows["year_to"])}))
                raise NotComputable(Message("analysis.dynamics.err.period", {"y0": y0, "y1": y1, "periods": periods}))
            flows = f.groupby(["area_code", "income_group", "year_from", "year_to"], as_index=False)[FLOW_COUNTS].sum()
        return _Scope(p=p, source=source, flows=flows, y0=y0, y1=y1, version=version,
                      level=p.level or own, notes=notes)

    def compute(self, store, s) -> Result:
        dec = decompose(s.flows)
        total = decompose(s.flows.assign(area_code="total")).iloc[0]
        small = (dec["n_start"] < SUPPRESS_MIN_DENOMINATOR) | (dec["n_end"] < SUPPRESS_MIN_DENOMINATOR)
        table = dec.rename(columns={"area_code": "code"})
        pct = ["share_start", "share_end", "change", *PARTS, "turnover"]
        table[pct] = table[pct] * 100
        table["suppressed"] = small.to_numpy()
        table.loc[table["suppressed"], ["n_start", "n_end", "n_out", "n_in", *pct]] = np.nan
        for col in ("n_out", "n_in"):         # a count of movers below 10 is not shown either
            table.loc[table[col] < SUPPRESS_MIN_NUMERATOR, col] = np.nan
        groups = _group_table(s.flows)
        notes = [*s.notes, Message("analysis.dynamics.note.parts"), Message("analysis.dynamics.note.private")]
        if int(small.sum()):
            notes.append(Message("analysis.dynamics.note.suppressed", {"n": int(small.sum())}))
        if s.source == "flows" and s.flows["n_ended"].isna().all():
            notes.append(Message("analysis.dynamics.note.no_turnover"))
        summary: dict = {"areas": int((~small).sum())}
        if total["n_start"] >= SUPPRESS_MIN_DENOMINATOR and total["n_end"] >= SUPPRESS_MIN_DENOMINATOR:
            summary.update({k: float(total[k]) * 100 for k in ("share_start", "share_end", "change", *PARTS, "turnover")})
            summary["message"] = Message("analysis.dynamics.headline", {
                "y0": s.y0, "y1": s.y1, "p0": summary["share_start"], "p1": summary["share_end"],
                "inflow": summary["inflow"], "outflow": summary["outflow"], "mobility": summary["mobility"],
                "turnover": summary["turnover"] if summary["turnover"] == summary["turnover"] else 0.0})
        else:
            summary["message"] = Message("analysis.dynamics.too_few")
        params = {"dataset": s.p.dataset, "year_from": s.y0, "year_to": s.y1, "region": s.p.region,
                  "geo_version": s.version, "level": s.level, "source": s.source}
        return Result(self.name, table, params, {"geo_version": s.version, "level": s.level}, notes,
                      {"groups": groups}, summary, _figure=_figure,
                      _layer=lambda r, st: _layer(r, st or store),
                      inputs={"tenants": {"indicators": ["tenants"], "years": [s.y0, s.y1]},
                              "geo_version": s.version, "level": s.level})


def _group_table(flows: pd.DataFrame) -> pd.DataFrame:
    """Per area and income group: households at the start, outflow rate and inflow share; small counts blank."""
    f = flows.copy()
    f["n_in_area"] = f.groupby("area_code")["n_in"].transform("sum")
    f["out_rate"] = f["n_out"] / f["n_start"] * 100
    f["in_share"] = f["n_in"] / f["n_in_area"] * 100
    for col in ("n_start", "n_out", "n_in"):
        f.loc[f[col] < SUPPRESS_MIN_NUMERATOR, col] = np.nan
    f.loc[~(f["n_start"] >= SUPPRESS_MIN_DENOMINATOR) | f["n_out"].isna(), "out_rate"] = np.nan
    f.loc[~(f["n_in_area"] >= SUPPRESS_MIN_DENOMINATOR) | f["n_in"].isna(), "in_share"] = np.nan
    return f[["area_code", "income_group", "n_start", "n_out", "n_in", "out_rate", "in_share"]].rename(
        columns={"area_code": "code"})


def _layer(result: Result, store):
    from ._spatial import area_layer
    return area_layer(result.table, store, result.params["geo_version"])


def run(store, **params) -> Result:
    """The dynamics decomposition (see :class:`Dynamics`)."""
    return c.run_registered("dynamics", store, **params)


def _figure(result: Result, lang: str = "nl"):
    """The region's change split into its three parts, and the outflow rate per income group."""
    fig, (a, b) = c.new_figure(10, 4, ncols=2)
    sm = result.summary
    if "change" in sm:
        keys = ["change", *PARTS]
        a.bar([c.tr(f"dynamics.{k}", lang) for k in keys], [sm[k] for k in keys],
              color=["#444444", "#b2182b", "#ef8a62", "#67a9cf"])
        a.axhline(0, color="#888888", linewidth=0.8)
    a.set_ylabel(c.tr("dynamics.pp", lang))
    a.set_title(c.tr("dynamics.parts_title", lang))
    g = result.extra["groups"]
    pooled = g.groupby("income_group")[["n_start", "n_out"]].sum(min_count=1).reindex(list(INCOME_GROUPS))
    rate = (pooled["n_out"] / pooled["n_start"] * 100).where(pooled["n_start"] >= SUPPRESS_MIN_DENOMINATOR)
    b.bar([c.tr(f"survey.{k}", lang) for k in INCOME_GROUPS], rate.fillna(0).to_numpy(), color="#67a9cf")
    b.set_ylabel("%")
    b.set_title(c.tr("dynamics.out_title", lang))
    return fig
