"""Change model (METHOD.md analysis 4; report §2.6 and appendix, Amsterdam).

Ordinary least squares of the change in a nuisance/unsafety indicator (default ``lbm_onv``) between
two years on the changes in the vulnerable groups the store holds, with controls: the start levels of
the outcome and of each group, the corporation share at the start, urbanity (indicator ``urbanity``,
when present) and the population change (% change of ``residents``, when present). Errors are
heteroskedasticity-robust (HC3) or clustered by gemeente. Optionally a spatial lag or spatial error
model on Queen contiguity weights (spreg; GMM by default: maximum likelihood took 151 s (lag) and
225 s (error) on the 13,594 national buurten, GMM 0.02–0.2 s, so ML is refused above ``ml_max_n``).

Areas whose values rest on small numbers (``base.suppress``) are left out by default
(``drop_suppressed``): noisy rates in the predictors bias their coefficients towards zero.
Coefficients are in the indicators' own units; ``std_coef`` (× sd(x) / sd(y)) makes them comparable.
"""
from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import StoreError
from . import _common as c
from ._caveats import definition_notes, lag_impacts
from ._smallarea import smooth_two_years
from ..i18n import render
from ._spatial import two_years, to_w, weights
from .base import Analysis, Message, Result, register

__all__ = ["ChangeModel", "run", "VULNERABLE_GROUPS"]

#: The report's vulnerable groups, in its order; whichever the store holds are used.
VULNERABLE_GROUPS = ["bijstand", "low_income", "psych", "lvb", "refugee_origin", "students", "dementia",
                     "bijstand_15_64", "bijstand_per_100_dwellings"]

CONTROLS = ("start", "corp_share", "urbanity", "population")


@dataclass
class ChangeModelParams:
    indicator: str = c.param("lbm_onv", "the outcome (any indicator; lbm_onv: higher = less nuisance)")
    predictors: list[str] | None = c.param(None, "vulnerable-group indicators (default: those present in both years)")
    year_from: int | None = c.param(None, "start year (default: the first year of the indicator)")
    year_to: int | None = c.param(None, "end year (default: the last year of the indicator)")
    region: list[str] | str | None = c.param(None, "gemeente/wijk/area codes (default: the whole country)")
    geo_version: str | None = c.param(None, "geography version (default: the only one holding the indicator)")
    level: str | None = c.param(None, "level (default: the finest level holding the indicator)")
    controls: list[str] | None = c.param(None, "subset of start, corp_share, urbanity, population (default: all available)")
    errors: str = c.param("HC3", "'HC3' (robust) or 'cluster' (clustered by gemeente)")
    spatial: str | None = c.param(None, "None, 'lag' or 'error' (Queen weights; islands joined to their nearest area)")
    spatial_method: str = c.param("gm", "'gm' (GMM, fast) or 'ml' (maximum likelihood; only up to ml_max_n areas)")
    ml_max_n: int = c.param(3000, "largest number of areas for maximum likelihood")
    drop_suppressed: bool = c.param(True, "leave out areas whose rates rest on small numbers")
    smooth: bool = c.param(False, "smooth every rate (empirical-Bayes Poisson–gamma, each year on its own) before "
                                  "taking changes: less noise in small areas, less attenuation of the slopes")
    level_ci: float = c.param(0.95, "confidence level of the intervals")

    def __post_init__(self):
        c.choice("errors", self.errors, ("HC3", "cluster"))
        c.choice("spatial", self.spatial, (None, "lag", "error"))
        c.choice("spatial_method", self.spatial_method, ("gm", "ml"))
        unknown = set(self.controls or ()) - set(CONTROLS)
        if unknown:
            raise StoreError(f"unknown controls {sorted(unknown)}")
        c.between("level_ci", self.level_ci, 0, 1)


@dataclass
class Scope:
    """The question, resolved once: geography, areas, years, the predictors present and the data."""

    p: ChangeModelParams
    geo_version: str
    level: str
    areas: pd.DataFrame
    y0: int
    y1: int
    present: list[str]
    wanted: set[str]
    frame: pd.DataFrame


@register
class ChangeModel(Analysis):
    """Regress the change in ``indicator`` on the changes in vulnerable groups.

    Returns a :class:`Result` with ``table`` (term, label (a message), role, coef, se, lower,
    upper, p, n, std_coef, std_lower, std_upper), ``extra['fit']`` and ``extra['dropped']``.
    """

    name = "change-model"
    Params = ChangeModelParams
    title = "analysis.change_model.title"
    summary = "analysis.change_model.summary"

    def resolve(self, store, p: ChangeModelParams) -> Scope:
        geo_version, level, areas, codes, years = c.scope(store, p.indicator, p.geo_version, p.level, p.region)
        y0, y1 = c.period(years, p.year_from, p.year_to, p.indicator)
        candidates = list(VULNERABLE_GROUPS if p.predictors is None else p.predictors)
        extra_inds = [i for i in ("corp_share", "urbanity", "residents") if i not in candidates + [p.indicator]]
        frame = two_years(store, [p.indicator] + candidates + extra_inds, geo_version, codes, y0, y1)
        present = [x for x in candidates if frame[f"{x}_change"].notna().any()]
        if p.predictors is not None and len(present) < len(candidates):
            missing = sorted(set(candidates) - set(present))
            raise StoreError(f"predictors without values in both {y0} and {y1}: {', '.join(missing)}")
        if not present:
            raise StoreError(f"none of the vulnerable groups ({', '.join(candidates)}) has values in both "
                             f"{y0} and {y1}")
        wanted = set(CONTROLS) if p.controls is None else set(p.controls)
        return Scope(p, geo_version, level, areas, y0, y1, present, wanted, frame)

    def compute(self, store, s: Scope) -> Result:
        p, frame, present, wanted = s.p, s.frame, s.present, s.wanted
        smoothed = []
        if p.smooth:
            frame, smoothed = smooth_two_years(frame, [p.indicator] + present, {
                k: float(c.indicator_meta(store, k).get("scale") or 1) for k in [p.indicator] + present})
        cols, roles, labels = _design(frame, p.indicator, present, wanted)
        X = pd.DataFrame(cols, index=frame.index)
        y = frame[f"{p.indicator}_change"]
        dropped = {"outcome_missing": int(y.isna().sum())}
        keep = y.notna()
        for term in X:
            miss = X[term].isna() & keep
            dropped[f"{term}_missing"] = int(miss.sum())
            keep &= ~miss
        if p.drop_suppressed:
            sup = frame[[f"{i}_suppressed" for i in [p.indicator] + present]].any(axis=1) & keep
            dropped["suppressed"] = int(sup.sum())
            keep &= ~sup
        X, y = X[keep], y[keep].astype(float)
        # a term without variation (e.g. one gemeente's urbanity) cannot be estimated
        flat = [t for t in X if X[t].nunique() < 2]
        X = X.drop(columns=flat)
        n = len(y)
        if n < X.shape[1] + 3:
            raise StoreError(f"only {n} complete areas for {X.shape[1]} terms: too few to estimate")

        gm = s.areas.set_index("code").loc[X.index, "gm_code"]
        if p.spatial is None:
            est, fit = _ols(y, X, p.errors, gm, p.level_ci)
        else:
            est, fit, impacts = _spatial_model(store, s.geo_version, y, X, p.spatial, p.spatial_method,
                                               p.ml_max_n, p.errors, p.level_ci)
        sd_x = X.std().reindex(est["term"]).to_numpy()
        table = est.assign(label=[labels[t] for t in est["term"]], role=[roles[t] for t in est["term"]], n=n)
        for a, b in (("std_coef", "coef"), ("std_lower", "lower"), ("std_upper", "upper")):
            table[a] = table[b] * sd_x / y.std()
        table = table[["term", "label", "role", "coef", "se", "lower", "upper", "p", "n",
                       "std_coef", "std_lower", "std_upper"]]

        meta = c.indicator_meta(store, p.indicator)
        notes = _notes(dropped, labels, n, len(frame), flat, p, gm, meta)
        notes.append(Message("inference.note.ecological"))
        if smoothed:
            notes.append(Message("inference.note.smoothed", {"inds": smoothed}))
        notes += definition_notes([p.indicator] + present, s.y0, s.y1,
                                  store.facts(indicator=[p.indicator] + present, geo_version=s.geo_version,
                                              years=[s.y0, s.y1]))
        summary = {"n": n, "n_dropped": int(len(frame) - n), **fit,
                   "message": _summary_message(table, meta, p.indicator, 1 - p.level_ci)}
        vint = c.vintage(store, store.facts(indicator=[p.indicator] + present, geo_version=s.geo_version,
                                            years=[s.y0, s.y1]), s.geo_version, s.level)
        params = {"indicator": p.indicator, "predictors": present, "year_from": int(s.y0), "year_to": int(s.y1),
                  "region": p.region, "geo_version": s.geo_version, "level": s.level,
                  "controls": sorted(wanted), "errors": p.errors, "spatial": p.spatial,
                  "spatial_method": p.spatial_method if p.spatial else None, "drop_suppressed": p.drop_suppressed,
                  "smooth": p.smooth, "level_ci": p.level_ci}
        extra = {"fit": pd.DataFrame([fit]),
                 "dropped": pd.DataFrame({"reason": list(dropped), "n": list(dropped.values())})}
        if p.spatial == "lag":        # a lag coefficient is not an effect: the impacts are
            extra["impacts"] = impacts
            rho = float(est.set_index("term").loc["rho", "coef"])
            notes.append(Message("change_model.note.impacts", {"rho": rho, "mult": 1 / (1 - rho)}))
            summary["impacts"] = impacts
        return Result("change-model", table, params, vint, notes, extra, summary, _figure=_figure,
                      inputs=c.inputs(vint, {"outcome": [p.indicator], "predictors": present}))


def run(store, **params) -> Result:
    """The change model (see :class:`ChangeModel`); kept for callers of the old entry point."""
    return c.run_registered("change-model", store, **params)


def _design(frame: pd.DataFrame, indicator: str, present: list[str], wanted: set[str]):
    """The design: one column per term, with its role and its label (a message)."""
    cols: dict = {}
    roles = {"intercept": "intercept", "rho": "spatial", "lambda": "spatial"}
    labels = {k: Message(f"change_model.term.{k}") for k in roles}

    def add(term, values, role, label):
        cols[term], roles[term], labels[term] = values, role, label

    for x in present:
        add(f"d_{x}", frame[f"{x}_change"], "predictor", Message("change_model.term.change", {"ind": x}))
    if "start" in wanted:
        for x in [indicator] + present:
            add(f"start_{x}", frame[f"{x}_from"], "control", Message("change_model.term.start", {"ind": x}))
    if "corp_share" in wanted and frame["corp_share_from"].notna().any():
        add("corp_share", frame["corp_share_from"].fillna(frame["corp_share_to"]), "control",
            Message("change_model.term.corp_share"))
    if "urbanity" in wanted and "urbanity_from" in frame and frame["urbanity_from"].notna().any():
        add("urbanity", frame["urbanity_from"], "control", Message("change_model.term.urbanity"))
    if "population" in wanted and frame["residents_change"].notna().any():
        with np.errstate(all="ignore"):
            pop = (frame["residents_to"] / frame["residents_from"] - 1) * 100
        add("pop_change", pop.replace([np.inf, -np.inf], np.nan), "control", Message("change_model.term.pop_change"))
    return cols, roles, labels


def _ols(y, X, errors, gm, level_ci):
    import statsmodels.api as sm
    Xc = sm.add_constant(X, has_constant="add").rename(columns={"const": "intercept"})
    model = sm.OLS(y, Xc)
    if errors == "cluster":
        res = model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(gm)[0]}, use_t=True)
    else:
        res = model.fit(cov_type="HC3", use_t=True)
    ci = res.conf_int(alpha=1 - level_ci)
    est = pd.DataFrame({"term": Xc.columns, "coef": res.params.to_numpy(), "se": res.bse.to_numpy(),
                        "lower": ci[0].to_numpy(), "upper": ci[1].to_numpy(), "p": res.pvalues.to_numpy()})
    fit = {"model": "OLS", "r2": float(res.rsquared), "r2_adj": float(res.rsquared_adj),
           "aic": float(res.aic), "n_clusters": int(gm.nunique()) if errors == "cluster" else None}
    return est, fit


def _spatial_model(store, geo_version, y, X, spatial, method, ml_max_n, errors, level_ci):
    import spreg
    n = len(y)
    if method == "ml" and n > ml_max_n:
        raise StoreError(f"maximum likelihood on {n} areas is too slow (measured 151–225 s on 13,594 "
                         f"buurten); use spatial_method='gm' or a region of at most {ml_max_n} areas")
    w = to_w(weights(store, geo_version, X.index))
    yy, xx = y.to_numpy()[:, None], X.to_numpy(float)
    names = list(X.columns)
    if spatial == "lag":
        fn = spreg.ML_Lag if method == "ml" else spreg.GM_Lag
        kw = {"method": "lu"} if method == "ml" else ({"robust": "white"} if errors == "HC3" else {})
        last = "rho"
    else:
        fn = spreg.ML_Error if method == "ml" else spreg.GM_Error_Het
        kw = {"method": "lu"} if method == "ml" else {}
        last = "lambda"
    with contextlib.redirect_stdout(io.StringIO()):      # spreg prints the model name
        res = fn(yy, xx, w=w, name_x=names, **kw)
    coef = np.asarray(res.betas).ravel()
    se = np.asarray(res.std_err).ravel()
    terms = ["intercept"] + names + [last]
    k = min(len(coef), len(terms))
    z = stats.norm.ppf(0.5 + level_ci / 2)
    p = 2 * stats.norm.sf(np.abs(coef[:k] / se[:k]))
    est = pd.DataFrame({"term": terms[:k], "coef": coef[:k], "se": se[:k], "lower": coef[:k] - z * se[:k],
                        "upper": coef[:k] + z * se[:k], "p": p})
    fit = {"model": f"{'ML' if method == 'ml' else 'GM'}_{spatial}", "r2": float(getattr(res, "pr2", np.nan)),
           "r2_adj": None, "aic": float(getattr(res, "aic", np.nan)) if method == "ml" else None,
           "n_clusters": None}
    impacts = None
    if spatial == "lag":
        coefs = est.set_index("term")["coef"].drop(["intercept", "rho"], errors="ignore")
        vm = np.asarray(getattr(res, "vm", np.full((k, k), np.nan)), float)
        idx = [terms.index(t) for t in coefs.index] + [terms.index("rho")]
        cov = vm[np.ix_(idx, idx)] if vm.shape[0] >= k and np.isfinite(vm[np.ix_(idx, idx)]).all() else None
        impacts = lag_impacts(coefs, float(est.set_index("term").loc["rho", "coef"]), w.sparse, cov=cov)
    return est, fit, impacts


def _notes(dropped, labels, n, n_all, flat, p: ChangeModelParams, gm, meta) -> list[Message]:
    notes = []
    lost = []
    for k, v in dropped.items():
        if not v:
            continue
        if k == "outcome_missing":
            lost.append(Message("change_model.drop.outcome", {"n": v}))
        elif k == "suppressed":
            lost.append(Message("change_model.drop.suppressed", {"n": v}))
        else:
            lost.append(Message("change_model.drop.missing", {"what": labels[k.removesuffix("_missing")], "n": v}))
    if lost:
        notes.append(Message("change_model.note.dropped", {"n": n_all - n, "total": n_all, "reasons": lost}))
    if flat:
        notes.append(Message("change_model.note.flat", {"terms": [labels[t] for t in flat]}))
    if p.errors == "cluster" and gm.nunique() < 30:
        notes.append(Message("change_model.note.few_clusters", {"n": int(gm.nunique())}))
    if p.spatial and p.errors == "cluster":
        notes.append(Message("change_model.note.spatial_cluster"))
    if meta.get("higher_is_worse") is False or meta.get("higher_is_worse") == 0:
        notes.append(Message("change_model.note.higher_better", {"ind": p.indicator}))
    notes.append(Message("change_model.note.association"))
    return notes


def _summary_message(table, meta, indicator, alpha) -> Message:
    """Which vulnerable groups go with a worse and which with a better outcome (significant at ``alpha``)."""
    sig = table[(table["role"] == "predictor") & (table["p"] < alpha)]
    worse_up = meta.get("higher_is_worse") not in (False, 0)
    worse = [t[2:] for t, b in zip(sig["term"], sig["coef"]) if (b > 0) == worse_up]
    better = [t[2:] for t, b in zip(sig["term"], sig["coef"]) if (b > 0) != worse_up]
    key = "both" if worse and better else "worse" if worse else "better" if better else "none"
    return Message(f"change_model.summary.{key}", {"worse": worse, "better": better, "ind": indicator})


def _figure(result: Result, lang: str = "nl"):
    t = result.table[result.table["role"].isin(["predictor", "control"])].iloc[::-1]
    fig, ax = c.new_figure(7.5, 0.35 * len(t) + 1.5)
    ypos = np.arange(len(t))
    colors = np.where(t["role"] == "predictor", c.COLORS[1], c.COLORS[0])
    for yp, (_, r), col in zip(ypos, t.iterrows(), colors):
        ax.errorbar(r["std_coef"], yp, xerr=[[r["std_coef"] - r["std_lower"]], [r["std_upper"] - r["std_coef"]]],
                    fmt="o", color=col, capsize=3)
    ax.axvline(0, color="#333333", linewidth=0.8, linestyle="--")
    ax.set_yticks(ypos, [render(m, lang) for m in t["label"]])
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(c.tr("std_coef", lang))
    ax.set_title(c.tr("change_of", lang, ind=result.params["indicator"], y0=result.params["year_from"],
                      y1=result.params["year_to"]))
    return fig
