"""``veerkracht analyse <name>``: run one analysis of METHOD.md on the store."""
from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Optional

import typer

__all__ = ["register", "parse_value"]


def parse_value(text: str):
    """Option values: JSON when it parses (numbers, lists, true/false), else the plain string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def register(app, open_current, state, console, emit) -> None:
    @app.command(context_settings={"help_option_names": ["-h", "--help"]})
    def analyse(name: Optional[str] = typer.Argument(None, help="Analysis name (see --list)."),
                list_: bool = typer.Option(False, "--list", help="Name every analysis with a one-line description."),
                region: list[str] = typer.Option([], "--region", "-r",
                                                 help="Region: gemeente/wijk/area codes (repeat or comma-separate)."),
                year_from: Optional[int] = typer.Option(None, "--from", help="Start year."),
                year_to: Optional[int] = typer.Option(None, "--to", help="End year."),
                indicator: Optional[str] = typer.Option(None, "--indicator", "-i"),
                geo_version: Optional[str] = typer.Option(None, "--geo-version"),
                option: list[str] = typer.Option([], "--option", "-o", help="Further parameter key=value."),
                fmt: str = typer.Option("table", "--format", help="table, json or csv"),
                figure: Optional[Path] = typer.Option(None, "--figure", help="Write the figure (.png or .svg)."),
                layer: Optional[Path] = typer.Option(None, "--layer", help="Write the map layer (.geojson or .gpkg).")):
        """Run an analysis: corporation-share profile, liveability, tipping point, typology, …"""
        from .analysis import ANALYSES, get_analysis
        from .analysis import _load_all  # noqa: F401

        if list_ or name is None:
            for n in sorted(ANALYSES):
                fn = ANALYSES[n]
                console.print(f"[bold]{n:16}[/] {fn.summary_en if state.lang == 'en' else fn.summary_nl}")
            return
        run = get_analysis(name)
        params = {k.replace("-", "_"): parse_value(v) for k, v in (o.split("=", 1) for o in option)}
        codes = [c.strip() for r in region for c in r.split(",") if c.strip()]
        given = {"region": codes or None, "year_from": year_from, "year_to": year_to,
                 "indicator": indicator, "geo_version": geo_version}
        accepted = inspect.signature(run).parameters
        for k, v in given.items():
            if v is not None:
                if k not in accepted and not any(p.kind == p.VAR_KEYWORD for p in accepted.values()):
                    raise typer.BadParameter(f"analysis {name} takes no {k.replace('_', '-')} option")
                params[k] = v
        store = open_current(read_only=True)
        result = run(store, **params)
        from rich.console import Console
        err = Console(stderr=True)
        for note in result.notes:
            err.print(f"[yellow]note:[/] {note}", highlight=False)
        if fmt == "json":
            print(result.to_json())
        else:
            emit(result.table, fmt, title=name)
            if fmt == "table" and result.summary:
                for k, v in result.summary.items():
                    if isinstance(v, str) and k.startswith("sentence") and k.endswith(state.lang):
                        console.print(v)
        if figure is not None:
            fig = result.figure(lang=state.lang)
            fig.savefig(figure, dpi=150, bbox_inches="tight")
            console.print(f"figure written to {figure}")
        if layer is not None:
            gdf = result.layer(store)
            gdf.to_file(layer, driver="GPKG" if layer.suffix == ".gpkg" else "GeoJSON")
            console.print(f"layer written to {layer}")
