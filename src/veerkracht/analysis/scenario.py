"""Allocation scenarios (METHOD.md analysis 12): project the vulnerable share of each area's corporation stock.

Each year a share ``turnover`` of an area's corporation dwellings falls vacant (vulnerable households
leave ``out_ratio`` times as often as others), and each vacancy goes to a vulnerable household with the
chance the allocation **rule** gives:

* ``current`` — ``intake`` of the vacancies everywhere (set it from your own allocation figures);
* ``quota`` — ``quota`` of the vacancies everywhere (e.g. 0.85 against 0.80 for an 85-15 rule);
* ``cap`` — in areas whose share is above ``cap_threshold`` only ``cap_intake``; the vulnerable
  households that are not placed there go to the other areas (the same number in expectation), so
  steering moves placements, it does not refuse them.

The households are simulated ``n_sim`` times (binomial draws per area and year; large areas with their
normal approximation, see :func:`simulate`), so every projected share has an interval, and the chance
that an area crosses ``threshold`` is counted. With
``out_ratio = 1`` and a fixed intake *q* the expected share follows *q + (s₀ − q)(1 − m)ᵗ* exactly —
the test of the simulation. Start shares come from ``indicator`` (a percentage per area) or one
``start_share`` for all; turnover per area from ``turnover_indicator`` when the store has it, else from
the tenant panel's dynamics (:mod:`.dynamics`) when one is loaded, else the one ``turnover`` rate.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import NotComputable
from . import _common as c
from .base import Analysis, ClassSpec, LayerSpec, Message, ReportSpec, Result, register

__all__ = ["Scenario", "run", "simulate", "RULES"]

RULES = ("current", "quota", "cap")
_SIGNALS = {"above": "#b2182b", "crosses": "#ef8a62", "prevented": "#67a9cf", "below": "#e0e0e0",
            "unknown": "#ffffff"}


@dataclass
class ScenarioParams:
    indicator: str = c.param("low_income", "percentage of vulnerable households per area at the start")
    start_share: float | None = c.param(None, "one start share (0–1) for every area instead of the indicator")
    year: int | None = c.param(None, "start year (default: the latest with corporation dwellings)")
    horizon: int = c.param(10, "years to project")
    turnover: float = c.param(0.08, "share of dwellings that fall vacant per year (when no turnover_indicator)")
    turnover_indicator: str = c.param("turnover_rate", "per-area turnover (%) from the store, when it has it")
    out_ratio: float = c.param(1.0, "how much more often vulnerable households leave than others")
    rules: list[str] | str = c.param(None, "the rules to compare (current, quota, cap)",
                                     factory=lambda: ["current", "cap"])
    intake: float = c.param(0.5, "current policy: share of vacancies to vulnerable households")
    quota: float = c.param(0.8, "quota rule: share of vacancies to vulnerable households")
    cap_threshold: float = c.param(0.5, "cap rule: areas above this share get only cap_intake")
    cap_intake: float = c.param(0.25, "cap rule: the intake share in areas above cap_threshold")
    threshold: float = c.param(0.5, "the share counted as crossing (e.g. the typology's vulnerable threshold)")
    n_sim: int = c.param(1000, "simulations")
    seed: int = c.param(0, "random seed")
    geo_version: str | None = c.param(None, "geography version (default: the one holding corporation dwellings)")
    level: str | None = c.param(None, "level (default: the finest)")
    region: list[str] | str | None = c.param(None, "region codes (default: every area)")

    def __post_init__(self):
        if isinstance(self.rules, str):
            self.rules = [r.strip() for r in self.rules.split(",") if r.strip()]
        for r in self.rules:
            c.choice("rules", r, RULES)
        for name in ("turnover", "intake", "quota", "cap_threshold", "cap_intake", "threshold"):
            c.between(name, getattr(self, name), 0, 1, with_lo=True)
        if self.start_share is not None:
            c.between("start_share", self.start_share, 0, 1, with_lo=True)
        c.positive("horizon", self.horizon)
        c.positive("n_sim", self.n_sim)
        c.positive("out_ratio", self.out_ratio)


#: areas with at least this many dwellings are drawn with the normal approximation (one draw per year)
EXACT_BELOW = 50


def simulate(stock: np.ndarray, s0: np.ndarray, turnover: np.ndarray, rule: str, p: ScenarioParams,
             rng: np.random.Generator) -> np.ndarray:
    """``(horizon + 1, n_areas, n_sim)`` vulnerable households per year, area and simulation.

    Per year: vulnerable households leave ~ Bin(v, r_v), others ~ Bin(n − v, r_o), and each vacancy goes
    to a vulnerable household with chance q. Areas under :data:`EXACT_BELOW` dwellings are drawn
    exactly (three binomial draws); larger ones with the normal approximation of the same net change,
    Δ = −(1 − q)·out_v + q·out_o + ε, one draw per area and year (its mean is exact, so the
    expected share still follows q + (s₀ − q)(1 − m)ᵗ).
    """
    n = np.rint(stock).astype(np.int64)
    order = np.argsort(n >= EXACT_BELOW, kind="stable")       # small areas first: slices, not masks
    k = int((n < EXACT_BELOW).sum())
    n_o, m_o = n[order], turnover[order]
    v = np.repeat(np.rint(s0[order] * n_o)[:, None], p.n_sim, axis=1).astype(np.int32)
    out = np.empty((p.horizon + 1,) + v.shape, dtype=np.int32)
    out[0] = v
    # float32 and in-place arithmetic: the arrays are areas × simulations (13.6k × 1,000 per rule and year)
    o = np.float32(p.out_ratio)
    mo = (m_o * p.out_ratio).astype(np.float32)[:, None]
    nf = n_o.astype(np.float32)[:, None]
    small, large = slice(0, k), slice(k, len(n))
    for _t in range(1, p.horizon + 1):
        vv = v.astype(np.float32)
        share = np.divide(vv, nf, out=np.zeros(vv.shape, np.float32), where=nf > 0)
        rate_v = share * (o - 1)                  # r_v = m·o / (o·share + 1 − share), within 0–1
        rate_v += 1
        np.divide(mo, rate_v, out=rate_v)
        np.clip(rate_v, 0, 1, out=rate_v)
        rate_o = rate_v / o
        np.clip(rate_o, 0, 1, out=rate_o)
        ev = vv * rate_v                          # expected leavers: vulnerable, others
        eo = nf - vv
        eo *= rate_o
        vac = ev + eo
        q = _intake(rule, share, vac, p)
        del vac
        if k:                                     # exact draws for the small areas
            vs, ns = v[small], n_o[small, None]
            out_v = rng.binomial(vs, rate_v[small])
            out_o = rng.binomial(ns - vs, rate_o[small])
            v[small] = vs - out_v + rng.binomial(out_v + out_o, q[small])
        if k < len(n):                            # normal approximation of the same net change
            ql, evl, eol, rvl, rol = q[large], ev[large], eo[large], rate_v[large], rate_o[large]
            a = 1 - ql
            mu = ql * eol                         # μ = −(1 − q)·E out_v + q·E out_o
            mu -= a * evl
            var = 1 - rvl                         # σ² = (1−q)²·E out_v·(1−r_v) + q²·E out_o·(1−r_o) + q(1−q)(E out_v + E out_o)
            var *= evl
            var *= a * a
            tmp = 1 - rol
            tmp *= eol
            tmp *= ql * ql
            var += tmp
            tmp = evl + eol
            tmp *= ql * a
            var += tmp
            np.sqrt(var, out=var)
            z = rng.standard_normal(mu.shape, dtype=np.float32)
            z *= var
            z += vv[large]
            z += mu
            np.rint(z, out=z)
            np.clip(z, 0, nf[large], out=z)
            v[large] = z
        out[_t] = v
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return out[:, back]


def _intake(rule: str, share: np.ndarray, vac: np.ndarray, p: ScenarioParams) -> np.ndarray:
    """The chance that a vacancy goes to a vulnerable household, per area and simulation (float32)."""
    if rule in ("current", "quota"):         # one rate everywhere: a broadcast view, not a copy
        return np.broadcast_to(np.float32(p.intake if rule == "current" else p.quota), share.shape)
    capped = share > p.cap_threshold
    # the placements not made in capped areas go to the others: same expected total per simulation
    lost = np.where(capped, vac, np.float32(0)).sum(axis=0, dtype=np.float64) * (p.intake - p.cap_intake)
    room = np.where(capped, np.float32(0), vac).sum(axis=0, dtype=np.float64)
    extra = np.divide(lost, room, out=np.zeros(lost.shape, dtype=float), where=room > 0)
    q = np.where(capped, np.float32(p.cap_intake), (p.intake + extra).astype(np.float32)[None, :])
    return np.clip(q, 0, 1, out=q)


@register
class Scenario(Analysis):
    name = "scenario"
    Params = ScenarioParams
    title = "analysis.scenario.title"
    summary = "analysis.scenario.summary"
    layer = LayerSpec(order=85, kind="categorical", column="signal", rule_column="rule", own_indicator=False,
                      label=Message("analysis.scenario.title"),
                      classes=tuple(ClassSpec(k, Message(f"scenario.class.{k}"), v) for k, v in _SIGNALS.items()))
    report = ReportSpec(order=78, title=Message("analysis.scenario.title"))

    def available(self, store) -> bool:
        """On the map only when the store has start shares of the default indicator (the CLI can give one)."""
        return not store.facts(indicator=ScenarioParams().indicator).empty

    def resolve(self, store, p: ScenarioParams):
        gv, level, areas, codes, years = c.scope(store, "corp_share", p.geo_version, p.level, p.region)
        sel = None if p.region is None else codes
        f = store.facts(indicator="corp_share", geo_version=gv, codes=sel)
        f = f[f["numerator"].notna()]
        if f.empty:
            raise NotComputable(Message("scenario.err.stock", {"version": gv}))
        year = p.year or int(f["year"].max())
        stock = f[f["year"] == year].set_index("code")["numerator"]
        if stock.empty:
            raise NotComputable(Message("scenario.err.year", {"year": year, "years": sorted(f["year"].unique())}))
        if p.start_share is not None:
            s0 = pd.Series(p.start_share, index=stock.index)
            used = None
        else:
            g = store.facts(indicator=p.indicator, geo_version=gv, codes=sel)
            g = g[g["value"].notna()]
            if g.empty:
                raise NotComputable(Message("scenario.err.start", {"ind": p.indicator}))
            g = g.assign(d=(g["year"] - year).abs()).sort_values(["code", "d"]).drop_duplicates("code")
            s0 = (g.set_index("code")["value"] / 100).clip(0, 1)
            used = sorted(g["year"].unique())
        t = store.facts(indicator=p.turnover_indicator, geo_version=gv, codes=sel)
        t = t[t["value"].notna()]
        turnover = (t.sort_values("year").drop_duplicates("code", keep="last").set_index("code")["value"] / 100) \
            if not t.empty else self._panel_turnover(store, gv, level, p.region)
        keep = stock.index.intersection(s0.index)
        keep = keep[stock.loc[keep] > 0]
        return p, gv, level, year, stock.loc[keep], s0.loc[keep], turnover, used

    @staticmethod
    def _panel_turnover(store, gv: str, level: str, region) -> pd.Series | None:
        """Per-area turnover (fraction per year) from the tenant panel's dynamics, when the store has one."""
        from .dynamics import Dynamics
        dyn = Dynamics()
        if not dyn.available(store):
            return None
        try:
            res = dyn(store, geo_version=gv, level=level, region=region)
        except NotComputable:
            return None
        t = res.table.set_index("code")["turnover"].dropna() / 100
        return t if not t.empty else None

    def compute(self, store, scope) -> Result:
        p, gv, level, year, stock, s0, turnover, used = scope
        m = (turnover.reindex(stock.index).fillna(p.turnover) if turnover is not None
             else pd.Series(p.turnover, index=stock.index)).clip(0, 1).to_numpy()
        rules = list(dict.fromkeys(["current", *p.rules]))
        rng = np.random.default_rng(p.seed)
        n = stock.to_numpy(float)
        sims = {r: simulate(n, s0.to_numpy(), m, r, p, rng) for r in rules}
        nn = np.rint(n)
        bar = (p.threshold * nn)[None, :, None]           # share > threshold ⟺ households > threshold · dwellings
        table = pd.DataFrame({"code": stock.index, "stock": n, "share_start": s0.to_numpy(), "turnover": m})
        traj = []
        for r, v in sims.items():
            end = np.divide(v[-1], nn[:, None], out=np.zeros(v.shape[1:]), where=nn[:, None] > 0)
            table[f"share_{r}"] = end.mean(axis=1)
            table[f"share_{r}_lo"] = np.quantile(end, 0.05, axis=1)
            table[f"share_{r}_hi"] = np.quantile(end, 0.95, axis=1)
            table[f"p_above_{r}"] = (end > p.threshold).mean(axis=1)
            above = (v > bar).sum(axis=1)                                     # (years, sims)
            region = (v.sum(axis=1) / nn.sum())                               # dwelling-weighted share
            for t in range(p.horizon + 1):
                traj.append({"rule": r, "year": year + t, "areas_above": float(above[t].mean()),
                             "areas_above_lo": float(np.quantile(above[t], 0.05)),
                             "areas_above_hi": float(np.quantile(above[t], 0.95)),
                             "share": float(region[t].mean()), "share_lo": float(np.quantile(region[t], 0.05)),
                             "share_hi": float(np.quantile(region[t], 0.95))})
        alt = next((r for r in rules if r != "current"), "current")
        now_above = table["share_start"] > p.threshold
        cur = table["p_above_current"] >= 0.5
        alt_ok = table[f"p_above_{alt}"] < 0.5
        table["signal"] = np.select([now_above, cur & alt_ok & (alt != "current"), cur], ["above", "prevented", "crosses"],
                                    "below")
        table["rule"] = [Message(f"scenario.rule.{k}", {"s0": 100 * a, "cur": 100 * b, "alt": 100 * d_,
                                                         "alt_rule": Message(f"scenario.rule_name.{alt}"),
                                                         "y": year + p.horizon, "thr": 100 * p.threshold})
                         for k, a, b, d_ in zip(table["signal"], table["share_start"], table["share_current"],
                                                table[f"share_{alt}"])]
        table["suppressed"] = table["stock"] < 10
        trajectory = pd.DataFrame(traj)
        last = trajectory[trajectory["year"] == year + p.horizon].set_index("rule")
        summary = {"year": year, "horizon": year + p.horizon, "n_areas": len(table),
                   **{f"areas_above_{r}": float(last.loc[r, "areas_above"]) for r in rules},
                   "message": Message("scenario.summary", {
                       "y0": year, "y1": year + p.horizon, "n0": int(now_above.sum()), "n": len(table),
                       "cur": last.loc["current", "areas_above"], "cur_lo": last.loc["current", "areas_above_lo"],
                       "cur_hi": last.loc["current", "areas_above_hi"], "alt_rule": Message(f"scenario.rule_name.{alt}"),
                       "alt": last.loc[alt, "areas_above"], "alt_lo": last.loc[alt, "areas_above_lo"],
                       "alt_hi": last.loc[alt, "areas_above_hi"], "thr": 100 * p.threshold})}
        notes = [Message("scenario.note.assumptions", {"m": 100 * p.turnover, "q": 100 * p.intake, "rho": p.out_ratio,
                                                        "per_area": turnover is not None}),
                 Message("scenario.note.not_forecast")]
        if used is None:
            notes.append(Message("scenario.note.start_share", {"s": 100 * p.start_share}))
        params = {k: getattr(p, k) for k in ("indicator", "start_share", "horizon", "turnover", "out_ratio", "intake",
                                             "quota", "cap_threshold", "cap_intake", "threshold", "n_sim")}
        params |= {"rules": rules, "geo_version": gv, "level": level, "region": p.region, "year": year,
                   "year_from": year, "year_to": year + p.horizon}
        facts = store.facts(indicator="corp_share", geo_version=gv, years=[year], codes=list(stock.index))
        vint = c.vintage(store, facts, gv, level)
        roles = {"stock": ["corp_share"]}
        if used is not None:
            vint = c.vintage(store, pd.concat([facts, store.facts(indicator=p.indicator, geo_version=gv, years=used,
                                                                  codes=list(stock.index))]), gv, level)
            roles["vulnerable"] = [p.indicator]
        return Result(self.name, table, params, vintage=vint, notes=notes, extra={"trajectory": trajectory},
                      summary=summary, inputs=c.inputs(vint, roles), _figure=_figure)


def _figure(result: Result, lang: str = "nl"):
    """Areas above the threshold per year under each rule, with the 90 % band of the simulations."""
    from ..i18n import render
    tr = result.extra["trajectory"]
    fig, ax = c.new_figure(7, 4)
    for r, g in tr.groupby("rule", sort=False):
        line = ax.plot(g["year"], g["areas_above"], "-o", ms=3, label=render(f"scenario.rule_name.{r}", lang))
        ax.fill_between(g["year"], g["areas_above_lo"], g["areas_above_hi"], alpha=0.2, color=line[0].get_color())
    ax.set_ylabel(c.tr("areas_above_threshold", lang, thr=100 * result.params["threshold"]))
    ax.set_title(render("scenario.figure_title", lang))
    ax.legend(fontsize=8)
    return fig


def run(store, **params) -> Result:
    """Allocation scenarios with ``params`` (see :class:`ScenarioParams`)."""
    from .base import ANALYSES
    return ANALYSES["scenario"](store, **params)
