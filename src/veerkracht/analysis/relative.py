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

import numpy as np
import pandas as pd

from ..errors import StoreError
from . import _common as c
from ._spatial import area_layer, pooled, wilson
from .base import LayerSpec, Message, Result, analysis, suppress

__all__ = ["run", "references"]


@analysis("relative",
          "Indicator als afwijking van de eigen gemeente en van Nederland",
          "Indicator as a deviation from the area's gemeente and from the country",
          layer=LayerSpec(order=10, kind="numeric", column="diff_gm", refs={"gemeente": "diff_gm", "country": "diff_nl"},
                          label=Message("analysis.relative.title")))
def run(store, indicator: str = "low_income", year: int | None = None, region=None,
        geo_version: str | None = None, level: str | None = None,
        national_min_gemeenten: int = 300) -> Result:
    """Deviation of every area of the region from its gemeente and from the country in ``year``.

    The country value is the store's ``NL01`` fact for the year, else the pooled value of all areas
    when they span at least ``national_min_gemeenten`` gemeenten; otherwise it is unavailable (a
    store holding one city must not call that city "the country").
    """
    geo_version = c.resolve_geo_version(store, indicator, geo_version)
    level = c.resolve_level(store, geo_version, level, indicator=indicator)
    _, areas = c.region_codes(store, region, geo_version, level)
    years = c.available_years(store, indicator, geo_version)
    year = years[-1] if year is None and years else year
    if year is None or year not in years:
        raise StoreError(f"{indicator!r} has no values for {year}; it has {years}")
    meta = c.indicator_meta(store, indicator)
    scale = float(meta.get("scale") or 1)

    every = store.areas(geo_version=geo_version, level=level, geometry=False).set_index("code")
    facts = store.facts(indicator=indicator, geo_version=geo_version, years=[year])
    facts = facts[facts["code"].isin(every.index)].set_index("code").reindex(every.index)
    gm_ref, nl_ref = references(store, indicator, year, facts, every["gm_code"], scale, national_min_gemeenten)

    t = every.loc[areas["code"], ["name", "gm_code"]].copy()
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
    t["rank_gm"] = t.groupby("gm_code")["value"].rank(ascending=not worse_high, method="min")
    t["n_gm"] = t.groupby("gm_code")["value"].transform("count")
    t["reference_method"] = np.where(t["gm_method"] == t["nl_method"], t["gm_method"],
                                     "gemeente: " + t["gm_method"].astype(str) + ", nl: " + t["nl_method"])
    t["suppressed"] = suppress(f["numerator"], f["denominator"]).to_numpy()
    table = t.reset_index().rename(columns={"index": "code"})

    notes = []
    if not ratio_ok:
        notes += c.bilingual(f"{indicator} is een score rond nul: alleen verschillen, geen index.",
                             f"{indicator} is a score around zero: differences only, no index.")
    if meta.get("higher_is_worse") is None or pd.isna(meta.get("higher_is_worse")):
        notes += c.bilingual("Indicator zonder richting: rang 1 = hoogste waarde.",
                             "Indicator without polarity: rank 1 = highest value.")
    if region is not None:
        notes += c.bilingual("Gemeente- en landelijke waarden gebruiken alle gebieden in de database, niet "
                             "alleen die van de regio.", "Gemeente and national values use all areas in the "
                             "store, not only those of the region.")
    methods = table.drop_duplicates("gm_code")["gm_method"].value_counts().to_dict()   # per gemeente
    notes += c.bilingual(f"Gemeentewaarden: {methods}; Nederland: {nl_ref[1]}.",
                         f"Gemeente values: {methods}; country: {nl_ref[1]}.")
    worst = table[(table["rank_gm"] == 1) & (table["diff_nl"].abs() <= 0.1 * abs(nl_ref[0]))]
    summary = {"nl_value": float(nl_ref[0]), "nl_method": nl_ref[1], "n_worst_in_gm_near_national": int(len(worst)),
               "sentence_nl": f"{len(worst)} gebieden zijn de slechtste van hun gemeente terwijl ze landelijk "
                              "gemiddeld scoren (binnen 10%).",
               "sentence_en": f"{len(worst)} areas are the worst of their gemeente while they are near the "
                              "national average (within 10%)."}
    if nl_ref[1] == "unavailable":
        notes += c.bilingual(
            f"Geen landelijke waarde voor {indicator} in {year}: de database heeft geen NL01-cijfer en dekt "
            f"minder dan {national_min_gemeenten} gemeenten; alleen de vergelijking met de gemeente is gemaakt.",
            f"No national value for {indicator} in {year}: the store has no NL01 figure and covers fewer than "
            f"{national_min_gemeenten} gemeenten; only the comparison with the gemeente is made.")
        summary["sentence_nl"] = "Geen landelijke vergelijking mogelijk; zie de opmerkingen."
        summary["sentence_en"] = "No national comparison possible; see the notes."
    params = {"indicator": indicator, "year": int(year), "region": region, "geo_version": geo_version,
              "level": level}
    vint = c.vintage(store, store.facts(indicator=indicator, geo_version=geo_version, years=[year]),
                     geo_version, level)
    return Result("relative", table, params, vint, notes, {"gemeenten": gm_ref.reset_index()}, summary,
                  _figure=_figure, _layer=lambda r, s: area_layer(
                      r.table.drop(columns=["name", "gm_code"]), s or store, r.params["geo_version"],
                      blank={"suppressed": ["value", "value_lower", "value_upper", "diff_gm", "diff_nl",
                                            "index_gm", "index_nl"]}))


# fewer gemeenten than this in the store: their pooled value is not "the country"
NATIONAL_MIN_GEMEENTEN = 300


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
    what = c.ind_label(result, result.params["indicator"], lang)
    ax.set_xlabel(("Difference from the country" if lang == "en" else "Verschil met Nederland") + f" ({what})")
    ax.set_ylabel("Difference from own gemeente" if lang == "en" else "Verschil met eigen gemeente")
    ax.set_title(f"{what}, {result.params['year']}")
    return fig
