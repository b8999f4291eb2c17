"""Streaming ingest: a large file's pieces written straight into the store, in one transaction.

:meth:`StreamMixin.ingest_stream` gives a reader a ``sink``; every piece the reader has parsed and
checked (areas and facts of a few hundred thousand rows) is written at once, so memory holds one
piece, never the whole file. What needs the whole file is decided after the last piece, in SQL over
the facts just written: a code twice in one year, a percentage column of fractions, a unit jump
between years, WOZ in euros. When any of these might hold — or the facts would replace stored ones,
or the reader meets a piece it cannot stream — the transaction is rolled back and the caller reads
the file the ordinary way (:meth:`Store.ingest`), which explains the problem (file, row, column) or
asks for ``--replace``. The stream therefore never decides an error itself, and its result is the
ordinary ingest's: same facts, areas, provenance and code checks.
"""
from __future__ import annotations

import contextlib
import os
import re
import types
from typing import Callable

import pandas as pd

from ._checks import batch_codes, check_codes
from .schema import normalise_facts

__all__ = ["StreamMixin", "StreamFallback", "STREAM_MEMORY"]

#: DuckDB's memory limit while a stream is written (``VEERKRACHT_STREAM_MEMORY``; a file store spills
#: beyond it to ``<store>.tmp``). DuckDB's default (80 % of RAM) lets its buffers grow with the file:
#: 5 M rows took 1.8 GB peak RSS without it, 1.26–1.49 GB with 512–700 MB (benchmarks/bench_ingest.py).
STREAM_MEMORY = os.environ.get("VEERKRACHT_STREAM_MEMORY", "512MB")


@contextlib.contextmanager
def _memory_limit(store):
    """DuckDB's memory limit at :data:`STREAM_MEMORY` for a store on disk (an in-memory one cannot spill)."""
    if getattr(store, "path", ":memory:") == ":memory:" or not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", STREAM_MEMORY):
        yield
        return
    store.con.execute(f"SET memory_limit = '{STREAM_MEMORY}'")
    try:
        yield
    finally:
        store.con.execute("RESET memory_limit")      # the store never sets another limit


class StreamFallback(Exception):
    """The file cannot be streamed (or something needs the whole file): ingest it the ordinary way."""


# Whole-file conditions, per series written by this provenance. Each query returns rows only when the
# ordinary reader might object; ``{kinds}`` lists (indicator, kind) of the KWB measures.
_DUPLICATES = """SELECT 1 FROM fact_values v JOIN fact_series s USING (series_id)
                 WHERE v.provenance_id = $pid AND s.indicator = (SELECT indicator FROM fact_series WHERE series_id = $series)
                 GROUP BY v.series_id, v.code_id, v.year HAVING count(*) > 1 LIMIT 1"""
# the reader checks these per indicator over all the file's years (and versions)
_FRACTIONS = """SELECT 1 FROM fact_values v JOIN fact_series s USING (series_id)
                WHERE v.provenance_id = $pid AND s.indicator IN (SELECT unnest($pct))
                GROUP BY s.indicator
                HAVING count(v.value) >= 5 AND max(v.value) <= 1 AND bool_or(v.value > 0 AND v.value < 1) LIMIT 1"""
_UNIT_JUMPS = """
WITH pos AS (
    SELECT s.indicator AS ind, v.code_id, v.year,
           CASE WHEN s.indicator IN (SELECT unnest($per1000)) THEN v.numerator ELSE v.value END AS x
    FROM fact_values v JOIN fact_series s USING (series_id)
    WHERE v.provenance_id = $pid AND s.indicator IN (SELECT unnest($checked)) AND x > 0
),
first AS (SELECT ind, min(year) AS y0 FROM pos GROUP BY ind),
ref AS (SELECT p.ind, p.code_id, p.x AS x0 FROM pos p JOIN first f ON p.ind = f.ind AND p.year = f.y0),
ratio AS (SELECT p.ind, p.year, median(p.x / r.x0) AS med FROM pos p JOIN first f ON p.ind = f.ind
          JOIN ref r ON p.ind = r.ind AND p.code_id = r.code_id
          WHERE p.year > f.y0 GROUP BY ALL)
SELECT 1 FROM ratio WHERE med >= $factor * 0.999 OR med <= 1.001 / $factor LIMIT 1
"""
_WOZ = """SELECT 1 FROM fact_values v JOIN fact_series s USING (series_id)
          WHERE v.provenance_id = $pid AND s.indicator = $woz
          HAVING median(v.value) > $euro OR bool_or(v.value IS NOT NULL AND NOT v.value BETWEEN $lo AND $hi)"""


class StreamMixin:
    """``ingest_stream`` for a store with the DuckDB write path (``_stage_facts`` and friends)."""

    def ingest_stream(self, read: Callable, *, whole_file: dict, force: bool = False,
                      then: Callable[[dict], None] | None = None) -> dict | None:
        """Run ``read(sink)`` and write each piece it sends to ``sink(areas, facts)``; one transaction.

        ``read`` returns the batch (provenance and warnings; no facts) or raises :class:`StreamFallback`.
        ``whole_file`` names the indicators of the checks done after the last piece: ``pct`` (fraction
        check, empty when the reader's ``pct_form`` is not ``auto``), ``per1000``, ``checked`` (unit
        jumps), ``woz`` with ``euro`` and ``plausible``. Returns what :meth:`Store.ingest` returns, or
        None when the file must be ingested the ordinary way (nothing was written). ``then(result)`` runs
        inside the transaction after the write (e.g. a build journalling its step in the same commit).
        """
        state: dict = {"areas": 0, "facts": 0, "versions": set(), "series": set(), "known": [], "codes": [],
                        "merge": set()}
        try:
            with _memory_limit(self), self.transaction():
                # the id the provenance row will get; taken only at the end, so that a stream rolled back
                # leaves no gap in the ids users name (restore --provenance N)
                pid = self.con.execute("SELECT COALESCE(last_value, start_value - 1) + 1 FROM duckdb_sequences() "
                                       "WHERE sequence_name = 'provenance_seq'").fetchone()[0]

                def sink(areas, facts) -> None:
                    versions = {str(v) for v in areas["geo_version"].unique()}
                    new = sorted(versions - state["versions"])
                    for v in new:       # the store's codes before this file
                        state["known"].append(self._area_codes([v]))
                        if len(state["known"][-1]):
                            state["merge"].add(v)
                    state["versions"] |= versions
                    if any(len(k) for k in state["known"]):
                        state["codes"].append(pd.DataFrame({c: areas[c].astype("str") for c in
                                                            ("geo_version", "code", "level")}))
                    if self._stage_facts(normalise_facts(facts.drop(columns="_row")), fresh=state["series"]):
                        raise StreamFallback("facts of this file are in the store already")
                    self._write_staged_facts(pid)
                    self._insert_areas(areas, merge=bool(versions & state["merge"]))
                    state["areas"] += len(areas)
                    state["facts"] += len(facts)

                batch = read(sink)
                if not state["facts"]:
                    raise StreamFallback("no facts")
                self._whole_file_checks(pid, state["series"], whole_file)
                warnings = []
                known = pd.concat(state["known"], ignore_index=True)
                if len(known):
                    codes = batch_codes(types.SimpleNamespace(facts=None, areas=pd.concat(state["codes"])))
                    warnings = check_codes(codes, lambda versions: known[known["geo_version"].isin(versions)],
                                           batch.provenance.location)
                prov = batch.provenance
                if not force and self._find_provenance(prov) is not None:
                    raise _Skip
                counts = {"areas": state["areas"], "facts": state["facts"], "crosswalk": 0}
                got = self._insert_provenance(prov, counts)
                if got != pid:      # the sequence moved on meanwhile: name the id it gave
                    self.con.execute("UPDATE fact_values SET provenance_id = ? WHERE provenance_id = ?", [got, pid])
                    pid = got
                result = {**counts, "skipped": False, "replaced": 0, "stale": 0, "warnings": warnings,
                          "provenance_id": pid}
                if then is not None:
                    then(result)
        except StreamFallback:
            return None
        except _Skip:
            return {"areas": state["areas"], "facts": state["facts"], "crosswalk": 0, "skipped": True, "warnings": []}
        return {**result, "batch": batch}

    def _whole_file_checks(self, pid: int, series: set, whole_file: dict) -> None:
        con = self.con
        if con.execute(_DUPLICATES, {"pid": pid, "series": min(series)}).fetchall():
            raise StreamFallback("a code twice in one year")
        if whole_file.get("pct") and con.execute(_FRACTIONS, {"pid": pid, "pct": whole_file["pct"]}).fetchall():
            raise StreamFallback("fractions")
        if con.execute(_UNIT_JUMPS, {"pid": pid, "per1000": whole_file["per1000"] or [""],
                                     "checked": whole_file["checked"], "factor": 30.0}).fetchall():
            raise StreamFallback("a unit jump")
        lo, hi = whole_file["plausible"]
        if con.execute(_WOZ, {"pid": pid, "woz": whole_file["woz"], "euro": whole_file["euro"], "lo": lo,
                              "hi": hi}).fetchall():
            raise StreamFallback("WOZ to convert or flag")


class _Skip(Exception):
    """This exact input was loaded before: roll back what the stream wrote and report it skipped."""
