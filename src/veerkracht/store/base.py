"""The store interface every backend implements.

Analyses, the CLI and the web app only talk to :class:`Store`; they never see SQL of a
particular backend. A backend implements the small set of abstract methods; the ingest
logic (one transaction, idempotent) lives here once.
"""
from __future__ import annotations

import abc
import contextlib
import datetime as _dt
import json
import os
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from ..errors import StoreError
from ._checks import ReplaceNeeded, batch_codes, batch_versions, check_codes, describe_changes
from .schema import normalise_crosswalk, normalise_facts

__all__ = ["Store", "Batch", "Provenance", "ReplaceNeeded"]


@dataclass
class Provenance:
    """Where a batch came from: one file or one API answer."""

    kind: str                 # reader name, e.g. "cbs-kwb"
    location: str             # path or URL as given by the user
    checksum: str             # sha256 of the bytes read
    vintage: str = ""         # what the source says about its release (e.g. "KWB 2023 early release")
    options: dict = field(default_factory=dict)   # reader options that change the result

    @property
    def options_json(self) -> str:
        return json.dumps(self.options, sort_keys=True, default=str)


@dataclass
class Batch:
    """What one reader produced from one input: areas, facts, crosswalk rows, and where from."""

    provenance: Provenance
    areas: gpd.GeoDataFrame | None = None
    facts: pd.DataFrame | None = None
    crosswalk: pd.DataFrame | None = None
    warnings: list[str] = field(default_factory=list)
    indicators: pd.DataFrame | None = None    # indicator definitions the core registry lacks

    def summary(self) -> dict:
        return {
            "areas": 0 if self.areas is None else len(self.areas),
            "facts": 0 if self.facts is None else len(self.facts),
            "crosswalk": 0 if self.crosswalk is None else len(self.crosswalk),
        }


class Store(abc.ABC):
    """Areas, facts, crosswalks, indicator registry and provenance behind one interface."""

    # ------------------------------------------------------------------ backend primitives
    #: whether :meth:`reader` gives each thread its own reader (else the caller serialises reads)
    concurrent_readers: bool = False

    def reader(self) -> "Store":
        """A store to read from in the calling thread (a web worker, say).

        Backends that can serve concurrent readers (DuckDB: a cursor on the same connection) set
        :attr:`concurrent_readers` and return a new reader; the default is the store itself, which
        the caller must then use under a lock. Outputs use this — never a backend's connection.
        """
        return self

    @abc.abstractmethod
    def transaction(self) -> contextlib.AbstractContextManager:
        """A context in which every write is one transaction: all of it lands, or none (also on
        an exception or a killed process)."""

    @abc.abstractmethod
    def _upsert_areas(self, areas: gpd.GeoDataFrame) -> None:
        """Insert or replace areas (key: geo_version, code) inside the current transaction."""

    def _upsert_facts(self, facts: pd.DataFrame, provenance_id: int | None = None) -> None:
        self._stage_facts(facts)
        self._write_staged_facts(provenance_id)

    @abc.abstractmethod
    def _stage_facts(self, facts: pd.DataFrame) -> bool:
        """Stage normalised facts for writing; True when some of their keys may exist already."""

    @abc.abstractmethod
    def _staged_changes(self) -> tuple[pd.DataFrame, int, int]:
        """(changed facts with old/new value, how many change, how many are identical) of the staged facts."""

    @abc.abstractmethod
    def _write_staged_facts(self, provenance_id: int | None, history: bool = False) -> None:
        """Replace/insert the staged facts; with ``history`` the replaced rows are kept in the history."""

    @abc.abstractmethod
    def _mark_stale(self, changes: pd.DataFrame) -> int:
        """Flag harmonised/aggregated facts derived from the changed (version, indicator) series stale."""

    @abc.abstractmethod
    def _area_codes(self, versions: list[str] | None) -> pd.DataFrame:
        """``(geo_version, code, level)`` of the stored areas of ``versions`` (None: all)."""

    @abc.abstractmethod
    def _upsert_crosswalk(self, cw: pd.DataFrame) -> None:
        """Insert or replace crosswalk rows (key: from/to version and code, basis)."""

    @abc.abstractmethod
    def _upsert_indicators(self, reg: pd.DataFrame) -> None:
        """Insert or replace registry rows (key: id)."""

    @abc.abstractmethod
    def _insert_provenance(self, prov: Provenance, counts: dict, loaded_at: str | None = None) -> int:
        """Record one loaded batch (at ``loaded_at``, default now: ``store copy`` keeps the original); returns its id."""

    @abc.abstractmethod
    def _find_provenance(self, prov: Provenance) -> int | None:
        """The id of an earlier load of the same input (kind, location, checksum, options), if any."""

    @abc.abstractmethod
    def areas(self, geo_version: str | None = None, level: str | None = None,
              codes: list[str] | None = None, geometry: bool = True) -> gpd.GeoDataFrame | pd.DataFrame:
        """Areas (``AREA_COLUMNS``), filtered by version, level and codes; a GeoDataFrame in
        EPSG:4326 with ``geometry=True``, a plain DataFrame without. Ordered by version, code."""

    @abc.abstractmethod
    def facts(self, indicator: str | list[str] | None = None, geo_version: str | None = None,
              codes: list[str] | None = None, years: list[int] | None = None,
              source: str | None = None) -> pd.DataFrame:
        """Facts (``FACT_COLUMNS``), filtered by indicator(s), version, codes, years and source;
        unsuppressed — outputs read them through ``maps.catalog`` or ``export`` (which suppress)."""

    def fact_years(self, indicator: str, geo_version: str | None = None, codes: list[str] | None = None) -> list[int]:
        """Sorted years in which ``indicator`` has at least one non-missing value. Generic: from :meth:`facts`;
        a backend answers it without reading the facts (382k grid cells × 8 waves are 3 M rows)."""
        f = self.facts(indicator=indicator, geo_version=geo_version, codes=codes)
        return sorted(int(y) for y in f.loc[f["value"].notna(), "year"].unique())

    @abc.abstractmethod
    def crosswalk(self, from_version: str | None = None, to_version: str | None = None,
                  basis: str | None = None) -> pd.DataFrame:
        """Crosswalk rows (``CROSSWALK_COLUMNS``): from/to version and code, weight, basis, flags."""

    @abc.abstractmethod
    def indicators(self) -> pd.DataFrame:
        """The indicator registry as stored (``INDICATOR_COLUMNS``), one row per id."""

    @abc.abstractmethod
    def provenance(self) -> pd.DataFrame:
        """One row per loaded batch: id, kind, location, checksum, vintage, options, counts, time."""

    @abc.abstractmethod
    def geo_versions(self) -> pd.DataFrame:
        """One row per geography version with its number of areas per level."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the backend (file lock, connection); the store is unusable afterwards."""

    # ------------------------------------------------------------------ shared logic
    def ingest(self, batch: Batch, force: bool = False, replace: bool = False) -> dict:
        """Write one batch in one transaction. The same input twice changes nothing.

        Facts the store holds are never replaced silently: when the batch would change any of them
        (another value, numerator, denominator or flags) the ingest stops with
        :class:`~._checks.ReplaceNeeded` (counts and the largest differences) unless ``replace``;
        replaced facts go to the history with the provenance that set them, and harmonised or
        aggregated facts derived from them get the flag ``stale``. Codes are checked against the
        geography version (see :func:`~._checks.check_codes`).

        Returns counts, ``skipped=True`` when this exact input (same checksum, reader and options) was
        loaded before, ``replaced`` and ``stale`` counts, ``warnings`` and ``provenance_id``.
        """
        counts = batch.summary()
        with self.transaction():
            if not force and self._find_provenance(batch.provenance) is not None:
                return {**counts, "skipped": True, "warnings": []}
            warnings = []
            if not self._area_codes(batch_versions(batch)).empty:   # else nothing to check against
                warnings = check_codes(batch_codes(batch), self._area_codes, batch.provenance.location)
            facts = normalise_facts(batch.facts) if batch.facts is not None and len(batch.facts) else None
            changed = same = stale = 0
            if facts is not None:
                existed = self._stage_facts(facts)
                if existed:
                    changes, changed, same = self._staged_changes()
                    if changed and not replace:
                        raise ReplaceNeeded(describe_changes(changes, changed, same, batch.provenance.location))
            pid = self._insert_provenance(batch.provenance, counts)
            if batch.indicators is not None and len(batch.indicators):
                self._upsert_indicators(batch.indicators)
            if batch.areas is not None and len(batch.areas):
                self._upsert_areas(batch.areas)
            _test_pause_hook()
            if facts is not None:
                self._write_staged_facts(pid, history=True)
                if changed:
                    stale = self._mark_stale(changes)
            if batch.crosswalk is not None and len(batch.crosswalk):
                self._upsert_crosswalk(normalise_crosswalk(batch.crosswalk))
        if stale:
            warnings.append(f"{stale} harmonised or aggregated fact(s) derived from replaced facts are flagged "
                            "stale: run `veerkracht harmonise` (or aggregate) again to recompute them")
        return {**counts, "skipped": False, "replaced": changed, "stale": stale, "warnings": warnings,
                "provenance_id": pid}

    def write_facts(self, facts: pd.DataFrame) -> None:
        """Upsert derived facts (e.g. harmonised) in one transaction."""
        with self.transaction():
            self._upsert_facts(normalise_facts(facts))

    def write_crosswalk(self, cw: pd.DataFrame) -> None:
        """Upsert crosswalk rows (``CROSSWALK_COLUMNS``) in one transaction."""
        with self.transaction():
            self._upsert_crosswalk(normalise_crosswalk(cw))

    def write_areas(self, areas: gpd.GeoDataFrame) -> None:
        """Upsert areas (``AREA_COLUMNS`` + geometry, any CRS: stored in EPSG:4326) in one transaction."""
        with self.transaction():
            self._upsert_areas(areas)

    def register_indicators(self, reg: pd.DataFrame) -> None:
        """Insert or update indicator registry rows (``INDICATOR_COLUMNS``) in one transaction."""
        with self.transaction():
            self._upsert_indicators(reg)

    def indicator(self, indicator_id: str) -> dict:
        """The registry row of ``indicator_id`` as a dict; an unknown id is a :class:`StoreError`
        that lists the known ones."""
        reg = self.indicators()
        row = reg[reg["id"] == indicator_id]
        if row.empty:
            known = ", ".join(sorted(reg["id"]))
            raise StoreError(f"unknown indicator {indicator_id!r}; the store knows: {known}")
        return row.iloc[0].to_dict()

    @staticmethod
    def now() -> str:
        """The current UTC time as an ISO 8601 string (seconds), for provenance."""
        return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _test_pause_hook() -> None:
    """Lets the crash-safety test SIGKILL the process in the middle of a transaction.

    Only active when ``VEERKRACHT_TEST_PAUSE_IN_INGEST`` names a file: the process writes it
    (half the batch is written by then) and sleeps, so the test can kill it at a known point.
    """
    marker = os.environ.get("VEERKRACHT_TEST_PAUSE_IN_INGEST")
    if marker:
        import time
        with open(marker, "w") as fh:
            fh.write(str(os.getpid()))
        time.sleep(60)
