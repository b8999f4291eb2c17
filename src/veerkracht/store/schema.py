"""The store's data model, shared by every backend.

Frames that cross the store interface have exactly these columns (in this order).
``flags`` is a comma-separated list of short tokens (``cbs_marker:-99995``, ``approx``,
``harmonised``, ``pct_over_100`` …); empty when nothing is to be said.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "AREA_COLUMNS", "FACT_COLUMNS", "CROSSWALK_COLUMNS", "INDICATOR_COLUMNS",
    "LEVELS", "level_rank", "KINDS", "empty_facts", "normalise_facts", "normalise_crosswalk",
    "merge_flags", "encode_strings",
]

#: every level, coarse → fine: the one owner of level order (a PC4 area, ~4,000 in the country, lies
#: between a wijk, ~3,300, and a buurt, ~14,500)
LEVELS = ("country", "gemeente", "wijk", "pc4", "buurt", "pc6", "grid")


def level_rank(level: str) -> int:
    """Position of ``level`` in :data:`LEVELS` (0 = the country); unknown levels come last."""
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)

# What kind of quantity an indicator is decides how it is harmonised:
#   rate  — value = numerator / denominator * scale; numerators and denominators are redistributed
#   count — value is a count; redistributed by the crosswalk weight
#   score — an intensive score (Leefbaarometer); target value is the basis-weighted mean (approximation)
#   class — an ordinal class; not harmonised
KINDS = ("rate", "count", "score", "class")

AREA_COLUMNS = ["geo_version", "code", "level", "name", "gm_code", "wk_code"]

FACT_COLUMNS = [
    "geo_version", "code", "year", "indicator", "numerator", "denominator", "value",
    "source", "flags", "origin_version",
]
FACT_KEY = ["geo_version", "code", "year", "indicator", "source", "origin_version"]

CROSSWALK_COLUMNS = [
    "from_version", "from_code", "to_version", "to_code", "weight", "amount", "basis",
]
CROSSWALK_KEY = ["from_version", "from_code", "to_version", "to_code", "basis"]

INDICATOR_COLUMNS = [
    "id", "label_nl", "label_en", "unit", "kind", "scale", "higher_is_worse",
    "numerator_nl", "denominator_nl", "source", "description_nl", "description_en", "restricted",
]

# "str" is pandas 3's Arrow-backed string dtype: it crosses into DuckDB and Arrow without copies
_FACT_DTYPES = {
    "geo_version": "str", "code": "str", "year": "int32", "indicator": "str",
    "numerator": "float64", "denominator": "float64", "value": "float64",
    "source": "str", "flags": "str", "origin_version": "str",
}


def empty_facts() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _FACT_DTYPES.items()})


_STRING_COLUMNS = [c for c, t in _FACT_DTYPES.items() if t == "str"]


def _is_categorical_str(col: pd.Series) -> bool:
    return isinstance(col.dtype, pd.CategoricalDtype) and col.dtype.categories.dtype in ("str", object)


def normalise_facts(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with exactly the fact columns and dtypes; fill defaults.

    ``origin_version`` defaults to ``geo_version`` (a native, not harmonised fact) and
    ``flags`` to the empty string. A string column that is a categorical of strings stays
    categorical (5 M rows of a few labels cost bytes, not strings). Columns that already have
    their dtype are not copied (pandas copy-on-write).
    """
    out = df.copy(deep=False)
    out.attrs = {}
    for c in ("numerator", "denominator", "value"):
        if c not in out:
            out[c] = np.nan
    if "flags" not in out:
        out["flags"] = ""
    if "origin_version" not in out:
        out["origin_version"] = out["geo_version"]
    missing = [c for c in FACT_COLUMNS if c not in out]
    if missing:
        raise ValueError(f"facts frame lacks columns {missing}")
    dtypes = {c: out[c].dtype if c in _STRING_COLUMNS and _is_categorical_str(out[c]) else t
              for c, t in _FACT_DTYPES.items()}
    out = out[FACT_COLUMNS].astype(dtypes)
    for col, default in (("flags", ""), ("origin_version", out["geo_version"])):
        if out[col].isna().any():
            if isinstance(out[col].dtype, pd.CategoricalDtype):
                out[col] = out[col].astype("str")
            out[col] = out[col].fillna(default)
    return out.reset_index(drop=True)


def normalise_crosswalk(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.attrs = {}  # reports attached by crosswalk builders are not part of the table
    if "amount" not in out:
        out["amount"] = np.nan
    out = out[CROSSWALK_COLUMNS].astype({
        "from_version": "string", "from_code": "string", "to_version": "string",
        "to_code": "string", "weight": "float64", "amount": "float64", "basis": "string",
    })
    return out.reset_index(drop=True)


def encode_strings(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(per-row index, labels) of a string column, without building a string per row.

    A categorical gives its codes and the labels it uses; any other column is factorised.
    Missing values get index -1.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        labels = column.cat.categories.to_numpy(dtype=object)
        used = np.bincount(codes[codes >= 0], minlength=len(labels)) > 0
        if used.all():
            return codes, labels
        remap = np.cumsum(used) - 1
        return np.where(codes >= 0, remap[codes], -1), labels[used]
    codes, labels = pd.factorize(column)
    return codes, np.asarray(labels, dtype=object)


def merge_flags(*flag_series: pd.Series) -> pd.Series:
    """Union of comma-separated flag lists, row by row, sorted and without duplicates.

    Works on the distinct combinations (a handful even for millions of rows), not row by row.
    """
    frame = pd.concat([s.fillna("").astype(str) for s in flag_series], axis=1)
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(frame)) if frame.shape[1] > 1 else \
        pd.factorize(frame.iloc[:, 0])
    merged = np.array([",".join(sorted({t for part in (u if isinstance(u, tuple) else (u,)) for t in
                                        str(part).split(",") if t})) for u in uniques], dtype=object)
    return pd.Series(merged[codes] if len(codes) else [], index=frame.index, dtype="str")

# ------------------------------------------------------------------ private microdata (issue 13)
# Household survey respondents and a corporation's tenant contracts: the user's own, never exported,
# never shown below the suppression threshold (store/microdata.py holds the tables and their access).
#: canonical categories of the survey roles (a reader's mapping turns the file's labels into these)
SURVEY_CATEGORIES = {
    "tenure": ("corporation", "private", "owner"),
    "rent": ("below", "above"),
    "income_group": ("lowest", "low", "middle_high"),
    "previous_tenure": ("corporation", "private", "owner", "none"),
    "education": ("low", "middle", "high"),
    "health": ("good", "less_than_good"),
    "household_type": ("single", "couple", "couple_children", "single_parent", "other"),
}
#: the yes/no roles of a survey
SURVEY_FLAGS = ("moved_in", "benefits", "nuisance", "fear", "weak_area")
SURVEY_COLUMNS = ["dataset", "src_row", "year", "weight", "stratum", "psu", "area_code",
                  *SURVEY_CATEGORIES, *SURVEY_FLAGS]
TENANT_CONTRACT_COLUMNS = ["dataset", "contract_id", "dwelling_id", "household_id", "area_code", "start_date",
                           "end_date", "flags", "src_row"]
TENANT_INCOME_COLUMNS = ["dataset", "contract_id", "year", "income_group"]
#: aggregated flows (when no panel exists): per area, period and income group
TENANT_FLOW_COLUMNS = ["dataset", "area_code", "year_from", "year_to", "income_group", "n_start", "n_out", "n_in",
                       "stay_start", "stay_end", "n_ended"]
#: the tables no output may read row by row
PRIVATE_TABLES = ("survey_respondents", "tenant_contracts", "tenant_incomes", "tenant_flows")
INCOME_GROUPS = SURVEY_CATEGORIES["income_group"]
__all__ += ["SURVEY_CATEGORIES", "SURVEY_FLAGS", "SURVEY_COLUMNS", "TENANT_CONTRACT_COLUMNS", "TENANT_INCOME_COLUMNS",
            "TENANT_FLOW_COLUMNS", "PRIVATE_TABLES", "INCOME_GROUPS"]
