"""Find the buurt of a postcode (PC6) or of a street and house number in the store's address crosswalks.

A six-character postcode is looked up in the ``pc6`` crosswalk (the CBS ``pc6huisnr`` file or an
``adressen`` list); a street, with or without a house number, in the ``adres`` crosswalk (an
``adressen`` list, see :mod:`veerkracht.sources.addresses`). Without such a table nothing is found.
"""
from __future__ import annotations

import re

import pandas as pd

from ..sources.addresses import ADDRESS_VERSION, split_address_code

__all__ = ["AddressBook", "PC6", "STREET", "ADDRESS_VERSION", "split_address_code"]

PC6 = re.compile(r"(\d{4})\s*([A-Za-z]{2})")
#: a street name (at least three characters, not only digits), then optionally a house number
STREET = re.compile(r"(?P<street>.*?[^\d\s].*?)(?:\s+(?P<number>\d{1,5})\s*(?P<letter>[A-Za-z]?)(?:\s*-\s*(?P<toev>\S+))?)?")


def _pc6_text(code: str) -> str:
    return f"{code[2:6]} {code[6:8]}" if len(code) == 8 else code


class AddressBook:
    """The ``pc6`` and ``adres`` crosswalks of a store, read once (the store is read-only while serving)."""

    def __init__(self, store):
        adr = store.crosswalk(from_version=ADDRESS_VERSION)
        parts = pd.DataFrame([split_address_code(c) for c in adr["from_code"]], index=adr.index,
                             columns=["straat", "nummer", "postcode", "woonplaats"])
        self.pc6 = store.crosswalk(from_version="pc6")
        self.adr = pd.concat([adr, parts], axis=1).assign(_street=parts["straat"].str.lower(),
                                                          _nummer=parts["nummer"].str.lower())

    def find(self, q: str) -> tuple[list[tuple[str, str, str, float]], bool]:
        """``([(version, buurt code, what was found, share)], is_postcode)`` for the text ``q``.

        A postcode gives each buurt it lies in with its share of the addresses; a street with a number
        that address (or those with that number and any letter); a street alone each buurt it runs
        through with its number of addresses.
        """
        q = " ".join(q.split())
        rows: list[tuple[str, str, str, float]] = []
        m = PC6.fullmatch(q)
        if m:
            code = f"PC{m.group(1)}{m.group(2).upper()}"
            for r in self.pc6[self.pc6["from_code"] == code].sort_values("weight", ascending=False).itertuples():
                rows.append((r.to_version, r.to_code, _pc6_text(code), float(r.weight)))
            return rows, True
        s = STREET.fullmatch(q)
        if not s or len(s.group("street").strip()) < 3 or self.adr.empty:
            return rows, False
        adr, street = self.adr, s.group("street").strip().lower()
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
        return rows, False
