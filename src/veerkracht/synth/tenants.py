"""A synthetic tenant panel with planted inflow, outflow and income mobility by income group and area type.

Every area is *weak* (about a third, chosen by the seed) or *other*. Each dwelling holds one contract at
a time. From one year to the next a household leaves with the planted annual exit rate of its income
group and area type (:data:`EXIT`; the report §2.2: higher incomes leave, more so in weak areas, the
lowest hardly), its dwelling is let again within the year to a household drawn from the area type's
inflow composition (:data:`INFLOW`), and stayers move between income groups with the planted annual
transitions (:data:`MOBILITY`; weaker upward mobility in weak areas). The decomposition over one year
recovers these rates: the outflow rate of a group is its exit rate, the inflow shares are the
composition, and the stayers' transitions are the mobility.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["EXIT", "INFLOW", "MOBILITY", "INITIAL", "GROUPS", "area_types", "simulate", "write_tenants", "area_codes",
           "MAPPING_TOML"]

GROUPS = ("lowest", "low", "middle_high")
#: annual probability that a household of an income group leaves, by area type
EXIT = {"weak": {"lowest": 0.05, "low": 0.07, "middle_high": 0.14},
        "other": {"lowest": 0.05, "low": 0.06, "middle_high": 0.09}}
#: income composition of new tenants, by area type
INFLOW = {"weak": {"lowest": 0.50, "low": 0.30, "middle_high": 0.20},
          "other": {"lowest": 0.35, "low": 0.30, "middle_high": 0.35}}
#: annual income-group transitions of stayers (row: group this year → next year), by area type
MOBILITY = {"weak": {"lowest": {"lowest": 0.96, "low": 0.03, "middle_high": 0.01},
                     "low": {"lowest": 0.04, "low": 0.93, "middle_high": 0.03},
                     "middle_high": {"lowest": 0.01, "low": 0.03, "middle_high": 0.96}},
            "other": {"lowest": {"lowest": 0.92, "low": 0.06, "middle_high": 0.02},
                      "low": {"lowest": 0.03, "low": 0.91, "middle_high": 0.06},
                      "middle_high": {"lowest": 0.005, "low": 0.02, "middle_high": 0.975}}}
#: income composition of the tenants at the start
INITIAL = {"weak": {"lowest": 0.40, "low": 0.30, "middle_high": 0.30},
           "other": {"lowest": 0.25, "low": 0.30, "middle_high": 0.45}}

MAPPING_TOML = """# mapping of the synthetic tenant panel (veerkracht synth tenants)
[columns]
dwelling = "vhe"
area = "buurtcode"
start = "ingangsdatum"
end = "einddatum"
year = "jaar"
income_group = "inkomensgroep"
household = "huishouden"

[values.income_group]
"1" = "lowest"
"2" = "low"
"3" = "middle_high"
"""


def area_types(codes, seed: int = 1) -> dict[str, str]:
    """About a third of the areas weak, the others other (reproducible by seed)."""
    rng = np.random.default_rng(seed)
    return {c: ("weak" if u < 1 / 3 else "other") for c, u in zip(sorted(codes), rng.random(len(codes)))}


def _draw(rng, probs: np.ndarray) -> np.ndarray:
    """One category per row from a (rows × 3) matrix of probabilities."""
    u = rng.random(len(probs))[:, None]
    return np.minimum((u > np.cumsum(probs, axis=1)).sum(axis=1), probs.shape[1] - 1).astype(np.int8)


def _matrix(table: dict, types: np.ndarray) -> np.ndarray:
    """Per row the probabilities over the groups for its type (type index 0 = weak, 1 = other)."""
    m = np.array([[table[t][g] for g in GROUPS] for t in ("weak", "other")])
    return m[types]


def simulate(types: dict[str, str], dwellings: int = 150, years: tuple[int, int] = (2012, 2020), seed: int = 1,
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(contracts, incomes)`` in the store's form (``contract_id`` dense from 0; income groups as
    category names). ``dwellings`` is the mean number per area (at least 60)."""
    rng = np.random.default_rng(seed)
    codes = np.array(sorted(types))
    n_area = np.maximum(60, rng.poisson(dwellings, len(codes)))
    area = np.repeat(np.arange(len(codes)), n_area)
    typ = np.array([0 if types[c] == "weak" else 1 for c in codes], dtype=np.int8)[area]
    d = len(area)
    y0, y1 = years
    day0 = np.datetime64(f"{y0}-01-01", "D")
    # the households living there at the start moved in between 1990 and the first year
    start = np.datetime64("1990-01-01", "D") + rng.integers(0, int((day0 - np.datetime64("1990-01-01", "D")).astype(np.int64)), d)
    cur = np.arange(d, dtype=np.int64)                  # the dwelling's current contract
    grp = _draw(rng, _matrix(INITIAL, typ))
    c_dw, c_start = [np.arange(d)], [start]
    ended = np.full(d, np.datetime64("NaT"), dtype="datetime64[D]")
    inc_c, inc_y, inc_g = [cur.copy()], [np.full(d, y0, np.int16)], [grp.copy()]
    next_id = d
    exitp = np.array([[EXIT[t][g] for g in GROUPS] for t in ("weak", "other")])
    mob = {g: _matrix({t: MOBILITY[t][g] for t in MOBILITY}, typ) for g in GROUPS}
    for y in range(y0 + 1, y1 + 1):
        leave = rng.random(d) < exitp[typ, grp]
        # everyone's income group this year: stayers (and leavers, for the months they still live here) move
        new = grp.copy()
        for gi, g in enumerate(GROUPS):
            sel = grp == gi
            new[sel] = _draw(rng, mob[g][sel])
        inc_c.append(cur.copy())
        inc_y.append(np.full(d, y, np.int16))
        inc_g.append(new)
        n_leave = int(leave.sum())
        jan1 = np.datetime64(f"{y}-01-01", "D")
        out_day = jan1 + rng.integers(0, 300, n_leave)
        ended[cur[leave]] = out_day
        in_day = out_day + rng.integers(1, 60, n_leave)
        ids = np.arange(next_id, next_id + n_leave)
        next_id += n_leave
        cur[leave] = ids
        new[leave] = _draw(rng, _matrix(INFLOW, typ[leave]))
        grp = new
        c_dw.append(np.flatnonzero(leave))
        c_start.append(in_day)
        ended = np.concatenate([ended, np.full(n_leave, np.datetime64("NaT"), dtype="datetime64[D]")])
        inc_c.append(ids)
        inc_y.append(np.full(n_leave, y, np.int16))
        inc_g.append(new[leave])
    dw = np.concatenate(c_dw)
    contracts = pd.DataFrame({
        "contract_id": np.arange(next_id, dtype=np.int64), "dwelling_id": dw, "area_code": codes[area[dw]],
        "start_date": np.concatenate(c_start), "end_date": ended[:next_id], "household_id": None, "flags": ""})
    incomes = pd.DataFrame({"contract_id": np.concatenate(inc_c), "year": np.concatenate(inc_y),
                            "income_group": pd.Categorical.from_codes(np.concatenate(inc_g), GROUPS)})
    return contracts, incomes


def _areas_of(store, geo_version: str | None, level: str, region: str | None) -> tuple[str, list[str]]:
    """``(version, codes)`` of the store's areas of ``level`` (in ``region``), of the version with most of them."""
    from ..errors import StoreError
    areas = store.areas(geo_version=geo_version, level=level, geometry=False)
    if region:
        areas = areas[(areas["gm_code"] == region) | (areas["wk_code"] == region) | (areas["code"] == region)]
    if areas.empty:
        raise StoreError(f"the store holds no {level} areas{' of ' + geo_version if geo_version else ''}"
                         f"{' in ' + region if region else ''}: build the demo store (`veerkracht demo`) or load geometry")
    version = geo_version or areas["geo_version"].value_counts().index[0]
    return version, list(areas.loc[areas["geo_version"] == version, "code"].astype(str))


def area_codes(store, geo_version: str | None = None, level: str = "buurt", region: str | None = None) -> list[str]:
    """The codes of the store's areas of ``level`` (in ``region``) of the version with most of them."""
    return _areas_of(store, geo_version, level, region)[1]


def write_tenants(store, out, geo_version: str | None = None, level: str = "wijk", region: str | None = None,
                  years: tuple[int, int] = (2012, 2020), dwellings: int = 150, seed: int = 1,
                  truth_out=None) -> dict:
    """Simulate a panel on the store's areas and write it as a corporation would export it (one row per
    contract and year), with its mapping beside it (``<name>.toml``) and, if asked, the planted rates."""
    version, codes = _areas_of(store, geo_version, level, region)
    types = area_types(codes, seed)
    contracts, incomes = simulate(types, dwellings, years, seed)
    rows = incomes.merge(contracts, on="contract_id")
    fmt = lambda s: pd.to_datetime(s).dt.strftime("%Y-%m-%d").fillna("")  # noqa: E731
    frame = pd.DataFrame({"vhe": "VHE" + rows["dwelling_id"].astype(str).str.zfill(7), "buurtcode": rows["area_code"],
                          "ingangsdatum": fmt(rows["start_date"]), "einddatum": fmt(rows["end_date"]),
                          "jaar": rows["year"].astype(int),
                          "inkomensgroep": rows["income_group"].cat.codes.astype(int) + 1,
                          "huishouden": "HH" + rows["contract_id"].astype(str).str.zfill(8)})
    frame = frame.sort_values(["vhe", "ingangsdatum", "jaar"])
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".parquet":
        frame.to_parquet(out, index=False)
    elif out.suffix.lower() == ".xlsx":
        frame.to_excel(out, index=False)
    else:
        frame.to_csv(out, index=False)
    mp = out.with_suffix(".toml")
    mp.write_text(MAPPING_TOML, encoding="utf-8")
    if truth_out:
        Path(truth_out).write_text(json.dumps({"exit": EXIT, "inflow": INFLOW, "mobility": MOBILITY,
                                               "initial": INITIAL, "area_type": types, "years": list(years)},
                                              indent=1), encoding="utf-8")
    return {"file": str(out), "mapping": str(mp), "contracts": len(contracts), "areas": len(types),
            "geo_version": version, "types": types}
