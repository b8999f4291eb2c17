"""A synthetic housing survey with planted truths from the 2020 report's national figures (WBO/WoON).

Per survey year a *population* of households is drawn from the planted probabilities
(:data:`PLANTED`), then a sample with unequal inclusion probabilities (social renters and recent
movers oversampled, as WoON does, times a log-normal nonresponse factor); the weight is the inverse
inclusion probability scaled to the number of Dutch households. Because the population is kept, the
truth of every estimate is known exactly (the population share), and the planted value is that
truth up to the population's own noise (≈ 0.003 for a share among 30 000 social renters).

The file is written the way WoON is distributed: SPSS with numeric codes and Dutch value labels, plus
a mapping (TOML) that recodes the labels into the store's categories — five health answers into
good / less than good, quintiles into the 20/40 groups, "vaak" nuisance into yes.

Planted (report §2.1–2.5): the lowest-20 % share among corporation tenants below the liberalisation
threshold 28 % (1998) → 42 % (2018), +5 points 2015–2018; social rent 37 % → 24.5 % of households;
less than good health 40 % → 52 % among the lowest incomes in social rent, 33 % among those outside;
17 % and less among middle/high incomes outside social rent; benefits 22 % in social rent, 34 % in
weak areas, 4.5 % outside; single parents 19 % in social rent in weak areas vs 5 % outside;
nuisance from neighbours 4.5 % outside social rent, 11 % → 16 % (2015) in social rent in weak areas,
not asked in 2018; fear of harassment or robbery 12 % → 20 % in social rent in weak areas.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["YEARS", "PLANTED", "population", "sample", "write_survey", "MAPPING_TOML", "to_file_codes"]

YEARS = (1998, 2002, 2006, 2009, 2012, 2015, 2018)
_G = ("lowest", "low", "middle_high")


def _ramp(a: float, b: float) -> dict[int, float]:
    return {y: a + (b - a) * (y - YEARS[0]) / (YEARS[-1] - YEARS[0]) for y in YEARS}


#: the planted parameters (probabilities of the population model); see the module docstring
PLANTED: dict = {
    "social_share": _ramp(0.37, 0.245),
    "corp_above_share": 0.03,
    "private_share": _ramp(0.13, 0.17),
    "lowest_in_social": dict(zip(YEARS, (0.28, 0.30, 0.315, 0.33, 0.35, 0.37, 0.42))),
    "low_in_social": 0.30,
    "weak_given_social": 0.25, "weak_given_rest": 0.06,
    "moved_in": {("social", "lowest"): 0.18, ("social", "low"): 0.16, ("social", "middle_high"): 0.14,
                 ("rest", "lowest"): 0.14, ("rest", "low"): 0.12, ("rest", "middle_high"): 0.11},
    # movers now outside social rent who came from a corporation dwelling, by income group (fig. 2)
    "left_corp": {"lowest": _ramp(0.10, 0.10), "low": _ramp(0.15, 0.16), "middle_high": _ramp(0.12, 0.22)},
    "high_edu_movers_social": {False: _ramp(0.22, 0.16), True: _ramp(0.18, 0.09)},   # by weak area (fig. 3)
    "poor_health": {("social", "lowest"): _ramp(0.40, 0.52), ("social", "low"): _ramp(0.30, 0.38),
                    ("social", "middle_high"): _ramp(0.18, 0.26), ("rest", "lowest"): _ramp(0.33, 0.33),
                    ("rest", "low"): _ramp(0.24, 0.24), ("rest", "middle_high"): _ramp(0.15, 0.15)},
    "benefits": {"social": 0.22, "social_weak": 0.34, "rest": 0.045},
    "single_parent": {"social": 0.10, "social_weak": 0.19, "rest": 0.05},
    "nuisance": {"social": _ramp(0.07, 0.07), "social_weak": _ramp(0.11, 0.17), "rest": _ramp(0.045, 0.045)},
    "fear": {"social": _ramp(0.08, 0.08), "social_weak": _ramp(0.12, 0.20), "rest": _ramp(0.05, 0.05)},
    "nuisance_not_asked": (2018,),
}


def _lookup(table: dict, *keys: np.ndarray) -> np.ndarray:
    """``table[key]`` per row, for keys of one or two columns (vectorised over the distinct keys)."""
    idx = pd.MultiIndex.from_arrays(keys) if len(keys) > 1 else pd.Index(keys[0])
    codes, uniq = pd.factorize(idx)
    return np.array([table[k] for k in uniq], dtype=float)[codes]


def population(n_per_year: int = 150_000, seed: int = 1) -> pd.DataFrame:
    """Households of every survey year in the store's categories (weight 1): the truth."""
    rng = np.random.default_rng(seed)
    P = PLANTED
    parts = []
    for y in YEARS:
        n = n_per_year
        u = rng.random(n)
        s, ca, pr = P["social_share"][y], P["corp_above_share"], P["private_share"][y]
        seg = np.select([u < s, u < s + ca, u < s + ca + pr], ["social", "corp_above", "private"], "owner")
        social = seg == "social"
        p_low_s, p_low_l = P["lowest_in_social"][y], P["low_in_social"]
        p_rest_l = (0.2 - s * p_low_s) / (1 - s)
        p_rest_2 = (0.2 - s * p_low_l) / (1 - s)
        v = rng.random(n)
        inc = np.where(social, np.select([v < p_low_s, v < p_low_s + p_low_l], ["lowest", "low"], "middle_high"),
                       np.select([v < p_rest_l, v < p_rest_l + p_rest_2], ["lowest", "low"], "middle_high"))
        sr = np.where(social, "social", "rest")
        weak = rng.random(n) < np.where(social, P["weak_given_social"], P["weak_given_rest"])
        moved = rng.random(n) < _lookup(P["moved_in"], sr, inc)
        # previous home of movers
        left = _lookup({g: v[y] for g, v in P["left_corp"].items()}, inc)
        w = rng.random(n)
        prev_social = np.select([w < 0.45, w < 0.80], ["corporation", "private"], "none")
        prev_rest = np.select([w < left, w < left + 0.5, w < left + 0.8], ["corporation", "private", "owner"], "none")
        prev = pd.Series(np.where(social, prev_social, prev_rest), dtype=object).where(moved, None).to_numpy()
        # education: high among social movers as planted, else by income
        p_high = np.select([inc == "lowest", inc == "low"], [0.15, 0.25], 0.40).astype(float)
        hm = P["high_edu_movers_social"]
        p_high = np.where(social & moved, np.where(weak, hm[True][y], hm[False][y]), p_high)
        e = rng.random(n)
        edu = np.where(e < p_high, "high", np.where(e < p_high + (1 - p_high) / 2, "middle", "low"))
        ph = _lookup({k: v[y] for k, v in P["poor_health"].items()}, sr, inc)
        health = np.where(rng.random(n) < ph, "less_than_good", "good")
        cell = np.where(social, np.where(weak, "social_weak", "social"), "rest")
        ben = rng.random(n) < _lookup(P["benefits"], cell)
        sp = _lookup(P["single_parent"], cell)
        h = rng.random(n)
        hh = np.select([h < sp, h < sp + 0.35, h < sp + 0.65, h < sp + 0.9], ["single_parent", "single", "couple",
                                                                               "couple_children"], "other")
        nuis = rng.random(n) < _lookup({k: v[y] for k, v in P["nuisance"].items()}, cell)
        fear = rng.random(n) < _lookup({k: v[y] for k, v in P["fear"].items()}, cell)
        parts.append(pd.DataFrame({
            "year": y, "weight": 1.0, "tenure": np.where(social | (seg == "corp_above"), "corporation",
                                                         np.where(seg == "private", "private", "owner")),
            "rent": pd.Series(np.where(seg == "corp_above", "above", "below"), dtype=object).where(
                social | (seg == "corp_above"), None).to_numpy(),
            "income_group": inc, "moved_in": moved, "previous_tenure": prev, "education": edu, "health": health,
            "benefits": ben, "household_type": hh,
            "nuisance": pd.array(nuis, dtype="boolean") if y not in P["nuisance_not_asked"] else
            pd.array([None] * n, dtype="boolean"),
            "fear": fear, "weak_area": weak, "rent_private": seg == "private"}))
    out = pd.concat(parts, ignore_index=True)
    out["rent"] = out["rent"].where(out["tenure"] != "private",
                                    np.where(np.random.default_rng(seed + 1).random(len(out)) < 0.7, "below", "above"))
    return out.drop(columns="rent_private")


def sample(pop: pd.DataFrame, n_per_year: int = 8000, seed: int = 2, households: float = 7.9e6) -> pd.DataFrame:
    """A Poisson sample with unequal inclusion probabilities; ``weight`` = households / (N π)."""
    rng = np.random.default_rng(seed)
    social = (pop["tenure"] == "corporation") & (pop["rent"] == "below")
    f = np.where(social, 2.0, 1.0) * np.where(pop["moved_in"], 1.6, 1.0) * rng.lognormal(0.0, 0.35, len(pop))
    out = []
    for _y, idx in pop.groupby("year").indices.items():
        pi = np.minimum(1.0, f[idx] * n_per_year / f[idx].sum())
        take = idx[rng.random(len(idx)) < pi]
        part = pop.iloc[take].copy()
        part["weight"] = households / len(idx) / pi[np.searchsorted(idx, take)]
        out.append(part)
    return pd.concat(out, ignore_index=True)


# ------------------------------------------------------------------ the file as WoON would ship it
_LABELS = {
    "eigendom": {1: "Huurwoning corporatie", 2: "Particuliere huur", 3: "Koopwoning"},
    "huur_lib": {1: "Onder liberalisatiegrens", 2: "Boven liberalisatiegrens"},
    "ink_kwintiel": {1: "1e kwintiel", 2: "2e kwintiel", 3: "3e kwintiel", 4: "4e kwintiel", 5: "5e kwintiel"},
    "verhuisd2j": {0: "Nee", 1: "Ja"},
    "vorige_woning": {1: "Corporatiewoning", 2: "Particuliere huur", 3: "Koopwoning", 4: "Geen (nieuw huishouden)"},
    "opleiding": {1: "Laag", 2: "Middelbaar", 3: "Hoog"},
    "gezondheid": {1: "Zeer goed", 2: "Goed", 3: "Gaat wel", 4: "Slecht", 5: "Zeer slecht", 9: "Weet niet"},
    "uitkering": {0: "Nee", 1: "Ja"},
    "huishouden": {1: "Alleenstaand", 2: "Paar", 3: "Paar met kinderen", 4: "Eenoudergezin", 5: "Overig"},
    "overlast_buren": {1: "Vaak", 2: "Soms", 3: "(Bijna) nooit"},
    "angst_beroving": {1: "Eens", 2: "Neutraal", 3: "Oneens"},
    "zwakke_leefbaarheid": {0: "Nee", 1: "Ja"},
}

MAPPING_TOML = """# mapping of the synthetic WoON-like survey (veerkracht synth survey)
[columns]
weight = "weegfactor"
year = "jaar"
tenure = "eigendom"
rent = "huur_lib"
income_group = "ink_kwintiel"
moved_in = "verhuisd2j"
previous_tenure = "vorige_woning"
education = "opleiding"
health = "gezondheid"
benefits = "uitkering"
household_type = "huishouden"
nuisance = "overlast_buren"
fear = "angst_beroving"
weak_area = "zwakke_leefbaarheid"
area_code = "buurtcode"

[values.tenure]
"Huurwoning corporatie" = "corporation"
"Particuliere huur" = "private"
"Koopwoning" = "owner"
[values.rent]
"Onder liberalisatiegrens" = "below"
"Boven liberalisatiegrens" = "above"
[values.income_group]
"1e kwintiel" = "lowest"
"2e kwintiel" = "low"
"3e kwintiel" = "middle_high"
"4e kwintiel" = "middle_high"
"5e kwintiel" = "middle_high"
[values.moved_in]
"Ja" = true
"Nee" = false
[values.previous_tenure]
"Corporatiewoning" = "corporation"
"Particuliere huur" = "private"
"Koopwoning" = "owner"
"Geen (nieuw huishouden)" = "none"
[values.education]
"Laag" = "low"
"Middelbaar" = "middle"
"Hoog" = "high"
[values.health]
"Zeer goed" = "good"
"Goed" = "good"
"Gaat wel" = "less_than_good"
"Slecht" = "less_than_good"
"Zeer slecht" = "less_than_good"
[values.benefits]
"Ja" = true
"Nee" = false
[values.household_type]
"Alleenstaand" = "single"
"Paar" = "couple"
"Paar met kinderen" = "couple_children"
"Eenoudergezin" = "single_parent"
"Overig" = "other"
[values.nuisance]
"Vaak" = true
"Soms" = false
"(Bijna) nooit" = false
[values.fear]
"Eens" = true
"Neutraal" = false
"Oneens" = false
[values.weak_area]
"Ja" = true
"Nee" = false

[missing]
values = ["Weet niet"]
"""


def _code(series: pd.Series, table: dict) -> np.ndarray:
    return series.map(table).astype("float64").to_numpy()


def to_file_codes(s: pd.DataFrame, seed: int = 3, area_codes: list[str] | None = None) -> pd.DataFrame:
    """The sample in the file's codes (numeric, labelled), as WoON ships it. ``area_codes``: the buurt
    codes respondents are spread over at random (default: 400 made-up Amsterdam-like codes); the spread
    is independent of everything else, so every area's shares have the national truth."""
    rng = np.random.default_rng(seed)
    pool = np.asarray(area_codes if area_codes else [f"BU0363{x:04d}" for x in range(400)], dtype=object)
    inc = s["income_group"].to_numpy()
    quint = np.where(inc == "lowest", 1, np.where(inc == "low", 2, rng.integers(3, 6, len(s))))
    hr = rng.random(len(s))
    health = np.where(s["health"] == "good", np.where(hr < 0.3, 1, 2), np.where(hr < 0.6, 3, np.where(hr < 0.9, 4, 5)))
    health = np.where(rng.random(len(s)) < 0.01, 9, health)         # a few 'weet niet' → missing
    nz = rng.random(len(s))
    nuis = np.where(s["nuisance"].fillna(False).to_numpy(dtype=bool), 1, np.where(nz < 0.3, 2, 3)).astype(float)
    nuis[s["nuisance"].isna().to_numpy()] = np.nan                  # not asked that year
    fear = np.where(s["fear"].to_numpy(dtype=bool), 1, np.where(rng.random(len(s)) < 0.3, 2, 3))
    return pd.DataFrame({
        "jaar": s["year"].astype(float).to_numpy(), "weegfactor": s["weight"].round(4).to_numpy(),
        "eigendom": _code(s["tenure"], {"corporation": 1, "private": 2, "owner": 3}),
        "huur_lib": _code(s["rent"], {"below": 1, "above": 2}),
        "ink_kwintiel": quint.astype(float),
        "verhuisd2j": s["moved_in"].astype(float).to_numpy(),
        "vorige_woning": _code(s["previous_tenure"], {"corporation": 1, "private": 2, "owner": 3, "none": 4}),
        "opleiding": _code(s["education"], {"low": 1, "middle": 2, "high": 3}),
        "gezondheid": health.astype(float),
        "uitkering": s["benefits"].astype(float).to_numpy(),
        "huishouden": _code(s["household_type"], {"single": 1, "couple": 2, "couple_children": 3,
                                                  "single_parent": 4, "other": 5}),
        "overlast_buren": nuis, "angst_beroving": fear.astype(float),
        "zwakke_leefbaarheid": s["weak_area"].astype(float).to_numpy(),
        "buurtcode": pool[rng.integers(0, len(pool), len(s))],
    })


def write_survey(out: str | Path, n_per_year: int = 8000, seed: int = 1, mapping_out: str | Path | None = None,
                 area_codes: list[str] | None = None) -> dict:
    """Write the synthetic survey (``.sav``, ``.csv`` or ``.parquet`` by suffix) and its mapping
    (default: beside it, ``<name>.toml``). Returns paths and counts."""
    out = Path(out)
    pop = population(seed=seed)
    s = sample(pop, n_per_year=n_per_year, seed=seed + 1)
    coded = to_file_codes(s, seed=seed + 2, area_codes=area_codes)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".sav":
        import pyreadstat
        pyreadstat.write_sav(coded, str(out), variable_value_labels={k: {float(c): v for c, v in lab.items()}
                                                                     for k, lab in _LABELS.items()},
                             missing_ranges={"gezondheid": [9]})
    else:
        labelled = coded.copy()
        for k, lab in _LABELS.items():
            labelled[k] = coded[k].map(lambda v, lab=lab: lab.get(int(v)) if v == v else None)
        labelled["jaar"] = coded["jaar"].astype(int)
        if out.suffix.lower() == ".parquet":
            labelled.to_parquet(out, index=False)
        else:
            labelled.to_csv(out, index=False)
    mp = Path(mapping_out) if mapping_out else out.with_suffix(".toml")
    mp.write_text(MAPPING_TOML, encoding="utf-8")
    return {"file": str(out), "mapping": str(mp), "respondents": len(coded), "years": list(YEARS)}
