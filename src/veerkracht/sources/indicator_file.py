"""A generic indicator file (CSV/xlsx/Parquet, long or wide) read through a small TOML mapping.

The mapping says which column holds the area code and the year, which geography version and
level the codes belong to, and how columns become registry indicators::

    geo_version = "ois2005"          # required
    level = "buurt"                  # required; "auto" = from the code prefix (GM/WK/BU/PC)
    source = "ois-woningvoorraad"    # required: goes into every fact
    vintage = "OIS jaarboek, peildatum 1 januari"
    file = "amsterdam_buurt_woningvoorraad_eigendom_2005_2009_2013_2017.csv"   # documentation
    code = "buurt_code_ois"          # required: column with the area code
    name = "buurt_naam"              # optional
    year = "jaar"                    # a column, or year_value = 2017
    code_prefix = ""                 # optional, e.g. "PC"
    code_regex = '^[A-Z](?P<nr>\\d{2})$'   # optional, with code_template = "WK0363{nr}"
    skip_empty_code = false          # true: rows without a code are dropped (and reported)
    sheet = "Blad1"                  # optional: the sheet of an xlsx (name or 0-based number)
    decimal = ","                    # optional: the decimal separator; default detected from the file
    delimiter = ";"                  # optional: the CSV delimiter (, ; tab |); default detected
    encoding = "cp1252"              # optional: the text encoding; default UTF-8/UTF-16/cp1252 detected
    areas = false                    # true: also return the areas (code, level, name; no geometry)
    [code_lookup]                    # optional: translate codes through a table
    file = "other.csv"               # next to the mapping file or to the data file
    from = "code_2010"
    to = "code_2005"
    [filter]                         # optional: keep rows where column == value (or in list)
    jaar = ["2005", "2009"]
    [exclude]                        # optional: drop rows where column == value (or in list)
    wijk_code_ois = "X99"
    [[indicator]]
    id = "corp_share"                # a registry id
    numerator = "huur_corporatie"
    denominator = "woningen_totaal"
    [[indicator]]
    id = "dwellings"
    value_pattern = "woningen_{year}"        # one column per year: woningen_2014, woningen_2015 …
    [[indicator]]
    id = "owner_occupied"
    numerator_pattern = "koop_{year}"        # numerator and denominator per year
    denominator_pattern = "woningen_{year}"
    [[indicator]]
    id = "low_income"                # a share and its population: numerator = share × population
    value = "pct_laag_inkomen"       # the share (in the registry unit, %; scale_from = 1 for fractions)
    denominator = "huishoudens"      # the population it is a share of
    [[indicator]]
    id = "nuisance"
    value_pattern = "nuisance_{year}"   # or value = "column"; scale_from = 100 for % input
    flags = ["some_note"]            # optional tokens added to every fact of this indicator

    [[missing]]                      # codes that mean "no value", per column and optional year range
    column = "wwb_levensonderhoud"   # a column, a list of columns, or "*" for every value column
    values = ["0", "-1"]             # compared as text and as numbers ("0" also matches "0.0")
    years = [2005, 2009]             # optional, inclusive: only in these years
    [[define]]                       # an indicator the core registry lacks
    id = "my_rate"
    label_nl = "Mijn aandeel"
    label_en = "My share"            # optional from here on
    unit = "%"
    kind = "rate"                    # rate, count, score or class
    scale = 100                      # value = numerator / denominator * scale
    higher_is_worse = true
    description_nl = "…"
    description_en = "…"
    source = "eigen registratie"
    restricted = false               # true: personal data, shown only aggregated

Long files (one row per area, year and indicator)::

    format = "long"                  # default "wide"
    indicator_column = "variabele"
    value_column = "waarde"
    [indicator_map]                  # raw name → id, or → {id = "...", scale_from = 100}
    woningen = "dwellings"
    aandeel_corporatie = {id = "corp_share", scale_from = 100}

Values: ``value = numerator / denominator * scale`` (registry scale); a value-only column is
converted with ``value * scale / scale_from`` (``scale_from`` defaults to the registry scale).
Empty cells become facts with NaN value and flag ``missing``; CBS markers keep their flag.
Checked by meaning: counts whole and ≥ 0, a numerator no larger than its denominator, a percentage
column that holds fractions (every value in [0, 1]) is an error unless ``scale_from`` says which, no
unit jump (×100, ×1000) between years, a code column that holds names is an error.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..store.base import Batch, Provenance
from ._codes import infer_level
from ._mapping import Mapping, load_mapping
from ._numbers import check_count, check_fraction, check_part_of_whole, check_unit_jumps, detect_decimal
from ._tabular import area_frame, check_duplicates_at, join_flags, parse_numbers, parse_years
from .base import check_rates, checksum, read_bytes, read_table, reader

__all__ = ["read_indicator_file", "load_mapping", "Mapping"]

def _filter(df: pd.DataFrame, m: Mapping, data_file) -> pd.DataFrame:
    """Apply [filter] (keep matching rows) and [exclude] (drop matching rows); values as text."""
    for key, keep in (("filter", True), ("exclude", False)):
        for col, want in m.get(key, {}).items():
            m.column(df, key, col, data_file)
            wants = [str(w) for w in (want if isinstance(want, list) else [want])]
            hit = df[col].astype("string").str.strip().isin(wants).fillna(False)
            df = df[hit == keep]
    if df.empty:
        raise m.error(f"[filter]/[exclude] keep no row of {data_file}", "filter")
    return df


def _lookup_path(m: Mapping, name: str, data_file: Path) -> Path:
    """A lookup named in the mapping: absolute, next to the mapping, or next to the data file."""
    for base in (m.path.parent, data_file.parent):
        if (base / name).exists():
            return (base / name).resolve()
    raise m.error(f"lookup file {name!r} found neither next to the mapping nor next to {data_file}",
                  "code_lookup", name)


def _codes(df: pd.DataFrame, m: Mapping, path, first: int, warnings: list) -> pd.Series:
    col = m.column(df, "code", m["code"], path)
    raw = df[col].astype("string").str.strip()
    empty = raw.isna() | (raw == "")
    if empty.any():
        if not m.get("skip_empty_code"):
            label = empty[empty].index[0]
            raise InputError(path, "empty area code (set skip_empty_code = true in the mapping to drop "
                                   "such rows)", row=first + int(label), column=col)
        warnings.append(f"dropped {int(empty.sum())} row(s) without a code: file row(s) "
                        f"{', '.join(str(first + int(i)) for i in empty[empty].index)}")
        raw = raw[~empty]
    named = raw.str.contains(r"\s", regex=True) | (~raw.str.contains(r"\d", regex=True) & (raw.str.len() > 4))
    if named.mean() > 0.5:
        raise InputError(path, f"the code column holds names (e.g. {raw[named].iloc[0]!r}), not area codes: point "
                               f"code = \"…\" in {m.path.name} at the column with the codes", row=1, column=col)
    if "code_lookup" in m:
        lk = m["code_lookup"]
        lpath = _lookup_path(m, lk["file"], Path(path))
        table = read_table(lpath, required=[lk["from"], lk["to"]]).dropna(subset=[lk["from"], lk["to"]])
        pairs = table[[lk["from"], lk["to"]]].apply(lambda s: s.str.strip()).drop_duplicates()
        clash = pairs[lk["from"]].duplicated()
        if clash.any():
            raise InputError(lpath, f"code {pairs[lk['from']][clash].iloc[0]!r} maps to more than one "
                                    f"{lk['to']}", column=lk["from"])
        table = dict(zip(pairs[lk["from"]], pairs[lk["to"]]))
        unknown = ~raw.isin(list(table))
        if unknown.any():
            label = unknown[unknown].index[0]
            raise InputError(path, f"code {raw[label]!r} is not in {lk['from']} of the lookup {lpath}",
                             row=first + int(label), column=col)
        raw = raw.map(table)
    if "code_regex" in m:
        rx, template = re.compile(m["code_regex"]), m.get("code_template", "{0}")
        matches = raw.map(rx.fullmatch)
        if matches.isna().any():
            label = matches[matches.isna()].index[0]
            raise InputError(path, f"code {raw[label]!r} does not match code_regex {m['code_regex']!r} "
                                   f"of {m.path}", row=first + int(label), column=col)
        raw = matches.map(lambda mt: template.format(mt.group(0), *mt.groups(), **mt.groupdict()))
    prefix = m.get("code_prefix", "")
    if prefix:
        raw = raw.where(raw.str.startswith(prefix), prefix + raw)
    return raw.astype("string")


def _slices(entry: dict, df: pd.DataFrame, years: pd.Series | None, m: Mapping, path):
    """(years, {role: column}) per year group: one group, or one per ``{year}`` column match."""
    roles = [r for r in ("value", "numerator", "denominator") if r in entry]
    pats = {r.removesuffix("_pattern"): entry[r] for r in ("value_pattern", "numerator_pattern",
                                                             "denominator_pattern") if r in entry}
    if not roles and not pats:
        raise m.error(f"indicator {entry['id']!r} needs value, numerator+denominator or a *_pattern",
                      "id", entry["id"])
    if roles:
        if years is None:
            raise m.error("no year: set year = \"column\" or year_value = YYYY", "year", entry["id"])
        return [(years, {r: m.column(df, r, entry[r], path) for r in roles})]
    found: dict[str, dict[int, str]] = {}
    for role, pat in pats.items():
        rx = re.compile("^" + re.escape(pat).replace(re.escape("{year}"), r"(\d{4})") + "$")
        found[role] = {int(mt.group(1)): c for c in df.columns if (mt := rx.match(str(c)))}
        if not found[role]:
            raise m.error(f"{role}_pattern = {pat!r} matches no column of {path}", f"{role}_pattern", pat)
    common = sorted(set.intersection(*(set(v) for v in found.values())))
    return [(pd.Series(y, index=df.index), {r: found[r][y] for r in found}) for y in common]


def _entry_facts(entry: dict, df: pd.DataFrame, codes, years, m: Mapping, path, first, rules) -> list:
    meta = m.meta(entry["id"])
    scale, kind = float(meta["scale"]), meta["kind"]
    out = []
    for yrs, cols in _slices(entry, df, years, m, path):
        parsed = {r: _parse(df, c, yrs, m, path, first, rules) for r, c in cols.items()}
        flags = [f for _, f in parsed.values()]
        num = den = pd.Series(np.nan, index=df.index)
        if "value" in parsed and "denominator" in parsed and kind != "rate":
            raise m.error(f"{entry['id']!r} is a {kind}; value + denominator (a share and its population) only "
                          "for rates", "id", entry["id"])
        if "value" in parsed:
            raw = parsed["value"][0]
            if kind == "count":
                raw = check_count(raw, path, cols["value"], first, m.get("decimal"))
            elif kind == "rate" and scale == 100 and "scale_from" not in entry:
                check_fraction(raw, path, cols["value"], first, option="scale_from = 1 in the [[indicator]] "
                               "entry (fractions), or scale_from = 100 (they are percentages)")
            value = raw * scale / float(entry.get("scale_from", scale))
            if "denominator" in parsed:       # a share and its population: numerator = share × population
                den = parsed["denominator"][0]
                den = check_count(den, path, cols["denominator"], first, m.get("decimal"))
                num = value / scale * den
                flags.append(pd.Series(np.where(num.notna(), "num_from_pct", ""), index=df.index))
            elif "numerator" in parsed:
                raise m.error(f"{entry['id']!r}: value goes with denominator (a share and its population) "
                              "or use numerator + denominator without value", "id", entry["id"])
        else:
            if kind != "rate" or set(parsed) != {"numerator", "denominator"}:
                raise m.error(f"{entry['id']!r} is a {kind}; numerator and denominator (both) only for "
                              "rates", "id", entry["id"])
            num, den = (check_count(parsed[r][0], path, cols[r], first, m.get("decimal"))
                        for r in ("numerator", "denominator"))
            flags.append(check_part_of_whole(num, den, path, cols["numerator"], first, cols["denominator"]))
            value = (num / den.where(den > 0)) * scale
            flags.append(pd.Series(np.where(den == 0, "zero_denominator", ""), index=df.index))
        if len(pd.unique(yrs)) > 1:
            check_unit_jumps(value, codes, yrs, path, next(iter(cols.values())), first)
        if kind == "rate":
            flags.append(check_rates(value, path, entry["id"], upper=scale))
        flags.append(pd.Series(",".join(entry.get("flags", [])), index=df.index))
        out.append(pd.DataFrame({"code": codes, "year": yrs, "indicator": entry["id"], "numerator": num,
                                 "denominator": den, "value": value, "flags": join_flags(*flags),
                                 "_row": first + df.index.to_numpy()}))
    return out


def _value_columns(df: pd.DataFrame, m: Mapping) -> dict:
    """The columns the mapping reads numbers from (for the file's decimal separator)."""
    if m.get("format", "wide") == "long":
        names = {m["value_column"]}
    else:
        names = {e[r] for e in m["indicator"] for r in ("value", "numerator", "denominator") if r in e}
        for e in m["indicator"]:
            for r in ("value_pattern", "numerator_pattern", "denominator_pattern"):
                if r in e:
                    rx = re.compile("^" + re.escape(e[r]).replace(re.escape("{year}"), r"\d{4}") + "$")
                    names |= {c for c in df.columns if rx.match(str(c))}
    return {c: df[c] for c in names if c in df.columns}


def _missing_rules(m: Mapping) -> list[dict]:
    return [{"columns": None if r["column"] == "*" else set([r["column"]] if isinstance(r["column"], str)
                                                           else r["column"]),
             "values": [str(v) for v in (r["values"] if isinstance(r["values"], list) else [r["values"]])],
             "years": r.get("years")} for r in m.get("missing", [])]


def _parse(df, col, years, m: Mapping, path, first, rules) -> tuple[pd.Series, pd.Series]:
    """One column as numbers, with the mapping's decimal separator and its [[missing]] codes."""
    vals, flags = parse_numbers(df[col], path, col, first, decimal=m.get("decimal"))
    for r in rules:
        if r["columns"] is not None and col not in r["columns"]:
            continue
        sel = pd.Series(True, index=df.index)
        if r["years"] is not None and years is not None:
            sel = years.between(*r["years"])
        text = df[col].astype("str").str.strip()
        hit = sel & (text.isin(r["values"]) | vals.isin(pd.to_numeric(pd.Series(r["values"]), errors="coerce")
                                                       .dropna().tolist()))
        vals = vals.mask(hit)
        flags = flags.mask(hit, "missing_code:" + text)
    return vals, flags


def _long_facts(df, codes, years, m: Mapping, path, first, warnings, rules) -> list:
    icol = m.column(df, "indicator_column", m["indicator_column"], path)
    vcol = m.column(df, "value_column", m["value_column"], path)
    if years is None:
        raise m.error("no year: set year = \"column\" or year_value = YYYY", "year")
    raw = df[icol].astype("string").str.strip()
    spec = {k: (v if isinstance(v, dict) else {"id": v}) for k, v in m["indicator_map"].items()}
    known = raw.isin(list(spec))
    if (~known).any():
        warnings.append(f"{int((~known).sum())} row(s) with an unmapped {icol} ignored: "
                        f"{', '.join(sorted(set(raw[~known].dropna()))[:10])}")
    out = []
    for name, s in spec.items():
        sel = known & (raw == name)
        if not sel.any():
            continue
        meta = m.meta(s["id"])
        value, flags = _parse(df.loc[sel], vcol, years[sel], m, path, first, rules)
        if meta["kind"] == "count":
            value = check_count(value, path, vcol, first, m.get("decimal"))
        value = value * float(meta["scale"]) / float(s.get("scale_from", meta["scale"]))
        if years[sel].nunique() > 1:
            check_unit_jumps(value, codes[sel], years[sel], path, vcol, first)
        out.append(pd.DataFrame({"code": codes[sel], "year": years[sel], "indicator": s["id"],
                                 "numerator": np.nan, "denominator": np.nan, "value": value,
                                 "flags": flags, "_row": first + value.index.to_numpy()}))
    return out


@reader("indicator-file", help="Generic indicator file (csv/xlsx/parquet) with a TOML mapping")
def read_indicator_file(location, mapping, geo_version: str | None = None, year: int | None = None,
                        decimal: str | None = None, delimiter: str | None = None, encoding: str | None = None,
                        allow_unterminated: bool = False) -> Batch:
    """Read ``location`` as the mapping file ``mapping`` describes.

    Parameters
    ----------
    location : the data file (CSV, optionally gzipped; xlsx; parquet).
    mapping : path of the TOML mapping (see the keys above).
    geo_version, year : override the mapping's ``geo_version`` and ``year``/``year_value``
        (the CLI's ``--geo-version`` and ``--year``).
    decimal, delimiter, encoding : override the mapping's keys of the same name.
    allow_unterminated : accept a last row without a line break (else an error: a truncated file?).

    Examples
    --------
    ``veerkracht ingest indicator-file ois_bijstand.csv --mapping ois_wijk_bijstand_2013.toml``
    """
    if mapping is None:
        raise InputError(location, "indicator-file needs a mapping: pass --mapping FILE.toml (see "
                                   "`veerkracht ingest indicator-file --help`)")
    m = load_mapping(mapping)
    for key, val in (("decimal", decimal), ("delimiter", delimiter), ("encoding", encoding)):
        if val is not None:
            m[key] = val
    if geo_version:
        m["geo_version"] = geo_version
    if year is not None:
        m.pop("year", None)
        m["year_value"] = year
    path = Path(location)
    warnings: list[str] = []
    written_for = m.get("file")
    names = [written_for] if isinstance(written_for, str) else list(written_for or [])
    if names and path.name not in names:   # a list: the same table under several file names
        warnings.append(f"mapping {m.path.name} was written for {' or '.join(map(repr, names))}, "
                        f"reading {path.name!r}")
    data = read_bytes(path) if path.suffix.lower() not in (".xlsx", ".parquet") else path.read_bytes()
    df = read_table(path, data=data, sheet=m.get("sheet"), delimiter=m.get("delimiter"),
                    encoding=m.get("encoding"), allow_unterminated=allow_unterminated)
    first = df.attrs["first_row"]
    df = _filter(df, m, path)
    codes = _codes(df, m, path, first, warnings)
    df = df.loc[codes.index]
    if "year" in m:
        ycol = m.column(df, "year", m["year"], path)
        years = parse_years(df[ycol], path, ycol, first)
    elif "year_value" in m:
        if not re.fullmatch(r"\d{4}", str(m["year_value"])):
            raise m.error(f"year_value must be a four-digit year, found {m['year_value']!r}", "year_value")
        years = pd.Series(int(m["year_value"]), index=df.index)
    else:
        years = None
    rules = _missing_rules(m)
    if m.get("decimal") is None:
        m["decimal"] = detect_decimal(_value_columns(df, m), path, first)
    if m.get("format", "wide") == "long":
        parts = _long_facts(df, codes, years, m, path, first, warnings, rules)
    else:
        parts = [p for e in m["indicator"] for p in _entry_facts(e, df, codes, years, m, path, first, rules)]
    if not parts:
        raise m.error(f"the mapping produced no facts from {path}", "indicator")
    facts = pd.concat(parts, ignore_index=True)
    check_duplicates_at(facts, ["code", "year", "indicator"], path, facts["_row"], column=m["code"])
    facts = facts.drop(columns="_row")
    facts["geo_version"], facts["source"] = m["geo_version"], m["source"]

    if m["level"] == "auto":
        levels = infer_level(codes)
        if levels.isna().any():
            label = levels[levels.isna()].index[0]
            raise InputError(path, f"level = 'auto' but code {codes[label]!r} has no known prefix "
                                   "(GM, WK, BU, PC)", row=first + int(label), column=m["code"])
    else:
        levels = m["level"]
    areas = None
    if m.get("areas"):
        names = df[m.column(df, "name", m["name"], path)] if "name" in m else None
        areas = area_frame(m["geo_version"], codes, levels, names)
    prov = Provenance("indicator-file", str(location), checksum(data), vintage=m.get("vintage", ""),
                      options={"mapping": str(m.path), "geo_version": geo_version, "year": year,
                               "mapping_sha256": hashlib.sha256(m.text.encode()).hexdigest()})
    defs = pd.DataFrame(list(m.defined.values())) if m.defined else None
    return Batch(prov, areas=areas, facts=facts, warnings=warnings, indicators=defs)
