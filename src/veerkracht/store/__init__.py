"""The store: areas, facts, crosswalks, indicator registry and provenance behind one interface."""
from __future__ import annotations

from .base import Batch, Provenance, ReplaceNeeded, Store
from .duckdb_store import DuckDBStore

__all__ = ["Store", "Batch", "Provenance", "ReplaceNeeded", "DuckDBStore", "open_store"]


def open_store(location: str = "veerkracht.duckdb", read_only: bool = False, wait: float = 0.0,
               on_wait=None) -> Store:
    """Open a store by location: a DuckDB file path (default) or a ``postgresql://`` URL.

    ``wait``: seconds to wait for a DuckDB file another process holds (``on_wait(pid, seconds_left)``
    is called about once a second meanwhile); 0 fails at once, saying which process holds it."""
    if str(location).startswith(("postgresql://", "postgres://")):
        from .postgis_store import PostGISStore     # psycopg only loaded for a server store
        return PostGISStore(str(location), read_only=read_only)
    return DuckDBStore(location, read_only=read_only, wait=wait, on_wait=on_wait)
