"""The hostile-input corpus: variants of real files, each with the one outcome it must have.

A variant is made from a real file of ``tests/data/real`` or ``src/veerkracht/demo/data`` by a small edit
and declares its outcome: :class:`Err` (an error naming file, row and column), :class:`Flag` (a fact
loaded with a flag), :class:`Val` (the correct value) or :class:`Warn` (loaded, with a warning that says
what). :func:`run` reads (and, for store-level variants, ingests) it and returns what happened, so that
the test can compare and the table can count: errors, flags, correct loads, silent wrong numbers.
"""
from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from veerkracht.demo import DATA_DIR as DEMO
from veerkracht.errors import VeerkrachtError

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "tests" / "data" / "real"

__all__ = ["V", "Err", "Flag", "Val", "Warn", "run", "rows_of", "write_rows", "REAL", "DEMO", "edit_cell",
           "text_of", "text_variant"]


@dataclass
class Err:
    """An error naming this row and column (None: not asserted) and containing ``text``."""
    row: int | None
    column: str | None
    text: str


@dataclass
class Flag:
    code: str
    indicator: str
    year: int
    flag: str


@dataclass
class Val:
    code: str
    indicator: str
    year: int
    value: float
    attr: str = "value"


@dataclass
class Warn:
    text: str
    val: Val | None = None


@dataclass
class V:
    """One hostile variant: ``make(tmp) -> location`` read with ``kind`` and ``opts``."""
    name: str
    kind: str
    make: Callable
    expect: object
    opts: dict = field(default_factory=dict)
    store: Callable | None = None       # prepare(store) before ingesting; None: read only


def rows_of(path: Path, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text_of(path)), delimiter=delimiter))


def text_of(path: Path) -> str:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8-sig")


def write_rows(rows, out: Path, delimiter: str = ",", encoding: str = "utf-8", end: str = "\n") -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=end).writerows(rows)
    out.write_bytes(buf.getvalue().encode(encoding))
    return out


def edit_cell(src: Path, name: str, row: int, column: str, value: str, **kw):
    """A maker: ``src`` with one cell (file row, column name) replaced."""
    def make(tmp: Path) -> Path:
        rows = rows_of(src)
        rows[row - 1][rows[0].index(column)] = value
        return write_rows(rows, tmp / name, **kw)
    return make


def text_variant(src: Path, kind: str, default_name: str):
    """A factory of variants made by a function of ``src``'s text (returning text or bytes)."""
    def variant(name, fn, expect, fname=default_name, **opts) -> V:
        def make(tmp):
            out = fn(text_of(src))
            p = tmp / fname
            (p.write_bytes if isinstance(out, bytes) else p.write_text)(out)
            return p
        return V(name, kind, make, expect, opts)
    return variant


def run(v: V, tmp: Path):
    """``('error', exc)`` or ``('load', batch, ingest_result)``; anything else (a traceback) propagates."""
    from veerkracht.indicators import registry_frame
    from veerkracht.sources import read
    from veerkracht.store import open_store
    loc, extra = v.make(tmp), {}
    if isinstance(loc, tuple):          # (location, options the maker decided, e.g. a mapping it wrote)
        loc, extra = loc
    try:
        batch = read(v.kind, str(loc), **v.opts, **extra)
        res = None
        if v.store is not None:
            store = open_store(":memory:")
            store.register_indicators(registry_frame())
            try:
                v.store(store)
                res = store.ingest(batch)
            finally:
                store.close()
    except VeerkrachtError as exc:
        return ("error", exc)
    return ("load", batch, res)


def fact(batch, code, indicator, year):
    f = batch.facts
    sel = f[(f["code"] == code) & (f["indicator"] == indicator) & (f["year"] == year)]
    assert len(sel) == 1, f"{len(sel)} facts for {code} {indicator} {year}"
    return sel.iloc[0]


def check(v: V, out) -> str:
    """Assert the outcome; return its category for the table: error, flag or correct."""
    e = v.expect
    if isinstance(e, Err):
        assert out[0] == "error", f"{v.name}: expected an error, loaded"
        exc = out[1]
        assert e.text in str(exc), f"{v.name}: {e.text!r} not in {exc}"
        if e.row is not None:
            assert exc.row == e.row, f"{v.name}: row {exc.row} != {e.row} ({exc})"
        if e.column is not None:
            assert exc.column == e.column, f"{v.name}: column {exc.column} != {e.column} ({exc})"
        assert str(exc).startswith("file ") or "store" in str(exc) or "option" in str(exc), str(exc)
        return "error"
    assert out[0] == "load", f"{v.name}: expected a load, got {out[1]!r}"
    batch, res = out[1], out[2]
    if hasattr(e, "lon"):           # geometry: the area is where it belongs
        a = batch.areas[batch.areas["code"] == e.code]
        assert len(a) == 1 and a.crs.to_epsg() == 4326, f"{v.name}: {len(a)} areas {e.code}"
        p = a.geometry.iloc[0].representative_point()
        assert abs(p.x - e.lon) < 0.01 and abs(p.y - e.lat) < 0.01, f"{v.name}: {e.code} at {p.x}, {p.y}"
        return "correct"
    if isinstance(e, Flag):
        got = fact(batch, e.code, e.indicator, e.year)
        assert e.flag in got["flags"].split(","), f"{v.name}: flags {got['flags']!r}"
        return "flag"
    if isinstance(e, Warn):
        warnings = list(batch.warnings) + list((res or {}).get("warnings", []))
        assert any(e.text in w for w in warnings), f"{v.name}: {e.text!r} not in {warnings}"
        if e.val is not None:
            _value(v, batch, e.val)
        return "flag"
    _value(v, batch, e)
    return "correct"


def _value(v, batch, e: Val):
    import math
    got = fact(batch, e.code, e.indicator, e.year)[e.attr]
    assert math.isclose(got, e.value, rel_tol=1e-9), f"{v.name}: {e.attr} {got} != {e.value}"
