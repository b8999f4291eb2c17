"""``veerkracht report``: the stakeholder report (HTML + PDF) for a region."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

__all__ = ["register"]


def register(app, open_current, state, console) -> None:
    @app.command(context_settings={"help_option_names": ["-h", "--help"]})
    def report(region: list[str] = typer.Option(..., "--region", "-r",
                                                help="Gemeente/wijk/buurt codes or a gemeente name (repeat or comma-separate)."),
               corporation: Optional[str] = typer.Option(
                   None, "--corporation", help="Housing association: named on the title page, and a chapter on its "
                                               "portfolio (load it with `veerkracht ingest portfolio`)."),
               year_from: int = typer.Option(..., "--from", help="First year of the period."),
               year_to: int = typer.Option(..., "--to", help="Last year of the period."),
               lang: Optional[str] = typer.Option(None, "--lang", help="nl or en (default: the global --lang)."),
               out: Path = typer.Option(Path("report"), "--out", help="Folder for report.html, report.pdf, figures/, tables/.")):
        """Write an HTML and PDF report for a gemeente, wijk or region, with figures and tables as files."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from .report import build_report
        from .report.build import section_keys

        language = lang or state.lang
        if language not in ("nl", "en"):
            raise typer.BadParameter("--lang must be nl or en")
        if year_from >= year_to:
            raise typer.BadParameter(f"--from ({year_from}) must be before --to ({year_to})")
        codes = [c.strip() for r in region for c in r.split(",") if c.strip()]
        store = open_current(read_only=True)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=False) as prog:
            n_steps = len(section_keys()) - 1 - (0 if corporation else 1)     # the chapters + rendering
            task = prog.add_task("report", total=n_steps)

            def tick(key, title):
                prog.update(task, advance=1, description="HTML + PDF" if key == "data" else title[:48])
            res = build_report(store, region=codes, corporation=corporation, year_from=year_from,
                               year_to=year_to, lang=language, out_dir=out, on_section=tick)
            prog.update(task, completed=n_steps, description="HTML + PDF")
        missing = [k for k, v in res["sections"].items() if v != "ok"]
        console.print(f"report: {res['pdf']} ({res['pages']} pages), {res['html']}; "
                      f"{len(res['figures'])} figure files, {len(res['tables'])} tables, {res['seconds']} s")
        if missing:
            console.print("sections with parts not available: " + ", ".join(
                f"{k} ({res['sections'][k]})" for k in missing))
