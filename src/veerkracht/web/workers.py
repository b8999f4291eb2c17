"""Serving with several worker processes over one read-only store (``veerkracht serve --workers N``).

DuckDB lets several processes open one file read-only, so the social map can use more than one
core: each worker is a full app (:func:`~veerkracht.web.app.create_app`) with its own caches, and
the same settings as a single-process server (snapshots of a file store, the ``Host`` allow-list,
the base map). uvicorn's supervisor process starts the workers, restarts one that dies and stops
them all when it is stopped (SIGTERM or Ctrl+C).

Each worker follows the snapshots a writer publishes on its own (:class:`~veerkracht.web.live.LiveStore`):
every answer is whole (old or new), but for the second or so after an ingest two requests in a
row may reach workers on either side of the switch.

>>> serve_workers("demo-out/demo.duckdb", port=8000, workers=2)     # doctest: +SKIP
"""
from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["app_factory", "serve_workers", "default_workers", "STORE_ENV", "CONFIG_ENV", "MAX_DEFAULT_WORKERS"]

#: the store each worker opens (set by :func:`serve_workers` for the processes it starts)
STORE_ENV = "VEERKRACHT_SERVE_STORE"
#: the workers' settings (JSON: live, hosts, basemap), set by :func:`serve_workers`
CONFIG_ENV = "VEERKRACHT_SERVE_CONFIG"
#: the default never starts more workers than this (each holds its own caches: ~0.5 GB on the demo)
MAX_DEFAULT_WORKERS = 4


def default_workers() -> int:
    """Worker processes when none are asked for: one per core the process may use, at most
    :data:`MAX_DEFAULT_WORKERS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:      # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_WORKERS))


def _is_server_db(path: str) -> bool:
    return str(path).startswith(("postgresql://", "postgres://"))


def app_factory():
    """The app of one worker process (uvicorn ``--factory``): the store named in :data:`STORE_ENV`
    with the settings of :data:`CONFIG_ENV`."""
    from .app import create_app
    cfg = json.loads(os.environ.get(CONFIG_ENV) or "{}")
    hosts = set(cfg["hosts"]) if cfg.get("hosts") is not None else None
    return create_app(os.environ[STORE_ENV], live=bool(cfg.get("live", False)), hosts=hosts, basemap=cfg.get("basemap"))


def serve_workers(store_path: str, host: str = "127.0.0.1", port: int = 8000, workers: int | None = None,
                  allow_host: list[str] | tuple = (), basemap: str | None = None, live: bool | None = None,
                  lang: str = "nl") -> None:
    """Serve the social map with ``workers`` processes on ``http://host:port/`` until interrupted.

    ``live`` (default: for a file store) serves snapshots, so the store can be written meanwhile;
    ``allow_host`` and ``basemap`` as for :func:`~veerkracht.web.app.serve`.
    """
    import uvicorn

    from ..i18n import render
    from .guard import allowed_hosts

    workers = workers or default_workers()
    path = str(store_path) if _is_server_db(store_path) else str(Path(store_path).resolve())
    os.environ[STORE_ENV] = path
    os.environ[CONFIG_ENV] = json.dumps({"live": (not _is_server_db(path)) if live is None else bool(live),
                                         "hosts": sorted(allowed_hosts(host, port, list(allow_host))),
                                         "basemap": basemap})
    print(render("web.serve.workers", lang, url=f"http://{host}:{port}/", n=workers), flush=True)
    uvicorn.run("veerkracht.web.workers:app_factory", factory=True, host=host, port=port, workers=workers,
                log_level="warning")
