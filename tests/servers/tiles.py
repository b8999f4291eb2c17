"""A loopback XYZ raster tile server for the basemap test: ``/tiles/{z}/{x}/{y}.png``.

Every tile is a 256-pixel PNG in one colour (:data:`TILE_RGB`, unlike any map colour), sent with
``Access-Control-Allow-Origin: *`` as public tile servers do; each path asked for is appended to
``<root>/requests.log``. Run as ``python -m tests.servers.tiles <root>``: prints its base URL and
serves until stopped by its PID (``tests.servers.process``).
"""
from __future__ import annotations

import io
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image

__all__ = ["TILE_RGB", "main"]

TILE_RGB = (214, 40, 180)


def _tile() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), TILE_RGB).save(buf, "PNG")
    return buf.getvalue()


def main(root: Path) -> None:
    body, log = _tile(), root / "requests.log"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            with open(log, "a") as fh:
                fh.write(self.path + "\n")
            if not re.fullmatch(r"/tiles/\d{1,2}/\d+/\d+\.png", self.path):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
