"""Tipping point (METHOD.md analysis 3; report §2.7).

The change in liveability (``to − from``; total score or a dimension) is regressed on the corporation
share at ``year_from`` with a continuous segmented line ``a + b·x + c·(x − k)₊``. The breakpoint ``k``
is found by profile least squares: all OLS fits for a grid of candidate breaks are solved at once from
the normal equations (sums over the areas beyond each candidate are suffix sums of per-interval
moments), then refined on a fine grid around the best candidate. The bootstrap resamples areas: one
``np.bincount`` per moment gives every replicate's interval moments, so 1,000 replicates on 13,594
areas take about a second, not a loop over fits. The *zero crossing* is where the fitted change turns
from positive to negative; when it never does, the message says what the curve does instead.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import StoreError
from . import _common as c
from ._breaktest import break_test
from ._caveats import value_at_or_before
from ._segfit import candidate_grid, moment_values, profile_sse
from ._inference import boot_group_sums_clustered, support_clusters
from .base import Analysis, Message, Result, register

__all__ = ["TippingPoint", "run", "fit_segmented", "DIMENSIONS"]

DIMENSIONS = ["lbm_won", "lbm_fys", "lbm_vrz", "lbm_soc", "lbm_onv"]
_N_MOM = 7   # count, w, w·u, w·u², w·y, w·u·y, w·y²


@dataclass
class TippingPointParams:
    outcome: str = c.param("lbm", "lbm (default), a dimension (lbm_onv …) or 'all' (the total and every dimension)")
    year_from: int | None = c.param(None, "start year (default: the first year of the outcome in the region at "
                                          "which a corporation share is known)")
    year_to: int | None = c.param(None, "end year (default: the last year of the outcome in the region)")
    region: list[str] | str | None = c.param(None, "gemeente/wijk/area codes (default: the whole country)")
    geo_version: str | None = c.param(None, "geography version (default: the only one holding the outcome)")
    n_boot: int = c.param(1000, "bootstrap replicates (areas resampled)")
    seed: int | None = c.param(0, "bootstrap seed")
    weights: str | None = c.param("dwellings", "a count indicator at year_from to weight the areas (WLS; "
                                  "default dwellings when the store has them); None: every area counts once")
    level: str | None = c.param(None, "level (default: the finest level holding the outcome)")
    grid_step: float = c.param(0.25, "candidate-break spacing (%-points) for the bootstrap")
    min_side: int = c.param(10, "a candidate break needs at least this many areas on each side")
    trim: float = c.param(0.02, "… and at least this share of the areas on each side")
    n_test: int = c.param(199, "wild-bootstrap replicates of the test that there is a break at all")
    alpha: float = c.param(0.05, "level of that test: below it the break counts as evidenced")

    def __post_init__(self):
        for name in ("n_boot", "grid_step", "min_side", "n_test"):
            c.positive(name, getattr(self, name))
        c.between("trim", self.trim, 0, 0.5, with_lo=True)
        c.between("alpha", self.alpha, 0, 1)


@dataclass
class Scope:
    """The question, resolved once: outcomes, geography, areas, facts and the two years."""

    p: TippingPointParams
    outcomes: list[str]
    geo_version: str
    level: str
    codes: list[str] | None
    facts: pd.DataFrame
    y0: int
    y1: int


@register
class TippingPoint(Analysis):
    """Segmented regression of the change in ``outcome`` on the corporation share.

    Returns a :class:`Result` whose ``table`` has one row per outcome (breakpoint, zero crossing,
    slopes per 10 %-points, their 95% intervals, pattern, ``message``); ``extra['areas']`` (per
    area share and changes) and ``extra['binned']`` (means per 5-point class); ``summary``: the
    first outcome's headline.
    """

    name = "tipping-point"
    Params = TippingPointParams
    title = "analysis.tipping_point.title"
    summary = "analysis.tipping_point.summary"

    def resolve(self, store, p: TippingPointParams) -> Scope:
        outcomes = ["lbm"] + DIMENSIONS if p.outcome == "all" else [p.outcome]
        geo_version = c.resolve_geo_version(store, outcomes[0], p.geo_version)
        level = c.resolve_level(store, geo_version, p.level, indicator=outcomes[0])
        codes, areas = c.region_codes(store, p.region, geo_version, level)
        facts = store.facts(indicator=outcomes, geo_version=geo_version, codes=codes)
        facts = facts[facts["code"].isin(areas["code"]) & facts["value"].notna()]
        years = sorted(facts.loc[facts["indicator"] == outcomes[0], "year"].unique())
        if p.year_from is None:
            # the default start is the first outcome year at which a corporation share is known (a
            # start share never comes from a later year, so an earlier start would leave no areas)
            share_years = store.facts(indicator="corp_share", geo_version=geo_version, codes=codes)["year"]
            first_share = int(share_years.min()) if len(share_years) else None
            years = [y for y in years if first_share is not None and y >= first_share] or years
        y0 = int(years[0]) if p.year_from is None and years else p.year_from
        y1 = int(years[-1]) if p.year_to is None and years else p.year_to
        if y0 is None or y1 is None or y0 >= y1:
            raise StoreError(f"need two years of {outcomes[0]!r} (year_from < year_to); the region has {years}")
        return Scope(p, outcomes, geo_version, level, codes, facts, int(y0), int(y1))

    def compute(self, store, s: Scope) -> Result:
        p, y0, y1 = s.p, s.y0, s.y1
        notes: list[Message] = []
        share_f = store.facts(indicator="corp_share", geo_version=s.geo_version, codes=s.codes)
        share, later = value_at_or_before(share_f, y0)      # a start-year share never comes from a later year
        if share.attrs["n_fallback"]:
            notes.append(Message("tipping_point.note.share_earlier", {"n": share.attrs["n_fallback"], "year": y0}))
        if later:
            notes.append(Message("tipping_point.note.share_later_dropped", {"n": later, "year": y0}))
        data = pd.DataFrame({"corp_share": share})
        weights = p.weights
        if weights:
            wf = store.facts(indicator=weights, geo_version=s.geo_version, codes=s.codes)
            if wf["value"].notna().any():
                w_fb = value_at_or_before(wf, y0)[0]
                data["weight"] = w_fb
            else:
                notes.append(Message("tipping_point.note.unweighted_missing", {"ind": weights}))
                weights = None
        notes.append(Message("tipping_point.note.weighted", {"ind": weights}) if weights
                     else Message("tipping_point.note.unweighted"))
        clusters = support_clusters(store, s.outcomes, s.geo_version, data.index, years=[y0, y1])
        present = []
        for out in s.outcomes:
            f = s.facts[s.facts["indicator"] == out]
            a = f[f["year"] == y0].set_index("code")["value"]
            b = f[f["year"] == y1].set_index("code")["value"]
            if a.empty or b.empty:
                if p.outcome != "all":
                    raise StoreError(f"{out!r} lacks data in {y0} or {y1}")
                continue
            data["change_" + out] = b - a
            present.append(out)
        data = data.dropna(subset=["corp_share"])

        rows = []
        for i, out in enumerate(present):
            d = data.dropna(subset=["change_" + out] + (["weight"] if weights else []))
            if weights:
                d = d[d["weight"] > 0]
            w = d["weight"].to_numpy(float) if weights else None
            x, y = d["corp_share"].to_numpy(float), d["change_" + out].to_numpy(float)
            cl = clusters.reindex(d.index).to_numpy(dtype=object)
            fit = fit_segmented(x, y, w, min_side=p.min_side, trim=p.trim)
            seed = None if p.seed is None else p.seed + i
            spread = len(set(cl)) < len(cl)
            boot = _bootstrap(x, y, w, p.n_boot, seed, p.grid_step, fit, cl if spread else None)
            test = break_test(x, y, w, cl, lo=fit["lo"], hi=fit["hi"], m=fit["m"], n_test=p.n_test,
                              seed=seed, step=p.grid_step)
            rows.append(_row(out, fit, boot, y0, y1) | {
                "break_f": test["sup_f"], "break_p": test["p"], "break_evidence": bool(test["p"] < p.alpha),
                "n_units": test["n_clusters"], "weighting": weights or "none"})
        table = pd.DataFrame(rows)
        table["message"] = [_tested(_message(r), r, p.alpha) for r in rows]
        if clusters.attrs["n_spread"]:
            notes.append(Message("inference.note.clustered", {"n": int(table["n"].iloc[0]),
                                                              "units": int(table["n_units"].iloc[0]),
                                                              "level": clusters.attrs["source_level"] or "-"}))
        data = data.reset_index().rename(columns={"index": "code"})
        # the years used: the outcomes' two, the share's start year (any year when it fell back)
        used = [share_f[share_f["year"] <= y0] if share.attrs["n_fallback"] else share_f[share_f["year"] == y0]]
        if weights:
            used.append(wf[wf["year"] <= y0] if w_fb.attrs["n_fallback"] else wf[wf["year"] == y0])
        vint = c.vintage(store, pd.concat([s.facts[s.facts["year"].isin([y0, y1])], *used]),
                         s.geo_version, s.level)
        first = table.iloc[0].to_dict()
        summary = {k: first[k] for k in ("outcome", "breakpoint", "break_lo", "break_hi", "zero_crossing",
                                         "zero_lo", "zero_hi", "zero_share", "pattern", "break_f", "break_p",
                                         "break_evidence", "n", "n_units", "weighting", "message")}
        notes.append(Message("tipping_point.note.method"))
        notes.append(Message("tipping_point.note.break_test", {"b": p.n_test, "alpha": float(p.alpha)}))
        notes.append(Message("inference.note.ecological"))
        params = {"outcome": p.outcome, "year_from": y0, "year_to": y1, "region": p.region,
                  "geo_version": s.geo_version, "level": s.level, "n_boot": p.n_boot, "seed": p.seed,
                  "weights": weights, "grid_step": p.grid_step, "min_side": p.min_side, "trim": p.trim,
                  "n_test": p.n_test, "alpha": p.alpha}
        roles = {"outcome": present, "corp_share": ["corp_share"], "weights": [weights] if weights else []}
        return Result("tipping-point", table, params, vint, notes,
                      {"areas": data, "binned": _binned(data, present)}, summary, _figure=_figure,
                      inputs=c.inputs(vint, roles))


def run(store, **params) -> Result:
    """The tipping point (see :class:`TippingPoint`); kept for callers of the old entry point."""
    return c.run_registered("tipping-point", store, **params)


# ------------------------------------------------------------------------------------ fitting
def fit_segmented(x, y, w=None, min_side: int = 10, trim: float = 0.02, step: float = 0.5,
                  fine: float = 0.01) -> dict:
    """Continuous one-break segmented least squares of ``y`` on ``x`` (optionally weighted).

    Profile SSE on a grid of breaks (``step``) between the ``max(min_side, trim·n)``-th smallest and
    largest ``x``, then again on a ``fine`` grid within one step of the best. Returns a dict with
    ``breakpoint``, ``a``, ``b``, ``c`` (in x units: ``ŷ = a + b·x + c·(x − k)₊``), ``sse``,
    ``sse_linear``, ``x_lo``, ``x_hi`` (the data range), ``y_mean`` and the grid ``lo``/``hi``.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    w = np.ones_like(x) if w is None else np.asarray(w, float)
    n = len(x)
    m = max(min_side, math.ceil(trim * n))
    if n < 2 * m + 1:
        raise StoreError(f"too few areas ({n}) for a segmented regression (need > {2 * m})")
    xs = np.sort(x)
    lo, hi = xs[m - 1], xs[n - m - 1]
    if hi <= lo:
        raise StoreError("the corporation shares hardly vary: no breakpoint can be estimated")
    ybar = np.average(y, weights=w)
    u, yc = (x - 50) / 100, y - ybar                         # centred: well-conditioned sums
    vals = moment_values(u, yc, w)

    def best(grid):
        gu = (grid - 50) / 100
        j = np.searchsorted(gu, u, side="left")
        M = c.group_sums(j, vals, len(grid) + 1)[0].T        # (G+1, 7)
        sse, beta = profile_sse(M, gu, m)
        i = int(np.argmin(sse))
        return i, sse, beta

    grid = candidate_grid(lo, hi, step)
    i, sse, _ = best(grid)
    fine_grid = candidate_grid(grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)], fine)
    j, sse_f, beta_f = best(fine_grid)
    k = float(fine_grid[j])
    a_u, b_u, c_u = beta_f[j]
    # back to x units: u = (x − 50)/100
    b, cc = b_u / 100, c_u / 100
    a = a_u - b * 50 + ybar
    X = np.column_stack([np.ones(n), x]) * np.sqrt(w)[:, None]
    lin = np.linalg.lstsq(X, y * np.sqrt(w), rcond=None)
    sse_lin = float(((y * np.sqrt(w) - X @ lin[0]) ** 2).sum())
    return {"breakpoint": k, "a": float(a), "b": float(b), "c": float(cc), "sse": float(sse_f[j]),
            "sse_linear": sse_lin, "x_lo": float(xs[0]), "x_hi": float(xs[-1]), "y_mean": float(ybar),
            "lo": float(lo), "hi": float(hi), "n": n, "m": m}


def _bootstrap(x, y, w, n_boot, seed, step, fit, clusters=None, sums_fn=None):
    """Breakpoint, zero crossing and kink ``c`` for ``n_boot`` area resamples (vectorised); whole
    clusters are resampled when ``clusters`` is given (values spread from a coarser unit).
    ``sums_fn(groups, values, n_groups, n_boot, seed)``: another resampling scheme's replicate sums
    (the grid's block bootstrap, :mod:`.grid_tipping`)."""
    w = np.ones_like(x) if w is None else w
    grid = candidate_grid(fit["lo"], fit["hi"], step)
    gu = (grid - 50) / 100
    u, yc = (x - 50) / 100, y - fit["y_mean"]
    j = np.searchsorted(gu, u, side="left")
    if sums_fn is not None:
        sums = sums_fn(j, moment_values(u, yc, w), len(grid) + 1, n_boot, seed)
    elif clusters is None:
        sums = c.boot_group_sums(j, moment_values(u, yc, w), len(grid) + 1, n_boot, seed)
    else:
        sums = boot_group_sums_clustered(j, moment_values(u, yc, w), len(grid) + 1, n_boot, seed, clusters)
    sse, beta = profile_sse(np.swapaxes(sums[:, 0], 1, 2), gu, fit["m"])       # (B, G)
    i = np.argmin(sse, axis=1)
    r = np.arange(len(i))
    # parabolic refinement of the break between grid neighbours
    il, ir = np.clip(i - 1, 0, len(grid) - 1), np.clip(i + 1, 0, len(grid) - 1)
    s0, s1, s2 = sse[r, il], sse[r, i], sse[r, ir]
    with np.errstate(all="ignore"):
        den = s0 - 2 * s1 + s2
        shift = np.where((il < i) & (ir > i) & np.isfinite(s0 + s2) & (den > 0), 0.5 * (s0 - s2) / den, 0)
    ok = np.isfinite(s1)
    brk = np.where(ok, grid[i] + np.clip(shift, -0.5, 0.5) * step, np.nan)
    a_u, b_u, c_u = (beta[r, i, q] for q in range(3))
    b, cc = b_u / 100, c_u / 100
    a = a_u - b * 50 + fit["y_mean"]
    zero, _ = _crossing(a, b, cc, grid[i], fit["x_lo"], fit["x_hi"])
    return {"breakpoint": brk, "zero": np.where(ok, zero, np.nan), "b": np.where(ok, b, np.nan),
            "slope_right": np.where(ok, b + cc, np.nan), "c": np.where(ok, cc, np.nan)}


def _crossing(a, b, cc, k, x_lo, x_hi):
    """Where ``a + b·x + c·(x − k)₊`` turns from positive to negative in ``[x_lo, x_hi]`` (NaN: never),
    and where it turns from negative to positive. Vectorised over replicates."""
    a, b, cc, k = np.broadcast_arrays(*(np.asarray(v, float) for v in (a, b, cc, k)))
    with np.errstate(all="ignore"):
        r1 = -a / b
        s2 = b + cc
        r2 = k - (a + b * k) / s2
    in1 = (r1 >= x_lo) & (r1 <= k)
    in2 = (r2 >= k) & (r2 <= x_hi)
    down = np.where(in1 & (b < 0), r1, np.where(in2 & (s2 < 0), r2, np.nan))
    up = np.where(in1 & (b > 0), r1, np.where(in2 & (s2 > 0), r2, np.nan))
    return down, up


def _row(out, fit, boot, year_from, year_to) -> dict:
    k, a, b, cc = fit["breakpoint"], fit["a"], fit["b"], fit["c"]
    down, up = _crossing(a, b, cc, k, fit["x_lo"], fit["x_hi"])
    f_lo, f_hi = a + b * fit["x_lo"], a + b * fit["x_hi"] + cc * (fit["x_hi"] - k)
    if np.isfinite(down):
        pattern = "turns_negative"
    elif np.isfinite(up):
        pattern = "turns_positive"
    elif f_lo >= 0 and f_hi >= 0:
        pattern = "always_positive"
    else:
        pattern = "always_negative"
    blo, bhi = c.percentile_interval(boot["breakpoint"])
    zlo, zhi = c.percentile_interval(boot["zero"])
    clo, chi = c.percentile_interval(boot["c"] * 10)
    return {"outcome": out, "year_from": year_from, "year_to": year_to, "n": fit["n"],
            "breakpoint": k, "break_lo": float(blo), "break_hi": float(bhi),
            "zero_crossing": float(down), "zero_lo": float(zlo), "zero_hi": float(zhi),
            "zero_share": float(np.isfinite(boot["zero"]).mean()), "up_crossing": float(up),
            "slope_left": b * 10, "slope_right": (b + cc) * 10, "kink": cc * 10, "kink_lo": float(clo),
            "kink_hi": float(chi), "intercept": a, "fitted_at_0": a,
            "fitted_at_break": a + b * k, "fitted_at_max": f_hi, "x_max": fit["x_hi"],
            "sse": fit["sse"], "sse_linear": fit["sse_linear"], "pattern": pattern}


def _message(r: dict) -> Message:
    """What the fitted curve does, as a message: where it turns negative, or what it does instead."""
    ind = r["outcome"]
    if r["pattern"] == "turns_negative":
        key = "turns_negative" if r["zero_share"] >= 0.95 else "turns_negative_uncertain"
        return Message(f"tipping_point.sentence.{key}", {
            "ind": ind, "zero": r["zero_crossing"], "zero_lo": r["zero_lo"], "zero_hi": r["zero_hi"],
            "brk": r["breakpoint"], "brk_lo": r["break_lo"], "brk_hi": r["break_hi"],
            "share": r["zero_share"] * 100})
    clear = not (r["kink_lo"] <= 0 <= r["kink_hi"])
    where = Message("tipping_point.where" if clear else "tipping_point.where_ns",
                    {"brk": r["breakpoint"], "brk_lo": r["break_lo"], "brk_hi": r["break_hi"]})
    if r["pattern"] == "turns_positive":
        return Message("tipping_point.sentence.turns_positive", {"ind": ind, "up": r["up_crossing"], "where": where})
    worse = r["slope_right"] < r["slope_left"]
    return Message(f"tipping_point.sentence.{r['pattern']}", {
        "ind": ind, "x_max": r["x_max"], "where": where,
        "side": Message(f"tipping_point.side.{'worse' if worse else 'better'}")})


def _tested(main: Message, r: dict, alpha: float) -> Message:
    """The curve's sentence followed by what the test for a break found."""
    key = "found" if r["break_evidence"] else "none"
    return Message("tipping_point.sentence.tested", {"main": main, "test": Message(
        f"tipping_point.break.{key}", {"p": r["break_p"], "f": r["break_f"], "alpha": float(alpha)})})


def _binned(data: pd.DataFrame, outcomes) -> pd.DataFrame:
    """Means of each change per 5-point class of the corporation share (the figure's dots)."""
    cls = np.minimum((data["corp_share"] // 5) * 5, 95) + 2.5
    out = []
    for o in outcomes:
        g = data.groupby(cls)["change_" + o].agg(["mean", "count"]).reset_index()
        out.append(g.rename(columns={"corp_share": "share_mid", "count": "n"}).assign(outcome=o))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def _figure(result: Result, lang: str = "nl"):
    t, d, binned = result.table, result.extra["areas"], result.extra["binned"]
    n = len(t)
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    fig, axes = c.new_figure(4.2 * ncols + 1, 3.6 * nrows, ncols=ncols, nrows=nrows)
    axes = np.atleast_1d(axes).ravel()
    for ax, (_, r) in zip(axes, t.iterrows()):
        y = d["change_" + r["outcome"]]
        ok = y.notna()
        ax.hexbin(d.loc[ok, "corp_share"], y[ok], gridsize=40, cmap="Greys", mincnt=1, bins="log",
                  linewidths=0, alpha=0.45)
        b = binned[binned["outcome"] == r["outcome"]]
        ax.plot(b["share_mid"], b["mean"], "o", color=c.COLORS[2], ms=4, label=c.tr("binned", lang))
        xs = np.array([0, r["breakpoint"], r["x_max"]])
        ax.plot(xs, r["intercept"] + r["slope_left"] / 10 * xs
                + (r["slope_right"] - r["slope_left"]) / 10 * np.clip(xs - r["breakpoint"], 0, None),
                color=c.COLORS[1], lw=2, label=c.tr("fitted", lang))
        c.reference_line(ax, 0)
        ax.axvline(r["breakpoint"], color=c.COLORS[1], ls=":", lw=1)
        ax.axvspan(r["break_lo"], r["break_hi"], color=c.COLORS[1], alpha=0.12, label=c.tr("break_ci", lang))
        if np.isfinite(r["zero_crossing"]):
            # the interval comes from the bootstrap samples that cross zero at all; when few do, the
            # point estimate can lie outside it — drawn as a segment and a marker, never as error bars
            if np.isfinite(r["zero_lo"]) and np.isfinite(r["zero_hi"]):
                ax.plot([r["zero_lo"], r["zero_hi"]], [0, 0], color=c.COLORS[3], lw=2, solid_capstyle="butt")
            ax.plot([r["zero_crossing"]], [0], "D", color=c.COLORS[3], label=c.tr("zero", lang))
        lo, hi = np.nanpercentile(y[ok], [1, 99]) if ok.any() else (-1, 1)
        pad = 0.1 * (hi - lo)
        ax.set_ylim(lo - pad, hi + pad)
        ax.set_xlim(0, 100)
        ax.set_title(c.ind_label(result, r["outcome"], lang), fontsize=10)
        ax.set_xlabel(c.tr("corp_share", lang))
        ax.set_ylabel(c.tr("change_period", lang, y0=r["year_from"], y1=r["year_to"]))
    for ax in axes[n:]:
        ax.set_visible(False)
    axes[0].legend(frameon=False, fontsize=7, loc="lower left")
    return fig
