"""``veerkracht analyse <name>``: run one analysis of METHOD.md on the store."""
from __future__ import annotations

import dataclasses
import inspect
import json
from pathlib import Path
from typing import Optional

import typer

__all__ = ["register", "parse_value", "notes_in", "readable"]


def parse_value(text: str):
    """Option values: JSON when it parses (numbers, lists, true/false), else the plain string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def notes_in(notes: list, lang: str) -> list[str]:
    """The notes in one language (messages rendered; old 'NL: …' / 'EN: …' pairs filtered)."""
    from .analysis.base import note_texts
    return note_texts(notes, lang)


def readable(table, layer, lang: str):
    """A result table for the screen: the map class as its label (from the analysis' ``LayerSpec``)
    first after the code, and the columns that only serve drawing (colour, shade, map key) left out."""
    from .i18n import render
    t = table.drop(columns=[c for c in ("colour", "shade") if c in table.columns])
    if layer is not None and layer.classes and layer.column in t.columns:
        labels = {c.key: render(c.label, lang) for c in layer.classes}
        cls = t[layer.column].astype(str).map(labels).fillna("")
        t = t.drop(columns=[c for c in {layer.column, "class"} if c in t.columns])
        t.insert(1 if "code" in t.columns else 0, "class", cls)
    if layer is not None and layer.rule_column in t.columns:        # the rule right after the class
        t = t[[c for c in t.columns if c != layer.rule_column][:2] + [layer.rule_column]
              + [c for c in t.columns if c != layer.rule_column][2:]]
    return t


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
        from .i18n import Message

        if name is None:
            for n in sorted(ANALYSES):
                fn = ANALYSES[n]
                console.print(f"[bold]{n:16}[/] {fn.summary_en if state.lang == 'en' else fn.summary_nl}")
            console.print("\n`veerkracht analyse <name> --list` shows the parameters of one analysis "
                          "(pass them with -o key=value).")
            return
        run = get_analysis(name)
        accepted = inspect.signature(run).parameters
        if list_:
            console.print(f"[bold]{name}[/]: {run.summary_en if state.lang == 'en' else run.summary_nl}\n")
            helps = {f.name: f.metadata.get("help", "") for f in dataclasses.fields(run.Params)} \
                if hasattr(run, "Params") else {}
            for p in list(accepted.values())[1:]:
                default = "" if p.default is inspect.Parameter.empty else f" = {p.default!r}"
                tail = f"  — {helps[p.name]}" if helps.get(p.name) else ""
                console.print(f"  -o {p.name}=…{default}{tail}", highlight=False, markup=False)
            console.print("\n" + (inspect.getdoc(run) or ""), highlight=False)
            return
        params = {}
        for o in option:
            if "=" not in o:
                raise typer.BadParameter(f"--option expects key=value, got {o!r}")
            k, v = o.split("=", 1)
            k = k.strip().replace("-", "_")
            value = parse_value(v)
            # a list parameter given as plain text: comma-separated items, not characters
            if k in accepted and "list" in str(accepted[k].annotation) and isinstance(value, str):
                value = [x.strip() for x in value.split(",") if x.strip()]
            params[k] = value
        codes = [c.strip() for r in region for c in r.split(",") if c.strip()]
        if "periods" in accepted and "year_from" not in accepted and year_from and year_to:
            params.setdefault("periods", [[year_from, year_to]])     # --from/--to as one period
            year_from = year_to = None
        given = {"region": codes or None, "year_from": year_from, "year_to": year_to,
                 "indicator": indicator, "geo_version": geo_version}
        for k, v in given.items():
            if v is not None:
                if k not in accepted and not any(p.kind == p.VAR_KEYWORD for p in accepted.values()):
                    raise typer.BadParameter(f"analysis {name} takes no {k.replace('_', '-')} option")
                params[k] = v
        store = open_current(read_only=True)
        result = run(store, **params)
        from rich.console import Console
        err = Console(stderr=True)
        for note in notes_in(result.notes, state.lang):
            err.print("note: " + note, highlight=False, markup=False, style="yellow")
        for line in result.about(state.lang):            # which inputs, years and geography it used
            err.print(line, highlight=False, markup=False, style="dim")
        if fmt == "json":
            print(result.to_json(state.lang))
        else:
            table = result.rendered_table(state.lang)
            if fmt == "table":   # on screen: classes in words, drawing columns left out
                table = readable(table, getattr(run, "layer", None), state.lang)
            emit(table, fmt, title=name)
            if fmt == "table" and result.summary:
                for k, v in result.summary.items():
                    if isinstance(v, Message):
                        console.print(v.render(state.lang), markup=False)
                    elif isinstance(v, str) and k.startswith("sentence") and k.endswith(state.lang):
                        console.print(v, markup=False)
        if figure is not None:
            fig = result.figure(lang=state.lang)
            fig.savefig(figure, dpi=150, bbox_inches="tight")
            err.print(f"figure written to {figure}")     # stderr: stdout may be JSON or CSV
        if layer is not None:
            gdf = result.layer(store)
            gdf.to_file(layer, driver="GPKG" if layer.suffix == ".gpkg" else "GeoJSON")
            err.print(f"layer written to {layer}")
