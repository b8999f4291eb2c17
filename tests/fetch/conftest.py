"""A loopback server for the public services, run as its own process and stopped by its PID."""
from __future__ import annotations

import gzip
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.servers import process
from tests.servers.national import write_fixture

CBS_ODATA = Path(__file__).resolve().parents[1] / "data" / "cbs_odata"


def _layout(root: Path, real_data: Path) -> dict:
    """The server root: national geometry 2023, KWB 2023 (real OData answers) and the fault scripts."""
    truth = write_fixture(root, [2022, 2023], n_extra=3)
    # the real recorded OData answers of KWB 2023 (v3) and 2025 (v4)
    shutil.copytree(CBS_ODATA / "v3" / "85618NED", root / "odata" / "v3" / "85618NED")
    shutil.copytree(CBS_ODATA / "v4" / "86165NED", root / "odata" / "v4" / "86165NED")
    # a table whose measures CBS renamed: only the region columns are left
    changed = root / "odata" / "v3" / "85318NED"
    shutil.copytree(CBS_ODATA / "v3" / "85618NED", changed)
    props = json.loads((changed / "DataProperties.json").read_text())
    props["value"] = [p for p in props["value"] if p.get("Type") != "Topic" or p["Key"].endswith(("_1", "_2", "_3"))]
    (changed / "DataProperties.json").write_text(json.dumps(props))
    # a year in which PDOK renamed the buurten layer
    (root / "ogc" / "2021").mkdir()
    shutil.copy(root / "ogc" / "2023" / "buurten.geojson", root / "ogc" / "2021" / "buurten_v2.geojson")
    # files to download, with faults
    files = root / "files" / "t"
    files.mkdir(parents=True)
    blob = bytes(range(256)) * 4096          # 1 MiB
    for name in ("plain.bin", "drop.bin", "busy.bin", "down.bin", "part.bin"):
        (files / name).write_bytes(blob)
    # Leefbaarometer zip: the real PC4 scores of 2022 (Utrecht postcodes 3500–3599)
    lbm = root / "files" / "resources"
    lbm.mkdir(parents=True)
    lines = gzip.open(real_data / "leefbaarometer_pc4" / "leefbaarometer3_scores_pc4_2002_2022.csv.gz", "rt").read()
    rows = [r for r in lines.splitlines()[1:] if r.startswith("35") and ",2022," in r]
    with zipfile.ZipFile(lbm / "open-data-leefbaarometer-meting-2022.zip", "w") as z:
        z.writestr("Leefbaarometer-scores PC4 2022.csv", "PC4,jaar,lbm,afw,fys,onv,soc,vrz,won\n" + "\n".join(rows))
        z.writestr("LEESMIJ.txt", "Leefbaarometer 3.0")
    faults = {"/files/t/drop.bin": ["drop"], "/files/t/busy.bin": ["429:1"], "/files/t/down.bin": [503] * 20,
              "/cbs/wijken-en-buurten-2022/ogc/v1/collections/buurten/items": ["drop", 503],
              "/ODataFeed/odata/85618NED/TypedDataSet": ["drop"]}
    (root / "faults.json").write_text(json.dumps(faults))
    return {"truth": truth, "blob": blob, "lbm_rows": rows}


@pytest.fixture(scope="package")
def public_server(tmp_path_factory, real_data):
    root = tmp_path_factory.mktemp("public")
    info = _layout(root, real_data)
    proc, base = process.start(root)
    yield {"base": base, "root": root, "pid": proc.pid, **info}
    process.stop(proc)
