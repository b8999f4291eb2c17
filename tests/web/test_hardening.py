"""Web hardening (issue 11 item 9), against the real server process: the Host allow-list (DNS
rebinding), /docs and /redoc from vendored assets in real Chromium (nothing leaves 127.0.0.1), and
the limits of ``/api/print`` (body size, pixel size from the PNG header, a bounded peak memory)."""
from __future__ import annotations

import base64
import io
import struct
import subprocess
import sys
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest

from .conftest import free_port, start_server, stop_server


def png_bytes(width: int, height: int, rgba: bool = False, plain: bool = False) -> bytes:
    """A real PNG of ``width`` × ``height`` (a gradient, or one colour), written row by row: a
    100-megapixel image costs the test a few MB, not the 300 MB a decoder would need."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    channels = 4 if rgba else 3
    comp, parts = zlib.compressobj(6), []
    base = bytes((x * 255 // max(width - 1, 1)) for x in range(width))
    for y in range(height):
        shade = y * 255 // max(height - 1, 1)
        px = bytearray(width * channels)
        px[0::channels] = base
        px[1::channels] = bytes([shade]) * width
        if rgba:
            px[3::channels] = b"\xff" * width
        if plain:
            px = bytearray(width * channels)
        parts.append(comp.compress(b"\x00" + bytes(px)))
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6 if rgba else 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")


def _rss(pid: int) -> dict:
    """VmRSS and VmHWM (peak) of a process, in MB."""
    out = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS", "VmHWM")):
                out[line.split(":")[0]] = int(line.split()[1]) / 1024
    return out


# ------------------------------------------------------------------------------------ Host allow-list
def test_allowed_hosts_default_and_extra():
    from veerkracht.web.guard import allowed_hosts

    assert allowed_hosts("127.0.0.1", 8123) == {"127.0.0.1:8123", "localhost:8123", "[::1]:8123"}
    assert allowed_hosts("127.0.0.1", 80) >= {"127.0.0.1", "localhost", "127.0.0.1:80"}
    got = allowed_hosts("127.0.0.1", 8123, ["Kaart.Example.org", "proxy.local:443"])
    assert {"kaart.example.org", "kaart.example.org:8123", "proxy.local:443"} <= got
    assert "proxy.local:443:8123" not in got and "proxy.local" not in got
    import socket
    assert f"{socket.gethostname().lower()}:8000" in allowed_hosts("0.0.0.0", 8000)   # all interfaces: own name


def test_other_host_header_gets_400(server):
    port = server.rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        assert httpx.get(server + "/api/meta", headers={"Host": host}).status_code == 200
    for host in ("attacker.example", f"attacker.example:{port}", "127.0.0.1:1", f"127.0.0.2:{port}"):
        for path in ("/", "/api/meta", "/static/app.js", "/docs"):
            r = httpx.get(server + path, headers={"Host": host})
            assert r.status_code == 400, (host, path)
            msg = r.json()["error"]
            assert f"Host {host} is not served" in msg and "DNS rebinding" in msg and "--allow-host" in msg
            assert f"127.0.0.1:{port}" in msg


def test_allow_host_adds_a_name(web_store, tmp_path):
    port = free_port()
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "veerkracht.cli", "serve", "--store", str(web_store), "--port",
                             str(port), "--allow-host", "kaart.example.org"], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/api/meta", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            time.sleep(0.3)
        assert httpx.get(url + "/api/meta", headers={"Host": f"kaart.example.org:{port}"}).status_code == 200
        assert httpx.get(url + "/api/meta", headers={"Host": "kaart.example.org"}).status_code == 200
        assert httpx.get(url + "/api/meta", headers={"Host": "other.example.org"}).status_code == 400
    finally:
        stop_server(proc)


# ------------------------------------------------------------------------------------ docs in Chromium
@pytest.mark.browser
@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_render_from_vendored_assets(page, server, path):
    spec = httpx.get(server + "/openapi.json").json()
    operations = sum(len(v) for v in spec["paths"].values())
    page.goto(server + path)
    if path == "/docs":
        page.wait_for_selector(".swagger-ui .opblock", timeout=60_000)
        assert spec["info"]["title"] in page.locator(".swagger-ui .info .title").inner_text()
        assert page.locator(".swagger-ui .opblock").count() == operations
    else:
        page.wait_for_selector("[role=menuitem], .menu-content li", timeout=60_000)
        assert spec["info"]["title"] in page.locator("h1").first.inner_text()
        assert page.locator("h2").count() >= operations      # one section heading per operation
    page.wait_for_load_state("networkidle")
    page.watch.assert_clean()                                 # every request went to 127.0.0.1:<port>


def test_docs_html_names_no_outside_url(client):
    for path in ("/docs", "/redoc"):
        html = client.get(path).text
        assert "/static/vendor/" in html
        assert "cdn." not in html and "https://" not in html and "fonts.googleapis" not in html


def test_vendored_docs_assets_have_their_licences():
    from veerkracht.web.app import STATIC_DIR

    for name, files in {"swagger-ui": ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE", "VERSION"],
                        "redoc": ["redoc.standalone.js", "LICENSE", "VERSION"]}.items():
        for f in files:
            assert (STATIC_DIR / "vendor" / name / f).stat().st_size > 0
    assert "5.35.0" in (STATIC_DIR / "vendor" / "swagger-ui" / "VERSION").read_text()
    assert "Apache License" in (STATIC_DIR / "vendor" / "swagger-ui" / "LICENSE").read_text()
    assert "The MIT License" in (STATIC_DIR / "vendor" / "redoc" / "LICENSE").read_text()


# ------------------------------------------------------------------------------------ /api/print limits
@pytest.fixture(scope="module")
def print_server(web_store, tmp_path_factory):
    proc, url = start_server(web_store, tmp_path_factory.mktemp("printserver") / "server.log")
    yield proc, url
    stop_server(proc)


def _print_body(url: str, png: bytes) -> dict:
    d = httpx.get(url + "/api/meta").json()["default"]
    return {k: d[k] for k in ("version", "level", "indicator", "year", "region") if d.get(k) is not None} | {
        "image": "data:image/png;base64," + base64.b64encode(png).decode()}


def test_print_rejects_huge_pixel_size_from_the_header(print_server):
    proc, url = print_server
    png = png_bytes(10_000, 10_000, plain=True)   # 100 megapixels in a small file
    assert len(png) < 400 * 1024
    before = _rss(proc.pid)
    r = httpx.post(url + "/api/print", json=_print_body(url, png), timeout=120)
    after = _rss(proc.pid)
    assert r.status_code == 413
    assert r.json()["error"] == ("The map image is 10000 × 10000 pixels; the limit is 8192 pixels a side "
                                 "and 16 megapixels.")
    assert after["VmHWM"] - before["VmHWM"] < 80     # never decoded (decoding alone is 300 MB)


def test_print_rejects_large_bodies_before_reading_them(print_server):
    proc, url = print_server
    big = b'{"image": "' + b"A" * (13 * 1024 * 1024) + b'"}'
    r = httpx.post(url + "/api/print", content=big, headers={"Content-Type": "application/json"}, timeout=120)
    assert r.status_code == 413 and "larger than 12 MB" in r.json()["error"]

    def chunks():                              # no Content-Length: counted while read
        for _ in range(14):
            yield b"A" * (1024 * 1024)
    r = httpx.post(url + "/api/print", content=chunks(), headers={"Content-Type": "application/json"}, timeout=120)
    assert r.status_code == 413 and "larger than 12 MB" in r.json()["error"]


def test_print_reduces_a_large_image_and_bounds_memory(print_server, tmp_path):
    from veerkracht.web.printing import PRINT_PIXELS

    proc, url = print_server
    body = _print_body(url, png_bytes(4800, 3000, rgba=True))      # 14.4 MP: allowed, reduced before WeasyPrint
    r = httpx.post(url + "/api/print", json=body, timeout=300)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    (tmp_path / "p.pdf").write_bytes(r.content)
    listing = subprocess.run(["pdfimages", "-list", str(tmp_path / "p.pdf")], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    sizes = [(int(line.split()[3]), int(line.split()[4])) for line in listing if line.split()[2] == "image"]
    w, h = max(sizes, key=lambda s: s[0] * s[1])
    assert w * h <= PRINT_PIXELS and abs(w / h - 4800 / 3000) < 0.01     # reduced, same shape

    # six at once: two run, the others wait (their bodies still unread)
    one = _rss(proc.pid)["VmHWM"]
    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(lambda _: httpx.post(url + "/api/print", json=body, timeout=600).status_code,
                              range(6)))
    peak = _rss(proc.pid)["VmHWM"]
    print(f"server peak RSS {one:.0f} MB after one 14.4 MP print, {peak:.0f} MB after six at once")
    assert codes == [200] * 6
    assert peak - one < 200          # two at a time: about one more render (~90 MB), not five


def test_fit_for_print_keeps_small_images_and_reduces_large_ones():
    from PIL import Image

    from veerkracht.web.printing import fit_for_print

    small = png_bytes(1600, 1000)
    assert fit_for_print(small) is small
    # 10 MP over a limit of 6: reduced by a whole factor, ceil(sqrt(10 / 6)) = 2, each pixel the mean of 2 × 2
    big = png_bytes(4000, 2500, rgba=True)
    reduced = Image.open(io.BytesIO(fit_for_print(big)))
    assert reduced.size == (2000, 1250) and reduced.mode == "RGBA"
    want = np.asarray(Image.open(io.BytesIO(big)), dtype=float).reshape(1250, 2, 2000, 2, 4).mean(axis=(1, 3))
    assert np.abs(np.asarray(reduced, dtype=float) - want).max() <= 0.5
