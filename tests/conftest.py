from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: real public data the tests read, copied into the repository with its attribution (tests/data/real/SOURCES.md)
REAL_DATA = ROOT / "tests" / "data" / "real"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def real_data() -> Path:
    assert REAL_DATA.is_dir(), f"test data not found at {REAL_DATA}"
    return REAL_DATA


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def mem_store():
    from veerkracht.indicators import registry_frame
    from veerkracht.store import open_store

    store = open_store(":memory:")
    store.register_indicators(registry_frame())
    yield store
    store.close()


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory):
    """The bundled demo store (Amsterdam and the country), built once per session; read only."""
    from veerkracht.demo import build_demo_store
    from veerkracht.store import open_store

    path = tmp_path_factory.mktemp("demostore") / "demo.duckdb"
    store = open_store(str(path))
    build_demo_store(store)
    yield store
    store.close()


@pytest.fixture(scope="session")
def pg_cluster():
    """A private PostgreSQL 15 + PostGIS cluster on 127.0.0.1 (tests/pgcluster.py), stopped by PID."""
    from tests.pgcluster import PGCluster

    cluster = PGCluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster):
    """The URL of a fresh database with PostGIS in the test cluster, dropped afterwards."""
    url = pg_cluster.new_database()
    yield url
    pg_cluster.drop_database(url)
