"""``veerkracht ingest tenants FILE --mapping M``: a corporation's tenant records (a panel) into the store.

One row per contract and year (CSV, xlsx or Parquet): the dwelling, its area code, the contract's start
and end (empty while it runs), the year and the household's income group in that year, optionally a
household id and flags. The mapping (TOML, see :mod:`._micro`) names the columns::

    [columns]
    dwelling = "vhe_nummer"
    area = "buurtcode"
    start = "ingangsdatum"
    end = "einddatum"
    year = "jaar"
    income_group = "inkomensgroep"
    household = "huishouden_id"     # optional
    flags = "bijzonderheden"        # optional
    [values.income_group]
    "1" = "lowest"                  # national bottom 20 %
    "2" = "low"                     # 20–40 %
    "3" = "middle_high"

A contract is a dwelling with a start date. Checked, each error naming its row: a date that is no date,
an end before the start, a contract whose rows disagree on area or end, two incomes for one contract
and year, an income year outside the contract, two contracts overlapping on one dwelling, and (at
ingest) area codes the store does not know. ``on_conflict=skip`` leaves overlapping or inconsistent
contracts out and lists their rows as warnings instead.

``veerkracht ingest tenant-flows FILE --mapping M`` reads aggregated flows when no panel exists: per
area, period (``year_from``, ``year_to``) and income group the households at the start (``n_start``),
those that left (``n_out``), those that came (``n_in``) and the stayers by their income group at the end
(``stay_end``); optional ``n_ended`` (contracts ended in the period, for the turnover rate).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..store.base import Provenance
from ..store.microdata import MicroBatch
from ..store.schema import INCOME_GROUPS
from . import _micro as m
from .base import reader

__all__ = ["read_tenants", "read_tenant_flows", "ROLES", "FLOW_ROLES"]

ROLES = {"dwelling": True, "area": True, "start": True, "end": False, "year": True, "income_group": True,
         "household": False, "flags": False}
FLOW_ROLES = {"area": True, "year_from": True, "year_to": True, "income_group": True, "n_start": True,
              "n_out": True, "n_in": True, "stay_end": True, "n_ended": False}


def _dates(df, mp, role: str, first: int, required: bool) -> pd.Series:
    raw = m.text(df, mp, role)
    if raw is None:
        return pd.Series(pd.NaT, index=df.index, dtype="datetime64[s]")
    raw[raw.isin(mp.missing) | (raw == "")] = None
    iso = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
    nl = pd.to_datetime(raw, format="%d-%m-%Y", errors="coerce")
    out = iso.fillna(nl)
    bad = raw.notna() & out.isna()
    if required:
        bad |= raw.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(df.attrs.get("file", mp.path), f"{role} must be a date (YYYY-MM-DD or DD-MM-YYYY), "
                                                        f"found {raw.iloc[i]!r}", row=first + i,
                         column=mp.columns[role])
    return out.astype("datetime64[s]")


def _problem(problems: list, row: int, text: str) -> None:
    problems.append((int(row), text))


def _report(problems: list, file, on_conflict: str, column: str) -> list[str]:
    if not problems:
        return []
    problems.sort()
    listed = "; ".join(f"row {r}: {t}" for r, t in problems[:8])
    more = f" (and {len(problems) - 8} more)" if len(problems) > 8 else ""
    if on_conflict != "skip":
        raise InputError(file, f"{len(problems)} inconsistent record(s): {listed}{more}; "
                               "`-o on_conflict=skip` leaves them out", row=problems[0][0], column=column)
    return [f"{len(problems)} inconsistent record(s) left out: {listed}{more}"]


@reader("tenants", help="A corporation's tenant panel (contracts with income group per year; CSV, xlsx, Parquet)")
def read_tenants(location, mapping: str, dataset: str | None = None, on_conflict: str = "error") -> MicroBatch:
    """A corporation's tenant panel into the store's private tables (columns: the module documentation).

    Parameters
    ----------
    mapping : the TOML mapping naming the columns and the income-group labels.
    dataset : the name the panel is kept under (default: the file's name).
    on_conflict : ``error`` (default: an overlapping or inconsistent contract stops the load, naming its rows)
        or ``skip`` (such contracts are left out and listed as warnings).

    Examples
    --------
    ``veerkracht ingest tenants huurders.csv --mapping huurders.toml``
    """
    if on_conflict not in ("error", "skip"):
        raise InputError(location, f"on_conflict must be error or skip, not {on_conflict!r}")
    mp = m.load_micro_mapping(mapping, ROLES, "tenants")
    df, first, digest = m.read_micro_file(location, mp)
    file = df.attrs.get("file", location)
    rows = np.arange(first, first + len(df))
    f = pd.DataFrame({"row": rows, "dwelling": m.need(m.text(df, mp, "dwelling")).to_numpy(),
                      "area": m.need(m.text(df, mp, "area")).to_numpy(),
                      "start": _dates(df, mp, "start", first, True).to_numpy(),
                      "end": _dates(df, mp, "end", first, False).to_numpy(),
                      "year": m.need(m.numbers(df, mp, "year", first, whole=True)).to_numpy(),
                      "income_group": m.need(m.categories(df, mp, "income_group", INCOME_GROUPS, first)).to_numpy()})
    hh, fl = m.text(df, mp, "household"), m.text(df, mp, "flags")
    f["household"] = None if hh is None else hh.to_numpy()
    f["flags"] = "" if fl is None else fl.fillna("").to_numpy()
    for role, col in (("dwelling", "dwelling"), ("area", "area"), ("year", "year")):
        miss = f[col].isna()
        if miss.any():
            raise InputError(file, f"{role} is empty", row=int(f.loc[miss, "row"].iloc[0]), column=mp.columns[role])
    problems: list = []
    for r in f.loc[f["end"].notna() & (f["end"] < f["start"]), "row"]:
        _problem(problems, r, "the contract ends before it starts")
    # one contract = dwelling + start; its rows must agree on area, end and household
    f["contract"] = f.groupby(["dwelling", "start"], sort=False).ngroup()
    for col in ("area", "end", "household"):
        n = f.groupby("contract")[col].nunique(dropna=False)
        for c in n.index[n > 1]:
            part = f[f["contract"] == c]
            _problem(problems, part["row"].iloc[1], f"the rows of one contract (dwelling {part['dwelling'].iloc[0]}, "
                                                    f"start {part['start'].iloc[0]:%Y-%m-%d}) differ in {col}")
    dup = f.duplicated(["contract", "year"], keep="first")
    for r in f.loc[dup, "row"]:
        _problem(problems, r, "a second income for the same contract and year")
    y = f["year"].astype(int)
    out_of = (y < f["start"].dt.year) | (f["end"].notna() & (y > f["end"].dt.year))
    for r in f.loc[out_of, "row"]:
        _problem(problems, r, "the income year lies outside the contract")
    con = f.drop_duplicates("contract").sort_values(["dwelling", "start"])
    same = con["dwelling"].to_numpy()[1:] == con["dwelling"].to_numpy()[:-1]
    prev_end = con["end"].to_numpy()[:-1]
    overlap = same & (pd.isna(prev_end) | (prev_end > con["start"].to_numpy()[1:]))
    for a, b in zip(con["row"].to_numpy()[:-1][overlap], con["row"].to_numpy()[1:][overlap]):
        _problem(problems, b, f"overlaps the contract on row {a} for the same dwelling")
    warnings = _report(problems, file, on_conflict, mp.columns["start"])
    if problems:
        bad_rows = {r for r, _ in problems}
        bad = f.loc[f["row"].isin(bad_rows), "contract"].unique()
        f = f[~f["contract"].isin(bad)]
    con = f.drop_duplicates("contract")
    contracts = pd.DataFrame({"contract_id": con["contract"].astype("int64").to_numpy(),
                              "dwelling_id": con["dwelling"].to_numpy(), "household_id": con["household"].to_numpy(),
                              "area_code": con["area"].to_numpy(), "start_date": con["start"].dt.date.to_numpy(),
                              "end_date": con["end"].dt.date.to_numpy(), "flags": con["flags"].to_numpy(),
                              "src_row": con["row"].to_numpy()})
    contracts["end_date"] = contracts["end_date"].where(con["end"].notna().to_numpy(), None)
    incomes = pd.DataFrame({"contract_id": f["contract"].astype("int64").to_numpy(), "year": y.loc[f.index].to_numpy(),
                            "income_group": f["income_group"].to_numpy()})
    area_rows = f.groupby("area")["row"].apply(lambda s: sorted(s)).to_dict()
    ds = dataset or mp.get("dataset") or Path(location).stem
    prov = Provenance("tenants", str(location), digest, vintage=f"tenants {ds}",
                      options={"dataset": ds, "on_conflict": on_conflict})
    warnings.append(f"{ds}: {len(contracts)} contracts on {contracts['dwelling_id'].nunique()} dwellings in "
                    f"{contracts['area_code'].nunique()} areas, income years {int(y.min())}–{int(y.max())}")
    return MicroBatch(prov, warnings=warnings, dataset=ds, area_rows=area_rows,
                      tables={"tenant_contracts": contracts, "tenant_incomes": incomes})


@reader("tenant-flows", help="Aggregated tenant flows per area, period and income group (when no panel exists)")
def read_tenant_flows(location, mapping: str, dataset: str | None = None) -> MicroBatch:
    """Aggregated tenant flows per area, period and income group, when no panel exists.

    Parameters
    ----------
    mapping : the TOML mapping naming the columns (area, year_from, year_to, income_group, n_start, n_out, n_in,
        stay_end, optional n_ended).
    dataset : the name the flows are kept under (default: the file's name).

    Examples
    --------
    ``veerkracht ingest tenant-flows stromen.csv --mapping stromen.toml``
    """
    mp = m.load_micro_mapping(mapping, FLOW_ROLES, "tenant-flows")
    df, first, digest = m.read_micro_file(location, mp)
    file = df.attrs.get("file", location)
    f = pd.DataFrame({"src_row": np.arange(first, first + len(df)), "area_code": m.need(m.text(df, mp, "area")).to_numpy(),
                      "income_group": m.need(m.categories(df, mp, "income_group", INCOME_GROUPS, first)).to_numpy()})
    for role in ("year_from", "year_to", "n_start", "n_out", "n_in", "stay_end", "n_ended"):
        col = m.numbers(df, mp, role, first, whole=True)
        f[role] = np.nan if col is None else col.to_numpy()
        if col is not None and (col < 0).any():
            i = int(np.flatnonzero((col < 0).to_numpy())[0])
            raise InputError(file, f"{role} must not be negative", row=first + i, column=mp.columns[role])
    f["stay_start"] = f["n_start"] - f["n_out"]
    bad = f["stay_start"] < 0
    if bad.any():
        raise InputError(file, "more households left than there were at the start",
                         row=int(f.loc[bad, "src_row"].iloc[0]), column=mp.columns["n_out"])
    tot = f.groupby(["area_code", "year_from", "year_to"])[["stay_start", "stay_end"]].transform("sum")
    off = tot["stay_start"] != tot["stay_end"]
    if off.any():
        raise InputError(file, "the stayers at the end (stay_end) do not add up to the households at the start "
                               "minus those that left in this area and period", row=int(f.loc[off, "src_row"].iloc[0]),
                         column=mp.columns["stay_end"])
    ds = dataset or mp.get("dataset") or Path(location).stem
    prov = Provenance("tenant-flows", str(location), digest, vintage=f"tenant flows {ds}", options={"dataset": ds})
    area_rows = f.groupby("area_code")["src_row"].apply(lambda s: sorted(s)).to_dict()
    return MicroBatch(prov, dataset=ds, area_rows=area_rows, tables={"tenant_flows": f.drop(columns="src_row")})


# `veerkracht ingest tenants --help` shows the reader's docstring: the mapping of this module with it
read_tenants.__doc__ = f"{__doc__}\n{read_tenants.__doc__}"
read_tenant_flows.__doc__ = f"{__doc__}\n{read_tenant_flows.__doc__}"
