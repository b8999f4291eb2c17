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
    numerator = "huur_corporatie"    # or numerator_pattern = "corp_{year}" (+ denominator_pattern)
    denominator = "woningen_totaal"
    [[indicator]]
    id = "nuisance"
    value_pattern = "nuisance_{year}"   # or value = "column"; scale_from = 100 for % input
    flags = ["some_note"]            # optional tokens added to every fact of this indicator

Long files: ``format = "long"``, ``indicator_column``, ``value_column`` and ``[indicator_map]``
raw name → id (or → ``{id = "...", scale_from = 100}``).

Values: ``value = numerator / denominator * scale`` (registry scale); a value-only column is
converted with ``value * scale / scale_from`` (``scale_from`` defaults to the registry scale).
Empty cells become facts with NaN value and flag ``missing``; CBS markers keep their flag.
"""
from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..indicators import registry
from ..store.base import Batch, Provenance
from ..store.schema import LEVELS
from ._codes import infer_level
from ._tabular import area_frame, check_counts_at, check_duplicates_at, join_flags, parse_numbers, parse_years
from .base import check_rates, checksum, read_bytes, read_table, reader

__all__ = ["read_indicator_file", "load_mapping", "Mapping"]

_KEYS = {"geo_version", "level", "source", "vintage", "file", "code", "name", "year", "year_value",
         "code_prefix", "code_regex", "code_template", "code_lookup", "skip_empty_code", "areas",
         "filter", "exclude", "indicator", "format", "indicator_column", "value_column", "indicator_map", "sheet",
         "define"}
# a [[define]] entry registers an indicator the core registry lacks (kept in the store's registry)
_DEFINE_KEYS = {"id", "label_nl", "label_en", "unit", "kind", "scale", "higher_is_worse", "description_nl",
                "description_en", "source", "restricted"}
_DEFINE_REQUIRED = ("id", "label_nl", "unit", "kind")
_ENTRY_KEYS = {"id", "value", "value_pattern", "numerator", "denominator", "numerator_pattern",
               "denominator_pattern", "scale_from", "flags"}


class Mapping(dict):
    """The parsed TOML plus where it came from, so errors can point into it."""

    defined: dict = {}

    def meta(self, indicator_id: str) -> dict:
        """The registry entry of an indicator, or its [[define]] entry in this mapping."""
        return self.defined.get(indicator_id) or registry.get(indicator_id)

    def __init__(self, path: Path, text: str, data: dict):
        super().__init__(data)
        self.path, self.text = path, text

    def line(self, needle) -> int | None:
        """1-based line of the first ``= "needle"`` / ``needle =`` in the mapping text."""
        pats = [rf'=\s*"{re.escape(str(needle))}"', rf"^\s*{re.escape(str(needle))}\s*=",
                rf'"{re.escape(str(needle))}"', rf"\b{re.escape(str(needle))}\b"]
        lines = self.text.splitlines()
        for pat in pats:
            for i, ln in enumerate(lines, 1):
                if re.search(pat, ln):
                    return i
        return None

    def error(self, message: str, key: str, needle=None) -> InputError:
        return InputError(self.path, message, row=self.line(needle if needle is not None else key), column=key)

    def column(self, df: pd.DataFrame, key: str, name, data_file) -> str:
        """The data column a mapping key names; a missing one names the mapping, key and column."""
        if name not in df.columns:
            raise self.error(f"{key} = {name!r}, but the data file {data_file} has no column {name!r}; "
                             f"it has: {', '.join(map(str, df.columns))}", key, name)
        return name


def load_mapping(path) -> Mapping:
    """Parse and check a mapping file (keys, indicator ids)."""
    path = Path(path)
    text = read_bytes(path).decode("utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise InputError(path, f"not valid TOML: {exc}", row=int(m.group(1)) if m else None)
    m = Mapping(path, text, data)
    for key in sorted(set(data) - _KEYS):
        raise m.error(f"unknown key {key!r}; known keys: {', '.join(sorted(_KEYS))}", key)
    for key in ("geo_version", "level", "source", "code"):
        if key not in data:
            raise InputError(path, f"required key {key!r} is missing", column=key)
    if data["level"] != "auto" and data["level"] not in LEVELS:
        raise m.error(f"level {data['level']!r} unknown; use one of {', '.join(LEVELS)} or 'auto'", "level")
    if data.get("format", "wide") == "long":
        for key in ("indicator_column", "value_column", "indicator_map"):
            if key not in data:
                raise InputError(path, f"format = 'long' needs key {key!r}", column=key)
        ids = [v["id"] if isinstance(v, dict) else v for v in data["indicator_map"].values()]
    else:
        if not data.get("indicator"):
            raise InputError(path, "no [[indicator]] entries", column="indicator")
        for entry in data["indicator"]:
            for key in sorted(set(entry) - _ENTRY_KEYS):
                raise m.error(f"unknown key {key!r} in [[indicator]]", key)
        ids = [e.get("id") for e in data["indicator"]]
    defined = {}
    for d in data.get("define", []):
        for key in sorted(set(d) - _DEFINE_KEYS):
            raise m.error(f"unknown key {key!r} in [[define]]", key)
        for key in _DEFINE_REQUIRED:
            if key not in d:
                raise m.error(f"[[define]] needs {key!r}", "define")
        if d["kind"] not in ("rate", "count", "score", "class"):
            raise m.error(f"kind must be rate, count, score or class, not {d['kind']!r}", "kind", d["kind"])
        defined[d["id"]] = {"label_en": d["label_nl"], "scale": 100.0 if d["kind"] == "rate" else 1.0,
                            "higher_is_worse": None, "numerator_nl": "", "denominator_nl": "",
                            "source": "", "description_nl": "", "description_en": "", "restricted": False, **d}
    m.defined = defined
    for ind in ids:
        if ind in defined:
            continue
        try:
            registry.get(ind)
        except KeyError:
            known = ", ".join(d["id"] for d in registry.CORE_INDICATORS)
            raise m.error(f"unknown indicator id {ind!r}; the registry knows: {known} — or define it in a "
                          "[[define]] entry (id, label_nl, unit, kind)", "id", ind) from None
    return m


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


def _entry_facts(entry: dict, df: pd.DataFrame, codes, years, m: Mapping, path, first) -> list:
    meta = m.meta(entry["id"])
    scale, kind = float(meta["scale"]), meta["kind"]
    out = []
    for yrs, cols in _slices(entry, df, years, m, path):
        parsed = {r: parse_numbers(df[c], path, c, first) for r, c in cols.items()}
        flags = [f for _, f in parsed.values()]
        if "value" in parsed:
            value = parsed["value"][0] * scale / float(entry.get("scale_from", scale))
            num = den = pd.Series(np.nan, index=df.index)
            if kind == "count":
                check_counts_at(value, path, cols["value"], first)
        else:
            if kind != "rate" or set(parsed) != {"numerator", "denominator"}:
                raise m.error(f"{entry['id']!r} is a {kind}; numerator and denominator (both) only for "
                              "rates", "id", entry["id"])
            num, den = parsed["numerator"][0], parsed["denominator"][0]
            for r in ("numerator", "denominator"):
                check_counts_at(parsed[r][0], path, cols[r], first)
            value = (num / den.where(den > 0)) * scale
            flags.append(pd.Series(np.where(den == 0, "zero_denominator", ""), index=df.index))
        if kind == "rate":
            flags.append(check_rates(value, path, entry["id"], upper=scale))
        flags.append(pd.Series(",".join(entry.get("flags", [])), index=df.index))
        out.append(pd.DataFrame({"code": codes, "year": yrs, "indicator": entry["id"], "numerator": num,
                                 "denominator": den, "value": value, "flags": join_flags(*flags),
                                 "_row": first + df.index.to_numpy()}))
    return out


def _long_facts(df, codes, years, m: Mapping, path, first, warnings) -> list:
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
        value, flags = parse_numbers(df.loc[sel, vcol], path, vcol, first)
        value = value * float(meta["scale"]) / float(s.get("scale_from", meta["scale"]))
        if meta["kind"] == "count":
            check_counts_at(value, path, vcol, first)
        out.append(pd.DataFrame({"code": codes[sel], "year": years[sel], "indicator": s["id"],
                                 "numerator": np.nan, "denominator": np.nan, "value": value,
                                 "flags": flags, "_row": first + value.index.to_numpy()}))
    return out


@reader("indicator-file", help="Generic indicator file (csv/xlsx/parquet) with a TOML mapping")
def read_indicator_file(location, mapping, geo_version: str | None = None, year: int | None = None) -> Batch:
    """Read ``location`` as the mapping file ``mapping`` describes.

    Parameters
    ----------
    location : the data file (CSV, optionally gzipped; xlsx; parquet).
    mapping : path of the TOML mapping (see the module docstring).
    geo_version, year : override the mapping's ``geo_version`` and ``year``/``year_value``
        (the CLI's ``--geo-version`` and ``--year``).
    """
    m = load_mapping(mapping)
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
    df = read_table(path, data=data, sheet=m.get("sheet"))
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
    if m.get("format", "wide") == "long":
        parts = _long_facts(df, codes, years, m, path, first, warnings)
    else:
        parts = [p for e in m["indicator"] for p in _entry_facts(e, df, codes, years, m, path, first)]
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
