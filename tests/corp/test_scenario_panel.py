"""A scenario on a store with a tenant panel takes each area's turnover from the panel's dynamics."""
from __future__ import annotations

import pytest

from tests.cli.conftest import run_cli
from tests.corp.plant import copy_store
from veerkracht.analysis import get_analysis
from veerkracht.store import open_store


def test_turnover_per_area_from_the_tenant_panel(demo_store, tmp_path):
    path = copy_store(demo_store, tmp_path)
    panel = tmp_path / "huurders.csv"
    res = run_cli("synth", "tenants", "--out", str(panel), "--geo-version", "cbs2019", "--level", "wijk",
                  "-r", "GM0363", store=path)
    assert res.returncode == 0, res.stderr
    res = run_cli("ingest", "tenants", str(panel), "--mapping", str(panel.with_suffix(".toml")), store=path)
    assert res.returncode == 0, res.stderr
    s = open_store(str(path), read_only=True)
    try:
        dyn = get_analysis("dynamics")(s, geo_version="cbs2019", level="wijk")
        sc = get_analysis("scenario")(s, geo_version="cbs2019", level="wijk", start_share=0.4, n_sim=50, horizon=3)
    finally:
        s.close()
    want = (dyn.table.set_index("code")["turnover"] / 100).dropna()
    got = sc.table.set_index("code")["turnover"]
    both = want.index.intersection(got.index)
    assert len(both) >= 20
    assert got.loc[both].to_numpy() == pytest.approx(want.loc[both].to_numpy())
    # areas the panel does not cover (or blanks) fall back to the one rate
    rest = got.index.difference(both)
    assert (got.loc[rest] == 0.08).all()
