"""A housing corporation's own stock (``veerkracht ingest portfolio``): private, located onto buurten.

One row per dwelling (vhe) or per complex, from CSV, xlsx or Parquet. Each row needs an id and one way
to find its place: a buurt code, coordinates (RD New metres or WGS84 degrees), or a six-character
postcode (PC6, optionally with a house number; located through a PC6 → buurt crosswalk in the store,
``veerkracht ingest cbs-pc6-buurt``). Columns are found by the usual Dutch and English names
(:data:`ALIASES`) or named in a TOML mapping::

    # portfolio.toml
    sheet = "Bezit"            # xlsx only
    crs = "EPSG:28992"         # of x/y: EPSG:28992 (RD New), EPSG:4326 (lon/lat) or "auto"
    decimal = ","              # when numbers like 1.200 would be ambiguous (Dutch: "," — English: ".")
    [columns]
    id = "VHE-nummer"
    complex = "Complexnummer"
    dwellings = "Aantal"       # per complex; without it every row is one dwelling
    postcode = "Postcode"
    house_number = "Huisnummer"
    x = "X"
    y = "Y"
    code = "Buurtcode"
    rent_class = "Huurklasse"
    type = "Woningtype"
    label = "Energielabel"
    year_built = "Bouwjaar"

The reader checks every value (file, row and column in each error) and returns a
:class:`PortfolioFile`; locating happens against the store's geometry at ingest
(:func:`veerkracht.geo.locate.locate_units`), and rows that cannot be located are listed by row.
The portfolio is stored only in the user's own store, in the private ``portfolio`` table.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..store.base import Provenance
from ._codes import normalise_codes
from ._tabular import check_duplicates_at, parse_numbers
from .base import checksum, read_bytes, read_table, reader

__all__ = ["PortfolioFile", "read_portfolio", "ALIASES", "MAPPING_KEYS", "COLUMN_KEYS"]

#: logical column → names found without a mapping (case-insensitive)
ALIASES = {
    "id": ("id", "vhe", "vhe_nummer", "vhe-nummer", "eenheid", "eenheidnummer", "unit_id"),
    "complex": ("complex", "complexnummer", "complex_id", "complexcode"),
    "dwellings": ("dwellings", "aantal", "aantal_woningen", "woningen", "aantal_vhe"),
    "postcode": ("postcode", "pc6"),
    "house_number": ("huisnummer", "house_number", "huisnr"),
    "x": ("x", "x_rd", "rd_x", "lon", "longitude", "lng"),
    "y": ("y", "y_rd", "rd_y", "lat", "latitude"),
    "code": ("buurtcode", "buurt_code", "bu_code", "code"),
    "rent_class": ("huurklasse", "rent_class"),
    "type": ("woningtype", "type"),
    "label": ("energielabel", "label"),
    "year_built": ("bouwjaar", "year_built"),
}
COLUMN_KEYS = set(ALIASES)
MAPPING_KEYS = {"sheet", "crs", "decimal", "columns"}
_CRS = ("auto", "EPSG:28992", "EPSG:4326")


@dataclass
class PortfolioFile:
    """What the reader gives the ingest: the checked rows (not yet located) and where they came from."""

    provenance: Provenance
    rows: pd.DataFrame            # unit_id, complex_id, dwellings, code, x, y, crs, pc6, house_number, … source_row
    corporation: str
    warnings: list[str] = field(default_factory=list)
    private = True                # the ingest keeps it out of facts, exports and the public API


def _mapping(path: str | None) -> dict:
    if not path:
        return {}
    p = Path(path)
    text = read_bytes(p).decode("utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(p, f"not valid TOML: {exc}") from None
    for key in data:
        if key not in MAPPING_KEYS:
            raise InputError(p, f"unknown key {key!r}; valid keys: {', '.join(sorted(MAPPING_KEYS))}")
    for key in data.get("columns", {}):
        if key not in COLUMN_KEYS:
            raise InputError(p, f"unknown key {key!r} in [columns]; valid keys: {', '.join(sorted(COLUMN_KEYS))}")
    if data.get("crs", "auto") not in _CRS:
        raise InputError(p, f"crs must be one of {', '.join(_CRS)}, not {data['crs']!r}")
    return data


def _columns(df: pd.DataFrame, mapped: dict, path, mapping_path) -> dict[str, str]:
    lower = {c.lower(): c for c in df.columns}
    cols: dict[str, str] = {}
    for key, aliases in ALIASES.items():
        if key in mapped:
            if mapped[key] not in df.columns:
                raise InputError(mapping_path or path, f"[columns] {key} = {mapped[key]!r}: the file {path} has no "
                                 f"such column; it has: {', '.join(df.columns)}", column=mapped[key])
            cols[key] = mapped[key]
        else:
            hit = next((lower[a] for a in aliases if a in lower), None)
            if hit is not None:
                cols[key] = hit
    if "id" not in cols:
        raise InputError(path, "no id column (vhe or complex number); name it in the mapping: [columns] id = \"…\"; "
                               f"the file has: {', '.join(df.columns)}", row=1, column="id")
    if not ({"code"} <= set(cols) or {"x", "y"} <= set(cols) or "postcode" in cols):
        raise InputError(path, "no column to locate the rows: give a buurt code, x and y, or a postcode "
                               f"([columns] code / x, y / postcode); the file has: {', '.join(df.columns)}", row=1)
    return cols


def _crs(x: pd.Series, y: pd.Series, declared: str, path, cols) -> pd.Series:
    """Per row EPSG:28992 or EPSG:4326 (``auto``: by the range of the values); out of the Netherlands → error."""
    rd = x.between(0, 300_000) & y.between(289_000, 629_000)
    wgs = x.between(3.2, 7.3) & y.between(50.7, 53.6)
    swapped = y.between(3.2, 7.3) & x.between(50.7, 53.6)
    have = x.notna() & y.notna()
    if declared == "EPSG:28992":
        bad = have & ~rd
        why = "not RD New metres inside the Netherlands" + (" (these look like degrees: crs = \"EPSG:4326\"?)"
                                                            if (have & wgs).any() else "")
    elif declared == "EPSG:4326":
        bad = have & ~wgs
        why = "not lon/lat degrees inside the Netherlands" + (" (x and y swapped?)" if (have & swapped).any() else
                                                              " (RD metres? crs = \"EPSG:28992\")" if (have & rd).any()
                                                              else "")
    else:
        bad = have & ~rd & ~wgs
        why = "neither RD New metres nor lon/lat degrees inside the Netherlands" + (
            " (x and y swapped?)" if (bad & swapped).any() else "")
    if bad.any():
        i = bad[bad].index[0]
        raise InputError(path, f"coordinates {x.loc[i]}, {y.loc[i]} are {why}", row=int(i) + 2, column=cols["x"])
    out = pd.Series(np.where(rd, "EPSG:28992", "EPSG:4326"), index=x.index, dtype="string")
    if declared != "auto":
        out[:] = declared
    return out.where(have)


@reader("portfolio", help="Een corporatie haar eigen bezit (per vhe of per complex): privé, op buurten gelegd")
def read_portfolio(location, corporation: str, mapping: str | None = None, sheet: str | None = None,
                   decimal: str | None = None) -> PortfolioFile:
    """A corporation's stock, per dwelling or per complex, checked row by row (private data).

    Parameters
    ----------
    corporation : the corporation's name; loading again for the same name replaces its portfolio.
    mapping : a TOML file naming the columns (keys in the module documentation; without it the columns are
        found by their usual names: vhe/id, complexnummer, aantal, postcode, huisnummer, x, y, buurtcode …).
    sheet : the sheet of an xlsx workbook (default the first; the mapping's ``sheet`` also works).
    decimal : ``','`` or ``'.'``, the decimal separator, when a number such as ``1.200`` would otherwise be
        ambiguous (the mapping's ``decimal`` also works).

    Examples
    --------
    ``veerkracht ingest portfolio bezit.xlsx -o corporation="Woonstad" --mapping portfolio.toml``
    """
    path = Path(location)
    m = _mapping(mapping)
    data = read_bytes(path)
    df = read_table(path, data=data, sheet=sheet or m.get("sheet"))
    cols = _columns(df, m.get("columns", {}), path, mapping)
    dec = {"decimal": decimal or m.get("decimal")} if (decimal or m.get("decimal")) else {}
    df = df.reset_index(drop=True)
    ids = df[cols["id"]].astype("string").str.strip()
    empty = ids.isna() | (ids == "")
    if empty.any():
        raise InputError(path, "empty id", row=int(empty.to_numpy().argmax()) + 2, column=cols["id"])
    rows = pd.DataFrame({"unit_id": ids, "source_row": np.arange(len(df)) + 2})
    check_duplicates_at(rows, ["unit_id"], path, rows["source_row"], column=cols["id"])
    rows["complex_id"] = df[cols["complex"]].astype("string").str.strip() if "complex" in cols else pd.NA
    if "dwellings" in cols:
        n, _ = parse_numbers(df[cols["dwellings"]], path, cols["dwellings"], **dec)
        bad = n.isna() | (n < 1) | (n != n.round())
        if bad.any():
            i = int(bad.to_numpy().argmax())
            raise InputError(path, f"number of dwellings must be a whole number ≥ 1, not {df[cols['dwellings']].iloc[i]!r}",
                             row=i + 2, column=cols["dwellings"])
        rows["dwellings"] = n.astype("int64")
    else:
        rows["dwellings"] = 1
    rows["code"] = normalise_codes(df[cols["code"]], "buurt") if "code" in cols else pd.NA
    if "code" in cols:
        bad = rows["code"].notna() & ~rows["code"].str.fullmatch(r"BU[0-9A-Z]{8}").fillna(False)
        if bad.any():
            i = int(bad.to_numpy().argmax())
            raise InputError(path, f"not a buurt code like BU03630000: {df[cols['code']].iloc[i]!r}", row=i + 2,
                             column=cols["code"])
    for key in ("x", "y"):
        if key in cols:
            rows[key], _ = parse_numbers(df[cols[key]], path, cols[key], **dec)
        else:
            rows[key] = np.nan
    rows["crs"] = _crs(rows["x"], rows["y"], m.get("crs", "auto"), path, cols) if "x" in cols else pd.NA
    if "postcode" in cols:
        pc = df[cols["postcode"]].astype("string").str.replace(" ", "", regex=False).str.upper()
        bad = pc.notna() & (pc != "") & ~pc.str.fullmatch(r"\d{4}[A-Z]{2}").fillna(False)
        if bad.any():
            i = int(bad.to_numpy().argmax())
            raise InputError(path, f"expected a postcode like 1011AB, found {df[cols['postcode']].iloc[i]!r}",
                             row=i + 2, column=cols["postcode"])
        rows["pc6"] = ("PC" + pc).where(pc.notna() & (pc != ""))
    else:
        rows["pc6"] = pd.NA
    rows["house_number"] = df[cols["house_number"]].astype("string").str.strip() if "house_number" in cols else pd.NA
    for key in ("rent_class", "type", "label"):
        rows[key] = df[cols[key]].astype("string").str.strip() if key in cols else pd.NA
    if "year_built" in cols:
        yb, _ = parse_numbers(df[cols["year_built"]], path, cols["year_built"], **dec)
        bad = yb.notna() & ~yb.between(1500, 2100)
        if bad.any():
            i = int(bad.to_numpy().argmax())
            raise InputError(path, f"year built {df[cols['year_built']].iloc[i]!r} is not a year", row=i + 2,
                             column=cols["year_built"])
        rows["year_built"] = yb.round().astype("Int64")
    else:
        rows["year_built"] = pd.array([pd.NA] * len(rows), dtype="Int64")
    nowhere = rows["code"].isna() & rows["x"].isna() & rows["pc6"].isna()
    if nowhere.all():
        raise InputError(path, "no row has a buurt code, coordinates or a postcode to locate it by", row=2)
    prov = Provenance("portfolio", str(location), checksum(data), options={"corporation": corporation,
                                                                            "columns": cols, "private": True})
    return PortfolioFile(prov, rows, str(corporation).strip())
