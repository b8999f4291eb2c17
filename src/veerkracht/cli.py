"""The ``veerkracht`` command line: ingest, look, harmonise, export, analyse, serve, report.

Every command works on one store, chosen with the global ``--store`` option (a DuckDB file in the
working directory by default, or a ``postgresql://`` URL).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .errors import VeerkrachtError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode="rich",
                  pretty_exceptions_enable=False,
                  help="veerkracht — monitor the resilience of Dutch neighbourhoods "
                       "(kwetsbare groepen, corporatiebezit en leefbaarheid).")
console = Console()
err_console = Console(stderr=True)

DEFAULT_STORE = "veerkracht.duckdb"


class _State:
    store_path: str = DEFAULT_STORE
    lang: str = "nl"
    wait: float = 0.0


state = _State()


@app.callback()
def _main(store: str = typer.Option(DEFAULT_STORE, "--store", envvar="VEERKRACHT_STORE",
                                    help="Store: a DuckDB file (default ./veerkracht.duckdb) or a postgresql:// URL."),
          lang: str = typer.Option("nl", "--lang", help="Language of labels and texts: nl or en."),
          wait: float = typer.Option(0.0, "--wait", min=0, help="Seconds any command waits while another process "
                                                               "writes the store (default: fail at once).")):
    state.store_path = store
    state.wait = wait
    if lang not in ("nl", "en"):
        raise typer.BadParameter("--lang must be nl or en")
    state.lang = lang


def open_current(read_only: bool = False, wait: float | None = None):
    from .indicators import registry_frame
    from .store import open_store

    wait = max(wait or 0.0, state.wait)
    store = open_store(state.store_path, read_only=read_only, wait=wait, on_wait=_waiting if wait else None)
    if not read_only:   # also migrates the labels of a store written by an older version
        store.register_indicators(registry_frame())
    return store


def _waiting(pid, left: float) -> None:
    """Progress while another process holds the store (``--wait``)."""
    from .i18n import Message, render
    say("", render(Message("cli.store_waiting", {"path": state.store_path, "pid": str(pid), "left": int(left)}),
                   state.lang), err=True)


def progress():
    """A rich progress bar for steps that take more than a second."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, transient=False)


def _cell(v) -> str:
    """Numbers as people read them: 24,520 not 2.452e+04; 11.22 not 11.2153."""
    if _isna(v):
        return ""
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return f"{int(v):,}"
        return f"{v:,.1f}" if abs(v) >= 100 else f"{v:.4g}"
    return str(v)


def column_label(name, lang: str = "nl") -> str:
    """A table header in words: ``n_areas`` → 'gebieden' (messages ``col.<name>`` in the catalogs);
    an unknown name (a user's own indicator id) is shown with spaces instead of underscores."""
    from .i18n import catalog, render
    key = f"col.{name}"
    return render(key, lang) if key in catalog(lang) else str(name).replace("_", " ")


def print_frame(df, title: str | None = None, max_rows: int = 60) -> None:
    """A rich table that fits the terminal, headers in words: columns that don't fit are named, not squeezed."""
    df = df.rename(columns={c: column_label(c, state.lang) for c in df.columns})
    head = df.head(max_rows)
    cells = {c: [_cell(v) for v in head[c]] for c in head.columns}
    shown, width = [], 4
    for c in head.columns:
        w = min(max([len(str(c))] + [len(x) for x in cells[c]]), 40) + 3
        if shown and width + w > max(console.width, 80):
            break
        shown.append(c)
        width += w
    table = Table(title=title, show_lines=False)
    for c in shown:
        table.add_column(str(c), overflow="fold", max_width=40)
    for i in range(len(head)):
        table.add_row(*[cells[c][i] for c in shown])
    console.print(table)
    hidden = [str(c) for c in head.columns if c not in shown]
    if hidden:
        console.print(f"{len(hidden)} more column(s) not shown: {', '.join(hidden)} (use --format csv or json)")
    if len(df) > max_rows:
        console.print(f"… {len(df) - max_rows} more rows (use --format csv for all)")


def _isna(v) -> bool:
    try:
        import pandas as pd
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _options(pairs: list[str]) -> dict:
    out = {}
    for p in pairs or []:
        if "=" not in p:
            raise typer.BadParameter(f"--option expects key=value, got {p!r}")
        k, v = p.split("=", 1)
        out[k.strip().replace("-", "_")] = v.strip()
    return out


# ---------------------------------------------------------------------------------------- ingest
@app.command()
def ingest(kind: str = typer.Argument(..., help="Reader: cbs-kwb, cbs-kwb-long, cbs-odata, geometry, "
                                               "leefbaarometer, indicator-file, crosswalk, crosswalk-addresses, "
                                               "portfolio, survey, tenants, tenant-flows. "
                                               "`veerkracht ingest <kind> --help` lists its options."),
           location: str = typer.Argument(..., help="File path or URL (cbs:<table> for the CBS API)."),
           mapping: Optional[Path] = typer.Option(None, "--mapping", help="Mapping file (indicator-file, survey, tenants)."),
           geo_version: Optional[str] = typer.Option(None, "--geo-version", help="Geography version of the codes."),
           year: Optional[int] = typer.Option(None, "--year", help="Year, when the file does not say."),
           option: list[str] = typer.Option([], "--option", "-o", help="Reader option key=value (repeatable)."),
           force: bool = typer.Option(False, "--force", help="Load again even if this exact input was loaded."),
           replace: bool = typer.Option(False, "--replace", help="Replace facts the store holds with other values "
                                                                "(the old ones are kept as history)."),
           wait: float = typer.Option(0.0, "--wait", min=0, help="Seconds to wait while another process writes the "
                                                                 "store (default: fail at once).")):
    """Read a file or API answer into the store, in one transaction."""
    from .sources import check_options

    opts = _options(option)
    if mapping is not None:
        opts["mapping"] = str(mapping)
    if geo_version is not None:
        opts["geo_version"] = geo_version
    if year is not None:
        opts["year"] = year
    check_options(kind, opts)
    store = open_current(wait=wait)  # the lock first: a second writer waits or fails before parsing its file
    try:
        _ingest(store, kind, location, opts, force, replace)
    finally:
        store.close()


def _ingest(store, kind: str, location: str, opts: dict, force: bool, replace: bool) -> None:
    import inspect

    from .sources import get_reader, read
    res = None
    if kind == "cbs-kwb":       # a csv is streamed: each piece written as it is read (bounded memory)
        from .sources.cbs_kwb import ingest_kwb
        with err_console.status(Text(f"reading {location} ({kind}) into the store (one transaction)")):
            res, batch = ingest_kwb(store, location, force=force, replace=replace, **opts)
        if res.get("streamed") and not res["skipped"]:
            batch.facts = store.sql("SELECT code, year, indicator, flags FROM facts WHERE provenance_id = ? "
                                    "AND flags <> ''", [res["provenance_id"]])
    elif "progress" in inspect.signature(get_reader(kind)).parameters:   # paged API answers: a progress bar
        with progress() as prog:
            task = prog.add_task(f"fetching {location}", total=None)
            batch = read(kind, location, progress=lambda done, total: prog.update(task, completed=done, total=total),
                         **opts)
    else:
        with err_console.status(Text(f"reading {location} ({kind})")):
            batch = read(kind, location, **opts)
    if getattr(batch, "private", False):    # a corporation's own stock: located here, kept private
        from .cli_portfolio import ingest_portfolio
        return ingest_portfolio(store, batch, say)
    for w in batch.warnings:
        say("warning: ", w, err=True)
    for flag, n, example in flag_counts(batch.facts):
        what = ("stored as missing values, not numbers" if flag.startswith(("cbs_marker", "missing"))
                else "kept with the flag and shown as unreliable; check the source")
        say("flagged: ", f"{n} fact(s) {flag} (e.g. {example}): {what}", err=True)
    if res is None:
        from .store.microdata import ingest_any     # private microdata (survey, tenants) go to their own tables
        with err_console.status("writing to the store (one transaction)"):
            res = ingest_any(store, batch, force=force, replace=replace)
    for w in res.get("warnings", []):
        say("warning: ", w, err=True)
    if res["skipped"]:
        say("", f"already loaded (same file, reader and options): {location} — nothing changed")
    else:
        if res.get("microdata"):
            say("", f"loaded {location} as private dataset {res['dataset']!r}: "
                    + ", ".join(f"{n} rows in {t}" for t, n in res["microdata"].items()))
            return
        say("", f"loaded {location}: {res['areas']} areas, {res['facts']} facts, {res['crosswalk']} crosswalk rows"
                + (f"; {res['replaced']} facts replaced (kept as history, provenance {res['provenance_id']})"
                   if res.get("replaced") else ""))


def say(label: str, text: str, err: bool = False) -> None:
    """Print ``text`` as it is — never as rich markup (``[[indicator]]`` stays visible)."""
    style = {"warning: ": "yellow", "flagged: ": "yellow", "error: ": "bold red"}.get(label, "")
    (err_console if err else console).print(Text.assemble((label, style), str(text)))


# flags that mean "look at this number" rather than "this is how it was made"
_ALARM_FLAGS = ("pct_over_100", "negative_value", "implausible", "missing", "cbs_marker")


def flag_counts(facts) -> list[tuple[str, int, str]]:
    """(flag, count, an example area/indicator/year) for the alarming flags of a batch."""
    if facts is None or facts.empty or "flags" not in facts:
        return []
    out = []
    tokens = facts["flags"].fillna("").astype(str).str.split(",").explode()
    for flag in sorted({t for t in tokens.unique() if t}):
        if not flag.startswith(_ALARM_FLAGS):
            continue
        rows = facts.loc[tokens[tokens == flag].index.unique()]
        r = rows.iloc[0]
        out.append((flag, len(rows), f"{r['code']} {r['indicator']} {r['year']}"))
    return out


# ---------------------------------------------------------------------------------------- look
@app.command()
def areas(geo_version: Optional[str] = typer.Option(None, "--geo-version"),
          level: Optional[str] = typer.Option(None, "--level"),
          search: Optional[str] = typer.Option(None, "--search", help="Part of a name or code."),
          fmt: str = typer.Option("table", "--format", help="table or csv")):
    """List the areas in the store (or the geography versions when no filter is given)."""
    store = open_current(read_only=True)
    if geo_version is None and level is None and search is None:
        print_frame(store.geo_versions(), title="Geography versions")
        return
    df = store.areas(geo_version=geo_version, level=level, geometry=False)
    if search:
        s = search.lower()
        df = df[df["code"].str.lower().str.contains(s, regex=False) |
                df["name"].fillna("").str.lower().str.contains(s, regex=False)]
    _emit(df, fmt, title="Areas")


@app.command()
def indicators(fmt: str = typer.Option("table", "--format", help="table or csv")):
    """List the indicator registry, with how many facts the store holds for each."""
    store = open_current(read_only=True)
    reg = store.indicators()
    label = "label_en" if state.lang == "en" else "label_nl"
    counts = store.facts().groupby("indicator").agg(facts=("value", "size"),
                                                    years=("year", lambda y: _years(y)))
    df = reg[["id", label, "unit", "kind", "higher_is_worse", "source"]].merge(
        counts, left_on="id", right_index=True, how="left")
    df["facts"] = df["facts"].fillna(0).astype(int)
    from .indicators.registry import unit_in
    df["unit"] = df["unit"].map(lambda u: unit_in(u, state.lang))
    _emit(df, fmt, title="Indicators")


def _years(y) -> str:
    ys = sorted(set(int(v) for v in y))
    return ", ".join(map(str, ys)) if len(ys) <= 6 else f"{ys[0]}–{ys[-1]} ({len(ys)})"


@app.command()
def facts(indicator: str = typer.Option(..., "--indicator", "-i"),
          area: list[str] = typer.Option(..., "--area", "-a", help="Area code(s)."),
          geo_version: Optional[str] = typer.Option(None, "--geo-version"),
          fmt: str = typer.Option("table", "--format", help="table, csv or json"),
          raw: bool = typer.Option(False, "--raw", help="Show small numbers too (to check a load in your own "
                                                       "store; never share such output).")):
    """Show the facts of one indicator for one or more areas, all years and versions.

    Small numbers are suppressed as in every other output, unless --raw is given.
    """
    from .indicators.reliability import suppress_store_facts

    store = open_current(read_only=True)
    store.indicator(indicator)  # clear error for an unknown indicator
    area = [c.strip() for a in area for c in a.split(",") if c.strip()]
    df = store.facts(indicator=indicator, codes=area, geo_version=geo_version)
    if not raw and not df.empty:
        df = suppress_store_facts(store, df)
    if df.empty:
        known = store.areas(codes=area, geometry=False)
        if known.empty:
            raise VeerkrachtError(f"no area {', '.join(area)} in the store")
        raise VeerkrachtError(f"no facts for {indicator} in {', '.join(area)}")
    if fmt == "table":
        spec = store.indicator(indicator)
        label = spec["label_en"] if state.lang == "en" else spec["label_nl"]
        cols = (["code"] if len(area) > 1 else []) + ["year", "value", "numerator", "denominator", "geo_version",
                                                       "origin_version", "source", "flags"]
        df = df[cols]
        title = f"{label} ({spec['unit']}) — {', '.join(area)}"
    else:
        title = None
    _emit(df, fmt, title=title)


@app.command()
def provenance():
    """Where every loaded batch came from (file, checksum, vintage, time)."""
    print_frame(open_current(read_only=True).provenance(), title="Provenance")


def _emit(df, fmt: str, title: str | None = None) -> None:
    if fmt == "csv":
        sys.stdout.write(df.to_csv(index=False))
    elif fmt == "json":
        sys.stdout.write(df.to_json(orient="records", indent=2, force_ascii=False) + "\n")
    elif fmt == "table":
        print_frame(df, title=title)
    else:
        raise typer.BadParameter(f"unknown format {fmt!r}")


# ---------------------------------------------------------------------------------------- geo
@app.command()
def crosswalk(from_version: str = typer.Option(..., "--from"), to_version: str = typer.Option(..., "--to"),
              basis: str = typer.Option("area", "--basis", help="area (overlay of stored geometry) or identity "
                                                                "(same codes, e.g. two KWB editions)"),
              level: str = typer.Option("buurt", "--level"),
              same_code_same_area: bool = typer.Option(False, "--same-code-same-area",
                                                       help="A code in both versions is the same area (gemeenten).")):
    """Build a crosswalk between two geography versions (overlay of stored geometry, or same codes)."""
    from .geo.crosswalk import overlay_crosswalk

    store = open_current()
    if basis == "identity":
        from .geo.aggregate import identity_crosswalk
        cw = identity_crosswalk(store, from_version, to_version, level)
        store.write_crosswalk(cw)
        console.print(f"crosswalk {from_version} → {to_version} (identity, {level}): {len(cw)} codes")
        return
    src = store.areas(geo_version=from_version, level=level)
    dst = store.areas(geo_version=to_version, level=level)
    for v, g in ((from_version, src), (to_version, dst)):
        if g.empty or g.geometry.isna().all():
            from .geo.levels import no_geometry_message
            raise VeerkrachtError(no_geometry_message(store, v, level)
                                  + " Across levels (PC4 → buurt): `veerkracht crosswalk-levels`.")
    with err_console.status(f"overlaying {len(src)} × {len(dst)} areas"):
        cw = overlay_crosswalk(src, dst, from_version, to_version, basis=basis,
                               same_code_same_area=same_code_same_area)
    store.write_crosswalk(cw)
    console.print(f"crosswalk {from_version} → {to_version} ({basis}): {len(cw)} rows")


@app.command()
def harmonise(to: str = typer.Option(..., "--to", help="Target geography version."),
              basis: Optional[str] = typer.Option(None, "--basis", help="Weight basis: area, addresses or dwellings "
                                                                         "(default: the best available)."),
              indicator: list[str] = typer.Option([], "--indicator", "-i"),
              from_version: list[str] = typer.Option([], "--from", help="Only these source versions.")):
    """Put every fact that has a crosswalk path onto one geography version."""
    from .geo.harmonise import harmonise_store

    store = open_current()
    with err_console.status(f"harmonising onto {to}") as status:
        summary = harmonise_store(store, to, basis=basis, indicators=indicator or None,
                                  from_versions=from_version or None,
                                  progress=lambda msg: status.update(f"harmonising {msg}"))
    if not summary:
        into = store.crosswalk(to_version=to)
        if basis and not into.empty:
            raise VeerkrachtError(f"no crosswalk into {to!r} with basis {basis!r}; available: "
                                  f"{', '.join(sorted(into['basis'].unique()))}")
        from .geo.levels import missing_path_message
        stuck = [v for v in store.geo_versions()["id"] if v != to and (not from_version or v in from_version)]
        raise VeerkrachtError(f"nothing to harmonise onto {to!r}: no facts with a crosswalk path to it. "
                              + " ".join(missing_path_message(store, v, to) for v in stuck[:3]))
    import pandas as pd
    rows = [{"from": v, "path": " → ".join(s["path"]), "facts in": s["facts_in"], "facts out": s["facts_out"],
             "unmapped codes": len(s["unmapped"]),
             "e.g.": ", ".join(s["unmapped"][:5])} for v, s in summary.items()]
    print_frame(pd.DataFrame(rows), title=f"Harmonised onto {to}")
    for v, s in summary.items():
        for w in s["warnings"]:
            err_console.print(f"[yellow]warning ({v}):[/] {w}")


@app.command()
def lineage(to: str = typer.Option(..., "--to"), area: str = typer.Option(..., "--area"),
            from_version: Optional[str] = typer.Option(None, "--from")):
    """Which source areas contributed to a target area, with what weight."""
    from .geo.crosswalk import lineage as _lineage

    store = open_current(read_only=True)
    cw = store.crosswalk(from_version=from_version, to_version=to)
    if cw.empty:
        raise VeerkrachtError(f"no crosswalk into {to!r} in the store")
    print_frame(_lineage(cw, area), title=f"Lineage of {area} in {to}")


# ---------------------------------------------------------------------------------------- export
@app.command()
def export(indicator: list[str] = typer.Option(..., "--indicator", "-i"),
           to: str = typer.Option(..., "--to", help="Geography version of the output."),
           fmt: str = typer.Option("csv", "--format", help="csv, parquet or gpkg"),
           out: Path = typer.Option(..., "--out"),
           level: Optional[str] = typer.Option(None, "--level")):
    """Write facts (small numbers suppressed) with provenance to CSV, Parquet or GeoPackage."""
    from .export import export_facts

    store = open_current(read_only=True)
    n = export_facts(store, indicator, to, fmt, out, level=level)
    console.print(f"wrote {n} rows to {out}")


# ---------------------------------------------------------------------------------------- demo
@app.command()
def demo(out: Path = typer.Option(Path("demo-out"), "--out", help="Folder for the outputs."),
         no_serve: bool = typer.Option(False, "--no-serve", help="Exit when done instead of serving the map."),
         port: int = typer.Option(8000, "--port")):
    """Build a store from the bundled demo data, run all analyses, write the outputs (and serve)."""
    from .demo import run_demo

    if state.store_path == DEFAULT_STORE:
        state.store_path = str(out / "demo.duckdb")
    run_demo(state.store_path, out, lang=state.lang, console=console, progress=progress)
    if not no_serve:
        _serve(state.store_path, "127.0.0.1", port)


def _serve(store_path: str, host: str, port: int, allow_host: list[str] | None = None,
           basemap: str | None = None, auth=None) -> None:
    try:
        from .web.app import serve as _web_serve
    except ImportError:
        console.print("the social map is not part of this build yet; outputs are written — exiting")
        return
    _web_serve(store_path, host=host, port=port, allow_host=allow_host or [], basemap=basemap, auth=auth)


@app.command()
def serve(store: Optional[str] = typer.Option(None, "--store", help="Store to serve (overrides the global --store)."),
          host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port"),
          allow_host: list[str] = typer.Option([], "--allow-host", help="Another name the map may be reached by "
                                                                      "(Host header; repeatable). Default: the "
                                                                      "address served on and localhost."),
          basemap: str = typer.Option("none", "--basemap", help="Map underneath: none (default: nothing is loaded "
                                      "from outside), pdok (BRT-Achtergrondkaart; pdok:standaard|grijs|pastel|water), "
                                      "an XYZ tile URL with {z}/{x}/{y}, or a MapLibre style URL."),
          workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Server processes (each with its own "
                                                "caches). Default: one per core, at most 4, for a DuckDB store without "
                                                "logins; 1 serves in this process."),
          accounts: bool = typer.Option(False, "--accounts", help="PostGIS store: every request logs in (HTTP Basic, "
                                        "accounts of `veerkracht store user add`) and reads as its organisation."),
          auth_header: Optional[str] = typer.Option(None, "--auth-header", help="PostGIS store: take the login from "
                                                    "this header of a reverse proxy (e.g. X-Remote-User)."),
          trusted_proxy: list[str] = typer.Option([], "--trusted-proxy", help="Address of the proxy whose "
                                                  "--auth-header is believed (repeatable; default 127.0.0.1).")):
    """Serve the social map (read-only API + map) on the store.

    The map reads a snapshot of the store, so `ingest` and the other commands can write the store
    meanwhile; the map shows their result once they finish (never a half-loaded state).
    """
    path = store or state.store_path
    if not path.startswith(("postgresql://", "postgres://")) and not Path(path).exists():
        raise VeerkrachtError(f"no store at {path}; build one with `veerkracht demo --no-serve` or `ingest`")
    auth = None
    if accounts or auth_header:
        from .i18n import Message, render
        from .web.auth import AuthConfig
        if not path.startswith(("postgresql://", "postgres://")):
            raise VeerkrachtError(render(Message("cli.store_org.needs_postgis", {"store": path}), state.lang))
        auth = AuthConfig(accounts=accounts, header=auth_header, proxies=tuple(trusted_proxy) or ("127.0.0.1",))
    from .web.workers import default_workers, serve_workers
    postgres = path.startswith(("postgresql://", "postgres://"))
    if workers and workers > 1 and (auth is not None or postgres):
        raise VeerkrachtError("--workers above 1 serves file snapshots of a DuckDB store without logins; "
                              "serve a PostgreSQL store or logins with one worker")
    n = workers or (1 if (auth is not None or postgres) else default_workers())
    if n > 1:
        serve_workers(path, host=host, port=port, workers=n, allow_host=allow_host, basemap=basemap, lang=state.lang)
        return
    _serve(path, host, port, allow_host, basemap=basemap, auth=auth)


_registered: set[str] = set()


def _register_analyse() -> None:
    if "analyse" not in _registered:
        from .cli_analyse import register
        register(app, open_current, state, console, _emit)
        _registered.add("analyse")


def _register_ingest() -> None:
    if "ingest" not in _registered:
        from .cli_ingest import register
        register(app, open_current, say, _emit)
        _registered.add("ingest")


def _register_report() -> None:
    if "report" not in _registered:
        try:
            from .cli_report import register
        except ModuleNotFoundError:  # the report module is being built (issue 5)
            return
        register(app, open_current, state, console)
        _registered.add("report")


def _register_build() -> None:
    if "build" not in _registered:
        from .cli_build import register
        register(app, open_current, console, err_console, progress, print_frame)
        _registered.add("build")


def _register_grid() -> None:
    if "grid" not in _registered:
        from .cli_grid import register
        register(app, open_current, say)
        _registered.add("grid")


def _register_synth() -> None:
    if "synth" not in _registered:
        from .cli_synth import register
        register(app, open_current, say)
        _registered.add("synth")


def _register_store() -> None:
    if "store" not in _registered:
        from .cli_store import register
        register(app, state, say)
        _registered.add("store")


def _reader_help(argv: list[str]) -> bool:
    """``veerkracht ingest <kind> --help``: the reader's options, mapping keys and an example."""
    if "ingest" not in argv or not ({"--help", "-h"} & set(argv)):
        return False
    from .sources import describe, get_reader
    rest = [a for a in argv[argv.index("ingest") + 1:] if not a.startswith("-")]
    if not rest:
        return False
    try:
        get_reader(rest[0])
    except VeerkrachtError:
        return False
    console.print(Text(describe(rest[0])))
    return True


def main() -> None:
    _register_analyse()
    _register_ingest()
    _register_report()
    _register_build()
    _register_grid()
    _register_synth()
    _register_store()
    if _reader_help(sys.argv[1:]):
        return
    try:
        app(standalone_mode=False)
    except VeerkrachtError as exc:
        say("error: ", str(exc), err=True)
        sys.exit(1)
    except (typer.Exit, SystemExit) as exc:
        sys.exit(getattr(exc, "exit_code", getattr(exc, "code", 0)))
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:
        # usage errors (unknown option, missing parameter, bad value) from the click that typer
        # vendors: show the message and the usage line, never a traceback
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
