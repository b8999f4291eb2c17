"""Ingest on PostGIS with real processes: a SIGKILL in the middle leaves the database as it was, and two
ingests of the same file at once load it once (writers are serialised by an advisory lock)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from veerkracht.store import open_store

pytestmark = pytest.mark.postgis

KWB = "kwb_utrecht_gemeente/kwb_2023_gemeente_utrecht.csv"


def _ingest(url: str, path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "veerkracht.cli", "--store", url, "ingest", "cbs-kwb", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})


def _counts(url: str) -> tuple[int, int, int]:
    s = open_store(url, read_only=True)
    try:
        return len(s.facts()), len(s.areas(geometry=False)), len(s.provenance())
    finally:
        s.close()


def test_sigkill_in_the_middle_of_an_ingest_leaves_nothing(pg_url, real_data, tmp_path):
    marker = tmp_path / "paused"
    proc = _ingest(pg_url, real_data / KWB, {"VEERKRACHT_TEST_PAUSE_IN_INGEST": str(marker)})
    for _ in range(600):
        if marker.exists() and marker.read_text():
            break
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.1)
    assert int(marker.read_text()) == proc.pid                  # paused with provenance and areas written
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert _counts(pg_url) == (0, 0, 0)
    done = _ingest(pg_url, real_data / KWB)                      # the lock died with the killed session
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    assert _counts(pg_url) == (1098, 122, 1)


def test_two_ingests_at_once_load_the_file_once(pg_url, real_data):
    procs = [_ingest(pg_url, real_data / KWB) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e for _, e in outs]
    said = [o + e for o, e in outs]
    assert sum("already loaded" in s for s in said) == 1
    assert _counts(pg_url) == (1098, 122, 1)
