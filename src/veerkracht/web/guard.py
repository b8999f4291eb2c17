"""The app's outer layer: Host allow-list, the context a request reads, and the print request limits.

One pure ASGI middleware (it sees the whole response, streaming included, before it lets go):

- **Host allow-list** — a page served on 127.0.0.1 can be reached from a hostile web page by DNS
  rebinding (a name that first points at the attacker, then at 127.0.0.1); the browser then sends
  that name as ``Host``. Only the names the server was started for are answered (400 otherwise).
- **One state per request** — with a live store (:mod:`.live`) every request is pinned to the
  context current when it arrived: its answer is wholly from the old or wholly from the new snapshot.
- **``POST /api/print``** — at most ``PRINT_CONCURRENCY`` at once (others wait, then get 503), and
  the body is read here up to ``MAX_PRINT_BODY`` bytes (413 beyond): a request that waits holds no
  body in memory, and no body is read whole before its size is known.
"""
from __future__ import annotations

import asyncio
import json

from ..i18n import Message, render

__all__ = ["Guard", "allowed_hosts", "MAX_PRINT_BODY", "PRINT_CONCURRENCY", "PRINT_WAIT"]

#: a screen-sized map PNG as a base64 data URL is a few MB; 12 MiB leaves room for a 4K screen
MAX_PRINT_BODY = 12 * 1024 * 1024
PRINT_CONCURRENCY = 2
#: seconds a print request waits for a free slot before it is told to try again
PRINT_WAIT = 30.0


def allowed_hosts(host: str, port: int, extra: list[str] | tuple[str, ...] = ()) -> set[str]:
    """The ``Host`` header values answered: the address served on and localhost, with the port (and
    without it on port 80), plus the ``extra`` names (as given, and with the port)."""
    names = {host, "localhost", "127.0.0.1", "[::1]"}
    if host in ("0.0.0.0", "::", ""):          # all interfaces: the machine's own names and addresses too
        import socket
        names |= {socket.gethostname(), socket.getfqdn()}
        try:
            names |= set(socket.gethostbyname_ex(socket.gethostname())[2])
        except OSError:
            pass
    names = {f"[{n}]" if ":" in n and not n.startswith("[") else n for n in names}
    out = {f"{n}:{port}".lower() for n in names}
    if port == 80:
        out |= {n.lower() for n in names}
    for e in extra:
        e = e.strip().lower()
        if e:
            out |= {e} if ":" in e.strip("[]") and e.count(":") == 1 else {e, f"{e}:{port}"}
    return out


async def _send_json(send, status: int, message: str, headers: list[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps({"error": message}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """See the module docstring. ``hosts`` None answers every Host (tests through TestClient);
    ``live`` None serves the app's one fixed context."""

    def __init__(self, app, hosts: set[str] | None = None, live=None):
        self.app = app
        self.hosts = hosts
        self.live = live
        self._print_slots: asyncio.Semaphore | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.hosts is not None:
            host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1").lower()
            if host not in self.hosts:
                return await _send_json(send, 400, render(Message("error.host_not_allowed", {
                    "host": host[:100] or "-", "allowed": ", ".join(sorted(self.hosts))}), "en"))
        if scope["method"] == "POST" and scope["path"] == "/api/print":
            return await self._print(scope, receive, send)
        return await self._pinned(scope, receive, send)

    async def _pinned(self, scope, receive, send):
        if self.live is None:
            return await self.app(scope, receive, send)
        c = self.live.enter()
        scope.setdefault("state", {})["web"] = c
        try:
            await self.app(scope, receive, send)
        finally:
            self.live.leave(c)

    async def _print(self, scope, receive, send):
        if self._print_slots is None:     # created on the server's event loop
            self._print_slots = asyncio.Semaphore(PRINT_CONCURRENCY)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_PRINT_BODY):
            return await self._too_large(send)
        try:
            await asyncio.wait_for(self._print_slots.acquire(), PRINT_WAIT)
        except asyncio.TimeoutError:
            return await _send_json(send, 503, render(Message("error.print_busy", {"n": PRINT_CONCURRENCY}), "en"),
                                    [(b"retry-after", b"10")])
        try:
            chunks, size = [], 0
            while True:
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    return
                chunks.append(msg.get("body", b""))
                size += len(chunks[-1])
                if size > MAX_PRINT_BODY:
                    return await self._too_large(send)
                if not msg.get("more_body", False):
                    break
            body = b"".join(chunks)
            del chunks
            sent = False

            async def replay():
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await self._pinned(scope, replay, send)
        finally:
            self._print_slots.release()

    @staticmethod
    async def _too_large(send):
        await _send_json(send, 413, render(Message("error.print_body_too_large",
                                                    {"mb": MAX_PRINT_BODY // (1024 * 1024)}), "en"))
