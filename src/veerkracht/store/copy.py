"""``veerkracht store copy SRC DST``: one store into another, between DuckDB and PostGIS (either way).

Copied: the indicator registry, provenance (original times and options; new ids in DST), areas with
geometry, facts (each linked to the copy of the load that set it; harmonised facts without one),
crosswalks and the support of harmonised facts. Not copied: the history of replaced facts and the
build journal. DST must be empty. Everything is written in one transaction of DST, and before it commits
:func:`fingerprint` of both stores (row counts and sha256 checksums per table) must agree, else the
copy is an error and DST stays empty.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import shapely

from ..errors import StoreError
from .base import Provenance, Store
from .schema import AREA_COLUMNS, CROSSWALK_COLUMNS, FACT_COLUMNS, INDICATOR_COLUMNS, normalise_crosswalk, normalise_facts
from .support import SUPPORT_COLUMNS

__all__ = ["copy_store", "fingerprint"]

_PROV_COLUMNS = ["kind", "location", "checksum", "options", "vintage", "loaded_at", "n_areas", "n_facts", "n_crosswalk"]


class _StoredProvenance(Provenance):
    """A provenance row as stored: its options text is kept byte for byte."""

    def __init__(self, row: dict):
        super().__init__(str(row["kind"]), str(row["location"]), str(row["checksum"]), str(row["vintage"] or ""))
        self._options_text = row["options"]

    @property
    def options_json(self) -> str:
        return self._options_text


def _digest(df: pd.DataFrame, columns: list[str]) -> str:
    """sha256 of ``columns`` of ``df`` in row order: floats as IEEE bytes (NaN and NULL alike), integers as
    int64, booleans as -1/0/1, text as UTF-8 with NULL as empty — the same on every backend's dtypes."""
    h = hashlib.sha256()
    for c in columns:
        col = df[c] if c in df else pd.Series([None] * len(df))
        if pd.api.types.is_bool_dtype(col.dtype):
            h.update(col.astype("boolean").astype("Int8").fillna(-1).to_numpy(dtype=np.int8).tobytes())
        elif pd.api.types.is_integer_dtype(col.dtype):
            h.update(col.to_numpy(dtype=np.int64).tobytes())
        elif pd.api.types.is_float_dtype(col.dtype):
            arr = col.to_numpy(dtype=np.float64, na_value=np.nan)
            h.update(np.where(np.isnan(arr), np.nan, arr).tobytes())
        else:
            h.update("\x1f".join(col.astype(object).where(col.notna(), "").astype(str)).encode())
        h.update(b"\x1e")
    return h.hexdigest()


def _loads(store: Store) -> tuple[pd.DataFrame, list]:
    prov = store.provenance().sort_values("id").reset_index(drop=True)
    return prov, [int(i) for i in prov["id"]] + [None]


def fingerprint(store: Store) -> dict[str, tuple[int, str]]:
    """``{table: (rows, sha256)}`` of what :func:`copy_store` copies, independent of the backend and of ids."""
    prov, loads = _loads(store)
    facts = pd.concat([store.facts_of_load(pid).assign(load=n) for n, pid in enumerate(loads)],  # type: ignore[attr-defined]
                      ignore_index=True)
    facts = facts.sort_values(["load"] + FACT_COLUMNS[:4] + ["source", "origin_version"], kind="stable")
    areas = store.areas()
    areas["wkb"] = shapely.to_wkb(areas.geometry.values, hex=True, output_dimension=2)
    cw = store.crosswalk().sort_values(CROSSWALK_COLUMNS, kind="stable")
    reg = store.indicators().sort_values("id", kind="stable")
    sup = store.support().sort_values(SUPPORT_COLUMNS, kind="stable")  # type: ignore[attr-defined]
    return {"provenance": (len(prov), _digest(prov, _PROV_COLUMNS)),
            "facts": (len(facts), _digest(facts, ["load"] + FACT_COLUMNS)),
            "areas": (len(areas), _digest(areas, AREA_COLUMNS + ["wkb"])),
            "crosswalks": (len(cw), _digest(cw, CROSSWALK_COLUMNS)),
            "indicators": (len(reg), _digest(reg, INDICATOR_COLUMNS)),
            "support": (len(sup), _digest(sup, SUPPORT_COLUMNS))}


def copy_store(src: Store, dst: Store) -> dict[str, tuple[int, str]]:
    """Copy ``src`` into the empty ``dst`` in one transaction; returns the fingerprint both now share.

    Raises :class:`StoreError` when ``dst`` holds data already or when the fingerprints differ afterwards.
    """
    if len(dst.geo_versions()) or len(dst.provenance()):
        raise StoreError("the destination store is not empty: `store copy` writes only into a new store")
    prov, loads = _loads(src)
    with dst.transaction():
        dst._upsert_indicators(src.indicators())
        new_ids: dict = {None: None}
        for row in prov.to_dict("records"):
            counts = {"areas": int(row["n_areas"]), "facts": int(row["n_facts"]), "crosswalk": int(row["n_crosswalk"])}
            new_ids[int(row["id"])] = dst._insert_provenance(_StoredProvenance(row), counts, loaded_at=row["loaded_at"])
        areas = src.areas()
        if len(areas):
            dst._upsert_areas(areas)
        for pid in loads:
            facts = src.facts_of_load(pid)  # type: ignore[attr-defined]
            if len(facts):
                dst._stage_facts(normalise_facts(facts))
                dst._write_staged_facts(new_ids[pid])
        cw = src.crosswalk()
        if len(cw):
            dst._upsert_crosswalk(normalise_crosswalk(cw))
        sup = src.support()  # type: ignore[attr-defined]
        if len(sup):
            dst.write_support(sup)  # type: ignore[attr-defined]
        want, got = fingerprint(src), fingerprint(dst)     # checked before the commit: a bad copy leaves nothing
        if want != got:
            differ = ", ".join(f"{t} ({want[t][0]} vs {got[t][0]} rows)" for t in want if want[t] != got[t])
            raise StoreError(f"the copy differs from the source in: {differ}")
    return got

