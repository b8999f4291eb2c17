"""Fixtures of the household tests: a synthetic survey population and file, a store with the demo's
Amsterdam areas (cbs2019 wijken and buurten) and a synthetic tenant panel on them.

The stores holding microdata (``tenant_store``, ``survey_store``) are made on both backends, as the
Store contract tests are: DuckDB, and a PostGIS database of the test cluster where the data is loaded
by an organisation's role (private rows under row-level security)."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def survey_population():
    from veerkracht.synth.survey import population
    return population(seed=1)


@pytest.fixture(scope="session")
def survey_files(tmp_path_factory, survey_population):
    """The same synthetic sample as .sav, .csv and .parquet, with the mapping."""
    from veerkracht.synth.survey import write_survey
    d = tmp_path_factory.mktemp("survey")
    return {ext: write_survey(d / f"woon.{ext}", seed=1) for ext in ("sav", "csv", "parquet")}


@pytest.fixture(scope="session")
def areas_store_path(tmp_path_factory):
    """A DuckDB store holding only the demo's Amsterdam wijken and buurten of 2019 (with registry)."""
    from veerkracht.demo import DATA_DIR
    from veerkracht.indicators import registry_frame
    from veerkracht.sources import read
    from veerkracht.store import open_store
    path = tmp_path_factory.mktemp("areas") / "areas.duckdb"
    store = open_store(str(path))
    store.register_indicators(registry_frame())
    for f, lv, col, name in (("ams_wijken_cbs2019.geojson", "wijk", "wk_code", "wk_naam"),
                             ("ams_buurten_cbs2019.geojson", "buurt", "bu_code", "bu_naam")):
        store.ingest(read("geometry", str(DATA_DIR / f), geo_version="cbs2019", level=lv, code_column=col,
                          name_column=name))
    store.close()
    return path


def with_corp_share(store, years=(2013, 2017)) -> None:
    """One indicator on the wijken, so that the map has a view and the report a period."""
    import pandas as pd
    wijken = store.areas(geo_version="cbs2019", level="wijk", geometry=False)["code"]
    store.write_facts(pd.DataFrame([{"geo_version": "cbs2019", "code": c, "year": y, "indicator": "corp_share",
                                     "numerator": 400.0, "denominator": 1000.0, "value": 40.0, "source": "test"}
                                    for c in wijken for y in years]))


def panel_store(areas_store_path, d, seed: int, corp_share: bool = False):
    """A copy of the areas store in ``d`` with a synthetic panel on the buurten, loaded through the CSV;
    returns the open store and what the generator wrote."""
    import shutil

    from veerkracht.sources import read
    from veerkracht.store import open_store
    from veerkracht.store.microdata import ingest_any
    from veerkracht.synth.tenants import write_tenants
    path = d / "store.duckdb"
    shutil.copy(areas_store_path, path)
    store = open_store(str(path))
    if corp_share:
        with_corp_share(store)
    res = write_tenants(store, d / "huurders.csv", geo_version="cbs2019", level="buurt", seed=seed)
    ingest_any(store, read("tenants", res["file"], mapping=res["mapping"]))
    return store, {**res, "path": path}


def _postgis_as_org(request, org: str, areas_store_path=None):
    """A fresh PostGIS database (with the areas store copied in, if given) opened as organisation ``org``."""
    from veerkracht.store import open_store
    from veerkracht.store._pg_orgs import add_organisation
    from veerkracht.store.copy import copy_store

    cluster = request.getfixturevalue("pg_cluster")
    url = cluster.new_database()
    admin = open_store(url)
    if areas_store_path is not None:
        source = open_store(str(areas_store_path), read_only=True)
        copy_store(source, admin)
        source.close()
    add_organisation(admin, org)
    admin.close()
    return open_store(f"{url}?org={org}")


@pytest.fixture(scope="session", params=["duckdb", "postgis"])
def tenant_store(request, tmp_path_factory, areas_store_path):
    """The areas store with a synthetic panel on the 479 Amsterdam buurten (on each backend)."""
    d = tmp_path_factory.mktemp("tenants")
    if request.param == "duckdb":
        store, res = panel_store(areas_store_path, d, seed=3)
    else:
        from veerkracht.sources import read
        from veerkracht.store.microdata import ingest_any
        from veerkracht.synth.tenants import write_tenants
        store = _postgis_as_org(request, "Corporatie Test", areas_store_path)
        res = write_tenants(store, d / "huurders.csv", geo_version="cbs2019", level="buurt", seed=3)
        ingest_any(store, read("tenants", res["file"], mapping=res["mapping"]))
    yield store, res
    store.close()


@pytest.fixture(scope="session", params=["duckdb", "postgis"])
def survey_store(request, survey_files):
    """A store holding the synthetic survey (read from the .sav): in memory, or PostGIS as an organisation."""
    from veerkracht.sources import read
    from veerkracht.store import open_store
    from veerkracht.store.microdata import ingest_any
    store = open_store(":memory:") if request.param == "duckdb" else _postgis_as_org(request, "Gemeente Test")
    f = survey_files["sav"]
    res = ingest_any(store, read("survey", f["file"], mapping=f["mapping"]))
    yield store, res
    store.close()
