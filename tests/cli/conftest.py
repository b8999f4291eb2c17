from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_out(tmp_path_factory) -> Path:
    """``veerkracht demo --no-serve`` run once, as a user runs it (a real subprocess)."""
    out = tmp_path_factory.mktemp("demo")
    res = run_cli("demo", "--no-serve", "--out", str(out))
    assert res.returncode == 0, res.stderr
    return out


def run_cli(*args, store: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "veerkracht.cli"]
    if store is not None:
        cmd += ["--store", str(store)]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})
