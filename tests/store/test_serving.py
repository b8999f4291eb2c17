"""Updating a served store (issue 11 item 7, decision 0007), with real processes.

``veerkracht serve`` runs on a copy of the demo store while ``veerkracht ingest`` loads a real KWB
file into it from a second process: the ingest succeeds, the server answers throughout with either
the old or the new state (never an error, never a mix), and shows the new facts afterwards. A
second writer waits (``--wait``) or fails at once, before it parses its file.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest

from ..web.conftest import free_port, stop_server
from ..web.stores import build_demo

UTRECHT_2024 = "kwb_utrecht_gemeente/kwb_2024_gemeente_utrecht.csv"
LAYER = "/api/values?version=cbs2024&level=gemeente&indicator=dwellings&year=2024"


@pytest.fixture(scope="module")
def built_demo(tmp_path_factory) -> Path:
    return build_demo(tmp_path_factory.mktemp("servedemo") / "demo.duckdb")


@pytest.fixture
def store_copy(built_demo, tmp_path) -> Path:
    dst = tmp_path / "served.duckdb"
    shutil.copyfile(built_demo, dst)
    return dst


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "veerkracht.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "COLUMNS": "200"})


def _serve(store: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """``veerkracht serve`` on a free loopback port, ready when /api/meta answers."""
    port = free_port()
    fh = open(log, "w")
    # one process: its switch to a new snapshot is one moment (with --workers N each worker switches on
    # its own, so for a second two requests may see either side; every answer stays whole)
    proc = subprocess.Popen([sys.executable, "-m", "veerkracht.cli", "serve", "--store", str(store), "--host",
                             "127.0.0.1", "--port", str(port), "--workers", "1"], stdout=fh, stderr=fh)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()}")
        try:
            if httpx.get(url + "/api/meta", timeout=5).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError("server did not start in 120 s")


class _Poller(threading.Thread):
    """GETs /api/meta and the layer in turn until stopped; records (time, path, status, body)."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.stop, self.seen = url, threading.Event(), []

    def run(self):
        with httpx.Client(base_url=self.url, timeout=60) as client:
            while not self.stop.is_set():
                for path in ("/api/meta", LAYER):
                    r = client.get(path)
                    self.seen.append((time.time(), path, r.status_code, r.content))


def _levels(meta: bytes, version: str) -> dict:
    return {lv["level"]: lv["n_areas"] for v in json.loads(meta)["versions"] if v["id"] == version
            for lv in v["levels"]}


def test_ingest_while_serving_shows_old_or_new_never_a_mix(store_copy, real_data, tmp_path):
    from veerkracht.store import open_store

    before = open_store(str(store_copy), read_only=True)
    old_dwellings = before.facts("dwellings", geo_version="cbs2024", codes=["GM0344"], years=[2024])
    before.close()
    assert len(old_dwellings) and old_dwellings["value"].notna().all()      # the demo holds Utrecht's 2024 count
    rows = pd.read_csv(real_data / UTRECHT_2024, dtype=str)
    assert rows.loc[rows["gwb_code_10"] == "GM0344", "a_woning"].tolist() == ["."]   # the file: not published

    proc, url = _serve(store_copy, tmp_path / "serve.log")
    try:
        old_meta, old_layer = httpx.get(url + "/api/meta").content, httpx.get(url + LAYER, timeout=60).content
        poller = _Poller(url)
        poller.start()
        t0 = time.time()
        res = _cli("--store", str(store_copy), "ingest", "cbs-kwb", str(real_data / UTRECHT_2024), "--replace")
        t1 = time.time()
        assert res.returncode == 0, res.stderr
        assert "loaded" in res.stdout and "122 areas" in res.stdout
        deadline = time.time() + 180           # the server loads the new snapshot in the background
        while time.time() < deadline and not any(p == "/api/meta" and b != old_meta for _, p, _, b in poller.seen):
            time.sleep(0.5)
        time.sleep(2)
        poller.stop.set()
        poller.join(120)
        new_meta, new_layer = httpx.get(url + "/api/meta").content, httpx.get(url + LAYER, timeout=60).content
    finally:
        stop_server(proc)

    seen = poller.seen
    assert [s for _, _, s, _ in seen if s != 200] == []
    during = [t for t, *_ in seen if t0 <= t <= t1]
    assert len(during) >= 4, "the server must answer while the ingest runs"
    for path, old, new in (("/api/meta", old_meta, new_meta), (LAYER, old_layer, new_layer)):
        states = ["old" if b == old else "new" if b == new else "other" for _, p, _, b in seen if p == path]
        assert "other" not in states                      # never a half-loaded or mixed answer
        assert states[0] == "old" and states[-1] == "new"
        assert "old" not in states[states.index("new"):]   # and never back to the old state
    assert old_meta != new_meta and old_layer != new_layer
    switch = min(t for t, p, _, b in seen if p == "/api/meta" and b == new_meta)
    print(f"ingest {t1 - t0:.1f} s, {len(during)} answers meanwhile (all 200), {len(seen)} in all; "
          f"new state served {switch - t1:.1f} s after the ingest ended")

    # the new facts: Utrecht's wijken and buurten in cbs2024, its dwelling count now missing
    recs = rows["recs"].value_counts()
    assert _levels(old_meta, "cbs2024") == {"gemeente": 342}
    assert _levels(new_meta, "cbs2024") == {"gemeente": 342, "wijk": int(recs["Wijk"]), "buurt": int(recs["Buurt"])}
    assert json.loads(old_layer)["areas"]["GM0344"][0] == old_dwellings["value"].iloc[0]
    gm = json.loads(new_layer)["areas"]["GM0344"]
    assert gm[0] is None and gm[2] == "missing"
    # a graceful stop removes the server's snapshots
    assert not Path(str(store_copy) + ".serving").exists()


def _hold(store: Path) -> subprocess.Popen:
    """A process that opens the store for writing and keeps it until a line arrives on its stdin."""
    code = ("import sys; from veerkracht.store import open_store; s = open_store(sys.argv[1]); "
            "print('held', flush=True); sys.stdin.readline(); s.close()")
    proc = subprocess.Popen([sys.executable, "-c", code, str(store)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def _release(holder: subprocess.Popen) -> None:
    assert holder.stdin is not None
    holder.stdin.write("\n")
    holder.stdin.close()
    assert holder.wait(60) == 0


def test_second_writer_fails_at_once_before_parsing(store_copy, tmp_path):
    bad = tmp_path / "broken.csv"
    bad.write_text("gwb_code_10,a_inw\nGM0344,12\x00\x00,,\n", encoding="utf-8")
    holder = _hold(store_copy)
    try:
        t = time.time()
        res = _cli("--store", str(store_copy), "ingest", "cbs-kwb", str(bad))
        took = time.time() - t
        reader = _cli("--store", str(store_copy), "areas")         # a reading command: the same
    finally:
        _release(holder)
    for r in (res, reader):
        assert r.returncode == 1
        err = " ".join(r.stderr.split())
        assert f"is in use by another process (PID {holder.pid})" in err and "--wait SECONDS" in err
    assert "broken.csv" not in " ".join(res.stderr.split())     # the lock is checked before the file is read
    assert took < 60


def _waiting_run(holder: subprocess.Popen, *args: str, line: str) -> tuple[int, str, str]:
    """Run the CLI while ``holder`` holds the store; release it once the CLI printed ``line``."""
    proc = subprocess.Popen([sys.executable, "-m", "veerkracht.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"})
    assert proc.stderr is not None and proc.stdout is not None
    err = []
    for text in proc.stderr:              # progress lines arrive about once a second while it waits
        err.append(text)
        if line in text:
            break
    _release(holder)
    out, rest = proc.communicate(timeout=300)
    return proc.returncode, out, " ".join(("".join(err) + rest).split())


def test_second_writer_waits_with_progress(store_copy, real_data):
    holder = _hold(store_copy)
    code, out, err = _waiting_run(holder, "--store", str(store_copy), "ingest", "cbs-kwb", str(real_data / UTRECHT_2024),
                                  "--replace", "--wait", "300", line=f"in gebruik door proces {holder.pid}; wachten")
    assert code == 0, err
    assert f"in gebruik door proces {holder.pid}; wachten" in err      # the progress line (Dutch by default)
    assert "loaded" in out and "122 areas" in out

    holder = _hold(store_copy)                      # the global --wait, for any command
    code, out, err = _waiting_run(holder, "--store", str(store_copy), "--wait", "300", "--lang", "en", "facts", "-i",
                                  "dwellings", "-a", "GM0344", "--geo-version", "cbs2024", "--format", "csv",
                                  line=f"in use by process {holder.pid}; waiting")
    assert code == 0, err
    assert f"in use by process {holder.pid}; waiting" in err
    assert "GM0344" in out and "2024" in out


def test_writer_publishes_only_for_a_live_server(tmp_path, real_data):
    from veerkracht.sources import read
    from veerkracht.store import open_store, serving

    path = tmp_path / "s.duckdb"
    open_store(str(path)).close()
    assert not serving.snapshot_dir(path).exists()           # nobody serves it: no copy
    folder = serving.snapshot_dir(path)
    folder.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (folder / f"server-{dead.stdout.strip()}").write_text("0")
    open_store(str(path)).close()
    assert serving.current_snapshot(path) is None and not list(folder.glob("server-*"))   # dead marker removed

    serving.register_server(path)                            # this process as the live server
    store = open_store(str(path))
    store.ingest(read("cbs-kwb", real_data / UTRECHT_2024))
    store.close()
    gen, snap = serving.current_snapshot(path)              # type: ignore[misc]
    copy, master = open_store(str(snap), read_only=True), open_store(str(path), read_only=True)
    assert len(copy.facts(geo_version="cbs2024")) == len(master.facts(geo_version="cbs2024")) == 1098
    copy.close()
    master.close()
    open_store(str(path)).close()                            # nothing changed: no new generation
    assert serving.current_snapshot(path)[0] == gen          # type: ignore[index]
    for _ in range(3):                                       # changes: new generations, two kept
        s = open_store(str(path))
        s.con.execute("INSERT INTO geo_versions VALUES (?, '')", [f"x{time.time_ns()}"])
        s.close()
    assert serving.current_snapshot(path)[0] == gen + 3      # type: ignore[index]
    assert sorted(f.name for f in folder.glob("gen-*")) == [f"gen-{gen + 2:06d}.duckdb", f"gen-{gen + 3:06d}.duckdb"]
    serving.unregister_server(path)
    assert not folder.exists()
