"""A loopback stand-in for the public data services: CBS OData, PDOK OGC API Features, file downloads.

Extends :class:`tests.servers.cbs_odata.CbsODataServer` (whose OData v3/v4 answers it serves
unchanged from ``<root>/odata/v3|v4/<table>/``) with

- **PDOK OGC API Features** ``/cbs/wijken-en-buurten-<year>/ogc/v1/collections`` (the list) and
  ``…/collections/<name>/items?f=json&limit=N[&gemeentecode=GM0344]`` from
  ``<root>/ogc/<year>/<name>.geojson``: pages of at most 1,000 features chained by a ``links`` entry
  with ``rel: next`` (PDOK pages with an opaque cursor; here ``cursor`` is the offset); a collection
  that is not there gets PDOK's 404 problem document;
- **file downloads** ``/files/<path>`` from ``<root>/files/<path>``, with ``Range`` requests
  (``206`` + ``Content-Range``), ``ETag`` and ``Content-Length``.

Faults: ``<root>/faults.json`` maps a path (without query) to a list that each request to it takes
from in turn: an HTTP status (``503``), ``"429:<seconds>"`` (429 with ``Retry-After``), ``"drop"``
(headers and half the body, then the connection is closed) or ``"slow"``. ``server.faults`` (by
``(path, skip)``, as in the parent) works too when the server runs in-process.

Run standalone (``python -m tests.servers.public_data <root>``) it prints its base URL and serves
until killed; tests start it so, and stop it by its PID.
"""
from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from .cbs_odata import CbsODataServer, _Handler

__all__ = ["PublicDataServer", "OGC_PAGE_MAX"]

OGC_PAGE_MAX = 1000


class _PublicHandler(_Handler):
    server: "PublicDataServer"

    def _fault(self, path: str) -> bool:
        """Apply the next fault for ``path``; True when the request has been answered by it."""
        srv = self.server
        with srv.lock:
            todo = srv.file_faults.get(path)
            fault = todo.pop(0) if todo else None
        if fault is None:
            return False
        if fault == "slow":
            time.sleep(srv.slow_seconds)
            return False
        if fault == "drop":
            srv.drop_next.add(path)
            return False
        if isinstance(fault, str) and fault.startswith("429:"):
            body = b'{"title": "Too Many Requests", "status": 429}'
            self.send_response(429)
            self.send_header("Retry-After", fault.split(":", 1)[1])
            self.send_header("Content-Type", "application/problem+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return True
        self._send(int(fault), json.dumps({"title": "Service Unavailable", "status": int(fault)}).encode(),
                   "application/problem+json")
        return True

    def _send(self, status: int, body: bytes, ctype: str = "application/json; charset=utf-8"):
        """The parent's answers (OData) go through :meth:`_body`, so ``drop`` faults reach them too."""
        self._body(unquote(urlsplit(self.path).path), status, body, {"Content-Type": ctype})

    def _body(self, path: str, status: int, body: bytes, headers: dict) -> None:
        """Send ``body``; a pending ``drop`` fault sends half of it and closes the connection."""
        drop = path in self.server.drop_next
        self.server.drop_next.discard(path)
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if drop else body)
            if drop:
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass

    def do_GET(self):
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self.server.lock:
            self.server.requests.append(self.path)
        if path.startswith("/files/"):
            if not self._fault(path):
                self._file(path)
            return
        if path.startswith("/cbs/wijken-en-buurten-"):
            if not self._fault(path):
                self._ogc(path, query)
            return
        if self._fault(path):
            return
        with self.server.lock:           # the parent logs the request again
            self.server.requests.pop()
        super().do_GET()

    # ------------------------------------------------------------------ files with Range
    def _file(self, path: str) -> None:
        f = self.server.data_root / "files" / path[len("/files/"):]
        if not f.is_file():
            self._send(404, b"Not Found", "text/plain")
            return
        data = f.read_bytes()
        etag = f'"{f.stat().st_size:x}-{int(f.stat().st_mtime):x}"'
        rng = self.headers.get("Range")
        headers = {"Content-Type": "application/octet-stream", "ETag": etag, "Accept-Ranges": "bytes"}
        if rng and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0] or 0)
            if start >= len(data):
                self._body(path, 416, b"", {"Content-Range": f"bytes */{len(data)}"})
                return
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            self._body(path, 206, data[start:], headers)
            return
        self._body(path, 200, data, headers)

    # ------------------------------------------------------------------ OGC API Features (PDOK)
    def _ogc(self, path: str, query: dict) -> None:
        srv = self.server
        head, _, rest = path[len("/cbs/wijken-en-buurten-"):].partition("/ogc/v1")
        folder = srv.data_root / "ogc" / head
        names = sorted(p.name[: -len(".geojson")] for p in folder.glob("*.geojson")) if folder.is_dir() else []
        if rest in ("/collections", "/collections/"):
            doc = {"collections": [{"id": n, "title": n, "links": [
                {"rel": "items", "href": f"{srv.base}{path.rstrip('/')}/{n}/items?f=json"}]} for n in names],
                   "links": []}
            self._body(path, 200, json.dumps(doc).encode(), {"Content-Type": "application/json"})
            return
        parts = rest.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "collections" or parts[2] != "items" or parts[1] not in names:
            problem = {"type": "about:blank", "title": "Not Found", "status": 404,
                       "detail": f"collection {parts[1] if len(parts) > 1 else ''} does not exist"}
            self._body(path, 404, json.dumps(problem).encode(), {"Content-Type": "application/problem+json"})
            return
        feats = srv.features(head, parts[1])
        if "gemeentecode" in query:
            feats = [f for f in feats if f["properties"].get("gemeentecode") == query["gemeentecode"]]
        limit = min(int(query.get("limit", 10)), OGC_PAGE_MAX)
        start = int(query.get("cursor", 0))
        page = feats[start: start + limit]
        links = [{"rel": "self", "type": "application/geo+json", "href": f"{srv.base}{self.path}"}]
        if start + limit < len(feats):
            nxt = {**query, "cursor": str(start + limit), "limit": str(limit)}
            links.append({"rel": "next", "type": "application/geo+json",
                          "href": f"{srv.base}{path}?{urlencode(nxt)}"})
        doc = {"type": "FeatureCollection", "timeStamp": "2024-01-01T00:00:00Z", "links": links,
               "numberReturned": len(page), "features": page}
        self._body(path, 200, json.dumps(doc).encode(), {"Content-Type": "application/geo+json"})


class PublicDataServer(CbsODataServer):
    """OData (from ``<root>/odata``, by the parent), OGC API Features (``<root>/ogc``) and files (``<root>/files``)."""

    def __init__(self, root: Path):
        root = Path(root)
        super().__init__(root / "odata")      # the parent serves OData answers from self.root
        self.RequestHandlerClass = _PublicHandler
        self.data_root = root
        faults = root / "faults.json"
        self.file_faults: dict[str, list] = json.loads(faults.read_text()) if faults.is_file() else {}
        self.drop_next: set[str] = set()
        self._features: dict[tuple[str, str], list] = {}

    def features(self, year: str, name: str) -> list:
        key = (year, name)
        if key not in self._features:      # parsed once: national layers are large
            doc = json.loads((self.data_root / "ogc" / year / f"{name}.geojson").read_text())
            self._features[key] = doc["features"]
        return self._features[key]


if __name__ == "__main__":
    srv = PublicDataServer(Path(sys.argv[1]))
    print(srv.base, flush=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
