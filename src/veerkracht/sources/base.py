"""What every reader shares: the registry, checksums, text decoding, CBS markers, validation.

A reader is a function ``read(location, **options) -> Batch`` registered under a kind name with
:func:`reader`. It never computes analyses; it turns one file or API answer into validated rows of
the store's schema, or raises :class:`~veerkracht.errors.InputError` naming file, row and column.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..errors import InputError

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
        raise InputError(kind, f"unknown reader kind {kind!r}; known kinds: {', '.join(sorted(READERS))}")


def read_bytes(path: str | Path) -> bytes:
    p = Path(path)
    if not p.exists():
        raise InputError(p, "file does not exist")
    if p.is_dir():
        raise InputError(p, "is a directory, expected a file")
    data = p.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if not data.strip():
        raise InputError(p, "file is empty")
    return data


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_text(data: bytes, file) -> str:
    """UTF-8 (with or without BOM), falling back to cp1252 — the encoding of Dutch Excel exports."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(file, f"cannot decode byte {data[exc.start]:#04x} as UTF-8 or cp1252", row=line)


def read_table(path: str | Path, required: list[str] | None = None, sheet: str | int | None = None,
               data: bytes | None = None) -> pd.DataFrame:
    """Read CSV (any of , ; tab |), xlsx or parquet into a frame of *strings* (csv/xlsx).

    Keeps every value as text so that CBS markers can be told from numbers afterwards.
    Rows are numbered as in the file: ``df.attrs['first_row']`` is the file line of ``df.iloc[0]``.
    """
    path = Path(path)
    suffixes = [s.lower() for s in path.suffixes]
    if ".parquet" in suffixes:
        df = pd.read_parquet(path)
    elif ".xlsx" in suffixes or ".xlsm" in suffixes:
        try:
            df = pd.read_excel(path, sheet_name=sheet or 0, dtype=str)
        except Exception as exc:  # openpyxl raises many kinds; all mean the same to the user
            raise InputError(path, f"cannot read as an Excel workbook: {exc}")
    else:
        text = decode_text(data if data is not None else read_bytes(path), path)
        sample = "\n".join(text.splitlines()[:20])
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
            delim = dialect.delimiter
        except csv.Error:
            delim = ","
        df = pd.read_csv(io.StringIO(text), sep=delim, dtype=str, keep_default_na=False,
                         na_values=[""], skipinitialspace=True)
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


# CBS publishes these instead of numbers. None of them may ever become a number.
CBS_MARKERS = {
    ".": "cbs_marker:.",             # not available / secret
    "-99995": "cbs_marker:-99995",   # PDOK: not available yet / suppressed
    "-99997": "cbs_marker:-99997",   # old shapefiles: secret
    "-99991": "cbs_marker:-99991",   # PDOK: no longer published (at this level)
    "-99999999": "cbs_marker:-99999999",  # old shapefiles: not available
    "x": "cbs_marker:x",
    "?": "cbs_marker:?",
}


def parse_cbs_number(values: pd.Series, file, column: str, first_row: int = 2) -> tuple[pd.Series, pd.Series]:
    """Parse a column of text into floats; markers become NaN with a flag.

    Accepts the Dutch decimal comma. Anything else that is not a number is an error naming the row.
    Returns ``(numbers, flags)``.
    """
    s = values.astype("string").str.strip()
    flags = pd.Series("", index=s.index, dtype="string")
    is_marker = s.isin(list(CBS_MARKERS))
    flags[is_marker] = s[is_marker].map(CBS_MARKERS)
    is_empty = s.isna() | (s == "") | s.str.upper().isin(["NA", "NAN"])
    flags[is_empty & ~is_marker] = "missing"
    todo = ~is_marker & ~is_empty
    txt = s[todo]
    # "1.234,5" (Dutch) -> "1234.5"; "12,5" -> "12.5"
    dutch = txt.str.contains(",", regex=False)
    txt = txt.where(~dutch, txt.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    num = pd.to_numeric(txt, errors="coerce")
    bad = num.isna()
    if bad.any():
        label = bad[bad].index[0]   # `bad` covers only the non-marker, non-empty cells
        pos = s.index.get_loc(label)
        raise InputError(file, f"expected a number or a CBS marker, found {s.loc[label]!r}",
                         row=first_row + int(pos), column=column)
    out = pd.Series(np.nan, index=s.index, dtype="float64")
    out[todo] = num.astype("float64")
    return out, flags


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
