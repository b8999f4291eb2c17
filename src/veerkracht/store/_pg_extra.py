"""What :class:`~.postgis_store.PostGISStore` adds beyond the contract, as the DuckDB store does in
``support.py`` and ``_history.py``: support of harmonised facts, the build journal, the comparison
before a replace, stale derived facts, and the history of replaced facts with restore.
"""
from __future__ import annotations

import json

import pandas as pd

from ..errors import StoreError
from ._pg_io import FLOAT, INT, TEXT, copy_out
from .schema import FACT_COLUMNS
from .support import SUPPORT_COLUMNS

__all__ = ["PG_EXTRA_DDL", "PostGISExtras"]

_T = 'text COLLATE "C"'
PG_EXTRA_DDL = f"""
CREATE TABLE IF NOT EXISTS support (
    geo_version {_T} NOT NULL, code {_T} NOT NULL, origin_version {_T} NOT NULL,
    source_level {_T}, cluster {_T}, n_sources integer, sources {_T}
);
CREATE TABLE IF NOT EXISTS build_steps (build {_T} NOT NULL, step {_T} NOT NULL, done_at {_T}, info {_T});
CREATE TABLE IF NOT EXISTS fact_history (
    geo_version {_T} NOT NULL, code {_T} NOT NULL, year integer NOT NULL, indicator {_T} NOT NULL,
    numerator double precision, denominator double precision, value double precision, source {_T} NOT NULL,
    flags {_T} NOT NULL DEFAULT '', origin_version {_T} NOT NULL, provenance_id integer,
    replaced_by integer, replaced_at {_T}
);
"""
_KEY = ("v.geo_version = i.geo_version AND v.code = i.code AND v.year = i.year AND v.indicator = i.indicator "
        "AND v.source = i.source AND v.origin_version = i.origin_version")
_CLOSE = "({a} IS NOT DISTINCT FROM {b} OR abs({a} - {b}) <= 1e-9 * greatest(1, abs({b})))"
_SAME = " AND ".join(_CLOSE.format(a=f"v.{c}", b=f"i.{c}") for c in ("value", "numerator", "denominator")) + \
    " AND v.flags = COALESCE(i.flags, '')"
_ADD_STALE = ("array_to_string(ARRAY(SELECT DISTINCT x COLLATE \"C\" FROM unnest(string_to_array(flags || ',stale', ',')) x "
              "WHERE x <> '' ORDER BY 1), ',')")
_SUPPORT_TYPES = {c: TEXT for c in SUPPORT_COLUMNS} | {"n_sources": INT}
_HIST_TYPES = {"geo_version": TEXT, "code": TEXT, "year": INT, "indicator": TEXT, "source": TEXT, "value": FLOAT,
               "numerator": FLOAT, "denominator": FLOAT, "flags": TEXT, "provenance_id": FLOAT, "location": TEXT,
               "loaded_at": TEXT, "current": TEXT, "replaced_by": FLOAT, "replaced_at": TEXT}


class PostGISExtras:
    """Support, build journal, history and restore on PostgreSQL (mixed into the backend)."""

    def _staged_changes(self) -> tuple[pd.DataFrame, int, int]:
        join = f"FROM facts v JOIN _in_facts i ON {_KEY}"
        n_changed, n_same = self.con.execute(
            f"SELECT count(*) FILTER (WHERE NOT ({_SAME})), count(*) FILTER (WHERE {_SAME}) {join}").fetchone()
        if not n_changed:
            return pd.DataFrame(), 0, int(n_same)
        changes = copy_out(self.con, "SELECT v.geo_version, v.code, v.year, v.indicator, v.source, v.value AS old, "
                           f"i.value AS new {join} WHERE NOT ({_SAME}) ORDER BY abs(i.value - v.value) DESC NULLS FIRST "
                           "LIMIT 50", {"geo_version": TEXT, "code": TEXT, "year": INT, "indicator": TEXT,
                                        "source": TEXT, "old": FLOAT, "new": FLOAT})
        changes.attrs["series"] = copy_out(self.con, f"SELECT DISTINCT v.geo_version, v.indicator {join} "
                                           f"WHERE NOT ({_SAME})", {"geo_version": TEXT, "indicator": TEXT})
        return changes, int(n_changed), int(n_same)

    def _mark_stale(self, changes: pd.DataFrame) -> int:
        series = changes.attrs.get("series", changes[["geo_version", "indicator"]].drop_duplicates())
        if series.empty:
            return 0
        cur = self.con.execute(
            f"UPDATE facts SET flags = {_ADD_STALE} FROM unnest(%s::text[], %s::text[]) AS c(geo_version, indicator) "
            "WHERE facts.indicator = c.indicator AND ((facts.origin_version = c.geo_version AND "
            "facts.geo_version <> c.geo_version) OR (facts.flags LIKE '%%aggregated%%' AND "
            "facts.geo_version = c.geo_version))",
            [list(series["geo_version"].astype(str)), list(series["indicator"].astype(str))])
        return int(cur.rowcount)

    # ------------------------------------------------------------------ support and build journal
    def write_support(self, support: pd.DataFrame) -> None:
        """Replace the support rows of the (geo_version, origin_version) pairs in ``support``."""
        df = support.reindex(columns=SUPPORT_COLUMNS)
        with self.transaction():
            self._stage("_in_support", ", ".join(f"{c} {'integer' if c == 'n_sources' else 'text'}"
                                                 for c in SUPPORT_COLUMNS), df, SUPPORT_COLUMNS)
            self.con.execute("DELETE FROM support s USING (SELECT DISTINCT geo_version, origin_version FROM "
                             "_in_support) i WHERE s.geo_version = i.geo_version AND s.origin_version = i.origin_version")
            self.con.execute(f"INSERT INTO support SELECT {', '.join(SUPPORT_COLUMNS)} FROM _in_support")
            self.con.execute("DROP TABLE _in_support")

    def support(self, geo_version: str | None = None, origin_version: str | None = None) -> pd.DataFrame:
        """The support rows (empty frame with the columns when there are none)."""
        where = self._where(geo_version=geo_version, origin_version=origin_version)
        return copy_out(self.con, f"SELECT {', '.join(SUPPORT_COLUMNS)} FROM support {where} "
                        "ORDER BY geo_version, origin_version, code", _SUPPORT_TYPES)

    def support_clusters(self, geo_version: str, indicator=None, codes=None, years=None) -> pd.DataFrame:
        """Per fact of ``indicator`` in ``geo_version``: the unit it was measured on (see the DuckDB store)."""
        where = self._where(geo_version=geo_version, indicator=indicator, code=codes, year=years)
        return copy_out(self.con,
                        "SELECT DISTINCT f.code, f.year, f.indicator, f.origin_version, s.source_level, s.cluster "
                        f"FROM (SELECT * FROM facts {where}) f LEFT JOIN support s ON s.geo_version = f.geo_version "
                        "AND s.code = f.code AND s.origin_version = f.origin_version AND f.origin_version <> f.geo_version "
                        "ORDER BY f.code, f.year",
                        {"code": TEXT, "year": INT, "indicator": TEXT, "origin_version": TEXT, "source_level": TEXT,
                         "cluster": TEXT})

    def mark_step(self, build: str, step: str, info: dict | None = None) -> None:
        """Record that ``step`` of ``build`` is done (inside the caller's transaction when there is one)."""
        with self.transaction():
            self.con.execute("DELETE FROM build_steps WHERE build = %s AND step = %s", [build, step])
            self.con.execute("INSERT INTO build_steps VALUES (%s, %s, %s, %s)",
                             [build, step, self.now(), json.dumps(info or {}, default=str)])

    def done_steps(self, build: str) -> dict[str, dict]:
        """The finished steps of ``build`` with the info recorded for each."""
        rows = self.con.execute("SELECT step, info FROM build_steps WHERE build = %s", [build]).fetchall()
        return {step: json.loads(info or "{}") for step, info in rows}

    # ------------------------------------------------------------------ history and restore
    def history(self, indicator: str | list[str] | None = None, codes: list[str] | None = None) -> pd.DataFrame:
        """Every value a fact ever had: the current one (``current``) and the replaced ones, with the
        provenance (``location``, ``loaded_at``) that set each and the one that replaced it."""
        where = self._where(indicator=indicator, code=codes)
        sel = ("SELECT h.geo_version, h.code, h.year, h.indicator, h.source, h.value, h.numerator, h.denominator, "
               "h.flags, h.provenance_id, p.location, p.loaded_at, {current} AS current, {replaced} FROM {table} h "
               "LEFT JOIN provenance p ON p.id = h.provenance_id")
        cur = sel.format(current="TRUE", replaced="NULL::integer AS replaced_by, NULL::text AS replaced_at", table="facts")
        old = sel.format(current="FALSE", replaced="h.replaced_by, h.replaced_at", table="fact_history")
        out = copy_out(self.con, f"SELECT * FROM ({cur} UNION ALL {old}) u {where} "
                       "ORDER BY geo_version, indicator, code, year, current, replaced_at", _HIST_TYPES)
        out["current"] = out["current"] == "t"
        return out

    def restore(self, provenance_id: int) -> dict:
        """Undo the load ``provenance_id``: its facts get their previous values back (or are removed when
        it created them). Returns ``restored``, ``removed`` and the id of the restore's provenance."""
        pid = int(provenance_id)
        cols = ", ".join(FACT_COLUMNS)
        with self.transaction():
            if self.con.execute("SELECT count(*) FROM provenance WHERE id = %s", [pid]).fetchone()[0] == 0:
                raise StoreError(f"no provenance {pid} in the store (see `veerkracht provenance`)")
            current = self.con.execute("SELECT count(*) FROM facts WHERE provenance_id = %s", [pid]).fetchone()[0]
            if current == 0:
                raise StoreError(f"provenance {pid} holds no current facts: replaced by later loads or "
                                 "restored before (see `veerkracht history`)")
            now = self.now()
            rid = self.con.execute(
                "INSERT INTO provenance (kind, location, checksum, options, vintage, loaded_at, n_areas, n_facts, "
                "n_crosswalk) VALUES ('restore', %s, %s, %s, '', %s, 0, %s, 0) RETURNING id",
                [f"restore of provenance {pid}", f"restore:{pid}:{now}", json.dumps({"restores": pid}), now,
                 int(current)]).fetchone()[0]
            series = copy_out(self.con, f"SELECT DISTINCT geo_version, indicator FROM facts WHERE provenance_id = {pid}",
                              {"geo_version": TEXT, "indicator": TEXT})
            self.con.execute(f"CREATE TEMP TABLE _prev ON COMMIT DROP AS SELECT {cols}, provenance_id FROM fact_history i "
                             f"WHERE i.replaced_by = %s AND EXISTS (SELECT 1 FROM facts v WHERE v.provenance_id = %s "
                             f"AND {_KEY})", [pid, pid])
            self.con.execute(f"INSERT INTO fact_history SELECT {cols}, provenance_id, %s, %s FROM facts "
                             "WHERE provenance_id = %s", [rid, now, pid])
            self.con.execute("DELETE FROM facts WHERE provenance_id = %s", [pid])
            restored = self.con.execute(f"INSERT INTO facts ({cols}, provenance_id) SELECT {cols}, provenance_id "
                                        "FROM _prev").rowcount
            self.con.execute(f"DELETE FROM fact_history v USING _prev i WHERE v.replaced_by = %s AND {_KEY}", [pid])
            self.con.execute("DROP TABLE _prev")
            changes = pd.DataFrame(columns=["geo_version", "indicator"])
            changes.attrs["series"] = series
            stale = self._mark_stale(changes)
        return {"restored": int(restored), "removed": int(current - restored), "stale": stale, "provenance_id": rid}

