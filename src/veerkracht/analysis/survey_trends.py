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
from ._microareas import in_region, locate, to_level
from .base import Analysis, LayerSpec, Message, ReportSpec, Result, register

__all__ = ["SurveyTrends", "estimates", "area_estimates", "run", "FIGURES", "AREA_OUTCOMES"]

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


#: per-area outcomes of the map layer (see the ``outcome`` parameter)
AREA_OUTCOMES = ("lowest_social", "social", "nuisance", "fear")
_MAP_NOTES = {"lowest_social": "analysis.survey_trends.note.map.lowest_social",
              "social": "analysis.survey_trends.note.map.social",
              "nuisance": "analysis.survey_trends.note.map.nuisance",
              "fear": "analysis.survey_trends.note.map.fear"}


def _area_cell(f: pd.DataFrame, outcome: str) -> tuple[np.ndarray, np.ndarray]:
    """``(y, domain)`` of a map outcome for one year's respondents."""
    corp = (f["tenure"] == "corporation").to_numpy()
    has_rent = "rent" in f and f["rent"].notna().any()
    social = corp & (f["rent"] == "below").to_numpy() if has_rent else corp
    known = f["tenure"].notna().to_numpy()
    if outcome == "lowest_social":
        return _is(f, "income_group", "lowest"), social
    if outcome == "social":
        return np.where(known, social.astype(float), np.nan), known
    return _is(f, outcome, True), np.ones(len(f), dtype=bool)


def area_estimates(frame: pd.DataFrame, area: np.ndarray, outcome: str) -> pd.DataFrame:
    """Per area (``area``: each respondent's map area, NaN outside the map) the weighted share (%) of
    ``outcome`` with its design-based SE and 95 % interval, as a domain of the year's whole sample (the
    design's strata and PSUs as in :func:`estimates`). Areas with too few respondents are suppressed."""
    f = frame.reset_index(drop=True)
    design = Design.of(f)
    y, dom = _area_cell(f, outcome)
    codes = pd.Series(area, dtype=object)
    rows = []
    for code in sorted(codes.dropna().unique()):
        cell = share(y, dom & (codes == code).to_numpy(), design)
        rows.append({"code": str(code), **{k: (v * 100 if k in ("estimate", "se", "lo", "hi") else v)
                                           for k, v in cell.items()}})
    return pd.DataFrame(rows, columns=["code", "estimate", "se", "lo", "hi", "n", "suppressed"])


@dataclass
class SurveyTrendsParams:
    dataset: str | None = c.param(None, "survey dataset in the store (default: the only one)")
    years: list[int] | None = c.param(None, "survey years to show (default: every year of the dataset)")
    weak_from: str | None = c.param(None, "weak liveability from the file's weak_area ('file') or from the store's "
                                          "Leefbaarometer class of the area code ('liveability'); default: the file "
                                          "when it has it")
    outcome: str = c.param("lowest_social", "what the map shows per area: 'lowest_social' (lowest 20 % incomes among "
                                            "social renters), 'social' (households in social rent), 'nuisance' (often "
                                            "bothered by neighbours) or 'fear' (afraid of harassment or robbery)")
    year: int | None = c.param(None, "survey year of the map (default: the last; otherwise the nearest the survey has)")
    geo_version: str | None = c.param(None, "geography version of the respondents' area codes (default: the one "
                                            "holding most of them)")
    level: str | None = c.param(None, "level of the map: the codes' own or a coarser one (default: the codes' own)")
    region: list[str] | str | None = c.param(None, "gemeente/wijk/area codes of the map (default: every area)")

    def __post_init__(self):
        if self.weak_from is not None:
            c.choice("weak_from", self.weak_from, ("file", "liveability"))
        c.choice("outcome", self.outcome, tuple(AREA_OUTCOMES))


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
    layer = LayerSpec(order=82, kind="numeric", column="estimate", label=Message("analysis.survey_trends.map_label"),
                      own_indicator=False, table="areas", scale="sequential", unit="%")

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
        return p, frame, linked, _map_areas(store, frame, p)

    def compute(self, store, scope) -> Result:
        p, frame, linked, (areas, map_year, version, level, map_notes) = scope
        est = estimates(frame)
        table = est.copy()
        for col in ("estimate", "se", "lo", "hi"):
            table[col] = table[col] * 100
        rat = ratios(est)
        years = sorted(int(y) for y in frame["year"].unique())
        clustered = "psu" in frame and frame["psu"].notna().any()
        design = "analysis.survey_trends.note.design_psu" if clustered else "analysis.survey_trends.note.design"
        notes: list = [*map_notes, Message(design),
                 Message("analysis.survey_trends.note.national")]
        if linked is not None:
            notes.append(Message("analysis.survey_trends.note.weak_linked", {"n": linked, "total": len(frame)}))
        if "rent" not in frame or frame["rent"].isna().all():
            notes.append(Message("analysis.survey_trends.note.no_rent"))
        if int(table["suppressed"].sum()):
            notes.append(Message("analysis.survey_trends.note.suppressed", {"n": int(table["suppressed"].sum())}))
        for year, f in frame.groupby("year", sort=True):
            lonely = Design.of(f.reset_index(drop=True)).lonely
            if lonely:
                notes.append(Message("analysis.survey_trends.note.lonely_psu", {"n": lonely, "year": int(year)}))
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
        params = {"dataset": p.dataset, "years": years, "weak_from": "file" if linked is None else "liveability",
                  "outcome": p.outcome, "year": map_year, "geo_version": version, "level": level, "region": p.region}
        return Result(self.name, table, params, {"years": years}, notes, {"ratios": rat, "areas": areas}, summary,
                      _figure=_figure, _layer=None if areas.empty else (lambda r, st: _layer(r, st or store)),
                      inputs={"survey": {"indicators": ["survey"], "years": years},
                              **({"geo_version": version, "level": level} if not areas.empty else {})})


def _map_areas(store, frame: pd.DataFrame, p: SurveyTrendsParams):
    """The map layer's table (per area of the respondents' codes, one survey year), the year, version,
    level and notes; an empty table when the survey has no area codes the store knows."""
    empty = pd.DataFrame(columns=["code", "estimate", "se", "lo", "hi", "n", "suppressed"])
    years = sorted(int(y) for y in frame["year"].unique())
    year = years[-1] if p.year is None else min(years, key=lambda y: (abs(y - int(p.year)), -y))
    notes: list = []
    if p.year is not None and year != int(p.year):
        notes.append(Message("analysis.survey_trends.note.map_year", {"year": year, "asked": int(p.year)}))
    codes = frame["area_code"].dropna()
    if codes.empty:
        return empty, year, p.geo_version, p.level, notes
    version, own, areas = locate(store, codes, p.geo_version)
    if own is None:
        return empty, year, version, p.level, notes
    f = frame[frame["year"] == year].reset_index(drop=True)
    known = f["area_code"].notna().to_numpy()
    target = np.full(len(f), None, dtype=object)
    target[known] = to_level(f.loc[known, "area_code"], areas, own, p.level, "analysis.survey_trends.err.level")
    inside = in_region(target, areas, p.region) & pd.notna(target)
    target[~inside] = None
    level = p.level or own
    notes.append(Message(_MAP_NOTES[p.outcome], {"year": year, "level": level}))
    return area_estimates(f, target, p.outcome), year, version, level, notes


def _layer(result: Result, store):
    from ._spatial import area_layer
    areas = result.extra["areas"]
    return area_layer(areas, store, result.params["geo_version"], blank={"suppressed": ["estimate", "se", "lo", "hi", "n"]})


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
