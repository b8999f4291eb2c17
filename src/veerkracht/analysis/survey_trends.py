"""Survey trends (METHOD.md analysis 8; the report's figures 1–7) from household-survey microdata.

Weighted shares per survey year with design-based standard errors and 95 % intervals
(:mod:`._survey`), for the tables of the report:

``income``     income composition of corporation tenants below the liberalisation threshold (fig. 1);
``inflow``     income composition of those who moved into such a dwelling in the last two years;
``outflow``    share that left the corporation sector, among those who lived in it two years before,
               by income group (fig. 2; needs ``previous_tenure``);
``higher_edu`` share of higher-educated among movers into social rent, overall and in weak-liveability
               areas (fig. 3);
``tenure_lowest`` where the lowest incomes live: social rent, corporation above the threshold, private
               rent, owner-occupied (fig. 4);
``stock``      share of households in social rent (fig. 5);
``health``     less than good self-rated health by segment (social rent / the rest) × income group (fig. 6);
``vulnerable`` lowest income, low education, single parents, benefits, poor health by segment, with the
               ratios social rent / the rest and social rent in weak areas / the rest (§2.4);
``safety``     often nuisance from neighbours and fear of harassment or robbery by segment (fig. 7).

*Social rent* is a corporation dwelling below the liberalisation threshold (all corporation dwellings
when the survey has no rent role, which the notes say). A cell with fewer than 50 respondents or fewer
than 10 in the numerator is suppressed: its estimate and counts are blank in every output. The survey
is national: the analysis takes no region.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import NotComputable
from ..store import microdata
from ..store.schema import INCOME_GROUPS
from . import _common as c
from ._survey import Design, share
from .base import Analysis, Message, ReportSpec, Result, register

__all__ = ["SurveyTrends", "estimates", "run", "FIGURES"]

FIGURES = ("income", "inflow", "outflow", "higher_edu", "tenure_lowest", "stock", "health", "vulnerable", "safety")
_VULNERABLE = ("lowest_income", "low_education", "single_parent", "benefits", "poor_health")


def _is(frame: pd.DataFrame, col: str, value) -> np.ndarray:
    """``col == value`` as floats with NaN where the column is not known (or absent)."""
    if col not in frame or frame[col].isna().all():
        return np.full(len(frame), np.nan)
    v = frame[col]
    out = (v == value).to_numpy(dtype=float) if value is not True else v.astype("boolean").fillna(False).to_numpy(float)
    return np.where(v.isna().to_numpy(), np.nan, out)


def _cells(f: pd.DataFrame):
    """``(figure, domain, group, outcome, domain mask)`` of every estimate for one year's respondents."""
    corp = (f["tenure"] == "corporation").to_numpy()
    has_rent = "rent" in f and f["rent"].notna().any()
    social = corp & (f["rent"] == "below").to_numpy() if has_rent else corp
    known = f["tenure"].notna().to_numpy()
    rest = known & ~social
    weak = np.nan_to_num(_is(f, "weak_area", True)).astype(bool)
    moved = np.nan_to_num(_is(f, "moved_in", True)).astype(bool)
    inc = {g: _is(f, "income_group", g) for g in INCOME_GROUPS}
    segs = {"social": social, "social_weak": social & weak, "rest": rest, "all": known}
    for g in INCOME_GROUPS:
        yield "income", "social", g, inc[g], social
        yield "inflow", "social", g, inc[g], social & moved
    yield "stock", "all", "social", np.where(known, social.astype(float), np.nan), known
    owner, private = (f["tenure"] == "owner").to_numpy(), (f["tenure"] == "private").to_numpy()
    for name, y in (("social", social), ("corporation_above", corp & ~social), ("private", private), ("owner", owner)):
        yield "tenure_lowest", "lowest", name, np.where(known, y.astype(float), np.nan), inc["lowest"] == 1
    if "previous_tenure" in f and f["previous_tenure"].notna().any():
        was = (corp & ~moved) | (moved & (f["previous_tenure"] == "corporation").to_numpy())
        left = np.where(known, (~corp).astype(float), np.nan)
        for g in INCOME_GROUPS:
            yield "outflow", "was_corporation", g, left, was & (inc[g] == 1)
    high = _is(f, "education", "high")
    yield "higher_edu", "social", "movers", high, social & moved
    yield "higher_edu", "social_weak", "movers", high, social & moved & weak
    poor = _is(f, "health", "less_than_good")
    for seg in ("social", "rest"):
        for g in INCOME_GROUPS:
            yield "health", seg, g, poor, segs[seg] & (inc[g] == 1)
    outcomes = {"lowest_income": inc["lowest"], "low_education": _is(f, "education", "low"),
                "single_parent": _is(f, "household_type", "single_parent"), "benefits": _is(f, "benefits", True),
                "poor_health": poor}
    for name, y in outcomes.items():
        for seg in ("social", "social_weak", "rest"):
            yield "vulnerable", seg, name, y, segs[seg]
    for name in ("nuisance", "fear"):
        y = _is(f, name, True)
        for seg in ("social", "social_weak", "all"):
            yield "safety", seg, name, y, segs[seg]


def estimates(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell's share (0–1) per year: ``figure, year, domain, group, estimate, se, lo, hi, n,
    suppressed``. Cells whose outcome was not asked (all missing) are left out."""
    rows = []
    for year, f in frame.groupby("year", sort=True):
        f = f.reset_index(drop=True)
        design = Design.of(f)
        for fig, dom, grp, y, mask in _cells(f):
            if np.isnan(y).all():
                continue
            rows.append({"figure": fig, "year": int(year), "domain": dom, "group": grp, **share(y, mask, design)})
    return pd.DataFrame(rows)


def ratios(est: pd.DataFrame) -> pd.DataFrame:
    """Vulnerability ratios social / rest and social in weak areas / rest, with delta-method 95 %
    intervals on the log scale (the two domains are disjoint and treated as independent)."""
    v = est[est["figure"] == "vulnerable"].set_index(["year", "group", "domain"])
    rows = []
    for (year, grp), part in v.groupby(level=["year", "group"]):
        part = part.droplevel(["year", "group"])
        if "rest" not in part.index:
            continue
        r = part.loc["rest"]
        for dom in ("social", "social_weak"):
            if dom not in part.index:
                continue
            a = part.loc[dom]
            ratio = a["estimate"] / r["estimate"]
            sl = np.sqrt((a["se"] / a["estimate"]) ** 2 + (r["se"] / r["estimate"]) ** 2)
            rows.append({"year": year, "group": grp, "domain": dom, "ratio": ratio,
                         "lo": ratio * np.exp(-1.959964 * sl), "hi": ratio * np.exp(1.959964 * sl),
                         "suppressed": bool(a["suppressed"] or r["suppressed"])})
    return pd.DataFrame(rows, columns=["year", "group", "domain", "ratio", "lo", "hi", "suppressed"])


#: Leefbaarometer classes 1–9: 'weak liveability' is class 4 (zwak) or worse
WEAK_CLASS = 4


def link_weak_area(store, frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """``weak_area`` from the store's Leefbaarometer class (``lbm_class`` ≤ 4) of each respondent's area
    code, in the year nearest the survey year; returns the frame and how many respondents were linked."""
    codes = frame["area_code"].dropna().astype(str).unique().tolist()
    if not codes:
        return frame, 0
    f = store.facts(indicator="lbm_class", codes=codes)
    f = f.dropna(subset=["value"])[["code", "year", "value"]]
    if f.empty:
        return frame, 0
    f = f.groupby(["code", "year"], as_index=False)["value"].min().sort_values("year")
    left = pd.DataFrame({"_i": np.arange(len(frame)), "code": frame["area_code"].astype(str).to_numpy(dtype=object),
                         "year": frame["year"].to_numpy(dtype="int64")}).sort_values("year")
    f = f.assign(code=f["code"].astype(str).to_numpy(dtype=object), year=f["year"].astype("int64"))
    hit = pd.merge_asof(left, f, on="year", by="code", direction="nearest")
    hit = hit.sort_values("_i")
    out = frame.copy()
    known = hit["value"].notna().to_numpy()
    out["weak_area"] = pd.array(np.where(known, hit["value"].to_numpy() <= WEAK_CLASS, None), dtype="boolean")
    return out, int(known.sum())


@dataclass
class SurveyTrendsParams:
    dataset: str | None = c.param(None, "survey dataset in the store (default: the only one)")
    years: list[int] | None = c.param(None, "survey years to show (default: every year of the dataset)")
    weak_from: str | None = c.param(None, "weak liveability from the file's weak_area ('file') or from the store's "
                                          "Leefbaarometer class of the area code ('liveability'); default: the file "
                                          "when it has it")

    def __post_init__(self):
        if self.weak_from is not None:
            c.choice("weak_from", self.weak_from, ("file", "liveability"))


@register
class SurveyTrends(Analysis):
    name = "survey-trends"

    def available(self, store) -> bool:
        """Only a store holding survey microdata can run it (the map and report say so otherwise)."""
        return bool(microdata.datasets(store, "survey_respondents"))
    Params = SurveyTrendsParams
    title = "analysis.survey_trends.title"
    summary = "analysis.survey_trends.summary"
    report = ReportSpec(order=5, title=Message("analysis.survey_trends.title"))

    def resolve(self, store, p: SurveyTrendsParams):
        try:
            frame = microdata.survey(store, p.dataset)
        except Exception as exc:            # several datasets, or an unknown one: say which exist
            raise NotComputable(Message("analysis.survey_trends.err.dataset", {"reason": str(exc)})) from None
        if frame.empty:
            raise NotComputable(Message("analysis.survey_trends.err.no_survey"))
        if p.years:
            frame = frame[frame["year"].isin([int(y) for y in p.years])]
            if frame.empty:
                raise NotComputable(Message("analysis.survey_trends.err.no_years", {"years": ", ".join(map(str, p.years))}))
        linked = None
        in_file = frame["weak_area"].notna().any()
        if p.weak_from == "liveability" or (p.weak_from is None and not in_file and frame["area_code"].notna().any()):
            frame, linked = link_weak_area(store, frame)
        return p, frame, linked

    def compute(self, store, scope) -> Result:
        p, frame, linked = scope
        est = estimates(frame)
        table = est.copy()
        for col in ("estimate", "se", "lo", "hi"):
            table[col] = table[col] * 100
        rat = ratios(est)
        years = sorted(int(y) for y in frame["year"].unique())
        clustered = "psu" in frame and frame["psu"].notna().any()
        notes: list = [Message("analysis.survey_trends.note.design_psu" if clustered else "analysis.survey_trends.note.design"),
                 Message("analysis.survey_trends.note.national")]
        if linked is not None:
            notes.append(Message("analysis.survey_trends.note.weak_linked", {"n": linked, "total": len(frame)}))
        if "rent" not in frame or frame["rent"].isna().all():
            notes.append(Message("analysis.survey_trends.note.no_rent"))
        if int(table["suppressed"].sum()):
            notes.append(Message("analysis.survey_trends.note.suppressed", {"n": int(table["suppressed"].sum())}))
        missing = [f for f in FIGURES if f not in set(table["figure"])]
        if missing:
            notes.append(Message("analysis.survey_trends.note.missing", {"figures": ", ".join(missing)}))
        summary: dict = {"years": years}
        low = table[(table["figure"] == "income") & (table["group"] == "lowest") & ~table["suppressed"]]
        if len(low) >= 1:
            a, b = low.iloc[0], low.iloc[-1]
            summary["message"] = Message("analysis.survey_trends.headline", {
                "y0": int(a["year"]), "p0": float(a["estimate"]), "lo0": float(a["lo"]), "hi0": float(a["hi"]),
                "y1": int(b["year"]), "p1": float(b["estimate"]), "lo1": float(b["lo"]), "hi1": float(b["hi"])})
        params = {"dataset": p.dataset, "years": years, "weak_from": "file" if linked is None else "liveability"}
        return Result(self.name, table, params, {"years": years}, notes, {"ratios": rat}, summary,
                      _figure=_figure, inputs={"survey": {"indicators": ["survey"], "years": years}})


def run(store, **params) -> Result:
    """Survey trends (see :class:`SurveyTrends`)."""
    return c.run_registered("survey-trends", store, **params)


def _figure(result: Result, lang: str = "nl"):
    """Figure 1 and figure 6: the income composition of social renters, and poor health by segment."""
    fig, axes = c.new_figure(10, 4, ncols=2)
    t = result.table[~result.table["suppressed"]]
    for ax, (figname, dom) in zip(axes, (("income", "social"), ("health", None))):
        part = t[t["figure"] == figname]
        for (d, g), s in part.groupby(["domain", "group"]):
            if dom is not None and d != dom:
                continue
            label = c.tr(f"survey.{g}", lang) + ("" if dom else f" ({c.tr(f'survey.{d}', lang)})")
            ax.errorbar(s["year"], s["estimate"], yerr=[s["estimate"] - s["lo"], s["hi"] - s["estimate"]],
                        marker="o", capsize=2, label=label)
        ax.set_title(c.tr(f"survey.fig_{figname}", lang))
        ax.set_ylabel("%")
        ax.legend(fontsize=7)
    return fig
