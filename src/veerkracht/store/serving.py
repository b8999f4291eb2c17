"""Serving a store while it is written: published snapshots (decision 0007).

DuckDB lets one process write a file, or many processes read it, never both. A server that held the
store open would lock every ingest out; a server that opened it per request would fail while an
ingest writes. So the server reads a *snapshot*: a checkpointed copy of the store in
``<store>.serving/``, published whole by whoever holds the write lock:

- ``gen-<n>.duckdb`` — the copies (each written as ``.tmp`` and renamed: never seen half-written);
- ``current`` — JSON naming the current copy, replaced atomically with :func:`os.replace`;
- ``server-<pid>`` — one marker per running server. A writer publishes when it closes the store
  and a live server is registered, so a server sees every committed state, and never a partial one.

A new copy has a new name, because DuckDB keeps one database instance per path within a process: a
server reopening the same path would be handed the old instance.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from pathlib import Path

__all__ = ["snapshot_dir", "publish", "current_snapshot", "live_servers", "register_server",
           "unregister_server", "needs_publish", "has_wal", "KEEP"]

#: generations kept on disk: the current and the one before (a server may be opening it right now)
KEEP = 2


def snapshot_dir(store_path: str | os.PathLike) -> Path:
    return Path(str(store_path) + ".serving")


def _read_current(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "current").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def current_snapshot(store_path: str | os.PathLike) -> tuple[int, Path] | None:
    """(generation, file) of the published snapshot, or None when there is none."""
    folder = snapshot_dir(store_path)
    cur = _read_current(folder)
    if not cur or not (folder / cur["file"]).exists():
        return None
    return int(cur["generation"]), folder / cur["file"]


def _source_stamp(store_path: str | os.PathLike) -> list[int]:
    st = os.stat(store_path)
    return [st.st_size, st.st_mtime_ns]


def needs_publish(store_path: str | os.PathLike) -> bool:
    """True unless the current snapshot was copied from the store as it is on disk now (no WAL)."""
    cur = _read_current(snapshot_dir(store_path))
    if cur is None or current_snapshot(store_path) is None or has_wal(store_path):
        return True
    return cur.get("source") != _source_stamp(store_path)


def has_wal(store_path: str | os.PathLike) -> bool:
    wal = Path(str(store_path) + ".wal")
    return wal.exists() and wal.stat().st_size > 0


def publish(con, store_path: str | os.PathLike, checkpoint: bool = True) -> tuple[int, Path]:
    """Copy the store into a new snapshot generation and make it current (unless it is current).

    ``con`` is a DuckDB connection on ``store_path`` that keeps writers out while the file is
    copied: the caller's own read-write connection (the only writer), or a read-only one (a shared
    lock) when the store has no WAL (``checkpoint=False``). CHECKPOINT first writes the WAL into the
    file, so the copy is complete on its own.
    """
    folder = snapshot_dir(store_path)
    folder.mkdir(exist_ok=True)
    if checkpoint:
        con.execute("CHECKPOINT")
    elif has_wal(store_path):
        raise RuntimeError("a store with a WAL needs a checkpoint before it is copied")
    cur = _read_current(folder)
    if cur and cur.get("source") == _source_stamp(store_path) and (folder / cur["file"]).exists():
        return int(cur["generation"]), folder / cur["file"]       # nothing changed since
    gen = (int(cur["generation"]) if cur else 0) + 1
    name = f"gen-{gen:06d}.duckdb"
    tmp = folder / f"{name}.{os.getpid()}.tmp"      # two servers starting at once may both publish
    with open(store_path, "rb") as src, open(tmp, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(tmp, folder / name)
    pointer = folder / f"current.{os.getpid()}.tmp"
    pointer.write_text(json.dumps({"generation": gen, "file": name, "source": _source_stamp(store_path),
                                   "published_at": time.time()}), encoding="utf-8")
    os.replace(pointer, folder / "current")
    _prune(folder, gen)
    return gen, folder / name


def _prune(folder: Path, gen: int) -> None:
    """Remove old generations (a server still reading one keeps its open file until it closes it)."""
    for f in folder.glob("gen-*.duckdb*"):
        try:
            n = int(f.name[4:10])
        except ValueError:
            continue
        if n <= gen - KEEP or (f.name.endswith(".tmp") and n < gen):
            with contextlib.suppress(OSError):
                f.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def live_servers(store_path: str | os.PathLike) -> list[int]:
    """The PIDs of running servers of this store (markers of dead ones are removed)."""
    folder = snapshot_dir(store_path)
    pids = []
    for f in folder.glob("server-*") if folder.is_dir() else ():
        try:
            pid = int(f.name[7:])
        except ValueError:
            continue
        if _alive(pid):
            pids.append(pid)
        else:
            with contextlib.suppress(OSError):
                f.unlink()
    return sorted(pids)


def register_server(store_path: str | os.PathLike) -> Path:
    folder = snapshot_dir(store_path)
    folder.mkdir(exist_ok=True)
    marker = folder / f"server-{os.getpid()}"
    marker.write_text(str(time.time()), encoding="utf-8")
    return marker


def unregister_server(store_path: str | os.PathLike) -> None:
    """Remove this server's marker; the last server of a store also removes the snapshots."""
    folder = snapshot_dir(store_path)
    with contextlib.suppress(OSError):
        (folder / f"server-{os.getpid()}").unlink()
    if folder.is_dir() and not live_servers(store_path):
        shutil.rmtree(folder, ignore_errors=True)
