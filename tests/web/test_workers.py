"""``veerkracht serve --workers N``: real worker processes over one read-only store, stopped by PID.

The server runs as the CLI starts it, on 127.0.0.1. Checked: N worker processes under the
supervisor, every one answering (each burns CPU serving its share of fresh connections), the same
answers as the store holds, the settings reaching every worker (the ``Host`` allow-list), and a stop
by the supervisor's PID that ends every worker and removes the snapshots.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .conftest import free_port, stop_server


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _workers(pid: int) -> list[int]:
    """The supervisor's worker processes (multiprocessing's helpers left out)."""
    out = []
    for c in _children(pid):
        cmd = Path(f"/proc/{c}/cmdline").read_bytes().replace(b"\0", b" ")
        if b"resource_tracker" not in cmd and b"semaphore_tracker" not in cmd:
            out.append(c)
    return out


def test_serve_with_two_workers(web_store, read_store, tmp_path):
    # a copy of its own: the session's other servers of web_store keep their snapshots beside it
    import shutil
    own = tmp_path / "workers.duckdb"
    shutil.copy(web_store, own)
    web_store = own
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "veerkracht.cli", "serve", "--store", str(web_store),
                                 "--host", "127.0.0.1", "--port", str(port), "--workers", "2"], stdout=fh, stderr=fh)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(url + "/api/meta", timeout=5).status_code == 200 and len(_workers(proc.pid)) == 2:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        workers = _workers(proc.pid)
        assert len(workers) == 2, (workers, log.read_text())
        meta = httpx.get(url + "/api/meta").json()["default"]
        q = {k: meta[k] for k in ("version", "level", "indicator", "region", "year")}
        # every worker warm (each builds its own context), then fresh connections spread over both
        time.sleep(5)
        cpu0 = {w: _cpu(w) for w in workers}
        answers = []
        for i in range(120):
            with httpx.Client(base_url=url, timeout=60) as c:       # a new connection each time
                r = c.get("/api/values", params={**q, "k": 3 + i % 6, "lang": "en" if i % 2 else "nl"})
                assert r.status_code == 200
                answers.append(r.json())
        used = {w: _cpu(w) - cpu0[w] for w in workers}
        assert all(v > 0 for v in used.values()), used
        # the same values from every worker: one answer per view, equal to the store's facts
        facts = read_store.facts(meta["indicator"], geo_version=meta["version"], years=[meta["year"]])
        facts = facts[~facts["source"].str.contains(r"\+")].drop_duplicates("code").set_index("code")["value"]
        n_ok = 0
        for a in answers:
            for code, (value, _cls, status) in a["areas"].items():
                if status == "ok":
                    n_ok += 1
                    assert abs(value - facts[code]) <= 1e-6 * max(1.0, abs(facts[code])), (code, value, facts[code])
        assert n_ok > 100 * len(answers)
        # the same view (classes, language) answered alike, whichever worker took it
        same = [json.dumps(answers[i]["areas"], sort_keys=True) == json.dumps(answers[i + 12]["areas"], sort_keys=True)
                for i in range(len(answers) - 12)]
        assert all(same)
        # an analysis layer drawn by one worker is read by the other from the snapshot's shared folder
        typ = {"version": "cbs2019", "region": "GM0363", "level": "wijk", "indicator": "corp_share", "mode": "typology"}
        bodies = []
        for i in range(8):
            with httpx.Client(base_url=url, timeout=120) as c:
                bodies.append(c.get("/api/values", params={**typ, "k": 3 + i % 6}).json())
        assert bodies[0]["available"] and len(bodies[0]["rules"]) > 10
        assert all({**b, "params": None} == {**bodies[0], "params": None} for b in bodies)
        shared = list(Path(str(web_store) + ".serving").glob("*.layers/*.json"))
        assert shared, "no layer shared between the workers"
        # the workers got the server's settings: a foreign Host header is refused by every one
        for _ in range(6):
            with httpx.Client(timeout=30) as c:
                assert c.get(url + "/api/meta", headers={"Host": "evil.example"}).status_code == 400
    finally:
        stop_server(proc)
    assert proc.returncode is not None
    time.sleep(1)
    assert not [w for w in workers if Path(f"/proc/{w}").exists()]
    assert not Path(str(web_store) + ".serving").exists()


def test_change_and_analysis_views_are_built_once_whatever_the_classes(client):
    """``k``, ``scheme`` do not change a change or analysis view: it is built once per view and
    language (its answer equals a fresh build's, with the classes asked for echoed back)."""
    from veerkracht.maps.view import ViewParams, validate
    from veerkracht.web.views.maps import _payload

    c = client.app.state.web
    base = {"version": "cbs2019", "region": "GM0363", "level": "buurt", "indicator": "corp_share", "year": 2017}
    for mode, extra in (("change", {"year_from": 2005}), ("relative", {}), ("concentration", {"year_from": 2005}),
                        ("typology", {"level": "wijk"})):
        bodies = [client.get("/api/values", params={**base, **extra, "mode": mode, "k": k, "scheme": s}).json()
                  for k, s in ((3, "quantiles"), (7, "fisher_jenks"), (9, "equal_interval"))]
        for b, (k, s) in zip(bodies, ((3, "quantiles"), (7, "fisher_jenks"), (9, "equal_interval"))):
            assert b["params"]["k"] == k and b["params"]["scheme"] == s
        p, ind = validate(c.catalog, ViewParams(**{**base, **extra, "mode": mode}))
        fresh = json.loads(json.dumps(_payload(c, p, ind, "nl"), default=str))
        for b in bodies:
            assert {**b, "params": None} == {**fresh, "params": None}, mode
        assert len(bodies[0]["areas"]) > 90 and any(v[2] == "ok" for v in bodies[0]["areas"].values())
    memo = c.catalog.memo(("view_payloads",), lambda: None)
    assert memo is not None and 4 <= len(memo) <= memo.maxsize
