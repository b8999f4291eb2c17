"""What the survey and tenant readers share: the mapping file, reading the data file, and turning a
file's codes and labels into the store's categories with errors that name column, value and row.

A mapping is TOML::

    dataset = "woon2018"            # optional; default: the data file's name
    [columns]                       # role = column in the file
    weight = "gewicht"
    tenure = "eigendom"
    [values.tenure]                 # the file's value (its SPSS label, or the text) = category
    "Huurwoning corporatie" = "corporation"
    [missing]
    values = ["Weet niet", "Onbekend"]   # values that mean 'not known' in any column

In an SPSS file the value labels are applied first, so ``[values.<role>]`` names labels; a code that
has no label in a labelled column is an error. A value neither missing nor mapped is an error naming
the column, the value and the first row holding it.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ._input import read_bytes
from .base import checksum, read_table

__all__ = ["MicroMapping", "load_micro_mapping", "read_micro_file", "categories", "flags", "numbers", "text",
           "FLAG_WORDS", "need"]

#: yes/no values understood without a [values.<role>] table
FLAG_WORDS = {"1": True, "0": False, "ja": True, "nee": False, "yes": True, "no": False, "true": True,
              "false": False, "j": True, "n": False, "1.0": True, "0.0": False}


class MicroMapping(dict):
    """The parsed mapping, with its path (for errors) and the roles it may name."""

    def __init__(self, path: Path, data: dict, roles: dict[str, bool]):
        super().__init__(data)
        self.path, self.roles = path, roles

    @property
    def columns(self) -> dict[str, str]:
        return self.get("columns", {})

    def labels(self, role: str) -> dict:
        """``[values.<role>]``: the file's values mapped to categories (empty when not given)."""
        return self.get("values", {}).get(role, {})

    @property
    def missing(self) -> set[str]:
        return {str(v).strip() for v in self.get("missing", {}).get("values", [])}


def load_micro_mapping(path, roles: dict[str, bool], kind: str) -> MicroMapping:
    """Parse a mapping; ``roles`` maps each role to whether it is required."""
    path = Path(path)
    try:
        data = tomllib.loads(read_bytes(path).decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise InputError(path, f"not valid TOML: {exc}", row=int(m.group(1)) if m else None) from None
    for key in sorted(set(data) - {"dataset", "columns", "values", "missing", "sheet"}):
        raise InputError(path, f"unknown key {key!r}; valid keys: columns, dataset, missing, sheet, values",
                         column=key)
    cols = data.get("columns")
    if not isinstance(cols, dict):
        raise InputError(path, f"needs a [columns] table naming the file's column for each role "
                               f"({', '.join(roles)}); see `veerkracht ingest {kind} --help`", column="columns")
    for role in sorted(set(cols) - set(roles)):
        raise InputError(path, f"unknown role {role!r} in [columns]; roles: {', '.join(roles)}", column=role)
    for role, required in roles.items():
        if required and role not in cols:
            raise InputError(path, f"[columns] must name the column of role {role!r}", column=role)
    for role in sorted(set(data.get("values", {})) - set(roles)):
        raise InputError(path, f"[values.{role}]: unknown role; roles: {', '.join(roles)}", column=role)
    return MicroMapping(path, data, roles)


def read_micro_file(location, mapping: MicroMapping) -> tuple[pd.DataFrame, int, str]:
    """``(frame of text and numbers, number of the first data row, sha256)``; SPSS value labels applied."""
    path = Path(location)
    data = read_bytes(path)
    digest = checksum(data + Path(mapping.path).read_bytes())
    if path.suffix.lower() in (".sav", ".zsav"):
        import pyreadstat
        try:
            df, meta = pyreadstat.read_sav(str(path), apply_value_formats=False, user_missing=False)
        except Exception as exc:   # pyreadstat raises its own ReadstatError and OSError
            raise InputError(path, f"cannot read as an SPSS file: {exc}") from None
        for col, labels in meta.variable_value_labels.items():
            if col not in df or not labels:
                continue
            coded = df[col]
            lab = coded.map(lambda v, labels=labels: labels.get(v, labels.get(float(v)) if v == v else None))
            unknown = coded.notna() & lab.isna()
            if unknown.any():
                i = int(np.flatnonzero(unknown.to_numpy())[0])
                raise InputError(path, f"code {_plain(coded.iloc[i])} has no value label (labels: "
                                       f"{', '.join(f'{_plain(k)}={v}' for k, v in list(labels.items())[:8])})",
                                 row=i + 1, column=col)
            df[col] = lab.astype(object)
        df.attrs["file"] = str(path)
        return df, 1, digest
    df = read_table(path, required=list(mapping.columns.values()), sheet=mapping.get("sheet"), data=data)
    return df, int(df.attrs.get("first_row", 2)), digest


def need(col: pd.Series | None) -> pd.Series:
    """A required role's column (the mapping was checked to name it)."""
    if col is None:
        raise ValueError("a required role has no column")
    return col


def _plain(v) -> str:
    return str(int(v)) if isinstance(v, float) and v == int(v) else str(v)


def _col(df: pd.DataFrame, mapping: MicroMapping, role: str) -> pd.Series | None:
    name = mapping.columns.get(role)
    if name is None:
        return None
    if name not in df.columns:
        raise InputError(mapping.path, f"[columns] {role} = {name!r}, but the data file has no such column; it has: "
                                       f"{', '.join(map(str, df.columns))}", column=role)
    return df[name]


def _keys(col: pd.Series) -> pd.Series:
    """Each value as the text a mapping names it by (``2.0`` → ``"2"``); missing is None (object column)."""
    uniq = pd.unique(col)
    table = {v: (None if v is None or (isinstance(v, float) and v != v) or v is pd.NA else _plain(v).strip())
             for v in uniq}
    return pd.Series(col.map(table).to_numpy(dtype=object), index=col.index, dtype=object)


def _lookup(df, mapping, role, first_row, table: dict, what: str) -> pd.Series | None:
    col = _col(df, mapping, role)
    if col is None:
        return None
    keys = _keys(col)
    keys[keys.isin(mapping.missing) | (keys == "")] = None
    look = {k: table.get(k, table.get(k.lower())) for k in pd.unique(keys) if isinstance(k, str)}
    out = pd.Series(keys.map(look).to_numpy(dtype=object), index=keys.index, dtype=object)
    bad = keys.notna() & out.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(getattr(df, "attrs", {}).get("file", mapping.path),
                         f"unknown value {keys.iloc[i]!r} for {role}: map it in [values.{role}] of {mapping.path} "
                         f"to one of {what}, or list it under [missing]", row=first_row + i,
                         column=mapping.columns[role])
    return out


def categories(df, mapping: MicroMapping, role: str, allowed: tuple[str, ...], first_row: int) -> pd.Series | None:
    """The role's column as categories in ``allowed``; None when the mapping does not name it."""
    given = mapping.labels(role)
    for k, v in given.items():
        if v not in allowed:
            raise InputError(mapping.path, f"[values.{role}] {k!r} = {v!r}: not one of {', '.join(allowed)}",
                             column=role)
    table = {str(k).strip(): v for k, v in given.items()} or {a: a for a in allowed}
    return _lookup(df, mapping, role, first_row, table, ", ".join(allowed))


def flags(df, mapping: MicroMapping, role: str, first_row: int) -> pd.Series | None:
    """A yes/no role as booleans (missing stays missing)."""
    given = {str(k).strip(): bool(v) for k, v in mapping.labels(role).items()}
    out = _lookup(df, mapping, role, first_row, given or FLAG_WORDS, "true or false")
    return None if out is None else out.astype("boolean")


def numbers(df, mapping: MicroMapping, role: str, first_row: int, positive: bool = False,
            whole: bool = False) -> pd.Series | None:
    """A numeric role; text that is no number (or ≤ 0 with ``positive``) is an error naming the row."""
    col = _col(df, mapping, role)
    if col is None:
        return None
    keys = _keys(col)
    keys[keys.isin(mapping.missing) | (keys == "")] = None
    num = pd.to_numeric(keys.map(lambda k: k.replace(",", ".") if isinstance(k, str) else None), errors="coerce")
    bad = keys.notna() & (num.isna() | (num <= 0 if positive else False) | ((num % 1 != 0) if whole else False))
    if bad.any() or (positive and num.isna().any()):
        i = int(np.flatnonzero((bad | (num.isna() if positive else False)).to_numpy())[0])
        need = "a number > 0" if positive else ("a whole number" if whole else "a number")
        raise InputError(df.attrs.get("file", mapping.path), f"{role} must be {need}, found {keys.iloc[i]!r}",
                         row=first_row + i, column=mapping.columns[role])
    return num


def text(df, mapping: MicroMapping, role: str) -> pd.Series | None:
    col = _col(df, mapping, role)
    return None if col is None else _keys(col)
