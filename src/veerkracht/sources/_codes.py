"""Area codes: level from the prefix, prefixes for bare numbers, parent codes from buurt codes.

Shared by the geometry reader and the crosswalk readers (and, through ``geo``, by harmonisation).
"""
from __future__ import annotations

import pandas as pd

__all__ = ["PREFIX_LEVEL", "infer_level", "normalise_codes", "parent_codes"]

PREFIX_LEVEL = {"BU": "buurt", "WK": "wijk", "GM": "gemeente", "NL": "country"}
_LEVEL_PREFIX = {"buurt": "BU", "wijk": "WK", "gemeente": "GM", "pc4": "PC", "pc6": "PC"}
_DIGITS = {"buurt": 8, "wijk": 6, "gemeente": 4}


def infer_level(codes: pd.Series) -> pd.Series:
    """Level of each code from its prefix (``PC`` + 4 → pc4, ``PC`` + 6 → pc6); None when unknown."""
    s = codes.astype("string").str.upper()
    level = s.str[:2].map(PREFIX_LEVEL).astype(object)
    pc = s.str.startswith("PC").fillna(False)
    level[pc & (s.str.len() == 6)] = "pc4"
    level[pc & (s.str.len() == 8)] = "pc6"
    return level.where(level.notna(), None)


def normalise_codes(codes: pd.Series, level: str | None = None) -> pd.Series:
    """Strip codes, upper-case CBS/postcode codes; give bare numbers the prefix of ``level``.

    ``1011`` with level pc4 (or any 4-digit code without a level) becomes ``PC1011``;
    ``363`` with level gemeente becomes ``GM0363``; ``1011AB`` becomes ``PC1011AB``.
    """
    s = codes.astype("string").str.strip()
    # CBS and postcode codes are case-insensitive; municipal codes (OIS "A00a") are not
    up = s.str.upper()
    cbs = up.str.match(r"^(BU|WK|GM|PC|NL)\d").fillna(False) | up.str.fullmatch(r"\d{4}[A-Z]{2}").fillna(False)
    s = s.where(~cbs, up)
    s = s.str.replace(r"\.0$", "", regex=True)  # codes that went through a float column
    bare = s.str.fullmatch(r"\d+").fillna(False)
    if level in _DIGITS:
        s = s.where(~bare, _LEVEL_PREFIX[level] + s.str.zfill(_DIGITS[level]))
    elif level in ("pc4", "pc6") or level is None:
        pc4 = bare & (s.str.len() == 4)
        s = s.where(~pc4, "PC" + s)
        pc6 = s.str.fullmatch(r"\d{4}[A-Z]{2}").fillna(False)
        s = s.where(~pc6, "PC" + s)
    return s


def parent_codes(codes: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``(gm_code, wk_code)`` derived from BU/WK/GM codes (``BU03630000`` → ``GM0363``, ``WK036300``)."""
    s = codes.astype("string")
    prefix = s.str[:2]
    gm = ("GM" + s.str[2:6]).where(prefix.isin(["BU", "WK", "GM"]))
    wk = ("WK" + s.str[2:8]).where(prefix.isin(["BU", "WK"]))
    return gm, wk
