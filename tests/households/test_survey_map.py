"""The survey's map layer: per-area shares of the respondents' areas (lifted to wijken), equal to an
independent pandas computation, covering the planted truth (the synthetic respondents are spread over
the areas independently of everything, so every wijk has the national share), suppressed below the
threshold, and drawn by the read model every output uses."""
from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from veerkracht.analysis import get_analysis
from veerkracht.analysis.survey_trends import estimates
from veerkracht.sources import read
from veerkracht.store import open_store
from veerkracht.store.microdata import ingest_any, survey
from veerkracht.synth.survey import write_survey
from veerkracht.synth.tenants import area_codes


@pytest.fixture(scope="module")
def mapped(tmp_path_factory, areas_store_path):
    d = tmp_path_factory.mktemp("survey_map")
    path = d / "store.duckdb"
    shutil.copy(areas_store_path, path)
    store = open_store(str(path))
    codes = area_codes(store, geo_version="cbs2019", level="buurt")
    res = write_survey(d / "woon.csv", n_per_year=20000, seed=4, area_codes=codes)
    ingest_any(store, read("survey", res["file"], mapping=res["mapping"]))
    yield store
    store.close()


def _by_hand(store, year: int) -> pd.DataFrame:
    """Weighted share of the lowest incomes among social renters per wijk, with pandas only."""
    f = survey(store)
    f = f[f["year"] == year]
    areas = store.areas(geo_version="cbs2019", level="buurt", geometry=False).set_index("code")["wk_code"]
    f = f.assign(wijk=f["area_code"].map(areas))
    soc = f[(f["tenure"] == "corporation") & (f["rent"] == "below") & f["income_group"].notna()]
    g = soc.assign(wy=soc["weight"] * (soc["income_group"] == "lowest"),
                   k=(soc["income_group"] == "lowest").astype(int)).groupby("wijk")
    out = pd.DataFrame({"share": g["wy"].sum() / g["weight"].sum() * 100, "n": g.size(), "k": g["k"].sum()})
    out["shown"] = (out["n"] >= 50) & (out["k"] >= 10)
    return out


def test_area_shares_equal_a_pandas_computation_and_small_areas_are_blank(mapped):
    r = get_analysis("survey-trends")(mapped, level="wijk", year=2018)
    assert r.params["year"] == 2018 and r.params["level"] == "wijk" and r.params["geo_version"] == "cbs2019"
    got = r.extra["areas"].set_index("code")
    want = _by_hand(mapped, 2018)
    assert set(got.index) == set(want.index)
    shown = want[want["shown"]]
    assert len(shown) >= 60 and (~want["shown"]).sum() >= 1          # both kinds occur
    assert np.allclose(got.loc[shown.index, "estimate"], shown["share"], rtol=1e-10)
    assert (got.loc[shown.index, "n"] == shown["n"]).all()
    hidden = got.loc[want.index[~want["shown"]]]
    assert hidden["suppressed"].all() and hidden[["estimate", "se", "lo", "hi", "n"]].isna().all().all()
    assert any("per wijk" in n and "2018" in n for n in r.note_texts("nl"))


def test_area_intervals_cover_the_planted_national_share(mapped, survey_population):
    truth = estimates(survey_population[survey_population["year"] == 2018]).set_index(
        ["figure", "domain", "group"]).loc[("income", "social", "lowest"), "estimate"] * 100
    t = get_analysis("survey-trends")(mapped, level="wijk", year=2018).extra["areas"]
    t = t[~t["suppressed"]]
    cover = float(((t["lo"] <= truth) & (truth <= t["hi"])).mean())
    print(f"{len(t)} wijken, coverage of the national truth {truth:.1f} %: {cover:.3f}")
    assert len(t) >= 60 and 0.88 <= cover <= 1.0
    assert abs(t["estimate"].median() - truth) < 3


def test_the_read_model_draws_the_layer_with_a_sequential_legend(mapped):
    from veerkracht.maps.catalog import Catalog
    from veerkracht.maps.layers import AnalysisLayers, layer_of, modes
    assert "survey-trends" in modes()
    r = get_analysis("survey-trends")(mapped, level="wijk", year=2017)   # no survey in 2017: the nearest
    assert r.params["year"] == 2018 and any("2017" in n for n in r.note_texts("nl"))
    lay = layer_of("survey-trends", r, "nl")
    assert lay["available"] and lay["kind"] == "numeric"
    sup = set(r.extra["areas"].loc[r.extra["areas"]["suppressed"], "code"])
    assert sup and sup == set(lay["suppressed"]) and not sup & set(lay["values"])
    gdf = r.layer(mapped)
    assert len(gdf) == len(r.extra["areas"]) and gdf.loc[gdf["code"].isin(sup), "estimate"].isna().all()
    cat = Catalog(mapped)
    layers = AnalysisLayers(cat)
    got = layers.layer("survey-trends", "cbs2019", "wijk", None, None, 2018, None)
    assert got["available"] and set(got["values"]) == set(lay["values"])


def test_a_level_finer_than_the_codes_is_refused_with_the_levels_that_work(mapped):
    from veerkracht.errors import NotComputable
    with pytest.raises(NotComputable) as e:
        get_analysis("survey-trends")(mapped, level="pc4")
    assert "buurt" in e.value.text("nl") and "wijk" in e.value.text("en")


def test_the_outcome_choice_is_checked_and_changes_the_map(mapped):
    a = get_analysis("survey-trends")(mapped, level="wijk", outcome="social").extra["areas"]
    assert a.loc[~a["suppressed"], "estimate"].between(5, 80).all()
    with pytest.raises(Exception) as e:
        get_analysis("survey-trends")(mapped, outcome="rich")
    assert "lowest_social" in str(e.value)
