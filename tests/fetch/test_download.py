"""The download cache against a loopback server process: resume, retries, 429, offline, checksums."""
from __future__ import annotations

import hashlib
import json
import time

import httpx
import pytest

from veerkracht.errors import InputError
from veerkracht.sources.download import DownloadCache, OfflineError, retry_after_seconds


def url(server, name):
    return f"{server['base']}/files/t/{name}"


def test_download_checksum_and_cache(public_server, tmp_path):
    cache = DownloadCache(tmp_path)
    seen = []
    p = cache.download(url(public_server, "plain.bin"), progress=lambda d, t: seen.append((d, t)))
    assert p.read_bytes() == public_server["blob"]
    meta = json.loads(p.with_name(p.name + ".meta.json").read_text())
    assert meta["sha256"] == hashlib.sha256(public_server["blob"]).hexdigest() and meta["size"] == 1 << 20
    assert seen[-1] == (1 << 20, 1 << 20)
    assert cache.download(url(public_server, "plain.bin")) == p
    assert cache.stats["requests"] == 1 and cache.stats["cache_hits"] == 1
    # a damaged cached file is not trusted: fetched again
    p.write_bytes(b"x" * (1 << 20))
    assert cache.download(url(public_server, "plain.bin")).read_bytes() == public_server["blob"]
    assert cache.stats["requests"] == 2


def test_dropped_connection_resumes_with_range(public_server, tmp_path):
    cache = DownloadCache(tmp_path, backoff=0.05)
    p = cache.download(url(public_server, "drop.bin"))
    assert p.read_bytes() == public_server["blob"]
    assert cache.stats["resumed"] == 1 and cache.stats["requests"] == 2
    assert cache.stats["bytes"] == 1 << 20          # the second request fetched only the missing half


def test_interrupted_part_on_disk_is_resumed(public_server, tmp_path):
    cache = DownloadCache(tmp_path)
    u = url(public_server, "part.bin")
    part = cache.path_for(u).with_name(cache.path_for(u).name + ".part")
    part.write_bytes(public_server["blob"][:300_000])
    p = cache.download(u, sha256=hashlib.sha256(public_server["blob"]).hexdigest())
    assert p.read_bytes() == public_server["blob"] and not part.exists()
    assert cache.stats["resumed"] == 1 and cache.stats["bytes"] == (1 << 20) - 300_000


def test_429_waits_retry_after(public_server, tmp_path):
    cache = DownloadCache(tmp_path, backoff=0.01)
    t0 = time.perf_counter()
    p = cache.download(url(public_server, "busy.bin"))
    assert time.perf_counter() - t0 >= 0.95          # Retry-After: 1, not the 0.01 s backoff
    assert p.read_bytes() == public_server["blob"] and cache.stats["retries"] == 1


def test_bounded_retries_then_a_clear_error(public_server, tmp_path):
    cache = DownloadCache(tmp_path, retries=2, backoff=0.01)
    with pytest.raises(InputError) as e:
        cache.download(url(public_server, "down.bin"))
    assert "after 3 attempts" in e.value.message and "HTTP 503" in e.value.message
    assert cache.stats["requests"] == 3
    with pytest.raises(InputError) as e:
        cache.download(url(public_server, "missing.bin"))
    assert "HTTP 404" in e.value.message


def test_offline_uses_only_the_cache(public_server, tmp_path):
    DownloadCache(tmp_path).download(url(public_server, "plain.bin"))
    off = DownloadCache(tmp_path, offline=True)
    assert off.download(url(public_server, "plain.bin")).read_bytes() == public_server["blob"]
    with pytest.raises(OfflineError) as e:
        off.download(url(public_server, "never.bin"))
    assert "--offline" in e.value.message and e.value.file.endswith("never.bin")
    assert off.stats["requests"] == 0


def test_caching_transport_answers_repeats_from_the_cache(public_server, tmp_path):
    cache = DownloadCache(tmp_path)
    u = f"{public_server['base']}/cbs/wijken-en-buurten-2023/ogc/v1/collections"
    with httpx.Client(transport=cache.transport()) as c:
        a = c.get(u, params={"f": "json"}).json()
        b = c.get(u, params={"f": "json"}).json()
    assert a == b and [x["id"] for x in a["collections"]] == ["buurten", "gemeenten", "wijken"]
    assert cache.stats["requests"] == 1 and cache.stats["cache_hits"] == 1
    with httpx.Client(transport=DownloadCache(tmp_path, offline=True).transport()) as c:
        assert c.get(u, params={"f": "json"}).json() == a
        with pytest.raises(OfflineError):
            c.get(u + "/buurten/items")


def test_retry_after_forms():
    assert retry_after_seconds("7", 1.0) == 7.0
    assert retry_after_seconds(None, 1.5) == 1.5
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", 2.0) == 0.0   # a date in the past
    assert retry_after_seconds("soon", 3.0) == 3.0
