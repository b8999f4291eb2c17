"""What the web app knows about the store: validated look-ups and cached, suppressed facts.

Every request parameter is checked here against the values the store actually holds before it
reaches a query, so no user string is ever put into SQL unchecked and every unknown value gets a
clear 4xx message. Facts pass :func:`~veerkracht.indicators.reliability.apply_suppression` on the
way in, with the cells secondary suppression adds for their version
(:func:`~veerkracht.indicators.reliability.hidden_in_version`, decided once per version on all its
facts): suppressed values never leave this module, and the ones shown do not give them away.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict

import numpy as np
import pandas as pd

from ..indicators.choice import one_fact_per_area_year
from ..indicators.reliability import apply_suppression, hidden_cache, hidden_of_store, small_count_indicators
from ..indicators.words import ESTIMATE_FLAGS, UNRELIABLE_FLAGS
from ..store.schema import LEVELS
from .legend import pooled_breaks

__all__ = ["ViewError", "Catalog", "UNRELIABLE_FLAGS", "ESTIMATE_FLAGS", "status_of", "LRU"]

#: levels a user can choose on the map, coarse to fine
MAP_LEVELS = tuple(lv for lv in LEVELS if lv in ("gemeente", "wijk", "pc4", "buurt", "grid"))
#: levels drawn only within a gemeente or wijk (the 100 m grid: 382k cells nationally)
REGION_ONLY_LEVELS = ("grid",)

_PATTERNS = {
    "version": re.compile(r"^[A-Za-z0-9_.#-]{1,40}$"),
    "code": re.compile(r"^[A-Za-z0-9]{2,16}$"),
    "indicator": re.compile(r"^[a-z0-9_]{1,40}$"),
    "level": re.compile(r"^[a-z0-9]{1,12}$"),
}


class ViewError(Exception):
    """A bad request: rendered as ``{"error": message}`` with ``status`` (never a traceback)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def _shorten(values, n: int = 12) -> str:
    values = sorted(map(str, values))
    return ", ".join(values[:n]) + (f" … ({len(values)} in all)" if len(values) > n else "")


def status_of(value: pd.Series, flags: pd.Series) -> pd.Series:
    """``ok`` | ``unreliable`` | ``suppressed`` | ``missing`` per fact."""
    tokens = flags.fillna("").astype(str).str.split(",")
    out = pd.Series("ok", index=value.index, dtype=object)
    out[tokens.map(lambda t: bool(UNRELIABLE_FLAGS.intersection(t)))] = "unreliable"
    out[value.isna()] = "missing"
    out[tokens.map(lambda t: "suppressed" in t)] = "suppressed"
    return out


class Catalog:
    """Read-side facade over one store for the web app (thread-safe, cached)."""

    def __init__(self, store):
        self.store = store
        hidden_cache(store)             # made before any reader: the readers share one decision per version
        self.lock = threading.RLock()   # guards the caches (and the store when it has no cursors)
        self._local = threading.local()
        self.registry = store.indicators().set_index("id", drop=False)
        self.area_table = store.areas(geometry=False)
        facts = store.facts()
        self.provenance = store.provenance()
        self.area_table["name"] = _names(self.area_table)
        self._by_key = self.area_table.set_index(["geo_version", "code"]).sort_index()
        # looked up on every request: computed once (scanning the Arrow-backed column each time
        # was the largest single cost under load)
        self._versions = sorted(set(self.area_table["geo_version"]))
        self._levels = {v: sorted(set(g["level"])) for v, g in self.area_table.groupby("geo_version")}
        self.restricted = small_count_indicators(self.registry)
        lv = facts.merge(self.area_table[["geo_version", "code", "level"]], on=["geo_version", "code"],
                         how="left")
        lv["level"] = lv["level"].fillna("unknown")
        self.availability = (lv.groupby(["indicator", "geo_version", "level"])["year"]
                             .agg(lambda y: sorted({int(v) for v in y})).to_dict())
        self.sources = (facts.groupby("indicator")["source"].agg(lambda s: sorted(set(map(str, s))))
                        .to_dict())
        self._facts_cache: dict = {}
        self._memo: dict = {}
        # per (indicator, version, level, year): every area's value and status; per view parameters
        # the class breaks — bounded, so exploring many views cannot grow the server without end
        self._tables = LRU(256)
        self._breaks = LRU(1024)
        self._regions = LRU(1024)

    def db(self):
        """The store for the calling thread.

        Each worker thread reads through its own :meth:`Store.reader` when the backend serves
        concurrent readers (DuckDB: a cursor), so slow queries (an analysis) never block the others;
        any other store is shared under :attr:`lock`. The catalogue never touches a backend's
        connection itself.
        """
        if not getattr(self.store, "concurrent_readers", False):
            return _Locked(self.store, self.lock)
        local = getattr(self._local, "store", None)
        if local is None:
            local = self.store.reader()
            self._local.store = local
        return local

    # ------------------------------------------------------------------ validation
    def _pattern(self, kind: str, value: str) -> str:
        if value is None or not _PATTERNS[kind].match(str(value)):
            raise ViewError(f"invalid {kind} {str(value)[:60]!r}: expected letters, digits and _ . # - only")
        return str(value)

    def versions(self) -> list[str]:
        return self._versions

    def check_version(self, version: str) -> str:
        self._pattern("version", version)
        if version not in self._levels:
            raise ViewError(f"unknown geography version {version!r}; known: {_shorten(self.versions())}", 404)
        return version

    def levels(self, version: str) -> list[str]:
        return self._levels.get(version, [])

    def check_level(self, version: str, level: str) -> str:
        self._pattern("level", level)
        known = self.levels(version)
        if level not in known:
            raise ViewError(f"version {version!r} has no level {level!r}; it has: {_shorten(known)}", 404)
        return level

    def check_indicator(self, indicator: str) -> dict:
        self._pattern("indicator", indicator)
        if indicator not in self.registry.index:
            raise ViewError(f"unknown indicator {indicator!r}; known: {_shorten(self.registry.index)}", 404)
        return self.registry.loc[indicator].to_dict()

    def years(self, indicator: str, version: str, level: str | None = None) -> list[int]:
        if level is not None:
            return self.availability.get((indicator, version, level), [])
        return sorted({y for (i, v, _), ys in self.availability.items() if i == indicator and v == version
                       for y in ys})

    def check_year(self, indicator: str, version: str, level: str, year: int) -> int:
        known = self.years(indicator, version, level)
        if not known:
            raise ViewError(f"no {indicator!r} data for {level} areas in version {version!r}", 404)
        if year not in known:
            raise ViewError(f"no {indicator!r} data for {year} ({level}, {version}); years: "
                           f"{_shorten(known, 30)}", 404)
        return year

    def check_code(self, version: str, code: str) -> dict:
        self._pattern("code", code)
        try:
            row = self._by_key.loc[(version, code)]
        except KeyError:
            raise ViewError(f"no area {code!r} in version {version!r}", 404) from None
        if isinstance(row, pd.DataFrame):
            row = row.iloc[0]
        return {"geo_version": version, "code": code, **{k: _clean(v) for k, v in row.items()}}

    def region_areas(self, version: str, level: str, region: str | None) -> pd.DataFrame:
        """Areas of ``level`` in ``version`` inside ``region`` (a gemeente/wijk code, or all);
        looked up once per (version, level, region). Callers must not modify the frame."""
        key = (version, level, region or None)
        hit = self._regions.get(key)
        if hit is None:
            hit = self._region_areas(version, level, region)
            self._regions.put(key, hit)
        return hit

    def _region_areas(self, version: str, level: str, region: str | None) -> pd.DataFrame:
        t = self.area_table
        t = t[(t["geo_version"] == version) & (t["level"] == level)]
        if region in (None, "", "NL01"):
            if level in REGION_ONLY_LEVELS:
                raise ViewError(f"the {level} is drawn within one gemeente or wijk: choose a region", 400)
            return t
        if level in REGION_ONLY_LEVELS:     # cells carry the gemeente and wijk of another version's buurten
            self._pattern("code", region)
        else:
            self.check_code(version, region)
        keep = (t["code"] == region) | (t["gm_code"] == region) | (t["wk_code"] == region)
        if not keep.any():
            raise ViewError(f"no {level} areas of version {version!r} lie in region {region!r}", 404)
        return t[keep]

    # ------------------------------------------------------------------ facts
    def facts(self, indicator: str, version: str) -> pd.DataFrame:
        """All facts of ``indicator`` in ``version``, suppressed, with ``status``; one row per code/year.

        When several sources give the same code and year, a published figure wins over an
        aggregated or harmonised one.
        """
        split = self._facts_cache.get(version)
        if split is None:     # two threads may both compute it once; the answers are equal
            split = self._version_facts(version)
            with self.lock:
                split = self._facts_cache.setdefault(version, split)
        hit = split.get(indicator)
        return hit if hit is not None else split[None]

    def _version_facts(self, version: str) -> dict:
        """``{indicator: facts}`` of one version, suppressed in one pass (the first request that
        touches a version pays for all its indicators, no later one does); ``None``: an empty frame."""
        f = one_fact_per_area_year(self._suppress(self.db().facts(geo_version=version), version))
        out: dict = {ind: g.reset_index(drop=True) for ind, g in f.groupby("indicator", sort=False)}
        out[None] = f.iloc[:0]
        return out

    def raw_facts(self, indicator: str, version: str) -> pd.DataFrame:
        """Unsuppressed facts, only for pooling into large reference areas (never sent out)."""
        return self.memo(("raw", indicator, version), lambda: one_fact_per_area_year(
            self.db().facts(indicator=indicator, geo_version=version)))

    def series(self, indicator: str, version: str, code: str) -> list[dict]:
        """``[{year, value, status}]`` of one area (suppressed values already blank), by year."""
        def build():
            f = self.facts(indicator, version).sort_values("year")
            return {c: [{"year": int(y), "value": None if pd.isna(v) else round(float(v), 4), "status": st}
                        for y, v, st in zip(g["year"], g["value"], g["status"])]
                    for c, g in f.groupby("code", sort=False)}
        return self.memo(("series", indicator, version), build).get(code, [])

    def memo(self, key: tuple, build):
        """``build()`` computed once per key (the store is read-only while serving)."""
        hit = self._memo.get(key)
        if hit is None:
            hit = build()
            with self.lock:
                hit = self._memo.setdefault(key, hit)
        return hit

    def name_of(self, version: str, code: str | None) -> str | None:
        if code is None:
            return None
        try:
            row = self._by_key.loc[(version, code)]
        except KeyError:
            return None
        return str(row["name"].iloc[0] if isinstance(row, pd.DataFrame) else row["name"])

    def area_facts(self, version: str, code: str) -> pd.DataFrame:
        """Every suppressed fact of one area, all indicators and years."""
        def build():
            empty = self.facts("", version)
            parts = [g for k, g in self._facts_cache[version].items() if k is not None]
            f = pd.concat(parts, ignore_index=True) if parts else empty
            return {c: g.reset_index(drop=True) for c, g in f.groupby("code", sort=False)}
        hit = self.memo(("by_code", version), build).get(code)
        return hit if hit is not None else self._suppress(self.db().facts(geo_version=version, codes=[code]), version)

    def hidden(self, version: str) -> pd.DataFrame:
        """The cells of ``version`` no output shows (primary and secondary suppression), once per version."""
        return self.memo(("hidden", version), lambda: hidden_of_store(self.db(), version))

    def _suppress(self, raw: pd.DataFrame, version: str) -> pd.DataFrame:
        out = apply_suppression(raw, restricted=self.restricted, hidden=self.hidden(version))
        out["status"] = status_of(out["value"], out["flags"])
        return out

    def values(self, indicator: str, version: str, level: str, year: int, region: str | None) -> pd.DataFrame:
        """One row per area of the level/region: code, name, value, status, flags, source.

        The table of the whole level is built once per (indicator, version, level, year); a region
        is a row filter on it."""
        if level in REGION_ONLY_LEVELS:     # the grid: built per region, never for the whole country
            return self._tables.get_or_build(
                (indicator, version, level, year, region),
                lambda: self._level_values(indicator, version, level, year, region)).copy()
        full = self._tables.get_or_build((indicator, version, level, year),
                                         lambda: self._level_values(indicator, version, level, year))
        if region in (None, "", "NL01"):
            return full.copy()
        self.check_code(version, region)
        keep = (full["code"] == region) | (full["gm_code"] == region) | (full["wk_code"] == region)
        if not keep.any():
            self.region_areas(version, level, region)     # raises the message that says why
        return full[keep].reset_index(drop=True)

    def _level_values(self, indicator: str, version: str, level: str, year: int,
                      region: str | None = None) -> pd.DataFrame:
        areas = self.region_areas(version, level, region)
        f = self.facts(indicator, version)
        f = f[f["year"] == year]
        out = areas[["code", "name", "gm_code", "wk_code"]].merge(
            f[["code", "value", "numerator", "denominator", "status", "flags", "source"]], on="code", how="left")
        out["status"] = out["status"].fillna("missing")
        out["flags"] = out["flags"].fillna("")
        # plain Python strings: every view of this table reads them row by row (Arrow-backed
        # strings cost more per element than the view itself)
        text = ["code", "name", "gm_code", "wk_code", "status", "flags", "source"]
        out[text] = out[text].astype(object)
        return out.reset_index(drop=True)

    def pooled_values(self, indicator: str, version: str, level: str) -> np.ndarray:
        """Every shown value of the indicator at ``level`` in ``version``, all years (for breaks)."""
        f = self.facts(indicator, version)
        codes = set(self.area_table.loc[(self.area_table["geo_version"] == version)
                                        & (self.area_table["level"] == level), "code"])
        f = f[f["code"].isin(codes) & f["status"].isin(["ok", "unreliable"])]
        return f["value"].to_numpy(float)

    def breaks(self, indicator: str, version: str, level: str, scheme: str, k: int) -> tuple[list[float], float | None]:
        """``(class upper bounds, lowest value)`` from all years pooled; computed once per parameters."""
        def build():
            pooled = self.pooled_values(indicator, version, level)
            bins = pooled_breaks(pooled, scheme, k)
            return bins, (float(np.nanmin(pooled)) if bins else None)
        return self._breaks.get_or_build((indicator, version, level, scheme, int(k)), build)


class LRU:
    """A thread-safe mapping that keeps the ``maxsize`` most recently used entries.

    ``get_or_build`` computes a missing entry outside the lock (two threads may both build it
    once; the answers are equal, as everything here is a function of a read-only store)."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._d: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            hit = self._d.get(key)
            if hit is not None:
                self._d.move_to_end(key)
            return hit

    def put(self, key, value) -> None:
        with self._lock:
            self._d[key] = value
            self._d.move_to_end(key)
            while len(self._d) > self.maxsize:
                self._d.popitem(last=False)

    def get_or_build(self, key, build):
        hit = self.get(key)
        if hit is None:
            hit = build()
            self.put(key, hit)
        return hit

    def __len__(self) -> int:
        return len(self._d)


def _names(t: pd.DataFrame) -> pd.Series:
    """Names, borrowed from another version for areas stored without one (an aggregated
    ``GM0363`` is *Amsterdam* in every indeling that names it); else the code."""
    named = t["name"].notna() & (t["name"].astype(str) != t["code"].astype(str))
    known = t[named].sort_values("geo_version").drop_duplicates("code", keep="last").set_index("code")["name"]
    return t["name"].where(named, t["code"].map(known)).fillna(t["code"])


class _Locked:
    """A store whose every method call holds ``lock`` (for backends without cursors)."""

    def __init__(self, store, lock):
        self._store, self._lock = store, lock

    def __getattr__(self, name):
        attr = getattr(self._store, name)
        if not callable(attr):
            return attr

        def call(*a, **kw):
            with self._lock:
                return attr(*a, **kw)
        return call


def _clean(v):
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    return v
