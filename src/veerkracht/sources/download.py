"""A download cache for the public sources: files and API answers, checksummed, resumable, offline.

Two ways in, one cache folder:

- :meth:`DownloadCache.download` fetches a file (a KWB xlsx, a GeoPackage, a zip) into
  ``<root>/files/``. An interrupted download is kept as ``<name>.part`` and resumed with an HTTP
  ``Range`` request; a server that ignores the range (``200`` instead of ``206``) restarts it. The
  sha256 and size of the finished file are written beside it (``<name>.meta.json``) and checked
  again whenever the file is taken from the cache.
- :meth:`DownloadCache.transport` is an ``httpx`` transport for JSON APIs (CBS OData, PDOK OGC API,
  WFS). Every ``200`` answer is stored under ``<root>/http/`` keyed by its URL; the same request
  again is answered from the cache, so a rerun after an interruption only asks for the pages it has
  not seen. It is handed to :class:`~veerkracht.sources.cbs_odata.ODataClient` unchanged.

Both honour ``offline`` (use only the cache: a miss is an :class:`OfflineError` naming the URL),
keep a minimum interval between requests to one host, and answer ``429``/``503`` with the server's
``Retry-After`` (bounded by ``max_wait``) before retrying — at most ``retries`` times, with
exponential backoff otherwise.
"""
from __future__ import annotations

import email.utils
import hashlib
import json
import re
import threading
import time
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import httpx

from .. import __version__
from ..errors import InputError

__all__ = ["DownloadCache", "OfflineError", "CachingTransport", "retry_after_seconds", "sha256_file"]

_RETRY_STATUS = {429, 500, 502, 503, 504}
USER_AGENT = f"veerkracht/{__version__} (+https://github.com/veerkracht; open data client)"


class OfflineError(InputError):
    """``--offline`` and the cache does not hold what is asked for."""

    def __init__(self, url: str, cache: Path):
        super().__init__(url, f"not in the download cache {cache} and --offline was given; "
                              "run once without --offline to fetch it")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def retry_after_seconds(value: str | None, default: float) -> float:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


def _safe_name(url: str) -> str:
    parts = urlsplit(url)
    base = Path(parts.path).name or "index"
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    return f"{digest}-{re.sub(r'[^A-Za-z0-9._-]+', '_', base)[:80]}"


class _Pacer:
    """At most one request per ``interval`` seconds per host (rate-limit friendly)."""

    def __init__(self, interval: float):
        self.interval, self.last, self.lock = interval, {}, threading.Lock()

    def wait(self, url: str) -> None:
        if self.interval <= 0:
            return
        host = urlsplit(url).netloc
        with self.lock:
            gap = self.last.get(host, 0.0) + self.interval - time.monotonic()
            if gap > 0:
                time.sleep(gap)
            self.last[host] = time.monotonic()


class DownloadCache:
    """The cache folder and the HTTP policy shared by every fetch client.

    Parameters
    ----------
    root : the cache folder (created when missing).
    offline : use only the cache; a miss raises :class:`OfflineError`.
    retries : how many times a request is tried again after a dropped connection, a timeout, 429 or
        5xx (so ``retries + 1`` attempts in all).
    backoff, max_wait : wait ``backoff * 2**attempt`` seconds between attempts (or ``Retry-After``),
        never more than ``max_wait``.
    min_interval : seconds between two requests to the same host.
    transport : the underlying ``httpx`` transport (tests; default a real one).
    """

    def __init__(self, root: str | Path, offline: bool = False, retries: int = 4, backoff: float = 0.5,
                 max_wait: float = 30.0, min_interval: float = 0.0, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None):
        self.root = Path(root)
        (self.root / "files").mkdir(parents=True, exist_ok=True)
        (self.root / "http").mkdir(parents=True, exist_ok=True)
        self.offline, self.retries, self.backoff, self.max_wait = offline, retries, backoff, max_wait
        self.timeout = timeout
        self.pacer = _Pacer(min_interval)
        self._inner = transport or httpx.HTTPTransport()
        # seconds: time spent waiting on the network (requests, transfers, back-off), for build timings
        self.stats = {"requests": 0, "cache_hits": 0, "bytes": 0, "resumed": 0, "retries": 0, "seconds": 0.0}

    # ------------------------------------------------------------------ policy shared by both ways
    def wait(self, attempt: int, response: httpx.Response | None = None) -> None:
        default = self.backoff * 2 ** attempt
        ra = response.headers.get("Retry-After") if response is not None else None
        self.stats["retries"] += 1
        time.sleep(min(retry_after_seconds(ra, default), self.max_wait))

    def client(self) -> httpx.Client:
        """A plain client on the underlying transport (file downloads stream through it)."""
        return httpx.Client(transport=self._inner, timeout=self.timeout, follow_redirects=True,
                            headers={"User-Agent": USER_AGENT})

    def transport(self) -> "CachingTransport":
        """An ``httpx`` transport that answers repeated API requests from the cache."""
        return CachingTransport(self)

    # ------------------------------------------------------------------ files
    def path_for(self, url: str, name: str | None = None) -> Path:
        return self.root / "files" / (name or _safe_name(url))

    def cached(self, url: str, name: str | None = None) -> Path | None:
        """The cached file of ``url`` when present and its checksum still matches, else None."""
        dest = self.path_for(url, name)
        meta = dest.with_name(dest.name + ".meta.json")
        if not (dest.is_file() and meta.is_file()):
            return None
        info = json.loads(meta.read_text())
        if info.get("url") != url or info.get("size") != dest.stat().st_size or info.get("sha256") != sha256_file(dest):
            return None
        return dest

    def download(self, url: str, name: str | None = None, sha256: str | None = None,
                 progress: Callable[[int, int | None], None] | None = None) -> Path:
        """Fetch ``url`` into the cache (or take it from there) and return the local path.

        ``sha256`` (when known) must match the finished file, else the download is discarded and
        an :class:`InputError` raised. ``progress(done_bytes, total_bytes_or_None)`` is called as
        bytes arrive.
        """
        hit = self.cached(url, name)
        if hit is not None:
            self.stats["cache_hits"] += 1
            if sha256 and sha256_file(hit) != sha256:
                raise InputError(url, f"the cached file {hit} does not have the expected sha256 {sha256}")
            return hit
        if self.offline:
            raise OfflineError(url, self.root)
        dest = self.path_for(url, name)
        part = dest.with_name(dest.name + ".part")
        last = ""
        t0 = time.perf_counter()
        with self.client() as http:
            for attempt in range(self.retries + 1):
                have = part.stat().st_size if part.exists() else 0
                headers = {"Range": f"bytes={have}-"} if have else {}
                self.pacer.wait(url)
                self.stats["requests"] += 1
                try:
                    with http.stream("GET", url, headers=headers) as r:
                        if r.status_code == 416:          # the part is already whole (or stale): restart
                            part.unlink(missing_ok=True)
                            last = "HTTP 416"
                            continue
                        if r.status_code in _RETRY_STATUS:
                            last = f"HTTP {r.status_code}"
                            if attempt < self.retries:
                                self.wait(attempt, r)
                            continue
                        if r.status_code >= 400:
                            raise InputError(url, f"HTTP {r.status_code}: {r.read()[:200]!r}")
                        total = self._total(r, have)
                        mode = "ab" if r.status_code == 206 and have else "wb"
                        done = have if mode == "ab" else 0
                        self.stats["resumed"] += mode == "ab"
                        with open(part, mode) as fh:
                            for chunk in r.iter_raw(1 << 16):   # raw bytes (ranges count them); small chunks keep what arrived
                                fh.write(chunk)
                                done += len(chunk)
                                self.stats["bytes"] += len(chunk)
                                if progress:
                                    progress(done, total)
                    if total is not None and part.stat().st_size != total:
                        last = f"incomplete: {part.stat().st_size} of {total} bytes"
                        continue
                    break
                except (httpx.TimeoutException, httpx.TransportError) as exc:
                    # a dropped connection keeps what arrived: the next attempt resumes from there
                    last = f"{type(exc).__name__}: {exc}"
                    if attempt < self.retries:
                        self.wait(attempt)
            else:
                raise InputError(url, f"download failed after {self.retries + 1} attempts; last: {last} "
                                      f"(the part is kept in {part} and resumed next time)")
        self.stats["seconds"] += time.perf_counter() - t0
        digest = sha256_file(part)
        if sha256 and digest != sha256:
            part.unlink()
            raise InputError(url, f"sha256 {digest} of the download is not the expected {sha256}")
        part.replace(dest)
        dest.with_name(dest.name + ".meta.json").write_text(json.dumps(
            {"url": url, "sha256": digest, "size": dest.stat().st_size, "fetched_at": time.time()}))
        return dest

    @staticmethod
    def _total(r: httpx.Response, have: int) -> int | None:
        """The full size of the file from Content-Range (resumed) or Content-Length."""
        cr = r.headers.get("Content-Range", "")
        m = re.match(r"bytes \d+-\d+/(\d+)", cr)
        if m:
            return int(m.group(1))
        cl = r.headers.get("Content-Length")
        return int(cl) if cl is not None and r.status_code == 200 else None


class CachingTransport(httpx.BaseTransport):
    """An ``httpx`` transport that stores every successful GET and answers it from the cache again.

    Answers ``429`` and ``503`` by waiting ``Retry-After`` (bounded) and asking again itself, at most
    ``cache.retries`` times; what is still failing then is returned to the client, whose own retry
    policy (e.g. :class:`~veerkracht.sources.cbs_odata.ODataClient`'s) decides.
    """

    def __init__(self, cache: DownloadCache):
        self.cache = cache

    def _paths(self, url: str) -> tuple[Path, Path]:
        key = hashlib.sha256(url.encode()).hexdigest()
        folder = self.cache.root / "http" / key[:2]
        return folder / f"{key}.body", folder / f"{key}.json"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if request.method != "GET":
            return self.cache._inner.handle_request(request)
        body_path, meta_path = self._paths(url)
        if body_path.is_file() and meta_path.is_file():
            meta = json.loads(meta_path.read_text())
            body = body_path.read_bytes()
            if hashlib.sha256(body).hexdigest() == meta.get("sha256"):
                self.cache.stats["cache_hits"] += 1
                return httpx.Response(200, headers={"Content-Type": meta.get("content_type", "")},
                                      content=body, request=request)
        if self.cache.offline:
            raise OfflineError(url, self.cache.root)
        t0 = time.perf_counter()
        try:
            return self._fetch(request, url, body_path, meta_path)
        finally:
            self.cache.stats["seconds"] += time.perf_counter() - t0

    def _fetch(self, request: httpx.Request, url: str, body_path: Path, meta_path: Path) -> httpx.Response:
        for attempt in range(self.cache.retries + 1):
            self.cache.pacer.wait(url)
            self.cache.stats["requests"] += 1
            response = self.cache._inner.handle_request(request)
            if response.status_code not in (429, 503) or attempt == self.cache.retries:
                break
            response.read()
            response.close()
            self.cache.wait(attempt, response)
        body = response.read()
        response.close()
        if response.status_code == 200:
            body_path.parent.mkdir(parents=True, exist_ok=True)
            body_path.write_bytes(body)
            meta_path.write_text(json.dumps({"url": url, "sha256": hashlib.sha256(body).hexdigest(),
                                             "content_type": response.headers.get("Content-Type", ""),
                                             "fetched_at": time.time()}))
            self.cache.stats["bytes"] += len(body)
        headers = {k: v for k, v in response.headers.items()
                   if k.lower() not in ("content-encoding", "transfer-encoding", "content-length")}
        return httpx.Response(response.status_code, headers=headers, content=body, request=request)

    def close(self) -> None:  # the cache owns the inner transport
        pass
