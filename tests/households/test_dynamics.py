"""The tenant reader's checks and the dynamics decomposition: exact additivity, a hand-computed case, and
the planted exit, inflow and mobility rates of the synthetic panel recovered."""
from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from veerkracht.analysis import get_analysis
from veerkracht.analysis._flows import decompose, panel_flows
from veerkracht.errors import InputError, NotComputable
from veerkracht.sources import read
from veerkracht.store import open_store
from veerkracht.store.microdata import ingest_any
from veerkracht.synth.tenants import EXIT, GROUPS, INFLOW, MOBILITY, area_types, simulate, write_tenants

MAPPING = """[columns]
dwelling = "vhe"
area = "buurt"
start = "begin"
end = "eind"
year = "jaar"
income_group = "ink"
[values.income_group]
"1" = "lowest"
"2" = "low"
"3" = "middle_high"
"""


def _panel_csv(tmp_path, rows: list[str]):
    (tmp_path / "m.toml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "p.csv").write_text("vhe,buurt,begin,eind,jaar,ink\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return str(tmp_path / "p.csv"), str(tmp_path / "m.toml")


def test_the_reader_names_the_row_of_each_inconsistency(tmp_path, areas_store_path):
    ok = ["A1,BU03630000,2010-01-01,2015-06-30,2014,1", "A1,BU03630000,2010-01-01,2015-06-30,2015,1"]
    cases = {
        "the contract ends before it starts": ["A2,BU03630000,2016-05-01,2016-04-01,2016,2"],
        "overlaps the contract on row 2": ["A1,BU03630000,2015-03-01,,2015,2"],
        "outside the contract": ["A3,BU03630000,2017-01-01,,2016,3"],
        "second income": ["A1,BU03630000,2010-01-01,2015-06-30,2015,2"],
    }
    for words, extra in cases.items():
        f, m = _panel_csv(tmp_path, ok + extra)
        with pytest.raises(InputError) as e:
            read("tenants", f, mapping=m)
        assert words in str(e.value) and e.value.row == 4, str(e.value)
    # skip: the bad contract left out, its row in the warning
    f, m = _panel_csv(tmp_path, ok + cases["overlaps the contract on row 2"])
    b = read("tenants", f, mapping=m, on_conflict="skip")
    assert "row 4" in b.warnings[0] and len(b.tables["tenant_contracts"]) == 1
    # a date that is no date, and an unmapped income group
    f, m = _panel_csv(tmp_path, ok + ["A4,BU03630000,31-02-2016x,,2016,1"])
    with pytest.raises(InputError, match="must be a date") as e:
        read("tenants", f, mapping=m)
    assert e.value.row == 4 and e.value.column == "begin"
    f, m = _panel_csv(tmp_path, ok + ["A4,BU03630000,2016-01-01,,2016,4"])
    with pytest.raises(InputError, match="unknown value '4'") as e:
        read("tenants", f, mapping=m)
    assert e.value.row == 4 and e.value.column == "ink"
    # an area the store does not know: the ingest names its row
    f, m = _panel_csv(tmp_path, ok + ["A5,BU99999999,2016-01-01,,2016,1"])
    store = open_store(str(shutil.copy(areas_store_path, tmp_path / "s.duckdb")))
    try:
        with pytest.raises(InputError, match="unknown to the store: 'BU99999999' on row 4") as e:
            ingest_any(store, read("tenants", f, mapping=m))
        assert e.value.row == 4
    finally:
        store.close()


def test_a_hand_computed_area():
    """Ten households in 2015: 4 lowest (p0 = .4). By 2016: one lowest and two middle/high leave; three
    lowest and one middle/high come; one stayer falls from low into lowest. N1 = 10 − 3 + 4 = 11,
    L1 = 4 − 1 + 3 + 1 = 7; Δp = 7/11 − .4; inflow (3 − .4·4)/11, outflow (.4·3 − 1)/11, mobility 1/11."""
    g15 = ["lowest"] * 4 + ["low"] * 3 + ["middle_high"] * 3
    leave = {0, 7, 8}                     # a lowest and two middle/high leave in 2016
    contracts, incomes = [], []
    for i, g in enumerate(g15):
        contracts.append({"contract_id": i, "area_code": "A", "start_date": "2010-01-01",
                          "end_date": "2016-05-01" if i in leave else None})
        incomes.append({"contract_id": i, "year": 2015, "income_group": g})
        if i not in leave:
            incomes.append({"contract_id": i, "year": 2016, "income_group": "lowest" if i == 4 else g})
    for j, g in enumerate(["lowest"] * 3 + ["middle_high"]):
        contracts.append({"contract_id": 10 + j, "area_code": "A", "start_date": "2016-06-01", "end_date": None})
        incomes.append({"contract_id": 10 + j, "year": 2016, "income_group": g})
    flows = panel_flows(pd.DataFrame(contracts), pd.DataFrame(incomes), 2015, 2016)
    d = decompose(flows).iloc[0]
    assert (d["n_start"], d["n_end"], d["n_out"], d["n_in"]) == (10, 11, 3, 4)
    assert d["change"] == pytest.approx(7 / 11 - 0.4, abs=1e-15)
    assert d["inflow"] == pytest.approx((3 - 0.4 * 4) / 11, abs=1e-15)
    assert d["outflow"] == pytest.approx((0.4 * 3 - 1) / 11, abs=1e-15)
    assert d["mobility"] == pytest.approx(1 / 11, abs=1e-15)
    assert d["turnover"] == pytest.approx(3 / 10.5)


def test_the_parts_add_up_exactly_for_every_area_and_period(tenant_store):
    store, _ = tenant_store
    for y0, y1 in ((2012, 2020), (2015, 2016), (2013, 2018)):
        for level in ("buurt", "wijk", "gemeente"):
            t = get_analysis("dynamics")(store, year_from=y0, year_to=y1, level=level).table
            shown = t[~t["suppressed"]]
            assert len(shown) >= (1 if level == "gemeente" else 90)
            gap = (shown["inflow"] + shown["outflow"] + shown["mobility"] - shown["change"]).abs()
            assert gap.max() < 1e-9
            assert ((shown["share_end"] - shown["share_start"] - shown["change"]).abs() < 1e-9).all()


def test_the_planted_rates_are_recovered():
    """The generator on 600 areas, 2012–2020: per area type and income group, the one-year outflow
    rates, the inflow composition and the stayers' transitions, pooled over the eight periods."""
    types = area_types([f"A{i:03d}" for i in range(600)], seed=7)
    contracts, incomes = simulate(types, dwellings=150, years=(2012, 2020), seed=7)
    flows = pd.concat([panel_flows(contracts, incomes, y, y + 1) for y in range(2012, 2020)])
    flows["type"] = flows["area_code"].map(types)
    pooled = flows.groupby(["type", "income_group"])[["n_start", "n_out", "n_in", "stay_start"]].sum()
    for t in ("weak", "other"):
        n_in = pooled.loc[t, "n_in"].sum()
        for g in GROUPS:
            n, k = pooled.loc[(t, g), "n_start"], pooled.loc[(t, g), "n_out"]
            se = np.sqrt(EXIT[t][g] * (1 - EXIT[t][g]) / n)
            assert abs(k / n - EXIT[t][g]) < 3.5 * se, (t, g, k / n)
            share = pooled.loc[(t, g), "n_in"] / n_in
            assert abs(share - INFLOW[t][g]) < 3.5 * np.sqrt(INFLOW[t][g] * (1 - INFLOW[t][g]) / n_in), (t, g)
    # stayers: the share of lowest-income stayers still lowest a year later (the planted diagonal)
    stay = pd.concat([_stayers(contracts, incomes, y) for y in range(2012, 2020)])
    stay["type"] = stay["area_code"].map(types)
    for t in ("weak", "other"):
        s = stay[(stay["type"] == t) & (stay["g0"] == "lowest")]
        p = MOBILITY[t]["lowest"]["lowest"]
        assert abs((s["g1"] == "lowest").mean() - p) < 3.5 * np.sqrt(p * (1 - p) / len(s))
    # and the mechanism of §2.2: in weak areas higher incomes leave at almost three times the rate of the lowest
    weak = pooled.loc["weak"]
    assert weak.loc["middle_high", "n_out"] / weak.loc["middle_high", "n_start"] > \
        2.5 * weak.loc["lowest", "n_out"] / weak.loc["lowest", "n_start"]


def _stayers(contracts, incomes, y):
    """Income group in ``y`` and ``y + 1`` of the households present on both 31 Decembers."""
    d0, d1 = pd.Timestamp(f"{y}-12-31"), pd.Timestamp(f"{y + 1}-12-31")
    c = contracts[(contracts["start_date"] <= d0) & (contracts["end_date"].isna() | (contracts["end_date"] > d1))]
    inc = incomes.set_index(["contract_id", "year"])["income_group"]
    ids = c["contract_id"].to_numpy()
    return pd.DataFrame({"area_code": c["area_code"].to_numpy(),
                         "g0": inc.reindex(pd.MultiIndex.from_arrays([ids, np.full(len(ids), y)])).to_numpy(),
                         "g1": inc.reindex(pd.MultiIndex.from_arrays([ids, np.full(len(ids), y + 1)])).to_numpy()})


def test_flows_give_the_same_answer_as_the_panel(tenant_store, tmp_path, areas_store_path):
    store, _ = tenant_store
    panel = get_analysis("dynamics")(store, year_from=2014, year_to=2017, level="wijk")
    from veerkracht.store.microdata import tenant_panel
    contracts, incomes = tenant_panel(store)
    flows = panel_flows(contracts, incomes, 2014, 2017)
    flows.to_csv(tmp_path / "flows.csv", index=False)
    (tmp_path / "flows.toml").write_text(
        '[columns]\narea = "area_code"\nyear_from = "year_from"\nyear_to = "year_to"\nincome_group = "income_group"\n'
        'n_start = "n_start"\nn_out = "n_out"\nn_in = "n_in"\nstay_end = "stay_end"\nn_ended = "n_ended"\n',
        encoding="utf-8")
    other = open_store(str(shutil.copy(areas_store_path, tmp_path / "flows.duckdb")))
    try:
        ingest_any(other, read("tenant-flows", str(tmp_path / "flows.csv"), mapping=str(tmp_path / "flows.toml")))
        agg = get_analysis("dynamics")(other, level="wijk")
    finally:
        other.close()
    assert agg.params["source"] == "flows" and (agg.params["year_from"], agg.params["year_to"]) == (2014, 2017)
    cols = ["code", "n_start", "n_end", "change", "inflow", "outflow", "mobility", "turnover"]
    pd.testing.assert_frame_equal(agg.table[cols].reset_index(drop=True), panel.table[cols].reset_index(drop=True))


def test_small_areas_and_counts_are_blank(tmp_path, areas_store_path):
    """An area of 12 households is blank; in an area of 80 the groups with fewer than 10 movers are too."""
    rows = []
    for i in range(92):
        area = "BU03630000" if i < 12 else "BU03630001"
        g = 1 + i % 3
        end = "2016-03-01" if i % 10 == 0 else ""
        rows += [f"D{i},{area},2010-01-01,{end},2015,{g}", f"D{i},{area},2010-01-01,{end},2016,{g}"]
        if end:
            rows += [f"D{i},{area},2016-04-01,,2016,1"]
    f, m = _panel_csv(tmp_path, rows)
    store = open_store(str(shutil.copy(areas_store_path, tmp_path / "small.duckdb")))
    try:
        ingest_any(store, read("tenants", f, mapping=m))
        r = get_analysis("dynamics")(store)
    finally:
        store.close()
    t = r.table.set_index("code")
    assert t.loc["BU03630000", "suppressed"] and t.loc["BU03630000", ["n_start", "change", "inflow"]].isna().all()
    assert not t.loc["BU03630001", "suppressed"] and t.loc["BU03630001", "n_start"] == 80
    assert np.isnan(t.loc["BU03630001", "n_out"])            # 8 leavers: below 10, blank
    g = r.extra["groups"]
    assert g["n_out"].isna().all() and g["out_rate"].isna().all()       # 8 leavers at most per group: blank
    assert g.loc[g["n_start"].notna(), "n_start"].min() >= 10
    assert r.note_texts("en")[-1].startswith("1 area(s) have fewer than 50")


def test_without_tenant_data_it_says_not_available(mem_store):
    with pytest.raises(NotComputable) as e:
        get_analysis("dynamics")(mem_store)
    assert "niet beschikbaar" in e.value.text("nl") and "not available" in e.value.text("en")


def test_the_summary_and_figure_speak_both_languages(tenant_store):
    store, _ = tenant_store
    r = get_analysis("dynamics")(store, region="GM0363", level="wijk")
    nl, en = r.summary["message"].render("nl"), r.summary["message"].render("en")
    assert "instroom" in nl and "inflow" in en and "procentpunt" in nl
    assert r.summary["inflow"] + r.summary["outflow"] + r.summary["mobility"] == pytest.approx(r.summary["change"],
                                                                                              abs=1e-9)
    fig = r.figure("en")
    assert [ax.get_title() for ax in fig.axes][0].startswith("Change in the lowest-income share")
    layer = r.layer(store)
    assert len(layer) == len(r.table) and layer.geometry.notna().all()


def test_csv_xlsx_and_parquet_read_the_same_panel(tmp_path, areas_store_path):
    store = open_store(str(shutil.copy(areas_store_path, tmp_path / "s.duckdb")))
    try:
        got = {}
        for ext in ("csv", "xlsx", "parquet"):
            res = write_tenants(store, tmp_path / f"p.{ext}", geo_version="cbs2019", level="buurt",
                                region="WK036300", dwellings=60, years=(2016, 2019), seed=4)
            b = read("tenants", res["file"], mapping=res["mapping"])
            got[ext] = {k: v.drop(columns=[c for c in ("src_row",) if c in v]).astype(str).reset_index(drop=True)
                        for k, v in b.tables.items()}
    finally:
        store.close()
    assert len(got["csv"]["tenant_contracts"]) > 100
    for ext in ("xlsx", "parquet"):
        for table in ("tenant_contracts", "tenant_incomes"):
            pd.testing.assert_frame_equal(got[ext][table], got["csv"][table])
