"""SQL text shared by the backends: quoted literal lists and the WHERE clause of the read filters."""
from __future__ import annotations

import pandas as pd

__all__ = ["in_list", "where"]


def in_list(values) -> str:
    """``'a', 'b'`` with quotes doubled: a literal list both DuckDB and PostgreSQL read."""
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


def where(**filters) -> str:
    """``WHERE col IN (…) AND …`` for the filters that are not None (``year`` as integers)."""
    parts = []
    for col, val in filters.items():
        if val is None:
            continue
        vals = list(val) if isinstance(val, (list, tuple, set, pd.Series)) else [val]
        if col == "year":
            parts.append(f"{col} IN ({', '.join(str(int(v)) for v in vals) or 'NULL'})")
        else:
            parts.append(f"{col} IN ({in_list(vals) or 'NULL'})")
    return ("WHERE " + " AND ".join(parts)) if parts else ""
