"""The CBS OData reader against a loopback server answering in CBS's v3 and v4 formats."""
from __future__ import annotations

import hashlib
import json
import shutil

import pandas as pd
import pytest

from tests.servers.cbs_odata import DATA, CbsODataServer
from veerkracht.errors import InputError
from veerkracht.sources import read

V3 = "/ODataFeed/odata/85618NED"
V4 = "/odata/v1/CBS/86165NED"
FAST = dict(backoff=0.01, retries=3)


@pytest.fixture
def server():
    srv = CbsODataServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def tmp_server(tmp_path):
    """A server over a private copy of the answers, for corrupted variants."""
    root = tmp_path / "cbs_odata"
    shutil.copytree(DATA, root)
    srv = CbsODataServer(root).start()
    yield srv, root
    srv.stop()


def _fact(facts, code, indicator):
    sel = facts[(facts["code"] == code) & (facts["indicator"] == indicator)]
    assert len(sel) == 1
    return sel.iloc[0]


def _served(srv, *names) -> bytes:
    return b"".join((DATA / n).read_text(encoding="utf-8").replace("{base}", srv.base).encode() for n in names)


def test_v3_pages_retry_progress_and_checksum(server):
    server.faults[(f"{V3}/TypedDataSet", 3)] = [503]
    calls = []
    b = read("cbs-odata", "cbs:85618NED", base_url=server.base, progress=lambda d, t: calls.append((d, t)), **FAST)
    # three pages, the second answered 503 once and fetched again
    pages = [r for r in server.requests if "/TypedDataSet" in r]
    assert len(pages) == 4 and sum("$skip=3" in r for r in pages) == 2 and sum("$skip=6" in r for r in pages) == 1
    assert calls == [(3, None), (6, None), (7, None)]
    raw = _served(server, "v3/85618NED/DataProperties.json", "v3/85618NED/WijkenEnBuurten.json",
                  "v3/85618NED/TypedDataSet.json", "v3/85618NED/TypedDataSet.skip3.json",
                  "v3/85618NED/TypedDataSet.skip6.json")
    assert b.provenance.checksum == hashlib.sha256(raw).hexdigest()
    assert b.provenance.kind == "cbs-odata" and b.provenance.vintage == "CBS 85618NED (OData v3)"
    a = b.areas.set_index("code")
    assert list(a.index) == ["NL01", "GM0344", "WK034401", "BU03440111", "BU03440112", "BU03440113", "BU03440911"]
    assert a.loc["NL01", "level"] == "country" and a.loc["BU03440113", "name"] == "Halve Maan-Zuid"
    assert set(b.facts["year"]) == {2023} and set(b.facts["geo_version"]) == {"cbs2023"}


def test_v3_equals_the_published_file(server, real_data):
    """The fixture carries the KWB 2023 figures: API and file reader must give identical facts."""
    api = read("cbs-odata", f"{server.base}{V3}/TypedDataSet", **FAST).facts
    codes = ["GM0344", "WK034401", "BU03440111", "BU03440112", "BU03440113", "BU03440911"]
    f = read("cbs-kwb", real_data / "kwb_utrecht_gemeente" / "kwb_2023_gemeente_utrecht.csv").facts
    key = ["code", "indicator"]
    f = f[f["code"].isin(codes)].sort_values(key).reset_index(drop=True)
    api = api[api["code"].isin(codes)].sort_values(key).reset_index(drop=True)
    plain = {c: "str" for c in f.select_dtypes("category").columns}    # categories differ with the rows
    pd.testing.assert_frame_equal(api.astype(plain), f.astype(plain))
    corp = _fact(api, "GM0344", "corp_share")
    assert (corp["value"], corp["denominator"], corp["flags"]) == (31, 165400, "num_from_pct")
    # null in the answer is StatLine's '.', never 0
    li = _fact(api, "GM0344", "low_income")
    assert pd.isna(li["value"]) and li["flags"] == "cbs_marker:."
    assert pd.isna(_fact(api, "BU03440911", "bijstand")["value"])


def test_v4_pages_timeout_retry_and_attributes(server):
    server.faults[(f"{V4}/Observations", 12)] = ["slow"]
    server.slow_seconds = 1.5
    calls = []
    b = read("cbs-odata", "cbs:86165NED", api="v4", base_url=server.base, timeout=0.5,
             progress=lambda d, t: calls.append(d), **FAST)
    assert sum("$skip=12" in r for r in server.requests) == 2       # timed out once, then answered
    assert calls == [12, 27]
    f = b.facts
    assert set(f["year"]) == {2025} and set(f["geo_version"]) == {"cbs2025"}
    corp = _fact(f, "GM0344", "corp_share")
    assert (corp["value"], corp["denominator"]) == (31, 168736)
    assert corp["numerator"] == pytest.approx(0.31 * 168736)
    assert _fact(f, "GM0344", "woz")["value"] == 490
    assert _fact(f, "GM0344", "residents")["value"] == 376757
    assert _fact(f, "GM0344", "social_minimum")["value"] == 6.1
    imp = _fact(f, "BU03440911", "corp_share")
    assert pd.isna(imp["value"]) and imp["flags"] == "cbs_attr:Impossible,cbs_marker:."
    assert "bijstand" not in set(f["indicator"])       # not in this table
    assert b.areas.set_index("code").loc["BU03440911", "name"] == "Bedrijventerrein De Wetering"
    assert len(b.areas) == 3


def test_url_locations_pick_the_api(server):
    v3 = read("cbs-odata", f"{server.base}/ODataApi/odata/85618NED", **FAST)
    v4 = read("cbs-odata", f"{server.base}{V4}/Observations", **FAST)
    assert v3.provenance.options["api"] == "v3" and v4.provenance.options["api"] == "v4"
    assert len(v3.facts) == 7 * 9 and len(v4.facts) == 3 * 8


def test_retries_are_bounded(server):
    server.faults[(f"{V3}/TypedDataSet", 0)] = [503] * 10
    with pytest.raises(InputError) as e:
        read("cbs-odata", "cbs:85618NED", base_url=server.base, backoff=0.01, retries=2)
    assert "3 attempts" in e.value.message and "HTTP 503" in e.value.message
    assert sum(r.startswith(f"{V3}/TypedDataSet") for r in server.requests) == 3


def test_unknown_table_is_not_retried(server):
    with pytest.raises(InputError) as e:
        read("cbs-odata", "cbs:99999NED", base_url=server.base, **FAST)
    assert "HTTP 404" in e.value.message
    assert len(server.requests) == 1


def test_bad_locations():
    with pytest.raises(InputError, match="cbs:<table id>"):
        read("cbs-odata", "85618NED")
    with pytest.raises(InputError, match="not a CBS table id"):
        read("cbs-odata", "cbs:kwb2023")


def _edit(root, name, fn):
    p = root / name
    doc = json.loads(p.read_text(encoding="utf-8"))
    fn(doc)
    p.write_text(json.dumps(doc), encoding="utf-8")


def test_wrong_unit_is_skipped_and_year_needed_for_unknown_table(tmp_server):
    srv, root = tmp_server
    shutil.copytree(root / "v3" / "85618NED", root / "v3" / "12345NED")
    def unit(doc):
        next(p for p in doc["value"] if p["Key"] == "InBezitWoningcorporatie_43")["Unit"] = "aantal"
    _edit(root, "v3/12345NED/DataProperties.json", unit)
    for f in (root / "v3" / "12345NED").glob("TypedDataSet*.json"):
        f.write_text(f.read_text(encoding="utf-8").replace("85618NED", "12345NED"), encoding="utf-8")
    with pytest.raises(InputError, match="pass year="):
        read("cbs-odata", "cbs:12345NED", base_url=srv.base, **FAST)
    b = read("cbs-odata", "cbs:12345NED", base_url=srv.base, year=2023, **FAST)
    assert "corp_share" not in set(b.facts["indicator"])
    assert any("InBezitWoningcorporatie_43" in w and "'aantal'" in w for w in b.warnings)
    assert _fact(b.facts, "GM0344", "owner_occupied")["value"] == 44


def test_negative_count_names_record_and_key(tmp_server):
    srv, root = tmp_server
    _edit(root, "v3/85618NED/TypedDataSet.skip3.json",
          lambda doc: doc["value"][1].__setitem__("Woningvoorraad_35", -910))   # 5th record: BU03440111
    with pytest.raises(InputError) as e:
        read("cbs-odata", "cbs:85618NED", base_url=srv.base, **FAST)
    assert (e.value.row, e.value.column) == (5, "Woningvoorraad_35")


def test_ingest_twice_changes_nothing(server, mem_store):
    b = read("cbs-odata", "cbs:85618NED", base_url=server.base, **FAST)
    assert mem_store.ingest(b)["skipped"] is False
    again = read("cbs-odata", "cbs:85618NED", base_url=server.base, **FAST)
    assert again.provenance.checksum == b.provenance.checksum
    assert mem_store.ingest(again)["skipped"] is True
    got = mem_store.facts("bijstand", codes=["WK034401"])
    assert got["numerator"].tolist() == [710.0] and got["value"].iloc[0] == pytest.approx(710 / 29040 * 1000)
