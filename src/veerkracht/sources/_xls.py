"""Old Excel workbooks (.xls, BIFF), as CBS published the Kerncijfers wijken en buurten 2013–2019.

Read with ``xlrd`` into the same frame of text the xlsx path gives (header on line 1, rows numbered as
in Excel), so the KWB checks and their messages (file, row, column) are the same. Cells become text
the way a user sees them in Excel, never a silent gap: a number ``2220.0`` is ``'2220'``, ``1.9`` is
``'1.9'``; an error cell is its Excel text (``'#DIV/0!'``), which the number parser then reports on its
row and column; a date cell is an ISO date (again not a number).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError

__all__ = ["read_xls_frame"]


def _cell_text(cell, datemode: int) -> str | None:
    import xlrd
    kind, value = cell.ctype, cell.value
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if kind == xlrd.XL_CELL_NUMBER:
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if kind == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if value else "FALSE"
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(value, f"#ERROR{value}")
    if kind == xlrd.XL_CELL_DATE:
        try:
            return pd.Timestamp(xlrd.xldate_as_datetime(value, datemode)).isoformat()
        except Exception:  # xlrd raises XLDateError subclasses for impossible dates: show the number
            return repr(float(value))
    return str(value)


def read_xls_frame(path: Path, sheet: str | int | None = None, data: bytes | None = None) -> pd.DataFrame:
    """The sheet (name or 0-based number; default the first) of an .xls as a frame of text.

    The first row is the header; ``first_row`` of the result is 2 like the other readers'. A file
    that is not a BIFF workbook, a missing sheet or an empty or duplicated header is an
    :class:`InputError`.
    """
    import xlrd
    try:
        book = xlrd.open_workbook(file_contents=data if data is not None else Path(path).read_bytes(),
                                  on_demand=True, ragged_rows=True)
    except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct.error …: all mean "not an .xls"
        raise InputError(path, f"cannot read as an old Excel workbook (.xls): {exc}") from None
    try:
        names = book.sheet_names()
        if sheet is None or sheet == "":
            sheet = 0
        if isinstance(sheet, str) and sheet.strip().lstrip("-").isdigit() and sheet not in names:
            sheet = int(sheet)
        if isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise InputError(path, f"no sheet number {sheet}: the workbook has {len(names)} sheet(s) "
                                       f"({', '.join(names)}); sheet= counts from 0")
            sh = book.sheet_by_index(sheet)
        elif sheet in names:
            sh = book.sheet_by_name(sheet)
        else:
            raise InputError(path, f"no sheet named {sheet!r}; the workbook has: {', '.join(names)}")
        if sh.nrows == 0:
            raise InputError(path, "the sheet is empty: expected a header row", row=1)
        header = [_cell_text(c, book.datemode) for c in sh.row(0)]
        if not header or all(h is None or not str(h).strip() for h in header):
            raise InputError(path, "the first row (the header) is empty", row=1)
        width = len(header)
        columns = []
        for j, h in enumerate(header):
            name = str(h).strip() if h is not None and str(h).strip() else f"Unnamed: {j}"
            if name in columns:
                raise InputError(path, "duplicate column name in the header", row=1, column=name)
            columns.append(name)
        rows = []
        for i in range(1, sh.nrows):
            cells = [_cell_text(c, book.datemode) for c in sh.row(i)]
            if len(cells) > width and any(c is not None for c in cells[width:]):
                j = width + next(k for k, c in enumerate(cells[width:]) if c is not None)
                raise InputError(path, f"a value {cells[j]!r} beyond the last named column", row=i + 1,
                                 column=f"column {j + 1}")
            rows.append((cells + [None] * width)[:width])
    except InputError:
        raise
    except Exception as exc:  # a damaged sheet record: xlrd raises assorted errors
        raise InputError(path, f"cannot read as an old Excel workbook (.xls): {exc}") from None
    finally:
        book.release_resources()
    df = pd.DataFrame(rows, columns=columns, dtype=object)
    # trailing rows with no value at all (formatted but empty cells) are not data, as pandas drops them
    filled = df.notna().any(axis=1).to_numpy()
    if filled.any():
        df = df.iloc[: int(len(filled) - filled[::-1].argmax())]
    else:
        df = df.iloc[:0]
    return df
