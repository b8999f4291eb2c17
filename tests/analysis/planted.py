"""Planted-truth panels on the real national buurt geometry, for analysis tests and benchmarks.

Usage (in a test, with the ``national_buurten`` fixture)::

    from tests.analysis.planted import make_panel, plant_rate, segmented, planted_store

    pan = make_panel(national_buurten, years=[2012, 2018], seed=1)       # corp_share, dwellings …
    pan = plant_rate(pan, "bijstand", prob=0.02 + 0.1 * pan["corp_share"] / 100, seed=2)
    pan["lbm"] = ...                                                      # any score you plant
    store = planted_store(national_buurten, pan, ["corp_share", "bijstand", "lbm"])

The panel is long: one row per area × year with ``code, gm_code, wk_code, year, corp_share,
dwellings, corp_dwellings, residents, households``. Plant outcomes as extra columns: a rate as
``<id>_num`` + ``<id>_den`` (see :func:`plant_rate`), a score or count as a column named ``<id>``.
:func:`to_facts` turns the columns into store facts (value = num/den × the registry's scale).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from veerkracht.indicators import registry

__all__ = ["share_sample", "make_panel", "plant_rate", "segmented", "to_facts", "planted_store",
           "national_areas", "expected_pooled"]

GEO_VERSION = "cbs2019"


def share_sample(n: int, rng: np.random.Generator) -> np.ndarray:
    """Corporation shares (%) shaped like Dutch buurten: many near 0, a long tail up to 100.

    A mixture: 40% Beta(0.6, 8) (mostly < 10%) and 60% Beta(1.3, 1.8) — roughly 3% of areas ≥ 80%.
    """
    low = rng.random(n) < 0.4
    return np.where(low, rng.beta(0.6, 8, n), rng.beta(1.3, 1.8, n)) * 100


def make_panel(areas: pd.DataFrame, years, seed: int = 0, share: np.ndarray | None = None,
               share_drift_sd: float = 0.0) -> pd.DataFrame:
    """A long panel (area × year) of corporation share and housing counts on ``areas``.

    Parameters
    ----------
    areas : frame with ``code, gm_code, wk_code`` (e.g. the ``national_buurten`` fixture).
    years : the panel years, ascending.
    seed : RNG seed.
    share : optional shares (%) per area in the first year (default :func:`share_sample`).
    share_drift_sd : standard deviation (%-points) of each later year's change in share (a random
        walk, clipped to 0–100). 0 = constant shares.

    Returns
    -------
    DataFrame ``code, gm_code, wk_code, year, corp_share, dwellings, corp_dwellings, residents,
    households``. ``corp_share`` = corp_dwellings / dwellings × 100 exactly (counts are integers).
    Dwellings (lognormal, median ~400, ≥ 5) and residents (~2.1 per dwelling) are constant over years.
    """
    rng = np.random.default_rng(seed)
    n = len(areas)
    s = share_sample(n, rng) if share is None else np.asarray(share, dtype=float)
    dwellings = np.maximum(5, np.round(rng.lognormal(np.log(400), 0.9, n)))
    residents = np.round(dwellings * rng.uniform(1.6, 2.6, n))
    households = np.round(dwellings * 0.95)
    frames = []
    for i, y in enumerate(years):
        if i and share_drift_sd:
            s = np.clip(s + rng.normal(0, share_drift_sd, n), 0, 100)
        corp = np.round(s / 100 * dwellings)
        frames.append(pd.DataFrame({
            "code": areas["code"].to_numpy(), "gm_code": areas["gm_code"].to_numpy(),
            "wk_code": areas["wk_code"].to_numpy(), "year": int(y), "corp_share": corp / dwellings * 100,
            "dwellings": dwellings, "corp_dwellings": corp, "residents": residents,
            "households": households}))
    return pd.concat(frames, ignore_index=True)


def plant_rate(panel: pd.DataFrame, indicator: str, prob, den: str = "residents", seed: int = 0) -> pd.DataFrame:
    """Add ``<indicator>_num`` ~ Binomial(den, prob) and ``<indicator>_den`` = ``panel[den]``.

    ``prob`` is an array (one per panel row) of true probabilities — the *planted* rate before scaling.
    """
    rng = np.random.default_rng(seed)
    out = panel.copy()
    d = out[den].to_numpy().astype(np.int64)
    out[indicator + "_num"] = rng.binomial(d, np.clip(np.asarray(prob, dtype=float), 0, 1)).astype(float)
    out[indicator + "_den"] = d.astype(float)
    return out


def segmented(x, breakpoint: float, slope_left: float, slope_right: float, at_break: float) -> np.ndarray:
    """A continuous piecewise-linear curve through ``(breakpoint, at_break)`` with the two slopes."""
    x = np.asarray(x, dtype=float)
    return at_break + np.where(x < breakpoint, slope_left, slope_right) * (x - breakpoint)


def expected_pooled(panel: pd.DataFrame, prob, edges, den: str = "residents") -> pd.DataFrame:
    """The planted truth of a pooled rate: Σ den·prob / Σ den per (year, bin), plus bin -1 = all areas.

    Independent of the analysis code (plain pandas): tests compare the analysis with it.
    """
    d = panel.assign(_w=panel[den], _e=panel[den] * np.asarray(prob, dtype=float))
    d["_bin"] = pd.cut(d["corp_share"], edges, right=False, labels=False)
    by = d.groupby(["year", "_bin"])[["_w", "_e"]].sum()
    tot = d.groupby("year")[["_w", "_e"]].sum().assign(_bin=-1).set_index("_bin", append=True)
    out = pd.concat([by, tot])
    return (out["_e"] / out["_w"]).rename("rate").reset_index().rename(columns={"_bin": "bin"})


def to_facts(panel: pd.DataFrame, indicators, geo_version: str = GEO_VERSION,
             source: str = "planted") -> pd.DataFrame:
    """Store facts of ``indicators`` from the panel's columns.

    A rate id with ``<id>_num``/``<id>_den`` columns gets numerator, denominator and value (×scale);
    ``corp_share`` comes from ``corp_dwellings``/``dwellings``; any other id takes column ``<id>`` as value.
    """
    frames = []
    for ind in indicators:
        if ind == "corp_share":
            num, den = panel["corp_dwellings"], panel["dwellings"]
        elif ind + "_num" in panel:
            num, den = panel[ind + "_num"], panel[ind + "_den"]
        else:
            num = den = None
        if num is not None:
            with np.errstate(all="ignore"):
                value = num / den * registry.get(ind)["scale"]
        else:
            value = panel[ind]
        f = pd.DataFrame({"geo_version": geo_version, "code": panel["code"], "year": panel["year"],
                          "indicator": ind, "numerator": np.nan if num is None else num,
                          "denominator": np.nan if den is None else den, "value": value, "source": source})
        frames.append(f[f["value"].notna()])
    return pd.concat(frames, ignore_index=True)


def planted_store(areas, panel: pd.DataFrame, indicators, geo_version: str = GEO_VERSION):
    """An in-memory store with ``areas`` and the planted ``indicators`` (via conftest's ``store_from``)."""
    return _conftest().store_from(areas, to_facts(panel, indicators, geo_version))


def national_areas(real_data: Path) -> pd.DataFrame:
    """The national buurt areas for scripts outside pytest (the benchmark): the same frame as the
    ``national_buurten`` fixture, built by that fixture's own code."""
    return _conftest().national_buurten.__wrapped__(real_data)


def _conftest():
    """The sibling conftest module (``tests`` is a package: pytest imports it under this name too)."""
    from tests.analysis import conftest
    return conftest


def _store_from():
    """conftest's ``store_from`` (kept: test_change_model imports it; new code can import
    ``tests.analysis.conftest.store_from`` directly)."""
    return _conftest().store_from


def plant_score(panel: pd.DataFrame, signal, *, area_sd: float = 0.0, cluster: str | None = None,
                cluster_sd: float = 0.0, noise_sd: float = 0.0, size_ref: float = 400.0,
                seed: int = 0) -> np.ndarray:
    """A score per panel row: ``signal`` + a persistent area effect + a cluster shock + noise.

    * ``area_sd``: one effect per area, the same in every year (persistent: it cancels in a change,
      and makes an area bootstrap that treats area-years as independent too narrow);
    * ``cluster`` / ``cluster_sd``: a shock per (value of column ``cluster``, year) shared by all its
      areas (a wijk, a pseudo-PC4): errors that are not independent across areas;
    * ``noise_sd``: the noise of an area of ``size_ref`` dwellings; an area of ``d`` dwellings has
      ``noise_sd·√(size_ref/d)`` (small areas are noisier: weights matter).
    """
    rng = np.random.default_rng(seed)
    codes, code_ix = np.unique(panel["code"].to_numpy(), return_inverse=True)
    out = np.asarray(signal, dtype=float) + rng.normal(0, area_sd, len(codes))[code_ix] if area_sd \
        else np.asarray(signal, dtype=float).copy()
    if cluster and cluster_sd:
        keys = panel[cluster].astype(str) + "|" + panel["year"].astype(str)
        _, kix = np.unique(keys.to_numpy(), return_inverse=True)
        out = out + rng.normal(0, cluster_sd, kix.max() + 1)[kix]
    if noise_sd:
        out = out + rng.normal(0, 1, len(panel)) * noise_sd * np.sqrt(size_ref / panel["dwellings"].to_numpy())
    return out


def spread_support(store, areas: pd.DataFrame, cluster: pd.Series, origin_version: str = "lbm3-2022",
                   geo_version: str = GEO_VERSION, source_level: str = "pc4") -> None:
    """Record in ``store`` that the facts of ``areas`` came from coarser units: ``cluster`` (code →
    source code). The facts themselves must carry ``origin_version`` (see :func:`to_facts`)."""
    sup = pd.DataFrame({"geo_version": geo_version, "code": cluster.index, "origin_version": origin_version,
                        "source_level": source_level, "cluster": cluster.to_numpy(), "n_sources": 1,
                        "sources": cluster.to_numpy()})
    store.write_support(sup)
