"""A served store that follows the snapshots published by writers (decision 0007).

At start the server registers itself and makes sure a snapshot of the store's current state exists
(waiting, if another process is writing, for it to finish). It then serves one :class:`Context`
over that snapshot. At most every ``POLL`` seconds a request looks whether a newer generation was
published; if so a background thread opens it, builds and warms a new context, and only then swaps
it in. Requests already running finish on the context they started with (the guard pins it); a
retired context is closed when its last request has left.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Callable

from ..store import serving

__all__ = ["LiveStore", "POLL"]

log = logging.getLogger("veerkracht.web")
#: seconds between two looks at the snapshot pointer (a stat and a small read)
POLL = 0.5


class LiveStore:
    """The context the app serves, replaced whole when a writer publishes a new snapshot.

    ``build(path)`` opens the snapshot at ``path`` read-only and returns a warmed context.
    """

    def __init__(self, store_path: str, build: Callable[[str], object], wait: float = 600.0):
        self.store_path = str(store_path)
        self.build = build
        self._lock = threading.Lock()
        self._users: dict[int, int] = {}
        self._retired: dict[int, object] = {}
        self._checked = 0.0
        self._loading = False
        serving.register_server(self.store_path)
        try:
            self._first_snapshot(wait)
            self.generation, path = serving.current_snapshot(self.store_path)  # type: ignore[misc]
            self.current = build(str(path))
        except BaseException:
            serving.unregister_server(self.store_path)
            raise

    def _first_snapshot(self, wait: float) -> None:
        """Publish the store's state unless the current snapshot already is it.

        Copied under a read-only connection (a shared lock: other readers may stay, writers wait)
        when the store has no WAL, else under a read-write one that checkpoints first. If a writer
        holds the store, an existing snapshot is served (the writer publishes when done: it sees
        this server's marker); without one, wait for the writer.
        """
        from ..errors import StoreError
        from ..store.duckdb_store import connect

        if not serving.needs_publish(self.store_path):
            return
        have = serving.current_snapshot(self.store_path) is not None
        for read_only in (True, False):
            if read_only and serving.has_wal(self.store_path):
                continue
            try:
                con = connect(self.store_path, read_only=read_only, wait=0.0 if have else wait,
                              on_wait=lambda pid, left: log.warning("store in use by PID %s; waiting %.0f s",
                                                                    pid, left))
            except StoreError:
                if have:
                    return
                raise
            try:
                if not (read_only and serving.has_wal(self.store_path)):
                    serving.publish(con, self.store_path, checkpoint=not read_only)
                    return
            finally:
                con.close()

    # ------------------------------------------------------------------ per request
    def enter(self):
        """The context a new request reads (and count it as in use); look for a new snapshot."""
        self._poll()
        with self._lock:
            c = self.current
            self._users[id(c)] = self._users.get(id(c), 0) + 1
        return c

    def leave(self, c) -> None:
        with self._lock:
            n = self._users[id(c)] = self._users.get(id(c), 1) - 1
            if n <= 0 and id(c) in self._retired:
                del self._retired[id(c)], self._users[id(c)]
                _close(c)

    def _poll(self) -> None:
        now = time.monotonic()
        if now - self._checked < POLL or self._loading:
            return
        self._checked = now
        cur = serving.current_snapshot(self.store_path)
        if cur is None or cur[0] == self.generation:
            return
        with self._lock:
            if self._loading:
                return
            self._loading = True
        threading.Thread(target=self._load, args=cur, name="veerkracht-snapshot", daemon=True).start()

    def _load(self, generation: int, path: Path) -> None:
        try:
            t0 = time.monotonic()
            new = self.build(str(path))
        except Exception:      # the file may be pruned already if writers are fast: the next poll retries
            log.exception("could not open snapshot %s", path)
            with self._lock:
                self._loading = False
            return
        with self._lock:
            old, self.current, self.generation = self.current, new, generation
            self._loading = False
            if self._users.get(id(old), 0) > 0:
                self._retired[id(old)] = old
            else:
                self._users.pop(id(old), None)
                _close(old)
        log.info("serving snapshot generation %s (%.1f s to load)", generation, time.monotonic() - t0)

    def close(self) -> None:
        with self._lock:
            for c in [self.current, *self._retired.values()]:
                _close(c)
            self._retired.clear()
        serving.unregister_server(self.store_path)


def _close(c) -> None:
    try:
        c.catalog.store.close()     # type: ignore[attr-defined]
    except Exception:               # already closed
        pass
