"""The survey reader and the survey-trends estimates, on a synthetic WoON-like survey with planted truths.

The generator keeps its population, so every estimate's truth is the population share (computed with
the same estimator, weight 1); the planted national figures of the report are that truth up to the
population's own noise.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from veerkracht.analysis import get_analysis
from veerkracht.analysis.survey_trends import estimates
from veerkracht.errors import InputError
from veerkracht.sources import read
from veerkracht.store.microdata import ingest_any, survey
from veerkracht.synth.survey import PLANTED, sample

KEY = ["figure", "year", "domain", "group"]


@pytest.fixture(scope="module")
def truth(survey_population):
    return estimates(survey_population).set_index(KEY)["estimate"]


@pytest.fixture(scope="module")
def loaded(survey_store):
    return survey_store


def _cmp(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns="src_row").astype(object).where(frame.drop(columns="src_row").notna(), None)


def test_sav_csv_and_parquet_read_the_same_respondents(survey_files):
    frames = {ext: read("survey", f["file"], mapping=f["mapping"]).tables["survey_respondents"]
              for ext, f in survey_files.items()}
    n = len(frames["sav"])
    assert n == survey_files["sav"]["respondents"] > 50_000
    # value labels applied: five health answers recoded to two, "Weet niet" (code 9, user-missing) missing
    assert set(frames["sav"]["health"].dropna()) == {"good", "less_than_good"}
    assert 0 < frames["sav"]["health"].isna().sum() < 0.02 * n
    # nuisance was not asked in 2018 (system-missing), and only then
    assert frames["sav"].groupby("year")["nuisance"].apply(lambda s: s.isna().all()).to_dict()[2018]
    assert not frames["sav"].loc[frames["sav"]["year"] < 2018, "nuisance"].isna().any()
    for ext in ("csv", "parquet"):
        pd.testing.assert_frame_equal(_cmp(frames[ext]), _cmp(frames["sav"]), check_dtype=False)


def test_an_unlabelled_code_is_an_error_naming_column_value_and_row(tmp_path, survey_files):
    import pyreadstat
    df, meta = pyreadstat.read_sav(survey_files["sav"]["file"], apply_value_formats=False, row_limit=30)
    df.loc[16, "eigendom"] = 7.0                    # no label 7 in the file
    labels = dict(meta.variable_value_labels)
    path = tmp_path / "bad.sav"
    pyreadstat.write_sav(df, str(path), variable_value_labels=labels)
    with pytest.raises(InputError) as e:
        read("survey", str(path), mapping=survey_files["sav"]["mapping"])
    assert e.value.row == 17 and e.value.column == "eigendom" and "code 7 has no value label" in str(e.value)


def test_an_unmapped_label_is_an_error_naming_column_value_and_row(tmp_path, survey_files):
    text = open(survey_files["csv"]["file"], encoding="utf-8").read().splitlines()
    head = text[0].split(",")
    col = head.index("opleiding")
    row = text[5].split(",")
    row[col] = "Universitair"
    text[5] = ",".join(row)
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(text[:40]) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read("survey", str(path), mapping=survey_files["csv"]["mapping"])
    assert e.value.row == 6 and e.value.column == "opleiding" and "'Universitair'" in str(e.value)


def test_the_planted_national_figures_are_the_population_truth(truth):
    # fig. 1: lowest-20 % share among corporation tenants below the threshold, 28 % → 42 %
    for year, planted in PLANTED["lowest_in_social"].items():
        assert abs(truth[("income", year, "social", "lowest")] - planted) < 0.01
    # fig. 6: less than good health, lowest incomes in social rent 52 % (2018), outside 33 %
    assert abs(truth[("health", 2018, "social", "lowest")] - 0.52) < 0.01
    assert abs(truth[("health", 2018, "rest", "lowest")] - 0.33) < 0.01
    assert abs(truth[("health", 2018, "rest", "middle_high")] - 0.15) < 0.01
    # fig. 5: social rent 37 % of households in 1998, under 25 % in 2018; fig. 4: a little over half of the
    # lowest incomes live in social rent (0.245 · 0.42 / 0.20 = 51.5 % in 2018)
    assert abs(truth[("stock", 1998, "all", "social")] - 0.37) < 0.005
    assert abs(truth[("stock", 2018, "all", "social")] - 0.245) < 0.005
    assert abs(truth[("tenure_lowest", 2018, "lowest", "social")] - 0.245 * 0.42 / 0.2) < 0.015
    # §2.4: benefits 22 % in social rent, 34 % in weak areas, 4.5 % outside
    assert abs(truth[("vulnerable", 2018, "social_weak", "benefits")] - 0.34) < 0.015
    assert abs(truth[("vulnerable", 2018, "rest", "benefits")] - 0.045) < 0.005


def test_the_stored_survey_recovers_the_truth_within_its_intervals(loaded, truth):
    store, res = loaded
    assert res["microdata"]["survey_respondents"] > 50_000
    r = get_analysis("survey-trends")(store)
    t = r.table.set_index(KEY)
    shown = t[~t["suppressed"]]
    low = shown.xs(("income", "social", "lowest"), level=["figure", "domain", "group"])
    assert list(low.index) == [1998, 2002, 2006, 2009, 2012, 2015, 2018]
    # the planted 28 → 42 % recovered: each year's interval holds the truth or misses by little
    for year in (1998, 2018):
        est, lo, hi = low.loc[year, ["estimate", "lo", "hi"]]
        tv = truth[("income", year, "social", "lowest")] * 100
        assert abs(est - tv) < 3 * low.loc[year, "se"] and lo < est < hi and hi - lo < 5
    assert low.loc[2018, "estimate"] - low.loc[1998, "estimate"] > 10        # the trend is seen
    # every shown cell, against the truth: about 95 % of the intervals hold it
    m = shown.join(truth.rename("truth") * 100, how="inner")
    cover = ((m["lo"] <= m["truth"]) & (m["truth"] <= m["hi"])).mean()
    assert len(m) > 200 and 0.85 <= cover <= 1.0
    # the 2018 nuisance question was not asked: no cell, and the notes do not pretend
    assert ("safety", 2018, "social", "nuisance") not in t.index
    assert ("safety", 2015, "social_weak", "nuisance") in shown.index
    # ratios: benefits in social rent in weak areas are many times those outside (planted 0.34 / 0.045)
    rat = r.extra["ratios"].set_index(["year", "group", "domain"])
    b = rat.loc[(2018, "benefits", "social_weak")]
    assert b["lo"] < 0.34 / 0.045 < b["hi"] and b["ratio"] > 5
    assert "%" in r.summary["message"].render("nl") and "2018" in r.summary["message"].render("en")


def test_interval_coverage_over_replicate_samples_is_near_nominal(survey_population):
    """120 independent samples of 4,000 respondents a year (three years) from the same population;
    every shown cell's 95 % interval is checked against the population share."""
    pop = survey_population[survey_population["year"].isin([1998, 2009, 2018])].reset_index(drop=True)
    tv = estimates(pop).set_index(KEY)["estimate"]
    hits = total = 0
    for rep in range(120):
        est = estimates(sample(pop, n_per_year=4000, seed=1000 + rep)).set_index(KEY)
        est = est[~est["suppressed"]].join(tv.rename("truth"), how="inner")
        hits += int(((est["lo"] <= est["truth"]) & (est["truth"] <= est["hi"])).sum())
        total += len(est)
    cover = hits / total
    print(f"coverage {cover:.4f} over {total} intervals (120 replicates)")
    assert total > 10_000
    assert 0.935 <= cover <= 0.965


def test_small_cells_are_blank_not_shown(survey_population):
    tiny = sample(survey_population[survey_population["year"] == 2018], n_per_year=300, seed=5)
    est = estimates(tiny)
    sup = est[est["suppressed"]]
    assert len(sup) > 5 and sup[["estimate", "se", "lo", "hi", "n"]].isna().all().all()
    assert (est.loc[~est["suppressed"], "n"] >= 50).all()


def test_without_a_survey_the_analysis_says_not_available(mem_store):
    from veerkracht.errors import NotComputable
    with pytest.raises(NotComputable) as e:
        get_analysis("survey-trends")(mem_store)
    assert "niet beschikbaar" in e.value.text("nl") and "not available" in e.value.text("en")
    assert survey(mem_store).empty


def test_the_same_file_twice_changes_nothing(loaded, survey_files):
    store, res = loaded
    f = survey_files["sav"]
    again = ingest_any(store, read("survey", f["file"], mapping=f["mapping"]))
    assert again["skipped"] and len(survey(store)) == res["microdata"]["survey_respondents"]
    assert np.isclose(survey(store)["weight"].sum(), 7.9e6 * 7, rtol=0.05)


def test_weak_liveability_linked_through_the_area_code(survey_files, survey_population):
    """A survey without its own weak-area answer: the store's Leefbaarometer class of the respondent's
    buurt (class ≤ 4 = zwak or worse) decides, in the year nearest the survey year."""
    from veerkracht.store import open_store
    f = survey_files["csv"]
    mapping = open(f["mapping"], encoding="utf-8").read().replace('weak_area = "zwakke_leefbaarheid"\n', "")
    mapping = mapping[:mapping.index("[values.weak_area]")] + mapping[mapping.index("[missing]"):]
    mp = f["mapping"].replace(".toml", "_noweak.toml")
    open(mp, "w", encoding="utf-8").write(mapping)
    store = open_store(":memory:")
    try:
        ingest_any(store, read("survey", f["file"], mapping=mp))
        assert survey(store)["weak_area"].isna().all()
        # buurten 0–99 weak (class 3) in 2012, all fine (class 7) in 2020: the survey years pick the nearest
        store.write_facts(pd.DataFrame([{"geo_version": "cbs2019", "code": f"BU0363{i:04d}", "year": y,
                                         "indicator": "lbm_class", "value": float(3 if (i < 100 and y == 2012) else 7),
                                         "source": "test"} for i in range(400) for y in (2012, 2020)]))
        r = get_analysis("survey-trends")(store, years=[2009, 2018])
    finally:
        store.close()
    assert r.params["weak_from"] == "liveability"
    assert any("gekoppeld" in n for n in r.note_texts("nl"))
    t = r.table.set_index(KEY)
    # 2009 is nearest 2012 (a quarter of the buurten weak), 2018 nearest 2020 (none weak)
    assert ("higher_edu", 2009, "social_weak", "movers") in t.index
    weak09 = t.loc[("vulnerable", 2009, "social_weak", "lowest_income"), "n"]
    all09 = t.loc[("vulnerable", 2009, "social", "lowest_income"), "n"]
    assert 0.2 < weak09 / all09 < 0.3
    assert ("vulnerable", 2018, "social_weak", "lowest_income") not in t[~t["suppressed"]].index


def test_another_file_under_the_same_name_is_not_replaced_unasked(survey_files, tmp_path):
    from veerkracht.errors import StoreError
    from veerkracht.store import open_store
    from veerkracht.synth.survey import write_survey
    other = write_survey(tmp_path / "woon.csv", n_per_year=500, seed=9)      # same name, other respondents
    store = open_store(":memory:")
    try:
        ingest_any(store, read("survey", survey_files["csv"]["file"], mapping=survey_files["csv"]["mapping"]))
        n = len(survey(store))
        with pytest.raises(StoreError, match="already holds dataset 'woon'"):
            ingest_any(store, read("survey", other["file"], mapping=other["mapping"]))
        assert len(survey(store)) == n
        ingest_any(store, read("survey", other["file"], mapping=other["mapping"]), replace=True)
        assert len(survey(store)) == other["respondents"] < n
    finally:
        store.close()
