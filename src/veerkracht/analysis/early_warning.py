"""Early warning, back-tested (METHOD.md analysis 13): which areas *become* problem areas k years later.

A **problem** is a value of ``indicator`` at or beyond ``threshold`` (default: the Leefbaarometer's
*overlast en onveiligheid* deviation ``lbm_onv`` ≤ −0.10). For every origin wave *o* with a wave at
*o + horizon*, the areas **at risk** are those not a problem at *o*; the **event** is being a problem at
*o + horizon*. On those, rolling-origin back-tests score:

* the naive **level** rule — the value at *o* is at or beyond ``level_rule`` (closer to the threshold);
* the naive **trend** rule — the change since the wave before *o* is at or beyond ``trend_rule``;
* a **model** (logistic regression on the level, the trend, the other dimensions at *o* and, where the
  store has the areas' geometry, the neighbours' mean) fitted only on pairs whose outcome was known at
  *o* (outcome year ≤ *o*); its flag threshold is the score that reached ``target_recall`` on those
  training pairs, so the test origin never tunes itself.

Per origin and method: areas at risk, events, base rate, flagged, precision, recall, lift (precision /
base rate), PR-AUC (average precision of the score) and, for the model, the Brier score and a
calibration table; bootstrap intervals over areas (clustered on the support of spread values).
The **signal** on the map is the method with the best PR-AUC on the latest back-tested origin, applied
to the latest wave, with its measured precision and recall in the legend.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import NotComputable
from . import _common as c
from ._inference import cluster_index, cluster_multiplicity, support_clusters
from .base import Analysis, ClassSpec, LayerSpec, Message, ReportSpec, Result, register

__all__ = ["EarlyWarning", "run", "METHODS", "average_precision"]

METHODS = ("level", "trend", "model")
_DIMS = ("lbm", "lbm_fys", "lbm_soc", "lbm_vrz", "lbm_won", "lbm_onv")
_COLOURS = {"problem": "#b2182b", "flag": "#f4a582", "calm": "#e0e0e0", "unknown": "#ffffff"}


@dataclass
class EarlyWarningParams:
    indicator: str = c.param("lbm_onv", "the liveability measure whose problem areas are predicted")
    threshold: float = c.param(-0.10, "problem: a value at or beyond this (below it when lower is worse)")
    horizon: int = c.param(4, "years ahead: an origin wave o is scored on the wave o + horizon")
    level_rule: float = c.param(-0.05, "naive level rule: flagged when the value at o is at or beyond this")
    trend_rule: float = c.param(-0.03, "naive trend rule: flagged when the change since the previous wave is at "
                                       "or beyond this")
    target_recall: float = c.param(0.8, "the model flags the share of areas that reached this recall in training")
    features: list[str] | str = c.param(
        None, "the model's inputs: level, trend, neighbours, dimensions (default level, trend, neighbours; on the "
              "national PC4 waves the other dimensions lowered the back-tested PR-AUC from 0.41 to 0.24–0.31)",
        factory=lambda: ["level", "trend", "neighbours"])
    geo_version: str | None = c.param(None, "geography version (default: the one holding the indicator)")
    level: str | None = c.param(None, "level (default: the finest holding the indicator)")
    region: list[str] | str | None = c.param(None, "region codes (default: every area)")
    n_boot: int = c.param(200, "bootstrap replicates for the intervals")
    seed: int = c.param(0, "random seed of the bootstrap")

    def __post_init__(self):
        if isinstance(self.features, str):
            self.features = [f.strip() for f in self.features.split(",") if f.strip()]
        for f in self.features:
            c.choice("features", f, ("level", "trend", "neighbours", "dimensions"))
        c.positive("horizon", self.horizon)
        c.between("target_recall", self.target_recall, 0.05, 0.99)
        c.positive("n_boot", self.n_boot)


@dataclass
class Scope:
    p: EarlyWarningParams
    gv: str
    level: str
    areas: pd.DataFrame
    wide: dict[str, pd.DataFrame]        # indicator → areas × years
    worse_low: bool
    pairs: list[tuple[int, int, int | None]]   # (origin, outcome, previous wave)


def average_precision(score: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Average precision (area under the precision–recall steps) of ``score`` for events ``y``.

    ``w``: ``(b, n)`` bootstrap weights (a cluster bootstrap as multiplicities); returns ``(b,)``
    (or a scalar array without ``w``). Ties in the score are broken by position, as in a ranked list.
    """
    order = np.argsort(-score, kind="stable")
    ys = y[order].astype(float)
    ws = np.ones((1, len(y))) if w is None else w[:, order]
    tp = np.cumsum(ws * ys, axis=1)
    fl = np.cumsum(ws, axis=1)
    prec = np.divide(tp, fl, out=np.zeros_like(tp), where=fl > 0)
    pos = (ws * ys).sum(axis=1)
    ap = np.divide((prec * ws * ys).sum(axis=1), pos, out=np.full(len(pos), np.nan), where=pos > 0)
    return ap if w is not None else ap[0]


def _skill(flag: np.ndarray, y: np.ndarray, w: np.ndarray) -> dict[str, np.ndarray]:
    """Per replicate (rows of ``w``): precision, recall, lift."""
    tp = (w * (flag & y)).sum(axis=1)
    nf = (w * flag).sum(axis=1)
    ny = (w * y).sum(axis=1)
    n = w.sum(axis=1)
    prec = np.divide(tp, nf, out=np.full(len(tp), np.nan), where=nf > 0)
    rec = np.divide(tp, ny, out=np.full(len(tp), np.nan), where=ny > 0)
    base = ny / n
    lift = np.divide(prec, base, out=np.full(len(tp), np.nan), where=base > 0)
    return {"precision": prec, "recall": rec, "lift": lift}


def _features(s: Scope, o: int, prev: int | None, codes: pd.Index) -> pd.DataFrame:
    sg = -1.0 if s.worse_low else 1.0          # oriented: larger = worse
    x = s.wide[s.p.indicator]
    f = pd.DataFrame(index=codes)
    f["level"] = sg * x[o].reindex(codes)
    f["trend"] = sg * (x[o] - x[prev]).reindex(codes) if prev is not None else 0.0
    for d in _DIMS if "dimensions" in s.p.features else ():
        if d != s.p.indicator and d in s.wide and o in s.wide[d].columns:
            f[d] = -s.wide[d][o].reindex(codes)          # Leefbaarometer: lower is worse everywhere
    if "neighbours" in s.wide and "neighbours" in s.p.features:
        f["neighbours"] = sg * s.wide["neighbours"][o].reindex(codes)
    return f


def _model_columns(features: list[str]) -> list[str]:
    return [f for f in features if f != "dimensions"] + (list(_DIMS) if "dimensions" in features else [])


def _fit_predict(train: list[tuple[pd.DataFrame, np.ndarray]], test: pd.DataFrame, target_recall: float,
                 features: list[str]):
    """Logistic regression fitted on the training pairs; returns (scores, flag threshold) or None."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    if not train:
        return None
    cols = [k for k in test.columns if all(k in X.columns for X, _ in train) and k in features]
    X = pd.concat([X[cols] for X, _ in train])
    y = np.concatenate([yy for _, yy in train])
    keep = X.notna().all(axis=1).to_numpy()
    if y[keep].sum() < 5 or (~y[keep]).sum() < 5:
        return None
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, class_weight=None))
    model.fit(X[keep].to_numpy(), y[keep])
    train_score = model.predict_proba(X[keep].to_numpy())[:, 1]
    pos = np.sort(train_score[y[keep]])[::-1]
    cut = pos[max(int(np.ceil(target_recall * len(pos))) - 1, 0)]
    filled = test[cols].fillna(X[cols].median())
    return model.predict_proba(filled.to_numpy())[:, 1], float(cut), cols


@register
class EarlyWarning(Analysis):
    name = "early-warning"
    Params = EarlyWarningParams
    title = "analysis.early_warning.title"
    summary = "analysis.early_warning.summary"
    layer = LayerSpec(order=25, kind="categorical", column="signal", rule_column="rule", own_indicator=False,
                      label=Message("analysis.early_warning.title"),
                      classes=tuple(ClassSpec(k, Message(f"early_warning.class.{k}"), _COLOURS[k])
                                    for k in ("problem", "flag", "calm", "unknown")))
    report = ReportSpec(order=27, title=Message("analysis.early_warning.title"))

    def report_table(self, result: Result, lang: str = "nl") -> pd.DataFrame:
        """The skill of each method at the latest back-tested origin, with intervals."""
        from ..i18n import fmt_number, render
        sk = result.extra["skill"]
        sk = sk[sk["origin"] == sk["origin"].max()]

        def pct(x, lo, hi):
            lo_hi = f"{fmt_number(100 * lo, '.0f', lang)}–{fmt_number(100 * hi, '.0f', lang)}"
            return f"{fmt_number(100 * x, '.0f', lang)} % ({lo_hi})"
        return pd.DataFrame({
            render("col.method", lang): [render(f"early_warning.method.{m}", lang) for m in sk["method"]],
            render("col.precision", lang): [pct(*r) for r in sk[["precision", "precision_lo", "precision_hi"]].to_numpy()],
            render("col.recall", lang): [pct(*r) for r in sk[["recall", "recall_lo", "recall_hi"]].to_numpy()],
            render("col.lift", lang): [fmt_number(float(x), ".1f", lang) for x in sk["lift"]],
            render("col.pr_auc", lang): [fmt_number(float(x), ".2f", lang) for x in sk["pr_auc"]]})

    def resolve(self, store, p: EarlyWarningParams) -> Scope:
        gv, level, areas, codes, years = c.scope(store, p.indicator, p.geo_version, p.level, p.region)
        meta = c.indicator_meta(store, p.indicator)
        worse_low = meta.get("higher_is_worse") in (False, 0)
        wide = {}
        for ind in {p.indicator, *_DIMS}:
            f = store.facts(indicator=ind, geo_version=gv, codes=None if p.region is None else codes)
            if not f.empty:
                wide[ind] = f.pivot_table(index="code", columns="year", values="value", aggfunc="first")
        x = wide[p.indicator]
        years = sorted(int(y) for y in x.columns if x[y].notna().any())
        pairs = []
        for o in years:
            if o + p.horizon in years:
                prev = max((y for y in years if y < o), default=None)
                pairs.append((o, o + p.horizon, prev))
        if not pairs:
            raise NotComputable(Message("early_warning.err.no_pairs", {"ind": p.indicator, "years": years,
                                                                       "k": p.horizon}))
        nb = self._neighbours(store, gv, level, x)
        if nb is not None:
            wide["neighbours"] = nb
        return Scope(p, gv, level, areas, wide, worse_low, pairs)

    @staticmethod
    def _neighbours(store, gv, level, x: pd.DataFrame) -> pd.DataFrame | None:
        """Mean of the queen neighbours' values per wave, where the store has the areas' shapes."""
        shapes = store.areas(geo_version=gv, level=level)
        shapes = shapes[shapes.geometry.notna() & ~shapes.geometry.is_empty & shapes["code"].isin(x.index)]
        if len(shapes) < 10:
            return None
        from libpysal.weights import Queen
        w = Queen.from_dataframe(shapes.reset_index(drop=True), use_index=False, silence_warnings=True)
        codes = shapes["code"].to_numpy()
        vals = x.reindex(codes)
        out = pd.DataFrame(index=codes, columns=vals.columns, dtype=float)
        for i, nbrs in w.neighbors.items():
            if nbrs:
                out.iloc[i] = vals.iloc[nbrs].mean(axis=0).to_numpy()
        return out

    def compute(self, store, s: Scope) -> Result:
        p = s.p
        x = s.wide[p.indicator]
        sg = -1.0 if s.worse_low else 1.0
        clusters = support_clusters(store, p.indicator, s.gv, x.index)
        rows, calib, train_sets, scored = [], [], [], {}
        rng = np.random.default_rng(p.seed)
        for o, t, prev in s.pairs:
            ok = x[o].notna() & x[t].notna()
            risk = ok & (sg * x[o] < sg * p.threshold)
            codes = x.index[risk]
            y = (sg * x.loc[codes, t] >= sg * p.threshold).to_numpy()
            feats = _features(s, o, prev, codes)
            scores = {"level": feats["level"].to_numpy(),
                      "trend": feats["trend"].to_numpy() if prev is not None else None}
            flags = {"level": feats["level"].to_numpy() >= sg * p.level_rule,
                     "trend": (feats["trend"].to_numpy() >= sg * p.trend_rule) if prev is not None else None}
            fit = _fit_predict([(X, yy) for (oo, tt, X, yy) in train_sets if tt <= o], feats, p.target_recall,
                               _model_columns(p.features))
            if fit is not None:
                scores["model"], cut, used = fit
                flags["model"] = scores["model"] >= cut
                calib.append(self._calibration(o, t, scores["model"], y))
            ids, g = cluster_index(clusters.reindex(codes).to_numpy())
            w = cluster_multiplicity(ids, g, p.n_boot, rng)
            for m in METHODS:
                if flags.get(m) is None:
                    continue
                rows.append(self._row(o, t, m, flags[m], y, np.nan_to_num(scores[m], nan=-np.inf), w, g))
            train_sets.append((o, t, feats, y))
            scored[(o, t)] = (codes, flags)
        skill = pd.DataFrame(rows)
        calibration = pd.concat(calib, ignore_index=True) if calib else pd.DataFrame()
        table, best, notes = self._signal(s, skill, train_sets)
        last = skill[skill["origin"] == skill["origin"].max()].set_index("method")
        summary = {"best": best, "origin": int(skill["origin"].max()), "outcome": int(skill["outcome"].max()),
                   **{f"{m}_{k}": float(last.loc[m, k]) for m in last.index for k in ("precision", "recall", "pr_auc")},
                   "message": Message("early_warning.summary", {
                       "best": Message(f"early_warning.method.{best}"), "o": int(last["origin"].iloc[0]),
                       "t": int(last["outcome"].iloc[0]), "prec": 100 * last.loc[best, "precision"],
                       "rec": 100 * last.loc[best, "recall"], "base": 100 * last.loc[best, "base_rate"],
                       "lift": last.loc[best, "lift"],
                       "level_prec": 100 * last.loc["level", "precision"],
                       "trend_prec": 100 * last.loc["trend", "precision"] if "trend" in last.index else float("nan")})}
        notes.append(Message("early_warning.note.definition", {"ind": p.indicator, "thr": p.threshold,
                                                               "k": p.horizon}))
        params = {"indicator": p.indicator, "threshold": p.threshold, "horizon": p.horizon,
                  "level_rule": p.level_rule, "trend_rule": p.trend_rule, "target_recall": p.target_recall,
                  "geo_version": s.gv, "level": s.level, "region": p.region, "n_boot": p.n_boot,
                  "year": int(x.columns.max())}
        years = sorted({y for o, t, prev in s.pairs for y in (o, t, prev) if y is not None})
        vint = c.vintage(store, store.facts(indicator=p.indicator, geo_version=s.gv, years=years), s.gv, s.level)
        return Result(self.name, table, params, vintage=vint, notes=notes,
                      extra={"skill": skill, "calibration": calibration}, summary=summary,
                      inputs=c.inputs(vint, {"outcome": [p.indicator]}), _figure=_figure)

    @staticmethod
    def _row(o, t, method, flag, y, score, w, n_clusters) -> dict:
        point = _skill(flag[None, :], y, np.ones((1, len(y))))
        boot = _skill(flag[None, :], y, w)
        ap = float(average_precision(score, y))
        ap_b = average_precision(score, y, w)
        row = {"origin": o, "outcome": t, "method": method, "n_at_risk": len(y), "n_events": int(y.sum()),
               "base_rate": float(y.mean()) if len(y) else np.nan, "n_flagged": int(flag.sum()),
               "n_clusters": int(n_clusters), "pr_auc": ap}
        for k, v in point.items():
            row[k] = float(v[0])
        for k, v in {**boot, "pr_auc": ap_b}.items():
            lo, hi = c.percentile_interval(v[np.isfinite(v)]) if np.isfinite(v).sum() > 10 else (np.nan, np.nan)
            row[f"{k}_lo"], row[f"{k}_hi"] = float(lo), float(hi)
        return row

    @staticmethod
    def _calibration(o, t, score, y, bins: int = 5) -> pd.DataFrame:
        q = pd.qcut(pd.Series(score).rank(method="first"), bins, labels=False)
        df = pd.DataFrame({"bin": q, "p": score, "y": y.astype(float)})
        out = df.groupby("bin").agg(predicted=("p", "mean"), observed=("y", "mean"), n=("y", "size")).reset_index()
        return out.assign(origin=o, outcome=t, brier=float(np.mean((score - y) ** 2)))

    @staticmethod
    def _signal(s: Scope, skill: pd.DataFrame, train_sets) -> tuple[pd.DataFrame, str, list]:
        """The map: per area at the latest wave, problem / flagged by the best back-tested method / calm."""
        p = s.p
        x = s.wide[p.indicator]
        sg = -1.0 if s.worse_low else 1.0
        last = skill[skill["origin"] == skill["origin"].max()]
        best = str(last.sort_values(["pr_auc", "precision"], ascending=False)["method"].iloc[0])
        years = sorted(int(y) for y in x.columns if x[y].notna().any())
        now = years[-1]
        prev = max((y for y in years if y < now), default=None)
        codes = s.areas["code"]
        v = x[now].reindex(codes) if now in x.columns else pd.Series(np.nan, index=codes)
        problem = (sg * v >= sg * p.threshold).to_numpy()
        feats = _features(s, now, prev, pd.Index(codes))
        notes: list[Message] = []
        if best == "model":
            fit = _fit_predict([(X, yy) for (_, _, X, yy) in train_sets], feats, p.target_recall,
                               _model_columns(p.features))
            flag = fit[0] >= fit[1] if fit is not None else feats["level"].to_numpy() >= sg * p.level_rule
        elif best == "trend" and prev is not None:
            flag = feats["trend"].to_numpy() >= sg * p.trend_rule
        else:
            flag = feats["level"].to_numpy() >= sg * p.level_rule
        known = v.notna().to_numpy()
        sig = np.where(~known, "unknown", np.where(problem, "problem", np.where(flag, "flag", "calm")))
        row = last.set_index("method").loc[best]
        rule = [Message(f"early_warning.rule.{k}", {"value": val, "year": now, "t": now + p.horizon,
                                                    "prec": 100 * row["precision"], "rec": 100 * row["recall"],
                                                    "method": Message(f"early_warning.method.{best}")})
                for k, val in zip(sig, v.to_numpy())]
        table = pd.DataFrame({"code": codes.to_numpy(), "value": v.to_numpy(), "signal": sig, "rule": rule,
                              "suppressed": False})
        return table, best, notes


def _figure(result: Result, lang: str = "nl"):
    """Precision and recall per origin and method, with intervals; the base rate as a line."""
    from ..i18n import render
    sk = result.extra["skill"]
    fig, axes = c.new_figure(8, 3.6, ncols=2)
    colours = {"level": "#2166ac", "trend": "#b2182b", "model": "#1b7837"}
    for ax, k in zip(axes, ("precision", "recall")):
        for m, g in sk.groupby("method"):
            ax.errorbar(g["origin"] + {"level": -0.2, "trend": 0, "model": 0.2}[m], 100 * g[k],
                        yerr=[100 * (g[k] - g[f"{k}_lo"]).clip(lower=0), 100 * (g[f"{k}_hi"] - g[k]).clip(lower=0)],
                        fmt="o", color=colours[m], label=render(f"early_warning.method.{m}", lang), capsize=3)
        if k == "precision":
            base = sk.groupby("origin")["base_rate"].first()
            ax.plot(base.index, 100 * base.to_numpy(), "k--", lw=1, label=c.tr("base_rate", lang))
        ax.set_title(c.tr(f"ew_{k}", lang))
        ax.set_xlabel(c.tr("origin_year", lang))
        ax.set_ylabel("%")
    axes[0].legend(fontsize=7)
    return fig


def run(store, **params) -> Result:
    """Early-warning back-test with ``params`` (see :class:`EarlyWarningParams`)."""
    from .base import ANALYSES
    return ANALYSES["early-warning"](store, **params)
