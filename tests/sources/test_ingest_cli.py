"""``veerkracht ingest``: options documented and validated per reader, plain messages, lock first, --replace."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.cli.conftest import run_cli
from veerkracht.sources import READERS, describe, read, reader_options
from veerkracht.sources._mapping import DEFINE_KEYS, ENTRY_KEYS, KEYS, MISSING_KEYS

KWB = "kwb_utrecht_gemeente/kwb_2023_gemeente_utrecht.csv"


def _kinds():
    from veerkracht.sources import _load_all  # noqa: F401
    return sorted(READERS)


@pytest.mark.parametrize("kind", _kinds())
def test_every_reader_option_is_documented_with_an_example(kind):
    text = describe(kind)
    assert "Examples" in text and f"veerkracht ingest {kind}" in text
    params = text.split("Parameters", 1)[1]
    for name in reader_options(kind):
        assert name in params, f"option {name} of {kind} is not documented"


def test_every_mapping_key_is_documented():
    text = describe("indicator-file")
    for key in KEYS | ENTRY_KEYS | DEFINE_KEYS | MISSING_KEYS:
        assert f"{key} =" in text or f"[{key}]" in text or f"[[{key}]]" in text, key


def test_unknown_option_lists_the_valid_ones(real_data):
    from veerkracht.errors import InputError
    with pytest.raises(InputError) as e:
        read("cbs-kwb", real_data / KWB, yaer=2023)
    assert "unknown option 'yaer' for reader cbs-kwb; valid options: allow_unterminated, decimal" in str(e.value)
    with pytest.raises(InputError, match="option year must be a whole number, not 'twenty'"):
        read("cbs-kwb", real_data / KWB, year="twenty")


def test_cli_help_unknown_option_and_plain_messages(real_data, tmp_path):
    res = run_cli("ingest", "cbs-kwb", "--help")
    assert res.returncode == 0 and "pct_form" in res.stdout and "veerkracht ingest cbs-kwb" in res.stdout
    store = tmp_path / "s.duckdb"
    res = run_cli("ingest", "cbs-kwb", str(real_data / KWB), "-o", "colour=red", store=store)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "unknown option 'colour' for reader cbs-kwb; valid options:" in res.stderr
    bad = tmp_path / "m.toml"
    bad.write_text('geo_version = "x"\nlevel = "auto"\nsource = "s"\ncode = "c"\n[[indicator]]\nid = "residents"\n'
                   'value = "v"\ncolour = "red"\n')
    data = tmp_path / "d.csv"
    data.write_text("c,v,year\nGM0344,5,2020\n")
    res = run_cli("ingest", "indicator-file", str(data), "--mapping", str(bad), store=store)
    # rich markup would have eaten "[[indicator]]"
    assert "unknown key 'colour' in [[indicator]]; valid keys:" in res.stderr and res.returncode == 1


def test_replace_history_restore_through_the_cli(real_data, tmp_path):
    store = tmp_path / "s.duckdb"
    assert run_cli("ingest", "cbs-kwb", str(real_data / KWB), store=store).returncode == 0
    lines = (real_data / KWB).read_text().splitlines()
    cells = lines[1].split(",")
    cells[7] = "368000"
    lines[1] = ",".join(cells)
    corrected = tmp_path / "kwb_2023_gemeente_utrecht.csv"
    corrected.write_text("\n".join(lines) + "\n")
    res = run_cli("ingest", "cbs-kwb", str(corrected), store=store)
    assert res.returncode == 1 and "would change 2 fact(s)" in res.stderr and "--replace" in res.stderr
    res = run_cli("ingest", "cbs-kwb", str(corrected), "--replace", store=store)
    assert res.returncode == 0 and "2 facts replaced (kept as history, provenance 2)" in res.stdout
    res = run_cli("history", "-i", "residents", "-a", "GM0344", "--format", "csv", store=store)
    rows = [r.split(",") for r in res.stdout.strip().splitlines()[1:]]
    assert [(r[5], r[12]) for r in rows] == [("367947.0", "False"), ("368000.0", "True")]
    res = run_cli("restore", "--provenance", "2", store=store)
    assert res.returncode == 0 and "restored 1098 previous value(s), removed 0" in res.stdout  # every fact it set
    res = run_cli("facts", "-i", "residents", "-a", "GM0344", "--format", "csv", store=store)
    assert ",367947.0," in res.stdout


def test_the_store_lock_is_checked_before_parsing(tmp_path):
    store = tmp_path / "s.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, time, sys; c = duckdb.connect(sys.argv[1]); "
                               "print('ready', flush=True); time.sleep(60)", str(store)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        t = time.perf_counter()
        res = run_cli("ingest", "cbs-kwb", str(tmp_path / "not-there.csv"), store=store)
        assert res.returncode == 1 and "cannot open store" in res.stderr and "does not exist" not in res.stderr
        assert time.perf_counter() - t < 30
    finally:
        holder.kill()
        holder.wait()
