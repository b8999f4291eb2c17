"""Which loaded files this report rests on, and the period and editions of its data.

The report's sections record what they used (``Ctx.use``: indicator, geo version, level, years) and
the maps what they drew; from those this module finds the provenance rows (files and API answers)
behind them — not every file in the store:

- a fact loaded from a file carries its provenance id;
- a harmonised or aggregated fact (``source`` ``X+aggregated``, ``origin_version`` V) rests on the
  facts of source X on version V in the same years, for the region's gemeenten;
- a derived rate (source ``derived``) rests on the two counts its numerator and denominator were
  copied from (same area and year, value equal to the numerator or the denominator), followed back
  the same way;
- geometry: the geometry files of the versions and levels the maps drew (and of the gemeenten the
  inset locator drew);
- crosswalks: the crosswalk files between the versions the harmonised facts came from and went to
  (matched by the versions the file names in its options, or — when it names none — by its row count).

Reading provenance ids needs the DuckDB store's SQL; a store without it lists every file.
"""
from __future__ import annotations

import json

import pandas as pd

__all__ = ["used_provenance", "data_period"]


def _q(values) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) or "NULL"


def _used_facts(ctx) -> pd.DataFrame:
    """The facts behind ``ctx.used``: (geo_version, code, year, indicator, source, origin_version,
    numerator, denominator, provenance_id)."""
    codes = set(ctx.cov.areas["code"])
    parts = []
    for (ind, version, level, years) in sorted(set(ctx.used)):
        lv = set(ctx.cov.areas.loc[(ctx.cov.areas["geo_version"] == version) & (ctx.cov.areas["level"] == level), "code"])
        parts.append(ctx.store.sql(
            "SELECT geo_version, code, year, indicator, source, origin_version, numerator, denominator, provenance_id "
            f"FROM facts WHERE indicator = '{ind}' AND geo_version = '{version}' AND year IN ({_q(years)}) "
            f"AND code IN ({_q(sorted(lv & codes))})"))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _native(ctx, facts: pd.DataFrame, depth: int = 0) -> set[int]:
    """Provenance ids of ``facts``, following harmonised, aggregated and derived facts back."""
    ids = {int(x) for x in facts["provenance_id"].dropna()}
    rest = facts[facts["provenance_id"].isna()]
    if rest.empty or depth > 4:
        return ids
    gms = _q(ctx.region.gemeenten)
    derived = rest[rest["source"].astype(str).str.split("+").str[0] == "derived"]
    for (version, year), g in derived.groupby(["geo_version", "year"]):
        vals = _q(sorted({float(x) for x in pd.concat([g["numerator"], g["denominator"]]).dropna()}))
        inputs = ctx.store.sql(
            "SELECT geo_version, code, year, indicator, source, origin_version, numerator, denominator, provenance_id "
            f"FROM facts WHERE geo_version = '{version}' AND year = {int(year)} AND code IN ({_q(set(g['code']))}) "
            f"AND source NOT LIKE 'derived%' AND value IN ({vals})")
        ids |= _native(ctx, inputs, depth + 1)
    other = rest.drop(index=derived.index)
    for (src, origin, ind), g in other.groupby(["source", "origin_version", "indicator"]):
        base = str(src).split("+")[0]
        years = _q(sorted({int(y) for y in g["year"]}))
        found = ctx.store.sql(
            "SELECT DISTINCT f.provenance_id FROM facts f LEFT JOIN areas a ON a.geo_version = f.geo_version "
            f"AND a.code = f.code WHERE f.provenance_id IS NOT NULL AND f.source = '{base}' "
            f"AND f.geo_version = '{origin}' AND f.indicator = '{ind}' AND f.year IN ({years}) "
            f"AND (a.gm_code IN ({gms}) OR f.code IN ({gms}) OR a.gm_code IS NULL)")
        ids |= {int(x) for x in found["provenance_id"].dropna()}
    return ids


def _crosswalk_pairs(kind: str, location: str, options: dict) -> set[tuple[str, str]]:
    """The (from, to) versions a crosswalk file holds; a file that is gone counts as holding every pair
    (it is listed rather than hidden)."""
    from ..geo.held import crosswalk_pairs
    got = crosswalk_pairs(kind, location, options)
    return _ANY if got is None else got


def _geometry_codes(location: str, options: dict):
    """The area codes a geometry file holds; a file that is gone counts as holding every code."""
    from ..geo.held import area_codes
    got = area_codes(location, options)
    return _ANY if got is None else got


class _Any(set):
    def __and__(self, other):
        return set(other)


_ANY = _Any()


def used_provenance(ctx) -> pd.DataFrame:
    """The provenance rows this report used, with a column ``use`` (``facts``, ``geometry`` or
    ``crosswalk``), in load order."""
    prov = ctx.store.provenance()
    if not hasattr(ctx.store, "sql"):
        return prov.assign(use="facts")
    facts = _used_facts(ctx)
    ids = _native(ctx, facts) if len(facts) else set()
    use = {i: "facts" for i in ids}
    opts = prov["options"].map(lambda o: json.loads(o) if isinstance(o, str) and o else {})
    drawn = set(ctx.drawn)
    drawn_codes = set(ctx.cov.areas["code"]) | set(ctx.region.gemeenten)
    pairs = set()
    if len(facts):
        pairs = {(o, v) for o, v in zip(facts["origin_version"], facts["geo_version"]) if o != v}
    for pid, kind, loc, o in zip(prov["id"], prov["kind"], prov["location"], opts):
        if kind == "geometry" and ((o.get("geo_version"), o.get("level")) in drawn
                                   or (o.get("geo_version"), None) in drawn):
            if _geometry_codes(loc, o) & drawn_codes:
                use.setdefault(int(pid), "geometry")
        elif str(kind).startswith("crosswalk") and pairs and _crosswalk_pairs(kind, loc, o) & pairs:
            use.setdefault(int(pid), "crosswalk")
    out = prov[prov["id"].isin(use)].copy()
    out["use"] = out["id"].map(use)
    return out.reset_index(drop=True)


def data_period(ctx) -> tuple[int, int] | None:
    """First and last year of the data the report used (not the period asked for)."""
    years = [y for *_, ys in ctx.used for y in ys]
    return (min(years), max(years)) if years else None
