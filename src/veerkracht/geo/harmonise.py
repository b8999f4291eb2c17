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

Speed: most targets are one whole unchanged source. Their facts are copied with a new code: an
integer remap of the code dictionary (no join, no group-by, no per-row string). Only the facts of
changed areas are joined to their crosswalk pieces and aggregated, in DuckDB over Arrow tables.
String columns stay dictionary-encoded (categoricals) from input to output.
"""
from __future__ import annotations

import duckdb
import pandas as pd
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..store.schema import FACT_COLUMNS, encode_strings, normalise_facts

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
           min(weight) AS min_weight,
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
                  "CASE WHEN pooled_part THEN 'incomplete' END, "
                  "CASE WHEN kind = 'count' AND n_val = n AND min_weight < 1 - " + str(_COVERAGE_TOL)
                  + " THEN 'split_estimate' END, "
                  "CASE WHEN coverage < 1 - " + str(_COVERAGE_TOL) + " THEN 'partial_coverage' END)")} AS flags,
       from_version AS origin_version, coverage
FROM calc
"""


def _plan(cw: pd.DataFrame, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """For the source ``codes``: the target of a plain rename (or none), and the pieces of the rest.

    A rename is a source with one crosswalk row of weight 1 into a target that no other source
    feeds; its facts are copied with the new code. Returns ``(rename, targets, is_piece, pieces)``:
    ``targets[rename[i]]`` is the new code of source ``codes[i]`` (``rename[i] = -1``: none).
    """
    cw = cw[cw["weight"] > 0].copy()
    cw["amt"] = cw["amount"].fillna(cw["weight"])
    n_src = cw.groupby("from_code")["to_code"].transform("size")
    n_tgt = cw.groupby("to_code")["from_code"].transform("size")
    cw["tgt_total"] = cw.groupby("to_code")["amt"].transform("sum")
    simple = (n_src == 1) & (n_tgt == 1) & (cw["weight"] == 1)
    rename = pd.Series(cw.loc[simple, "to_code"].to_numpy(), index=cw.loc[simple, "from_code"].to_numpy())
    remap, targets = pd.factorize(rename.reindex(codes))
    pieces = cw[~simple]
    is_piece = pd.Index(codes).isin(pieces["from_code"].unique())
    return remap, np.asarray(targets, dtype=object), is_piece, \
        pieces[["from_code", "to_code", "weight", "amt", "tgt_total"]]


def _arrow_encode(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    d = pc.dictionary_encode(column).combine_chunks()
    return d.indices.to_numpy(zero_copy_only=False), np.asarray(d.dictionary.to_pylist(), dtype=object)


def _dict_array(idx: np.ndarray, labels) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(idx, type=pa.int32()), pa.array(list(labels), pa.string()))


def _small_int(n: int):
    return np.int8 if n < 128 else np.int16 if n < 32768 else np.int32


def _concat(parts: list[tuple[np.ndarray | None, dict]]) -> pd.DataFrame:
    """One facts frame from ``(rows, columns)`` parts, written once into preallocated columns.

    ``rows`` is a boolean mask over the input (its columns are full input columns, selected
    here) or None (columns already hold the part's rows). A column is a number array, an
    ``(index, labels)`` pair (labels may hold None where the index never points), a string or a
    float constant. String columns become categoricals over the union of the labels: integer work only.
    """
    sizes = [int(rows.sum()) if rows is not None else len(cols["year"]) for rows, cols in parts]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    # row numbers rather than masks: a take is several times faster than a masked copy
    takes = [None if rows is None else np.flatnonzero(rows) for rows, _ in parts]
    data = {}
    for col, first in parts[0][1].items():
        if isinstance(first, float):
            first = np.float64(first)
        if isinstance(first, (tuple, str)):
            label_sets = [[c] if isinstance(c, str) else c[1] for c in (p[1][col] for p in parts)]
            cats = pd.Index(pd.unique(np.concatenate([np.asarray(x, dtype=object) for x in label_sets])))
            cats = pd.Index(cats[pd.notna(cats)], dtype="str")
            dtype = _small_int(len(cats))
        else:
            dtype = first.dtype
        out = np.empty(starts[-1], dtype=dtype)
        for (_, cols), rows, lo, hi in zip(parts, takes, starts[:-1], starts[1:]):
            value = cols[col]
            if isinstance(value, str):
                out[lo:hi] = cats.get_loc(value)
            elif isinstance(value, tuple):
                lookup = cats.get_indexer(pd.Index(np.asarray(value[1], dtype=object))).astype(dtype)
                np.take(lookup, value[0] if rows is None else value[0][rows], out=out[lo:hi])
            elif rows is None or isinstance(value, float):
                out[lo:hi] = value
            else:
                np.take(value, rows, out=out[lo:hi])
        data[col] = (pd.Categorical.from_codes(out, dtype=pd.CategoricalDtype(cats))
                     if isinstance(first, (tuple, str)) else out)
    return pd.DataFrame(data, copy=False)


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
    covered by source facts; 1 for passed-through rows); its string columns are categoricals.
    ``attrs['warnings']`` lists skipped indicators; ``attrs['unmapped']`` maps each from_version
    to its source codes that are not in the crosswalk.
    """
    scales = scales or {}
    facts = normalise_facts(facts)           # no copy when the dtypes are right already
    enc = {c: encode_strings(facts[c]) for c in ("geo_version", "indicator", "code", "flags", "source",
                                           "origin_version")}
    gv_idx, gv = enc["geo_version"]
    ind_idx, ind = enc["indicator"]
    code_idx, codes = enc["code"]
    numbers = {c: facts[c].to_numpy() for c in ("year", "numerator", "denominator", "value")}
    kind = pd.Series(ind, dtype=object).map(kinds)
    kind_ok = kind.isin(["rate", "count", "score"]).to_numpy()
    scale = np.array([float(scales.get(i, 1.0)) for i in ind])
    here_v = np.flatnonzero(gv == to_version)
    here = gv_idx == (here_v[0] if len(here_v) else -2)
    warnings: list[str] = []
    used = np.zeros(len(ind), dtype=bool)
    used[np.unique(ind_idx[~here])] = True
    for label, mask in (("class indicators are not harmonised", (kind == "class").to_numpy()),
                        ("indicators without a known kind are not harmonised", kind.isna().to_numpy())):
        if (mask & used).any():
            warnings.append(f"{label}: {', '.join(sorted(ind[mask & used]))}")

    strings = ("geo_version", "code", "indicator", "source", "flags", "origin_version")

    def part(rows, **override):
        """The input ``rows`` (a mask), some columns replaced; selected only when concatenating."""
        cols = {c: enc[c] if c in enc else numbers[c] for c in FACT_COLUMNS}
        cols.update(override, coverage=1.0)
        return rows, cols

    parts = [part(here)]
    flag_labels = [_merge_tokens(f, "harmonised") for f in enc["flags"][1]]
    unmapped: dict[str, list[str]] = {}
    cw_all = crosswalk[crosswalk["to_version"] == to_version]
    for vi, v in enumerate(gv):
        if v == to_version:
            continue
        rows = (gv_idx == vi) & kind_ok[ind_idx]
        present = np.flatnonzero(np.bincount(code_idx[rows], minlength=len(codes)))
        remap, targets, is_piece, pieces = _plan(cw_all[cw_all["from_version"] == v], codes)
        mapped = (remap >= 0) | is_piece
        unmapped[v] = sorted(codes[present[~mapped[present]]])

        # unchanged areas: the code dictionary is relabelled, every row copied once (no strings)
        ren = rows & (remap >= 0)[code_idx]
        new_code = np.where(remap >= 0, targets[np.maximum(remap, 0)] if len(targets) else None, None)
        parts.append(part(ren, geo_version=to_version, code=(code_idx, new_code),
                          flags=(enc["flags"][0], flag_labels), origin_version=v))

        pie = rows & is_piece[code_idx]
        if pie.any():
            sub = pa.table({
                **{c: _dict_array(enc[c][0][pie], enc[c][1]) for c in strings[:-1]},
                # NaN → NULL, as the SQL counts missing numerators and values
                **{c: pa.array(numbers[c][pie], from_pandas=True)
                   for c in ("year", "numerator", "denominator", "value")},
                "kind": _dict_array(ind_idx[pie], kind.fillna("").to_numpy()),
                "scale": scale[ind_idx[pie]],
            })
            con = duckdb.connect()
            try:
                con.register("facts_in", sub)
                con.register("cw_in", pieces.rename(columns={"from_code": "code"}))
                con.execute("CREATE TEMP VIEW pieces AS SELECT * FROM facts_in JOIN cw_in USING (code)")
                agg = con.execute(_PIECES_SQL, {"to": to_version}).to_arrow_table()
            finally:
                con.close()
            parts.append((None, {c: _arrow_encode(agg[c]) if c in strings else
                                 agg[c].to_numpy().astype(numbers[c].dtype if c in numbers else float)
                                 for c in FACT_COLUMNS + ["coverage"]}))
    result = _concat(parts)
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
        from_codes = set(cw["from_code"])
        done = None
        # one year and indicator at a time: they are harmonised independently, and memory then holds
        # one year's facts of one indicator
        for year, ind in _chunks_of(store, v, indicators):
            facts = store.facts(indicator=ind, geo_version=v, years=[year])
            facts = facts[facts["origin_version"] == facts["geo_version"]]   # native facts only
            if facts.empty or not facts["code"].isin(from_codes).any():
                continue   # a path that reaches none of these areas (gemeenten vs one city's buurten)
            if progress:
                progress(f"{v} → {to_version} ({i}/{len(versions)}) {year}: {len(facts):,} facts")
            out = harmonise(facts, cw, kinds, to_version, scales)
            store.write_facts(out.drop(columns="coverage"))
            done = done or {"facts_in": 0, "facts_out": 0, "unmapped": [], "path": path, "warnings": []}
            done["facts_in"] += int(len(facts))
            done["facts_out"] += int(len(out))
            done["unmapped"] = sorted(set(done["unmapped"]) | set(out.attrs["unmapped"].get(v, [])))
            done["warnings"] += [w for w in out.attrs["warnings"] if w not in done["warnings"]]
            del facts, out
        if done is None:
            continue
        if hasattr(store, "write_support"):    # which source areas each target rests on (METHOD: support)
            from .support import support_frame
            store.write_support(support_frame(cw, v))
        summary[v] = done
    return summary


def _chunks_of(store, version: str, indicators) -> list[tuple[int, list[str] | None]]:
    """``(year, [indicator])`` with facts in ``version`` (every year with all ``indicators`` for a store
    without SQL)."""
    if hasattr(store, "sql"):
        got = store.sql("SELECT DISTINCT year, indicator FROM fact_values JOIN fact_series USING (series_id) "
                        "WHERE geo_version = ? ORDER BY year, indicator", [version])
        return [(int(y), [str(i)]) for y, i in zip(got["year"], got["indicator"])
                if indicators is None or i in indicators]
    return [(int(y), indicators) for y in sorted(store.facts(geo_version=version)["year"].unique())]
