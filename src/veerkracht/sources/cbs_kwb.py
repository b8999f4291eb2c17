"""Readers of the published CBS Kerncijfers wijken en buurten (KWB) files.

``cbs-kwb`` reads one KWB table as published: the xlsx/csv files with the CBS *short names*
(``gwb_code_10``/``gwb_code``, ``regio``, ``recs``, ``a_inw``, ``p_wcorpw`` …) or the PDOK
wijken-en-buurten attribute schema (``buurtcode``, ``aantal_inwoners``,
``perc_huurwoningen_in_bezit_woningcorporaties`` …, as GeoJSON or as a table).
``cbs-kwb-long`` reads a long file ``code, indicator, kwb_editie, waarde`` (the Baarn series).

Both map the variables to indicator ids through the one table in ``_kwb_mapping`` (shared with the
OData reader). Areas come without geometry (the geometry readers load that).

Examples
--------
>>> from veerkracht.sources import read
>>> batch = read("cbs-kwb", "kwb_2023_gemeente_utrecht.csv")          # doctest: +SKIP
>>> batch.facts.query("code == 'GM0344' and indicator == 'corp_share'")  # doctest: +SKIP
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..store._stream import StreamFallback
from ..store.base import Batch, Provenance
from ._kwb_mapping import (_WOZ_EURO_MEDIAN, _WOZ_PLAUSIBLE, BY_SHORT, PDOK_TO_SHORT, areas_and_facts,
                           canonical_text, known_code_set)
from ._input import has_blank_lines, read_csv_arrow, sniff_binary, to_utf8
from . import _kwb_fast
from ._kwb_fast import decimal_evidence, fast_piece
from ._kwb_chunks import concat_areas, concat_pieces, csv_pieces, finish_facts
from ._numbers import detect_decimal
from .base import checksum, decode_text, parse_cbs_number, read_bytes, read_table, reader

__all__ = ["read_kwb", "read_kwb_long", "ingest_kwb", "LONG_INDICATORS"]

_CODE_COLUMNS = ("gwb_code_10", "gwb_code")
_PDOK_LEVELS = (("buurtcode", "buurtnaam"), ("wijkcode", "wijknaam"), ("gemeentecode", "gemeentenaam"))
_TEXT_COLUMNS = {"gwb_code_10", "gwb_code_8", "gwb_code", "regio", "gm_naam", "recs", "ind_wbi", "buurtcode",
                 "buurtnaam", "wijkcode", "wijknaam", "gemeentecode", "gemeentenaam", "year", "jaar"}
_YEAR_IN_NAME = re.compile(r"(?<!\d)(19[89]\d|20\d\d)(?!\d)")


def _pdok_frame(data: bytes, path: Path) -> pd.DataFrame:
    """The properties of a PDOK GeoJSON as a frame of text (row = feature number)."""
    try:
        doc = json.loads(decode_text(data, path))
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON: {exc.msg}", row=exc.lineno) from None
    feats = doc.get("features") if isinstance(doc, dict) else None
    if not feats:
        raise InputError(path, "no GeoJSON features found")
    df = pd.DataFrame([f.get("properties") or {} for f in feats])
    return df.apply(canonical_text)


def _years(raw: pd.DataFrame, path: Path, year, first_row: int) -> pd.Series:
    """Year per row: the ``year``/``jaar`` column, else option ``year``, else a year in the file name."""
    col = next((c for c in ("year", "jaar") if c in raw), None)
    if col is not None:
        vals, flags = parse_cbs_number(raw[col], path, col, first_row)
        bad = vals.isna() | (vals % 1 != 0) | ~vals.between(1900, 2100)
        if bad.any():
            i = int(bad.to_numpy().argmax())
            raise InputError(path, f"expected a year, found {raw[col].iloc[i]!r}", row=first_row + i, column=col)
        return vals.astype(int)
    return pd.Series(_fixed_year(path, year), index=raw.index)


def _fixed_year(path: Path, year) -> int:
    """The year of a file without a year column: option ``year``, else the one year in its name."""
    if year is None:
        found = set(_YEAR_IN_NAME.findall(path.name))
        if len(found) != 1:
            raise InputError(path, "cannot tell the KWB year: the file has no year/jaar column and its name "
                                   f"has {'no' if not found else 'more than one'} year; pass year=")
        year = found.pop()
    return int(year)


def _wide(raw: pd.DataFrame, path: Path, first_row: int) -> tuple[pd.DataFrame, dict]:
    """Rename a KWB or PDOK table to ``code, name, recs`` + short names; ``labels`` maps back."""
    code_col = next((c for c in _CODE_COLUMNS if c in raw), None)
    if code_col is not None:
        wide = pd.DataFrame({"code": raw[code_col]}, index=raw.index)
        if "regio" in raw:
            wide["name"] = raw["regio"]
        elif "gm_naam" in raw:
            # gemeente tables carry only the gemeente name; it names the gemeente rows alone
            is_gm = raw[code_col].astype(str).str.strip().str.upper().str.startswith("GM")
            wide["name"] = raw["gm_naam"].where(is_gm)
        if "recs" in raw:
            wide["recs"] = raw["recs"]
        labels = {"code": code_col}
        for short in BY_SHORT:
            if short in raw:
                wide[short] = raw[short]
    else:
        pdok = next(((c, n) for c, n in _PDOK_LEVELS if c in raw), None)
        if pdok is None:
            raise InputError(path, "no area code column: expected gwb_code_10 or gwb_code (KWB short names) "
                                   "or buurtcode/wijkcode/gemeentecode (PDOK)", row=1, column="gwb_code")
        wide = pd.DataFrame({"code": raw[pdok[0]]}, index=raw.index)
        if pdok[1] in raw:
            wide["name"] = raw[pdok[1]]
        labels = {"code": pdok[0]}
        for long, short in PDOK_TO_SHORT.items():
            if long in raw and short not in wide:
                wide[short] = raw[long]
                labels[short] = long
    missing = wide["code"].isna() | wide["code"].astype(str).str.strip().eq("")
    if missing.any():
        i = int(missing.to_numpy().argmax())
        raise InputError(path, "empty area code", row=first_row + i, column=labels["code"])
    wide["code"] = wide["code"].astype(str).str.strip().str.upper()
    return wide, labels


def _frames(path: Path, data: bytes, sheet, delimiter, encoding, allow_unterminated):
    """``(raw, file row of its first row, how to get a frame)``: a CSV in pieces, anything else whole.

    ``raw`` is a frame of text, or — for a CSV piece the fast path may take — an Arrow table with a
    function that parses the piece into the frame the general path needs.
    """
    if any(s.lower() in (".geojson", ".json") for s in path.suffixes):
        yield _pdok_frame(data, path), 1, None     # rows are feature numbers
        return
    if any(s.lower() in (".xlsx", ".xlsm", ".xls", ".parquet") for s in path.suffixes):
        yield (raw := read_table(path, sheet=sheet, data=data)), raw.attrs["first_row"], None
        return
    sniff_binary(data, path)
    text = to_utf8(data, path, encoding)
    del data
    for piece, before, last in csv_pieces(text):
        unterminated = allow_unterminated or not last
        if _kwb_fast.FAST and not has_blank_lines(piece) and (unterminated or piece[-1:] in (b"\n", b"\r")):
            table, _ = read_csv_arrow(piece, path, delimiter=delimiter)
            table = table.rename_columns([str(c).strip().lstrip("\ufeff") for c in table.column_names])
            if table.num_rows:
                yield table, 2 + before, lambda p=piece, u=unterminated: read_table(
                    path, data=p, delimiter=delimiter, allow_unterminated=u)
                continue
        raw = read_table(path, data=piece, delimiter=delimiter, allow_unterminated=unterminated)
        yield raw, raw.attrs["first_row"] + before, None


def _unused_warning(columns, wide_columns, labels: dict, warnings: list[str]) -> None:
    used = set(labels.values()) | set(BY_SHORT) | {"regio", "gm_naam", "recs", "year", "jaar", "gwb_code_8",
                                                  "gwb_code", "gwb_code_10", "ind_wbi"}
    unused = [c for c in columns if c not in used and c not in wide_columns]
    if unused:
        warnings.append(f"{len(unused)} column(s) are not registry indicators and were not loaded: "
                        f"{', '.join(map(str, unused[:12]))}{' …' if len(unused) > 12 else ''} "
                        "(load them with `ingest indicator-file` and a mapping)")


def _codes_option(known_codes) -> str | None:
    """A short, stable description of ``known_codes`` for the provenance options."""
    if known_codes is None:
        return None
    codes = sorted(known_code_set(known_codes))
    return f"{len(codes)} codes sha256:{hashlib.sha256(','.join(codes).encode()).hexdigest()[:12]}"


def _decimal_of(values: pd.Series, path, first_row: int) -> str | None:
    return detect_decimal({"waarde": values}, path, first_row)


def _vintage(years: pd.Series) -> str:
    lo, hi = int(years.min()), int(years.max())
    return f"KWB {lo}" if lo == hi else f"KWB {lo}–{hi}"


def _fast(table, path: Path, first_row: int, year, geo_version, known_codes, source, decimal, pct_form):
    """``(areas and facts or None, decimal)`` of a CSV piece through :func:`._kwb_fast.fast_piece`.

    Anything the fast path would have to explain — including an error — is left to the general path
    (None), which reports it in its own order (code column, year, separator, values).
    """
    if known_codes is not None:
        return None, decimal
    try:
        if decimal is None:
            decimal = detect_decimal({c: decimal_evidence(table.column(c) if c in BY_SHORT else table.column(c)[:100_000])
                                      for c in table.column_names if c not in _TEXT_COLUMNS}, path, first_row)
        fixed = None if any(c in table.column_names for c in ("year", "jaar")) else _fixed_year(path, year)
    except InputError:
        return None, None
    return fast_piece(table, first_row=first_row, source=source, geo_version=geo_version, decimal=decimal,
                      pct_form=pct_form, year=fixed), decimal


@reader("cbs-kwb", help="CBS Kerncijfers wijken en buurten: xlsx/csv (short names) or PDOK schema")
def read_kwb(location, year: int | None = None, geo_version: str | None = None, known_codes=None,
             source: str = "cbs-kwb", sheet: str | int | None = None, decimal: str | None = None,
             pct_form: str = "auto", delimiter: str | None = None, encoding: str | None = None,
             allow_unterminated: bool = False) -> Batch:
    """Read a published KWB file into areas (no geometry) and facts.

    Parameters
    ----------
    location : path of a csv (any of , ; tab |, UTF-8 or cp1252), xlsx, xls (the 2013–2019 editions),
        parquet or PDOK GeoJSON.
    year : the KWB year when the file has no ``year``/``jaar`` column (else a year in the file name
        is used). With a year column, ``year`` keeps only that year's rows.
    geo_version : geography version of the codes; default ``cbs{year}`` per row.
    known_codes : optional set of the codes of the geography version; any other gemeente, wijk or buurt
        code is an :class:`InputError` "code not in geography version".
    source : the facts' ``source``; the OData reader uses the same default, so the same KWB year
        loaded from a file or from the API replaces rather than duplicates.
    sheet : the sheet of an xlsx or xls (name or 0-based number); default the first.
    decimal : ``','`` or ``'.'``, the decimal separator; default detected from the file (an ambiguous
        file — ``2.220`` and nothing else — is an error that asks for this option).
    pct_form : ``auto`` (default: a percentage column whose every value is in [0, 1] is an error),
        ``percent`` (values are percentages) or ``fraction`` (0.31 means 31 %).
    delimiter, encoding : of a CSV; default detected (, ; tab | and UTF-8/UTF-16/cp1252).
    allow_unterminated : accept a last row without a line break (else an error: a truncated file?).

    Examples
    --------
    ``veerkracht ingest cbs-kwb kwb-2023.csv --geo-version cbs2023 -o decimal=,``

    Markers (``.``, -99995, -99997, -99991, -99999999) give facts with value NaN and a
    ``cbs_marker:…`` flag, never a number; see ``_kwb_mapping`` for units and flags.
    """
    return _read_kwb(location, year, geo_version, known_codes, source, sheet, decimal, pct_form, delimiter, encoding,
                     allow_unterminated)


def _read_kwb(location, year, geo_version, known_codes, source, sheet, decimal, pct_form, delimiter, encoding,
              allow_unterminated, sink=None) -> Batch:
    """:func:`read_kwb`; with ``sink`` every piece goes to ``sink(areas, facts)`` as soon as it is read
    (the whole-file checks are then the sink's: :mod:`veerkracht.store._stream`), and a piece that
    needs the general path raises :class:`StreamFallback`."""
    path = Path(location)
    data = read_bytes(path)
    digest = checksum(data)
    warnings: list[str] = []
    area_parts, fact_parts, labels, has_year, years_seen = [], [], {}, False, []
    for raw, first_row, general in _frames(path, data, sheet, delimiter, encoding, allow_unterminated):
        if general is not None:
            got, decimal = _fast(raw, path, first_row, year, geo_version, known_codes, source, decimal, pct_form)
            if got is not None:
                has_year = has_year or any(c in raw.column_names for c in ("year", "jaar"))
                labels = {"code": next(c for c in _CODE_COLUMNS if c in raw.column_names)}
                if not fact_parts and not years_seen:
                    _unused_warning(raw.column_names, ["code", "name", "recs", *BY_SHORT], labels, warnings)
                if sink is None:
                    area_parts.append(got[0])
                    fact_parts.append(got[1])
                    continue
                if year is not None and has_year:
                    raise StreamFallback("rows of one year kept")
                years_seen += [int(got[1]["year"].min()), int(got[1]["year"].max())]
                sink(*got)
                continue
            if sink is not None:
                raise StreamFallback("a piece for the general path")
            raw = general()
        elif sink is not None:
            raise StreamFallback("not a csv")
        wide, labels = _wide(raw, path, first_row)
        wide["year"] = _years(raw, path, year, first_row).to_numpy()
        has_year = has_year or any(c in raw for c in ("year", "jaar"))
        if not fact_parts:
            _unused_warning(raw.columns, wide.columns, labels, warnings)
        if decimal is None:     # the file's separator, from every numeric column (g_hhgro's 1.9 tells too)
            decimal = detect_decimal({c: raw[c] if c in labels.values() or c in BY_SHORT else raw[c].head(100_000)
                                      for c in raw.columns if c not in _TEXT_COLUMNS}, path, first_row)
        del raw
        a, f = areas_and_facts(wide, file=path, first_row=first_row, source=source, geo_version=geo_version,
                               known_codes=known_codes, labels=labels, warnings=warnings, decimal=decimal,
                               pct_form=pct_form, deferred=True)
        area_parts.append(a)
        fact_parts.append(f)
        del wide
    data = None
    if sink is not None:
        prov = Provenance("cbs-kwb", str(location), digest, _vintage(pd.Series(years_seen)),
                          {"year": year, "geo_version": geo_version, "known_codes": _codes_option(known_codes),
                           "source": source, "sheet": sheet, "decimal": decimal, "pct_form": pct_form})
        return Batch(prov, warnings=warnings)
    areas = concat_areas(area_parts)
    facts = finish_facts(concat_pieces(fact_parts), path, labels, warnings, pct_form)
    del area_parts, fact_parts
    if year is not None and has_year:
        facts = facts[facts["year"] == int(year)].reset_index(drop=True)
        keep = set(facts["geo_version"]) if geo_version is None else {geo_version}
        areas = areas[areas["geo_version"].isin(keep)].reset_index(drop=True)
    prov = Provenance("cbs-kwb", str(location), digest, _vintage(facts["year"] if len(facts) else
                                                                  pd.Series([int(year or 0)])),
                      {"year": year, "geo_version": geo_version, "known_codes": _codes_option(known_codes),
                       "source": source, "sheet": sheet, "decimal": decimal, "pct_form": pct_form})
    return Batch(prov, areas=areas, facts=facts, warnings=warnings)


def ingest_kwb(store, location, force: bool = False, replace: bool = False, *, where: str | None = None,
               then=None, fallback: bool = True, **options) -> tuple[dict | None, Batch | None]:
    """Read a KWB file into ``store``: ``(what store.ingest returns, the batch)``.

    A csv (no ``geo_version``, ``known_codes`` or ``year`` filter) is streamed: each piece is written
    as soon as it is read (:meth:`~veerkracht.store.duckdb_store.DuckDBStore.ingest_stream`), so memory
    holds one piece (``where``: the location the provenance names, e.g. the URL of a download;
    ``then(result)``: run inside the stream's transaction; ``fallback=False``: return ``(None, None)``
    instead of reading the file the ordinary way). Anything the stream cannot settle — a piece for the general path, facts already
    stored, a whole-file check that might object — rolls it back and the file is read whole and
    ingested as usual, which reports the problem. The returned batch then has no facts (they are in the
    store); its provenance and warnings are the file's.
    """
    opts = {"year": None, "geo_version": None, "known_codes": None, "source": "cbs-kwb", "sheet": None,
            "decimal": None, "pct_form": "auto", "delimiter": None, "encoding": None, "allow_unterminated": False}
    unknown = set(options) - set(opts)
    if unknown:
        raise InputError(location, f"unknown option(s) {', '.join(sorted(unknown))}; cbs-kwb takes "
                                   f"{', '.join(opts)}")
    opts.update(options)
    if hasattr(store, "ingest_stream") and opts["geo_version"] is None and opts["known_codes"] is None:
        def read(sink):
            batch = _read_kwb(location, **opts, sink=sink)
            batch.provenance.location = where or batch.provenance.location
            return batch
        res = store.ingest_stream(read, force=force, whole_file=_whole_file(opts["pct_form"]), then=then)
        if res is not None:
            batch = res.pop("batch", None) or Batch(Provenance("cbs-kwb", str(location), ""))
            return {**res, "streamed": True}, batch
    if not fallback:
        return None, None       # the caller reads it the ordinary way
    batch = read_kwb(location, **opts)
    batch.provenance.location = where or batch.provenance.location
    return store.ingest(batch, force=force, replace=replace), batch


def _whole_file(pct_form: str) -> dict:
    """The indicators of the whole-file checks (see :mod:`veerkracht.store._stream`)."""
    kinds = {m.indicator: m.kind for m in BY_SHORT.values()}
    return {"pct": [i for i, k in kinds.items() if k == "pct"] if pct_form == "auto" else [],
            "per1000": [i for i, k in kinds.items() if k == "per1000"], "checked": list(kinds),
            "woz": BY_SHORT["g_wozbag"].indicator, "euro": _WOZ_EURO_MEDIAN, "plausible": _WOZ_PLAUSIBLE}


# --------------------------------------------------------------------------- long files (Baarn)
# indicator name → (KWB short name, units the metadata must give)
LONG_INDICATORS = {
    "aantal_inwoners": ("a_inw", ("personen", "aantal")),
    "bijstandsontvangers": ("a_soz_wb", ("personen", "aantal")),
    "huishoudens_sociaal_minimum": ("p_hh_osm", ("%",)),
}
# Not mapped on purpose, with the reason given to the user.
_LONG_NOT_MAPPED = {
    "huishoudens_laag_inkomen": "it is the share below the CBS lage-inkomensgrens (metadata: 'onder de "
                                "lage-inkomensgrens', ≈ 3–6% in Baarn), not the national lowest 40% that "
                                "low_income (p_hh_li) holds",
}
_LONG_COLUMNS = ["code", "indicator", "kwb_editie", "waarde"]


def _long_units(path: Path, metadata) -> dict[str, str]:
    """Units per indicator from the metadata json (option ``metadata``, else a ``*metadata*.json`` beside)."""
    meta_path = Path(metadata) if metadata else next(iter(sorted(path.parent.glob("*metadata*.json"))), None)
    if meta_path is None:
        return {}
    doc = json.loads(decode_text(read_bytes(meta_path), meta_path))
    return {k: str(v.get("eenheid", "")).strip().lower() for k, v in (doc.get("indicatoren") or {}).items()}


@reader("cbs-kwb-long", help="CBS KWB series in long form: code, indicator, kwb_editie, waarde")
def read_kwb_long(location, geo_version: str | None = None, metadata=None, source: str = "cbs-kwb",
                  known_codes=None, decimal: str | None = None, delimiter: str | None = None,
                  encoding: str | None = None, allow_unterminated: bool = False) -> Batch:
    """Read a long KWB series (one row per code, indicator and KWB edition).

    ``kwb_editie`` is the year (KWB income figures refer to an earlier reference year; the edition is
    what is stored, as in the other KWB readers). An indicator is mapped only when the metadata json
    gives the unit the mapping expects (``aantal_inwoners`` and ``bijstandsontvangers`` in persons,
    ``huishoudens_sociaal_minimum`` in %); everything else is skipped and listed in ``warnings``.
    ``bijstand`` per 1,000 is computed with ``aantal_inwoners`` of the same code and edition.

    Parameters
    ----------
    location : path of the long CSV.
    geo_version : geography version of the codes; default ``cbs{kwb_editie}``.
    metadata : the metadata json with the units; default a ``*metadata*.json`` next to the file.
    source, known_codes : as for ``cbs-kwb``.
    decimal, delimiter, encoding, allow_unterminated : as for ``cbs-kwb``.

    Examples
    --------
    ``veerkracht ingest cbs-kwb-long baarn_buurt_kwb_2016_2025_long.csv``
    """
    path = Path(location)
    data = read_bytes(path)
    raw = read_table(path, required=_LONG_COLUMNS, data=data, delimiter=delimiter, encoding=encoding,
                     allow_unterminated=allow_unterminated)
    first_row = raw.attrs["first_row"]
    units = _long_units(path, metadata)
    warnings: list[str] = []
    raw["code"] = raw["code"].astype(str).str.strip().str.upper()
    # parse on the long frame so that a bad value is reported on its own file row
    vals, _ = parse_cbs_number(raw["waarde"], path, "waarde", first_row, decimal=decimal)
    years, _ = parse_cbs_number(raw["kwb_editie"], path, "kwb_editie", first_row)
    raw["kwb_editie"] = years.astype("Int64")
    shorts = {}
    for name in sorted(raw["indicator"].dropna().unique()):
        target = LONG_INDICATORS.get(name)
        unit = units.get(name)
        if target is None:
            why = _LONG_NOT_MAPPED.get(name, "it is not a registry indicator")
            warnings.append(f"indicator {name!r} skipped: {why}")
        elif unit is not None and unit not in target[1]:
            warnings.append(f"indicator {name!r} has unit {unit!r}, expected {' or '.join(target[1])}; skipped")
        else:
            shorts[name] = target[0]
    for name, short in shorts.items():
        if BY_SHORT[short].kind in ("count", "per1000"):
            neg = (vals < 0) & raw["indicator"].eq(name)
            if neg.any():
                i = int(neg.to_numpy().argmax())
                raise InputError(path, f"negative count {vals.iloc[i]:g} for {name}", row=first_row + i,
                                 column="waarde")
    long = raw[raw["indicator"].isin(list(shorts))].copy()
    long["short"] = long["indicator"].map(shorts)
    dup = long.duplicated(["code", "kwb_editie", "short"])
    if dup.any():
        i = int(long.index[dup.to_numpy().argmax()])
        raise InputError(path, f"duplicate {long.loc[i, 'indicator']} for {long.loc[i, 'code']} "
                               f"in {long.loc[i, 'kwb_editie']}", row=first_row + raw.index.get_loc(i), column="code")
    wide = long.pivot(index=["code", "kwb_editie"], columns="short", values="waarde").reset_index()
    wide.columns.name = None
    names = raw.drop_duplicates("code", keep="last").set_index("code").get("naam")
    wide["name"] = wide["code"].map(names) if names is not None else None
    if "niveau" in raw:
        wide["recs"] = wide["code"].map(raw.drop_duplicates("code").set_index("code")["niveau"])
    wide = wide.rename(columns={"kwb_editie": "year"})
    wide["year"] = wide["year"].astype(int)
    # rows of the pivot are not file rows; errors are raised on the long frame above
    areas, facts = areas_and_facts(wide, file=path, first_row=first_row, source=source,
                                   geo_version=geo_version, known_codes=known_codes, warnings=warnings,
                                   decimal=decimal or _decimal_of(raw["waarde"], path, first_row))
    # a long file lists what was published: an absent (code, edition, indicator) is no fact at all
    facts = facts[facts["flags"] != "missing"].reset_index(drop=True)
    prov = Provenance("cbs-kwb-long", str(location), checksum(data), _vintage(wide["year"]),
                      {"geo_version": geo_version, "metadata": str(metadata) if metadata else None,
                       "source": source, "known_codes": _codes_option(known_codes)})
    return Batch(prov, areas=areas, facts=facts, warnings=warnings)
