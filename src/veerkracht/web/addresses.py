"""Search by postcode (PC6) and by street and house number, through the address crosswalks in the store.

A six-character postcode is found in the ``pc6`` crosswalk (the CBS ``pc6huisnr`` file or an
``adressen`` list); a street, with or without a house number, in the ``adres`` crosswalk (an
``adressen`` list, see :mod:`veerkracht.sources.addresses`). Each hit is the buurt the address or
postcode lies in, so the map can show it; a postcode that spans several buurten gives one hit per buurt
with its share of the addresses. Without such a table in the store these searches find nothing.
"""
from __future__ import annotations

import re
import weakref

import pandas as pd

from ..maps.catalog import Catalog
from ..sources.addresses import ADDRESS_VERSION, split_address_code

__all__ = ["address_search", "PC6", "STREET"]

PC6 = re.compile(r"(\d{4})\s*([A-Za-z]{2})")
#: a street name (at least three characters, not only digits), then optionally a house number
STREET = re.compile(r"(?P<street>.*?[^\d\s].*?)(?:\s+(?P<number>\d{1,5})\s*(?P<letter>[A-Za-z]?)(?:\s*-\s*(?P<toev>\S+))?)?")

_tables: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _crosswalks(cat: Catalog) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``pc6`` and ``adres`` crosswalks (read once per catalog; the store is read-only)."""
    if cat not in _tables:
        db = cat.db()
        adr = db.crosswalk(from_version=ADDRESS_VERSION)
        parts = pd.DataFrame([split_address_code(c) for c in adr["from_code"]], index=adr.index,
                             columns=["straat", "nummer", "postcode", "woonplaats"])
        _tables[cat] = (db.crosswalk(from_version="pc6"), pd.concat([adr, parts], axis=1).assign(
            _street=parts["straat"].str.lower(), _nummer=parts["nummer"].str.lower()))
    return _tables[cat]


def _pc6_text(code: str) -> str:
    return f"{code[2:6]} {code[6:8]}" if len(code) == 8 else code


def address_search(cat: Catalog, q: str, drawable: set, limit: int = 20) -> list[dict]:
    """Buurten for a postcode or an address in ``q``, only in (version, level) pairs of ``drawable``.

    Each hit: ``code``, ``name``, ``level``, ``geo_version``, ``gm_code`` of the buurt, and ``match``
    (what was found: ``1012 LG``, ``Damrak 1, Amsterdam``, ``Damrak, Amsterdam (12 adressen)``).
    """
    q = " ".join(q.split())
    pc6, adr = _crosswalks(cat)
    rows: list[tuple[str, str, str, float]] = []        # (version, buurt, match, share)
    m = PC6.fullmatch(q)
    if m and not pc6.empty:
        code = f"PC{m.group(1)}{m.group(2).upper()}"
        for r in pc6[pc6["from_code"] == code].sort_values("weight", ascending=False).itertuples():
            rows.append((r.to_version, r.to_code, _pc6_text(code), float(r.weight)))
    s = STREET.fullmatch(q) if not m else None
    if s and len(s.group("street").strip()) >= 3 and not adr.empty:
        street = s.group("street").strip().lower()
        hit = adr[adr["_street"] == street]
        if hit.empty:
            hit = adr[adr["_street"].str.startswith(street)]
        if s.group("number"):
            number = s.group("number").lstrip("0") + (s.group("letter") or "").lower()
            number += f"-{s.group('toev').lower()}" if s.group("toev") else ""
            exact = hit[hit["_nummer"] == number]
            hit = exact if len(exact) else hit[hit["_nummer"].str.match(re.escape(s.group("number").lstrip("0")) + r"(?!\d)")]
            for r in hit.sort_values(["straat", "nummer"]).itertuples():
                place = f", {r.woonplaats}" if r.woonplaats else ""
                rows.append((r.to_version, r.to_code, f"{r.straat} {r.nummer}{place} ({_pc6_text(r.postcode)})", 1.0))
        else:       # a street alone: the buurten it runs through, with the number of its addresses in each
            groups = hit.groupby(["straat", "woonplaats", "to_version", "to_code"], sort=True).size()
            for (straat, plaats, version, bu), n in groups.sort_values(ascending=False).items():
                rows.append((version, bu, f"{straat}{', ' + plaats if plaats else ''} ({n} adr.)", float(n)))
    names = cat.area_table.set_index(["geo_version", "code"])
    out, seen = [], set()
    for version, bu, match, share in rows:
        if (version, "buurt") not in drawable or (version, bu) not in names.index or (version, bu, match) in seen:
            continue
        seen.add((version, bu, match))
        a = names.loc[(version, bu)]
        gm = a["gm_code"] if isinstance(a["gm_code"], str) else None
        out.append({"code": bu, "name": a["name"] or bu, "level": a["level"], "geo_version": version, "gm_code": gm,
                    "match": match, **({"share": round(share, 3)} if m and share < 1 else {})})
        if len(out) >= limit:
            break
    return out
