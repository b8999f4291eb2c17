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

import numpy as np
import pandas as pd

from ..errors import StoreError
from . import _common as c
from . import corp_profile, typology
from ._spatial import pooled, two_years
from .base import Result, analysis

__all__ = ["run"]


@analysis("benchmark",
          "Gemeenten of regio's vergeleken met vergelijkbare (grootte, corporatieaandeel)",
          "Gemeenten or regions compared with their peers (size, corporation share)")
def run(store, indicator: str = "bijstand", groups: dict | None = None, region=None,
        geo_version: str | None = None, level: str | None = None, year_from: int | None = None,
        year_to: int | None = None, size_indicator: str = "residents", peer_method: str = "kmeans",
        n_peers: int = 5, n_boot: int = 200, seed: int = 0, with_typology: bool = True,
        index_on: str = "national") -> Result:
    """One row per group with gap, growth, trend, typology counts, peer group and ranks."""
    if peer_method not in ("kmeans", "quantile"):
        raise StoreError(f"peer_method must be 'kmeans' or 'quantile', not {peer_method!r}")
    cached = c.cached_reads(store)
    geo_version = c.resolve_geo_version(cached, indicator, geo_version)
    level = c.resolve_level(cached, geo_version, level, indicator=indicator)
    _, areas = c.region_codes(cached, region, geo_version, level)
    if groups is None:
        groups = {g: [g] for g in sorted(areas["gm_code"].dropna().unique())}
    codes = areas["code"].to_numpy(dtype=object)
    member = {name: codes[pos] for name, pos in c.group_members(areas, groups).items()}
    years = c.available_years(cached, indicator, geo_version)
    y0 = years[0] if year_from is None and years else year_from
    y1 = years[-1] if year_to is None and years else year_to
    if y0 is None or y1 is None or y0 == y1:
        raise StoreError(f"need two different years of {indicator!r}; the store has {years}")

    long = pd.DataFrame({"group": pd.Index(list(member), dtype=object).repeat([len(v) for v in member.values()]),
                         "code": np.concatenate([np.empty(0, dtype=object), *member.values()])})
    all_codes = sorted(set(long["code"]))
    f = two_years(cached, [indicator, "corp_share", size_indicator], geo_version, all_codes, y0, y1)
    scale = float(c.indicator_meta(cached, indicator).get("scale") or 1)
    ff = f.loc[long["code"]].set_index(long.index)
    rows = {}
    for tag in ("from", "to"):
        p = pooled(ff[f"{indicator}_{tag}"], ff[f"{indicator}_num_{tag}"], ff[f"{indicator}_den_{tag}"],
                   long["group"], scale)
        rows[f"value_{tag}"] = p["value"]
    share = pooled(ff["corp_share_to"], ff["corp_share_num_to"], ff["corp_share_den_to"], long["group"], 100.0)
    size = ff[f"{size_indicator}_to"].groupby(long["group"]).sum(min_count=1)
    t = pd.DataFrame({"n_areas": long.groupby("group").size(), "size": size, "corp_share": share["value"],
                      **rows}).reindex(list(member))
    t["trend"] = t["value_to"] - t["value_from"]

    notes = []
    gaps = corp_profile.profile_many(cached, indicator, member, geo_version=geo_version, level=level,
                                     year_from=y0, year_to=y1, n_boot=n_boot, seed=seed,
                                     index_on=index_on).gaps()
    for name, err in gaps["error"].dropna().items():
        notes += c.bilingual(f"{name}: geen verschil te berekenen ({err}).", f"{name}: no gap ({err}).")
    gaps = gaps.rename(columns={"gap_to_lo": "gap_lo", "gap_to_hi": "gap_hi"})
    t = t.join(gaps[["gap_from", "gap_to", "gap_lo", "gap_hi", "growth", "growth_lo", "growth_hi",
                     "top_bin", "bottom_bin"]])

    if with_typology:
        try:
            # the whole region when the groups cover it: no 13,594-code IN list
            ty = typology.run(cached, region=region if len(all_codes) == len(areas) else all_codes,
                              geo_version=geo_version, level=level)
            cls = ty.table.set_index("code")["class"].reindex(long["code"]).to_numpy()
            for k in ("problem", "vulnerable", "signal"):
                t[f"n_{k}"] = pd.Series(cls == k).groupby(long["group"].to_numpy()).sum().reindex(t.index)
            if ty.params["vulnerable_standin"] or ty.params["nuisance_standin"]:
                notes += c.bilingual("Typologie met vervangende indicatoren (zie typologie).",
                                     "Typology with stand-in indicators (see typology).")
        except StoreError as e:
            notes += c.bilingual(f"Geen typologie: {e}.", f"No typology: {e}.")

    t["peer_group"] = _peers(t, peer_method, n_peers, seed)
    worse_high = c.indicator_meta(cached, indicator).get("higher_is_worse") not in (False, 0)
    by = t.groupby("peer_group")
    t["peer_size"] = by["n_areas"].transform("size")
    for col, src, asc in (("rank_gap", "gap_to", True), ("rank_growth", "growth", True),
                          ("rank_trend", "trend", worse_high)):
        if src in t:
            t[col] = by[src].rank(ascending=asc, method="min")
    table = t.reset_index(names="group")
    notes += c.bilingual(
        f"Vergelijkingsgroepen: {'k-means op log(grootte) en corporatieaandeel' if peer_method == 'kmeans' else 'tertielen van grootte × tertielen van corporatieaandeel'} "
        f"(grootte = {size_indicator} {y1}). Rang 1 = kleinste verschil / groei, gunstigste ontwikkeling.",
        f"Peer groups: {'k-means on log size and corporation share' if peer_method == 'kmeans' else 'size terciles × corporation-share terciles'} "
        f"(size = {size_indicator} {y1}). Rank 1 = smallest gap / growth, most favourable trend.")
    summary = {"n_groups": int(len(table)), "n_peer_groups": int(table["peer_group"].nunique()),
               "median_growth": float(table["growth"].median()) if "growth" in table else np.nan}
    summary["sentence_nl"] = f"{len(table)} gebieden vergeleken in {summary['n_peer_groups']} vergelijkingsgroepen."
    summary["sentence_en"] = f"{len(table)} areas compared in {summary['n_peer_groups']} peer groups."
    params = {"indicator": indicator, "groups": {k: list(v) if not isinstance(v, str) else [v] for k, v in groups.items()},
              "region": region, "geo_version": geo_version, "level": level, "year_from": int(y0), "year_to": int(y1),
              "size_indicator": size_indicator, "peer_method": peer_method, "n_peers": n_peers, "n_boot": n_boot,
              "seed": seed, "index_on": index_on}
    vint = c.vintage(store, cached.facts(indicator=[indicator, "corp_share", size_indicator],
                                        geo_version=geo_version, years=[y0, y1]), geo_version, level)
    return Result("benchmark", table, params, vint, notes, {}, summary, _figure=_figure)


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
    ax.set_ylabel("Growth of the gap (%)" if lang == "en" else "Groei van het verschil (%)")
    ax.set_title(("Peer groups" if lang == "en" else "Vergelijkingsgroepen") + f" — {c.ind_label(result, result.params['indicator'], lang)}")
    ax.legend(frameon=False, fontsize=8, title="peer" if lang == "en" else "groep")
    return fig
