"""CBS grid statistics ("Statistische gegevens per vierkant", 100 m and 500 m) → facts on ``grid100``/``grid500``.

CBS publishes the grid as a GeoPackage per year (columns ``crs28992res100m``, ``aantal_inwoners``,
``aantal_woningen`` …; older shapefiles ``C28992R100``, ``INWONER``, ``WONING``; the PDOK service
camelCase ``aantalInwoners``). The same columns in a CSV are read as well. The cell geometry is not
taken from the file: it is generated from the cell id (:mod:`veerkracht.geo.grid`), so a CSV without
shapes gives the same areas as the GeoPackage.

Counts: residents, households, dwellings and — where the file has them — corporation dwellings.
Tenure: a count column gives ``corp_share`` with numerator and denominator; a percentage column
(``perc_huurwoningen_in_bezit_woningcorporaties``, ``percentage_koopwoningen``) gives the numerator
as percentage × dwellings / 100 with the flag ``num_from_pct`` (CBS rounds these percentages per cell,
so such a numerator is approximate). CBS's markers (``-99997`` secret, ``-99995`` not available, …) are
missing values with the flag ``cbs_marker:<code>`` — never numbers.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ._grid_ids import GRID_VERSION, cell_codes, grid_areas, parse_cell_ids
from ..store.base import Batch, Provenance
from ._fastnum import fast_numbers
from ._numbers import detect_decimal
from ._tabular import check_counts_at, check_duplicates_at, join_flags, parse_numbers, parse_years
from .base import checksum, read_bytes, read_table, reader

__all__ = ["read_grid_cbs", "ID_COLUMNS", "COUNT_COLUMNS", "SHARE_COLUMNS", "cell_column"]

#: cell id column (lower case) → resolution
ID_COLUMNS = {"crs28992res100m": 100, "c28992r100": 100, "crs28992res500m": 500, "c28992r500": 500,
              "grid_id": None, "vierkant": None}
#: indicator → accepted column names (lower case, camelCase lowered)
COUNT_COLUMNS = {
    "residents": ("aantal_inwoners", "inwoner", "aantalinwoners", "inwoners"),
    "households": ("aantal_part_huishoudens", "aantal_huishoudens", "aantalhuishoudens", "aantal_hh",
                   "aantalparticulierehuishoudens"),
    "dwellings": ("aantal_woningen", "woning", "aantalwoningen", "woningen"),
    "corp_dwellings": ("aantal_huurwoningen_in_bezit_woningcorporaties", "aantalhuurwoningeninbezitwoningcorporaties",
                       "corporatiewoningen"),
}
#: rate indicator → (numerator count, percentage columns)
SHARE_COLUMNS = {
    "corp_share": ("corp_dwellings", ("perc_huurwoningen_in_bezit_woningcorporaties",
                                      "perchuurwoningeninbezitwoningcorporaties", "p_wcorpw")),
    "owner_occupied": (None, ("percentage_koopwoningen", "percentagekoopwoningen", "p_koopwon", "p_koopw")),
}
_YEAR_COLUMNS = ("jaar", "year", "peiljaar")


def cell_column(cols: dict[str, str], path, resolution: int | None) -> tuple[str, int | None]:
    """The cell id column of a table (``cols``: lower-case name → name) and the resolution it states."""
    for name, res in ID_COLUMNS.items():
        if name in cols and (resolution is None or res in (None, resolution)):
            return cols[name], res or resolution
    raise InputError(path, f"no grid cell id column; expected one of {', '.join(ID_COLUMNS)}", row=1)


def cell_ids(raw: pd.Series, path, column: str, res: int, first_row: int) -> pd.Series:
    """The short CBS code of every cell id; an id that is not a ``res`` m cell is an error naming its row."""
    inv, uniq = pd.factorize(raw.astype("string").fillna(""))
    xy = parse_cell_ids(pd.Series(np.asarray(uniq, dtype=object), dtype=object), res)
    ok = xy["ok"].to_numpy()
    if not ok.all():
        bad = ~ok[inv]
        i = int(np.argmax(bad))
        raise InputError(path, f"expected a CBS {res} m cell id (E0859N4360 or crs28992res{res}mN436000E85900), "
                               f"found {raw.iloc[i]!r}", row=first_row + int(raw.index[i]), column=column)
    codes = cell_codes(xy["x"].to_numpy(), xy["y"].to_numpy())
    return pd.Series(codes[inv], index=raw.index, dtype=object)


def _load(path: Path, data: bytes, layer, delimiter, encoding, allow_unterminated) -> pd.DataFrame:
    if path.suffix.lower() == ".gpkg":
        import pyogrio
        try:
            df = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
        except Exception as exc:   # pyogrio raises DataSourceError, DataLayerError, …: all mean "not readable"
            raise InputError(path, f"cannot read as a GeoPackage: {exc}") from None
        if df.empty:
            raise InputError(path, "has no cells", row=2)
        df = df.astype("string")
        df.columns = [str(c) for c in df.columns]
        df.attrs.update(first_row=2, file=str(path))
        return df
    return read_table(path, data=data, delimiter=delimiter, encoding=encoding, allow_unterminated=allow_unterminated)


@reader("grid-cbs", help="CBS-vierkantstatistieken (100 m / 500 m; GeoPackage of CSV): inwoners, huishoudens, "
                         "woningen, corporatiebezit")
def read_grid_cbs(location, year: int | None = None, resolution: int | None = None, layer: str | None = None,
                  areas: bool = True, decimal: str | None = None, delimiter: str | None = None,
                  encoding: str | None = None, allow_unterminated: bool = False) -> Batch:
    """Read a CBS grid statistics file.

    Parameters
    ----------
    location : a GeoPackage (``.gpkg``; geometry ignored) or CSV/xlsx/parquet with a cell id column.
    year : the reference year when the file has no ``jaar`` column (CBS files hold one year each).
    resolution : 100 or 500 when the id column does not say (``grid_id``); default from the column.
    layer : the GeoPackage layer (default: the first).
    areas : also return the cells as areas (squares generated from the ids).

    Examples
    --------
    ``veerkracht ingest grid-cbs cbs_vk100_2022.gpkg --year 2022``
    """
    areas = str(areas).lower() not in ("0", "false", "no")
    path = Path(location)
    data = read_bytes(path)
    df = _load(path, data, layer, delimiter, encoding, allow_unterminated)
    first = df.attrs["first_row"]
    cols = {c.lower(): c for c in df.columns}
    res_opt = None if resolution in (None, "") else int(resolution)
    if res_opt is not None and res_opt not in GRID_VERSION:
        raise InputError(path, f"resolution must be 100 or 500, not {res_opt}")
    id_col, res = cell_column(cols, path, res_opt)
    res = res or 100
    codes = cell_ids(df[id_col], path, id_col, res, first)

    year_col = next((cols[c] for c in _YEAR_COLUMNS if c in cols), None)
    if year_col is not None:
        years = parse_years(df[year_col], path, year_col, first)
    elif year is not None and str(year).isdigit() and len(str(year)) == 4:
        years = pd.Series(int(year), index=df.index)
    else:
        raise InputError(path, "no year column (jaar) and no option year=YYYY: CBS grid files hold one year each",
                         row=1, column="jaar")
    check_duplicates_at(pd.DataFrame({id_col: codes, "jaar": years}), [id_col, "jaar"], path,
                        first + df.index.to_numpy(), column=id_col)

    found = {ind: next((cols[c] for c in names if c in cols), None) for ind, names in COUNT_COLUMNS.items()}
    shares = {ind: next((cols[c] for c in names if c in cols), None) for ind, (_, names) in SHARE_COLUMNS.items()}
    used = [c for c in [*found.values(), *shares.values()] if c]
    if not used:
        want = ", ".join(n[0] for n in COUNT_COLUMNS.values())
        raise InputError(path, f"no grid statistic found; expected any of {want}", row=1)
    # counts are whole numbers (the fast path settles them, or the general parser per column): only the
    # percentage columns need the file's decimal separator
    pct_cols = [c for c in shares.values() if c]
    decimal = decimal or (detect_decimal({c: df[c] for c in pct_cols}, path, first) if pct_cols else None)

    base = pd.DataFrame({"code": codes, "year": years})
    parts, values = [], {}
    for ind, col in found.items():
        if col is None:
            continue
        v, fl = fast_numbers(df[col], path, col, first, decimal)
        check_counts_at(v, path, col, first)
        values[ind] = (v, fl)
        parts.append(base.assign(indicator=ind, value=v, numerator=np.nan, denominator=np.nan, flags=fl))
    dw = values.get("dwellings")
    for ind, (num_ind, _) in SHARE_COLUMNS.items():
        col = shares[ind]
        if num_ind in values and dw is not None:
            num, nfl = values[num_ind]
            flags = join_flags(nfl, dw[1])
        elif col is not None and dw is not None:
            pct, pfl = parse_numbers(df[col], path, col, first, decimal=decimal, percent=True)
            bad = (pct < 0) | (pct > 100 + 1e-9)
            if bad.any():
                i = int(np.argmax(bad.to_numpy()))
                raise InputError(path, f"percentage {pct.iloc[i]:g} outside 0–100", row=first + int(df.index[i]),
                                 column=col)
            num = pct * dw[0] / 100
            flags = join_flags(pfl, dw[1], pd.Series(np.where(pct.notna(), "num_from_pct", ""), index=df.index))
        else:
            continue
        den = dw[0]
        over = num > den + np.maximum(5, 0.02 * den)
        if over.any():
            i = int(np.argmax(over.to_numpy()))
            raise InputError(path, f"{num.iloc[i]:g} {ind} dwellings exceed the {den.iloc[i]:g} dwellings of the cell",
                             row=first + int(df.index[i]), column=col or found[num_ind])
        flags = join_flags(flags, pd.Series(np.where(num > den, "part_exceeds_whole", ""), index=df.index))
        with np.errstate(all="ignore"):
            rate = np.where(den > 0, np.minimum(num, den) / den * 100, np.nan)
        parts.append(base.assign(indicator=ind, value=rate, numerator=num, denominator=den, flags=flags))

    facts = pd.concat(parts, ignore_index=True)
    for col in ("code", "indicator", "flags"):      # 2 million rows of a few hundred thousand labels
        facts[col] = facts[col].astype("category")
    facts["geo_version"] = GRID_VERSION[res]
    facts["source"] = f"cbs-grid-{res}m"
    area_df = grid_areas(pd.unique(codes), res) if areas else None
    options = {"year": year, "resolution": res, "layer": layer}
    prov = Provenance("grid-cbs", str(location), checksum(data), vintage=f"CBS vierkantstatistieken {res} m",
                      options=options)
    return Batch(prov, areas=area_df, facts=facts)
