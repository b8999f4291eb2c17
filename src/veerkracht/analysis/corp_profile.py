"""Corporation-share profile (METHOD.md analysis 1; report figs. 9–12).

Areas are binned by their share of housing-association dwellings. Per bin and year the indicator is
pooled (Σ numerators / Σ denominators × scale) and indexed on a reference value = 100: the whole
country (all areas of the geography version and level in the store) or the region itself. The *gap*
is the index of the top bin minus that of the bottom bin; its relative growth between two years is
the headline ("gaps 40–60% larger in 2018 than 2012"). Areas are bootstrapped for 95% intervals.

Corporation share: each area's share *in that year*; when an area has no share for a year, its share
of ``year_from`` is used (a note counts how often). Areas without any share are left out of the bins
but stay in the reference value.

Many regions at once (the benchmark's 355 gemeenten): :func:`profile_many` reads the national panel
once, gives each area a composite (region, bin) id and does the pooled sums and the bootstrap with
one ``np.bincount`` over region × bin per replicate chunk; its per-region results equal ``run``'s.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import StoreError
from . import _common as c
from .base import SUPPRESS_MIN_DENOMINATOR, SUPPRESS_MIN_NUMERATOR, Result, analysis, suppress

__all__ = ["run", "profile_many", "Profiles", "DEFAULT_BINS"]

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
    edges, _ = _check(index_on, bins)
    geo_version = c.resolve_geo_version(store, indicator, geo_version)
    level = c.resolve_level(store, geo_version, level, indicator=indicator)
    index_on = _honest_reference(store, geo_version, level, index_on)
    codes, areas = c.region_codes(store, region, geo_version, level)
    meta = _rate_meta(store, indicator)
    years = c.available_years(store, indicator, geo_version, codes)
    year_from = years[0] if year_from is None and years else year_from
    year_to = years[-1] if year_to is None and years else year_to
    if year_from is None or year_to is None or year_from == year_to:
        raise StoreError(f"need two different years of {indicator!r}; the region has {years}")
    share = store.facts(indicator="corp_share", geo_version=geo_version, codes=codes)
    if share.empty:
        raise StoreError(f"no corp_share facts in {geo_version!r} for the region")
    prof = Profiles(store, indicator, {"region": areas["code"].tolist()}, geo_version, level,
                    [int(year_from), int(year_to)], edges, index_on, n_boot, seed, min_den, min_num,
                    meta=meta, share=share, whole=codes is None)
    return prof.result("region", region=region)


def profile_many(store, indicator: str, groups: dict, geo_version: str | None = None,
                 level: str | None = None, year_from: int | None = None, year_to: int | None = None,
                 bins=None, index_on: str = "national", n_boot: int = 500, seed: int | None = 0,
                 min_den: float = SUPPRESS_MIN_DENOMINATOR,
                 min_num: float = SUPPRESS_MIN_NUMERATOR) -> "Profiles":
    """The profile of many regions at once: one read of the national panel, one bootstrap pass.

    ``groups`` maps a name to a region (a code or list of area, wijk or gemeente codes). The other
    parameters are those of :func:`run`; the years default to the first and last of the whole
    version (one pair for all groups). ``Profiles.result(name)`` equals ``run(region=…)`` for that
    group exactly — the same sums in the same order, the same bootstrap stream (each region draws
    from its own stream seeded with ``seed``) — and ``Profiles.gaps()`` is one row per group.
    """
    edges, _ = _check(index_on, bins)
    geo_version = c.resolve_geo_version(store, indicator, geo_version)
    level = c.resolve_level(store, geo_version, level, indicator=indicator)
    index_on = _honest_reference(store, geo_version, level, index_on)
    meta = _rate_meta(store, indicator)
    if year_from is None or year_to is None:
        years = c.available_years(store, indicator, geo_version)
        year_from = years[0] if year_from is None and years else year_from
        year_to = years[-1] if year_to is None and years else year_to
    if year_from is None or year_to is None or year_from == year_to:
        raise StoreError(f"need two different years of {indicator!r}")
    share = store.facts(indicator="corp_share", geo_version=geo_version)
    return Profiles(store, indicator, groups, geo_version, level, [int(year_from), int(year_to)], edges,
                    index_on, n_boot, seed, min_den, min_num, meta=meta, share=share)


# fewer gemeenten than this below the chosen level: "all areas" is not the country
NATIONAL_MIN_GEMEENTEN = 300


def _honest_reference(store, geo_version: str, level: str, index_on: str) -> str:
    """'national' becomes 'store' when the version's areas do not cover the country."""
    if index_on != "national":
        return index_on
    gm = store.areas(geo_version=geo_version, level=level, geometry=False)["gm_code"].nunique()
    return "national" if gm >= NATIONAL_MIN_GEMEENTEN else "store"


def _check(index_on: str, bins):
    if index_on not in ("national", "regional"):
        raise StoreError(f"index_on must be 'national' or 'regional', not {index_on!r}")
    edges = [float(e) for e in (DEFAULT_BINS if bins is None else bins)]
    if len(edges) < 3 or any(b <= a for a, b in zip(edges[:-1], edges[1:])):
        raise StoreError(f"bins must be at least three increasing edges, got {edges}")
    return edges, c.bin_labels(edges)


def _rate_meta(store, indicator: str) -> dict:
    meta = c.indicator_meta(store, indicator)
    if meta["kind"] != "rate":
        raise StoreError(f"{indicator!r} is a {meta['kind']}, not a rate: the profile pools numerators "
                         "and denominators")
    return meta


class Profiles:
    """Corporation-share profiles of several regions, computed together (see :func:`profile_many`).

    Arrays are per group ``g``, year ``t`` (0 = ``year_from``) and bin ``k``: ``point`` (G, rows, 2, K)
    pooled sums, ``counts``, ``supp``, ``rate``, ``index`` and their intervals (G, 2, K), ``gap`` and
    its interval (G, 2), ``growth`` (G,), ``top``/``bot`` (G,; -1 = no gap). ``errors`` names the groups
    that could not be profiled (no areas, no corporation shares) and why.
    """

    def __init__(self, store, indicator, groups, geo_version, level, yrs, edges, index_on, n_boot, seed,
                 min_den, min_num, *, meta, share, whole=False):
        self.store, self.indicator, self.geo_version, self.level = store, indicator, geo_version, level
        self.yrs, self.edges, self.labels, self.index_on = yrs, edges, c.bin_labels(edges), index_on
        self.n_boot, self.seed, self.min_den, self.min_num = n_boot, seed, min_den, min_num
        self.groups, self.names, self.share, self.whole = groups, list(groups), share, whole
        K, G, scale = len(self.labels), len(groups), float(meta["scale"])

        # the reference needs all areas of the version (national), so read without a code filter
        every = store.areas(geo_version=geo_version, level=level, geometry=False)
        all_codes = every["code"]
        ind = store.facts(indicator=indicator, geo_version=geo_version, years=yrs)
        ind = ind[ind["code"].astype(object).isin(all_codes.astype(object))]   # Arrow isin is slow
        self.n_incomplete = int((ind["numerator"].isna() | ind["denominator"].isna()).sum())
        self.ind = ind = ind.dropna(subset=["numerator", "denominator"])

        # per area of the version and year: numerator, denominator, bin id (-1 = not in a bin)
        N = len(every)
        num, den, bin_id = np.zeros((2, N)), np.zeros((2, N)), np.full((2, N), -1)
        has = np.zeros((2, N), dtype=bool)
        for t, y in enumerate(yrs):
            f = ind[ind["year"] == y].set_index("code").reindex(all_codes)
            has[t] = f["denominator"].notna().to_numpy()
            num[t] = f["numerator"].fillna(0).to_numpy()
            den[t] = f["denominator"].fillna(0).to_numpy()
            s = c.value_at(share, y, fallback=yrs[0] if t else None)
            if t:
                fell_back = s.index[len(s) - s.attrs["n_fallback"]:]
            bin_id[t] = np.where(has[t], c.assign_bins(s.reindex(all_codes).to_numpy(), edges), -1)

        members = c.group_members(every, groups)
        self.codes = {g: all_codes.to_numpy(dtype=object)[members[g]] for g in self.names}
        with_share = all_codes.astype(object).isin(share["code"].astype(object)).to_numpy()
        self.errors = {}
        for g in self.names:
            if not len(members[g]):
                self.errors[g] = f"no {level} areas of {geo_version!r} lie in {g!r}"
            elif not with_share[members[g]].any():
                self.errors[g] = f"no corp_share facts in {geo_version!r} for the region"
        sizes = np.array([len(members[g]) for g in self.names], dtype=np.int64)
        pos = np.concatenate([members[g] for g in self.names]) if G else np.empty(0, dtype=np.intp)
        gcol = np.repeat(np.arange(G), sizes)
        self.n_fallback = np.array([len(fell_back) if whole else
                                    int(np.isin(self.codes[g], fell_back.astype(object)).sum())
                                    for g in self.names])
        self.n_unbinned = np.bincount(gcol, weights=((bin_id < 0) & has)[:, pos].sum(axis=0),
                                      minlength=G).astype(int)
        self.n_has = np.stack([np.bincount(gcol, weights=has[t, pos], minlength=G) for t in range(2)], 1)

        # reference: resampled with the areas when it is computed from the same areas (else fixed)
        self.ref_from_sample = ref_from_sample = index_on == "regional" or whole
        if not ref_from_sample:
            ref_fixed = np.array([ind.loc[ind["year"] == y, "numerator"].sum()
                                  / ind.loc[ind["year"] == y, "denominator"].sum() * scale for y in yrs])
        self.ref_n = [int((ind["year"] == y).sum()) for y in yrs]
        # group ids per area (composite group × bin): two bin rows (+ two reference rows)
        bins_ = np.where(bin_id[:, pos] >= 0, gcol * K + bin_id[:, pos], -1)
        rows = np.vstack([bins_, np.where(has[:, pos], gcol * K, -1)]) if ref_from_sample else bins_
        values = np.stack([np.stack([num[t % 2, pos], den[t % 2, pos]]) for t in range(len(rows))])

        def estimates(sums):
            """sums (..., G, R, 2, K) -> rate (..., G, 2, K), ref (..., G, 2), index (..., G, 2, K)."""
            with np.errstate(all="ignore"):
                rate = sums[..., :2, 0, :] / sums[..., :2, 1, :] * scale
                ref = (sums[..., 2:, 0, 0] / sums[..., 2:, 1, 0] * scale) if ref_from_sample \
                    else np.broadcast_to(ref_fixed, sums.shape[:-3] + (2,))
                return rate, ref, rate / ref[..., None] * 100

        def by_group(sums):           # (..., R, 2, G·K) -> (..., G, R, 2, K)
            return np.moveaxis(sums.reshape(sums.shape[:-1] + (G, K)), -2, -4)

        self.point = point = by_group(c.group_sums(rows, values, G * K))
        self.rate, self.ref, self.index = estimates(point)
        self.counts = np.stack([np.bincount(bins_[t][bins_[t] >= 0], minlength=G * K).reshape(G, K)
                                for t in range(2)], 1)
        supp = suppress(pd.Series(point[:, :2, 0].ravel()), pd.Series(point[:, :2, 1].ravel()),
                        min_den, min_num).to_numpy().reshape(G, 2, K)
        self.supp = supp = supp | (self.counts == 0)

        b_rate, _, b_index = estimates(by_group(c.boot_group_sums(rows, values, G * K, n_boot, seed,
                                                                  blocks=sizes)))
        self.rate_lo, self.rate_hi = c.percentile_interval(b_rate)
        self.idx_lo, self.idx_hi = c.percentile_interval(b_index)

        # gap: highest and lowest bins shown (not suppressed) in both years, the same bins in both
        ok = ~supp.any(axis=1)
        has_gap = ok.sum(axis=1) >= 2
        self.top = np.where(has_gap, K - 1 - np.argmax(ok[:, ::-1], axis=1), -1)
        self.bot = np.where(has_gap, np.argmax(ok, axis=1), -1)

        def gap_of(index):            # (..., G, 2, K) -> (..., G, 2)
            pick = [np.take_along_axis(index, np.broadcast_to(
                np.maximum(k, 0)[:, None, None], index.shape[:-1] + (1,)), -1)[..., 0]
                for k in (self.top, self.bot)]
            return np.where(has_gap[:, None], pick[0] - pick[1], np.nan)

        self.gap, b_gap = gap_of(self.index), gap_of(b_index)
        with np.errstate(all="ignore"):
            self.growth = self.gap[:, 1] / self.gap[:, 0] - 1
            b_growth = b_gap[..., 1] / b_gap[..., 0] - 1
        self.gap_lo, self.gap_hi = c.percentile_interval(b_gap)
        self.growth_lo, self.growth_hi = c.percentile_interval(b_growth)

    def gaps(self) -> pd.DataFrame:
        """One row per group: n_areas, gap (index points) per year with intervals, growth, bins, error."""
        lab = np.array(self.labels + [None], dtype=object)
        out = pd.DataFrame({
            "n_areas": [len(self.codes[g]) for g in self.names],
            "gap_from": self.gap[:, 0], "gap_to": self.gap[:, 1],
            "gap_from_lo": self.gap_lo[:, 0], "gap_from_hi": self.gap_hi[:, 0],
            "gap_to_lo": self.gap_lo[:, 1], "gap_to_hi": self.gap_hi[:, 1],
            "growth": self.growth, "growth_lo": self.growth_lo, "growth_hi": self.growth_hi,
            "top_bin": lab[self.top], "bottom_bin": lab[self.bot],
            "error": [self.errors.get(g) for g in self.names],
        }, index=pd.Index(self.names, name="group"))
        out.loc[out["error"].notna(), "gap_from":"bottom_bin"] = None    # as run(): no profile at all
        return out

    def result(self, name, region=None) -> Result:
        """The :class:`Result` of ``run`` for group ``name`` (``region``: the value for ``params``)."""
        if name in self.errors:
            raise StoreError(self.errors[name])
        g, yrs, labels, K = self.names.index(name), self.yrs, self.labels, len(self.labels)
        region = self.groups[name] if region is None and not self.whole else region
        top, bot, gap = int(self.top[g]), int(self.bot[g]), self.gap[g]
        growth, growth_lo, growth_hi = (float(a[g]) for a in (self.growth, self.growth_lo, self.growth_hi))
        notes = []
        if top >= 0:
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
            notes += c.bilingual("Minder dan twee klassen met gegevens: geen verschil te berekenen.",
                                 "Fewer than two bins with data: no gap can be computed.")

        rows = []
        for t, y in enumerate(yrs):
            for k in range(K):
                hide = bool(self.supp[g, t, k])
                rows.append({
                    "year": y, "bin": k, "bin_label": labels[k], "n_areas": int(self.counts[g, t, k]),
                    "numerator": np.nan if hide else self.point[g, t, 0, k],
                    "denominator": np.nan if hide else self.point[g, t, 1, k],
                    **{col: (np.nan if hide else float(arr[g, t, k])) for col, arr in (
                        ("rate", self.rate), ("rate_lo", self.rate_lo), ("rate_hi", self.rate_hi),
                        ("index", self.index), ("index_lo", self.idx_lo), ("index_hi", self.idx_hi))},
                    "suppressed": hide,
                })
        table = pd.DataFrame(rows)
        gap_table = pd.DataFrame({"year": yrs, "top_bin": labels[top] if top is not None else None,
                                  "bottom_bin": labels[bot] if bot is not None else None,
                                  "gap": gap, "gap_lo": self.gap_lo[g], "gap_hi": self.gap_hi[g]})
        ref_table = pd.DataFrame({"year": yrs, "reference": self.index_on, "rate": self.ref[g],
                                  "n_areas": [int(self.n_has[g, t]) if self.ref_from_sample else self.ref_n[t]
                                              for t in range(2)]})

        if self.n_incomplete:
            notes += c.bilingual(f"{self.n_incomplete} waarden zonder teller of noemer zijn weggelaten.",
                                 f"{self.n_incomplete} values without numerator or denominator were left out.")
        if self.n_fallback[g]:
            notes += c.bilingual(f"{self.n_fallback[g]} keer ontbrak het aandeel corporatiewoningen in een "
                                 f"jaar; daar is het aandeel van {yrs[0]} gebruikt.",
                                 f"{self.n_fallback[g]} times an area lacked its corporation share for a year; "
                                 f"its {yrs[0]} share was used instead.")
        if self.n_unbinned[g]:
            notes += c.bilingual(f"{self.n_unbinned[g]} gebied-jaren zonder aandeel corporatiewoningen tellen "
                                 "niet mee in de klassen (wel in de referentie).",
                                 f"{self.n_unbinned[g]} area-years without a corporation share are not binned "
                                 "(they do count in the reference).")
        if self.index_on == "store":
            notes += c.bilingual(
                "Geen landelijke referentie: de database dekt op dit niveau niet heel Nederland. Index = 100 is "
                "het gemiddelde van alle gebieden in de database, niet van Nederland.",
                "No national reference: at this level the store does not cover the Netherlands. Index = 100 is "
                "the value of all areas in the store, not of the country.")
        if not self.ref_from_sample:
            notes += c.bilingual("De referentie is vast gehouden in de bootstrap.",
                                 "The reference is held fixed in the bootstrap.")

        summary = {"gap_from": float(gap[0]), "gap_to": float(gap[1]), "growth": growth,
                   "growth_lo": growth_lo, "growth_hi": growth_hi,
                   "top_bin": labels[top] if top is not None else None,
                   "bottom_bin": labels[bot] if bot is not None else None}
        share = self.share if self.whole else self.share[self.share["code"].astype(object).isin(self.codes[name])]
        vint = c.vintage(self.store, pd.concat([self.ind, share]), self.geo_version, self.level)
        for lang in ("nl", "en"):
            summary[f"sentence_{lang}"] = _sentence(summary, yrs, c.ind_label(vint, self.indicator, lang),
                                                    self.index_on, lang)
        params = {"indicator": self.indicator, "region": region, "geo_version": self.geo_version,
                  "level": self.level, "year_from": yrs[0], "year_to": yrs[1], "bins": self.edges,
                  "index_on": self.index_on, "n_boot": self.n_boot, "seed": self.seed,
                  "min_den": self.min_den, "min_num": self.min_num}
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
