"""The default backend: one embedded DuckDB file with the spatial extension loaded offline.

Facts are stored normalised: the few distinct (geo_version, indicator, source, origin_version)
combinations in ``fact_series``, the area codes in ``fact_codes``, and the values with two
integer keys in ``fact_values`` (flags NULL when empty). Storing millions of rows of repeated
VARCHARs is what made a national ingest slow. The view ``facts`` gives the long frame of
:data:`FACT_COLUMNS` (plus ``provenance_id``), so reads and SQL look the same as before.
"""
from __future__ import annotations

import contextlib
import copy
import glob
import os
import time
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from ..errors import StoreError, StoreLocked
from ._history import HISTORY_DDL, HistoryMixin
from ._stream import StreamMixin
from .base import Provenance, Store
from ._sql import in_list as _in_list
from ._sql import where as _sql_where
from .schema import AREA_COLUMNS, INDICATOR_COLUMNS, encode_strings
from .portfolio import PortfolioTables
from .support import SUPPORT_DDL, SupportTables

__all__ = ["DuckDBStore", "spatial_extension_path", "connect"]

_DDL = """
CREATE TABLE IF NOT EXISTS geo_versions (id VARCHAR PRIMARY KEY, description VARCHAR);
CREATE TABLE IF NOT EXISTS areas (
    geo_version VARCHAR NOT NULL, code VARCHAR NOT NULL, level VARCHAR NOT NULL,
    name VARCHAR, gm_code VARCHAR, wk_code VARCHAR, geom GEOMETRY
);
CREATE SEQUENCE IF NOT EXISTS fact_series_seq START 1;
CREATE TABLE IF NOT EXISTS fact_series (
    series_id INTEGER PRIMARY KEY DEFAULT nextval('fact_series_seq'), geo_version VARCHAR NOT NULL,
    indicator VARCHAR NOT NULL, source VARCHAR NOT NULL, origin_version VARCHAR NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS fact_codes_seq START 1;
CREATE TABLE IF NOT EXISTS fact_codes (
    code_id INTEGER PRIMARY KEY DEFAULT nextval('fact_codes_seq'), code VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS fact_values (
    series_id INTEGER NOT NULL, code_id INTEGER NOT NULL, year INTEGER NOT NULL,
    numerator DOUBLE, denominator DOUBLE, value DOUBLE, flags VARCHAR, provenance_id INTEGER
);
CREATE VIEW IF NOT EXISTS facts AS
    SELECT s.geo_version, c.code, v.year, s.indicator, v.numerator, v.denominator, v.value, s.source,
           COALESCE(v.flags, '') AS flags, s.origin_version, v.provenance_id
    FROM fact_values v JOIN fact_series s USING (series_id) JOIN fact_codes c USING (code_id);
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


def _combinations(encoded: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct label combinations of several encoded columns and each row's combination."""
    key = np.zeros(len(encoded[0][0]), dtype=np.int64)
    for idx, labels in encoded:
        key = key * len(labels) + idx
    space = int(np.prod([len(labels) for _, labels in encoded], dtype=float))
    if space <= 4 * len(key) + 1000:      # dense key space: a lookup table instead of a sort
        present = np.flatnonzero(np.bincount(key, minlength=space))
        lookup = np.zeros(space, dtype=np.int32)
        lookup[present] = np.arange(len(present))
        uniq, row = present, lookup[key]
    else:
        uniq, row = np.unique(key, return_inverse=True)
    combos = np.empty((len(uniq), len(encoded)), dtype=object)
    rest = uniq
    for j in range(len(encoded) - 1, -1, -1):
        idx, labels = encoded[j]
        combos[:, j] = labels[rest % len(labels)]
        rest = rest // len(labels)
    return combos, row


def _arrow_text(column: pd.Series) -> pa.Array:
    """A string column for DuckDB; a categorical stays dictionary-encoded (no string per row)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        cats = column.cat.categories
        return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32), mask=codes < 0),
                                              pa.array(cats.astype("str").to_numpy(dtype=object), pa.string()))
    if not column.notna().any():
        return pa.nulls(len(column), pa.string())
    return pa.array(column.astype("str").array, type=pa.string(), from_pandas=True)


def _lock_holder(exc: Exception) -> str | None:
    """The PID in DuckDB's 'Conflicting lock is held in … (PID 123)', or None if not a lock error."""
    import re
    text = str(exc)
    if "lock" not in text.lower():
        return None
    m = re.search(r"PID (\d+)", text)
    return m.group(1) if m else ""


def connect(path: str, read_only: bool = False, wait: float = 0.0, on_wait=None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection on ``path``. Only one process may write a DuckDB file (or several read
    it): when another process holds the lock, retry for up to ``wait`` seconds, calling
    ``on_wait(pid, seconds_left)`` about once a second, then fail with a message saying who holds it."""
    deadline = time.monotonic() + max(wait, 0.0)
    told = 0.0
    while True:
        try:
            return duckdb.connect(path, read_only=read_only)
        except duckdb.Error as exc:  # locked by another process, not a DuckDB file, …
            pid = _lock_holder(exc)
            left = deadline - time.monotonic()
            if pid is None:
                raise StoreError(f"cannot open store {path}: {exc}") from exc
            if left <= 0:
                raise StoreLocked(path, pid, wait) from None
            if on_wait is not None and time.monotonic() - told >= 1.0:
                told = time.monotonic()
                on_wait(pid or "?", left)
            time.sleep(min(0.2, left))


_SAME_KEY = "JOIN _in_facts i ON v.series_id = i.series_id AND v.code_id = i.code_id AND v.year = i.year"


class DuckDBStore(StreamMixin, SupportTables, HistoryMixin, PortfolioTables, Store):
    """Store in one DuckDB file (or ``:memory:``)."""

    def __init__(self, path: str | os.PathLike = "veerkracht.duckdb", read_only: bool = False,
                 wait: float = 0.0, on_wait=None):
        self.path = str(path)
        self.read_only = read_only
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.con = connect(self.path, read_only, wait, on_wait)
        self.con.load_extension(spatial_extension_path())
        self._depth = 0
        if not read_only:
            self._migrate_facts()
            self.con.execute(_DDL)
            self.con.execute(SUPPORT_DDL)      # support and build journal; older stores gain them here
            self.con.execute(HISTORY_DDL)

    def _migrate_facts(self) -> None:
        """A store written before facts were normalised holds a ``facts`` table: move it over once."""
        kind = self.con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'facts' "
                                "AND table_schema = 'main'").fetchone()
        if kind is None or kind[0] != "BASE TABLE":
            return
        with self.transaction():
            self.con.execute("ALTER TABLE facts RENAME TO _facts_v1")
            self.con.execute(_DDL)
            self.con.execute("INSERT INTO fact_series (geo_version, indicator, source, origin_version) "
                             "SELECT DISTINCT geo_version, indicator, source, origin_version FROM _facts_v1")
            self.con.execute("INSERT INTO fact_codes (code) SELECT DISTINCT code FROM _facts_v1")
            self.con.execute(
                "INSERT INTO fact_values SELECT s.series_id, c.code_id, f.year, f.numerator, f.denominator, "
                "f.value, NULLIF(f.flags, ''), f.provenance_id FROM _facts_v1 f "
                "JOIN fact_series s USING (geo_version, indicator, source, origin_version) "
                "JOIN fact_codes c USING (code)")
            self.con.execute("DROP TABLE _facts_v1")

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
            from ..indicators.reliability import forget_hidden
            forget_hidden(self)     # facts may have changed: secondary suppression is decided anew

    def _register(self, name: str, df: pd.DataFrame) -> None:
        self.con.register(name, df)

    def _versions(self, ids) -> None:
        for v in sorted(set(ids)):
            self.con.execute("INSERT INTO geo_versions SELECT ?, '' WHERE NOT EXISTS "
                             "(SELECT 1 FROM geo_versions WHERE id = ?)", [v, v])

    # ------------------------------------------------------------------ writes
    def _insert_areas(self, areas: gpd.GeoDataFrame, merge: bool) -> None:
        """Areas of one piece of a stream: appended when their versions held nothing before the stream
        (a code repeated in a version is a duplicate the stream's checks send back), else upserted."""
        if merge:
            self._upsert_areas(areas)
            return
        table = self._areas_table(areas)
        self.con.from_arrow(table.drop_columns(["wkb"])).project(
            f"{', '.join(AREA_COLUMNS)}, NULL::GEOMETRY AS geom").insert_into("areas")

    def _areas_table(self, areas: gpd.GeoDataFrame) -> pa.Table:
        n = len(areas)
        cols = {c: _arrow_text(areas[c]) if c in areas else pa.nulls(n, pa.string()) for c in AREA_COLUMNS}
        geoms = areas.geometry if isinstance(areas, gpd.GeoDataFrame) else None
        if geoms is not None and geoms.crs is not None and geoms.crs.to_epsg() != 4326:
            geoms = geoms.to_crs(4326)
        shaped = geoms is not None and geoms.notna().any()
        cols["wkb"] = (pa.array(shapely.to_wkb(geoms.values, output_dimension=2), type=pa.binary(), from_pandas=True)
                       if shaped else pa.nulls(n, pa.binary()))
        return pa.table(cols)

    def _upsert_areas(self, areas: gpd.GeoDataFrame) -> None:
        table = self._areas_table(areas)
        shaped = table.column("wkb").null_count < len(table)
        self._register("_in_areas", table)
        versions = sorted(pc.unique(table.column("geo_version").cast(pa.string())).to_pylist())
        if self.con.execute(f"SELECT count(*) FROM areas WHERE geo_version IN ({_in_list(versions)})").fetchone()[0] == 0:
            # nothing stored in these versions yet: a plain insert (a national KWB load, millions of areas)
            geom = "CASE WHEN wkb IS NULL THEN NULL ELSE ST_GeomFromWKB(wkb) END" if shaped else "NULL"
            self.con.execute(f"INSERT INTO areas SELECT {', '.join(AREA_COLUMNS)}, {geom} FROM _in_areas")
            self.con.unregister("_in_areas")
            self._versions(versions)
            return
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
        self._versions(versions)

    def _stage_facts(self, facts: pd.DataFrame, fresh: set | None = None) -> bool:
        """Encode the facts (series and code ids, added when new) and register them as ``_in_facts``.

        ``fresh``: the series a stream created so far (they are not "old"); the new ones are added to it.
        """
        series_cols = ["geo_version", "indicator", "source", "origin_version"]
        encoded = {c: encode_strings(facts[c]) for c in series_cols + ["code", "flags"]}
        for c in series_cols + ["code"]:
            if (encoded[c][0] < 0).any():
                raise StoreError(f"facts column {c!r} has missing values")
        series, series_idx = _combinations([encoded[c] for c in series_cols])
        series_ids, old = self._dimension_ids("fact_series", "series_id", pd.DataFrame(series, columns=series_cols))
        if fresh is not None:
            old = old & ~np.isin(series_ids, list(fresh))
            fresh.update(int(i) for i in series_ids[~old])
        code_idx, code_labels = encoded["code"]
        code_ids, _ = self._dimension_ids("fact_codes", "code_id", pd.DataFrame({"code": code_labels}))
        flag_idx, flag_labels = encoded["flags"]
        flag_mask = (flag_idx < 0) | np.append(flag_labels == "", True)[flag_idx]     # '' (no flags) is NULL
        flag_dict = pa.array(list(flag_labels), pa.string())
        with contextlib.suppress(Exception):
            self.con.unregister("_in_facts")

        def piece(lo: int, hi: int) -> pa.Table:
            return pa.table({
                "series_id": series_ids[series_idx[lo:hi]], "code_id": code_ids[code_idx[lo:hi]],
                **{c: pa.array(facts[c].to_numpy()[lo:hi], from_pandas=True)
                   for c in ("year", "numerator", "denominator", "value")},
                "flags": pa.DictionaryArray.from_arrays(pa.array(flag_idx[lo:hi].astype(np.int32), mask=flag_mask[lo:hi]),
                                                        flag_dict),
            })
        self._staged_old = bool(old.any())       # only series that existed before can hold rows to replace
        self._staged_versions = pd.unique(series[:, 0])
        # a fresh load is written in slices (bounded memory); facts that may replace others are compared
        # with the store as one table
        self._staged_piece, self._staged_n = piece, len(facts)
        self._staged = piece(0, len(facts)) if self._staged_old else None
        if self._staged is not None:
            self._register("_in_facts", self._staged)
        return self._staged_old

    #: facts per INSERT of a fresh load
    _SLICE = 2_000_000

    def _write_staged_facts(self, provenance_id: int | None, history: bool = False) -> None:
        insert = ("INSERT INTO fact_values SELECT series_id, code_id, year, numerator, denominator, value, flags, ? "
                  "FROM _in_facts")
        if self._staged_old:
            if history:
                self.con.execute(f"INSERT INTO fact_history SELECT v.*, ?, ? FROM fact_values v {_SAME_KEY}",
                                 [provenance_id, self.now()])
            self.con.execute("DELETE FROM fact_values v USING _in_facts i WHERE v.series_id = i.series_id "
                             "AND v.code_id = i.code_id AND v.year = i.year")
            self.con.execute(insert, [provenance_id])
            self.con.unregister("_in_facts")
        else:       # appended through the relation API: a registered table stays referenced until commit
            for lo in range(0, self._staged_n, self._SLICE):
                table = self._staged_piece(lo, lo + self._SLICE)
                table = table.append_column("provenance_id", pa.nulls(len(table), pa.int32()) if provenance_id is None
                                            else pa.array(np.full(len(table), provenance_id, dtype=np.int32)))
                self.con.from_arrow(table).insert_into("fact_values")
                del table
        self._staged = self._staged_piece = None
        self._versions(self._staged_versions)

    def _dimension_ids(self, table: str, id_col: str, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """The ids of ``rows`` in dimension ``table``, adding the new ones; and which existed before."""
        cols = list(rows.columns)
        rows = rows.astype("str").assign(_row=np.arange(len(rows)))
        self._register("_in_dim", rows)
        on = " AND ".join(f"d.{c} = i.{c}" for c in cols)
        found = self.con.execute(f"SELECT i._row, d.{id_col} FROM _in_dim i JOIN {table} d ON {on}").fetchnumpy()
        ids = np.full(len(rows), -1, dtype=np.int64)
        ids[found["_row"]] = found[id_col]
        existed = ids >= 0
        if not existed.all():
            self.con.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _in_dim i "
                             f"WHERE NOT EXISTS (SELECT 1 FROM {table} d WHERE {on})")
            found = self.con.execute(f"SELECT i._row, d.{id_col} FROM _in_dim i JOIN {table} d ON {on}").fetchnumpy()
            ids[found["_row"]] = found[id_col]
        self.con.unregister("_in_dim")
        return ids.astype(np.int32), existed

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

    def _insert_provenance(self, prov: Provenance, counts: dict, loaded_at: str | None = None) -> int:
        row = self.con.execute(
            "INSERT INTO provenance (kind, location, checksum, options, vintage, loaded_at, n_areas, "
            "n_facts, n_crosswalk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [prov.kind, prov.location, prov.checksum, prov.options_json, prov.vintage, loaded_at or self.now(),
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
        # ties (one area and year from several sources) come in the order they were written
        query = ("SELECT geo_version, code, year, indicator, numerator, denominator, value, source, "
                 "COALESCE(flags, '') AS flags, origin_version FROM fact_values v JOIN fact_series USING (series_id) "
                 f"JOIN fact_codes USING (code_id) {where} ORDER BY geo_version, indicator, code, year, v.rowid")
        # through Arrow: the same frame as .df() (checked in tests) in two thirds of the time, since .df() makes
        # Python strings that pandas then turns into Arrow strings again; an empty answer keeps .df()'s dtypes
        table = self.con.execute(query).to_arrow_table()
        return table.to_pandas() if table.num_rows else self.con.execute(query).df()

    def fact_years(self, indicator, geo_version=None, codes=None):
        where = self._where(indicator=indicator, geo_version=geo_version, code=codes)
        where = f"{where} AND value IS NOT NULL" if where else "WHERE value IS NOT NULL"
        join = "JOIN fact_codes USING (code_id) " if codes is not None else ""
        return [int(r[0]) for r in self.con.execute(
            f"SELECT DISTINCT year FROM fact_values v JOIN fact_series USING (series_id) {join}{where} ORDER BY year"
        ).fetchall()]

    def facts_of_load(self, provenance_id: int | None) -> pd.DataFrame:
        """The current facts (``FACT_COLUMNS``) that load ``provenance_id`` set, in the order written
        (None: the facts written without a provenance, e.g. harmonised). ``store copy`` moves them so."""
        cond = "IS NULL" if provenance_id is None else f"= {int(provenance_id)}"
        return self.con.execute(
            "SELECT geo_version, code, year, indicator, numerator, denominator, value, source, "
            "COALESCE(flags, '') AS flags, origin_version FROM fact_values v JOIN fact_series USING (series_id) "
            f"JOIN fact_codes USING (code_id) WHERE v.provenance_id {cond} ORDER BY v.rowid").df()

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
            "COALESCE(n.n_facts, 0) AS n_facts FROM geo_versions v LEFT JOIN "
            "(SELECT s.geo_version, count(*) AS n_facts FROM fact_values JOIN fact_series s USING (series_id) "
            "GROUP BY ALL) n ON n.geo_version = v.id ORDER BY v.id").df()

    concurrent_readers = True

    def reader(self) -> "DuckDBStore":
        """This store on a new cursor of the same connection: DuckDB connections are not shared
        between threads, cursors are (each thread reads through its own)."""
        local = copy.copy(self)
        local.con = self.con.cursor()
        return local

    def sql(self, query: str, params=None) -> pd.DataFrame:
        """Read-only SQL for power users and benchmarks (DuckDB dialect)."""
        return self.con.execute(query, params or []).df()

    def close(self):
        if not self.read_only and self.path != ":memory:":
            from .serving import live_servers, publish
            try:
                if live_servers(self.path):    # a running `serve` reads snapshots: give it this state
                    publish(self.con, self.path)
            finally:
                self.con.close()
            return
        self.con.close()

    _where = staticmethod(_sql_where)
