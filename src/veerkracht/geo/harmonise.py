"""Harmonisation: move facts of one geography version onto another through a crosswalk.

- count: value (and numerator/denominator when present) redistributed by weight;
- rate with numerator and denominator: both redistributed, value = numerator / denominator * scale;
- rate or score without them: basis-weighted mean of the source values (weights = the pieces'
  ``amount``, i.e. their share of the target), flagged ``approx`` unless the target is exactly one
  whole source area;
- class: not harmonised (a warning).

Every harmonised row is flagged ``harmonised`` and keeps its ``source`` and the source flags;
``origin_version`` is the version it came from. A target whose crosswalk pieces are only partly
covered by source facts is flagged ``partial_coverage``; the covered share is the extra column
``coverage``.

Speed: most targets are one whole unchanged source. Their facts are copied with a new code, built
from Arrow dictionary indices (no join, no group-by, no per-row Python). Only the facts of changed
areas are joined to their crosswalk pieces and aggregated, in DuckDB over Arrow tables.
"""
from __future__ import annotations

import duckdb
import pandas as pd
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..store.schema import FACT_COLUMNS, normalise_facts

__all__ = ["harmonise", "harmonise_store", "find_path"]

_COVERAGE_TOL = 1e-6


def _flag_sql(expr: str) -> str:
    """SQL that turns a comma list with possible duplicates/empties into a sorted distinct list."""
    return (f"array_to_string(list_sort(list_distinct(list_filter(string_split({expr}, ','), "
            "x -> x <> ''))), ',')")


# Targets made of several pieces (or of part of a source): aggregate the pieces. Runs on the few
# facts of changed areas only; ``pieces`` = facts joined to their crosswalk rows.
_PIECES_SQL = f"""
WITH agg AS (
    SELECT to_code, year, indicator, source, geo_version AS from_version, any_value(kind) AS kind,
           any_value(scale) AS scale, count(*) AS n, count(numerator) AS n_num,
           count(denominator) AS n_den, count(value) AS n_val,
           sum(numerator * weight) AS num, sum(denominator * weight) AS den,
           count(*) FILTER (WHERE numerator IS NOT NULL AND denominator IS NOT NULL) AS n_pair,
           sum(numerator * weight) FILTER (WHERE numerator IS NOT NULL AND denominator IS NOT NULL) AS num_pair,
           sum(denominator * weight) FILTER (WHERE numerator IS NOT NULL AND denominator IS NOT NULL) AS den_pair,
           sum(value * weight) AS vsum, sum(value * amt) / nullif(sum(amt), 0) AS vmean,
           sum(amt) / nullif(any_value(tgt_total), 0) AS coverage,
           string_agg(DISTINCT flags, ',') FILTER (WHERE flags <> '') AS src_flags
    FROM pieces GROUP BY ALL
),
calc AS (
    SELECT *, (kind = 'rate' AND n_num = n AND n_den = n) AS exact_rate,
           -- a rate whose pieces are not all known: pooled over the known pieces, flagged incomplete
           (kind = 'rate' AND n_pair > 0 AND n_pair < n) AS pooled_part,
           (kind = 'score' OR (kind = 'rate' AND n_pair = 0 AND NOT (n_num = n AND n_den = n))) AS is_approx
    FROM agg
)
SELECT $to AS geo_version, to_code AS code, year, indicator,
       CASE WHEN n_num = n THEN num END AS numerator,
       CASE WHEN n_den = n THEN den END AS denominator,
       CASE WHEN exact_rate THEN CASE WHEN den > 0 THEN num / den * scale END
            WHEN pooled_part THEN CASE WHEN den_pair > 0 THEN num_pair / den_pair * scale END
            WHEN n_val < n THEN NULL
            WHEN is_approx THEN vmean ELSE vsum END AS value,
       source,
       {_flag_sql("concat_ws(',', src_flags, 'harmonised', CASE WHEN is_approx THEN 'approx' END, "
                  "CASE WHEN pooled_part THEN 'incomplete' END, CASE WHEN coverage < 1 - " + str(_COVERAGE_TOL) + " THEN 'partial_coverage' END)")} AS flags,
       from_version AS origin_version, coverage
FROM calc
"""


def _plan(cw: pd.DataFrame, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """For the source ``codes``: the target of a plain rename (or None), and the pieces of the rest.

    A rename is a source with one crosswalk row of weight 1 into a target that no other source
    feeds; its facts are copied with the new code. Returns ``(rename_target, is_piece, pieces)``.
    """
    cw = cw[cw["weight"] > 0].copy()
    cw["amt"] = cw["amount"].fillna(cw["weight"])
    n_src = cw.groupby("from_code")["to_code"].transform("size")
    n_tgt = cw.groupby("to_code")["from_code"].transform("size")
    cw["tgt_total"] = cw.groupby("to_code")["amt"].transform("sum")
    simple = (n_src == 1) & (n_tgt == 1) & (cw["weight"] == 1)
    rename = pd.Series(cw.loc[simple, "to_code"].to_numpy(), index=cw.loc[simple, "from_code"].to_numpy())
    target = rename.reindex(codes).to_numpy(dtype=object)
    pieces = cw[~simple]
    is_piece = pd.Index(codes).isin(pieces["from_code"].unique())
    return target, is_piece, pieces[["from_code", "to_code", "weight", "amt", "tgt_total"]]


def _encode(column) -> tuple[np.ndarray, np.ndarray]:
    """(per-row index, unique labels) of a string column, via Arrow dictionary encoding."""
    d = pc.dictionary_encode(column).combine_chunks()
    return d.indices.to_numpy(zero_copy_only=False), np.asarray(d.dictionary.to_pylist(), dtype=object)


def _relabel(idx: np.ndarray, labels) -> pa.Array:
    """A string column whose row ``i`` is ``labels[idx[i]]`` (a take from the small label list)."""
    return pc.take(pa.array(list(labels), type=pa.large_string()), pa.array(idx, type=pa.int32()))


def _merge_tokens(flags: str, *extra: str) -> str:
    return ",".join(sorted({t for t in (flags or "").split(",") + list(extra) if t}))


def harmonise(facts: pd.DataFrame, crosswalk: pd.DataFrame, kinds: dict[str, str], to_version: str,
              scales: dict[str, float] | None = None) -> pd.DataFrame:
    """Facts of any version(s) onto ``to_version`` through ``crosswalk``.

    Parameters
    ----------
    facts : facts frame (:data:`FACT_COLUMNS`); rows already on ``to_version`` pass through.
    crosswalk : crosswalk rows to ``to_version`` (may hold several from_versions).
    kinds : indicator → ``rate`` | ``count`` | ``score`` | ``class``.
    scales : indicator → scale of a rate (value = numerator / denominator * scale); default 1.

    Returns
    -------
    Facts frame on ``to_version`` plus a ``coverage`` column (share of the target's basis
    covered by source facts; 1 for passed-through rows). ``attrs['warnings']`` lists skipped
    indicators; ``attrs['unmapped']`` maps each from_version to its source codes that are not in
    the crosswalk.
    """
    scales = scales or {}
    if any(c not in facts.columns for c in FACT_COLUMNS) or facts["numerator"].dtype == object:
        facts = normalise_facts(facts)
    tbl = pa.Table.from_pandas(facts[FACT_COLUMNS], preserve_index=False)
    enc = {c: _encode(tbl[c]) for c in ("geo_version", "indicator", "code", "flags", "source")}
    gv_idx, gv = enc["geo_version"]
    ind_idx, ind = enc["indicator"]
    code_idx, codes = enc["code"]
    here = gv[gv_idx] == to_version if len(gv) else np.zeros(0, dtype=bool)
    kind = pd.Series(ind, dtype=object).map(kinds)
    kind_ok = kind.isin(["rate", "count", "score"]).to_numpy()
    scale = np.array([float(scales.get(i, 1.0)) for i in ind])
    warnings: list[str] = []
    used = np.zeros(len(ind), dtype=bool)
    used[np.unique(ind_idx[~here])] = True
    for label, mask in (("class indicators are not harmonised", (kind == "class").to_numpy()),
                        ("indicators without a known kind are not harmonised", kind.isna().to_numpy())):
        if (mask & used).any():
            warnings.append(f"{label}: {', '.join(sorted(ind[mask & used]))}")

    cols = list(FACT_COLUMNS)
    # filtering a big table copies every string; build renamed rows from the encoded columns instead
    parts = [tbl.take(np.flatnonzero(here)).append_column("coverage", pa.array(np.ones(int(here.sum()))))]
    labels = dict(enc)
    labels["flags"] = (enc["flags"][0], [_merge_tokens(f, "harmonised") for f in enc["flags"][1]])
    numbers = {c: facts[c].to_numpy() for c in ("year", "numerator", "denominator", "value")}
    unmapped: dict[str, list[str]] = {}
    cw_all = crosswalk[crosswalk["to_version"] == to_version]
    for vi, v in enumerate(gv):
        if v == to_version:
            continue
        rows = (gv_idx == vi) & kind_ok[ind_idx]
        present = np.unique(code_idx[rows])
        target, is_piece, pieces = _plan(cw_all[cw_all["from_version"] == v], codes)
        mapped = pd.notna(target) | is_piece
        unmapped[v] = sorted(codes[present[~mapped[present]]])

        ren = rows & pd.notna(target)[code_idx]
        n = int(ren.sum())
        renamed = pa.table({
            "geo_version": _relabel(np.zeros(n, dtype=np.int32), [to_version]),
            "code": _relabel(code_idx[ren], np.where(pd.notna(target), target, "")),
            "year": pa.array(numbers["year"][ren]),
            "indicator": _relabel(ind_idx[ren], ind),
            **{c: pa.array(numbers[c][ren]) for c in ("numerator", "denominator", "value")},
            **{c: _relabel(labels[c][0][ren], labels[c][1]) for c in ("source", "flags")},
            "origin_version": _relabel(np.zeros(n, dtype=np.int32), [v]),
            "coverage": pa.array(np.ones(n)),
        })
        parts.append(renamed)

        pie = rows & is_piece[code_idx]
        if pie.any():
            sub = tbl.filter(pa.array(pie)).append_column(
                "kind", _relabel(ind_idx[pie], kind.fillna("").to_numpy())).append_column(
                "scale", pa.array(scale[ind_idx[pie]]))
            con = duckdb.connect()
            try:
                con.register("facts_in", sub)
                con.register("cw_in", pieces.rename(columns={"from_code": "code"}))
                con.execute("CREATE TEMP VIEW pieces AS SELECT * FROM facts_in JOIN cw_in USING (code)")
                parts.append(con.execute(_PIECES_SQL, {"to": to_version}).to_arrow_table())
            finally:
                con.close()
    schema = parts[0].schema
    schema = pa.schema([f.with_type(pa.large_string()) if pa.types.is_string(f.type) else f for f in schema])
    out = pa.concat_tables([p.select(cols + ["coverage"]).cast(schema) for p in parts])
    # straight to the schema's dtypes (Arrow-backed strings), without normalise_facts' copies
    string = pd.StringDtype("pyarrow")
    result = out.to_pandas(types_mapper={pa.large_string(): string, pa.string(): string}.get)
    result["year"] = result["year"].astype("int32")
    result.attrs["warnings"] = warnings
    result.attrs["unmapped"] = unmapped
    return result


def find_path(store, from_version: str, to_version: str, basis: str | None = None):
    """The crosswalk ``from_version`` → ``to_version``: direct, or composed over one intermediate.

    Returns ``(crosswalk, path)`` with ``path`` the list of versions, or ``(None, None)``.
    """
    from .crosswalk import compose

    def pick(cw):
        if cw.empty:
            return cw
        b = basis or sorted(cw["basis"].unique(), key=lambda x: (x == "area", x))[0]  # prefer counts
        return cw[cw["basis"] == b]

    direct = pick(store.crosswalk(from_version=from_version, to_version=to_version))
    if not direct.empty:
        return direct, [from_version, to_version]
    first = store.crosswalk(from_version=from_version)
    for mid in sorted(set(first["to_version"]) - {to_version}):
        second = pick(store.crosswalk(from_version=mid, to_version=to_version))
        if not second.empty:
            return compose(pick(first[first["to_version"] == mid]), second), [from_version, mid, to_version]
    return None, None


def harmonise_store(store, to_version: str, basis: str | None = None, indicators: list[str] | None = None,
                    progress=None, from_versions: list[str] | None = None) -> dict:
    """Harmonise every native fact in ``store`` that has a crosswalk path onto ``to_version``.

    Writes the result with ``store.write_facts`` and returns, per from_version, ``facts_in``,
    ``facts_out``, ``unmapped`` (source codes outside the crosswalk), ``path`` and ``warnings``.
    ``progress`` is called with a short message before each version. ``from_versions`` limits
    the source versions (default: every version with a crosswalk path).
    """
    reg = store.indicators()
    kinds = dict(zip(reg["id"], reg["kind"]))
    scales = dict(zip(reg["id"], reg["scale"].astype(float)))
    versions = [v for v in store.geo_versions()["id"] if v != to_version
                and (from_versions is None or v in from_versions)]
    summary = {}
    for i, v in enumerate(versions, start=1):
        cw, path = find_path(store, v, to_version, basis)
        if cw is None:
            continue
        facts = store.facts(indicator=indicators, geo_version=v)
        facts = facts[facts["origin_version"] == facts["geo_version"]]   # native facts only
        if facts.empty:
            continue
        if progress:
            progress(f"{v} → {to_version} ({i}/{len(versions)}): {len(facts):,} facts")
        out = harmonise(facts, cw, kinds, to_version, scales)
        store.write_facts(out.drop(columns="coverage"))
        summary[v] = {"facts_in": int(len(facts)), "facts_out": int(len(out)),
                      "unmapped": out.attrs["unmapped"].get(v, []), "path": path,
                      "warnings": out.attrs["warnings"]}
    return summary
