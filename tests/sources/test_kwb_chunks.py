"""A KWB CSV read in pieces gives the same facts and areas as in one piece, and the same errors."""
from __future__ import annotations

import pandas as pd
import pytest

from veerkracht.errors import InputError
from veerkracht.sources import _kwb_chunks, read

U = "kwb_utrecht_gemeente/kwb_2023_gemeente_utrecht.csv"
G = "kwb_gemeente_2020_2025/kwb_gemeente_woningvoorraad_2020_2025.csv"


def _plain(df):
    """Plain columns, in a stable order (pieces give the facts in another order)."""
    df = pd.DataFrame(df).drop(columns="geometry", errors="ignore")
    df = df.astype({c: "str" for c in df.select_dtypes("category").columns})
    key = [c for c in ("geo_version", "code", "year", "indicator") if c in df]
    return df.sort_values(key).reset_index(drop=True)


@pytest.fixture
def small_pieces(monkeypatch):
    monkeypatch.setattr(_kwb_chunks, "CHUNK_BYTES", 4000)     # a few dozen rows per piece


@pytest.mark.parametrize("name", [U, G])
def test_pieces_equal_one_read(real_data, monkeypatch, name):
    whole = read("cbs-kwb", real_data / name)
    monkeypatch.setattr(_kwb_chunks, "CHUNK_BYTES", 4000)
    assert len(list(_kwb_chunks.csv_pieces((real_data / name).read_bytes()))) > 5
    pieces = read("cbs-kwb", real_data / name)
    pd.testing.assert_frame_equal(_plain(pieces.facts), _plain(whole.facts))
    pd.testing.assert_frame_equal(_plain(pieces.areas), _plain(whole.areas))
    assert pieces.warnings == whole.warnings


def _edit(real_data, tmp_path, name, fn):
    lines = (real_data / name).read_text().splitlines()
    fn(lines)
    p = tmp_path / name.split("/")[-1]
    p.write_text("\n".join(lines) + "\n")
    return p


def test_errors_in_later_pieces_name_the_file_row(real_data, tmp_path, small_pieces):
    p = _edit(real_data, tmp_path, G, lambda ls: ls.__setitem__(1500, ls[1500].replace(",Gemeente,", ",Gemeente,-")))
    with pytest.raises(InputError) as e:
        read("cbs-kwb", p)
    assert (e.value.row, e.value.column) == (1501, "a_woning") and "negative count" in e.value.message
    # a code twice in one year, the second copy pieces later
    p = _edit(real_data, tmp_path, G, lambda ls: ls.append(ls[1]))
    with pytest.raises(InputError) as e:
        read("cbs-kwb", p)
    assert e.value.row == 2080 and "duplicate year=2020, code=GM0003 (first seen on row 2)" in e.value.message


def test_unit_jump_across_pieces(real_data, tmp_path, small_pieces):
    def euro_to_k(ls):
        head = ls[0].split(",")
        wi = head.index("g_wozbag")
        for i in range(1, len(ls)):
            cells = ls[i].split(",")
            if cells[0] in ("2020", "2021", "2022"):
                cells[wi] = str(int(cells[wi]) // 1000)
                ls[i] = ",".join(cells)
    with pytest.raises(InputError) as e:
        read("cbs-kwb", _edit(real_data, tmp_path, G, euro_to_k))
    assert e.value.column == "g_wozbag" and "change of unit" in e.value.message and e.value.row == 1054
