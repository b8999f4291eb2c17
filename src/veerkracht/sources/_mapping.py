"""The TOML mapping of ``indicator-file``: its keys, their checks and where an error points.

Every key is listed in :data:`KEYS`, :data:`ENTRY_KEYS`, :data:`DEFINE_KEYS` and
:data:`MISSING_KEYS`, documented in :mod:`veerkracht.sources.indicator_file` (shown by
``veerkracht ingest indicator-file --help``); an unknown key is an error that lists the valid ones.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..indicators import registry
from ..store.schema import LEVELS
from ._input import read_bytes

__all__ = ["Mapping", "load_mapping", "KEYS", "ENTRY_KEYS", "DEFINE_KEYS", "MISSING_KEYS"]

KEYS = {"geo_version", "level", "source", "vintage", "file", "code", "name", "year", "year_value",
        "code_prefix", "code_regex", "code_template", "code_lookup", "skip_empty_code", "areas",
        "filter", "exclude", "indicator", "format", "indicator_column", "value_column", "indicator_map", "sheet",
        "define", "missing", "decimal", "delimiter", "encoding"}
# a [[define]] entry registers an indicator the core registry lacks (kept in the store's registry)
DEFINE_KEYS = {"id", "label_nl", "label_en", "unit", "kind", "scale", "higher_is_worse", "description_nl",
               "description_en", "source", "restricted"}
_DEFINE_REQUIRED = ("id", "label_nl", "unit", "kind")
ENTRY_KEYS = {"id", "value", "value_pattern", "numerator", "denominator", "numerator_pattern",
              "denominator_pattern", "scale_from", "flags"}
MISSING_KEYS = {"column", "values", "years"}
_TABLE_KEYS = {"code_lookup": {"file", "from", "to"}}


def _listed(keys) -> str:
    return ", ".join(sorted(keys))


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
        raise InputError(path, f"not valid TOML: {exc}", row=int(m.group(1)) if m else None) from None
    m = Mapping(path, text, data)
    for key in sorted(set(data) - KEYS):
        raise m.error(f"unknown key {key!r}; valid keys: {_listed(KEYS)} (see `veerkracht ingest "
                      "indicator-file --help`)", key)
    for key, allowed in _TABLE_KEYS.items():
        if key in data and (not isinstance(data[key], dict) or set(data[key]) != allowed):
            raise m.error(f"[{key}] needs exactly the keys {_listed(allowed)}", key)
    for key in ("filter", "exclude"):
        if key in data and not isinstance(data[key], dict):
            raise m.error(f"[{key}] must be a table of column = value (or [values])", key)
    if "decimal" in data and data["decimal"] not in (".", ","):
        raise m.error(f"decimal must be '.' or ',', not {data['decimal']!r}", "decimal")
    for rule in (data.get("missing", []) if isinstance(data.get("missing", []), list) else [None]):
        if not isinstance(rule, dict):
            raise m.error("missing must be [[missing]] entries with column, values and optional years", "missing")
        for key in sorted(set(rule) - MISSING_KEYS):
            raise m.error(f"unknown key {key!r} in [[missing]]; valid keys: {_listed(MISSING_KEYS)}", key)
        if "column" not in rule or "values" not in rule:
            raise m.error("[[missing]] needs column (a column name, a list, or \"*\") and values", "missing")
        yrs = rule.get("years")
        if yrs is not None and not (isinstance(yrs, list) and len(yrs) == 2 and all(isinstance(y, int) for y in yrs)):
            raise m.error(f"[[missing]] years must be [from, to] (inclusive), found {yrs!r}", "years")
    for key in ("geo_version", "level", "source", "code"):
        if key not in data:
            raise InputError(path, f"required key {key!r} is missing", column=key)
    if data["level"] != "auto" and data["level"] not in LEVELS:
        raise m.error(f"level {data['level']!r} unknown; use one of {', '.join(LEVELS)} or 'auto'", "level")
    _check_types(m)
    if data.get("format", "wide") == "long":
        for key in ("indicator_column", "value_column", "indicator_map"):
            if key not in data:
                raise InputError(path, f"format = 'long' needs key {key!r}", column=key)
        if not isinstance(data["indicator_map"], dict):
            raise m.error("[indicator_map] must be a table: raw name = \"id\" or {id = \"…\", scale_from = …}",
                          "indicator_map")
        for v in data["indicator_map"].values():
            if isinstance(v, dict) and (set(v) - {"id", "scale_from"} or "id" not in v):
                raise m.error("an [indicator_map] entry takes id and optional scale_from", "indicator_map")
        ids = [v["id"] if isinstance(v, dict) else v for v in data["indicator_map"].values()]
    else:
        if not data.get("indicator"):
            raise InputError(path, "no [[indicator]] entries", column="indicator")
        for entry in data["indicator"]:
            if not isinstance(entry, dict):
                raise m.error("indicator must be [[indicator]] entries (tables), not a value", "indicator")
            for key in sorted(set(entry) - ENTRY_KEYS):
                raise m.error(f"unknown key {key!r} in [[indicator]]; valid keys: {_listed(ENTRY_KEYS)}", key)
            if "id" not in entry:
                raise m.error("an [[indicator]] entry has no id", "indicator")
        ids = [e.get("id") for e in data["indicator"]]
    defined = {}
    for d in data.get("define", []):
        if not isinstance(d, dict):
            raise m.error("define must be [[define]] entries (tables)", "define")
        for key in sorted(set(d) - DEFINE_KEYS):
            raise m.error(f"unknown key {key!r} in [[define]]; valid keys: {_listed(DEFINE_KEYS)}", key)
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




_TYPES = {"geo_version": str, "level": str, "source": str, "vintage": str, "code": str, "name": str,
          "year": str, "code_prefix": str, "code_regex": str, "code_template": str, "skip_empty_code": bool,
          "areas": bool, "format": str, "indicator_column": str, "value_column": str, "delimiter": str,
          "encoding": str, "missing": list, "define": list, "indicator": list}


def _check_types(m: Mapping) -> None:
    """Each key has the TOML type it needs; regexes and templates compile — else an error at the key."""
    for key, typ in _TYPES.items():
        if key in m and not isinstance(m[key], typ):
            raise m.error(f"{key} must be a {typ.__name__}, found {type(m[key]).__name__} {m[key]!r}", key)
    if m.get("format", "wide") not in ("wide", "long"):
        raise m.error(f"format must be 'wide' or 'long', not {m['format']!r}", "format")
    if "code_regex" in m:
        try:
            rx = re.compile(m["code_regex"])
        except re.error as exc:
            raise m.error(f"code_regex is not a valid regular expression: {exc}", "code_regex") from None
        tpl = m.get("code_template", "{0}")
        try:
            tpl.format("x", *["x"] * rx.groups, **{k: "x" for k in rx.groupindex})
        except (IndexError, KeyError, ValueError) as exc:
            raise m.error(f"code_template {tpl!r} does not fit code_regex: {exc!r}", "code_template") from None
    for entry in m.get("indicator", []) if isinstance(m.get("indicator"), list) else []:
        if not isinstance(entry, dict):
            continue
        sf = entry.get("scale_from")
        if sf is not None and (isinstance(sf, bool) or not isinstance(sf, (int, float)) or sf <= 0):
            raise m.error(f"scale_from must be a positive number, found {sf!r}", "scale_from")
        fl = entry.get("flags", [])
        if not (isinstance(fl, list) and all(isinstance(f, str) and "," not in f for f in fl)):
            raise m.error(f"flags must be a list of words without commas, found {fl!r}", "flags")
        for k in ("value", "numerator", "denominator", "value_pattern", "numerator_pattern", "denominator_pattern"):
            if k in entry and not isinstance(entry[k], str):
                raise m.error(f"{k} must be a column name (text), found {entry[k]!r}", k)
