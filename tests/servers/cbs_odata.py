"""A loopback stand-in for the CBS OData services, serving recorded/hand-made answers.

Paths are those of the real services::

    /ODataFeed/odata/<table>/<resource>        (v3; also /ODataApi/odata/…)
    /odata/v1/CBS/<table>/<resource>           (v4)

and are answered from ``<root>/v3/<table>/<resource>.json`` resp. ``<root>/v4/…``; a ``$skip=N`` in
the query selects ``<resource>.skip<N>.json`` (the pages that ``odata.nextLink`` points to).
``{base}`` in a file is replaced by ``http://127.0.0.1:<port>`` so that next links lead back here.

Faults for retry tests: ``server.faults[(path, skip)] = [503, "slow", …]`` — each request to that page
takes the next fault (an HTTP status to answer with, or ``"slow"`` to sleep ``server.slow_seconds``
before answering). Every request is appended to ``server.requests``.

Run standalone (``python -m tests.servers.cbs_odata [root]``) it prints its port and serves until killed.
"""
from __future__ import annotations

import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["CbsODataServer", "DATA"]

DATA = Path(__file__).resolve().parents[1] / "data" / "cbs_odata"
_ROUTES = (
    (re.compile(r"^/(?:ODataFeed|ODataApi)/odata/([^/]+)/([^/]+)$", re.I), "v3"),
    (re.compile(r"^/odata/v1/CBS/([^/]+)/([^/]+)$"), "v4"),
)


class _Handler(BaseHTTPRequestHandler):
    server: "CbsODataServer"

    def log_message(self, *args):  # keep pytest output clean
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/json; charset=utf-8"):
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing to answer

    def do_GET(self):
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = parse_qs(parts.query)
        skip = int(query.get("$skip", ["0"])[0])
        srv = self.server
        with srv.lock:
            srv.requests.append(self.path)
            todo = srv.faults.get((path, skip))
            fault = todo.pop(0) if todo else None
        if fault == "slow":
            time.sleep(srv.slow_seconds)
        elif isinstance(fault, int):
            self._send(fault, json.dumps({"odata.error": {"code": "", "message": {
                "lang": "nl-NL", "value": "Service Unavailable"}}}).encode())
            return
        for pattern, api in _ROUTES:
            m = pattern.match(path)
            if m:
                table, resource = m.groups()
                name = resource + (f".skip{skip}" if skip else "") + ".json"
                f = srv.root / api / table / name
                if f.is_file():
                    body = f.read_text(encoding="utf-8").replace("{base}", srv.base)
                    self._send(200, body.encode("utf-8"))
                    return
        self._send(404, json.dumps({"odata.error": {"code": "", "message": {
            "lang": "nl-NL", "value": f"Resource not found for the segment '{path}'."}}}).encode())


class CbsODataServer(ThreadingHTTPServer):
    """Threaded HTTP server on 127.0.0.1 and a free port; ``start()``/``stop()`` run it in a thread."""

    daemon_threads = True

    def __init__(self, root: Path = DATA):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = Path(root)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.lock = threading.Lock()
        self.requests: list[str] = []
        self.faults: dict[tuple[str, int], list] = {}
        self.slow_seconds = 2.0
        self._thread: threading.Thread | None = None

    def start(self) -> "CbsODataServer":
        self._thread = threading.Thread(target=self.serve_forever, name="cbs-odata-test", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


if __name__ == "__main__":
    srv = CbsODataServer(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA)
    print(srv.base, flush=True)
    srv.serve_forever()
