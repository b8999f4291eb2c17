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

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import StoreError
from . import _common as c
from ._spatial import two_years, to_w, weights
from .base import Result, analysis

__all__ = ["run", "VULNERABLE_GROUPS"]

#: The report's vulnerable groups, in its order; whichever the store holds are used.
VULNERABLE_GROUPS = ["bijstand", "low_income", "psych", "lvb", "refugee_origin", "students", "dementia"]

c.TEXT.update({
    "std_coef": ("Gestandaardiseerde coëfficiënt (95%-interval)", "Standardised coefficient (95% interval)"),
    "d": ("Verandering {what}", "Change in {what}"),
    "start": ("Beginniveau {what}", "Start level of {what}"),
    "pop_change": ("Bevolkingsverandering (%)", "Population change (%)"),
    "predictor": ("kwetsbare groep", "vulnerable group"),
    "control": ("controle", "control"),
})


@analysis("change-model",
          "Regressie van de verandering in overlast/onveiligheid op de verandering in kwetsbare groepen",
          "Regression of the change in nuisance/unsafety on the change in vulnerable groups")
def run(store, indicator: str = "lbm_onv", predictors: list[str] | None = None,
        year_from: int | None = None, year_to: int | None = None, region=None,
        geo_version: str | None = None, level: str | None = None, controls: list[str] | None = None,
        errors: str = "HC3", spatial: str | None = None, spatial_method: str = "gm",
        ml_max_n: int = 3000, drop_suppressed: bool = True, level_ci: float = 0.95) -> Result:
    """Regress the change in ``indicator`` on the changes in vulnerable groups.

    Parameters
    ----------
    indicator : the outcome (any indicator; ``lbm_onv``: higher = less nuisance).
    predictors : vulnerable-group indicators; default the :data:`VULNERABLE_GROUPS` present in both years.
    year_from, year_to : default the first and last year of ``indicator``.
    controls : subset of ``start``, ``corp_share``, ``urbanity``, ``population``; default all available.
    errors : ``'HC3'`` (robust) or ``'cluster'`` (clustered by gemeente).
    spatial : ``None``, ``'lag'`` or ``'error'`` (Queen weights; islands joined to their nearest area).
    spatial_method : ``'gm'`` (GMM, fast) or ``'ml'`` (maximum likelihood; only up to ``ml_max_n`` areas).
    drop_suppressed : leave out areas whose rates rest on small numbers.

    Returns
    -------
    Result with ``table`` (term, label_nl, label_en, role, coef, se, lower, upper, p, n, std_coef,
    std_lower, std_upper), ``extra['fit']`` and ``extra['dropped']``.
    """
    if errors not in ("HC3", "cluster"):
        raise StoreError(f"errors must be 'HC3' or 'cluster', not {errors!r}")
    if spatial not in (None, "lag", "error"):
        raise StoreError(f"spatial must be None, 'lag' or 'error', not {spatial!r}")
    geo_version, level, areas, codes, years = c.scope(store, indicator, geo_version, level, region)
    y0, y1 = c.period(years, year_from, year_to, indicator)

    candidates = list(VULNERABLE_GROUPS if predictors is None else predictors)
    extra_inds = [i for i in ("corp_share", "urbanity", "residents") if i not in candidates + [indicator]]
    frame = two_years(store, [indicator] + candidates + extra_inds, geo_version, codes, y0, y1)
    present = [p for p in candidates if frame[f"{p}_change"].notna().any()]
    if predictors is not None and len(present) < len(candidates):
        missing = sorted(set(candidates) - set(present))
        raise StoreError(f"predictors without values in both {y0} and {y1}: {', '.join(missing)}")
    if not present:
        raise StoreError(f"none of the vulnerable groups ({', '.join(candidates)}) has values in both "
                         f"{y0} and {y1}")
    wanted = {"start", "corp_share", "urbanity", "population"} if controls is None else set(controls)
    unknown = wanted - {"start", "corp_share", "urbanity", "population"}
    if unknown:
        raise StoreError(f"unknown controls {sorted(unknown)}")

    # design: one column per term, with its role and labels
    cols, roles, labels = {}, {}, {}

    def add(term, values, role, nl, en):
        cols[term], roles[term], labels[term] = values, role, (nl, en)

    for p in present:
        add(f"d_{p}", frame[f"{p}_change"], "predictor", c.tr("d", "nl", what=c.ind_label({}, p, "nl")),
            c.tr("d", "en", what=c.ind_label({}, p, "en")))
    if "start" in wanted:
        for p in [indicator] + present:
            add(f"start_{p}", frame[f"{p}_from"], "control",
                c.tr("start", "nl", what=c.ind_label({}, p, "nl")), c.tr("start", "en", what=c.ind_label({}, p, "en")))
    if "corp_share" in wanted and frame["corp_share_from"].notna().any():
        share = frame["corp_share_from"].fillna(frame["corp_share_to"])
        add("corp_share", share, "control", c.tr("corp_share", "nl"), c.tr("corp_share", "en"))
    if "urbanity" in wanted and "urbanity_from" in frame and frame["urbanity_from"].notna().any():
        add("urbanity", frame["urbanity_from"], "control", "Stedelijkheid", "Urbanity")
    if "population" in wanted and frame["residents_change"].notna().any():
        with np.errstate(all="ignore"):
            pop = (frame["residents_to"] / frame["residents_from"] - 1) * 100
        add("pop_change", pop.replace([np.inf, -np.inf], np.nan), "control",
            c.tr("pop_change", "nl"), c.tr("pop_change", "en"))

    X = pd.DataFrame(cols, index=frame.index)
    y = frame[f"{indicator}_change"]
    dropped = {"outcome_missing": int(y.isna().sum())}
    keep = y.notna()
    for term in X:
        miss = X[term].isna() & keep
        dropped[f"{term}_missing"] = int(miss.sum())
        keep &= ~miss
    if drop_suppressed:
        sup = frame[[f"{i}_suppressed" for i in [indicator] + present]].any(axis=1) & keep
        dropped["suppressed"] = int(sup.sum())
        keep &= ~sup
    X, y = X[keep], y[keep].astype(float)
    # a term without variation (e.g. one gemeente's urbanity) cannot be estimated
    flat = [t for t in X if X[t].nunique() < 2]
    X = X.drop(columns=flat)
    n = len(y)
    if n < X.shape[1] + 3:
        raise StoreError(f"only {n} complete areas for {X.shape[1]} terms: too few to estimate")

    gm = areas.set_index("code").loc[X.index, "gm_code"]
    if spatial is None:
        est, fit = _ols(y, X, errors, gm, level_ci)
    else:
        est, fit = _spatial_model(store, geo_version, y, X, spatial, spatial_method, ml_max_n, errors, level_ci)
    roles["intercept"], labels["intercept"] = "intercept", ("Constante", "Intercept")
    roles["rho"], labels["rho"] = "spatial", ("Ruimtelijke lag (ρ)", "Spatial lag (ρ)")
    roles["lambda"], labels["lambda"] = "spatial", ("Ruimtelijke fout (λ)", "Spatial error (λ)")
    sd_x = X.std().reindex(est["term"]).to_numpy()
    sd_y = y.std()
    table = est.assign(
        label_nl=[labels[t][0] for t in est["term"]], label_en=[labels[t][1] for t in est["term"]],
        role=[roles[t] for t in est["term"]], n=n)
    for a, b in (("std_coef", "coef"), ("std_lower", "lower"), ("std_upper", "upper")):
        table[a] = table[b] * sd_x / sd_y
    table = table[["term", "label_nl", "label_en", "role", "coef", "se", "lower", "upper", "p", "n",
                   "std_coef", "std_lower", "std_upper"]]

    notes = _notes(dropped, n, len(frame), flat, errors, gm, spatial, indicator, store)
    meta = c.indicator_meta(store, indicator)
    summary = {"n": n, "n_dropped": int(len(frame) - n), **fit}
    for lang in ("nl", "en"):
        summary[f"sentence_{lang}"] = _sentence(table, meta, indicator, 1 - level_ci, lang)
    vint = c.vintage(store, store.facts(indicator=[indicator] + present, geo_version=geo_version,
                                        years=[y0, y1]), geo_version, level)
    params = {"indicator": indicator, "predictors": present, "year_from": int(y0), "year_to": int(y1),
              "region": region, "geo_version": geo_version, "level": level,
              "controls": sorted(wanted), "errors": errors, "spatial": spatial,
              "spatial_method": spatial_method if spatial else None, "drop_suppressed": drop_suppressed,
              "level_ci": level_ci}
    extra = {"fit": pd.DataFrame([fit]),
             "dropped": pd.DataFrame({"reason": list(dropped), "n": list(dropped.values())})}
    return Result("change-model", table, params, vint, notes, extra, summary, _figure=_figure)


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
    return est, fit


def _notes(dropped, n, n_all, flat, errors, gm, spatial, indicator, store) -> list[str]:
    notes = []
    lost = {k: v for k, v in dropped.items() if v}
    if lost:
        parts = ", ".join(f"{k}: {v}" for k, v in lost.items())
        notes += c.bilingual(f"{n_all - n} van {n_all} gebieden vallen af wegens ontbrekende of "
                             f"onbetrouwbare gegevens ({parts}).",
                             f"{n_all - n} of {n_all} areas dropped for missing or unreliable data ({parts}).")
    if flat:
        notes += c.bilingual(f"Zonder variatie en dus weggelaten: {', '.join(flat)}.",
                             f"Without variation and therefore left out: {', '.join(flat)}.")
    if errors == "cluster" and gm.nunique() < 30:
        notes += c.bilingual(f"Slechts {gm.nunique()} gemeenten als clusters: de standaardfouten zijn "
                             "onzeker.", f"Only {gm.nunique()} gemeenten as clusters: the standard errors "
                             "are unreliable.")
    if spatial and errors == "cluster":
        notes += c.bilingual("Het ruimtelijke model gebruikt geen clusterfouten.",
                             "The spatial model does not use clustered errors.")
    meta = c.indicator_meta(store, indicator)
    if meta.get("higher_is_worse") is False or meta.get("higher_is_worse") == 0:
        notes += c.bilingual(f"Bij {indicator} is hoger beter: een negatieve coëfficiënt betekent dat "
                             "een toename van de groep samengaat met méér overlast/onveiligheid.",
                             f"For {indicator} higher is better: a negative coefficient means that a rise "
                             "of the group goes with more nuisance/unsafety.")
    notes += c.bilingual("Samenhang, geen oorzaak: het model meet met welke veranderingen de overlast "
                         "samen opgaat.", "Association, not cause: the model shows which changes go "
                         "together with the change in nuisance.")
    return notes


def _sentence(table, meta, indicator, alpha, lang) -> str:
    sig = table[(table["role"] == "predictor") & (table["p"] < alpha)]
    worse_up = meta.get("higher_is_worse") not in (False, 0)
    worse, better = [], []
    for _, r in sig.iterrows():
        name = c.ind_label({}, r["term"][2:], lang)
        (worse if (r["coef"] > 0) == worse_up else better).append(name[:1].lower() + name[1:])
    label = c.ind_label({}, indicator, lang)
    label = label[:1].lower() + label[1:]
    if lang == "en":
        a = f"rises in {', '.join(worse)} go with a worse {label}" if worse else ""
        b = f"rises in {', '.join(better)} go with a better {label}" if better else ""
        return ("; ".join(x for x in (a, b) if x) or f"no vulnerable group is significantly related to {label}") + "."
    a = f"toename van {', '.join(worse)} gaat samen met een slechtere {label}" if worse else ""
    b = f"toename van {', '.join(better)} gaat samen met een betere {label}" if better else ""
    return ("; ".join(x for x in (a, b) if x) or f"geen kwetsbare groep hangt significant samen met {label}") + "."


def _figure(result: Result, lang: str = "nl"):
    t = result.table[result.table["role"].isin(["predictor", "control"])].iloc[::-1]
    fig, ax = c.new_figure(7.5, 0.35 * len(t) + 1.5)
    ypos = np.arange(len(t))
    colors = np.where(t["role"] == "predictor", c.COLORS[1], c.COLORS[0])
    for yp, (_, r), col in zip(ypos, t.iterrows(), colors):
        ax.errorbar(r["std_coef"], yp, xerr=[[r["std_coef"] - r["std_lower"]], [r["std_upper"] - r["std_coef"]]],
                    fmt="o", color=col, capsize=3)
    ax.axvline(0, color="#333333", linewidth=0.8, linestyle="--")
    ax.set_yticks(ypos, t["label_en" if lang == "en" else "label_nl"])
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(c.tr("std_coef", lang))
    ax.set_title(c.tr("change_in", lang, what=c.ind_label(result, result.params["indicator"], lang))
                 + f" {result.params['year_from']}–{result.params['year_to']}")
    return fig
