"""``veerkracht analyse <name>``: run one analysis of METHOD.md on the store."""
from __future__ import annotations

import dataclasses
import inspect
import json
from pathlib import Path
from typing import Optional

import typer

__all__ = ["register", "parse_value", "notes_in", "readable", "labelled", "working_example"]


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
    if "label" in t.columns and "term" in t.columns:     # the term in words stands beside its id: the id goes
        t = t.drop(columns=["term"])
    if layer is not None and layer.classes and layer.column in t.columns:
        labels = {c.key: render(c.label, lang) for c in layer.classes}
        cls = t[layer.column].astype(str).map(labels).fillna("")
        t = t.drop(columns=[c for c in {layer.column, "class"} if c in t.columns])
        t.insert(1 if "code" in t.columns else 0, "class", cls)
    if layer is not None and layer.rule_column in t.columns:        # the rule right after the class
        t = t[[c for c in t.columns if c != layer.rule_column][:2] + [layer.rule_column]
              + [c for c in t.columns if c != layer.rule_column][2:]]
    return t


#: columns in the unit of the analysed indicator, and those in its change (points for a percentage)
VALUE_COLUMNS = ("value", "value_from", "value_to", "value_lower", "value_upper", "gm_value", "nl_value", "level",
                 "level_to", "vulnerable", "vulnerable_from")
CHANGE_COLUMNS = ("change", "trend", "diff_gm", "diff_nl", "rise", "mean_change")
#: columns that hold a corporation share (%), whatever the indicator
SHARE_COLUMNS = ("corp_share", "breakpoint", "break_lo", "break_hi", "zero_crossing", "zero_lo", "zero_hi",
                 "up_crossing", "x_max")


def labelled(table, result, store, lang: str):
    """Headers in words with their unit — ``waarde (per 1.000 inwoners)``, ``knikpunt (%)`` — for the
    screen; two columns never share a header (the second gets its column name in words added)."""
    from .cli import column_label
    from .i18n import render
    from .indicators.registry import unit_in
    ind = (result.params or {}).get("indicator")
    try:
        unit = unit_in(store.indicator(ind).get("unit"), lang) if isinstance(ind, str) else ""
    except Exception:  # an indicator the registry does not know: no unit
        unit = ""
    names, seen = {}, set()
    for c in table.columns:
        label = column_label(c, lang)
        u = ("%" if c in SHARE_COLUMNS else unit if c in VALUE_COLUMNS else
             (render("cli.unit.points", lang) if unit == "%" else unit) if c in CHANGE_COLUMNS else "")
        if u and u not in label:
            label = f"{label} ({u})"
        if label in seen:
            label = f"{label} — {str(c).replace('_', ' ')}"
        seen.add(label)
        names[c] = label
    out = table.rename(columns=names)
    return out


def _coverage(store, indicator: str) -> list[tuple[str, str, int, int]]:
    """(geo version, level, first year, last year) for ``indicator``, most years first (ties: most areas).

    The two years are those of the indicator that most other indicators of the same version and level
    also hold (an analysis relates it to them), the widest such pair first."""
    from itertools import combinations

    a = store.areas(geometry=False)[["geo_version", "code", "level"]]
    out = []
    for v in sorted(set(store.facts(indicator=indicator)["geo_version"])):
        f = store.facts(geo_version=v)
        f = f[f["value"].notna()].merge(a, on=["geo_version", "code"])
        for lv, g in f.groupby("level"):
            mine = g[g["indicator"] == indicator]
            years = sorted({int(y) for y in mine["year"]})
            if mine["code"].nunique() < 5 or len(years) < 2:
                continue
            others = [set(x["year"]) for _, x in g[g["indicator"] != indicator].groupby("indicator")]
            y0, y1 = max(combinations(years, 2), key=lambda p: (sum(p[0] in o and p[1] in o for o in others),
                                                                  p[1] - p[0]))
            out.append((len(years), mine["code"].nunique(), v, lv, y0, y1))
    return [(v, lv, y0, y1) for *_, v, lv, y0, y1 in sorted(out, reverse=True)]


#: outcomes of liveability and nuisance, in the order an example tries them
LIVEABILITY = ["lbm_onv", "lbm", "nuisance", "safety_index", "fear_of_crime"]


def working_example(run, name: str, store, error: str, tries: int = 12, budget: float = 90.0) -> str | None:
    """A command line for analysis ``name`` that runs on this store, or None.

    Tried in order: the indicator the error names (``-i x``), then the store's rate indicators
    (vulnerable groups first; for an outcome of liveability other such outcomes, then the corporation
    share), each on the (up to three) versions and levels where it has the most years, over all its
    years; at most ``tries`` runs and ``budget`` seconds. Only a command that ran is returned."""
    import re

    accepted = inspect.signature(run).parameters
    if "indicator" not in accepted:
        return None
    reg = store.indicators()
    named = re.findall(r"-i ([a-z0-9_]+)", error)
    order = ["bijstand", "bijstand_15_64", "bijstand_per_100_dwellings", "low_income", "social_minimum", "corp_share"]
    default = accepted["indicator"].default
    if default in LIVEABILITY:        # an outcome of liveability: other outcomes, never a vulnerable group
        order = [default, "corp_share"] + LIVEABILITY        # the corporation share has years like the groups
        rates = []
    else:
        rates = [i for i in reg.loc[reg["kind"] == "rate", "id"] if i not in order]
    cands = list(dict.fromkeys(named + order + rates))
    import time
    import warnings
    start = time.perf_counter()
    tried = [(ind, *cov) for ind in cands for cov in _coverage(store, ind)[:3]]
    for ind, v, lv, y0, y1 in tried[:tries]:
        if time.perf_counter() - start > budget:
            return None
        given = {"indicator": ind, "geo_version": v, "level": lv, "year_from": y0, "year_to": y1}
        kw = {k: x for k, x in given.items() if k in accepted}
        if "year_from" not in accepted and "year" in accepted:
            kw["year"] = y1
        try:
            with warnings.catch_warnings():          # a trial's warnings are not the user's
                warnings.simplefilter("ignore")
                run(store, **kw)
        except Exception:  # this one does not run either: try the next
            continue
        parts = [f"veerkracht analyse {name} -i {ind}"]
        if "year_from" in kw:
            parts.append(f"--from {y0} --to {y1}")
        if "geo_version" in kw:
            parts.append(f"--geo-version {v}")
        if "level" in kw:
            parts.append(f"-o level={lv}")
        if "year" in kw:
            parts.append(f"-o year={y1}")
        return " ".join(parts)
    return None


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
        from .errors import VeerkrachtError
        from .i18n import Message, render

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
        try:
            result = run(store, **params)
        except VeerkrachtError as e:
            # say what would work: a command that was tried on this store and ran
            example = working_example(run, name, store, str(e)) if not option else None
            if example:
                from rich.console import Console
                Console(stderr=True).print(render("cli.analyse.example", state.lang, command=example),
                                           highlight=False, markup=False, style="green")
            raise
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
            if fmt == "table":   # on screen: classes in words, drawing columns left out, units in the headers
                table = readable(table, getattr(run, "layer", None), state.lang)
                table = labelled(table, result, store, state.lang)
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
