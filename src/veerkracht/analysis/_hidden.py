"""Secondary suppression of analysis results, in the result contract (decision record 0006).

Analyses flag ``suppressed`` with the primary rule on their own inputs. The cells secondary
suppression hides (:func:`~veerkracht.indicators.reliability.hidden_of_store`, decided once per
geography version on all its facts) are ORed in here, for every area row whose inputs — the
indicators and years of ``Result.inputs`` — include a hidden cell (:func:`complete`, run on every
result of a registered analysis by :meth:`Analysis.__call__`). Every output then hides the row as
it hid a primary one: the map's layers and the report's tables leave suppressed rows out, and
what ``veerkracht analyse`` prints (``Result.rendered_table``, ``Result.to_json``) passes
:func:`blanked`: a suppressed row keeps its code and names, its class (the map hides the area; a
class is a range, never a value), ranks (``rank_*``) and counts of areas (``n_*``), and loses every
value and its rule text. The table itself keeps the computed values (the analyst's own use).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..indicators.reliability import hidden_of_store

__all__ = ["complete", "blanked", "input_cells", "KEEP_PREFIXES"]

#: numeric columns that say nothing about a value (ranks, counts of areas): kept in suppressed rows
KEEP_PREFIXES = ("rank_", "n_")


def input_cells(inputs: dict) -> pd.DataFrame:
    """``indicator, year`` of every input of a result (all roles)."""
    pairs = {(str(i), int(y)) for role in inputs.values() if isinstance(role, dict) and "indicators" in role
             for i in role["indicators"] for y in role.get("years", []) or []}
    return pd.DataFrame(sorted(pairs), columns=["indicator", "year"])


def _hidden_codes(store, result) -> set:
    version = (result.inputs or {}).get("geo_version") or (result.params or {}).get("geo_version")
    used = input_cells(result.inputs or {})
    if not version or used.empty:
        return set()
    hidden = hidden_of_store(store, version)
    if hidden.empty:
        return set()
    hit = hidden.astype({"year": "int64"}).merge(used, on=["indicator", "year"], how="inner")
    return set(hit["code"].astype(str))


def complete(store, result):
    """``result`` with secondary suppression ORed into ``table['suppressed']``. Tables without
    ``code`` and ``suppressed`` (groups, bins, coefficients) are left as they are: they show no
    area's cell."""
    t = result.table
    if not isinstance(t, pd.DataFrame) or t.empty or not {"code", "suppressed"} <= set(t.columns):
        return result
    hidden = _hidden_codes(store, result)
    if hidden:
        t = t.copy()
        t["suppressed"] = t["suppressed"].fillna(False).astype(bool) | t["code"].astype(str).isin(hidden)
        result.table = t
    return result


def blanked(table: pd.DataFrame, rule_column: str | None = None) -> pd.DataFrame:
    """A copy of ``table`` in which every suppressed row shows no value: numeric columns blank
    (except ranks and counts of areas, :data:`KEEP_PREFIXES`), its rule text (``rule_column``) too."""
    if "suppressed" not in table.columns or table.empty:
        return table
    sup = table["suppressed"].fillna(False).astype(bool).to_numpy()
    if not sup.any():
        return table
    t = table.copy()
    for col in t.columns:
        if col == "suppressed" or str(col).startswith(KEEP_PREFIXES) or pd.api.types.is_bool_dtype(t[col]):
            continue
        if pd.api.types.is_numeric_dtype(t[col]):
            t[col] = t[col].astype(float)
            t.loc[sup, col] = np.nan
    if rule_column and rule_column in t.columns:
        t[rule_column] = t[rule_column].astype(object)
        t.loc[sup, rule_column] = None
    return t
