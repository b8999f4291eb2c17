"""Readers ``crosswalk`` (a ready crosswalk file) and ``crosswalk-addresses`` (address counts per pair).

The table logic lives here so that readers stay left of ``geo`` in the import chain;
:mod:`veerkracht.geo.crosswalk` re-exports :func:`address_crosswalk`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..store.base import Batch, Provenance
from ..store.schema import CROSSWALK_COLUMNS, normalise_crosswalk
from ._codes import normalise_codes
from .base import checksum, parse_cbs_number, read_bytes, read_table, reader

__all__ = ["address_crosswalk", "read_crosswalk_file", "read_address_crosswalk", "validate_weights"]

WEIGHT_TOLERANCE = 1e-6


def _numbers(values: pd.Series, file, column: str, first_row: int) -> pd.Series:
    """Finite numbers (decimal point or comma as the column shows); a marker or an empty cell is an error."""
    num, flags = parse_cbs_number(values, file, column, first_row)
    bad = num.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(file, f"expected a number, found {values.iloc[i]!r}", row=first_row + i, column=column)
    return num.astype("float64")


def address_crosswalk(table: pd.DataFrame, from_col: str, to_col: str, count_col: str,
                      from_version: str, to_version: str, basis: str = "addresses",
                      file="<table>") -> pd.DataFrame:
    """A crosswalk from counts of addresses (dwellings, persons …) per (source, target) pair.

    Parameters
    ----------
    table : frame with one row per pair (or per address line; rows of one pair are summed).
    from_col, to_col : code columns; bare postcodes become ``PC1011``.
    count_col : the basis count of the pair.

    Returns
    -------
    DataFrame with :data:`CROSSWALK_COLUMNS`; ``weight`` = pair count / source total and
    ``amount`` = pair count. Sources whose counts total zero are left out and listed in
    ``attrs['unmatched']``.

    Examples
    --------
    >>> t = pd.DataFrame({"pc4": ["1011", "1011"], "bu": ["BU0363AF01", "BU0363AF02"], "n": [3, 1]})
    >>> address_crosswalk(t, "pc4", "bu", "n", "lbm3-2022", "cbs2023")["weight"].tolist()
    [0.75, 0.25]
    """
    first_row = table.attrs.get("first_row", 2)
    for col in (from_col, to_col, count_col):
        if col not in table.columns:
            raise InputError(file, f"required column is missing; the table has: {', '.join(map(str, table.columns))}",
                             row=1, column=col)
    counts = _numbers(table[count_col], file, count_col, first_row)
    neg = (counts < 0).to_numpy()
    if neg.any():
        i = int(np.argmax(neg))
        raise InputError(file, f"negative count {counts.iloc[i]:g}", row=first_row + i, column=count_col)
    pairs = pd.DataFrame({"from_code": normalise_codes(table[from_col]),
                          "to_code": normalise_codes(table[to_col]), "amount": counts.to_numpy()})
    pairs = pairs.groupby(["from_code", "to_code"], as_index=False, sort=True)["amount"].sum()
    total = pairs.groupby("from_code")["amount"].transform("sum")
    unmatched = sorted(pairs.loc[total <= 0, "from_code"].unique())
    pairs = pairs[total > 0].copy()
    pairs["weight"] = pairs["amount"] / total[total > 0]
    pairs["from_version"], pairs["to_version"], pairs["basis"] = from_version, to_version, basis
    out = normalise_crosswalk(pairs[CROSSWALK_COLUMNS])
    out.attrs["unmatched"] = unmatched
    return out


def validate_weights(cw: pd.DataFrame, file, first_row: int = 2) -> None:
    """Weights must lie in [0, 1] and sum to 1 per source (within 1e-6): else an error naming the row."""
    w = cw["weight"].to_numpy(dtype=float)
    bad = (w < 0) | (w > 1 + WEIGHT_TOLERANCE) | np.isnan(w)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(file, f"weight {w[i]} outside [0, 1]", row=first_row + i, column="weight")
    keys = ["from_version", "from_code", "to_version", "basis"]
    sums = cw.groupby(keys, sort=False)["weight"].transform("sum").to_numpy()
    off = np.abs(sums - 1) > WEIGHT_TOLERANCE
    if off.any():
        i = int(np.argmax(off))
        raise InputError(file, f"weights of source {cw['from_code'].iloc[i]} sum to {sums[i]:.9g}, not 1",
                         row=first_row + i, column="weight")


@reader("crosswalk", help="Een kant-en-klare koppeltabel: from_code, to_code, weight")
def read_crosswalk_file(location, from_version: str | None = None, to_version: str | None = None,
                        basis: str | None = None) -> Batch:
    """A crosswalk file: ``from_code, to_code, weight`` [``, amount, from_version, to_version, basis``].

    Version and basis columns in the file win over the options; one of the two is required.

    Parameters
    ----------
    location : path of the CSV (or xlsx/parquet).
    from_version, to_version : the geography versions, when the file has no such columns.
    basis : what the weights rest on (``area``, ``addresses``, ``dwellings`` …), when the file does not say.

    Examples
    --------
    ``veerkracht ingest crosswalk crosswalk_ois2005_cbs2019.csv``
    """
    path = Path(location)
    data = read_bytes(path)
    df = read_table(path, required=["from_code", "to_code", "weight"], data=data)
    first_row = df.attrs["first_row"]
    for col, opt in (("from_version", from_version), ("to_version", to_version), ("basis", basis)):
        if col not in df.columns:
            if opt is None:
                raise InputError(path, f"the file has no {col} column; pass {col}=", row=1, column=col)
            df[col] = opt
        elif df[col].isna().any():
            i = int(np.argmax(df[col].isna().to_numpy()))
            raise InputError(path, f"{col} is empty", row=first_row + i, column=col)
    df["weight"] = _numbers(df["weight"], path, "weight", first_row)
    df["amount"] = (_numbers(df["amount"], path, "amount", first_row) if "amount" in df.columns
                    else np.nan)
    df["from_code"], df["to_code"] = normalise_codes(df["from_code"]), normalise_codes(df["to_code"])
    dup = df.duplicated(["from_version", "from_code", "to_version", "to_code", "basis"]).to_numpy()
    if dup.any():
        i = int(np.argmax(dup))
        raise InputError(path, f"pair {df['from_code'].iloc[i]} → {df['to_code'].iloc[i]} appears twice",
                         row=first_row + i, column="to_code")
    validate_weights(df, path, first_row)
    prov = Provenance("crosswalk", str(location), checksum(data),
                      options={"from_version": from_version, "to_version": to_version, "basis": basis})
    return Batch(prov, crosswalk=normalise_crosswalk(df[CROSSWALK_COLUMNS]))


@reader("crosswalk-addresses", help="Koppeltabel uit adresaantallen per (bron, doel)-paar, bv. PC4 → buurt")
def read_address_crosswalk(location, from_version: str | None = None, to_version: str | None = None,
                           from_column: str | None = None, to_column: str | None = None,
                           count_column: str | None = None, basis: str = "addresses") -> Batch:
    """Address (or dwelling) counts per pair → crosswalk. Columns default to the first three.

    Parameters
    ----------
    location : path of the CSV: one row per (source, target) pair or per address line.
    from_version, to_version : the geography versions of the two code columns (required).
    from_column, to_column, count_column : default the first, second and third column.
    basis : what is counted (default ``addresses``).

    Examples
    --------
    ``veerkracht ingest crosswalk-addresses pc4_buurt2022_adressen.csv -o from_version=lbm3-2022 -o to_version=cbs2023``
    """
    path = Path(location)
    for opt, val in (("from_version", from_version), ("to_version", to_version)):
        if not val:
            raise InputError(path, f"option {opt} is required")
    data = read_bytes(path)
    df = read_table(path, data=data)
    if df.shape[1] < 3 and not (from_column and to_column and count_column):
        raise InputError(path, "expected three columns: source code, target code, count", row=1)
    cols = [from_column or df.columns[0], to_column or df.columns[1], count_column or df.columns[2]]
    cw = address_crosswalk(df, *cols, from_version, to_version, basis=basis, file=path)
    warnings = ([f"{len(cw.attrs['unmatched'])} source(s) with a zero total left out: "
                 + ", ".join(cw.attrs["unmatched"])] if cw.attrs["unmatched"] else [])
    prov = Provenance("crosswalk-addresses", str(location), checksum(data),
                      options={"from_version": from_version, "to_version": to_version,
                               "columns": cols, "basis": basis})
    return Batch(prov, crosswalk=cw, warnings=warnings)
