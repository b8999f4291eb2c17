"""Bulk transfer between pandas and PostgreSQL: COPY in and out as CSV, encoded and parsed by Arrow.

Row-by-row inserts and fetches cost a Python object per value; COPY with Arrow's CSV writer and reader
moves a national fact table in seconds. Empty strings and NULL stay apart (CSV: ``""`` vs nothing).
"""
from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

__all__ = ["copy_in", "copy_out", "TEXT", "INT", "BIGINT", "FLOAT", "BOOL"]

TEXT, INT, BIGINT, FLOAT, BOOL = pa.string(), pa.int32(), pa.int64(), pa.float64(), pa.bool_()


def _plain(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Dictionary (categorical) columns as their values: the CSV writer takes plain arrays."""
    return col.cast(col.type.value_type) if pa.types.is_dictionary(col.type) else col


def copy_in(con, table: str, df: pd.DataFrame, columns: list[str]) -> int:
    """COPY ``df[columns]`` into ``table`` (same column names); NaN and None arrive as NULL."""
    if not len(df):
        return 0
    arrow = pa.Table.from_pandas(df[columns], preserve_index=False)
    arrow = pa.table({c: _plain(arrow.column(c)) for c in columns})
    buf = io.BytesIO()
    pacsv.write_csv(arrow, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    with con.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)") as cp:
        cp.write(buf.getvalue())
    return len(df)


def copy_out(con, query: str, types: dict[str, pa.DataType]) -> pd.DataFrame:
    """The rows of ``query`` as a DataFrame with the Arrow ``types`` of its columns (in query order)."""
    with con.cursor() as cur, cur.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)") as cp:
        data = b"".join(bytes(block) for block in cp)
    table = pacsv.read_csv(io.BytesIO(data), convert_options=pacsv.ConvertOptions(
        column_types=types, strings_can_be_null=True, quoted_strings_can_be_null=False, null_values=[""],
        true_values=["t"], false_values=["f"]))
    out = table.to_pandas()
    for name in table.column_names:   # a boolean column with NULLs: pandas' nullable boolean, not objects
        if pa.types.is_boolean(table.schema.field(name).type) and table.column(name).null_count:
            out[name] = out[name].astype("boolean")
    return out
