"""Leefbaarometer 3.x grid scores (``Leefbaarometer-scores grids 2002-2022.csv``) → facts on ``grid100``.

The download has the layout of the PC4 table (``grid_id, jaar, lbm, afw, fys, onv, soc, vrz, won``):
one row per 100 m cell and measurement year, the score, the deviation from the national reference and
the five dimensions (empty or ``NA`` before 2014). The columns are read exactly as the ``leefbaarometer``
reader reads them (same indicators, same flags, same model checks); this reader adds what is particular
to the grid: the cell ids are CBS cell ids (short ``E0859N4360`` or long ``crs28992res100mN…E…``),
normalised to the short form, and the cells become areas of ``grid100`` with their squares generated
from the id.

Not verified: whether every Leefbaarometer release writes CBS cell ids in ``grid_id`` (a release that
numbers its cells differently needs its own geometry file; such ids are an error naming the row).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..geo.grid import GRID_VERSION, cell_codes, grid_areas, parse_cell_ids
from ..store.base import Batch, Provenance
from .base import read_table, reader
from .grid_cbs import cell_column
from .leefbaarometer import read_leefbaarometer

__all__ = ["read_lbm_grid"]


def _bad_id_row(path: Path, res: int, delimiter, encoding, allow_unterminated) -> InputError:
    """The error for the first id that is not a cell id, with its row (only read on the error path)."""
    df = read_table(path, delimiter=delimiter, encoding=encoding, allow_unterminated=allow_unterminated)
    col, _ = cell_column({c.lower(): c for c in df.columns}, path, res)
    ok = parse_cell_ids(df[col], res)["ok"].to_numpy()
    i = int(np.argmax(~ok))
    return InputError(path, f"expected a CBS {res} m cell id (E0859N4360 or crs28992res{res}mN436000E85900), "
                            f"found {df[col].iloc[i]!r}", row=df.attrs["first_row"] + i, column=col)


@reader("lbm-grid", help="Leefbaarometer 3.x op 100 m-vierkanten (score, afwijking, vijf dimensies, per meetjaar)")
def read_lbm_grid(location, model: str = "3.0", year: int | None = None, areas: bool = True,
                  decimal: str | None = None, delimiter: str | None = None, encoding: str | None = None,
                  allow_unterminated: bool = False) -> Batch:
    """Read a Leefbaarometer grid score table.

    Parameters
    ----------
    location : CSV (optionally gzipped), xlsx or parquet with ``grid_id``, ``jaar``, ``lbm``, ``afw`` and the dimensions.
    model, year, decimal, delimiter, encoding, allow_unterminated : as for ``leefbaarometer``.
    areas : also return the cells as areas of ``grid100`` (squares from the ids).

    Examples
    --------
    ``veerkracht ingest lbm-grid "Leefbaarometer-scores grids 2002-2022.csv"``
    """
    res = 100
    areas = str(areas).lower() not in ("0", "false", "no")
    path = Path(location)
    batch = read_leefbaarometer(location, model=model, geo_version=GRID_VERSION[res], year=year, level="grid",
                                areas=False, decimal=decimal, delimiter=delimiter, encoding=encoding,
                                allow_unterminated=allow_unterminated)
    facts = batch.facts
    codes = pd.Series(facts["code"], dtype=object)
    uniq, inv = np.unique(codes.to_numpy(dtype=object).astype(str), return_inverse=True)
    xy = parse_cell_ids(pd.Series(uniq, dtype=object), res)
    if not xy["ok"].all():
        raise _bad_id_row(path, res, delimiter, encoding, allow_unterminated)
    short = cell_codes(xy["x"].to_numpy(), xy["y"].to_numpy())
    facts["code"] = pd.Categorical.from_codes(inv, categories=pd.Index(short)) \
        if len(set(short)) == len(short) else short[inv]
    prov = batch.provenance
    prov = Provenance("lbm-grid", str(location), prov.checksum,
                      vintage=f"Leefbaarometer {model} (grid 100 m)", options={"model": model, "year": year})
    return Batch(prov, areas=grid_areas(short, res) if areas else None, facts=facts, warnings=batch.warnings)
