"""A KWB edition published as .xls (2013–2019), downloaded from a loopback server and read."""
from __future__ import annotations

import pandas as pd

from tests.servers import process
from tests.sources.test_kwb_xls import UTRECHT, _rows, _write_xls
from veerkracht.sources import read
from veerkracht.sources.download import DownloadCache
from veerkracht.sources.fetch import fetch_kwb
from veerkracht.sources.public import Services


def test_kwb_download_xls(real_data, tmp_path):
    root = tmp_path / "root"
    (root / "files" / "kwb").mkdir(parents=True)
    _write_xls(_rows(real_data / UTRECHT), root / "files" / "kwb" / "kwb-2023.xls")
    proc, base = process.start(root)
    try:
        svc = Services.loopback(base, kwb_extension="xls")
        batch = fetch_kwb(2023, DownloadCache(tmp_path / "cache"), svc, via="download")
    finally:
        process.stop(proc)
    assert batch.provenance.location == f"{base}/files/kwb/kwb-2023.xls"
    pd.testing.assert_frame_equal(batch.facts, read("cbs-kwb", real_data / UTRECHT).facts)
    assert Services().kwb_file(2017).endswith("/_exel/kwb-2017.xls")      # the published address
