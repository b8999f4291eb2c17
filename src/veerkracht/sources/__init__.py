"""Readers: one module per source, each registered under a kind name for ``veerkracht ingest``."""
from __future__ import annotations

import inspect
import sys
import textwrap

from ..errors import InputError
from .base import READERS, get_reader, reader

__all__ = ["READERS", "get_reader", "reader", "read", "reader_options", "check_options", "describe"]

# given by the caller, not by the user
_INTERNAL = {"location", "progress", "transport"}


def reader_options(kind: str) -> dict[str, inspect.Parameter]:
    """The options a user may pass to the reader of ``kind`` (``-o key=value``)."""
    sig = inspect.signature(get_reader(kind))
    return {n: p for n, p in sig.parameters.items() if n not in _INTERNAL}


def _coerce(kind: str, name: str, value, param: inspect.Parameter):
    """Text from the command line as the type the option takes (int, float, bool); else unchanged."""
    if not isinstance(value, str):
        return value
    ann = str(param.annotation)
    default = param.default
    try:
        if "bool" in ann or isinstance(default, bool):
            low = value.strip().lower()
            if low not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(value)
            return low in ("1", "true", "yes")
        if ann.startswith("int") or (isinstance(default, int) and "str" not in ann):
            return int(value)
        if ann.startswith("float") or isinstance(default, float):
            return float(value)
    except ValueError:
        what = "true or false" if "bool" in ann or isinstance(default, bool) else \
            "a whole number" if "int" in ann or isinstance(default, int) else "a number"
        raise InputError(kind, f"option {name} must be {what}, not {value!r}") from None
    return value


def check_options(kind: str, options: dict) -> dict:
    """``options`` checked against the reader's: an unknown one is an error listing the valid ones."""
    valid = reader_options(kind)
    for name in options:
        if name not in valid:
            raise InputError(kind, f"unknown option {name!r} for reader {kind}; valid options: "
                                   f"{', '.join(sorted(valid))} (see `veerkracht ingest {kind} --help`)")
    missing = [n for n, p in valid.items() if p.default is inspect.Parameter.empty and n not in options]
    if missing:
        raise InputError(kind, f"reader {kind} needs option {missing[0]!r} (see `veerkracht ingest {kind} --help`)")
    return {n: _coerce(kind, n, v, valid[n]) for n, v in options.items()}


def read(kind: str, location, **options):
    """Read ``location`` with the reader registered as ``kind`` and return a :class:`Batch`.

    Options are checked first (unknown names and values of the wrong type are errors naming the valid
    options), so that no reader ever fails with a ``TypeError``.
    """
    internal = {k: options.pop(k) for k in list(options) if k in _INTERNAL}
    return get_reader(kind)(location, **check_options(kind, options), **internal)


def describe(kind: str) -> str:
    """The help of one reader: what it reads, every option, and an example (``ingest <kind> --help``)."""
    fn = get_reader(kind)
    module = sys.modules[fn.__module__]
    parts = [f"veerkracht ingest {kind} LOCATION [-o key=value …]", "", fn.help, ""]
    if kind == "indicator-file":          # the mapping keys are the module's documentation
        parts += [textwrap.dedent(module.__doc__ or "").strip(), ""]
    parts.append(textwrap.dedent(fn.__doc__ or "").strip())
    opts = reader_options(kind)
    parts += ["", "Options (-o key=value; --geo-version, --year and --mapping set the options of the same name): "
              + ", ".join(f"{n}" + ("" if p.default is inspect.Parameter.empty else f" (default {p.default!r})")
                          for n, p in opts.items())]
    return "\n".join(parts)
