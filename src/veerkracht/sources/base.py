"""What every reader shares: the registry, checksums, text decoding, CBS markers, validation.

A reader is a function ``read(location, **options) -> Batch`` registered under a kind name with
:func:`reader`. It never computes analyses; it turns one file or API answer into validated rows of
the store's schema, or raises :class:`~veerkracht.errors.InputError` naming file, row and column.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

import pandas as pd

from ..errors import InputError
from ._input import check_zip, read_bytes, read_csv_frame, to_utf8
from ._xls import read_xls_frame
from ._numbers import MARKER_VALUES, TEXT_MARKERS, parse_numbers

__all__ = [
    "reader", "READERS", "get_reader", "checksum", "read_bytes", "decode_text", "read_table",
    "CBS_MARKERS", "parse_cbs_number", "check_rates", "check_counts", "check_duplicates",
]

READERS: dict[str, Callable] = {}


def reader(kind: str, help: str = ""):
    """Register ``fn`` as the reader of ``kind`` (``veerkracht ingest <kind> …``)."""
    def deco(fn):
        fn.kind = kind
        fn.help = help or (fn.__doc__ or "").strip().splitlines()[0]
        READERS[kind] = fn
        return fn
    return deco


def get_reader(kind: str) -> Callable:
    from . import _load_all  # noqa: F401  (imports every reader module, filling READERS)
    try:
        return READERS[kind]
    except KeyError:
        raise InputError(kind, f"unknown reader kind {kind!r}; known kinds: {', '.join(sorted(READERS))}") from None


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_text(data: bytes, file) -> str:
    """UTF-8 (with or without BOM), UTF-16, falling back to cp1252 — the encoding of Dutch Excel exports."""
    return to_utf8(data, file).decode("utf-8")


def read_table(path: str | Path, required: list[str] | None = None, sheet: str | int | None = None,
               data: bytes | None = None, delimiter: str | None = None, encoding: str | None = None,
               allow_unterminated: bool = False) -> pd.DataFrame:
    """Read CSV (any of , ; tab |), xlsx, xls or parquet into a frame of *strings* (csv/xlsx/xls).

    Keeps every value as text so that CBS markers can be told from numbers afterwards.
    Rows are numbered as in the file: ``df.attrs['first_row']`` is the file line of ``df.iloc[0]``.
    CSV goes through :func:`~._input.read_csv_frame` (pyarrow; clear errors for broken rows).
    """
    path = Path(path)
    suffixes = [s.lower() for s in path.suffixes]
    if ".parquet" in suffixes:
        try:
            df = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, …: all mean "not this format"
            raise InputError(path, f"cannot read as a Parquet file: {exc}") from None
    elif ".xlsx" in suffixes or ".xlsm" in suffixes:
        check_zip(path)
        try:
            df = pd.read_excel(path, sheet_name=sheet or 0, dtype=str)
        except Exception as exc:  # openpyxl raises many kinds; all mean the same to the user
            raise InputError(path, f"cannot read as an Excel workbook: {exc}") from None
        df = df.astype("str").where(df.notna(), None)
    elif suffixes and suffixes[-1] in (".xls", ".xlt"):
        df = read_xls_frame(path, sheet=sheet, data=data)
    else:
        df = read_csv_frame(data if data is not None else read_bytes(path), path, delimiter=delimiter,
                            encoding=encoding, allow_unterminated=_truthy(allow_unterminated))
        if df.shape[1] == 1 and required and len(required) > 1:
            raise InputError(path, f"found a single column {df.columns[0]!r}: wrong delimiter? "
                                   "expected one of , ; tab |", row=1)
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    if df.empty:
        raise InputError(path, "has a header but no data rows", row=2)
    for col in required or []:
        if col not in df.columns:
            raise InputError(path, f"required column is missing; the file has: {', '.join(map(str, df.columns))}",
                             row=1, column=col)
    df.attrs["first_row"] = 2
    df.attrs["file"] = str(path)
    return df


def _truthy(v) -> bool:
    """Options arrive as text from the command line: 'true', '1', 'yes' are True."""
    return v if isinstance(v, bool) else str(v).strip().lower() in ("1", "true", "yes", "y", "on")


# CBS publishes these instead of numbers. None of them may ever become a number.
CBS_MARKERS = {**TEXT_MARKERS, **{str(int(k)): v for k, v in MARKER_VALUES.items()}}


def parse_cbs_number(values: pd.Series, file, column: str, first_row: int = 2, decimal: str | None = None,
                     percent: bool = False, missing_codes=()) -> tuple[pd.Series, pd.Series]:
    """Parse a column of text into floats; markers become NaN with a flag (see :mod:`._numbers`).

    Returns ``(numbers, flags)``.
    """
    return parse_numbers(values, file, column, first_row, decimal=decimal, percent=percent,
                         missing_codes=missing_codes)


def check_rates(values: pd.Series, file, column: str, upper: float = 100.0, first_row: int = 2,
                mode: str = "flag") -> pd.Series:
    """Percentages must lie in [0, upper]. Returns flags; raises when ``mode == 'error'``."""
    bad_hi = values > upper + 1e-9
    bad_lo = values < 0
    if mode == "error" and (bad_hi.any() or bad_lo.any()):
        i = (bad_hi | bad_lo).to_numpy().argmax()
        raise InputError(file, f"percentage {values.iloc[i]} outside 0–{upper:g}", row=first_row + i,
                         column=column)
    flags = pd.Series("", index=values.index, dtype="string")
    flags[bad_hi] = "pct_over_100"
    flags[bad_lo] = "negative_value"
    return flags


def check_counts(values: pd.Series, file, column: str, first_row: int = 2) -> None:
    """Counts can't be negative: an error naming the first bad row."""
    neg = values < 0
    if neg.any():
        i = neg.to_numpy().argmax()
        raise InputError(file, f"negative count {values.iloc[i]:g}", row=first_row + i, column=column)


def check_duplicates(df: pd.DataFrame, keys: list[str], file, first_row: int = 2,
                     column: str | None = None) -> None:
    """Raise on the first row whose ``keys`` repeat an earlier row; ``column`` names it in the error."""
    dup = df.duplicated(keys, keep="first")
    if dup.any():
        i = dup.to_numpy().argmax()
        first = df.duplicated(keys, keep=False).to_numpy().argmax()
        vals = ", ".join(f"{k}={df[k].iloc[i]}" for k in keys)
        raise InputError(file, f"duplicate {vals} (first seen on row {first_row + first})",
                         row=first_row + i, column=column or (keys[-1] if len(keys) == 1 else keys[0]))
