from __future__ import annotations

import pytest

from .world import build_world


@pytest.fixture(scope="session")
def world(tmp_path_factory, real_data):
    """The planted Amsterdam grid world in an in-memory store (built once: ~24k cells)."""
    from veerkracht.indicators import registry_frame
    from veerkracht.store import open_store
    store = open_store(":memory:")
    store.register_indicators(registry_frame())
    w = build_world(store, real_data, tmp_path_factory.mktemp("world"))
    yield store, w
    store.close()
