"""Checks at the store's ingest boundary that need what the store already holds.

- **Codes of the geography version.** The codes of a batch are compared with the areas the store holds
  for that version — within the gemeenten and levels it holds (a version loaded for Amsterdam says
  nothing about Utrecht). More than :data:`UNKNOWN_SHARE` unknown is an error that names the version
  the codes fit best; a few unknown codes are a warning with their count and the first of them.
- **Replacing facts.** What an ingest would change in facts the store holds is summarised (how many,
  the largest differences) so that nothing is replaced without ``replace=True``.
"""
from __future__ import annotations

import pandas as pd

from ..errors import InputError, StoreError

__all__ = ["UNKNOWN_SHARE", "batch_codes", "check_codes", "ReplaceNeeded", "describe_changes"]

#: share of a batch's checkable codes that may be unknown in the version before it is an error
UNKNOWN_SHARE = 0.10
_MIN_CHECKED = 10


class ReplaceNeeded(StoreError):
    """An ingest would change facts the store holds; the user must say ``--replace``."""


def _gm(codes: pd.Series) -> pd.Series:
    s = codes.astype("str")
    return ("GM" + s.str[2:6]).where(s.str[:2].isin(["BU", "WK", "GM"]), "")


_PREFIX_LEVEL = {"BU": "buurt", "WK": "wijk", "GM": "gemeente"}


def batch_codes(batch) -> pd.DataFrame:
    """``(geo_version, code, level)`` of the facts (and geometry-less areas) of a batch.

    The level comes from the batch's areas, else from a CBS prefix; codes of neither are not checked.
    """
    parts = []
    if batch.facts is not None and len(batch.facts):
        f = batch.facts
        parts.append(pd.DataFrame({"geo_version": f["geo_version"].astype("str").to_numpy(),
                                   "code": f["code"].astype("str").to_numpy()}).drop_duplicates())
    areas, shaped = batch.areas, set()
    if areas is not None and len(areas):
        no_geom = areas.geometry.isna().to_numpy() if hasattr(areas, "geometry") else [True] * len(areas)
        a = areas[no_geom]
        if len(a):
            parts.append(pd.DataFrame({"geo_version": a["geo_version"].astype("str").to_numpy(),
                                       "code": a["code"].astype("str").to_numpy()}))
        shaped = set(zip(areas["geo_version"][~no_geom].astype("str"), areas["code"][~no_geom].astype("str")))
    if not parts:
        return pd.DataFrame(columns=["geo_version", "code", "level"])
    out = pd.concat(parts).drop_duplicates().reset_index(drop=True)
    if shaped:      # the batch brings these areas' geometry itself
        out = out[[k not in shaped for k in zip(out["geo_version"], out["code"])]].reset_index(drop=True)
    level = out["code"].str[:2].map(_PREFIX_LEVEL)
    if areas is not None and len(areas) and "level" in areas:
        given = dict(zip(zip(areas["geo_version"].astype("str"), areas["code"].astype("str")), areas["level"]))
        level = pd.Series([given.get(k, lv) for k, lv in zip(zip(out["geo_version"], out["code"]), level)],
                          index=out.index, dtype=object)
    return out.assign(level=level).dropna(subset=["level"]).reset_index(drop=True)


def check_codes(codes: pd.DataFrame, area_codes, file) -> list[str]:
    """Warnings for a few unknown codes; an :class:`InputError` when many are.

    ``codes``: the batch's ``(geo_version, code, level)``; ``area_codes(versions)``: the store's
    ``(geo_version, code, level)`` of those versions (all with None).
    """
    warnings = []
    if codes.empty:
        return warnings
    known = area_codes(sorted(codes["geo_version"].unique()))
    if known.empty:
        return warnings
    known = known.assign(gm=_gm(known["code"]))
    for version, group in codes.groupby("geo_version", sort=True):
        ref = known[known["geo_version"] == version]
        if ref.empty:
            continue
        c = group.assign(gm=_gm(group["code"]))
        covered = set(zip(ref["gm"], ref["level"]))
        checkable = c[[(g, lv) in covered for g, lv in zip(c["gm"], c["level"])]]
        if checkable.empty:
            continue
        unknown = checkable[~checkable["code"].isin(set(ref["code"]))]
        if unknown.empty:
            continue
        first = ", ".join(sorted(unknown["code"])[:10]) + (" …" if len(unknown) > 10 else "")
        share = len(unknown) / len(checkable)
        if share > UNKNOWN_SHARE and len(checkable) >= _MIN_CHECKED:
            fits = {v: int(checkable["code"].isin(set(k["code"])).sum())
                    for v, k in area_codes(None).groupby("geo_version") if v != version}
            best = max(fits, key=fits.get) if fits else None
            hint = (f"they fit geography version {best!r} ({fits[best]} of {len(checkable)} known there): pass "
                    f"--geo-version {best}" if best and fits[best] > len(checkable) - len(unknown)
                    else "no geography version in the store knows them: is this the right file and version?")
            raise InputError(file, f"{len(unknown)} of {len(checkable)} area codes are not in geography version "
                                   f"{version!r} (e.g. {first}); {hint}", column="code")
        warnings.append(f"{len(unknown)} code(s) not in geography version {version!r}, loaded without "
                        f"geometry and left out of maps until their areas are loaded: {first}")
    return warnings


def describe_changes(changes: pd.DataFrame, n_changed: int, n_same: int, file) -> str:
    """The message that asks for ``--replace``: how many facts change and the largest differences."""
    diff = (changes["new"] - changes["old"]).abs()
    top = changes.assign(diff=diff.fillna(float("inf"))).sort_values("diff", ascending=False).head(5)
    lines = [f"  {r.indicator} {r.code} {r.year} ({r.geo_version}, {r.source}): {_num(r.old)} → {_num(r.new)}"
             for r in top.itertuples()]
    return (f"{file} would change {n_changed} fact(s) the store already holds ({n_same} identical); the largest "
            "differences:\n" + "\n".join(lines) + "\nNothing was written. Pass --replace (replace=True) to replace "
            "them: the old values are kept as history (`veerkracht history`) and can be restored "
            "(`veerkracht restore`).")


def _num(v) -> str:
    return "missing" if pd.isna(v) else f"{v:,.6g}"
