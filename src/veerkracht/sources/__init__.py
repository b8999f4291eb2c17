"""Readers: one module per source, each registered under a kind name for ``veerkracht ingest``."""
from __future__ import annotations

from .base import READERS, get_reader, reader

__all__ = ["READERS", "get_reader", "reader", "read"]


def read(kind: str, location, **options):
    """Read ``location`` with the reader registered as ``kind`` and return a :class:`Batch`."""
    return get_reader(kind)(location, **options)
