"""Start a loopback server as its own process, read its address, stop it by its PID."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

__all__ = ["start", "stop"]

ROOT = Path(__file__).resolve().parents[2]


def start(root: Path, module: str = "tests.servers.public_data") -> tuple[subprocess.Popen, str]:
    """Run ``python -m <module> <root>`` on 127.0.0.1; returns the process and its base URL."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    proc = subprocess.Popen([sys.executable, "-m", module, str(root)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, text=True)
    base = proc.stdout.readline().strip()
    if not base.startswith("http://127.0.0.1:"):
        proc.kill()
        raise RuntimeError(f"server did not start: {base!r}")
    return proc, base


def stop(proc: subprocess.Popen) -> None:
    """Stop the server by its PID (SIGTERM, then SIGKILL)."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc.stdout:
        proc.stdout.close()
