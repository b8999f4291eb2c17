"""Corporation-share profile (METHOD.md analysis 1; report figs. 9–12).

Areas are binned by their share of housing-association dwellings. Per bin and year the indicator is
pooled (Σ numerators / Σ denominators × scale) and indexed on a reference value = 100: the whole
country (all areas of the geography version and level in the store) or the region itself. The *gap*
is the index of the top bin minus that of the bottom bin; its relative growth between two years is
the headline ("gaps 40–60% larger in 2018 than 2012"). Areas are bootstrapped for 95% intervals.

Corporation share: each area's share *in that year*; when an area has no share for a year, its share
of ``year_from`` is used (a note counts how often). Areas without any share are left out of the bins
but stay in the reference value.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import StoreError
from . import _common as c
from .base import SUPPRESS_MIN_DENOMINATOR, SUPPRESS_MIN_NUMERATOR, Result, analysis, suppress

__all__ = ["run", "DEFAULT_BINS"]

DEFAULT_BINS = [0, 10, 20, 30, 40, 50, 60, 70, 80, float("inf")]


@analysis("corp-profile",
          "Indicator per klasse van het aandeel corporatiewoningen, geïndexeerd (Nederland = 100), "
          "en de groei van het verschil tussen de hoogste en laagste klasse",
          "Indicator per class of housing-association share, indexed (country = 100), and the growth "
          "of the gap between the top and bottom class")
def run(store, indicator: str = "bijstand", region=None, geo_version: str | None = None,
        year_from: int | None = None, year_to: int | None = None, bins=None,
        index_on: str = "national", n_boot: int = 500, seed: int | None = 0, level: str | None = None,
        min_den: float = SUPPRESS_MIN_DENOMINATOR, min_num: float = SUPPRESS_MIN_NUMERATOR) -> Result:
    """Profile of ``indicator`` by corporation-share bin in ``year_from`` and ``year_to``.

    Parameters
    ----------
    store : Store
    indicator : str
        A rate indicator with numerators and denominators (``bijstand``, ``low_income`` …).
    region : str | list[str] | None
        Gemeente/wijk/area codes; ``None`` = the whole country.
    geo_version, level : str, optional
        Geography version (default: the only one holding ``indicator``) and area level (default: the
        finest level present).
    year_from, year_to : int, optional
        The two years compared (default: first and last year with data in the region).
    bins : list[float], optional
        Bin edges in % (default 0, 10, …, 80, ∞ → labels "0–10" … "≥80"); bins are ``[lo, hi)``.
    index_on : {'national', 'regional'}
        Reference = 100: all areas of the version (national) or the region's areas.
    n_boot, seed : int
        Bootstrap replicates (areas of the region resampled with replacement; paired over years) and seed.
    min_den, min_num : float
        Suppression thresholds for a bin's pooled denominator / numerator (see ``base.suppress``).

    Returns
    -------
    Result
        ``table``: one row per year × bin (n_areas, numerator, denominator, rate, index and their 95%
        intervals, suppressed); ``extra['gap']``: gap per year; ``extra['reference']``; ``summary``:
        gap_from, gap_to, growth, growth_lo/hi, top_bin, bottom_bin, sentence_nl/en.
    """
    if index_on not in ("national", "regional"):
        raise StoreError(f"index_on must be 'national' or 'regional', not {index_on!r}")
    edges = [float(e) for e in (DEFAULT_BINS if bins is None else bins)]
    if len(edges) < 3 or any(b <= a for a, b in zip(edges[:-1], edges[1:])):
        raise StoreError(f"bins must be at least three increasing edges, got {edges}")
    labels = c.bin_labels(edges)
    K = len(labels)

    geo_version = c.resolve_geo_version(store, indicator, geo_version)
    level = c.resolve_level(store, geo_version, level)
    codes, areas = c.region_codes(store, region, geo_version, level)
    meta = c.indicator_meta(store, indicator)
    if meta["kind"] != "rate":
        raise StoreError(f"{indicator!r} is a {meta['kind']}, not a rate: the profile pools numerators "
                         "and denominators")
    years = c.available_years(store, indicator, geo_version, codes)
    year_from = years[0] if year_from is None and years else year_from
    year_to = years[-1] if year_to is None and years else year_to
    if year_from is None or year_to is None or year_from == year_to:
        raise StoreError(f"need two different years of {indicator!r}; the region has {years}")
    yrs = [int(year_from), int(year_to)]

    # the reference needs all areas of the version (national), so read without a code filter
    all_codes = store.areas(geo_version=geo_version, level=level, geometry=False)["code"]
    ind = store.facts(indicator=indicator, geo_version=geo_version, years=yrs)
    ind = ind[ind["code"].isin(all_codes)]
    n_incomplete = int((ind["numerator"].isna() | ind["denominator"].isna()).sum())
    ind = ind.dropna(subset=["numerator", "denominator"])
    share = store.facts(indicator="corp_share", geo_version=geo_version, codes=codes)
    if share.empty:
        raise StoreError(f"no corp_share facts in {geo_version!r} for the region")
    region_set = areas["code"].to_numpy()
    n = len(region_set)
    scale = float(meta["scale"])

    # per area and year: numerator, denominator, bin id (-1 = not in a bin), reference membership
    num = np.zeros((2, n))
    den = np.zeros((2, n))
    bin_id = np.full((2, n), -1)
    has = np.zeros((2, n), dtype=bool)
    n_fallback = 0
    for t, y in enumerate(yrs):
        f = ind[ind["year"] == y].set_index("code").reindex(region_set)
        has[t] = f["denominator"].notna().to_numpy()
        num[t] = f["numerator"].fillna(0).to_numpy()
        den[t] = f["denominator"].fillna(0).to_numpy()
        s = c.value_at(share, y, fallback=yrs[0] if t else None)
        n_fallback += s.attrs["n_fallback"]
        bin_id[t] = np.where(has[t], c.assign_bins(s.reindex(region_set).to_numpy(), edges), -1)

    # reference: resampled with the areas when it is computed from the same areas (else fixed)
    ref_from_sample = index_on == "regional" or codes is None
    if not ref_from_sample:
        ref_fixed = np.array([ind.loc[ind["year"] == y, "numerator"].sum()
                              / ind.loc[ind["year"] == y, "denominator"].sum() * scale for y in yrs])
    groups = np.vstack([bin_id, np.where(has, 0, -1)])            # (4, n): two bin rows, two ref rows
    values = np.stack([np.stack([num[t % 2], den[t % 2]]) for t in range(4)])   # (4, 2, n)

    def estimates(sums):
        """sums (..., 4, 2, K) -> rate (..., 2, K), ref (..., 2), index (..., 2, K)."""
        with np.errstate(all="ignore"):
            rate = sums[..., :2, 0, :] / sums[..., :2, 1, :] * scale
            ref = (sums[..., 2:, 0, 0] / sums[..., 2:, 1, 0] * scale) if ref_from_sample \
                else np.broadcast_to(ref_fixed, sums.shape[:-3] + (2,))
            return rate, ref, rate / ref[..., None] * 100

    point = c.group_sums(groups, values, K)
    rate, ref, index = estimates(point)
    counts = np.stack([np.bincount(bin_id[t][bin_id[t] >= 0], minlength=K) for t in range(2)])
    supp = np.stack([suppress(pd.Series(point[t, 0]), pd.Series(point[t, 1]), min_den, min_num).to_numpy()
                     for t in range(2)])
    supp |= counts == 0

    boot = c.boot_group_sums(groups, values, K, n_boot, seed)
    b_rate, _, b_index = estimates(boot)
    rate_lo, rate_hi = c.percentile_interval(b_rate)
    idx_lo, idx_hi = c.percentile_interval(b_index)

    # gap: highest and lowest bins shown (not suppressed) in both years, the same bins in both
    ok = np.flatnonzero(~supp.any(axis=0))
    notes = []
    if len(ok) >= 2:
        top, bot = int(ok.max()), int(ok.min())
        gap = index[:, top] - index[:, bot]
        b_gap = b_index[:, :, top] - b_index[:, :, bot]
        with np.errstate(all="ignore"):
            growth = gap[1] / gap[0] - 1
            b_growth = b_gap[:, 1] / b_gap[:, 0] - 1
        gap_lo, gap_hi = c.percentile_interval(b_gap)
        growth_lo, growth_hi = c.percentile_interval(b_growth)
        if top != K - 1 or bot != 0:
            notes += c.bilingual(
                f"Het verschil is berekend tussen de klassen {labels[top]} en {labels[bot]}: de "
                "uiterste klassen hebben (na onderdrukking) geen gegevens.",
                f"The gap is taken between bins {labels[top]} and {labels[bot]}: the outer bins have no "
                "data (after suppression).")
        if gap[0] <= 0:
            notes += c.bilingual("Het verschil in het beginjaar is niet positief: de relatieve groei is "
                                 "niet goed te duiden.", "The gap in the first year is not positive: its "
                                 "relative growth is hard to interpret.")
    else:
        top = bot = None
        gap = np.full(2, np.nan)
        gap_lo = gap_hi = np.full(2, np.nan)
        growth = growth_lo = growth_hi = np.nan
        notes += c.bilingual("Minder dan twee klassen met gegevens: geen verschil te berekenen.",
                             "Fewer than two bins with data: no gap can be computed.")

    rows = []
    for t, y in enumerate(yrs):
        for k in range(K):
            hide = bool(supp[t, k])
            rows.append({
                "year": y, "bin": k, "bin_label": labels[k], "n_areas": int(counts[t, k]),
                "numerator": np.nan if hide else point[t, 0, k],
                "denominator": np.nan if hide else point[t, 1, k],
                **{col: (np.nan if hide else float(arr[t, k])) for col, arr in (
                    ("rate", rate), ("rate_lo", rate_lo), ("rate_hi", rate_hi), ("index", index),
                    ("index_lo", idx_lo), ("index_hi", idx_hi))},
                "suppressed": hide,
            })
    table = pd.DataFrame(rows)
    gap_table = pd.DataFrame({"year": yrs, "top_bin": labels[top] if top is not None else None,
                              "bottom_bin": labels[bot] if bot is not None else None,
                              "gap": gap, "gap_lo": gap_lo, "gap_hi": gap_hi})
    ref_table = pd.DataFrame({"year": yrs, "reference": index_on, "rate": ref,
                              "n_areas": [int(has[t].sum()) if ref_from_sample else
                                          int((ind["year"] == y).sum()) for t, y in enumerate(yrs)]})

    if n_incomplete:
        notes += c.bilingual(f"{n_incomplete} waarden zonder teller of noemer zijn weggelaten.",
                             f"{n_incomplete} values without numerator or denominator were left out.")
    if n_fallback:
        notes += c.bilingual(f"{n_fallback} keer ontbrak het aandeel corporatiewoningen in een jaar; "
                             f"daar is het aandeel van {yrs[0]} gebruikt.",
                             f"{n_fallback} times an area lacked its corporation share for a year; its "
                             f"{yrs[0]} share was used instead.")
    n_unbinned = int(((bin_id < 0) & has).sum())
    if n_unbinned:
        notes += c.bilingual(f"{n_unbinned} gebied-jaren zonder aandeel corporatiewoningen tellen niet mee "
                             "in de klassen (wel in de referentie).",
                             f"{n_unbinned} area-years without a corporation share are not binned (they "
                             "do count in the reference).")
    if not ref_from_sample:
        notes += c.bilingual("De landelijke referentie is vast gehouden in de bootstrap.",
                             "The national reference is held fixed in the bootstrap.")

    summary = {"gap_from": float(gap[0]), "gap_to": float(gap[1]), "growth": float(growth),
               "growth_lo": float(growth_lo), "growth_hi": float(growth_hi),
               "top_bin": labels[top] if top is not None else None,
               "bottom_bin": labels[bot] if bot is not None else None}
    vint = c.vintage(store, pd.concat([ind, share]), geo_version, level)
    for lang in ("nl", "en"):
        summary[f"sentence_{lang}"] = _sentence(summary, yrs, c.ind_label(vint, indicator, lang),
                                                index_on, lang)
    params = {"indicator": indicator, "region": region, "geo_version": geo_version, "level": level,
              "year_from": yrs[0], "year_to": yrs[1], "bins": edges, "index_on": index_on,
              "n_boot": n_boot, "seed": seed, "min_den": min_den, "min_num": min_num}
    return Result("corp-profile", table, params, vint, notes,
                  {"gap": gap_table, "reference": ref_table}, summary, _figure=_figure)


def _sentence(s: dict, yrs, label: str, index_on: str, lang: str) -> str:
    if np.isnan(s["gap_from"]):
        return ("Er zijn te weinig gegevens om het verschil te berekenen." if lang == "nl"
                else "There are too few data to compute the gap.")
    ref = c.tr(index_on, lang)
    g = {k: c.fmt(s[k] * 100, 0, lang, sign=True) for k in ("growth", "growth_lo", "growth_hi")}
    a, b = c.fmt(s["gap_from"], 0, lang), c.fmt(s["gap_to"], 0, lang)
    if lang == "en":
        return (f"{label}: the gap between areas with {s['top_bin']}% and {s['bottom_bin']}% "
                f"housing-association dwellings (index, {ref} = 100) went from {a} in {yrs[0]} to {b} in "
                f"{yrs[1]}, {g['growth']}% (95% interval {g['growth_lo']}% to {g['growth_hi']}%).")
    return (f"{label}: het verschil tussen gebieden met {s['top_bin']}% en {s['bottom_bin']}% "
            f"corporatiewoningen (index, {ref} = 100) ging van {a} in {yrs[0]} naar {b} in {yrs[1]}, "
            f"{g['growth']}% (95%-interval {g['growth_lo']}% tot {g['growth_hi']}%).")


def _figure(result: Result, lang: str = "nl"):
    t = result.table
    yrs = [result.params["year_from"], result.params["year_to"]]
    labels = t.loc[t["year"] == yrs[0], "bin_label"].tolist()
    fig, ax = c.new_figure()
    series = {}
    for y in yrs:
        d = t[t["year"] == y]
        series[str(y)] = (d["index"].to_numpy(), d["index_lo"].to_numpy(), d["index_hi"].to_numpy())
    c.grouped_bars(ax, labels, series)
    ref = c.tr(result.params["index_on"], lang)
    c.reference_line(ax, 100, f"{ref} = 100")
    ax.set_xlabel(c.tr("corp_bin", lang) + " (%)")
    ax.set_ylabel(c.tr("index_ref", lang, ref=ref))
    ax.set_title(c.ind_label(result, result.params["indicator"], lang))
    if t["suppressed"].any():
        ax.annotate(c.tr("suppressed", lang) + ": " + ", ".join(
            sorted(set(t.loc[t["suppressed"], "bin_label"]))), (0.01, 0.97), xycoords="axes fraction",
            fontsize=8, va="top")
    ax.legend(frameon=False)
    return fig
