"""Crosswalk readers for two CBS table layouts: address lists per postcode and boundary changes.

- ``cbs-pc6-buurt`` — the CBS "pc6huisnr" buurt file: one row per address (``PC6``, ``Huisnummer``,
  ``Buurt<year>``, ``Wijk<year>``, ``Gemeente<year>``). Counting addresses per (PC6, buurt) gives an
  address-weighted crosswalk PC6 → buurt; with ``level='pc4'`` the postcodes are cut to four digits
  first, giving PC4 → buurt. A buurt column with bare numbers (``3440111``) gets its ``BU`` prefix.
- ``grenswijzigingen`` — a boundary-change table in the CBS layout: old code, new code, number of
  addresses that moved (one row per pair). The old area's addresses are divided over the new ones.

Both build on :func:`~veerkracht.sources.crosswalk_file.address_crosswalk`: weights of one source
sum to 1 and ``amount`` is the address count of the pair.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError
from ..store.base import Batch, Provenance
from ._codes import normalise_codes
from .base import checksum, read_bytes, read_table, reader
from .crosswalk_file import address_crosswalk

__all__ = ["read_pc6_buurt", "read_grenswijzigingen", "OLD_COLUMNS", "NEW_COLUMNS", "COUNT_COLUMNS"]

OLD_COLUMNS = ("oude_code", "code_oud", "oud", "van", "from_code", "regiocode_oud", "bu_code_oud")
NEW_COLUMNS = ("nieuwe_code", "code_nieuw", "nieuw", "naar", "to_code", "regiocode_nieuw", "bu_code_nieuw")
COUNT_COLUMNS = ("aantal_adressen", "adressen", "n_adressen", "addresses", "aantal", "count")


def _pick(columns, wanted: str | None, aliases: tuple[str, ...], path, what: str) -> str:
    lower = {str(c).strip().lower(): c for c in columns}
    if wanted:
        if wanted.lower() in lower:
            return lower[wanted.lower()]
        raise InputError(path, f"{what} column {wanted!r} is missing; the file has: {', '.join(map(str, columns))}",
                         row=1, column=wanted)
    hit = next((lower[a] for a in aliases if a in lower), None)
    if hit is None:
        raise InputError(path, f"no {what} column; expected one of {', '.join(aliases)} (or pass the column "
                               f"option); the file has: {', '.join(map(str, columns))}", row=1, column=aliases[0])
    return hit


@reader("cbs-pc6-buurt", help="CBS pc6huisnr-bestand (PC6, huisnummer, buurt): adresgewogen PC6/PC4 → buurt")
def read_pc6_buurt(location, to_version: str | None = None, from_version: str | None = None, level: str = "pc6",
                   buurt_column: str | None = None, postcode_column: str | None = None) -> Batch:
    """Address-weighted crosswalk from postcodes to buurten out of one row per address.

    Parameters
    ----------
    to_version : the geography version of the buurt codes (e.g. ``cbs2022``), required.
    from_version : the version id of the postcodes; default ``pc6`` / ``pc4``.
    level : ``'pc6'`` (default) or ``'pc4'`` (postcodes cut to their four digits).
    buurt_column, postcode_column : default the first column named ``Buurt…`` and ``PC6``/``postcode``.

    Examples
    --------
    ``veerkracht ingest cbs-pc6-buurt pc6hnr20220801_gwb.csv -o to_version=cbs2022 -o level=pc4``
    """
    path = Path(location)
    if not to_version:
        raise InputError(path, "option to_version is required (the version of the buurt codes, e.g. cbs2022)")
    if level not in ("pc6", "pc4"):
        raise InputError(path, f"level must be 'pc6' or 'pc4', not {level!r}")
    data = read_bytes(path)
    df = read_table(path, data=data)
    bu = buurt_column or next((c for c in df.columns if re.fullmatch(r"(?i)buurt(code)?_?\d{0,4}", str(c))), None)
    pc = postcode_column or next((c for c in df.columns if str(c).lower() in ("pc6", "postcode", "pc")), None)
    for col, what in ((bu, "buurt (Buurt2022 …)"), (pc, "postcode (PC6)")):
        if col is None or col not in df.columns:
            raise InputError(path, f"no {what} column; the file has: {', '.join(map(str, df.columns))}", row=1,
                             column=col)
    codes = normalise_codes(df[pc].astype("string").str.replace(" ", "", regex=False))
    bad = ~codes.str.fullmatch(r"PC\d{4}[A-Z]{2}").fillna(False)
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raise InputError(path, f"expected a six-character postcode like 1011AB, found {df[pc].iloc[i]!r}",
                         row=df.attrs["first_row"] + i, column=pc)
    table = df.assign(_pc=codes.str[:6] if level == "pc4" else codes,
                      _bu=normalise_codes(df[bu], "buurt"), _n=1)
    table.attrs = df.attrs
    cw = address_crosswalk(table, "_pc", "_bu", "_n", from_version or level, to_version, file=path)
    prov = Provenance("cbs-pc6-buurt", str(location), checksum(data),
                      options={"to_version": to_version, "from_version": from_version, "level": level,
                               "columns": [pc, bu]})
    return Batch(prov, crosswalk=cw)


@reader("grenswijzigingen", help="CBS grenswijzigingen: oude code, nieuwe code, aantal adressen")
def read_grenswijzigingen(location, from_version: str | None = None, to_version: str | None = None,
                          old_column: str | None = None, new_column: str | None = None,
                          count_column: str | None = None) -> Batch:
    """A boundary-change table → an address-weighted crosswalk from the old to the new indeling.

    Columns are found by name (``oude_code``/``nieuwe_code``/``aantal_adressen`` and the aliases in
    :data:`OLD_COLUMNS`, :data:`NEW_COLUMNS`, :data:`COUNT_COLUMNS`) or given as options.

    Parameters
    ----------
    from_version, to_version : the indelingen before and after (e.g. ``cbs2021``, ``cbs2022``), required.
    old_column, new_column, count_column : the old code, new code and address count columns, when
        their names are not among the known ones.

    Examples
    --------
    ``veerkracht ingest grenswijzigingen grenswijzigingen_2021_2022.csv -o from_version=cbs2021 -o to_version=cbs2022``
    """
    path = Path(location)
    for opt, val in (("from_version", from_version), ("to_version", to_version)):
        if not val:
            raise InputError(path, f"option {opt} is required (e.g. cbs2021 → cbs2022)")
    data = read_bytes(path)
    df = read_table(path, data=data)
    cols = [_pick(df.columns, old_column, OLD_COLUMNS, path, "old code"),
            _pick(df.columns, new_column, NEW_COLUMNS, path, "new code"),
            _pick(df.columns, count_column, COUNT_COLUMNS, path, "address count")]
    cw = address_crosswalk(df, *cols, from_version, to_version, file=path)
    warnings = ([f"{len(cw.attrs['unmatched'])} old code(s) with no addresses left out: "
                 + ", ".join(cw.attrs["unmatched"][:10])] if cw.attrs["unmatched"] else [])
    prov = Provenance("grenswijzigingen", str(location), checksum(data),
                      options={"from_version": from_version, "to_version": to_version, "columns": cols})
    return Batch(prov, crosswalk=cw, warnings=warnings)
