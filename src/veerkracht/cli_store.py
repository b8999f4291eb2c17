"""``veerkracht store copy SRC DST``: a whole store from DuckDB to PostGIS or back (see ``store.copy``)."""
from __future__ import annotations

import typer

__all__ = ["register"]


def _shown(location: str) -> str:
    from .store.postgis_store import safe_url
    return safe_url(location)


def register(app, state, say) -> None:
    store_app = typer.Typer(no_args_is_help=True, help="Whole stores: copy between DuckDB and PostgreSQL/PostGIS.")
    app.add_typer(store_app, name="store")

    @store_app.command("copy")
    def copy(src: str = typer.Argument(..., help="Source store: a DuckDB file or a postgresql:// URL."),
             dst: str = typer.Argument(..., help="Destination store (must be empty): a DuckDB file or a postgresql:// URL.")):
        """Copy facts, areas with geometry, crosswalks, provenance, registry and support into an empty store;
        checked by row counts and checksums before it commits."""
        from .i18n import render
        from .store import open_store
        from .store.copy import copy_store

        source = open_store(src, read_only=True)
        try:
            target = open_store(dst)
            try:
                fp = copy_store(source, target)
            finally:
                target.close()
        finally:
            source.close()
        say("", render("cli.store_copy.done", state.lang, src=_shown(src), dst=_shown(dst), facts=fp["facts"][0],
                       areas=fp["areas"][0], crosswalks=fp["crosswalks"][0], provenance=fp["provenance"][0]))
