"""Real-data examples kept in the docs (issue 3): rerun with

    .venv/bin/python docs/examples/make_examples.py [--shared tests/data/real]

Writes figures and a ``results.json`` with the headline numbers into docs/examples/; the text in
docs/examples/README.md describes them. Two stores are built: the bundled Amsterdam demo and a
national Leefbaarometer PC4 store from the full 2002–2022 file in shared/data.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from veerkracht.analysis import get_analysis  # noqa: E402
from veerkracht.demo import build_demo_store  # noqa: E402
from veerkracht.i18n import Message, render  # noqa: E402
from veerkracht.indicators import registry_frame  # noqa: E402
from veerkracht.sources import read  # noqa: E402
from veerkracht.store import open_store  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

AMSTERDAM = [
    ("corp-profile", "ams-corp-profile-bijstand-2005-2017",
     dict(indicator="bijstand_per_100_dwellings", geo_version="cbs2019", level="wijk", region=["GM0363"],
          year_from=2005, year_to=2017, index_on="regional", n_boot=1000)),
    ("tipping-point", "ams-tipping-point-lbm-2012-2018",
     dict(outcome="lbm", geo_version="cbs2019", level="buurt", region=["GM0363"], year_from=2012, year_to=2018)),
    ("tipping-point", "ams-tipping-point-lbm-onv-2014-2018",
     dict(outcome="lbm_onv", geo_version="cbs2019", level="buurt", region=["GM0363"], year_from=2014,
          year_to=2018)),
    ("hotspots", "ams-hotspots-lbm-2018-on-pc4",
     dict(indicator="lbm", geo_version="cbs2019", level="buurt", region=["GM0363"], measure="level", year=2018)),
    ("hotspots", "ams-hotspots-lbm-2018-on-buurten-naive",
     dict(indicator="lbm", geo_version="cbs2019", level="buurt", region=["GM0363"], measure="level", year=2018,
          support=False)),
    ("typology", "ams-typology-wijken-2013-2017",
     dict(geo_version="cbs2019", level="wijk", region=["GM0363"], year_from=2013, year_to=2017,
          standin_components=["bijstand_per_100_dwellings"], nuisance="nuisance")),
    ("typology", "ams-typology-wijken-2013-2017-by-start",
     dict(geo_version="cbs2019", level="wijk", region=["GM0363"], year_from=2013, year_to=2017,
          standin_components=["bijstand_per_100_dwellings"], nuisance="nuisance", group_by="start")),
]

NATIONAL = [
    ("liveability", "nl-pc4-liveability-2012-2018-by-start",
     dict(indicator="lbm", geo_version="lbm3-2022", level="pc4", group_by="start", periods=[(2012, 2018)])),
    ("liveability", "nl-pc4-liveability-2012-2018-by-end",
     dict(indicator="lbm", geo_version="lbm3-2022", level="pc4", group_by="end", periods=[(2012, 2018)])),
    ("liveability", "nl-pc4-liveability-by-2018-both-periods",
     dict(indicator="lbm", geo_version="lbm3-2022", level="pc4", group_year=2018,
          periods=[(2012, 2018), (2018, 2022)])),
]


def run_all(store, runs, results: dict) -> None:
    for name, slug, params in runs:
        res = get_analysis(name)(store, **params)
        fig = res.figure(lang="nl")
        fig.savefig(HERE / "figures" / f"{slug}.png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        if name == "typology":
            from veerkracht.analysis.typology import typology_map
            fig, ax = plt.subplots(figsize=(7, 6))
            typology_map(res, ax, store=store)
            fig.savefig(HERE / "figures" / f"{slug}-map.png", dpi=110, bbox_inches="tight")
            plt.close(fig)
            listed = res.rendered_table("nl")[res.table["class"].isin(["problem", "signal", "vulnerable"])]
            results[slug + "-problem-and-watch-areas"] = listed[["code", "class", "rule"]].to_dict("records")
        summary = {k: render(v, "nl") if isinstance(v, Message) else v for k, v in res.summary.items()}
        results[slug] = {"summary": summary, "notes": res.note_texts("nl"), "params": res.params,
                         "inputs": res.inputs}
        print(f"{slug}: {summary.get('message') or list(summary)[:4]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=ROOT / "tests" / "data" / "real")
    args = ap.parse_args()
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        demo = open_store(Path(tmp) / "demo.duckdb")
        build_demo_store(demo)
        run_all(demo, AMSTERDAM, results)
        demo.close()
        nl = open_store(Path(tmp) / "nl.duckdb")
        nl.register_indicators(registry_frame())
        nl.ingest(read("leefbaarometer", str(args.shared / "leefbaarometer_pc4" /
                                            "leefbaarometer3_scores_pc4_2002_2022.csv.gz")))
        run_all(nl, NATIONAL, results)
        nl.close()
    (HERE / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
