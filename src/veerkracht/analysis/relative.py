"""Relative view (METHOD.md analysis 7): an indicator as a deviation from its gemeente and the country.

A buurt that is average nationally can be the worst of its city. For each area of the region and a
year: the value, its gemeente's value and the country's value, the difference (points) and the ratio
(index, reference = 100), and the area's rank within its gemeente (1 = worst by the indicator's
polarity).

References, per gemeente and for the country, in order of preference (column ``reference_method``):

1. ``pooled`` — Σ numerators / Σ denominators of all areas of that gemeente (country: all areas) in
   the store, for the year (areas without counts are left out of the pool);
2. ``fact`` — the gemeente's (``GMxxxx``) or country's (``NL01``) own fact in the store;
3. ``mean`` — the unweighted mean of its areas' values.

Rates with counts get a Wilson 95% interval for the area's value; the references are totals and get
none. Values resting on small numbers are flagged and blanked on the map.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import StoreError
from . import _common as c
from ._spatial import area_layer, pooled, wilson
from ._ranks import beta_draws, rank_intervals
from ._smallarea import posterior_draws, smooth_rate
from .base import Analysis, LayerSpec, Message, Result, register, suppress

__all__ = ["Relative", "run", "references", "NATIONAL_MIN_GEMEENTEN"]

# fewer gemeenten than this in the store: their pooled value is not "the country"
NATIONAL_MIN_GEMEENTEN = 300
METHODS = ("pooled", "fact", "mean")


@dataclass
class RelativeParams:
    indicator: str = c.param("low_income", "indicator compared with its gemeente and the country")
    year: int | None = c.param(None, "year (default: the last year with values)")
    region: list[str] | str | None = c.param(None, "gemeente/wijk/area codes (default: every area of the level)")
    geo_version: str | None = c.param(None, "geography version (default: the only one holding the indicator)")
    level: str | None = c.param(None, "level (default: the finest level holding the indicator)")
    national_min_gemeenten: int = c.param(
        NATIONAL_MIN_GEMEENTEN, "pooled areas are 'the country' only when they span this many gemeenten")
    smooth: bool = c.param(False, "rank on empirical-Bayes smoothed rates (Poisson–gamma; small areas pulled "
                                  "towards the region's rate), with per-area intervals")

    def __post_init__(self):
        c.positive("national_min_gemeenten", self.national_min_gemeenten)


@dataclass
class Scope:
    """The question, resolved once: indicator, its registry entry, geography, areas and year."""

    p: RelativeParams
    geo_version: str
    level: str
    areas: pd.DataFrame
    year: int
    meta: dict


@register
class Relative(Analysis):
    """Deviation of every area of the region from its gemeente and from the country in ``year``.

    The country value is the store's ``NL01`` fact for the year, else the pooled value of all areas
    when they span at least ``national_min_gemeenten`` gemeenten; otherwise it is unavailable (a
    store holding one city must not call that city "the country").
    """

    name = "relative"
    Params = RelativeParams
    title = "analysis.relative.title"
    summary = "analysis.relative.summary"
    layer = LayerSpec(order=10, kind="numeric", column="diff_gm", refs={"gemeente": "diff_gm", "country": "diff_nl"},
                      label=Message("analysis.relative.title"))

    def resolve(self, store, p: RelativeParams) -> Scope:
        geo_version = c.resolve_geo_version(store, p.indicator, p.geo_version)
        level = c.resolve_level(store, geo_version, p.level, indicator=p.indicator)
        _, areas = c.region_codes(store, p.region, geo_version, level)
        years = c.available_years(store, p.indicator, geo_version)
        year = years[-1] if p.year is None and years else p.year
        if year is None or year not in years:
            raise StoreError(f"{p.indicator!r} has no values for {year}; it has {years}")
        return Scope(p, geo_version, level, areas, int(year), c.indicator_meta(store, p.indicator))

    def compute(self, store, s: Scope) -> Result:
        ind, year, meta, p = s.p.indicator, s.year, s.meta, s.p
        scale = float(meta.get("scale") or 1)
        every = store.areas(geo_version=s.geo_version, level=s.level, geometry=False).set_index("code")
        facts = store.facts(indicator=ind, geo_version=s.geo_version, years=[year])
        facts = facts[facts["code"].isin(every.index)].set_index("code").reindex(every.index)
        gm_ref, nl_ref = references(store, ind, year, facts, every["gm_code"], scale, p.national_min_gemeenten)
        table, ratio_ok = _table(every.loc[s.areas["code"], ["name", "gm_code"]].copy(), facts, meta, scale,
                                 gm_ref, nl_ref, p.smooth)

        notes = []
        if not ratio_ok:
            notes.append(Message("relative.note.no_index", {"ind": ind}))
        if meta.get("higher_is_worse") is None or pd.isna(meta.get("higher_is_worse")):
            notes.append(Message("relative.note.no_polarity"))
        if p.region is not None:
            notes.append(Message("relative.note.region_references"))
        methods = table.drop_duplicates("gm_code")["gm_method"].value_counts()   # per gemeente
        notes.append(Message("relative.note.methods", {
            **{m: int(methods.get(m, 0)) for m in METHODS}, "nl": Message(f"relative.method.{nl_ref[1]}")}))
        notes.append(Message("relative.note.rank_interval" if table["rank_gm_lo"].notna().any()
                             else "relative.note.rank_unknown"))
        worst = table[(table["rank_gm"] == 1) & (table["diff_nl"].abs() <= 0.1 * abs(nl_ref[0]))]
        summary = {"nl_value": float(nl_ref[0]), "nl_method": nl_ref[1], "n_worst_in_gm_near_national": int(len(worst)),
                   "message": Message("relative.summary", {"n": int(len(worst))})}
        if nl_ref[1] == "unavailable":
            notes.append(Message("relative.note.no_country", {"ind": ind, "year": year,
                                                              "min": int(p.national_min_gemeenten)}))
            summary["message"] = Message("relative.summary.no_country")
        params = {"indicator": ind, "year": year, "region": p.region, "geo_version": s.geo_version,
                  "level": s.level, "smooth": p.smooth}
        if "value_smoothed" in table:
            notes.append(Message("inference.note.smoothed", {"inds": [ind]}))
        vint = c.vintage(store, store.facts(indicator=ind, geo_version=s.geo_version, years=[year]),
                         s.geo_version, s.level)
        return Result("relative", table, params, vint, notes, {"gemeenten": gm_ref.reset_index()}, summary,
                      _figure=_figure, _layer=lambda r, st: area_layer(
                          r.table.drop(columns=["name", "gm_code"]), st or store, r.params["geo_version"],
                          blank={"suppressed": ["value", "value_lower", "value_upper", "diff_gm", "diff_nl",
                                                "index_gm", "index_nl"]}),
                      inputs=c.inputs(vint, {"indicator": [ind]}))


def run(store, **params) -> Result:
    """The relative view (see :class:`Relative`); kept for callers of the old entry point."""
    return c.run_registered("relative", store, **params)


#: posterior draws per area for the rank intervals
N_RANK_DRAWS = 400


def _table(t: pd.DataFrame, facts: pd.DataFrame, meta: dict, scale: float, gm_ref, nl_ref, smooth=False):
    """Per area: value (with a Wilson interval for rates), references, differences, indices, ranks."""
    f = facts.loc[t.index]
    t["value"] = f["value"].to_numpy()
    rate = meta.get("kind") == "rate" and f["numerator"].notna().any()
    lo, hi = wilson(f["numerator"], f["denominator"], scale) if rate else (np.nan, np.nan)
    t["value_lower"], t["value_upper"] = lo, hi
    t["gm_value"] = t["gm_code"].map(gm_ref["value"]).to_numpy()
    t["gm_method"] = t["gm_code"].map(gm_ref["method"]).to_numpy()
    t["nl_value"], t["nl_method"] = nl_ref
    t["diff_gm"] = t["value"] - t["gm_value"]
    t["diff_nl"] = t["value"] - t["nl_value"]
    ratio_ok = meta.get("kind") in ("rate", "count") or (f["value"].dropna() > 0).all()
    with np.errstate(all="ignore"):
        t["index_gm"] = np.where(ratio_ok & (t["gm_value"] > 0), t["value"] / t["gm_value"] * 100, np.nan)
        t["index_nl"] = np.where(ratio_ok & (t["nl_value"] > 0), t["value"] / t["nl_value"] * 100, np.nan)
    worse_high = meta.get("higher_is_worse") not in (False, 0)
    ranked = "value"
    if smooth and rate:              # small areas pulled towards the region's rate before ranking
        sm = smooth_rate(f["numerator"], f["denominator"], scale)
        t["value_smoothed"], t["smoothed_lo"], t["smoothed_hi"], t["shrink"] = (
            sm[k].to_numpy() for k in ("smoothed", "lo", "hi", "shrink"))
        ranked = "value_smoothed"
    t["rank_gm"] = t.groupby("gm_code")[ranked].rank(ascending=not worse_high, method="min")
    t["n_gm"] = t.groupby("gm_code")["value"].transform("count")
    # the rank's 95% interval: ranks of draws of every rate from its counts (Jeffreys posterior, or
    # the Poisson–gamma posterior when smoothed)
    if rate:
        draw = posterior_draws if ranked == "value_smoothed" else beta_draws
        draws = draw(f["numerator"], f["denominator"], N_RANK_DRAWS, seed=0, scale=scale)
        draws = np.where(np.isnan(draws) & t["value"].notna().to_numpy()[None, :], t["value"].to_numpy()[None, :], draws)
        t["rank_gm_lo"], t["rank_gm_hi"] = rank_intervals(draws, t["gm_code"].to_numpy(), ascending=not worse_high)
    else:                                               # no counts: the rank's uncertainty is unknown
        t["rank_gm_lo"] = t["rank_gm_hi"] = np.nan
    t["reference_method"] = np.where(t["gm_method"] == t["nl_method"], t["gm_method"],
                                     "gemeente: " + t["gm_method"].astype(str) + ", nl: " + t["nl_method"])
    t["suppressed"] = suppress(f["numerator"], f["denominator"]).to_numpy()
    return t.reset_index().rename(columns={"index": "code"}), ratio_ok


def references(store, indicator: str, year: int, facts: pd.DataFrame, gm_code: pd.Series, scale: float,
               national_min_gemeenten: int = NATIONAL_MIN_GEMEENTEN):
    """Gemeente references (frame: value, method, n per gm_code) and the national (value, method).

    ``facts``: the indicator's facts for ``year`` indexed by area code (all areas of the level).
    """
    gm = pooled(facts["value"], facts["numerator"], facts["denominator"], gm_code, scale)
    need = gm.index[gm["method"] == "mean"].tolist()
    if need:
        own = store.facts(indicator=indicator, codes=need, years=[year]).drop_duplicates("code").set_index("code")
        own = own["value"].dropna()
        gm.loc[own.index, "value"] = own
        gm.loc[own.index, "method"] = "fact"
    # The country: a published NL01 fact (NL01 is the same area in every geography version) wins;
    # pooling the store's areas is only national when they cover the country, not one city.
    own = store.facts(indicator=indicator, codes=["NL01"], years=[year])["value"].dropna()
    ok = facts["numerator"].notna() & facts["denominator"].notna() & (facts["denominator"] > 0)
    national = gm_code.nunique() >= national_min_gemeenten
    if len(own):
        nl = (float(own.iloc[0]), "fact")
    elif national and ok.any():
        nl = (facts.loc[ok, "numerator"].sum() / facts.loc[ok, "denominator"].sum() * scale, "pooled")
    elif national:
        nl = (float(facts["value"].mean()), "mean")
    else:
        nl = (float("nan"), "unavailable")
    return gm, nl


def _figure(result: Result, lang: str = "nl"):
    t = result.table
    fig, ax = c.new_figure(6, 5)
    shown = t[~t["suppressed"]]
    ax.scatter(shown["diff_nl"], shown["diff_gm"], s=4, color=c.COLORS[2], alpha=0.5)
    ax.axhline(0, color="#333333", linewidth=0.8)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ind = result.params["indicator"]
    ax.set_xlabel(c.tr("diff_country", lang, ind=ind))
    ax.set_ylabel(c.tr("diff_gemeente", lang))
    ax.set_title(c.tr("indicator_year", lang, ind=ind, year=result.params["year"]))
    return fig
