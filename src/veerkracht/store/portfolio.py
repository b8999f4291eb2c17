"""A corporation's own stock, kept private in the user's store (table ``portfolio``).

``portfolio(owner, unit_id, complex_id, dwellings, geo_version, code, located_by, rent_class, type, label,
year_built, source_row, provenance_id, cell)`` — one row per dwelling or complex *and* per geography version
it was located in (coordinates are located in every version with buurt geometry, so the overlay can
use whichever version an analysis runs on; ``cell`` is the CBS 100 m cell holding the point, for the
direct surroundings). ``owner`` is the corporation's name as given at ingest;
loading a new file for the same owner replaces that owner's rows in one transaction.

The table is **private**: nothing in :mod:`veerkracht.maps`, the export or the public API lists it; the
overlay analysis reads it and suppresses counts below the threshold before anything is shown.
"""
from __future__ import annotations

import pandas as pd

from ..errors import StoreError

__all__ = ["PORTFOLIO_COLUMNS", "PORTFOLIO_DDL", "PortfolioTables"]

PORTFOLIO_COLUMNS = ["owner", "unit_id", "complex_id", "dwellings", "geo_version", "code", "located_by",
                     "rent_class", "type", "label", "year_built", "source_row", "provenance_id", "cell"]
PORTFOLIO_DDL = """
CREATE TABLE IF NOT EXISTS portfolio (
    owner VARCHAR NOT NULL, unit_id VARCHAR NOT NULL, complex_id VARCHAR, dwellings INTEGER NOT NULL,
    geo_version VARCHAR NOT NULL, code VARCHAR NOT NULL, located_by VARCHAR, rent_class VARCHAR, type VARCHAR,
    label VARCHAR, year_built INTEGER, source_row INTEGER, provenance_id INTEGER, cell VARCHAR
);
ALTER TABLE portfolio ADD COLUMN IF NOT EXISTS cell VARCHAR;
"""
_STRINGS = ["owner", "unit_id", "complex_id", "geo_version", "code", "located_by", "rent_class", "type", "label", "cell"]


class PortfolioTables:
    """Methods of the DuckDB store for the private ``portfolio`` table, and the access to the private tables
    that :mod:`.microdata` uses on either backend (mixed into the backend)."""

    def private_query(self, sql: str, params=()) -> pd.DataFrame:
        """Rows of a query on the private tables (``?`` placeholders) as a DataFrame."""
        return self.con.execute(sql, list(params)).df()

    def private_insert(self, table: str, df: pd.DataFrame, columns: list[str], extra: dict | None = None) -> int:
        """Insert ``df[columns]`` (plus constant ``extra`` columns) into a private table."""
        rows = df.reindex(columns=columns)
        cols = ", ".join(columns + list(extra or {}))
        values = "".join(f", {int(v)}" if v is not None else ", NULL" for v in (extra or {}).values())
        self.con.register("_in_private", rows)
        try:
            self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {', '.join(columns)}{values} FROM _in_private")
        finally:
            self.con.unregister("_in_private")
        return len(rows)

    def private_exec(self, sql: str, params=()) -> None:
        """A statement on the private tables (``?`` placeholders)."""
        self.con.execute(sql, list(params))

    def ensure_private_tables(self) -> None:
        """Create the microdata tables when missing (an older store gains them by an ingest)."""
        from .microdata import MICRO_DDL
        self.con.execute(MICRO_DDL)

    def write_portfolio(self, owner: str, rows: pd.DataFrame, provenance_id: int | None = None) -> int:
        """Replace ``owner``'s portfolio by ``rows`` (one transaction); returns the rows written."""
        if not str(owner).strip():
            raise StoreError("a portfolio needs its owner's name (--corporation)")
        df = rows.reindex(columns=PORTFOLIO_COLUMNS).assign(owner=str(owner).strip(), provenance_id=provenance_id)
        df = df.astype({c: "string" for c in _STRINGS} | {"dwellings": "int64", "year_built": "Int64",
                                                          "source_row": "Int64", "provenance_id": "Int64"})
        with self.transaction():
            self.con.execute(PORTFOLIO_DDL)
            self.con.execute("DELETE FROM portfolio WHERE owner = ?", [str(owner).strip()])
            self.con.register("_in_portfolio", df)
            cols = ", ".join(PORTFOLIO_COLUMNS)
            self.con.execute(f"INSERT INTO portfolio ({cols}) SELECT {cols} FROM _in_portfolio")
            self.con.unregister("_in_portfolio")
        return len(df)

    def portfolio(self, owner: str | None = None, geo_version: str | None = None) -> pd.DataFrame:
        """The portfolio rows of ``owner`` (all owners when None) located in ``geo_version``."""
        if not self._has_table("portfolio"):
            return pd.DataFrame(columns=PORTFOLIO_COLUMNS)
        where = self._where(owner=owner, geo_version=geo_version)
        return self.con.execute(f"SELECT * FROM portfolio {where} ORDER BY owner, geo_version, unit_id").df()

    def portfolio_owners(self) -> list[str]:
        """The corporations whose portfolio the store holds."""
        if not self._has_table("portfolio"):
            return []
        return [r[0] for r in self.con.execute("SELECT DISTINCT owner FROM portfolio ORDER BY owner").fetchall()]
