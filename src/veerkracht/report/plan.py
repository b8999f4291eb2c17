"""What the store holds for a region: which indicator is available where and in which years.

The report never guesses a geography: for every section it asks :func:`Coverage.choose` for the
(geo version, level) that holds the indicator for the region's areas in at least two years of the
chosen period, finest level first. A section that finds nothing says so (``Unavailable``) with the
reason as a catalog message.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import StoreError
from ..i18n import Message, render

__all__ = ["Unavailable", "Region", "resolve_region", "Coverage", "VULNERABLE", "SUB_LEVELS"]

#: vulnerable-group indicators of METHOD.md (and the derived Amsterdam benefit rate), in the order
#: the report prefers them (report §2.7: bijstand first; METHOD analysis 6: low_income)
VULNERABLE = ["bijstand", "bijstand_15_64", "bijstand_per_100_dwellings", "low_income", "social_minimum",
              "psych", "lvb", "refugee_origin", "dementia", "students"]
#: levels below the gemeente, finest first: the area analyses need many areas per region
SUB_LEVELS = ["buurt", "pc4", "wijk"]


class Unavailable(Exception):
    """A section (or part) that cannot be computed for this region; ``message`` (a message id with
    its parameters, or a :class:`~veerkracht.i18n.Message`) says why. ``str()`` is the English text."""

    def __init__(self, message: str | Message, /, **params):
        self.message = Message(message, params) if isinstance(message, str) else message
        super().__init__(render(self.message, "en"))

    def text(self, lang: str) -> str:
        return render(self.message, lang)


@dataclass
class Region:
    """The region as resolved: the codes given, a display name and the gemeenten it lies in."""

    codes: list[str]
    name: str
    gemeenten: list[str] = field(default_factory=list)


def resolve_region(store, region) -> Region:
    """Codes (``GM0363``, ``WK036300`` …) or a name (``Amsterdam``) → :class:`Region`.

    Names are matched case-insensitively on area names, gemeenten first. Raises ``StoreError`` with
    the closest names when nothing matches.
    """
    items = [region] if isinstance(region, str) else list(region or [])
    items = [s.strip() for it in items for s in str(it).split(",") if s.strip()]
    if not items:
        raise StoreError("no region given: pass gemeente/wijk/buurt codes or a gemeente name")
    areas = store.areas(geometry=False)
    known = set(areas["code"])
    codes = []
    for it in items:
        if it.upper() in known:
            codes.append(it.upper())
            continue
        hit = areas[areas["name"].fillna("").str.lower() == it.lower()]
        if hit.empty:
            sample = sorted(areas.loc[areas["level"] == "gemeente", "name"].dropna().unique())
            close = [n for n in sample if n.lower().startswith(it.lower()[:3])][:8]
            raise StoreError(f"region {it!r} is neither an area code nor an area name in the store"
                             + (f"; similar names: {', '.join(close)}" if close else ""))
        rank = {"gemeente": 0, "wijk": 1, "buurt": 2}
        hit = hit.assign(_r=hit["level"].map(rank).fillna(9)).sort_values(["_r", "geo_version"])
        codes.append(hit["code"].iloc[0])
    codes = list(dict.fromkeys(codes))
    inside = areas[areas["code"].isin(codes)]
    gemeenten = sorted(set(inside["gm_code"].dropna()) | {c for c in codes if c.startswith("GM")})
    return Region(codes, _display_name(areas, codes), gemeenten)


def _display_name(areas: pd.DataFrame, codes: list[str]) -> str:
    names = []
    for code in codes:
        rows = areas[(areas["code"] == code) & areas["name"].notna() & (areas["name"] != code)]
        names.append(rows.sort_values("geo_version")["name"].iloc[-1] if len(rows) else code)
    return ", ".join(names)


class Coverage:
    """Per indicator, geo version and level: the years with values for the region's areas."""

    def __init__(self, store, region: Region, year_from: int, year_to: int):
        self.store, self.region = store, region
        self.year_from, self.year_to = int(year_from), int(year_to)
        areas = store.areas(geometry=False)
        r = region.codes
        inside = areas[areas["code"].isin(r) | areas["gm_code"].isin(r) | areas["wk_code"].isin(r)]
        self.areas = inside
        facts = store.facts(codes=sorted(inside["code"].unique())) if len(inside) else pd.DataFrame()
        if facts.empty:
            self.table = pd.DataFrame(columns=["indicator", "geo_version", "level", "years", "n_areas"])
            return
        facts = facts[facts["value"].notna()].merge(inside[["geo_version", "code", "level"]],
                                                     on=["geo_version", "code"])
        g = facts.groupby(["indicator", "geo_version", "level"])
        self.table = pd.DataFrame({
            "years": g["year"].agg(lambda y: sorted({int(v) for v in y})),
            "n_areas": g["code"].nunique()}).reset_index()

    def years(self, indicator: str, geo_version: str, level: str, in_period: bool = True) -> list[int]:
        t = self.table
        row = t[(t["indicator"] == indicator) & (t["geo_version"] == geo_version) & (t["level"] == level)]
        ys = row["years"].iloc[0] if len(row) else []
        return [y for y in ys if self.year_from <= y <= self.year_to] if in_period else list(ys)

    def all_years(self, indicator: str) -> list[int]:
        """Every year of ``indicator`` for the region, any version or level (for messages)."""
        ys = self.table.loc[self.table["indicator"] == indicator, "years"]
        return sorted({y for v in ys for y in v})

    def choose(self, indicator: str, levels=SUB_LEVELS, min_years: int = 2, min_areas: int = 5,
               with_corp: bool = False, version: str | None = None) -> tuple[str, str, list[int]]:
        """(geo version, level, years in the period) for ``indicator``; finest level, then most years.

        ``with_corp``: corp_share must be present in the same version and level (any year).
        Raises :class:`Unavailable` with the years that do exist when nothing qualifies.
        """
        cands = []
        for _, r in self.table[self.table["indicator"] == indicator].iterrows():
            if r["level"] not in levels or r["n_areas"] < min_areas:
                continue
            if version is not None and r["geo_version"] != version:
                continue
            ys = [y for y in r["years"] if self.year_from <= y <= self.year_to]
            if len(ys) < min_years:
                continue
            if with_corp and not self.years("corp_share", r["geo_version"], r["level"], in_period=False):
                continue
            cands.append((levels.index(r["level"]), -len(ys), r["geo_version"], r["level"], ys))
        if not cands:
            raise self.missing(indicator, min_years, levels)
        _, _, v, lv, ys = sorted(cands)[0]
        return v, lv, ys

    def missing(self, indicator: str, min_years: int = 2, levels=SUB_LEVELS) -> Unavailable:
        """The reason ``indicator`` cannot be used, naming the years that do exist."""
        have = self.all_years(indicator)
        if not have:
            return Unavailable("report.plan.no_data", ind=indicator)
        need = {1: Message("report.plan.years.one"), 2: Message("report.plan.years.two")}.get(
            min_years, Message("report.plan.years.many", {"n": min_years}))
        return Unavailable("report.plan.too_few_years", ind=indicator, levels="/".join(levels), need=need,
                           period=f"{self.year_from}–{self.year_to}", years=", ".join(map(str, have)))

    def available(self, indicators, **kw) -> list[tuple[str, str, str, list[int]]]:
        """``(indicator, version, level, years)`` for each of ``indicators`` that :meth:`choose` accepts."""
        out = []
        for ind in indicators:
            try:
                out.append((ind, *self.choose(ind, **kw)))
            except Unavailable:
                pass
        return out
