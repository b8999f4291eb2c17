"""``veerkracht grid crosswalk | aggregate | surroundings``: the 100 m grid in the store.

Load the grid first with ``veerkracht ingest grid-cbs FILE --year YYYY`` and
``veerkracht ingest lbm-grid FILE``; then link the cells to a buurt version, aggregate, and compute
the direct surroundings (``corp_share_200m``).
"""
from __future__ import annotations

from typing import Optional

import typer

__all__ = ["register"]


def register(app, open_current, say) -> None:
    """Add the ``grid`` command group to ``app`` (the main CLI)."""
    grid = typer.Typer(help="The CBS 100 m grid: crosswalk to buurten, aggregation, direct surroundings.",
                       no_args_is_help=True)
    app.add_typer(grid, name="grid")

    @grid.command("crosswalk")
    def crosswalk(to_version: str = typer.Option(..., "--to", help="Buurt geography version (with geometry)."),
                  method: str = typer.Option("centroid", "--method", help="centroid (cell centre) or area (overlay)."),
                  weight: Optional[str] = typer.Option("dwellings", "--weight",
                                                       help="Grid count used as each cell's amount."),
                  resolution: int = typer.Option(100, "--resolution", help="100 or 500.")):
        """Link every grid cell to the buurt(en) of a geography version; cells take its wijk and gemeente."""
        from .geo.grid_store import crosswalk_grid
        store = open_current()
        try:
            cw = crosswalk_grid(store, to_version, resolution, method, weight)
        finally:
            store.close()
        say("", f"{cw['from_code'].nunique():,} cells → {cw['to_code'].nunique():,} buurten ({method}); "
                f"{cw.attrs.get('n_unmatched', 0):,} cells outside every buurt")

    @grid.command("aggregate")
    def aggregate(to_version: str = typer.Option(..., "--to", help="Buurt geography version of the crosswalk."),
                  indicator: list[str] = typer.Option([], "--indicator", "-i", help="Indicator(s) (default: all)."),
                  resolution: int = typer.Option(100, "--resolution", help="100 or 500.")):
        """Grid facts onto buurten (through the crosswalk), then to wijken and gemeenten."""
        from .geo.grid_store import aggregate_grid
        store = open_current()
        try:
            out = aggregate_grid(store, to_version, resolution, indicator or None)
        finally:
            store.close()
        n = sum(v["facts_out"] for v in out["buurt"].values())
        say("", f"{n:,} buurt facts; {out['wijk']['facts_out']:,} wijk and {out['gemeente']['facts_out']:,} "
                "gemeente facts")

    @grid.command("surroundings")
    def surroundings(numerator: str = typer.Option("corp_dwellings", "--numerator", help="Count summed above."),
                     denominator: str = typer.Option("dwellings", "--denominator", help="Count summed below."),
                     radius: float = typer.Option(200, "--radius", help="Radius in metres (centre to centre)."),
                     indicator: Optional[str] = typer.Option(None, "--id",
                                                             help="Id of the new indicator (default corp_share_200m)."),
                     year: list[int] = typer.Option([], "--year", help="Year(s) (default: all)."),
                     resolution: int = typer.Option(100, "--resolution", help="100 or 500.")):
        """Per cell: the numerator and denominator summed within the radius, and their rate."""
        from .geo.grid_store import surroundings as run
        store = open_current()
        try:
            out = run(store, numerator, denominator, indicator, radius, resolution, year or None)
        finally:
            store.close()
        say("", f"{out['indicator']}: {out['facts']:,} facts for {', '.join(map(str, out['years']))}; "
                f"{out['partial']:,} with a suppressed cell in the surroundings (flag partial_surroundings)")
