"""Two small tables beside the facts: the *support* of harmonised facts, and the journal of builds.

``support(geo_version, code, origin_version, source_level, cluster, n_sources, sources)`` — for a
target area that received harmonised facts from ``origin_version``: the level of the source areas
(``pc4``, ``buurt`` …), how many there were, which (comma-separated, largest share first), and the
``cluster`` an analysis should resample or cluster on (the source area with the largest share of the
target). A PC4 score spread over five buurten gives five rows with the same ``cluster``: one
observation, not five. Facts join it on ``(geo_version, code, origin_version)``; a native fact has
no row (its support is the area itself).

``build_steps(build, step, done_at, info)`` — what a ``veerkracht build`` has finished, written in
the same transaction as the step's data, so a killed build resumes where it stopped.

Both are created with ``IF NOT EXISTS`` when a store is opened for writing: a store written before
they existed opens and gains them (that is the whole migration); read-only stores without them
read as empty.
"""
from __future__ import annotations

import json

import pandas as pd

__all__ = ["SUPPORT_DDL", "SUPPORT_COLUMNS", "SupportTables"]

SUPPORT_COLUMNS = ["geo_version", "code", "origin_version", "source_level", "cluster", "n_sources", "sources"]
SUPPORT_DDL = """
CREATE TABLE IF NOT EXISTS support (
    geo_version VARCHAR NOT NULL, code VARCHAR NOT NULL, origin_version VARCHAR NOT NULL,
    source_level VARCHAR, cluster VARCHAR, n_sources INTEGER, sources VARCHAR
);
CREATE TABLE IF NOT EXISTS build_steps (
    build VARCHAR NOT NULL, step VARCHAR NOT NULL, done_at VARCHAR, info VARCHAR
);
"""


class SupportTables:
    """Methods of the DuckDB store for ``support`` and ``build_steps`` (mixed into the backend)."""

    def _has_table(self, name: str) -> bool:
        return self.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
                                "AND table_schema = 'main'", [name]).fetchone()[0] > 0

    def write_support(self, support: pd.DataFrame) -> None:
        """Replace the support rows of the (geo_version, origin_version) pairs in ``support``."""
        df = support.reindex(columns=SUPPORT_COLUMNS).astype(
            {c: "string" for c in SUPPORT_COLUMNS if c != "n_sources"} | {"n_sources": "int64"})
        with self.transaction():
            self.con.register("_in_support", df)
            self.con.execute("DELETE FROM support USING (SELECT DISTINCT geo_version, origin_version FROM "
                             "_in_support) i WHERE support.geo_version = i.geo_version "
                             "AND support.origin_version = i.origin_version")
            self.con.execute(f"INSERT INTO support SELECT {', '.join(SUPPORT_COLUMNS)} FROM _in_support")
            self.con.unregister("_in_support")

    def support(self, geo_version: str | None = None, origin_version: str | None = None) -> pd.DataFrame:
        """The support rows (empty frame with the columns when there are none)."""
        if not self._has_table("support"):
            return pd.DataFrame(columns=SUPPORT_COLUMNS)
        where = self._where(geo_version=geo_version, origin_version=origin_version)
        return self.con.execute(f"SELECT * FROM support {where} ORDER BY geo_version, origin_version, code").df()

    def support_clusters(self, geo_version: str, indicator=None, codes=None, years=None) -> pd.DataFrame:
        """Per fact of ``indicator`` in ``geo_version``: the unit it was measured on.

        One row per ``(code, year, indicator, origin_version)`` with ``source_level`` and ``cluster``
        (the source area to resample on); both are missing for a native fact (its support is the area
        itself). Analyses cluster their bootstrap and errors on it (METHOD.md, inference rules).
        """
        where = self._where(geo_version=geo_version, indicator=indicator, code=codes, year=years)
        sel = "f.code, f.year, f.indicator, f.origin_version"
        if not self._has_table("support"):
            return self.con.execute(f"SELECT DISTINCT {sel}, NULL::VARCHAR AS source_level, NULL::VARCHAR AS cluster "
                                    f"FROM (SELECT * FROM facts {where}) f").df()
        # equality conditions only in ON (a hash join); the native-fact test as CASE (an inequality in ON
        # made DuckDB plan a nested loop: 28 s for 30,000 facts)
        native = "f.origin_version = f.geo_version"
        return self.con.execute(
            f"SELECT DISTINCT {sel}, CASE WHEN {native} THEN NULL ELSE s.source_level END AS source_level, "
            f"CASE WHEN {native} THEN NULL ELSE s.cluster END AS cluster FROM (SELECT * FROM facts {where}) f "
            "LEFT JOIN support s ON s.geo_version = f.geo_version AND s.code = f.code "
            "AND s.origin_version = f.origin_version ORDER BY f.code, f.year").df()

    def mark_step(self, build: str, step: str, info: dict | None = None) -> None:
        """Record that ``step`` of ``build`` is done (inside the caller's transaction when there is one)."""
        with self.transaction():
            self.con.execute("DELETE FROM build_steps WHERE build = ? AND step = ?", [build, step])
            self.con.execute("INSERT INTO build_steps VALUES (?, ?, ?, ?)",
                             [build, step, self.now(), json.dumps(info or {}, default=str)])

    def done_steps(self, build: str) -> dict[str, dict]:
        """The finished steps of ``build`` with the info recorded for each."""
        if not self._has_table("build_steps"):
            return {}
        rows = self.con.execute("SELECT step, info FROM build_steps WHERE build = ?", [build]).fetchall()
        return {step: json.loads(info or "{}") for step, info in rows}
