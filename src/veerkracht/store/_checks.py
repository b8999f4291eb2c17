"""Checks at the store's ingest boundary that need what the store already holds.

- **Codes of the geography version.** The codes of a batch are compared with the areas the store holds
  for that version — within the gemeenten and levels it holds (a version loaded for Amsterdam says
  nothing about Utrecht). More than :data:`UNKNOWN_SHARE` unknown is an error that names the version
  the codes fit best; a few unknown codes are a warning with their count and the first of them.
- **Replacing facts.** What an ingest would change in facts the store holds is summarised (how many,
  the largest differences) so that nothing is replaced without ``replace=True``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError, StoreError

__all__ = ["UNKNOWN_SHARE", "batch_codes", "batch_versions", "check_codes", "ReplaceNeeded", "describe_changes"]

#: share of a batch's checkable codes that may be unknown in the version before it is an error
UNKNOWN_SHARE = 0.10
_MIN_CHECKED = 10


class ReplaceNeeded(StoreError):
    """An ingest would change facts the store holds; the user must say ``--replace``."""


def _gm(codes: pd.Series) -> pd.Series:
    s = codes.astype("str")
    return ("GM" + s.str[2:6]).where(s.str[:2].isin(["BU", "WK", "GM"]), "")


_PREFIX_LEVEL = {"BU": "buurt", "WK": "wijk", "GM": "gemeente"}


def batch_versions(batch) -> list[str]:
    """The geography versions of a batch's facts and areas (from categories where possible: no row scan)."""
    out = set()
    for frame in (batch.facts, batch.areas):
        if frame is not None and len(frame) and "geo_version" in frame:
            col = frame["geo_version"]
            cats = col.cat.categories if isinstance(col.dtype, pd.CategoricalDtype) else col.unique()
            out |= {str(v) for v in cats if pd.notna(v)}
    return sorted(out)


def _distinct_pairs(facts: pd.DataFrame) -> pd.DataFrame:
    """Distinct ``(geo_version, code)`` of the facts as strings. Two categoricals (a grid load: 14 M rows of 382k
    cells) are de-duplicated on their integer codes — one mark per possible pair, not a hash table of 14 M pairs."""
    gv, code = facts["geo_version"], facts["code"]
    if isinstance(gv.dtype, pd.CategoricalDtype) and isinstance(code.dtype, pd.CategoricalDtype):
        gi, ci = gv.cat.codes.to_numpy(), code.cat.codes.to_numpy()
        n = np.int64(len(code.cat.categories))
        if (gi >= 0).all() and (ci >= 0).all() and len(gv.cat.categories) * n <= 50_000_000:
            seen = np.zeros(len(gv.cat.categories) * n, dtype=bool)       # a mark per possible pair: O(rows)
            seen[gi.astype(np.int64) * n + ci] = True
            key = np.flatnonzero(seen)
            return pd.DataFrame({"geo_version": gv.cat.categories.astype("str")[key // n],
                                 "code": code.cat.categories.astype("str")[key % n]})
    return facts[["geo_version", "code"]].drop_duplicates().astype("str")


def batch_codes(batch) -> pd.DataFrame:
    """``(geo_version, code, level)`` of the facts (and geometry-less areas) of a batch.

    The level comes from the batch's areas, else from a CBS prefix; codes of neither are not checked.
    """
    parts = []
    if batch.facts is not None and len(batch.facts):     # distinct pairs first: categoricals stay cheap
        parts.append(_distinct_pairs(batch.facts))
    areas = batch.areas
    shaped = given = None
    if areas is not None and len(areas):
        a = pd.DataFrame({"geo_version": areas["geo_version"].astype("str").to_numpy(),
                          "code": areas["code"].astype("str").to_numpy(),
                          "level": areas["level"].astype("str").to_numpy() if "level" in areas else None,
                          "shaped": areas.geometry.notna().to_numpy() if hasattr(areas, "geometry") else False})
        parts.append(a.loc[~a["shaped"], ["geo_version", "code"]])
        shaped = a.loc[a["shaped"], ["geo_version", "code"]]
        given = a[["geo_version", "code", "level"]].drop_duplicates(["geo_version", "code"])
    if not parts:
        return pd.DataFrame(columns=["geo_version", "code", "level"])
    out = pd.concat(parts).drop_duplicates().reset_index(drop=True)
    if shaped is not None and len(shaped):      # the batch brings these areas' geometry itself
        out = out.merge(shaped.assign(_s=True), how="left", on=["geo_version", "code"])
        out = out[out["_s"].isna()].drop(columns="_s")
    out["level"] = out["code"].str[:2].map(_PREFIX_LEVEL)
    if given is not None:
        out = out.merge(given.rename(columns={"level": "_given"}), how="left", on=["geo_version", "code"])
        out["level"] = out["_given"].where(out["_given"].notna(), out["level"])
        out = out.drop(columns="_given")
    return out.dropna(subset=["level"]).reset_index(drop=True)


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
        covered = ref[["gm", "level"]].drop_duplicates().assign(_c=True)
        c = c.merge(covered, how="left", on=["gm", "level"])
        checkable = c[c["_c"].notna()]
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
