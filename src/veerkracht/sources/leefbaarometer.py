"""Leefbaarometer score tables (PC4, buurt, wijk, gemeente or 100 m grid) → facts.

Accepts the shapes BZK publishes: one row per area and year with ``lbm`` (the absolute score),
``afw`` (the deviation from the national reference: our ``lbm``), the five dimensions and
optionally the class ``kscore``/``klasse`` (1–9). The area is identified by one of ``grid_id``,
``PC4``, ``bu_code``, ``wk_code`` or ``gm_code`` (the finest one present, or option ``level``).

Model versions are not interchangeable: 2.0's dimensions *bewoners* and *veiligheid* are stored
under their own ids (``lbm2_bew``, ``lbm2_vei``), never as 3.0's ``lbm_soc``/``lbm_onv``, and every
fact carries its model in ``source`` (``leefbaarometer-3.0``).

Missing values: a dimension the model does not publish for a year gives no fact (3.0 has none
before 2014; a year in which a column is empty for *every* area is treated the same way and
reported in ``Batch.warnings``). An empty cell where a value should be becomes a fact with NaN
value and flag ``missing`` — never a 0.

The class is *not* derived from the score: the official 3.0 class boundaries on ``afw`` could not
be verified from a primary source (searched the Leefbaarometer site text and the 2020 report in
shared/reference, which names the classes but gives no boundaries). Files that carry ``kscore``
or ``klasse`` give ``lbm_class`` facts.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..store.base import Batch, Provenance
from ._codes import normalise_codes
from ._numbers import detect_decimal
from ._tabular import area_frame, check_duplicates_at, join_flags, parse_numbers, parse_years
from .base import checksum, read_bytes, read_table, reader

__all__ = ["read_leefbaarometer", "MODELS", "CODE_COLUMNS"]

_3_DIMS = {"fys": "lbm_fys", "onv": "lbm_onv", "soc": "lbm_soc", "vrz": "lbm_vrz", "won": "lbm_won"}
_2_DIMS = {"fys": "lbm_fys", "rlbfys": "lbm_fys", "vrz": "lbm_vrz", "rlbvrz": "lbm_vrz",
           "won": "lbm_won", "rlbwon": "lbm_won",
           "bev": "lbm2_bew", "bewoners": "lbm2_bew", "rlbbev": "lbm2_bew",
           "vei": "lbm2_vei", "veiligheid": "lbm2_vei", "rlbvei": "lbm2_vei"}

# column (lower case) → indicator id, per model; `foreign` columns belong to the other model.
MODELS = {
    "3.0": {"totals": {"lbm": "lbm_score", "afw": "lbm"}, "dims": _3_DIMS,
            "first_dimension_year": 2014, "default_geo": "lbm3-2022",
            "foreign": {"bev", "bewoners", "rlbbev", "vei", "veiligheid", "rlbvei"}},
    "2.0": {"totals": {"lbm": "lbm_score", "afw": "lbm", "rlbrmtr": "lbm"}, "dims": _2_DIMS,
            "first_dimension_year": None, "default_geo": None, "foreign": {"onv", "soc"}},
}

# (column, level, code prefix) from fine to coarse
CODE_COLUMNS = [("grid_id", "grid", ""), ("pc4", "pc4", "PC"), ("bu_code", "buurt", "BU"),
                ("wk_code", "wijk", "WK"), ("gm_code", "gemeente", "GM")]
_NAME_COLUMNS = {"buurt": "bu_naam", "wijk": "wk_naam", "gemeente": "gm_naam"}
_CLASS_COLUMNS = ("kscore", "klasse")
_YEAR_COLUMNS = ("jaar", "year")


def _implausible(indicator: str, values: pd.Series) -> pd.Series:
    """Scores far outside anything the model produces point at a unit or column mix-up."""
    if indicator == "lbm_score":
        bad = (values <= 2) | (values >= 6)
    else:
        bad = values.abs() > 2
    return pd.Series(np.where(bad.fillna(False), "implausible", ""), index=values.index, dtype="string")


def _codes(raw: pd.Series, file, column: str, level: str, prefix: str, first_row: int) -> pd.Series:
    """Normalised codes (``1011`` → ``PC1011``); a code that is not of the level is an error."""
    s = normalise_codes(raw, level)
    if level == "pc4":
        ok, what = s.str.fullmatch(r"PC\d{4}"), "a four-digit postcode"
    elif prefix:
        ok, what = s.str.startswith(prefix), f"a code starting with {prefix}"
    else:
        ok, what = s.notna() & (s != ""), "a grid cell id"
    ok = ok.fillna(False).astype(bool)
    if not ok.all():
        label = ok[~ok].index[0]
        raise InputError(file, f"expected {what}, found {raw.loc[label]!r}", row=first_row + int(label),
                         column=column)
    return s


@reader("leefbaarometer", help="Leefbaarometer scores per PC4/buurt/wijk/gemeente/grid and year")
def read_leefbaarometer(location, model: str = "3.0", geo_version: str | None = None,
                        year: int | None = None, level: str | None = None, areas: bool = True,
                        decimal: str | None = None, delimiter: str | None = None, encoding: str | None = None,
                        allow_unterminated: bool = False) -> Batch:
    """Read a Leefbaarometer score table.

    Parameters
    ----------
    location : path of a CSV (optionally gzipped), xlsx or parquet file.
    model : ``"3.0"`` (default) or ``"2.0"``; decides the column → indicator mapping and goes into
        the facts' ``source`` (``leefbaarometer-3.0``).
    geo_version : geography of the release; default ``lbm3-2022`` for 3.0. Required for 2.0.
    year : the measurement year when the file has no ``jaar`` column.
    level : pick the code column of this level when several are present (default: the finest).
    areas : also return the areas (codes and names, no geometry).
    decimal : ``','`` or ``'.'``; default detected from the file (``afw`` values like ``0.045`` tell).
    delimiter, encoding, allow_unterminated : as for ``cbs-kwb``.

    The total score (column ``lbm``) becomes ``lbm_score``, the deviation from the national level
    (``afw``) becomes ``lbm``: two indicators whose labels say which.

    Examples
    --------
    ``veerkracht ingest leefbaarometer leefbaarometer3_scores_pc4.csv.gz -o model=3.0``
    """
    model = str(model)
    areas = str(areas).lower() not in ("0", "false", "no")   # CLI options arrive as text
    if model not in MODELS:
        raise InputError(location, f"unknown Leefbaarometer model {model!r}; known: {', '.join(MODELS)}")
    spec = MODELS[model]
    geo_version = geo_version or spec["default_geo"]
    if not geo_version:
        raise InputError(location, f"model {model}: pass geo_version (the geography of that release)")
    path = Path(location)
    data = read_bytes(path)
    df = read_table(path, data=data, delimiter=delimiter, encoding=encoding, allow_unterminated=allow_unterminated)
    first = df.attrs["first_row"]
    cols = {c.lower(): c for c in df.columns}

    present = [(cols[c], lv, pf) for c, lv, pf in CODE_COLUMNS if c in cols and (level in (None, lv))]
    if not present:
        want = ", ".join(c for c, lv, _ in CODE_COLUMNS if level in (None, lv))
        raise InputError(path, f"no area code column; expected one of {want}", row=1)
    code_col, lvl, prefix = present[0]
    codes = _codes(df[code_col], path, code_col, lvl, prefix, first)

    year_col = next((cols[c] for c in _YEAR_COLUMNS if c in cols), None)
    if year_col is not None:
        years = parse_years(df[year_col], path, year_col, first)
    elif year is not None and len(str(year)) == 4 and str(year).isdigit():
        years = pd.Series(int(year), index=df.index)
    else:
        raise InputError(path, "no year column (jaar) and no valid option year=YYYY", row=1, column="jaar")
    keyed = pd.DataFrame({code_col: codes, year_col or "jaar": years})
    check_duplicates_at(keyed, list(keyed.columns), path, first + df.index.to_numpy(), column=code_col)

    foreign = sorted(cols[c] for c in spec["foreign"] if c in cols)
    if foreign:
        raise InputError(path, f"column of the other Leefbaarometer model (this read uses model {model}); "
                               "pass the right model option", row=1, column=foreign[0])
    mapped = {**spec["totals"], **spec["dims"]}
    found = [(cols[c], ind) for c, ind in mapped.items() if c in cols]
    if not any(ind == "lbm" for _, ind in found):
        raise InputError(path, "required column is missing (the deviation score)", row=1, column="afw")

    warnings: list[str] = []
    parts = []
    decimal = decimal or detect_decimal({col: df[col] for col, _ in found}, path, first)
    for col, ind in found:
        values, flags = parse_numbers(df[col], path, col, first, decimal=decimal)
        keep = pd.Series(True, index=df.index)
        if ind not in ("lbm", "lbm_score"):
            if spec["first_dimension_year"]:
                keep &= years >= spec["first_dimension_year"]
            empty_years = sorted(set(years[keep]) - set(years[keep & values.notna()]))
            if empty_years:
                warnings.append(f"{col}: empty for every area in {', '.join(map(str, empty_years))}; "
                                "not published for those years, no facts")
                keep &= ~years.isin(empty_years)
        parts.append(pd.DataFrame({"code": codes[keep], "year": years[keep], "indicator": ind,
                                   "value": values[keep],
                                   "flags": join_flags(flags[keep], _implausible(ind, values[keep]))}))

    class_col = next((cols[c] for c in _CLASS_COLUMNS if c in cols), None)
    if class_col is not None:
        values, flags = parse_numbers(df[class_col], path, class_col, first, decimal=decimal)
        bad = values.notna() & ~values.isin(range(1, 10))
        if bad.any():
            label = bad[bad].index[0]
            raise InputError(path, f"class must be a whole number 1–9, found {df[class_col].loc[label]!r}",
                             row=first + int(label), column=class_col)
        parts.append(pd.DataFrame({"code": codes, "year": years, "indicator": "lbm_class",
                                   "value": values, "flags": flags}))

    facts = pd.concat(parts, ignore_index=True)
    facts["geo_version"] = geo_version
    facts["source"] = f"leefbaarometer-{model}"
    facts["numerator"] = np.nan
    facts["denominator"] = np.nan

    area_df = None
    if areas:
        name_col = cols.get(_NAME_COLUMNS.get(lvl, ""))
        area_df = area_frame(geo_version, codes, lvl, None if name_col is None else df[name_col])
    options = {"model": model, "geo_version": geo_version, "year": year, "level": lvl}
    prov = Provenance("leefbaarometer", str(location), checksum(data),
                      vintage=f"Leefbaarometer {model} ({geo_version})", options=options)
    return Batch(prov, areas=area_df, facts=facts, warnings=warnings)
