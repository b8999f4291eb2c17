"""Hot spots: local Moran's I (LISA) of an indicator's level or change, FDR-corrected.

Per area: the local Moran statistic on row-standardised Queen weights (islands joined to their
nearest area; areas without a value are left out of the weights), a conditional-permutation pseudo
p-value (``permutations``, ``seed``), the Benjamini–Hochberg q-value over all areas, and a class:
``HH`` (high among high), ``LL``, ``HL`` (high among low), ``LH`` or ``ns`` (q > ``alpha``). ``HH``
means high *values*: for an indicator where higher is better (``lbm_onv``) an HH cluster is a good
one — the table says so in ``favourable``.

Measured: 999 permutations on the 13,594 national buurten take ~1 s (weights ~0.6 s, cached).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import StoreError
from . import _common as c
from ._spatial import area_layer, two_years, weights
from .base import ClassSpec, LayerSpec, Message, ReportSpec, Result, analysis

__all__ = ["run", "bh_qvalues", "COLOURS"]

#: "ns" is a pale cream, not white-grey, which would read as "no data"
COLOURS = {"HH": "#d7191c", "LL": "#2c7bb6", "HL": "#fdae61", "LH": "#abd9e9", "ns": "#fbf7ea"}
LAYER = LayerSpec(order=40, kind="categorical", column="class", label=Message("analysis.hotspots.title"),
                  classes=tuple(ClassSpec(k, Message(f"hotspots.class.{k}"), COLOURS[k])
                                for k in ("HH", "LL", "HL", "LH", "ns")))
_QUAD = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q ≤ α ⇔ rejected at FDR α)."""
    p = np.asarray(p, float)
    n = len(p)
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out


@analysis("hotspots",
          "Ruimtelijke clusters (lokale Moran's I, FDR-gecorrigeerd) van een indicator of haar verandering",
          "Spatial clusters (local Moran's I, FDR-corrected) of an indicator or its change", layer=LAYER,
          report=ReportSpec(order=55, title=Message("analysis.hotspots.chapter"),
                            indicators=("low_income", "social_minimum", "bijstand", "bijstand_per_100_dwellings",
                                        "corp_share", "lbm")))
def run(store, indicator: str = "low_income", measure: str = "level", year: int | None = None,
        year_from: int | None = None, year_to: int | None = None, region=None,
        geo_version: str | None = None, level: str | None = None, permutations: int = 999,
        seed: int = 0, alpha: float = 0.05, weights_kind: str = "queen", k: int = 6) -> Result:
    """LISA classes per area.

    Parameters
    ----------
    measure : ``'level'`` (value in ``year``, default the latest) or ``'change'`` (``year_from`` → ``year_to``).
    permutations, seed : conditional permutations for the pseudo p-values.
    alpha : false-discovery rate (Benjamini–Hochberg over all areas analysed).
    weights_kind, k : ``'queen'`` contiguity (default) or ``'knn'`` with ``k`` neighbours.

    The pseudo p is esda 2.9's "directed" one (folded, one-sided in the observed direction, as in
    GeoDa; p ≥ 1/(permutations+1)). esda warns that its default will become two-sided (about double
    the p); ``Moran_Local`` does not yet let us choose, so the warning is silenced here.
    """
    import esda
    if measure not in ("level", "change"):
        raise StoreError(f"measure must be 'level' or 'change', not {measure!r}")
    geo_version, level, areas, codes, years = c.scope(store, indicator, geo_version, level, region)
    if not years:
        raise StoreError(f"no values of {indicator!r} in the region")
    if measure == "level":
        y1 = years[-1] if year is None else int(year)
        y0 = y1
    else:
        y0, y1 = c.period(years, year_from, year_to, indicator)
    f = two_years(store, [indicator], geo_version, codes, y0, y1)
    x = f[f"{indicator}_to"] if measure == "level" else f[f"{indicator}_change"]
    sup = f[f"{indicator}_sup_to"] if measure == "level" else f[f"{indicator}_suppressed"]
    use = x.dropna()
    if len(use) < 10 or use.nunique() < 2:
        raise StoreError(f"too few areas with a value ({len(use)}) for a local Moran's I")
    g = weights(store, geo_version, use.index, kind=weights_kind, k=k)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The alternative hypothesis", category=DeprecationWarning)
        lisa = esda.Moran_Local(use.to_numpy(float), g, permutations=permutations, seed=seed, n_jobs=1)
    q = bh_qvalues(lisa.p_sim)
    quad = pd.Series(lisa.q).map(_QUAD).to_numpy()
    cls = np.where(q <= alpha, quad, "ns")

    t = pd.DataFrame({"code": f.index, "value": x.to_numpy()}).set_index("code")
    t["local_i"] = pd.Series(lisa.Is, index=use.index)
    t["z"] = pd.Series(lisa.z_sim, index=use.index)
    t["p"] = pd.Series(lisa.p_sim, index=use.index)
    t["q"] = pd.Series(q, index=use.index)
    t["class"] = pd.Series(cls, index=use.index).reindex(t.index).fillna("")     # "": not analysed
    meta = c.indicator_meta(store, indicator)
    good_high = meta.get("higher_is_worse") in (False, 0)
    fav = {"HH": good_high, "LL": not good_high}
    t["favourable"] = t["class"].map(fav)
    t["colour"] = t["class"].map(COLOURS).fillna("#ffffff")
    t["suppressed"] = sup.to_numpy()
    table = t.reset_index()

    counts = table["class"].value_counts()
    notes = c.bilingual(
        f"Klassen bij FDR {alpha:g} (Benjamini–Hochberg over {len(use)} gebieden), {permutations} permutaties "
        f"(seed {seed}); met {permutations} permutaties is p nooit kleiner dan {1 / (permutations + 1):.4f}.",
        f"Classes at FDR {alpha:g} (Benjamini–Hochberg over {len(use)} areas), {permutations} permutations "
        f"(seed {seed}); with {permutations} permutations p is never below {1 / (permutations + 1):.4f}.")
    p_floor = 1 / (permutations + 1)
    need = int(np.ceil(len(use) * p_floor / alpha))
    if need > 1:
        notes += c.bilingual(f"Pas als minstens {need} gebieden de kleinste p halen, is er één significant: "
                             "meer permutaties maken kleinere clusters zichtbaar.",
                             f"Only when at least {need} areas reach the smallest p is any significant: more "
                             "permutations make smaller clusters detectable.")
    if good_high:
        notes += c.bilingual(f"Bij {indicator} is hoger beter: HH is een gunstig cluster, LL een ongunstig.",
                             f"For {indicator} higher is better: HH is a favourable cluster, LL an unfavourable one.")
    if len(use) < len(f):
        notes += c.bilingual(f"{len(f) - len(use)} gebieden zonder waarde doen niet mee.",
                             f"{len(f) - len(use)} areas without a value are left out.")
    if t["suppressed"].any():
        notes += c.bilingual(f"{int(t['suppressed'].sum())} waarden rusten op kleine aantallen: meegerekend, "
                             "gemarkeerd en niet op de kaart.", f"{int(t['suppressed'].sum())} values rest on "
                             "small numbers: used, flagged and not shown on the map.")
    summary = {f"n_{k}": int(counts.get(k, 0)) for k in ("HH", "LL", "HL", "LH", "ns")}
    summary["moran_global"] = float(esda.Moran(use.to_numpy(float), g, permutations=0).I)
    summary["sentence_nl"] = (f"{summary['n_HH']} gebieden in een cluster van hoge en {summary['n_LL']} in een "
                              f"cluster van lage waarden (FDR {alpha:g}).")
    summary["sentence_en"] = (f"{summary['n_HH']} areas in a high-value cluster and {summary['n_LL']} in a "
                              f"low-value cluster (FDR {alpha:g}).")
    params = {"indicator": indicator, "measure": measure, "year_from": y0, "year_to": y1, "region": region,
              "geo_version": geo_version, "level": level, "permutations": permutations, "seed": seed,
              "alpha": alpha, "weights_kind": weights_kind, "k": k if weights_kind == "knn" else None}
    vint = c.vintage(store, store.facts(indicator=indicator, geo_version=geo_version, years=sorted({y0, y1})),
                     geo_version, level)
    return Result("hotspots", table, params, vint, notes, {}, summary, _figure=_figure,
                  _layer=lambda r, s: area_layer(r.table, s or store, r.params["geo_version"],
                                                 blank={"suppressed": ["value"]}))


def _figure(result: Result, lang: str = "nl"):
    """Moran scatter: standardised value against its spatial lag is not kept; show class counts."""
    order = ["HH", "LL", "HL", "LH"]
    counts = result.table["class"].value_counts().reindex(order, fill_value=0)
    fig, ax = c.new_figure(6, 3.5)
    ax.bar(order, counts.to_numpy(), color=[COLOURS[k] for k in order], edgecolor="#666666")
    ax.set_ylabel(c.tr("areas", lang))
    what = c.ind_label(result, result.params["indicator"], lang)
    ax.set_title(f"{what}: " + ("local clusters" if lang == "en" else "lokale clusters")
                 + f" (FDR {result.params['alpha']:g})")
    return fig
