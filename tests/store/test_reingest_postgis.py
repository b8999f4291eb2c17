"""The re-ingest tests of ``test_reingest.py`` (replace, history, restore, stale derived facts, code checks)
run unchanged on a PostGIS store: each test function is called with a fresh PostgreSQL database."""
from __future__ import annotations

import inspect

import pytest

from tests.store import test_reingest as on_duckdb
from veerkracht.indicators import registry_frame
from veerkracht.store import open_store

pytestmark = pytest.mark.postgis

CASES = [f for n, f in inspect.getmembers(on_duckdb, inspect.isfunction) if n.startswith("test_")]


@pytest.mark.parametrize("case", CASES, ids=[f.__name__ for f in CASES])
def test_reingest_on_postgis(case, pg_url, real_data, tmp_path):
    from veerkracht.demo import DATA_DIR

    store = open_store(pg_url)
    store.register_indicators(registry_frame())
    given = {"mem_store": store, "real_data": real_data, "tmp_path": tmp_path, "demo_data": DATA_DIR}
    try:
        case(**{name: given[name] for name in inspect.signature(case).parameters})
    finally:
        store.close()
