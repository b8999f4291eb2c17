"""The bundled demo: Amsterdam 2005–2018, Leefbaarometer PC4 2002–2022, gemeenten 2020–2025.

``manifest.toml`` lists what to load (through the ordinary readers), which crosswalks to build or
compose, what to harmonise and aggregate, and which analyses to run — so the demo exercises exactly
the code paths a user's own data takes.
"""
from __future__ import annotations

import json
import time
import tomllib
from importlib import resources
from pathlib import Path

__all__ = ["run_demo", "build_demo_store", "DATA_DIR", "load_manifest"]

DATA_DIR = Path(str(resources.files(__package__))) / "data"
_MANIFEST = Path(str(resources.files(__package__))) / "manifest.toml"


def load_manifest() -> dict:
    with open(_MANIFEST, "rb") as fh:
        return tomllib.load(fh)


def _path(rel: str) -> Path:
    base = Path(str(resources.files(__package__)))
    return base / rel if rel.startswith(("mappings/", "data/")) else DATA_DIR / rel


def build_demo_store(store, on_step=None) -> list[dict]:
    """Load the demo data into ``store`` and derive what the manifest asks. Returns a step log."""
    from ..geo.aggregate import aggregate_store, identity_crosswalk
    from ..geo.crosswalk import compose, overlay_crosswalk
    from ..geo.harmonise import harmonise_store
    from ..indicators import registry_frame
    from ..indicators.derive import derive_rate
    from ..sources import read

    man = load_manifest()
    store.register_indicators(registry_frame())
    log = []

    def step(label, fn):
        t0 = time.perf_counter()
        info = fn()
        log.append({"step": label, "seconds": round(time.perf_counter() - t0, 2), "result": info})
        if on_step:
            on_step(label)

    for item in man.get("load", []):
        def _load(item=item):
            opts = dict(item.get("options", {}))
            if "mapping" in item:
                opts["mapping"] = str(_path(item["mapping"]))
            batch = read(item["kind"], str(_path(item["file"])), **opts)
            res = store.ingest(batch)
            return {**res, "warnings": batch.warnings[:5]}
        step(item.get("label", item["file"]), _load)

    for item in man.get("crosswalk", []):
        def _cw(item=item):
            src = store.areas(geo_version=item["from"], level=item.get("level"))
            dst = store.areas(geo_version=item["to"], level=item.get("level"))
            cw = overlay_crosswalk(src, dst, item["from"], item["to"], basis=item.get("basis", "area"),
                                   min_share=item.get("min_share", 0.001),
                                   same_code_same_area=item.get("same_code_same_area", False))
            store.write_crosswalk(cw)
            return {"rows": len(cw)}
        step(item.get("label", f"crosswalk {item['from']} → {item['to']}"), _cw)

    for item in man.get("identity", []):
        def _identity(item=item):
            cw = identity_crosswalk(store, item["from"], item["to"], item.get("level"))
            store.write_crosswalk(cw)
            return {"rows": len(cw)}
        step(item.get("label", f"identity {item['from']} = {item['to']}"), _identity)

    for item in man.get("compose", []):
        def _compose(item=item):
            a = store.crosswalk(from_version=item["from"], to_version=item["via"])
            b = store.crosswalk(from_version=item["via"], to_version=item["to"])
            cw = compose(a, b)
            store.write_crosswalk(cw)
            return {"rows": len(cw)}
        step(item.get("label", f"compose {item['from']} → {item['via']} → {item['to']}"), _compose)

    for item in man.get("harmonise", []):
        step(item.get("label", f"harmonise onto {item['to']}"),
             lambda item=item: _jsonable(harmonise_store(store, item["to"], basis=item.get("basis"),
                                                         from_versions=item.get("from"))))

    for item in man.get("aggregate", []):
        step(item.get("label", f"aggregate {item['from_level']} → {item['to_level']}"),
             lambda item=item: _jsonable(aggregate_store(store, item["version"], item["from_level"],
                                                         item["to_level"], weight=item.get("weight"),
                                                         indicators=item.get("indicators"))))

    for item in man.get("derive", []):
        step(item.get("label", f"derive {item['indicator']}"),
             lambda item=item: derive_rate(store, item["indicator"], item["numerator"], item["denominator"],
                                           item["version"], numerator_source=item.get("numerator_source"),
                                           denominator_source=item.get("denominator_source")))
    return log


def _jsonable(obj):
    try:
        import pandas as pd
        if isinstance(obj, pd.DataFrame):
            return json.loads(obj.to_json(orient="records"))
    except ImportError:
        pass
    return obj


def run_analyses(store, out: Path, lang: str = "nl", on_step=None) -> list[dict]:
    """Run the manifest's analyses; write JSON, CSV and figures to ``out/analyses``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..analysis import get_analysis

    man = load_manifest()
    folder = out / "analyses"
    folder.mkdir(parents=True, exist_ok=True)
    done = []
    for item in man.get("analysis", []):
        name, slug = item["name"], item.get("slug", item["name"])
        params = dict(item.get("params", {}))
        t0 = time.perf_counter()
        result = get_analysis(name)(store, **params)
        (folder / f"{slug}.json").write_text(result.to_json(lang), encoding="utf-8")
        result.rendered_table(lang).to_csv(folder / f"{slug}.csv", index=False)
        (folder / f"{slug}.about.txt").write_text("\n".join(result.about(lang) + result.note_texts(lang)) + "\n",
                                                  encoding="utf-8")
        try:
            fig = result.figure(lang=lang)
            fig.savefig(folder / f"{slug}.png", dpi=130, bbox_inches="tight")
            plt.close(fig)
        except Exception as exc:  # a figure must never take the data down with it
            (folder / f"{slug}.figure-error.txt").write_text(str(exc))
        done.append({"analysis": name, "slug": slug, "seconds": round(time.perf_counter() - t0, 2),
                     "rows": len(result.table)})
        if on_step:
            on_step(f"analysis {slug}")
    return done


def run_demo(store_path: str, out: Path, lang: str = "nl", console=None, progress=None) -> dict:
    """Fresh demo store at ``store_path``, everything computed, outputs in ``out``."""
    from ..export import export_facts
    from ..store import open_store

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sp = Path(store_path)
    for p in (sp, sp.with_name(sp.name + ".wal")):
        if p.exists():
            p.unlink()
    man = load_manifest()
    n_steps = sum(len(man.get(k, [])) for k in ("load", "crosswalk", "identity", "compose", "harmonise",
                                                "aggregate", "derive", "analysis", "export")) + 1
    t0 = time.perf_counter()
    store = open_store(store_path)
    try:
        if progress is not None:
            with progress() as prog:
                task = prog.add_task("demo", total=n_steps)

                def tick(label):
                    prog.update(task, advance=1, description=label[:50])
                log = build_demo_store(store, on_step=tick)
                analyses = run_analyses(store, out, lang=lang, on_step=tick)
                exports = _exports(store, out, man, export_facts, tick)
                report = _report(store, out, man, lang, tick)
        else:
            log = build_demo_store(store)
            analyses = run_analyses(store, out, lang=lang)
            exports = _exports(store, out, man, export_facts, None)
            report = _report(store, out, man, lang, None)
    finally:
        store.close()
    summary = {"store": str(store_path), "seconds": round(time.perf_counter() - t0, 1), "steps": log,
               "analyses": analyses, "exports": exports, "report": report}
    (out / "demo-log.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    if console is not None:
        console.print(f"demo store: {store_path}")
        console.print(f"outputs:    {out}  ({len(analyses)} analyses, {len(exports)} exports) "
                      f"in {summary['seconds']} s")
        if report:
            console.print(f"report:     {report['pdf']} ({report['pages']} pages) and {report['html']}")
    return summary


def _report(store, out: Path, man: dict, lang: str, tick) -> dict | None:
    """The demo report for the region and years the manifest names."""
    from ..report import build_report

    spec = man.get("report")
    if not spec:
        return None
    res = build_report(store, region=spec["region"], year_from=spec["year_from"], year_to=spec["year_to"],
                       lang=lang, out_dir=out / "report")
    if tick:
        tick("report")
    return {"html": str(res["html"]), "pdf": str(res["pdf"]), "pages": res["pages"],
            "seconds": round(res["seconds"], 1)}


def _exports(store, out: Path, man: dict, export_facts, tick) -> list[dict]:
    done = []
    for item in man.get("export", []):
        path = out / "data" / item["file"]
        n = export_facts(store, item["indicators"], item["version"], item["format"], path,
                         level=item.get("level"))
        done.append({"file": str(path), "rows": n})
        if tick:
            tick(f"export {item['file']}")
    return done
