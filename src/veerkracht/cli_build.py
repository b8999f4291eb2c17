"""``veerkracht fetch | build | aggregate | crosswalk-levels``: public sources to a harmonised store.

The download cache is ``--cache`` (default ``$VEERKRACHT_CACHE`` or ``~/.cache/veerkracht``);
``--offline`` uses only the cache. ``--services-url`` (or ``$VEERKRACHT_SERVICES_URL``) points every
service at one mirror with the services' own paths (the test servers use this).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

__all__ = ["register"]

_CACHE = os.environ.get("VEERKRACHT_CACHE") or str(Path.home() / ".cache" / "veerkracht")


def _codes(values: list[str]) -> list[str]:
    return [c.strip().upper() for v in values for c in v.split(",") if c.strip()]


def _years(values: list[str]) -> list[int]:
    from .errors import VeerkrachtError

    years = _codes(values)
    bad = [y for y in years if not (y.isdigit() and 2000 <= int(y) <= 2100)]
    if bad:
        raise VeerkrachtError(f"--leefbaarometer takes meting years such as 2020,2022, not {', '.join(bad)}")
    return [int(y) for y in years]


def _services(url: Optional[str]):
    from .sources.public import Services

    url = url or os.environ.get("VEERKRACHT_SERVICES_URL")
    return Services.loopback(url) if url else Services()


def register(app, open_current, console, err_console, progress, print_frame) -> None:
    """Add the commands to ``app`` (the main CLI)."""
    from .errors import VeerkrachtError

    def _cache(path: str, offline: bool):
        from .sources.download import DownloadCache
        return DownloadCache(path, offline=offline, min_interval=0.0 if os.environ.get("VEERKRACHT_SERVICES_URL")
                             else 0.2)

    @app.command()
    def fetch(source: str = typer.Argument(..., help="kwb, geometry, pc4, leefbaarometer, grid or crime"),
              year: int = typer.Option(..., "--year", help="KWB edition / map year / Leefbaarometer meting."),
              level: Optional[str] = typer.Option(None, "--level", help="geometry: buurt (default), wijk or "
                                                  "gemeente; leefbaarometer: pc4 (default), buurt, wijk, gemeente, grid; "
                                                  "grid: 100 (default) or 500"),
              region: list[str] = typer.Option([], "--region", "-r", help="Gemeente codes (default: the country)."),
              via: Optional[str] = typer.Option(None, "--via", help="kwb: odata or download; geometry: ogcapi or gpkg"),
              api: Optional[str] = typer.Option(None, "--api", help="CBS OData generation v3 or v4 (kwb)."),
              cache: str = typer.Option(_CACHE, "--cache", help="Download cache folder."),
              offline: bool = typer.Option(False, "--offline", help="Use only the download cache."),
              no_ingest: bool = typer.Option(False, "--no-ingest", help="Only download into the cache."),
              services_url: Optional[str] = typer.Option(None, "--services-url", hidden=True)):
        """Download one public source (through the cache) and load it into the store."""
        from .sources import fetch as f

        c, svc, reg = _cache(cache, offline), _services(services_url), _codes(region) or None
        with progress() as prog:
            task = prog.add_task(f"{source} {year}", total=None)
            bar = lambda done, total: prog.update(task, completed=done, total=total)  # noqa: E731
            if source == "kwb":
                batch = f.fetch_kwb(year, c, svc, region=reg, via=via or "odata", api=api, progress=bar)
            elif source == "geometry":
                batch = f.fetch_geometry(year, level or "buurt", c, svc, region=reg, via=via or "ogcapi", progress=bar)
            elif source == "pc4":
                batch = f.fetch_pc4(year, c, svc, progress=bar)
            elif source == "crime":
                from .sources.fetch_crime import fetch_crime
                batch = fetch_crime([year], c, svc, region=reg, progress=bar)
            elif source == "leefbaarometer":
                batch = f.fetch_leefbaarometer(year, c, svc, level=level or "pc4", progress=bar)
            elif source == "grid":
                batch = f.fetch_grid_cbs(year, c, svc, resolution=int(level or 100), progress=bar)
            else:
                raise VeerkrachtError(f"unknown source {source!r}: choose kwb, geometry, pc4, leefbaarometer, grid "
                                      "or crime")
        for w in batch.warnings:
            err_console.print(f"[yellow]warning:[/] {w}")
        console.print(f"fetched {batch.provenance.location}: {batch.summary()} (cache {c.root}, "
                      f"{c.stats['requests']} requests, {c.stats['cache_hits']} from the cache)")
        if not no_ingest:
            store = open_current()
            res = store.ingest(batch)
            console.print("already in the store — nothing changed" if res["skipped"] else
                          f"loaded {res['areas']} areas, {res['facts']} facts")
            store.close()

    @app.command()
    def build(region: list[str] = typer.Option([], "--region", "-r", help="Gemeente codes, e.g. GM0344."),
              country: bool = typer.Option(False, "--country", help="The whole country."),
              year_from: int = typer.Option(2013, "--from"), year_to: int = typer.Option(2025, "--to"),
              target: Optional[int] = typer.Option(None, "--target", help="Year whose indeling all years go onto "
                                                                          "(default: the last)."),
              levels: str = typer.Option("buurt,wijk,gemeente", "--levels"),
              kwb_via: Optional[str] = typer.Option(None, "--kwb-via", help="odata (default for a region) or "
                                                                            "download (default for the country)"),
              geo_via: str = typer.Option("ogcapi", "--geo-via", help="ogcapi or gpkg"),
              addresses: Optional[Path] = typer.Option(None, "--addresses", help="Address points: weight the "
                                                                                 "crosswalks by addresses."),
              min_coverage: float = typer.Option(0.5, "--min-coverage", help="A source area covered less than "
                                                 "this by the target map is left out, not moved whole."),
              cache: str = typer.Option(_CACHE, "--cache"), offline: bool = typer.Option(False, "--offline"),
              services_url: Optional[str] = typer.Option(None, "--services-url", hidden=True),
              leefbaarometer: list[str] = typer.Option([], "--leefbaarometer", help="Leefbaarometer meting years "
                                                       "(e.g. 2020,2022): PC4 scores onto the target buurten."),
              crime: bool = typer.Option(False, "--crime", help="Registered crime per buurt (Politie via CBS).")):
        """Fetch, load, crosswalk and harmonise KWB + geometry (+ Leefbaarometer, crime) for a region or the
        country; resumable."""
        from .build import BuildPlan, coverage_table, run_build

        reg = _codes(region)
        if bool(reg) == country:
            raise VeerkrachtError("give --region GMxxxx (one or more) or --country")
        plan = BuildPlan(years=list(range(year_from, year_to + 1)), region=reg or None, target=target,
                         levels=tuple(s.strip() for s in levels.split(",") if s.strip()),
                         kwb_via=kwb_via or ("download" if country else "odata"), geo_via=geo_via,
                         min_coverage=min_coverage, addresses=str(addresses) if addresses else None,
                         leefbaarometer=_years(leefbaarometer), crime=crime)
        store = open_current()
        c = _cache(cache, offline)
        with progress() as prog:
            def bar(desc):
                task = prog.add_task(desc, total=None)
                return lambda done, total: prog.update(task, completed=done, total=total)
            res = run_build(store, plan, c, _services(services_url), progress=bar,
                            say=lambda line: err_console.print(line, markup=False, highlight=False))
        store.close()
        if res["skipped"]:
            console.print(f"resumed: {len(res['skipped'])} finished step(s) skipped")
        tm = res["timings"]
        console.print("time: " + ", ".join(f"{k} {v:.1f} s" for k, v in tm.items() if "_" not in k))
        print_frame(coverage_table(res["coverage"], "buurt"),
                    title=f"Dekking op {plan.target_version} (% buurten met een waarde)")
        for key, rep in res["reports"].items():
            if key.startswith(("crosswalk:", "crosswalk-pc4:")):
                for level, r in rep.items():
                    if r.get("slivers_dropped") or r.get("low_coverage"):
                        err_console.print(f"{key} {level}: {r['slivers_dropped']} slivers "
                                          f"({r['sliver_share']:.3%} of the overlaid area), {r['low_coverage']} "
                                          f"area(s) left out for low coverage {r['low_coverage_codes']}")

    @app.command()
    def aggregate(geo_version: str = typer.Option(..., "--geo-version"),
                  from_level: str = typer.Option("buurt", "--from-level"),
                  to_level: str = typer.Option("wijk", "--to-level", help="wijk, gemeente or country"),
                  weight: Optional[str] = typer.Option(None, "--weight", help="Count indicator that weights "
                                                                              "scores (e.g. dwellings)."),
                  indicator: list[str] = typer.Option([], "--indicator", "-i")):
        """Aggregate facts up the hierarchy (buurt → wijk → gemeente → country) within one version."""
        from .geo.aggregate import aggregate_store

        store = open_current()
        res = aggregate_store(store, geo_version, from_level, to_level, weight=weight, indicators=indicator or None)
        store.close()
        console.print(f"aggregated {geo_version} {from_level} → {to_level}: {res['facts_in']} facts in, "
                      f"{res['facts_out']} out")

    @app.command("crosswalk-levels")
    def crosswalk_levels(from_version: str = typer.Option(..., "--from"), from_level: str = typer.Option(..., "--from-level"),
                         to_version: str = typer.Option(..., "--to"), to_level: str = typer.Option("buurt", "--to-level"),
                         points: Optional[Path] = typer.Option(None, "--points", help="Address points (weights "
                                                                                      "by addresses)."),
                         point_weight: Optional[str] = typer.Option(None, "--point-weight"),
                         min_coverage: float = typer.Option(0.5, "--min-coverage")):
        """Crosswalk between levels of two versions (e.g. PC4 → buurt) by overlay of stored geometry."""
        from .geo.levels import level_crosswalk

        store = open_current()
        pts = None
        if points is not None:
            from .sources.geometry import load_geodataframe
            pts = load_geodataframe(points)[0]
        cw = level_crosswalk(store, from_version, from_level, to_version, to_level, points=pts,
                             point_weight=point_weight, min_coverage=min_coverage)
        store.write_crosswalk(cw)
        store.close()
        r = cw.attrs["report"]
        console.print(f"crosswalk {from_version} ({from_level}) → {to_version} ({to_level}): {len(cw)} rows; "
                      f"{r['unmatched']} unmatched, {r['slivers_dropped']} slivers ({r['sliver_share']:.3%}), "
                      f"{r['low_coverage']} left out for low coverage, {r['partial']} partly covered")
