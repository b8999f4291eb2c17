"""The default backend: one embedded DuckDB file with the spatial extension loaded offline."""
from __future__ import annotations

import contextlib
import glob
import os
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import pyarrow as pa
import shapely

from ..errors import StoreError
from .base import Provenance, Store
from .schema import AREA_COLUMNS, FACT_KEY, INDICATOR_COLUMNS

__all__ = ["DuckDBStore", "spatial_extension_path"]

_DDL = """
CREATE TABLE IF NOT EXISTS geo_versions (id VARCHAR PRIMARY KEY, description VARCHAR);
CREATE TABLE IF NOT EXISTS areas (
    geo_version VARCHAR NOT NULL, code VARCHAR NOT NULL, level VARCHAR NOT NULL,
    name VARCHAR, gm_code VARCHAR, wk_code VARCHAR, geom GEOMETRY
);
CREATE TABLE IF NOT EXISTS facts (
    geo_version VARCHAR NOT NULL, code VARCHAR NOT NULL, year INTEGER NOT NULL,
    indicator VARCHAR NOT NULL, numerator DOUBLE, denominator DOUBLE, value DOUBLE,
    source VARCHAR NOT NULL, flags VARCHAR NOT NULL DEFAULT '', origin_version VARCHAR NOT NULL,
    provenance_id INTEGER
);
CREATE TABLE IF NOT EXISTS crosswalks (
    from_version VARCHAR NOT NULL, from_code VARCHAR NOT NULL, to_version VARCHAR NOT NULL,
    to_code VARCHAR NOT NULL, weight DOUBLE NOT NULL, amount DOUBLE, basis VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS indicators (
    id VARCHAR PRIMARY KEY, label_nl VARCHAR, label_en VARCHAR, unit VARCHAR, kind VARCHAR,
    scale DOUBLE, higher_is_worse BOOLEAN, numerator_nl VARCHAR, denominator_nl VARCHAR,
    source VARCHAR, description_nl VARCHAR, description_en VARCHAR, restricted BOOLEAN
);
CREATE SEQUENCE IF NOT EXISTS provenance_seq START 1;
CREATE TABLE IF NOT EXISTS provenance (
    id INTEGER PRIMARY KEY DEFAULT nextval('provenance_seq'), kind VARCHAR, location VARCHAR,
    checksum VARCHAR, options VARCHAR, vintage VARCHAR, loaded_at VARCHAR,
    n_areas INTEGER, n_facts INTEGER, n_crosswalk INTEGER
);
"""


def spatial_extension_path() -> str:
    """The spatial extension file shipped by the pinned ``duckdb-extension-spatial`` wheel."""
    import duckdb_extension_spatial as pkg

    hits = glob.glob(os.path.join(os.path.dirname(pkg.__file__), "**", "spatial.duckdb_extension"),
                     recursive=True)
    want = f"v{duckdb.__version__}"
    hits = [h for h in hits if want in h] or hits
    if not hits:
        raise StoreError("the duckdb-extension-spatial package holds no spatial.duckdb_extension")
    return hits[0]


def _in_list(values) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


class DuckDBStore(Store):
    """Store in one DuckDB file (or ``:memory:``)."""

    def __init__(self, path: str | os.PathLike = "veerkracht.duckdb", read_only: bool = False):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.Error as exc:  # locked by another process, not a DuckDB file, …
            raise StoreError(f"cannot open store {self.path}: {exc}") from exc
        self.con.load_extension(spatial_extension_path())
        self._depth = 0
        if not read_only:
            self.con.execute(_DDL)

    # ------------------------------------------------------------------ transactions
    @contextlib.contextmanager
    def transaction(self):
        if self._depth:  # nested: the outer transaction decides
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self.con.begin()
        self._depth = 1
        try:
            yield self
        except BaseException:
            self.con.rollback()
            raise
        else:
            self.con.commit()
        finally:
            self._depth = 0

    def _register(self, name: str, df: pd.DataFrame) -> None:
        self.con.register(name, df)

    def _versions(self, ids) -> None:
        for v in sorted(set(ids)):
            self.con.execute("INSERT INTO geo_versions SELECT ?, '' WHERE NOT EXISTS "
                             "(SELECT 1 FROM geo_versions WHERE id = ?)", [v, v])

    # ------------------------------------------------------------------ writes
    def _upsert_areas(self, areas: gpd.GeoDataFrame) -> None:
        df = pd.DataFrame({c: areas[c] if c in areas else None for c in AREA_COLUMNS})
        geoms = areas.geometry if isinstance(areas, gpd.GeoDataFrame) else None
        if geoms is not None and geoms.crs is not None and geoms.crs.to_epsg() != 4326:
            geoms = geoms.to_crs(4326)
        df["wkb"] = shapely.to_wkb(geoms.values, output_dimension=2) if geoms is not None else None
        df = df.astype({c: "string" for c in AREA_COLUMNS})
        self._register("_in_areas", df)
        # a code-only load (no geometry, no name) must not wipe what a geometry load wrote before
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE _merged_areas AS SELECT i.geo_version, i.code, i.level, "
            "COALESCE(i.name, a.name) AS name, COALESCE(i.gm_code, a.gm_code) AS gm_code, "
            "COALESCE(i.wk_code, a.wk_code) AS wk_code, "
            "COALESCE(CASE WHEN i.wkb IS NULL THEN NULL ELSE ST_GeomFromWKB(i.wkb) END, a.geom) AS geom "
            "FROM _in_areas i LEFT JOIN areas a ON a.geo_version = i.geo_version AND a.code = i.code")
        self.con.execute("DELETE FROM areas USING _in_areas i "
                         "WHERE areas.geo_version = i.geo_version AND areas.code = i.code")
        self.con.execute("INSERT INTO areas SELECT * FROM _merged_areas")
        self.con.execute("DROP TABLE _merged_areas")
        self.con.unregister("_in_areas")
        self._versions(df["geo_version"].unique())

    def _upsert_facts(self, facts: pd.DataFrame, provenance_id: int | None = None) -> None:
        # an Arrow table crosses into DuckDB without turning 5 M strings into Python objects
        self._register("_in_facts", pa.Table.from_pandas(facts, preserve_index=False))
        cond = " AND ".join(f"facts.{k} = i.{k}" for k in FACT_KEY)
        self.con.execute(f"DELETE FROM facts USING _in_facts i WHERE {cond}")
        self.con.execute("INSERT INTO facts SELECT *, ? FROM _in_facts", [provenance_id])
        self.con.unregister("_in_facts")
        self._versions(facts["geo_version"].unique())

    def _upsert_crosswalk(self, cw: pd.DataFrame) -> None:
        self._register("_in_cw", cw)
        # the new rows of a source area replace all its old rows (on that basis and target version),
        # so a rebuilt crosswalk never leaves stale pieces whose weights would add up past 1
        self.con.execute("DELETE FROM crosswalks USING (SELECT DISTINCT from_version, from_code, to_version, "
                         "basis FROM _in_cw) i WHERE crosswalks.from_version = i.from_version AND "
                         "crosswalks.from_code = i.from_code AND crosswalks.to_version = i.to_version "
                         "AND crosswalks.basis = i.basis")
        self.con.execute("INSERT INTO crosswalks SELECT * FROM _in_cw")
        self.con.unregister("_in_cw")
        self._versions(list(cw["from_version"].unique()) + list(cw["to_version"].unique()))

    def _upsert_indicators(self, reg: pd.DataFrame) -> None:
        df = reg.reindex(columns=INDICATOR_COLUMNS)
        self._register("_in_reg", df)
        self.con.execute("DELETE FROM indicators WHERE id IN (SELECT id FROM _in_reg)")
        self.con.execute(f"INSERT INTO indicators SELECT {', '.join(INDICATOR_COLUMNS)} FROM _in_reg")
        self.con.unregister("_in_reg")

    def _insert_provenance(self, prov: Provenance, counts: dict) -> int:
        row = self.con.execute(
            "INSERT INTO provenance (kind, location, checksum, options, vintage, loaded_at, n_areas, "
            "n_facts, n_crosswalk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [prov.kind, prov.location, prov.checksum, prov.options_json, prov.vintage, self.now(),
             counts["areas"], counts["facts"], counts["crosswalk"]]).fetchone()
        return row[0]

    def _find_provenance(self, prov: Provenance) -> int | None:
        row = self.con.execute("SELECT id FROM provenance WHERE kind = ? AND checksum = ? AND options = ?",
                               [prov.kind, prov.checksum, prov.options_json]).fetchone()
        return None if row is None else row[0]

    # ------------------------------------------------------------------ reads
    def areas(self, geo_version=None, level=None, codes=None, geometry=True):
        where = self._where(geo_version=geo_version, level=level, code=codes)
        cols = ", ".join(AREA_COLUMNS)
        if not geometry:
            return self.con.execute(f"SELECT {cols} FROM areas {where} ORDER BY geo_version, code").df()
        df = self.con.execute(f"SELECT {cols}, ST_AsWKB(geom) AS wkb FROM areas {where} "
                              "ORDER BY geo_version, code").df()
        geom = shapely.from_wkb([None if w is None or w is pd.NA else bytes(w) for w in df.pop("wkb")])
        return gpd.GeoDataFrame(df, geometry=geom, crs=4326)

    def facts(self, indicator=None, geo_version=None, codes=None, years=None, source=None):
        where = self._where(indicator=indicator, geo_version=geo_version, code=codes, year=years,
                            source=source)
        return self.con.execute(
            "SELECT geo_version, code, year, indicator, numerator, denominator, value, source, flags, "
            f"origin_version FROM facts {where} ORDER BY geo_version, indicator, code, year").df()

    def crosswalk(self, from_version=None, to_version=None, basis=None):
        where = self._where(from_version=from_version, to_version=to_version, basis=basis)
        return self.con.execute(f"SELECT * FROM crosswalks {where} ORDER BY from_code, to_code").df()

    def indicators(self):
        return self.con.execute("SELECT * FROM indicators ORDER BY id").df()

    def provenance(self):
        return self.con.execute("SELECT * FROM provenance ORDER BY id").df()

    def geo_versions(self):
        return self.con.execute(
            "SELECT v.id, v.description, "
            "(SELECT count(*) FROM areas a WHERE a.geo_version = v.id) AS n_areas, "
            "(SELECT count(*) FROM facts f WHERE f.geo_version = v.id) AS n_facts "
            "FROM geo_versions v ORDER BY v.id").df()

    def sql(self, query: str, params=None) -> pd.DataFrame:
        """Read-only SQL for power users and benchmarks (DuckDB dialect)."""
        return self.con.execute(query, params or []).df()

    def close(self):
        self.con.close()

    @staticmethod
    def _where(**filters) -> str:
        parts = []
        for col, val in filters.items():
            if val is None:
                continue
            vals = list(val) if isinstance(val, (list, tuple, set, pd.Series)) else [val]
            if col == "year":
                parts.append(f"{col} IN ({', '.join(str(int(v)) for v in vals) or 'NULL'})")
            else:
                parts.append(f"{col} IN ({_in_list(vals) or 'NULL'})")
        return ("WHERE " + " AND ".join(parts)) if parts else ""
