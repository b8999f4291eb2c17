"""Benchmark (METHOD.md analysis 10; report §5.6): compare gemeenten or regions with their peers.

Per group (each gemeente of the region, or ``groups`` = a mapping name → area/gemeente/wijk codes):

* the corporation-share gap of :mod:`corp_profile` in both years and its growth, with that
  analysis' bootstrap intervals — all groups in one pass (``corp_profile.profile_many``), equal to
  ``corp_profile.run`` for each group on its own;
* the trend of an indicator: its pooled value (Σnum/Σden, else the mean) in both years and the change
  (a total over all areas, so no sampling interval);
* typology counts (problem / vulnerable / signal) from one :mod:`typology` run over all groups,
  when the store has what the typology needs;
* size (Σ ``residents`` or ``dwellings`` in ``year_to``) and corporation share (pooled, ``year_to``).

Peer groups: ``peer_method='kmeans'`` clusters the groups on standardised log size and corporation
share (k-means, ``n_peers`` clusters, fixed seed); ``'quantile'`` puts them in the 3×3 cells of size
terciles × share terciles. Each group is ranked within its peer group: ``rank_gap`` (1 = smallest gap
in ``year_to``), ``rank_growth`` (1 = least growth), ``rank_trend`` (1 = most favourable change by the
indicator's polarity).

The store is read once per indicator (:func:`_common.cached_reads`): the typology and the
profiles read the same facts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import StoreError
from . import _common as c
from . import corp_profile, typology
from ._spatial import pooled, two_years
from ._inference import boot_sums, support_clusters
from ._ranks import rank_intervals
from .base import Analysis, Message, Result, register

__all__ = ["Benchmark", "run"]


@dataclass
class BenchmarkParams:
    indicator: str = c.param("bijstand", "indicator whose gap and trend are compared")
    groups: dict | None = c.param(None, "name → area/wijk/gemeente codes (default: each gemeente of the region)")
    region: list[str] | str | None = c.param(None, "gemeente/wijk/area codes (default: the whole country)")
    geo_version: str | None = c.param(None, "geography version (default: the only one holding the indicator)")
    level: str | None = c.param(None, "level (default: the finest level holding the indicator)")
    year_from: int | None = c.param(None, "first year (default: the first year with values)")
    year_to: int | None = c.param(None, "second year (default: the last year with values)")
    size_indicator: str = c.param("residents", "count indicator that measures a group's size in year_to")
    peer_method: str = c.param("kmeans", "'kmeans' on log size and corporation share, or 'quantile' (3×3 terciles)")
    n_peers: int = c.param(5, "number of peer groups (k-means)")
    n_boot: int = c.param(200, "bootstrap replicates of the corporation-share gap")
    seed: int = c.param(0, "seed of the bootstrap and the k-means")
    with_typology: bool = c.param(True, "count problem, vulnerable and watch-list areas per group")
    index_on: str = c.param("national", "reference of the gap: 'national' or 'regional'")

    def __post_init__(self):
        c.choice("peer_method", self.peer_method, ("kmeans", "quantile"))
        c.choice("index_on", self.index_on, ("national", "regional"))
        c.positive("n_peers", self.n_peers)
        c.positive("n_boot", self.n_boot)


@dataclass
class Scope:
    """The question, resolved once: geography, areas, the members of each group and the two years."""

    p: BenchmarkParams
    store: object            # the store with cached reads (the typology and the profiles share them)
    geo_version: str
    level: str
    areas: pd.DataFrame
    groups: dict
    member: dict
    y0: int
    y1: int


@register
class Benchmark(Analysis):
    """One row per group with gap, growth, trend, typology counts, peer group and ranks."""

    name = "benchmark"
    Params = BenchmarkParams
    title = "analysis.benchmark.title"
    summary = "analysis.benchmark.summary"

    def resolve(self, store, p: BenchmarkParams) -> Scope:
        cached = c.cached_reads(store)
        geo_version = c.resolve_geo_version(cached, p.indicator, p.geo_version)
        level = c.resolve_level(cached, geo_version, p.level, indicator=p.indicator)
        _, areas = c.region_codes(cached, p.region, geo_version, level)
        groups = p.groups if p.groups is not None else \
            {g: [g] for g in sorted(areas["gm_code"].dropna().unique())}
        codes = areas["code"].to_numpy(dtype=object)
        member = {name: codes[pos] for name, pos in c.group_members(areas, groups).items()}
        years = c.available_years(cached, p.indicator, geo_version)
        y0, y1 = c.period(years, p.year_from, p.year_to, p.indicator)
        return Scope(p, cached, geo_version, level, areas, groups, member, y0, y1)

    def compute(self, store, s: Scope) -> Result:
        p, cached, member, y0, y1 = s.p, s.store, s.member, s.y0, s.y1
        ind, size_ind = p.indicator, p.size_indicator
        long = pd.DataFrame({"group": pd.Index(list(member), dtype=object).repeat([len(v) for v in member.values()]),
                             "code": np.concatenate([np.empty(0, dtype=object), *member.values()])})
        all_codes = sorted(set(long["code"]))
        f = two_years(cached, [ind, "corp_share", size_ind], s.geo_version, all_codes, y0, y1)
        scale = float(c.indicator_meta(cached, ind).get("scale") or 1)
        sup = support_clusters(cached, ind, s.geo_version, all_codes, years=[y0, y1])
        clusters = sup.reindex(long["code"]).to_numpy(dtype=object) if sup.attrs["n_spread"] else None
        ff = f.loc[long["code"]].set_index(long.index)
        rows = {}
        for tag in ("from", "to"):
            rows[f"value_{tag}"] = pooled(ff[f"{ind}_{tag}"], ff[f"{ind}_num_{tag}"], ff[f"{ind}_den_{tag}"],
                                          long["group"], scale)["value"]
        share = pooled(ff["corp_share_to"], ff["corp_share_num_to"], ff["corp_share_den_to"], long["group"], 100.0)
        size = ff[f"{size_ind}_to"].groupby(long["group"]).sum(min_count=1)
        t = pd.DataFrame({"n_areas": long.groupby("group").size(), "size": size, "corp_share": share["value"],
                          **rows}).reindex(list(member))
        t["trend"] = t["value_to"] - t["value_from"]

        prof = corp_profile.profile_many(cached, ind, member, geo_version=s.geo_version, level=s.level,
                                         year_from=y0, year_to=y1, n_boot=p.n_boot, seed=p.seed,
                                         index_on=p.index_on)
        notes = [Message("benchmark.note.no_gap", {"group": g, "reason": err}) for g, err in prof.errors.items()]
        gaps = prof.gaps().rename(columns={"gap_to_lo": "gap_lo", "gap_to_hi": "gap_hi"})
        t = t.join(gaps[["gap_from", "gap_to", "gap_lo", "gap_hi", "growth", "growth_lo", "growth_hi",
                         "top_bin", "bottom_bin", "n_units"]])
        if clusters is not None:
            notes.append(Message("inference.note.clustered", {"n": int(t["n_areas"].sum()), "units": int(t["n_units"].sum()),
                                                              "level": sup.attrs["source_level"] or "-"}))
        if p.with_typology:
            notes += _typology_counts(t, cached, long, p.region if len(all_codes) == len(s.areas) else all_codes,
                                      s.geo_version, s.level)

        t["peer_group"] = _peers(t, p.peer_method, p.n_peers, p.seed)
        worse_high = c.indicator_meta(cached, ind).get("higher_is_worse") not in (False, 0)
        by = t.groupby("peer_group")
        t["peer_size"] = by["n_areas"].transform("size")
        for col, src, asc in (("rank_gap", "gap_to", True), ("rank_growth", "growth", True),
                              ("rank_trend", "trend", worse_high)):
            if src in t:
                t[col] = by[src].rank(ascending=asc, method="min")
        # every rank with its 95% interval: the ranks of the bootstrap replicates within the peer group
        reps = {"rank_gap": prof.b_gap[:, :, 1], "rank_growth": prof.b_growth,
                "rank_trend": _trend_replicates(ff, long, ind, scale, list(member), p.n_boot, p.seed, clusters)}
        for col, src, asc in (("rank_gap", "gap_to", True), ("rank_growth", "growth", True),
                              ("rank_trend", "trend", worse_high)):
            if col in t:
                lo, hi = rank_intervals(reps[col], t["peer_group"].astype(str).to_numpy(), ascending=asc,
                                        point=t[src].to_numpy(float))
                t[col + "_lo"], t[col + "_hi"] = np.where(t[col].notna(), lo, np.nan), np.where(t[col].notna(), hi, np.nan)
        table = t.reset_index(names="group")
        notes.append(Message("benchmark.note.rank_intervals", {"b": p.n_boot}))
        notes.append(Message("benchmark.note.peers", {"method": Message(f"benchmark.peers.{p.peer_method}"),
                                                      "size": size_ind, "year": y1}))
        summary = {"n_groups": int(len(table)), "n_peer_groups": int(table["peer_group"].nunique()),
                   "median_growth": float(table["growth"].median()) if "growth" in table else np.nan}
        summary["message"] = Message("benchmark.summary", {"n": summary["n_groups"], "k": summary["n_peer_groups"]})
        params = {"indicator": ind, "groups": {k: list(v) if not isinstance(v, str) else [v]
                                               for k, v in s.groups.items()},
                  "region": p.region, "geo_version": s.geo_version, "level": s.level, "year_from": int(y0),
                  "year_to": int(y1), "size_indicator": size_ind, "peer_method": p.peer_method,
                  "n_peers": p.n_peers, "n_boot": p.n_boot, "seed": p.seed, "index_on": p.index_on}
        vint = c.vintage(store, cached.facts(indicator=[ind, "corp_share", size_ind],
                                            geo_version=s.geo_version, years=[y0, y1]), s.geo_version, s.level)
        return Result("benchmark", table, params, vint, notes, {}, summary, _figure=_figure,
                      inputs=c.inputs(vint, {"indicator": [ind], "corp_share": ["corp_share"], "size": [size_ind]}))


def run(store, **params) -> Result:
    """The benchmark (see :class:`Benchmark`); kept for callers of the old entry point."""
    return c.run_registered("benchmark", store, **params)


def _trend_replicates(ff: pd.DataFrame, long: pd.DataFrame, ind: str, scale: float, names: list,
                      n_boot: int, seed: int, clusters=None) -> np.ndarray:
    """``(n_boot, G)`` the trend of each group (pooled Σnum/Σden, else the mean, as :func:`pooled`)
    with its areas resampled (within the group); whole support units when ``clusters`` (per row of
    ``long``) says values were spread from a coarser unit."""
    gid = pd.Categorical(long["group"], categories=names).codes
    order = np.argsort(gid, kind="stable")
    sizes = np.bincount(gid, minlength=len(names))
    cols = []
    for tag in ("from", "to"):
        num, den, val = (ff[f"{ind}_{k}{tag}"].to_numpy(float) for k in ("num_", "den_", ""))
        ok = np.isfinite(num) & np.isfinite(den) & (den > 0)
        cols += [np.where(ok, num, 0), np.where(ok, den, 0), np.nan_to_num(val), np.isfinite(val).astype(float)]
    v = np.stack(cols)[:, order]
    cl = None if clusters is None else np.asarray(clusters, dtype=object)[order]
    sums = boot_sums(gid[order], v, len(names), n_boot, seed, cl, blocks=sizes)[:, 0]   # (B, 8, G)
    point = c.group_sums(gid[order], v, len(names))[0]
    with np.errstate(all="ignore"):
        est = [np.where(point[4 * t + 1] > 0, sums[:, 4 * t] / sums[:, 4 * t + 1] * scale,
                        sums[:, 4 * t + 2] / sums[:, 4 * t + 3]) for t in (0, 1)]
    return est[1] - est[0]


def _typology_counts(t: pd.DataFrame, store, long: pd.DataFrame, region, geo_version: str, level: str) -> list:
    """Problem / vulnerable / signal counts per group from one typology run (in ``t``); its notes."""
    try:
        # the whole region when the groups cover it: no 13,594-code IN list
        ty = typology.run(store, region=region, geo_version=geo_version, level=level)
    except StoreError as e:
        return [Message("benchmark.note.no_typology", {"reason": str(e)})]
    cls = ty.table.set_index("code")["class"].reindex(long["code"]).to_numpy()
    for k in ("problem", "vulnerable", "signal"):
        t[f"n_{k}"] = pd.Series(cls == k).groupby(long["group"].to_numpy()).sum().reindex(t.index)
    if ty.params["vulnerable_standin"] or ty.params["nuisance_standin"]:
        return [Message("benchmark.note.typology_standin")]
    return []


def _peers(t: pd.DataFrame, method: str, k: int, seed: int) -> pd.Series:
    x = pd.DataFrame({"size": np.log(t["size"].clip(lower=1)), "share": t["corp_share"]})
    ok = x.notna().all(axis=1)
    out = pd.Series(pd.NA, index=t.index, dtype="object")
    if ok.sum() == 0:
        return out
    if method == "quantile":
        s = pd.qcut(x.loc[ok, "size"].rank(method="first"), 3, labels=False) + 1 if ok.sum() >= 3 else 1
        c_ = pd.qcut(x.loc[ok, "share"].rank(method="first"), 3, labels=False) + 1 if ok.sum() >= 3 else 1
        out[ok] = "s" + pd.Series(s, index=x.index[ok]).astype(str) + "-c" + pd.Series(c_, index=x.index[ok]).astype(str)
        return out
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits
    z = (x[ok] - x[ok].mean()) / x[ok].std(ddof=0).replace(0, 1)
    n = min(k, int(ok.sum()))
    with threadpool_limits(1):      # 355 points: OpenMP threads only spin (~0.3–3 s on a busy 2-core box)
        lab = KMeans(n_clusters=n, n_init=10, random_state=seed).fit_predict(z.to_numpy())
    # name clusters by mean size so the labels are stable and readable
    order = pd.Series(x.loc[ok, "size"].to_numpy()).groupby(lab).mean().rank(method="first").astype(int)
    out[ok] = [f"P{order[v]}" for v in lab]
    return out


def _figure(result: Result, lang: str = "nl"):
    t = result.table.dropna(subset=["growth"])
    fig, ax = c.new_figure(7, 4.5)
    for i, (pg, d) in enumerate(t.groupby("peer_group")):
        ax.scatter(d["corp_share"], d["growth"] * 100, s=14, color=c.COLORS[(i + 1) % len(c.COLORS)], label=str(pg))
    ax.axhline(0, color="#333333", linewidth=0.8, linestyle="--")
    ax.set_xlabel(c.tr("corp_share", lang))
    ax.set_ylabel(c.tr("gap_growth", lang))
    ax.set_title(c.tr("peer_groups", lang, ind=result.params["indicator"]))
    ax.legend(frameon=False, fontsize=8, title=c.tr("peer_group", lang))
    return fig
