"""``adressen``: a BAG-like address list (postcode, huisnummer, straat, buurt code) for the social map's search.

One row per address: ``postcode`` (``1012 LG``), ``huisnummer`` (with optional ``huisletter`` and
``toevoeging``), ``straat`` (``openbare_ruimte``), optional ``woonplaats``, and the code of the buurt
the address lies in (``bu_code`` / ``buurtcode`` / ``Buurt2019`` …; bare numbers get their ``BU``).

It is stored as the crosswalk it is, so no new table is needed:

- ``adres → <to_version>``: each address (code ``straat|nummer|PC6|woonplaats``, e.g.
  ``Damrak|1|PC1012LG|Amsterdam``) to its buurt, weight 1, basis ``address``;
- ``pc6 → <to_version>``: postcodes to buurten weighted by their addresses, exactly as the CBS
  ``pc6huisnr`` file (``cbs-pc6-buurt``) gives it.

The social map's search finds a postcode (``1012 LG``) and a street with a house number
(``Damrak 1``) through them.

Examples
--------
``veerkracht ingest adressen adressen_amsterdam.csv -o to_version=cbs2019``
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..store.base import Batch, Provenance
from ._codes import normalise_codes
from .base import checksum, read_bytes, read_table, reader
from .crosswalk_file import address_crosswalk

__all__ = ["read_addresses", "ADDRESS_VERSION", "address_code", "split_address_code"]

#: the crosswalk ``from_version`` of single addresses
ADDRESS_VERSION = "adres"

_ALIASES = {
    "postcode": ("postcode", "pc6", "pc"),
    "huisnummer": ("huisnummer", "huisnr", "nummer", "housenumber"),
    "huisletter": ("huisletter",),
    "toevoeging": ("toevoeging", "huisnummertoevoeging"),
    "straat": ("straat", "straatnaam", "openbare_ruimte", "openbareruimte", "openbareruimtenaam", "street"),
    "woonplaats": ("woonplaats", "woonplaatsnaam", "plaats"),
}


def address_code(straat: str, nummer: str, pc6: str, woonplaats: str = "") -> str:
    """The crosswalk code of one address: ``straat|nummer|PC6|woonplaats``."""
    return "|".join([straat.strip(), nummer.strip(), pc6, woonplaats.strip()])


def split_address_code(code: str) -> dict:
    """The parts of :func:`address_code`'s code."""
    straat, nummer, pc6, plaats = (code.split("|") + ["", "", "", ""])[:4]
    return {"straat": straat, "nummer": nummer, "postcode": pc6, "woonplaats": plaats}


def _column(df: pd.DataFrame, what: str, required: bool, path) -> str | None:
    lower = {str(c).strip().lower(): c for c in df.columns}
    hit = next((lower[a] for a in _ALIASES[what] if a in lower), None)
    if hit is None and required:
        raise InputError(path, f"no {what} column; expected one of {', '.join(_ALIASES[what])}; the file has: "
                               f"{', '.join(map(str, df.columns))}", row=1, column=_ALIASES[what][0])
    return hit


@reader("adressen", help="Adreslijst (BAG-achtig): postcode, huisnummer, straat, buurtcode → zoeken op adres en PC6")
def read_addresses(location, to_version: str | None = None, buurt_column: str | None = None) -> Batch:
    """Addresses with their buurt → the ``adres`` and ``pc6`` crosswalks onto ``to_version``.

    Parameters
    ----------
    to_version : the geography version of the buurt codes (e.g. ``cbs2019``), required.
    buurt_column : default the first column named ``bu_code``, ``buurtcode``, ``buurt`` or ``Buurt<year>``.

    Examples
    --------
    ``veerkracht ingest adressen adressen_amsterdam.csv -o to_version=cbs2019`` (columns postcode, huisnummer,
    huisletter, toevoeging, straat, woonplaats, bu_code); then search the map for "Damrak 72" or "1012 LG".
    """
    path = Path(location)
    if not to_version:
        raise InputError(path, "option to_version is required (the version of the buurt codes, e.g. cbs2019)")
    data = read_bytes(path)
    df = read_table(path, data=data)
    first = df.attrs.get("first_row", 2)
    cols = {k: _column(df, k, k in ("postcode", "huisnummer", "straat"), path) for k in _ALIASES}
    bu = buurt_column or next((c for c in df.columns if re.fullmatch(r"(?i)(bu_?code|buurt(code)?_?\d{0,4})", str(c))),
                              None)
    if bu is None or bu not in df.columns:
        raise InputError(path, f"no buurt column (bu_code, buurtcode, Buurt2019 …); the file has: "
                               f"{', '.join(map(str, df.columns))}", row=1, column=buurt_column or "bu_code")
    text = {k: (df[c].astype("string").fillna("").str.strip() if c else pd.Series("", index=df.index, dtype="string"))
            for k, c in cols.items()}
    pc6 = normalise_codes(text["postcode"].str.replace(" ", "", regex=False))
    for i in range(len(df)):
        if not re.fullmatch(r"PC\d{4}[A-Z]{2}", str(pc6.iloc[i])):
            raise InputError(path, f"expected a postcode like 1012 LG, found {text['postcode'].iloc[i]!r}",
                             row=first + i, column=cols["postcode"])
        if not re.fullmatch(r"\d{1,5}", str(text["huisnummer"].iloc[i])):
            raise InputError(path, f"expected a house number (digits), found {text['huisnummer'].iloc[i]!r}",
                             row=first + i, column=cols["huisnummer"])
        if not text["straat"].iloc[i]:
            raise InputError(path, "empty street name", row=first + i, column=cols["straat"])
    toev = text["toevoeging"].where(text["toevoeging"] == "", "-" + text["toevoeging"])
    nummer = text["huisnummer"].str.lstrip("0") + text["huisletter"].str.upper() + toev
    codes = [address_code(s, n, p, w) for s, n, p, w in zip(text["straat"], nummer, pc6, text["woonplaats"])]
    table = pd.DataFrame({"_adr": codes, "_pc": pc6, "_bu": normalise_codes(df[bu], "buurt"), "_n": 1})
    table.attrs = df.attrs
    cw = pd.concat([address_crosswalk(table, "_adr", "_bu", "_n", ADDRESS_VERSION, to_version, basis="address",
                                      file=path),
                    address_crosswalk(table, "_pc", "_bu", "_n", "pc6", to_version, file=path)], ignore_index=True)
    prov = Provenance("adressen", str(location), checksum(data),
                      options={"to_version": to_version, "columns": [c for c in (*cols.values(), bu) if c]})
    return Batch(prov, crosswalk=cw)
