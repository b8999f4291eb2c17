"""Private microdata: survey respondents and a corporation's tenant contracts, kept beside the facts.

These tables hold person- and household-level rows that the user brought (WoON files, tenant records).
They are *private*: no output reads them row by row. Analyses read them through :func:`survey` and
:func:`tenant_panel` and return only aggregates with small cells blanked (below
:data:`~veerkracht.indicators.reliability.SUPPRESS_MIN_DENOMINATOR` respondents or households, or
:data:`~veerkracht.indicators.reliability.SUPPRESS_MIN_NUMERATOR` in a numerator). The facts view,
the exports, the web API and the report know nothing of these tables
(:data:`~.schema.PRIVATE_TABLES`), so a person-level export is impossible through them.

Tables are created with ``IF NOT EXISTS`` when first written (an older store gains them by an
ingest); a store without them reads as holding no microdata. A batch of microdata is written in the
same transaction as its provenance row, so the same file twice changes nothing (``--force`` replaces
the dataset's rows).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import InputError, StoreError
from .base import Batch
from .schema import (PRIVATE_TABLES, SURVEY_CATEGORIES, SURVEY_COLUMNS, SURVEY_FLAGS, TENANT_CONTRACT_COLUMNS,
                     TENANT_FLOW_COLUMNS, TENANT_INCOME_COLUMNS)

__all__ = ["MicroBatch", "MICRO_DDL", "ingest_any", "survey", "tenant_panel", "tenant_outline", "tenant_flows", "datasets",
           "PRIVATE_TABLES"]

_CAT = ", ".join(f"{c} VARCHAR" for c in SURVEY_CATEGORIES)
_FLAGS = ", ".join(f"{c} BOOLEAN" for c in SURVEY_FLAGS)
MICRO_DDL = f"""
CREATE TABLE IF NOT EXISTS survey_respondents (
    dataset VARCHAR NOT NULL, src_row INTEGER, year INTEGER NOT NULL, weight DOUBLE NOT NULL, stratum VARCHAR,
    psu VARCHAR, area_code VARCHAR, {_CAT}, {_FLAGS}, provenance_id INTEGER
);
CREATE TABLE IF NOT EXISTS tenant_contracts (
    dataset VARCHAR NOT NULL, contract_id BIGINT NOT NULL, dwelling_id VARCHAR NOT NULL, household_id VARCHAR,
    area_code VARCHAR NOT NULL, start_date DATE NOT NULL, end_date DATE, flags VARCHAR, src_row INTEGER,
    provenance_id INTEGER
);
CREATE TABLE IF NOT EXISTS tenant_incomes (
    dataset VARCHAR NOT NULL, contract_id BIGINT NOT NULL, year INTEGER NOT NULL, income_group VARCHAR
);
CREATE TABLE IF NOT EXISTS tenant_flows (
    dataset VARCHAR NOT NULL, area_code VARCHAR NOT NULL, year_from INTEGER NOT NULL, year_to INTEGER NOT NULL,
    income_group VARCHAR NOT NULL, n_start DOUBLE, n_out DOUBLE, n_in DOUBLE, stay_start DOUBLE, stay_end DOUBLE,
    n_ended DOUBLE, provenance_id INTEGER
);
"""
_COLUMNS = {"survey_respondents": SURVEY_COLUMNS, "tenant_contracts": TENANT_CONTRACT_COLUMNS,
            "tenant_incomes": TENANT_INCOME_COLUMNS, "tenant_flows": TENANT_FLOW_COLUMNS}


@dataclass
class MicroBatch(Batch):
    """A :class:`~.base.Batch` that carries private rows: ``tables`` maps a private table to its rows,
    all of one ``dataset``; ``area_rows`` maps area codes to the file rows that hold them (checked
    against the store's areas at ingest)."""

    dataset: str = ""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    area_rows: dict[str, list[int]] = field(default_factory=dict)

    def summary(self) -> dict:
        return {**super().summary(), **{t: len(df) for t, df in self.tables.items()}}


def _has(store, table: str) -> bool:
    return store._has_table(table)


def _check_areas(store, batch: MicroBatch) -> list[str]:
    """Unknown area codes are an error naming their rows; a store without areas gives a warning."""
    if not batch.area_rows:
        return []
    known = set(store._area_codes(None)["code"].astype(str)) if hasattr(store, "_area_codes") else set()
    if not known:
        return [f"the store holds no areas: the {len(batch.area_rows)} area code(s) of {batch.provenance.location} "
                "were not checked (load the geometry first)"]
    bad = sorted((rows[0], code, len(rows)) for code, rows in batch.area_rows.items() if code not in known)
    if bad:
        listed = "; ".join(f"{code!r} on row {row}" + (f" (and {n - 1} more rows)" if n > 1 else "")
                           for row, code, n in bad[:5])
        raise InputError(batch.provenance.location, f"{len(bad)} area code(s) unknown to the store: {listed}",
                         row=bad[0][0], column="area")
    return []


def ingest_any(store, batch: Batch, force: bool = False, replace: bool = False) -> dict:
    """``store.ingest(batch)``; for a :class:`MicroBatch` its private rows too, in the same transaction."""
    if not isinstance(batch, MicroBatch):
        return store.ingest(batch, force=force, replace=replace)
    with store.transaction():
        warnings = _check_areas(store, batch)
        res = store.ingest(batch, force=force, replace=replace)
        if res["skipped"]:
            return res
        held = [t for t in batch.tables if batch.dataset in datasets(store, t)]
        if held and not (force or replace):      # another file under the same name: never replaced unasked
            raise StoreError(f"the store already holds dataset {batch.dataset!r} ({', '.join(held)}): pass --replace "
                             "to replace it, or give this file another name with -o dataset=NAME")
        store.ensure_private_tables()
        for table in PRIVATE_TABLES:           # --force: the dataset's rows are replaced
            if _has(store, table):
                store.private_exec(f"DELETE FROM {table} WHERE dataset = ?", [batch.dataset])
        for table, df in batch.tables.items():
            rows = df.reindex(columns=_COLUMNS[table]).assign(dataset=batch.dataset)
            extra = {"provenance_id": int(res["provenance_id"])} if table != "tenant_incomes" else {}
            store.private_insert(table, rows, _COLUMNS[table], extra)
    return {**res, "warnings": res.get("warnings", []) + warnings, "dataset": batch.dataset,
            "microdata": {t: len(df) for t, df in batch.tables.items()}}


def datasets(store, table: str) -> list[str]:
    """The datasets a private table holds (empty when the table does not exist); on PostGIS those of the
    connection's organisation only (row-level security)."""
    if not _has(store, table):
        return []
    return list(store.private_query(f"SELECT DISTINCT dataset FROM {table} ORDER BY 1")["dataset"])


def _one_dataset(store, table: str, dataset: str | None) -> str | None:
    have = datasets(store, table)
    if dataset is None:
        if len(have) > 1:
            raise StoreError(f"the store holds several datasets in {table} ({', '.join(have)}): choose one "
                             "with -o dataset=…")
        return have[0] if have else None
    if dataset not in have:
        raise StoreError(f"no dataset {dataset!r} in {table}; the store holds: {', '.join(have) or 'none'}")
    return dataset


def _read(store, table: str, dataset: str | None) -> pd.DataFrame:
    ds = _one_dataset(store, table, dataset)
    if ds is None:
        return pd.DataFrame(columns=_COLUMNS[table])
    return store.private_query(f"SELECT {', '.join(_COLUMNS[table])} FROM {table} WHERE dataset = ?", [ds])


def survey(store, dataset: str | None = None) -> pd.DataFrame:
    """The respondents of one survey dataset (empty frame when the store holds none). Private: for
    analyses only, which must return aggregates with small cells blanked."""
    return _read(store, "survey_respondents", dataset)


def tenant_panel(store, dataset: str | None = None, years: tuple[int, int] | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(contracts, incomes)`` of one tenant dataset (empty frames when the store holds none).

    With ``years = (y0, y1)`` only what a comparison of the two snapshots needs is read: the contracts
    running at some time between 31 December of ``y0`` and of ``y1`` (without ids, flags and rows) and
    their incomes of those two years — a national panel then costs seconds, not its whole history.
    """
    ds = _one_dataset(store, "tenant_contracts", dataset)
    if ds is None:
        return pd.DataFrame(columns=TENANT_CONTRACT_COLUMNS), pd.DataFrame(columns=TENANT_INCOME_COLUMNS)
    q = store.private_query
    if years is None:
        contracts = q(f"SELECT {', '.join(TENANT_CONTRACT_COLUMNS)} FROM tenant_contracts WHERE dataset = ?", [ds])
        incomes = q("SELECT contract_id, year, income_group FROM tenant_incomes WHERE dataset = ?", [ds])
        return contracts, incomes
    y0, y1 = int(years[0]), int(years[1])
    span = ("dataset = ? AND start_date <= make_date(?, 12, 31) AND (end_date IS NULL OR end_date > "
            "make_date(?, 12, 31))")
    contracts = q(f"SELECT contract_id, area_code, start_date, end_date FROM tenant_contracts WHERE {span}", [ds, y1, y0])
    # the two years' incomes, kept for the contracts above here rather than by an IN-subquery: under
    # PostgreSQL's row-level security, tables not yet analysed got a nested-loop plan taking minutes
    incomes = q("SELECT contract_id, year, income_group FROM tenant_incomes WHERE dataset = ? AND year IN (?, ?)",
                [ds, y0, y1])
    incomes = incomes[incomes["contract_id"].isin(contracts["contract_id"])].reset_index(drop=True)
    return contracts, incomes


def tenant_outline(store, dataset: str | None = None) -> tuple[list[str], list[int]]:
    """``(area codes, income years)`` of one tenant dataset, without reading its rows."""
    ds = _one_dataset(store, "tenant_contracts", dataset)
    if ds is None:
        return [], []
    codes = list(store.private_query("SELECT DISTINCT area_code FROM tenant_contracts WHERE dataset = ?", [ds])["area_code"])
    years = [int(y) for y in store.private_query("SELECT DISTINCT year FROM tenant_incomes WHERE dataset = ? ORDER BY 1",
                                                 [ds])["year"]]
    return codes, years


def tenant_flows(store, dataset: str | None = None) -> pd.DataFrame:
    """Aggregated flows of one dataset (empty frame when the store holds none)."""
    return _read(store, "tenant_flows", dataset)
