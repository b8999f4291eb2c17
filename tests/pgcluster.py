"""A private PostgreSQL 15 + PostGIS cluster for the tests: initdb in a temporary folder, listening on
127.0.0.1 only (and a unix socket in that folder), stopped by the postmaster's PID.

PostgreSQL refuses to run as root: when the tests run as root, ``initdb`` and ``pg_ctl`` run as the
``postgres`` OS user (``runuser -u postgres``; the Debian package creates that user) in a folder
chowned to it; otherwise as the current user. Authentication is ``trust`` — only loopback and a socket
in a private folder can reach it. fsync is off: a test cluster is thrown away.
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["PGCluster", "PG_BIN"]

PG_BIN = Path(os.environ.get("VEERKRACHT_PG_BIN", "/usr/lib/postgresql/15/bin"))
TEMPLATE = "vk_template"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PGCluster:
    """One running cluster; :meth:`new_database` gives each test a fresh database with PostGIS."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="vk-pg-"))
        self.data, self.sock, self.log = self.root / "data", self.root / "sock", self.root / "server.log"
        self.port = _free_port()
        self.pid: int | None = None
        self._n = 0
        self._as = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
            self.sock.mkdir()
            for p in (self.root, self.sock):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        else:
            self.sock.mkdir()

    def _run(self, *cmd: str) -> None:
        res = subprocess.run(self._as + list(cmd), capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"PostgreSQL test cluster: {' '.join(cmd[:2])} failed ({res.returncode}):\n"
                               f"{res.stdout}\n{res.stderr}\n{log}")

    def start(self) -> "PGCluster":
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(f"no PostgreSQL server binaries in {PG_BIN} (apt-get install postgresql-15)")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sock} -c fsync=off "
                "-c full_page_writes=off -c synchronous_commit=off -c max_connections=200")
        self._run(str(PG_BIN / "pg_ctl"), "start", "-D", str(self.data), "-w", "-t", "60", "-l", str(self.log),
                  "-o", opts)
        self.pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
        self.admin(f"CREATE DATABASE {TEMPLATE}")
        self.admin("CREATE EXTENSION postgis", db=TEMPLATE)
        return self

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def admin(self, statement: str, db: str = "postgres") -> list:
        import psycopg

        with psycopg.connect(self.url(db), autocommit=True) as con:
            cur = con.execute(statement)
            return cur.fetchall() if cur.description else []

    def new_database(self) -> str:
        """A fresh database with PostGIS (a copy of the template); returns its URL."""
        self._n += 1
        name = f"vk_test_{self._n}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def stop(self) -> None:
        """Fast shutdown by PID (SIGINT to the postmaster), SIGKILL after 30 s; the folder is removed."""
        if self.pid is not None:
            with_kill = True
            try:
                os.kill(self.pid, signal.SIGINT)
                for _ in range(300):
                    os.kill(self.pid, 0)
                    time.sleep(0.1)
            except ProcessLookupError:
                with_kill = False
            if with_kill:
                os.kill(self.pid, signal.SIGKILL)
            self.pid = None
        shutil.rmtree(self.root, ignore_errors=True)
