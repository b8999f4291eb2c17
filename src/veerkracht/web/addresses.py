"""Search by postcode (PC6) and by street and house number (:mod:`veerkracht.geo.addresses`), as map hits.

Each hit is the buurt the address or postcode lies in, in a version and level the map can draw, so
choosing it shows it; a postcode that spans several buurten gives one hit per buurt with its share of
the addresses.
"""
from __future__ import annotations

import weakref

from ..geo.addresses import AddressBook
from ..maps.catalog import Catalog

__all__ = ["address_search"]

_books: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def address_search(cat: Catalog, q: str, drawable: set, limit: int = 20) -> list[dict]:
    """Buurten for a postcode or an address in ``q``, only in (version, level) pairs of ``drawable``.

    Each hit: ``code``, ``name``, ``level``, ``geo_version``, ``gm_code`` of the buurt, and ``match``
    (what was found: ``1012 LG``, ``Damrak 1, Amsterdam (1012 LG)``, ``Damrak, Amsterdam (12 adr.)``);
    ``share`` of the addresses for a postcode spread over several buurten.
    """
    if cat not in _books:
        _books[cat] = AddressBook(cat.db())
    rows, postcode = _books[cat].find(q)
    names = cat.area_table.set_index(["geo_version", "code"])
    out, seen = [], set()
    for version, bu, match, share in rows:
        if (version, "buurt") not in drawable or (version, bu) not in names.index or (version, bu, match) in seen:
            continue
        seen.add((version, bu, match))
        a = names.loc[(version, bu)]
        gm = a["gm_code"] if isinstance(a["gm_code"], str) else None
        out.append({"code": bu, "name": a["name"] or bu, "level": a["level"], "geo_version": version, "gm_code": gm,
                    "match": match, **({"share": round(share, 3)} if postcode and share < 1 else {})})
        if len(out) >= limit:
            break
    return out
