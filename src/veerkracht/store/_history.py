"""History of replaced facts, restore, stale derived facts and the comparison before a replace (DuckDB).

``fact_history`` holds every fact value an ingest replaced, with the provenance that had set it
(``provenance_id``) and the one that replaced it (``replaced_by``), so a fact can be traced to every
file that ever set it. :meth:`HistoryMixin.restore` undoes one load: the facts it set get their previous
values back (or disappear when it created them), and what it set goes to the history in turn.
"""
from __future__ import annotations

import json

import pandas as pd

from ..errors import StoreError

__all__ = ["HISTORY_DDL", "HistoryMixin"]

HISTORY_DDL = """
CREATE TABLE IF NOT EXISTS fact_history (
    series_id INTEGER NOT NULL, code_id INTEGER NOT NULL, year INTEGER NOT NULL,
    numerator DOUBLE, denominator DOUBLE, value DOUBLE, flags VARCHAR, provenance_id INTEGER,
    replaced_by INTEGER, replaced_at VARCHAR
);
"""

_CLOSE = "({a} IS NOT DISTINCT FROM {b} OR abs({a} - {b}) <= 1e-9 * greatest(1, abs({b})))"
_SAME = " AND ".join(_CLOSE.format(a=f"v.{c}", b=f"i.{c}") for c in ("value", "numerator", "denominator")) + \
    " AND COALESCE(v.flags, '') = COALESCE(CAST(i.flags AS VARCHAR), '')"
_ADD_STALE = ("array_to_string(list_sort(list_distinct(list_filter(string_split(COALESCE(flags, '') || ',stale', "
              "','), x -> x <> ''))), ',')")
_READ = ("SELECT s.geo_version, c.code, h.year, s.indicator, s.source, h.value, h.numerator, h.denominator, "
         "COALESCE(h.flags, '') AS flags, h.provenance_id, p.location, p.loaded_at, {current} AS current, "
         "{replaced} FROM {table} h JOIN fact_series s USING (series_id) JOIN fact_codes c USING (code_id) "
         "LEFT JOIN provenance p ON p.id = h.provenance_id")


class HistoryMixin:
    """What :class:`~.duckdb_store.DuckDBStore` adds for replacing facts without losing any."""

    def _staged_changes(self) -> tuple[pd.DataFrame, int, int]:
        join = ("FROM fact_values v JOIN _in_facts i ON v.series_id = i.series_id AND v.code_id = i.code_id "
                "AND v.year = i.year")
        n_changed, n_same = self.con.execute(
            f"SELECT count(*) FILTER (WHERE NOT ({_SAME})), count(*) FILTER (WHERE {_SAME}) {join}").fetchone()
        if not n_changed:
            return pd.DataFrame(), 0, int(n_same)
        changes = self.con.execute(
            f"SELECT s.geo_version, c.code, i.year, s.indicator, s.source, v.value AS old, i.value AS new {join} "
            "JOIN fact_series s ON s.series_id = v.series_id JOIN fact_codes c ON c.code_id = v.code_id "
            f"WHERE NOT ({_SAME}) ORDER BY abs(i.value - v.value) DESC NULLS FIRST LIMIT 50").df()
        changes.attrs["series"] = self.con.execute(
            f"SELECT DISTINCT s.geo_version, s.indicator {join} JOIN fact_series s ON s.series_id = v.series_id "
            f"WHERE NOT ({_SAME})").df()
        return changes, int(n_changed), int(n_same)

    def _mark_stale(self, changes: pd.DataFrame) -> int:
        series = changes.attrs.get("series", changes[["geo_version", "indicator"]].drop_duplicates())
        self._register("_changed_series", series)
        n = self.con.execute(
            f"UPDATE fact_values SET flags = {_ADD_STALE} WHERE series_id IN (SELECT s.series_id FROM fact_series s "
            "JOIN _changed_series c ON s.indicator = c.indicator AND s.origin_version = c.geo_version "
            "AND s.geo_version <> c.geo_version) OR (COALESCE(flags, '') LIKE '%aggregated%' AND series_id IN "
            "(SELECT s.series_id FROM fact_series s JOIN _changed_series c ON s.indicator = c.indicator "
            "AND s.geo_version = c.geo_version))").fetchone()[0]
        self.con.unregister("_changed_series")
        return int(n)

    def _area_codes(self, versions: list[str] | None) -> pd.DataFrame:
        if versions is None:
            return self.con.execute("SELECT geo_version, code, level FROM areas").df()
        if not versions:
            return pd.DataFrame(columns=["geo_version", "code", "level"])
        return self.con.execute("SELECT geo_version, code, level FROM areas WHERE geo_version IN "
                                f"({', '.join('?' * len(versions))})", list(versions)).df()

    def history(self, indicator: str | list[str] | None = None, codes: list[str] | None = None) -> pd.DataFrame:
        """Every value a fact ever had: the current one (``current``) and the replaced ones, with the
        provenance (``location``, ``loaded_at``) that set each and the one that replaced it."""
        where = self._where(indicator=indicator, code=codes)
        cur = _READ.format(current="TRUE", replaced="NULL::INTEGER AS replaced_by, NULL AS replaced_at",
                           table="fact_values")
        old = _READ.format(current="FALSE", replaced="h.replaced_by, h.replaced_at", table="fact_history")
        return self.con.execute(f"SELECT * FROM ({cur} UNION ALL {old}) {where} "
                                "ORDER BY geo_version, indicator, code, year, current, replaced_at").df()

    def restore(self, provenance_id: int) -> dict:
        """Undo the load ``provenance_id``: its facts get their previous values back (or are removed when
        it created them). Returns ``restored``, ``removed`` and the id of the restore's provenance."""
        pid = int(provenance_id)
        with self.transaction():
            if self.con.execute("SELECT count(*) FROM provenance WHERE id = ?", [pid]).fetchone()[0] == 0:
                raise StoreError(f"no provenance {pid} in the store (see `veerkracht provenance`)")
            current = self.con.execute("SELECT count(*) FROM fact_values WHERE provenance_id = ?", [pid]).fetchone()[0]
            if current == 0:
                raise StoreError(f"provenance {pid} holds no current facts: replaced by later loads or "
                                 "restored before (see `veerkracht history`)")
            rid = self.con.execute(
                "INSERT INTO provenance (kind, location, checksum, options, vintage, loaded_at, n_areas, n_facts, "
                "n_crosswalk) VALUES ('restore', ?, ?, ?, '', ?, 0, ?, 0) RETURNING id",
                [f"restore of provenance {pid}", f"restore:{pid}:{self.now()}", json.dumps({"restores": pid}),
                 self.now(), int(current)]).fetchone()[0]
            series = self.con.execute("SELECT DISTINCT s.geo_version, s.indicator FROM fact_values v JOIN fact_series "
                                      "s USING (series_id) WHERE v.provenance_id = ?", [pid]).df()
            self.con.execute("CREATE TEMP TABLE _prev AS SELECT h.* EXCLUDE (replaced_by, replaced_at) FROM "
                             "fact_history h SEMI JOIN (SELECT series_id, code_id, year FROM fact_values WHERE "
                             "provenance_id = ?) v USING (series_id, code_id, year) WHERE h.replaced_by = ?", [pid, pid])
            self.con.execute("INSERT INTO fact_history SELECT *, ?, ? FROM fact_values WHERE provenance_id = ?",
                             [rid, self.now(), pid])
            self.con.execute("DELETE FROM fact_values WHERE provenance_id = ?", [pid])
            restored = self.con.execute("INSERT INTO fact_values SELECT * FROM _prev").fetchone()[0]
            self.con.execute("DELETE FROM fact_history h USING _prev p WHERE h.replaced_by = ? AND "
                             "h.series_id = p.series_id AND h.code_id = p.code_id AND h.year = p.year", [pid])
            self.con.execute("DROP TABLE _prev")
            changes = pd.DataFrame(columns=["geo_version", "indicator"])
            changes.attrs["series"] = series
            stale = self._mark_stale(changes)
        return {"restored": int(restored), "removed": int(current - restored), "stale": stale, "provenance_id": rid}
