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
one ``np.bincount`` over region × bin per replicate chunk; its per-region results equal those of
:class:`CorpProfile`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dataclasses import dataclass

from ..errors import StoreError
from ..i18n import render
from . import _common as c
from ._caveats import definition_notes
from ._gapparts import gap_parts
from ._inference import boot_sums, support_clusters
from .base import (SUPPRESS_MIN_DENOMINATOR, SUPPRESS_MIN_NUMERATOR, Analysis, Message, Result, register,
                   suppress)

__all__ = ["CorpProfile", "run", "profile_many", "Profiles", "DEFAULT_BINS"]

DEFAULT_BINS = [0, 10, 20, 30, 40, 50, 60, 70, 80, float("inf")]


@dataclass
class CorpProfileParams:
    indicator: str = c.param("bijstand", "a rate indicator with numerators and denominators (bijstand, low_income …)")
    region: list[str] | str | None = c.param(None, "gemeente/wijk/area codes (default: the whole country)")
    geo_version: str | None = c.param(None, "geography version (default: the only one holding the indicator)")
    year_from: int | None = c.param(None, "first year compared (default: the first year with data in the region)")
    year_to: int | None = c.param(None, "second year compared (default: the last year with data in the region)")
    bins: list[float] | None = c.param(None, "bin edges in % (default 0, 10, …, 80, ∞); bins are [lo, hi)")
    index_on: str = c.param("national", "reference = 100: 'national' (all areas of the version) or 'regional'")
    n_boot: int = c.param(500, "bootstrap replicates (areas resampled, paired over years)")
    seed: int | None = c.param(0, "bootstrap seed")
    level: str | None = c.param(None, "level (default: the finest level holding the indicator)")
    min_den: float = c.param(SUPPRESS_MIN_DENOMINATOR, "suppression: a bin's smallest pooled denominator")
    min_num: float = c.param(SUPPRESS_MIN_NUMERATOR, "suppression: a bin's smallest pooled numerator")
    min_areas: int = c.param(5, "a bin with fewer areas than this is flagged (few_areas): its index rests on a handful")
    share: str = c.param("corp_share", "the share that bins the areas: corp_share (each area's own) or, on 100 m "
                                       "cells (geo_version=grid100), corp_share_200m (the share within 200 m)")

    def __post_init__(self):
        _check(self.index_on, self.bins)
        c.positive("n_boot", self.n_boot)


@dataclass
class Scope:
    """The question, resolved once: geography, the reference, the areas, years and shares."""

    p: CorpProfileParams
    geo_version: str
    level: str
    index_on: str
    codes: list[str] | None
    areas: pd.DataFrame
    meta: dict
    years: list[int]
    share: pd.DataFrame


@register
class CorpProfile(Analysis):
    """Profile of ``indicator`` by corporation-share bin in ``year_from`` and ``year_to``: ``table`` one
    row per year × bin (n_areas, numerator, denominator, rate, index, 95% intervals, suppressed);
    ``extra['gap']``, ``extra['reference']``; ``summary``: gaps, growth and interval, bins, message."""

    name = "corp-profile"
    Params = CorpProfileParams
    title = "analysis.corp_profile.title"
    summary = "analysis.corp_profile.summary"

    def resolve(self, store, p: CorpProfileParams) -> Scope:
        geo_version, level, index_on, meta = _resolve(store, p.indicator, p.geo_version, p.level, p.index_on)
        codes, areas = c.region_codes(store, p.region, geo_version, level)
        years = c.available_years(store, p.indicator, geo_version, codes)
        yrs = _two_years(years, p.year_from, p.year_to, p.indicator)
        share = store.facts(indicator=p.share, geo_version=geo_version, codes=codes)
        if share.empty:
            raise StoreError(f"no {p.share} facts in {geo_version!r} for the region")
        return Scope(p, geo_version, level, index_on, codes, areas, meta, yrs, share)

    def compute(self, store, s: Scope) -> Result:
        p = s.p
        edges, _ = _check(p.index_on, p.bins)
        prof = Profiles(store, p.indicator, {"region": s.areas["code"].tolist()}, s.geo_version, s.level,
                        s.years, edges, s.index_on, p.n_boot, p.seed, p.min_den, p.min_num,
                        meta=s.meta, share=s.share, whole=s.codes is None, min_areas=p.min_areas,
                        blocks=grid_blocks(store, s.geo_version) if s.level == "grid" else None, share_name=p.share)
        return prof.result("region", region=p.region)


def grid_blocks(store, geo_version: str) -> pd.Series | None:
    """Per 100 m cell its buurt (the crosswalk's largest share): the block a bootstrap resamples whole, since
    neighbouring cells share most of their 200 m surroundings. None without a crosswalk."""
    cw = store.crosswalk(from_version=geo_version)
    if cw.empty:
        return None
    cw = cw.sort_values("weight", ascending=False).drop_duplicates("from_code")
    return pd.Series((cw["to_version"] + ":" + cw["to_code"]).to_numpy(dtype=object),
                     index=cw["from_code"].to_numpy(dtype=object))


def run(store, indicator: str = "bijstand", **params) -> Result:
    """The profile (see :class:`CorpProfile`); kept for callers of the old entry point."""
    return c.run_registered("corp-profile", store, indicator=indicator, **params)


def _resolve(store, indicator: str, geo_version: str | None, level: str | None, index_on: str):
    """Geography version, level, the honest reference and the rate's registry entry."""
    geo_version = c.resolve_geo_version(store, indicator, geo_version)
    level = c.resolve_level(store, geo_version, level, indicator=indicator)
    return geo_version, level, _honest_reference(store, geo_version, level, index_on), _rate_meta(store, indicator)


def _two_years(years: list[int], year_from: int | None, year_to: int | None, indicator: str) -> list[int]:
    """``[year_from, year_to]``, each defaulting to the first / last of ``years``; they must differ."""
    year_from = years[0] if year_from is None and years else year_from
    year_to = years[-1] if year_to is None and years else year_to
    if year_from is None or year_to is None or year_from == year_to:
        raise StoreError(f"need two different years of {indicator!r}; the data have {years}")
    return [int(year_from), int(year_to)]


def profile_many(store, indicator: str, groups: dict, geo_version: str | None = None,
                 level: str | None = None, year_from: int | None = None, year_to: int | None = None,
                 bins=None, index_on: str = "national", n_boot: int = 500, seed: int | None = 0,
                 min_den: float = SUPPRESS_MIN_DENOMINATOR,
                 min_num: float = SUPPRESS_MIN_NUMERATOR) -> "Profiles":
    """The profile of many regions at once: one read of the national panel, one bootstrap pass.

    ``groups`` maps a name to a region (a code or list of area, wijk or gemeente codes). The other
    parameters are those of :class:`CorpProfile`; the years default to the first and last of the whole
    version (one pair for all groups). ``Profiles.result(name)`` equals ``run(region=…)`` for that
    group exactly — the same sums in the same order, the same bootstrap stream (each region draws
    from its own stream seeded with ``seed``) — and ``Profiles.gaps()`` is one row per group.
    """
    edges, _ = _check(index_on, bins)
    geo_version, level, index_on, meta = _resolve(store, indicator, geo_version, level, index_on)
    years = [] if year_from is not None and year_to is not None else \
        c.available_years(store, indicator, geo_version)
    yrs = _two_years(years, year_from, year_to, indicator)
    share = store.facts(indicator="corp_share", geo_version=geo_version)
    return Profiles(store, indicator, groups, geo_version, level, yrs, edges,
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
                 min_den, min_num, *, meta, share, whole=False, min_areas: int = 5, blocks: pd.Series | None = None,
                 share_name: str = "corp_share"):
        self.store, self.indicator, self.geo_version, self.level = store, indicator, geo_version, level
        self.yrs, self.edges, self.labels, self.index_on = yrs, edges, c.bin_labels(edges), index_on
        self.n_boot, self.seed, self.min_den, self.min_num = n_boot, seed, min_den, min_num
        self.groups, self.names, self.share, self.whole = groups, list(groups), share, whole
        K, G, scale = len(self.labels), len(groups), float(meta["scale"])
        self.scale, self.min_areas, self.share_name = scale, min_areas, share_name

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
        self._areas = (num, den, bin_id, has, members)            # for the gap's decomposition
        self.codes = {g: all_codes.to_numpy(dtype=object)[members[g]] for g in self.names}
        with_share = all_codes.astype(object).isin(share["code"].astype(object)).to_numpy()
        self.errors = {}
        for g in self.names:
            if not len(members[g]):
                self.errors[g] = Message("corp_profile.error.no_areas", {"level": level, "version": geo_version,
                                                                         "group": g})
            elif not with_share[members[g]].any():
                self.errors[g] = Message("corp_profile.error.no_share", {"version": geo_version})
        sizes = np.array([len(members[g]) for g in self.names], dtype=np.int64)
        pos = np.concatenate([members[g] for g in self.names]) if G else np.empty(0, dtype=np.intp)
        gcol = np.repeat(np.arange(G), sizes)
        self.offsets = np.cumsum(sizes) - sizes                  # group g's areas: pos[offsets[g]:][:sizes[g]]
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
        # values spread from a coarser unit (support): whole units are resampled, within each group
        sup = support_clusters(store, indicator, geo_version, all_codes, years=yrs)
        self.clusters = cl = sup.to_numpy(dtype=object)[pos] if sup.attrs["n_spread"] else None
        self.source_level = sup.attrs["source_level"]
        self.blocked = blocks is not None          # grid cells: whole buurten resampled (block bootstrap)
        if self.blocked:
            own = pd.Series(all_codes.to_numpy(dtype=object), index=all_codes.to_numpy(dtype=object))
            self.clusters = cl = blocks.reindex(own.index).fillna(own).to_numpy(dtype=object)[pos]
        used = has[:, pos].any(axis=0)
        self.n_used = np.bincount(gcol, weights=used, minlength=G).astype(int)
        self.n_units = self.n_used if cl is None else np.array(
            [len(set(cl[(gcol == g) & used])) for g in range(G)], dtype=int)

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

        b_rate, _, b_index = estimates(by_group(boot_sums(rows, values, G * K, n_boot, seed, cl, blocks=sizes)))
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
        self.b_gap, self.b_growth = b_gap, b_growth     # replicates (n_boot, G, 2) / (n_boot, G): rank intervals
        self.gap_lo, self.gap_hi = c.percentile_interval(b_gap)
        self.growth_lo, self.growth_hi = c.percentile_interval(b_growth)

    def gaps(self) -> pd.DataFrame:
        """One row per group: n_areas, gap (index points) per year with intervals, growth, bins, error."""
        lab = np.array(self.labels + [None], dtype=object)
        out = pd.DataFrame({
            "n_areas": [len(self.codes[g]) for g in self.names], "n_units": self.n_units,
            "gap_from": self.gap[:, 0], "gap_to": self.gap[:, 1],
            "gap_from_lo": self.gap_lo[:, 0], "gap_from_hi": self.gap_hi[:, 0],
            "gap_to_lo": self.gap_lo[:, 1], "gap_to_hi": self.gap_hi[:, 1],
            "growth": self.growth, "growth_lo": self.growth_lo, "growth_hi": self.growth_hi,
            "top_bin": lab[self.top], "bottom_bin": lab[self.bot],
            "error": [render(self.errors[g], "en") if g in self.errors else None for g in self.names],
        }, index=pd.Index(self.names, name="group"))
        out.loc[out["error"].notna(), "gap_from":"bottom_bin"] = None    # as run(): no profile at all
        return out

    def result(self, name, region=None) -> Result:
        """The :class:`Result` of ``run`` for group ``name`` (``region``: the value for ``params``)."""
        if name in self.errors:
            raise StoreError(render(self.errors[name], "en"))
        g, yrs, labels, K = self.names.index(name), self.yrs, self.labels, len(self.labels)
        region = self.groups[name] if region is None and not self.whole else region
        top, bot, gap = int(self.top[g]), int(self.bot[g]), self.gap[g]
        growth, growth_lo, growth_hi = (float(a[g]) for a in (self.growth, self.growth_lo, self.growth_hi))
        if top < 0:
            top = bot = None
        notes = self._gap_notes(top, bot, gap)
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
                    "suppressed": hide, "few_areas": bool(self.counts[g, t, k] < self.min_areas),
                })
        table = pd.DataFrame(rows)
        gap_table = pd.DataFrame({"year": yrs, "top_bin": labels[top] if top is not None else None,
                                  "bottom_bin": labels[bot] if bot is not None else None,
                                  "gap": gap, "gap_lo": self.gap_lo[g], "gap_hi": self.gap_hi[g]})
        ref_table = pd.DataFrame({"year": yrs, "reference": self.index_on, "rate": self.ref[g],
                                  "n_areas": [int(self.n_has[g, t]) if self.ref_from_sample else self.ref_n[t]
                                              for t in range(2)]})

        notes += self._data_notes(g)
        notes += definition_notes(self.indicator, yrs[0], yrs[1], self.ind)
        notes.append(Message("inference.note.ecological"))
        summary = {"gap_from": float(gap[0]), "gap_to": float(gap[1]), "growth": growth,
                   "growth_lo": growth_lo, "growth_hi": growth_hi,
                   "top_bin": labels[top] if top is not None else None,
                   "bottom_bin": labels[bot] if bot is not None else None,
                   "n_areas": int(self.n_used[g]), "n_units": int(self.n_units[g])}
        share = self.share if self.whole else self.share[self.share["code"].astype(object).isin(self.codes[name])]
        vint = c.vintage(self.store, pd.concat([self.ind, share[share["year"].isin(yrs)]]), self.geo_version,
                         self.level)
        summary["message"] = _summary_message(summary, yrs, self.indicator, self.index_on)
        parts = gap_parts(self, g, top, bot, summary, notes)
        params = {"indicator": self.indicator, "region": region, "geo_version": self.geo_version,
                  "level": self.level, "year_from": yrs[0], "year_to": yrs[1], "bins": self.edges,
                  "index_on": self.index_on, "n_boot": self.n_boot, "seed": self.seed,
                  "min_den": self.min_den, "min_num": self.min_num, "share": self.share_name}
        return Result("corp-profile", table, params, vint, notes,
                      {"gap": gap_table, "reference": ref_table, "gap_parts": parts}, summary, _figure=_figure,
                      inputs=c.inputs(vint, {"indicator": [self.indicator], "corp_share": [self.share_name]}))

    def _gap_notes(self, top: int | None, bot: int | None, gap) -> list[Message]:
        """Which bins the gap is taken between, and whether its growth can be read."""
        if top is None:
            return [Message("corp_profile.note.no_gap")]
        notes = []
        if top != len(self.labels) - 1 or bot != 0:
            notes.append(Message("corp_profile.note.inner_bins", {"top": self.labels[top],
                                                                  "bottom": self.labels[bot]}))
        if gap[0] <= 0:
            notes.append(Message("corp_profile.note.gap_not_positive"))
        return notes

    def _data_notes(self, g: int) -> list[Message]:
        """What the data lacked for group ``g`` and how the reference was formed."""
        notes = []
        for n, key, extra in ((self.n_incomplete, "incomplete", {}),
                              (self.n_fallback[g], "share_fallback", {"year": self.yrs[0]}),
                              (self.n_unbinned[g], "unbinned", {})):
            if n:
                notes.append(Message(f"corp_profile.note.{key}", {"n": int(n), **extra}))
        if self.blocked:
            notes.append(Message("corp_profile.note.grid_blocks", {"share": self.share_name, "n": int(self.n_used[g]),
                                                                   "units": int(self.n_units[g])}))
        elif self.clusters is not None and self.n_units[g] < self.n_used[g]:
            notes.append(Message("inference.note.clustered", {"n": int(self.n_used[g]), "units": int(self.n_units[g]),
                                                              "level": self.source_level or "-"}))
        if self.index_on == "store":
            notes.append(Message("corp_profile.note.store_reference"))
        if not self.ref_from_sample:
            notes.append(Message("corp_profile.note.fixed_reference"))
        return notes


def _summary_message(s: dict, yrs, indicator: str, index_on: str) -> Message:
    """The headline: the gap in both years and its growth with its interval (or why there is none)."""
    if np.isnan(s["gap_from"]):
        return Message("corp_profile.summary.no_gap")
    return Message("corp_profile.summary", {
        "ind": indicator, "top": s["top_bin"], "bottom": s["bottom_bin"], "ref": Message(f"figure.{index_on}"),
        "a": float(s["gap_from"]), "b": float(s["gap_to"]), "y0": yrs[0], "y1": yrs[1],
        **{k: float(s[k] * 100) for k in ("growth", "growth_lo", "growth_hi")}})


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
    ref = Message(f"figure.{result.params['index_on']}")
    c.reference_line(ax, 100, c.tr("ref_100", lang, ref=ref))
    ax.set_xlabel(c.tr("corp_bin_pct", lang))
    ax.set_ylabel(c.tr("index_ref", lang, ref=ref))
    ax.set_title(c.ind_label(result, result.params["indicator"], lang))
    if t["suppressed"].any():
        ax.annotate(c.tr("suppressed_bins", lang, bins=", ".join(sorted(set(t.loc[t["suppressed"], "bin_label"])))),
                    (0.01, 0.97), xycoords="axes fraction", fontsize=8, va="top")
    ax.legend(frameon=False)
    return fig
