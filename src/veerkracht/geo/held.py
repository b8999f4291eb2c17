"""What a loaded file holds, for tracing which files a result rests on (the report's sources table).

The store records each load's kind, location and options. When the options do not say which versions a
crosswalk file links, or which areas a geometry file holds, the file is read again (both are small);
``None`` means the file is gone or unreadable, and the caller then lists it rather than hiding it.
"""
from __future__ import annotations

from ..sources import read

__all__ = ["crosswalk_pairs", "area_codes"]


def crosswalk_pairs(kind: str, location: str, options: dict) -> set[tuple[str, str]] | None:
    """The (from, to) geography versions a crosswalk load holds (from its options, else the file)."""
    if options.get("from_version") and options.get("to_version"):
        return {(options["from_version"], options["to_version"])}
    try:
        cw = read(kind, location, **{k: v for k, v in options.items() if v is not None}).crosswalk
    except Exception:  # gone or unreadable: the caller lists it
        return None
    return set(zip(cw["from_version"], cw["to_version"])) if cw is not None and len(cw) else set()


def area_codes(location: str, options: dict) -> set[str] | None:
    """The area codes a geometry load holds, read again from its file."""
    try:
        areas = read("geometry", location, **{k: v for k, v in options.items() if v is not None}).areas
    except Exception:  # gone or unreadable: the caller lists it
        return None
    return set(areas["code"])
