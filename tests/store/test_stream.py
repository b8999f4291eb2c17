"""Streaming ingest of a KWB csv: the same store as reading the whole file, or the ordinary path.

A clean file in a dozen pieces streamed into a store gives exactly the facts, areas and provenance
the ordinary read + ingest gives (conservation: 4 facts a row, one area per code and year); the same
file again is skipped; and every whole-file problem (a code twice across pieces, a unit jump between
years, fractions, WOZ in euros, facts already stored with other values) rolls the stream back and ends
exactly as the ordinary path ends: its error naming file, row and column, its conversion, or
``ReplaceNeeded``.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest

from veerkracht.errors import InputError
from veerkracht.indicators import registry_frame
from veerkracht.sources import _kwb_chunks, read
from veerkracht.sources.cbs_kwb import ingest_kwb
from veerkracht.store import open_store
from veerkracht.store._checks import ReplaceNeeded

HEADER = "gwb_code_10,regio,recs,year,a_inw,a_woning,p_wcorpw,a_soz_wb,g_wozbag\n"


def _rows(n=30, woz="{w}", years=(2020, 2021)):
    rows = []
    for year in years:
        for i in range(n):
            inw, won = 200 + 7 * i + year - 2020, 80 + 3 * i
            pct = "." if i == 2 else f"{(5 * i) % 95}.5"
            w = woz.format(w=150 + i)
            rows.append(f"BU0001{i:04d},Buurt {i},Buurt,{year},{inw},{won},{pct},{i % 9},{w}\n")
    return rows


def _file(tmp_path, rows, name="kwb.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "".join(rows))
    return path


def _store(tmp_path, name):
    s = open_store(tmp_path / f"{name}.duckdb")
    s.register_indicators(registry_frame())
    return s


def _content(store):
    prov = store.provenance().drop(columns=["id", "loaded_at"])
    return store.facts().reset_index(drop=True), store.areas(geometry=False).reset_index(drop=True), prov


@pytest.fixture
def pieces(monkeypatch):
    monkeypatch.setattr(_kwb_chunks, "CHUNK_BYTES", 600)      # about ten rows a piece


def test_stream_equals_whole_read(tmp_path, pieces):
    path = _file(tmp_path, _rows())
    streamed, whole = _store(tmp_path, "s"), _store(tmp_path, "w")
    res, batch = ingest_kwb(streamed, path)
    assert res["streamed"] and not res["skipped"]
    assert res["facts"] == 5 * 60 and res["areas"] == 60      # 5 measures a row; one area per code and year
    ref = whole.ingest(read("cbs-kwb", path))
    assert ref["facts"] == res["facts"] and ref["areas"] == res["areas"]
    for a, b in zip(_content(streamed), _content(whole)):
        pd.testing.assert_frame_equal(a, b)
    f = streamed.facts(indicator="corp_share", codes=["BU00010007"], years=[2021])
    assert f["value"].tolist() == [35.5] and f["numerator"].iloc[0] == pytest.approx(0.355 * 101)
    again, _ = ingest_kwb(streamed, path)
    assert again["skipped"] and len(streamed.facts()) == 300


def _same_error(tmp_path, path):
    with pytest.raises(InputError) as ref:
        read("cbs-kwb", path)
    store = _store(tmp_path, "e")
    with pytest.raises(InputError) as got:
        ingest_kwb(store, path)
    assert str(got.value) == str(ref.value) and got.value.row is not None
    assert len(store.facts()) == 0 and len(store.areas(geometry=False)) == 0 and store.provenance().empty
    return got.value


def test_code_twice_across_pieces_is_the_ordinary_error(tmp_path, pieces):
    rows = _rows()
    rows.append(rows[3])                     # BU00010003 of 2020 again, pieces later
    err = _same_error(tmp_path, _file(tmp_path, rows))
    assert "duplicate" in err.message and err.row == len(rows) + 1


def test_unit_jump_is_the_ordinary_error(tmp_path, pieces):
    def times_1000(row):        # a_inw of 2021 in another unit
        f = row.split(",")
        f[4] = str(int(f[4]) * 1000)
        return ",".join(f)
    rows = _rows(years=(2020,)) + [times_1000(r) for r in _rows(years=(2021,))]
    err = _same_error(tmp_path, _file(tmp_path, rows))
    assert "change of unit" in err.message


def test_fractions_are_the_ordinary_error(tmp_path, pieces):
    rows = [re.sub(r",(\d+)\.5,", lambda m: f",0.{int(m[1]):02d}5,", r) for r in _rows()]
    err = _same_error(tmp_path, _file(tmp_path, rows))
    assert "fractions" in err.message and err.column == "p_wcorpw"


def test_woz_in_euros_is_converted_as_ordinary(tmp_path, pieces):
    path = _file(tmp_path, _rows(woz="{w}000"))
    streamed, whole = _store(tmp_path, "s"), _store(tmp_path, "w")
    res, batch = ingest_kwb(streamed, path)
    assert not res.get("streamed") and any("woz_eur_to_k" in w for w in batch.warnings)
    whole.ingest(read("cbs-kwb", path))
    for a, b in zip(_content(streamed), _content(whole)):
        pd.testing.assert_frame_equal(a, b)
    assert streamed.facts(indicator="woz", codes=["BU00010004"], years=[2020])["value"].tolist() == [154.0]


def test_changed_facts_need_replace(tmp_path, pieces):
    store = _store(tmp_path, "r")
    ingest_kwb(store, _file(tmp_path, _rows(), "v1.csv"))
    rows = _rows()
    rows[5] = rows[5].replace(",Buurt,2020,235,", ",Buurt,2020,236,")
    with pytest.raises(ReplaceNeeded):
        ingest_kwb(store, _file(tmp_path, rows, "v2.csv"))
    res, _ = ingest_kwb(store, _file(tmp_path, rows, "v2.csv"), replace=True)
    assert res["replaced"] >= 1 and not res.get("streamed")
    assert store.facts(indicator="residents", codes=["BU00010005"], years=[2020])["value"].tolist() == [236.0]


def test_stream_runs_under_a_memory_limit_and_restores_it(tmp_path, pieces):
    """DuckDB's buffers are bounded while a stream is written (peak RSS, issue 11), and the store's
    limit is DuckDB's default again afterwards (a harmonise or spatial overlay is not starved)."""
    from veerkracht.store._stream import STREAM_MEMORY

    store = _store(tmp_path, "m")

    def limit() -> float:
        text = store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        num, unit = re.fullmatch(r"([\d.]+) (\w+)", text).groups()
        return float(num) * {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30}[unit]

    before, seen = limit(), []
    res, _ = ingest_kwb(store, _file(tmp_path, _rows()), then=lambda result: seen.append(limit()))
    assert res["streamed"] and STREAM_MEMORY == "512MB"
    assert seen and abs(seen[0] - 512e6) < 1e6               # 512 MB = 488.2 MiB, inside the stream
    assert limit() == pytest.approx(before, rel=0.01) and before > 1e9
