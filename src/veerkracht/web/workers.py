"""Serving with several worker processes over one read-only store.

DuckDB lets several processes open one file read-only, so the social map can use more than one
core: each worker is a full app (:func:`~veerkracht.web.app.create_app`) with its own caches.

>>> serve_workers("demo-out/demo.duckdb", port=8000, workers=2)     # doctest: +SKIP
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["app_factory", "serve_workers", "STORE_ENV"]

#: the store each worker opens (set by :func:`serve_workers` for the processes it starts)
STORE_ENV = "VEERKRACHT_SERVE_STORE"


def app_factory():
    """The app of one worker process (uvicorn ``--factory``): the store named in :data:`STORE_ENV`."""
    from .app import create_app
    return create_app(os.environ[STORE_ENV])


def serve_workers(store_path: str, host: str = "127.0.0.1", port: int = 8000, workers: int = 2) -> None:
    """Serve the social map with ``workers`` processes on ``http://host:port/`` until interrupted."""
    import uvicorn

    os.environ[STORE_ENV] = str(Path(store_path).resolve())
    print(f"sociale kaart: http://{host}:{port}/  ({workers} workers; Ctrl+C stops)")
    uvicorn.run("veerkracht.web.workers:app_factory", factory=True, host=host, port=port, workers=workers,
                log_level="warning")
