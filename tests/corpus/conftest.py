import pytest


@pytest.fixture
def odata_root(tmp_path):
    return tmp_path / "odata"
