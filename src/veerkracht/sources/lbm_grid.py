"""Leefbaarometer 3.x grid scores (``Leefbaarometer-scores grids 2002-2022.csv``) → facts on ``grid100``.

The download has the layout of the PC4 table (``grid_id, jaar, lbm, afw, fys, onv, soc, vrz, won``):
one row per 100 m cell and measurement year, the score, the deviation from the national reference and
the five dimensions (empty or ``NA`` before 2014). The columns map to the same indicators, with the same
model checks and flags, as in the ``leefbaarometer`` reader (its ``MODELS`` and ``_implausible``); what is
particular to the grid:

* the cell ids are CBS cell ids (short ``E0859N4360`` or long ``crs28992res100mN…E…``; column ``grid_id``
  or ``crs28992res100m``), normalised to the short form, and the cells become areas of ``grid100`` with
  their squares generated from the id;
* size: 382k cells × 8 waves are 3 million rows, so ids and years are parsed once per distinct value and
  plain number columns are read with one Arrow cast (:mod:`._fastnum`, same answer as the general parser);
  codes are stored as a categorical.

Not verified: whether every Leefbaarometer release writes CBS cell ids in ``grid_id`` (a release that
numbers its cells differently needs its own geometry file; such ids are an error naming the row).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ._grid_ids import GRID_VERSION, grid_areas
from ..store.base import Batch, Provenance
from ._fastnum import fast_numbers
from ._tabular import parse_years
from .base import checksum, read_bytes, read_table, reader
from .grid_cbs import cell_ids
from .leefbaarometer import MODELS

__all__ = ["read_lbm_grid"]

_ID_COLUMNS = ("grid_id", "crs28992res100m", "c28992r100")


def _distinct(fn, raw: pd.Series, first: int) -> tuple[np.ndarray, np.ndarray]:
    """``(per-row index, fn(distinct values))``: ``fn(values, first_row=0)`` runs once per distinct text of
    ``raw``; an error about the k-th distinct value is re-raised naming the file row where it first occurs."""
    codes, uniq = pd.factorize(raw, use_na_sentinel=False)
    try:
        out = fn(pd.Series(uniq, dtype=object), 0)
    except InputError as exc:
        row = first + int((codes == exc.row).argmax()) if exc.row is not None and 0 <= exc.row < len(uniq) else exc.row
        raise InputError(exc.file, exc.message, row=row, column=exc.column) from None
    return codes, np.asarray(out)


@reader("lbm-grid", help="Leefbaarometer 3.x op 100 m-vierkanten (score, afwijking, vijf dimensies, per meetjaar)")
def read_lbm_grid(location, model: str = "3.0", year: int | None = None, areas: bool = True,
                  decimal: str | None = None, delimiter: str | None = None, encoding: str | None = None,
                  allow_unterminated: bool = False) -> Batch:
    """Read a Leefbaarometer grid score table.

    Parameters
    ----------
    location : CSV (optionally gzipped), xlsx or parquet with ``grid_id``, ``jaar``, ``lbm``, ``afw`` and
        the dimensions.
    model, year, decimal, delimiter, encoding, allow_unterminated : as for ``leefbaarometer``.
    areas : also return the cells as areas of ``grid100`` (squares from the ids).

    Examples
    --------
    ``veerkracht ingest lbm-grid "Leefbaarometer-scores grids 2002-2022.csv"``
    """
    res = 100
    model = str(model)
    areas = str(areas).lower() not in ("0", "false", "no")
    if model not in MODELS:
        raise InputError(location, f"unknown Leefbaarometer model {model!r}; known: {', '.join(MODELS)}")
    spec = MODELS[model]
    path = Path(location)
    data = read_bytes(path)
    df = read_table(path, data=data, delimiter=delimiter, encoding=encoding, allow_unterminated=allow_unterminated)
    digest = checksum(data)
    del data                # 200 MB of text no longer needed: the peak is the frame plus the facts
    first = df.attrs["first_row"]
    cols = {c.lower(): c for c in df.columns}
    id_col = next((cols[c] for c in _ID_COLUMNS if c in cols), None)
    if id_col is None:
        raise InputError(path, f"no grid cell id column; expected one of {', '.join(_ID_COLUMNS)}", row=1)
    row_id, short = _distinct(lambda u, f0: cell_ids(u, path, id_col, res, f0).to_numpy(dtype=object), df[id_col],
                              first)
    cell_of_id, short_codes = pd.factorize(pd.Series(short, dtype=object), sort=True)
    cell = cell_of_id[row_id].astype(np.int32)                   # per row: index into short_codes
    short_codes = np.asarray(short_codes, dtype=object)

    year_col = next((cols[c] for c in ("jaar", "year") if c in cols), None)
    if year_col is not None:
        row_year, year_values = _distinct(lambda u, f0: parse_years(u, path, year_col, f0).to_numpy(), df[year_col],
                                          first)
        years = year_values[row_year]
    elif year is not None and str(year).isdigit() and len(str(year)) == 4:
        years = np.full(len(df), int(year))
    else:
        raise InputError(path, "no year column (jaar) and no valid option year=YYYY", row=1, column="jaar")
    key = pd.Series(cell.astype(np.int64) * 10_000 + years)
    dup = key.duplicated().to_numpy()
    if dup.any():
        i = int(dup.argmax())
        j = int((key == key.iloc[i]).to_numpy().argmax())
        raise InputError(path, f"duplicate cell {short_codes[cell[i]]} in {years[i]} (first seen on row {first + j})",
                         row=first + i, column=id_col)

    foreign = sorted(cols[c] for c in spec["foreign"] if c in cols)
    if foreign:
        raise InputError(path, f"column of the other Leefbaarometer model (this read uses model {model}); "
                               "pass the right model option", row=1, column=foreign[0])
    found = [(cols[c], ind) for c, ind in {**spec["totals"], **spec["dims"]}.items() if c in cols]
    if not any(ind == "lbm" for _, ind in found):
        raise InputError(path, "required column is missing (the deviation score)", row=1, column="afw")

    warnings: list[str] = []
    parts, flag_ids, ind_ids = [], {"": 0}, {}
    years16 = years.astype(np.int16)
    for col, ind in found:
        values, flags = fast_numbers(df.pop(col), path, col, first, decimal)      # each text column freed once read
        keep = np.ones(len(df), bool)
        if ind not in ("lbm", "lbm_score"):
            if spec["first_dimension_year"]:
                keep &= years >= spec["first_dimension_year"]
            has = values.notna().to_numpy()
            empty_years = [int(y) for y in np.setdiff1d(np.unique(years[keep]), np.unique(years[keep & has]))]
            if empty_years:
                warnings.append(f"{col}: empty for every cell in {', '.join(map(str, empty_years))}; "
                                "not published for those years, no facts")
                keep &= ~np.isin(years, empty_years)
        v = values.to_numpy()[keep]
        del values
        # compact parts (4 + 2 + 8 + 2 bytes a row): 14 M rows must not hold 64-bit copies twice over
        parts.append((cell[keep], years16[keep], ind_ids.setdefault(ind, len(ind_ids)), v,
                      _flag_codes(flags[keep], _implausible_mask(ind, v), flag_ids).astype(np.int16)))
    del df

    def joined(k: int, dtype=None, parts=parts) -> np.ndarray:
        out = np.concatenate([q[k] for q in parts]).astype(dtype or parts[0][k].dtype, copy=False)
        for q in parts:           # free each part once copied
            q[k].resize(0, refcheck=False)
        return out
    sizes = [len(q[0]) for q in parts]
    indicator = np.repeat(np.array([q[2] for q in parts], dtype=np.int8), sizes)
    facts = pd.DataFrame({
        "code": pd.Categorical.from_codes(joined(0), categories=pd.Index(short_codes)),
        "year": joined(1, np.int64),
        "indicator": pd.Categorical.from_codes(indicator, categories=list(ind_ids)),
        "value": joined(3),
        "flags": pd.Categorical.from_codes(joined(4), categories=list(flag_ids)),
    }, copy=False)
    del parts
    n = len(facts)       # constant columns as one-label categoricals: 14 M rows, not 14 M strings each
    facts["geo_version"] = pd.Categorical.from_codes(np.zeros(n, np.int8), categories=[GRID_VERSION[res]])
    facts["source"] = pd.Categorical.from_codes(np.zeros(n, np.int8), categories=[f"leefbaarometer-{model}"])
    facts["numerator"] = np.nan
    facts["denominator"] = np.nan
    prov = Provenance("lbm-grid", str(location), digest, vintage=f"Leefbaarometer {model} (grid 100 m)",
                      options={"model": model, "year": year})
    return Batch(prov, areas=grid_areas(short_codes, res) if areas else None, facts=facts, warnings=warnings)



def _implausible_mask(indicator: str, values: np.ndarray) -> np.ndarray:
    """The ``implausible`` rule of the ``leefbaarometer`` reader, as a mask (scores outside (2, 6), other
    columns beyond ±2)."""
    with np.errstate(invalid="ignore"):
        bad = (values <= 2) | (values >= 6) if indicator == "lbm_score" else np.abs(values) > 2
    return bad & ~np.isnan(values)


def _flag_codes(flags: pd.Series, implausible: np.ndarray, ids: dict[str, int]) -> np.ndarray:
    """Per row the id (in ``ids``, grown as needed) of its flag list, ``implausible`` added where masked."""
    cat = flags.astype("category")
    local = [str(c) for c in cat.cat.categories]
    both = local + [f"{c},implausible" if c else "implausible" for c in local]
    lut = np.array([ids.setdefault(c, len(ids)) for c in both], dtype=np.int64)
    return lut[cat.cat.codes.to_numpy().astype(np.int64) + implausible * len(local)]
