"""``veerkracht store copy SRC DST``: a whole store from DuckDB to PostGIS or back (see ``store.copy``);
``veerkracht store org add`` and ``store user add``: organisations and server accounts of a shared PostGIS
store (see ``store._pg_orgs``)."""
from __future__ import annotations

from typing import Optional

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

    _register_orgs(store_app, state, say)


def _server_store(state):
    """The global --store, which must be a PostgreSQL one (organisations live in the database's roles)."""
    from .errors import VeerkrachtError
    from .i18n import render
    from .store import open_store

    if not str(state.store_path).startswith(("postgresql://", "postgres://")):
        raise VeerkrachtError(render("cli.store_org.needs_postgis", state.lang, store=state.store_path))
    return open_store(state.store_path)


def _register_orgs(store_app, state, say) -> None:
    org_app = typer.Typer(no_args_is_help=True, help="Organisations of a shared PostGIS store (each a database role).")
    user_app = typer.Typer(no_args_is_help=True, help="Accounts of `veerkracht serve` on a shared PostGIS store.")
    store_app.add_typer(org_app, name="org")
    store_app.add_typer(user_app, name="user")

    @org_app.command("add")
    def org_add(name: str = typer.Argument(..., help="The organisation's name."),
                server: Optional[str] = typer.Option(None, "--server", help="Database login of the map server, "
                                                     "allowed to act as this organisation.")):
        """Add an organisation: a database role whose private rows only it can read (row-level security)."""
        from .i18n import render
        from .store._pg_orgs import add_organisation

        store = _server_store(state)
        try:
            role = add_organisation(store, name, server=server)
        finally:
            store.close()
        say("", render("cli.store_org.added", state.lang, name=name, role=role))

    @user_app.command("add")
    def user_add(login: str = typer.Argument(..., help="The account's login name."),
                 org: str = typer.Option(..., "--org", help="The organisation the account belongs to."),
                 password: str = typer.Option(..., "--password", prompt=True, hide_input=True,
                                              confirmation_prompt=True, envvar="VEERKRACHT_PASSWORD",
                                              help="Asked when not given (or from VEERKRACHT_PASSWORD); stored "
                                                   "as a salted scrypt hash.")):
        """Add a login of the map server (or set its password and organisation)."""
        from .i18n import render
        from .store._pg_orgs import add_account

        store = _server_store(state)
        try:
            add_account(store, login, org, password)
        finally:
            store.close()
        say("", render("cli.store_user.added", state.lang, login=login, org=org))
