"""Item 8 of issue 12, CLI for newcomers: every analysis of ``veerkracht analyse`` runs on the demo store
with its defaults, or says which options to add with a command that was tried and works; tables have
headers in words with units, never snake_case."""
from __future__ import annotations

import re
import shlex

import pytest

from .conftest import run_cli


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    from veerkracht.demo import build_demo_store
    from veerkracht.store import open_store
    path = tmp_path_factory.mktemp("defaults") / "demo.duckdb"
    store = open_store(str(path))
    build_demo_store(store)
    store.close()
    return path


def _headers(stdout: str) -> str:
    return " ".join(line for line in stdout.splitlines() if line.startswith("┃"))


def test_every_analysis_runs_with_defaults_or_names_a_working_command(demo_path):
    listing = run_cli("analyse", store=demo_path)
    assert listing.returncode == 0, listing.stderr
    names = re.findall(r"^([a-z][a-z-]+)\s{2,}", listing.stdout, flags=re.M)
    assert len(names) >= 9 and "change-model" in names and "typology" in names
    from veerkracht.analysis import get_analysis
    from veerkracht.store import open_store
    st = open_store(str(demo_path), read_only=True)
    try:   # analyses of data a user loads (portfolio, tenants, survey, grid) say which data to load
        needs_data = {n for n in names if not get_analysis(n).available(st)}
    finally:
        st.close()
    assert {"portfolio", "dynamics", "survey-trends"} <= needs_data
    ran, advised = [], []
    for name in names:
        res = run_cli("analyse", name, store=demo_path)
        if name in needs_data:
            err = " ".join(res.stderr.split())
            assert res.returncode != 0 and "Traceback" not in res.stderr, (name, res.stderr)
            assert "veerkracht ingest" in err or "start_share" in err, (name, err)
            continue
        if res.returncode == 0:
            ran.append(name)
            out = res.stdout
        else:
            err = " ".join(res.stderr.split())
            assert "Traceback" not in res.stderr and "error:" in err, (name, res.stderr)
            m = re.search(rf"werkt wel: (veerkracht analyse {re.escape(name)} [^\n]*?)(?= error:|$)", err)
            assert m, (name, err)
            args = shlex.split(m.group(1))[2:]          # after 'veerkracht analyse'
            again = run_cli("analyse", *args, store=demo_path)
            assert again.returncode == 0, (m.group(1), again.stderr)
            advised.append(name)
            out = again.stdout
        heads = _headers(out)
        assert heads and not re.search(r"\b[a-z]+_[a-z_]+\b", heads), (name, heads)
    assert {"liveability", "tipping-point", "typology"} <= set(ran)
    assert {"corp-profile", "concentration", "change-model"} <= set(advised)


def test_table_headers_carry_units(demo_path):
    res = run_cli("analyse", "relative", "-i", "bijstand_per_100_dwellings", "--geo-version", "cbs2019",
                  "-o", "level=wijk", "-o", "year=2017", store=demo_path)
    assert res.returncode == 0, res.stderr
    assert "waarde (per 100 woningen)" in _headers(res.stdout)
    res = run_cli("analyse", "tipping-point", store=demo_path)
    heads = _headers(res.stdout)
    assert "knikpunt (%)" in heads and "knik ondergrens (%)" in heads
    # two columns never share a header (break_lo and kink_lo were both 'knik ondergrens')
    cells = [c.strip() for c in heads.split("┃") if c.strip()]
    assert len(cells) == len(set(cells))
