"""Nothing lost on re-ingest: --replace, history with provenance, restore, stale derived facts, code checks."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

from veerkracht.errors import InputError
from veerkracht.sources import read
from veerkracht.store import ReplaceNeeded

KWB = "kwb_utrecht_gemeente/kwb_2023_gemeente_utrecht.csv"


def _corrected(real_data, tmp_path, name="kwb_2023_gemeente_utrecht.csv"):
    """A corrected edition: Utrecht's residents 367,947 → 368,000 (a_inw is the 8th column)."""
    lines = (real_data / KWB).read_text().splitlines()
    cells = lines[1].split(",")
    assert cells[7] == "367947"
    cells[7] = "368000"
    lines[1] = ",".join(cells)
    out = tmp_path / name
    out.write_text("\n".join(lines) + "\n")
    return out


def _residents(store):
    f = store.facts(indicator="residents", codes=["GM0344"])
    return f["value"].tolist()


def test_changed_facts_need_replace_and_are_kept_as_history(mem_store, real_data, tmp_path):
    first = mem_store.ingest(read("cbs-kwb", real_data / KWB))
    with pytest.raises(ReplaceNeeded) as e:
        mem_store.ingest(read("cbs-kwb", _corrected(real_data, tmp_path)))
    msg = str(e.value)
    assert "would change 2 fact(s)" in msg         # residents, and bijstand per 1,000 residents
    assert "residents GM0344 2023 (cbs2023, cbs-kwb): 367,947 → 368,000" in msg
    assert _residents(mem_store) == [367947.0]     # nothing written
    second = mem_store.ingest(read("cbs-kwb", _corrected(real_data, tmp_path)), replace=True)
    assert second["replaced"] == 2 and _residents(mem_store) == [368000.0]
    h = mem_store.history(indicator="residents", codes=["GM0344"])
    assert h[["value", "current", "provenance_id"]].values.tolist() == [
        [367947.0, False, first["provenance_id"]], [368000.0, True, second["provenance_id"]]]
    assert h["location"].iloc[0].endswith("kwb_2023_gemeente_utrecht.csv") and h["replaced_by"].iloc[0] == 2
    # the previous value restored
    res = mem_store.restore(second["provenance_id"])
    assert res["restored"] > 0 and res["removed"] == 0 and _residents(mem_store) == [367947.0]
    h = mem_store.history(indicator="residents", codes=["GM0344"])
    assert h[h["current"]]["provenance_id"].tolist() == [first["provenance_id"]]


def test_identical_reload_from_another_file_needs_no_replace(mem_store, real_data, tmp_path):
    mem_store.ingest(read("cbs-kwb", real_data / KWB))
    copy = tmp_path / "kwb_2023_gemeente_utrecht.csv"
    shutil.copy(real_data / KWB, copy)
    res = mem_store.ingest(read("cbs-kwb", copy, source="cbs-kwb"), force=True)
    assert res["replaced"] == 0 and _residents(mem_store) == [367947.0]


def test_restore_removes_facts_a_load_created(mem_store, real_data):
    res = mem_store.ingest(read("cbs-kwb", real_data / KWB))
    n = len(mem_store.facts())
    out = mem_store.restore(res["provenance_id"])
    assert out == {"restored": 0, "removed": n, "stale": 0, "provenance_id": out["provenance_id"]}
    assert mem_store.facts().empty
    with pytest.raises(Exception, match="holds no current facts"):
        mem_store.restore(res["provenance_id"])


def test_harmonised_facts_of_replaced_ones_are_flagged_stale(mem_store, real_data, tmp_path):
    mem_store.ingest(read("cbs-kwb", real_data / KWB))
    src = mem_store.facts(indicator="residents", codes=["GM0344"])
    harmonised = src.assign(geo_version="cbs2024", origin_version="cbs2023", flags="harmonised")
    other = harmonised.assign(indicator="households", origin_version="cbs2023")
    mem_store.write_facts(pd.concat([harmonised, other]))
    res = mem_store.ingest(read("cbs-kwb", _corrected(real_data, tmp_path)), replace=True)
    assert res["stale"] == 1 and any("flagged stale" in w for w in res["warnings"])
    h = mem_store.facts(geo_version="cbs2024").set_index("indicator")["flags"]
    assert h["residents"] == "harmonised,stale" and h["households"] == "harmonised"
    # recomputing (writing the harmonised fact again) clears the flag
    mem_store.write_facts(harmonised)
    assert mem_store.facts(geo_version="cbs2024", indicator="residents")["flags"].tolist() == ["harmonised"]


def _amsterdam_geometry(store, demo_data):
    for f, v in (("ams_buurten_cbs2019.geojson", "cbs2019"), ("ams_buurten_cbs2023.geojson", "cbs2023")):
        store.ingest(read("geometry", demo_data / f, geo_version=v, level="buurt", code_column="bu_code"))


@pytest.fixture(scope="module")
def demo_data():
    from veerkracht.demo import DATA_DIR
    return DATA_DIR


def _facts_for(codes, version):
    return pd.DataFrame({"geo_version": version, "code": codes, "year": 2023, "indicator": "residents",
                         "value": 100.0, "source": "test"})


def test_codes_of_another_version_are_an_error_naming_it(mem_store, demo_data):
    from veerkracht.store import Batch, Provenance
    _amsterdam_geometry(mem_store, demo_data)
    only_2023 = sorted(set(mem_store.areas(geo_version="cbs2023", geometry=False)["code"])
                       - set(mem_store.areas(geo_version="cbs2019", geometry=False)["code"]))
    assert len(only_2023) > 100
    batch = Batch(Provenance("test", "file-2023.csv", "x"), facts=_facts_for(only_2023, "cbs2019"))
    with pytest.raises(InputError) as e:
        mem_store.ingest(batch)
    assert e.value.file == "file-2023.csv" and e.value.column == "code"
    assert f"{len(only_2023)} of {len(only_2023)} area codes are not in geography version 'cbs2019'" in e.value.message
    assert "they fit geography version 'cbs2023'" in e.value.message and "--geo-version cbs2023" in e.value.message
    assert mem_store.facts().empty


def test_a_few_unknown_codes_are_a_warning_listing_them(mem_store, demo_data):
    from veerkracht.store import Batch, Provenance
    _amsterdam_geometry(mem_store, demo_data)
    known = sorted(mem_store.areas(geo_version="cbs2019", geometry=False)["code"])[:100]
    batch = Batch(Provenance("test", "f.csv", "y"), facts=_facts_for(known + ["BU03639998", "BU03639999"], "cbs2019"))
    res = mem_store.ingest(batch)
    assert res["warnings"] == ["2 code(s) not in geography version 'cbs2019', loaded without geometry and left "
                               "out of maps until their areas are loaded: BU03639998, BU03639999"]
    # another gemeente is not checked against Amsterdam's areas: no warning
    res = mem_store.ingest(Batch(Provenance("test", "g.csv", "z"), facts=_facts_for(["BU03440000"], "cbs2019")))
    assert res["warnings"] == []
