"""Bytes in, a frame of text out: decompression limits, file-type sniffing, encodings, CSV parsing.

Every reader gets its input through :func:`read_bytes` (files) so that no input can exhaust memory by
decompression (a 1 MiB gzip that expands to 1 GiB stops at the limit with a clear error), and through
:func:`read_csv_frame` so that CSV text is parsed by pyarrow's multi-threaded reader into Arrow-backed
string columns (no Python string per cell). Rows with a field too many or too few, a file that ends in
the middle of a row, an Excel workbook named ``.csv`` or a UTF-16 export all become an
:class:`~veerkracht.errors.InputError` naming the file and row — never a parser traceback.
"""
from __future__ import annotations

import codecs
import csv
import io
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ..errors import InputError

__all__ = ["MAX_BYTES", "MAX_RATIO", "read_bytes", "gunzip_limited", "check_zip", "sniff_binary", "to_utf8",
           "sniff_delimiter", "read_csv_frame", "read_csv_arrow", "has_blank_lines"]

#: largest decompressed input (bytes); ``VEERKRACHT_MAX_INPUT_BYTES`` overrides (e.g. for a national file)
MAX_BYTES = int(os.environ.get("VEERKRACHT_MAX_INPUT_BYTES", 4 * 2**30))
#: largest expansion of a compressed input once it is past 64 MiB (text compresses 5–20×; bombs 1000×)
MAX_RATIO = 200
_RATIO_FREE = 64 * 2**20
_CHUNK = 4 * 2**20

_MAGIC = {b"PK\x03\x04": "a zip archive (an Excel workbook .xlsx or a zipped shapefile)",
          b"PAR1": "a Parquet file", b"%PDF": "a PDF document",
          b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)",
          b"SQLite format 3": "a SQLite/GeoPackage database"}


def _limit_error(file, produced: int, compressed: int) -> InputError:
    return InputError(file, f"decompressing stopped at {produced / 2**20:,.0f} MiB from {compressed / 2**20:,.1f} "
                            f"MiB of input: more than the limit ({MAX_BYTES / 2**30:g} GiB, or {MAX_RATIO}× the "
                            "compressed size). A damaged file or a decompression bomb; if the file is genuine, "
                            "decompress it first or raise VEERKRACHT_MAX_INPUT_BYTES")


def gunzip_limited(data: bytes, file, max_bytes: int | None = None) -> bytes:
    """Decompress gzip ``data`` (several members allowed) in chunks, stopping at the size/ratio limits."""
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    out, total, rest = [], 0, data
    while rest:
        d = zlib.decompressobj(wbits=31)
        buf = rest
        while buf:
            try:
                piece = d.decompress(buf, _CHUNK)
            except zlib.error as exc:
                raise InputError(file, f"damaged gzip data: {exc}") from None
            total += len(piece)
            if total > max_bytes or (total > _RATIO_FREE and total > MAX_RATIO * len(data)):
                raise _limit_error(file, total, len(data))
            out.append(piece)
            buf = d.unconsumed_tail
            if d.eof:
                break
        if not d.eof:
            raise InputError(file, "the gzip data ends early (truncated download?)")
        rest = d.unused_data
        if rest and rest[:2] != b"\x1f\x8b":
            break       # trailing garbage after the last member is ignored, as gzip(1) does
    return b"".join(out)


def check_zip(path, file=None) -> None:
    """A zip (xlsx, zipped shapefile) whose members would expand past the limits is an error."""
    file = file or path
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(file, f"not a readable zip/xlsx file: {exc}") from None
    size = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if size > MAX_BYTES or (size > _RATIO_FREE and size > MAX_RATIO * packed):
        raise _limit_error(file, size, packed)


def read_bytes(path: str | Path) -> bytes:
    """The bytes of a file, gunzipped (within the limits) when it is gzip; empty files are an error."""
    p = Path(path)
    if not p.exists():
        raise InputError(p, "file does not exist")
    if p.is_dir():
        raise InputError(p, "is a directory, expected a file")
    if p.stat().st_size > MAX_BYTES:
        raise _limit_error(p, p.stat().st_size, p.stat().st_size)
    data = p.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gunzip_limited(data, p)
    if not data or data.isspace():        # (not data.strip(): that copies the whole file)
        raise InputError(p, "file is empty")
    return data


def sniff_binary(data: bytes, file, expected: str = "text (CSV)") -> None:
    """Refuse bytes that are recognisably another format, saying which."""
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise InputError(file, f"this is {what}, not {expected}; give the file its real extension "
                                   "(.xlsx, .xls, .parquet, .gpkg …) or export it as CSV", row=1)


def _check_utf8(data: bytes, step: int = 16 * 2**20) -> None:
    """``data.decode('utf-8')`` without holding the whole text: a large file is checked in steps.

    Raises the ``UnicodeDecodeError`` of the first bad byte, its ``start`` counted from the file's start.
    """
    dec = codecs.getincrementaldecoder("utf-8")()
    for pos in range(0, len(data), step):
        try:
            dec.decode(data[pos:pos + step], final=pos + step >= len(data))
        except UnicodeDecodeError as exc:
            # bytes held back from the step before (a character cut in two) are counted in exc.start
            back = len(exc.object) - (min(pos + step, len(data)) - pos)
            raise UnicodeDecodeError(exc.encoding, data, pos - back + exc.start, pos - back + exc.end,
                                     exc.reason) from None
    if not data:
        dec.decode(b"", final=True)


def to_utf8(data: bytes, file, encoding: str | None = None) -> bytes:
    """UTF-8 bytes (BOM removed) from UTF-8, UTF-16 (BOM or NUL pattern) or cp1252 input."""
    if encoding:
        try:
            return data.decode(encoding).encode("utf-8")
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputError(file, f"cannot decode as {encoding}: {exc}") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
            len(data) > 3 and (data[1:20:2].count(0) > 5 or data[0:20:2].count(0) > 5)):
        try:
            text = data.decode("utf-16" if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
                               else ("utf-16-le" if data[1] == 0 else "utf-16-be"))
        except UnicodeDecodeError as exc:
            raise InputError(file, f"looks like UTF-16 but cannot be decoded: {exc}") from None
        return text.lstrip("\ufeff").encode("utf-8")
    if b"\x00" in data[:4096]:
        raise InputError(file, "binary data (NUL bytes), not text", row=data[: data.index(b"\x00")].count(b"\n") + 1)
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    try:
        _check_utf8(data)
        return data
    except UnicodeDecodeError as exc:
        if b"\x00" in data[:4096]:
            raise InputError(file, "binary data (NUL bytes), not text", row=data[: exc.start].count(b"\n") + 1) from None
        try:
            return data.decode("cp1252").encode("utf-8")
        except UnicodeDecodeError:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(file, f"cannot decode byte {data[exc.start]:#04x} as UTF-8 or cp1252; pass "
                                   "encoding=", row=line) from None


def sniff_delimiter(head: str, file, delimiter: str | None = None) -> str:
    """``delimiter`` when given; else the one of , ; tab | that splits the header and first rows alike."""
    if delimiter:
        return {"tab": "\t", "\\t": "\t"}.get(delimiter, delimiter)
    lines = [ln for ln in head.splitlines()[:20] if ln.strip()]
    best, score = ",", -1
    for d in (",", ";", "\t", "|"):
        counts = [len(_fields(ln, d, file)) for ln in lines]
        if counts and counts[0] > 1:
            agree = sum(c == counts[0] for c in counts)
            if agree * 100 + counts[0] > score:
                best, score = d, agree * 100 + counts[0]
    if score < 0 and lines:
        other = next((d for d in (":", " ", "~", "^") if d in lines[0]), None)
        if other is not None and len(lines) > 1:
            raise InputError(file, f"found a single column; the delimiter seems to be {other!r}, which is not "
                                   "supported: use , ; tab or |, or pass delimiter=", row=1)
    return best


def _fields(line: str, delim: str, file) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delim), [])
    except csv.Error as exc:
        raise InputError(file, f"cannot read the header as CSV: {exc}", row=1) from None


def _header(head: str, delim: str, file) -> list[str]:
    first = (head.splitlines() or [""])[0]
    names = [n.strip().lstrip("\ufeff") for n in _fields(first, delim, file)]
    seen = set()
    for i, n in enumerate(names):
        if not n:
            names[i] = n = f"unnamed_{i + 1}"
        if n in seen:
            raise InputError(file, f"column name {n!r} appears twice in the header", row=1, column=n)
        seen.add(n)
    return names


def _line_numbers(buf: np.ndarray) -> np.ndarray | None:
    """File line of each data record when blank lines sit between records (else None: line = 2 + i)."""
    nl = np.flatnonzero(buf == 10)
    starts = np.concatenate([[0], nl + 1])
    ends = np.concatenate([nl, [len(buf)]])
    length = ends - starts - (buf[np.maximum(ends - 1, 0)] == 13)
    nonblank = np.flatnonzero(length > 0) + 1          # 1-based line numbers
    data_lines = nonblank[1:]
    if len(data_lines) == 0 or data_lines[-1] - 1 == len(data_lines):
        return None
    return data_lines


def _check_last_row(df: pd.DataFrame, file, line: int) -> None:
    """A last row without a line break whose last field is shorter than every other value of its column
    was most likely cut off (``3545`` → ``35``): an error naming the row."""
    if len(df) < 3:
        return
    col = df[df.columns[-1]]
    last, others = col.iloc[-1], col.iloc[:-1]
    lengths = others[others.str.len() > 0].str.len()
    if isinstance(last, str) and last and len(lengths) and len(last) < lengths.min():
        raise InputError(file, f"the file ends in the middle of this row: {last!r} is shorter than every other "
                               "value of the column and no line break follows (a truncated download?). If the "
                               "file is complete, pass allow_unterminated=true", row=line, column=str(df.columns[-1]))


def read_csv_arrow(data: bytes, file, *, delimiter: str | None = None,
                   encoding: str | None = None) -> tuple[pa.Table, bytes]:
    """``(table of strings, the text as UTF-8)``: the parsing half of :func:`read_csv_frame`.

    Raises the same errors for the file as a whole (binary, encoding, delimiter, header, a row with
    too many or too few fields); the checks on the frame (truncated last row, blank lines) are left to
    :func:`read_csv_frame`.
    """
    sniff_binary(data, file)
    data = to_utf8(data, file, encoding)
    head = data[:65536].decode("utf-8", errors="ignore")
    delim = sniff_delimiter(head, file, delimiter)
    names = _header(head, delim, file)
    bad: list = []

    def invalid(row):
        bad.append(row)
        return "skip"

    def parse(threads: bool) -> pa.Table:
        return pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=threads,
                                           block_size=16 * 2**20),
            parse_options=pacsv.ParseOptions(delimiter=delim, invalid_row_handler=invalid,
                                             newlines_in_values=b'"' in data),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=True, quoted_strings_can_be_null=True))
    try:
        table = parse(True)
        if bad:
            bad.clear()
            table = parse(False)        # row numbers are known only to the single-threaded parser
    except pa.ArrowInvalid as exc:
        raise InputError(file, f"cannot parse as CSV (delimiter {delim!r}): {exc}") from None
    if bad:
        r = bad[0]
        what = "a field too many" if r.actual_columns > r.expected_columns else "too few fields"
        if r.actual_columns > r.expected_columns and delim == "," and "," in (r.text or ""):
            what += " (a decimal comma or thousands separator without quotes?)"
        raise InputError(file, f"row has {r.actual_columns} fields, the header has {r.expected_columns}: {what}",
                         row=r.number)
    return table, data


def has_blank_lines(data: bytes) -> bool:
    """Blank lines between records: record numbers and file lines differ."""
    return b"\n\n" in data or b"\n\r\n" in data


def read_csv_frame(data: bytes, file, *, delimiter: str | None = None, encoding: str | None = None,
                   allow_unterminated: bool = False) -> pd.DataFrame:
    """Parse CSV bytes into a frame of Arrow-backed strings, one column per header name.

    ``attrs['first_row']`` is 2 (the header is line 1); when blank lines sit between records the index
    holds each record's file line minus 2, so ``first_row + index`` is the line a user sees.

    Raises
    ------
    InputError
        For binary input, undecodable bytes, an unsupported delimiter, a duplicated column name, a row
        with more or fewer fields than the header (naming the row), and a last row without a line break
        (a file cut off mid-row) unless ``allow_unterminated``.
    """
    table, data = read_csv_arrow(data, file, delimiter=delimiter, encoding=encoding)
    df = table.to_pandas()
    del table
    if not allow_unterminated and data[-1:] not in (b"\n", b"\r"):
        _check_last_row(df, file, data.count(b"\n") + 1)
    lines = _line_numbers(np.frombuffer(data, dtype=np.uint8)) if has_blank_lines(data) else None
    if lines is not None and len(lines) == len(df):
        df.index = pd.Index(lines - 2)
    df.attrs["first_row"] = 2
    df.attrs["file"] = str(file)
    return df
