"""``veerkracht history`` and ``veerkracht restore``: every value a fact ever had, and undoing a load."""
from __future__ import annotations

from typing import Optional

import typer

__all__ = ["register"]


def register(app, open_current, say, emit) -> None:
    @app.command()
    def history(indicator: Optional[str] = typer.Option(None, "--indicator", "-i"),
                area: list[str] = typer.Option([], "--area", "-a", help="Area code(s)."),
                fmt: str = typer.Option("table", "--format", help="table, csv or json")):
        """Every value a fact ever had, with the file (provenance) that set it and the load that replaced it."""
        store = open_current(read_only=True)
        codes = [c.strip() for a in area for c in a.split(",") if c.strip()] or None
        df = store.history(indicator=indicator, codes=codes)
        emit(df, fmt, title="History of facts (current = the value in the store now)")

    @app.command()
    def restore(provenance: int = typer.Option(..., "--provenance", "-p",
                                               help="Id of the load to undo (see `veerkracht provenance`).")):
        """Undo one load: its facts get their previous values back (or are removed when it created them)."""
        store = open_current()
        res = store.restore(provenance)
        say("", f"restored {res['restored']} previous value(s), removed {res['removed']} fact(s) that load "
                f"created; recorded as provenance {res['provenance_id']}")
        if res["stale"]:
            say("warning: ", f"{res['stale']} harmonised or aggregated fact(s) are flagged stale: run "
                             "`veerkracht harmonise` again", err=True)
        store.close()

    from .cli_portfolio import register as register_portfolio
    register_portfolio(app, open_current, say, emit)
