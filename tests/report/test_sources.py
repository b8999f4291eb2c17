"""Title page with the data's period and the sources' editions; the sources table lists only the files
this report used — tested on a store holding two cities (Amsterdam from the demo, Utrecht from its own
KWB files)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import pytest

from .conftest import _build


def _page(pdf: str, n: int) -> str:
    out = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), pdf, "-"], capture_output=True, text=True,
                         check=True).stdout
    return " ".join(out.split())


def _files(res: dict) -> set[str]:
    src = pd.read_csv(Path(res["pdf"]).parent / "tables" / "sources.csv")
    return {Path(x).name for x in src["location"]}


@pytest.fixture(scope="module")
def report_amsterdam_two(two_city_store, tmp_path_factory):
    return _build(two_city_store, tmp_path_factory.mktemp("ams_two"), region=["GM0363"], year_from=2005,
                  year_to=2017, lang="nl")


def test_title_page_names_the_data_period_and_editions(report_utrecht, report_nl):
    title = _page(report_utrecht["pdf"], 1)
    assert "Gegevens uit 2023–2024 (eerste en laatste jaar van de gebruikte gegevens)" in title
    assert "Edities van de bronnen" in title and "KWB 2023" in title and "KWB 2024" in title
    assert "OIS" not in title and "Leefbaarometer" not in title        # Amsterdam's sources are not Utrecht's
    title = _page(report_nl["pdf"], 1)
    assert "Gegevens uit 2005–2017" in title and "Gevraagde periode 2005–2017" in title
    assert "Leefbaarometer 3.0 (lbm3-2022)" in title and "OIS Veiligheidsindex 2014-2017" in title
    assert "KWB" not in title          # the gemeente figures of 2020–2025 are not used for 2005–2017


def test_sources_are_only_those_this_report_used(report_utrecht, report_amsterdam_two, two_city_store):
    everything = {Path(x).name for x in two_city_store.provenance()["location"]}
    utrecht, amsterdam = _files(report_utrecht), _files(report_amsterdam_two)
    assert {"kwb_2023_gemeente_utrecht.csv", "kwb_2024_gemeente_utrecht.csv"} <= everything
    # Utrecht: its KWB files and its boundaries; nothing of Amsterdam's
    assert {"kwb_2023_gemeente_utrecht.csv", "kwb_2024_gemeente_utrecht.csv",
            "buurten_2019_nl_wgs84_topo_simplified.geojson.gz"} <= utrecht
    assert not [f for f in utrecht if f.startswith(("ois_", "ams_", "leefbaarometer", "crosswalk"))], utrecht
    # Amsterdam: its OIS files, the Leefbaarometer, the crosswalk its harmonised facts came through, its
    # boundaries; nothing of Utrecht's and not the gemeente crosswalk it never used
    assert {"ois_wijk_bijstand_2005_2017.csv", "leefbaarometer_pc4_amsterdam.csv.gz", "crosswalk_ois2005_cbs2019.csv",
            "ams_buurten_cbs2019.geojson", "ams_wijken_cbs2019.geojson"} <= amsterdam
    assert not [f for f in amsterdam if "utrecht" in f or f.startswith("buurten_2019")], amsterdam
    assert "crosswalk_gemeente_cbs2022_cbs2023.csv" not in amsterdam and "ams_buurten_cbs2023.geojson" not in amsterdam
    assert len(amsterdam) < len(everything) and len(utrecht) < len(everything)
