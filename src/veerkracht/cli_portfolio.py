"""``veerkracht ingest portfolio`` (locating and storing a corporation's stock) and ``veerkracht portfolio``."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import pandas as pd
import typer

__all__ = ["register", "ingest_portfolio"]

_SHOW_UNLOCATED = 20


def ingest_portfolio(store, pf, say) -> None:
    """Locate the reader's rows onto the buurten of every version in the store and write them (private)."""
    from .geo.locate import grid_cells, locate_units

    located, unlocated = locate_units(store, pf.rows)
    if located.empty:
        raise typer.BadParameter(f"none of the {len(pf.rows)} rows of {pf.provenance.location} could be located: "
                                 f"{unlocated['reason'].iloc[0]} (row {unlocated['source_row'].iloc[0]}); "
                                 "load buurt geometry or a PC6 → buurt crosswalk first")
    rows = pf.rows.drop(columns=["code"]).merge(located, on="unit_id")
    rows["cell"] = rows["unit_id"].map(grid_cells(pf.rows))
    n = store.write_portfolio(pf.corporation, rows)
    units = located["unit_id"].nunique()
    dwell = int(pf.rows.loc[pf.rows["unit_id"].isin(located["unit_id"]), "dwellings"].sum())
    per = located.groupby(["geo_version", "located_by"]).size()
    say("", f"loaded the portfolio of {pf.corporation} (private, in this store only): {units} of {len(pf.rows)} "
            f"rows located, {dwell} dwellings; {n} rows over {located['geo_version'].nunique()} geography version(s)")
    for (gv, how), k in per.items():
        say("", f"  {gv}: {k} by {how}")
    if len(unlocated):
        say("warning: ", f"{len(unlocated)} row(s) could not be located and were not loaded:", err=True)
        for _, r in unlocated.head(_SHOW_UNLOCATED).iterrows():
            say("", f"  {pf.provenance.location}, row {r['source_row']} (id {r['unit_id']}): {r['reason']}", err=True)
        if len(unlocated) > _SHOW_UNLOCATED:
            say("", f"  … and {len(unlocated) - _SHOW_UNLOCATED} more", err=True)


def register(app, open_current, say, emit) -> None:
    @app.command()
    def portfolio(corporation: Optional[str] = typer.Option(None, "--corporation", help="Whose portfolio."),
                  export: Optional[Path] = typer.Option(None, "--export", help="Write the complexes with the class "
                                                        "of their area per period (csv or xlsx) — exact numbers, for "
                                                        "your own systems; the file leaves nothing else."),
                  option: list[str] = typer.Option([], "--option", "-o", help="Parameter of the overlay (key=value).")):
        """The corporation portfolios in the store; with --export, the complexes and their area classes."""
        store = open_current(read_only=True)
        if export is None:
            df = store.portfolio(corporation)
            if df.empty:
                say("", "no portfolio in this store; load one with `veerkracht ingest portfolio FILE -o corporation=NAME`")
                return
            summary = (df.groupby(["owner", "geo_version"])
                       .agg(units=("unit_id", "nunique"), dwellings=("dwellings", "sum"),
                            complexes=("complex_id", "nunique")).reset_index())
            emit(summary, "table", title="Portfolios in this store (private)")
            return
        from .analysis import get_analysis
        params = dict(o.split("=", 1) for o in option)
        res = get_analysis("portfolio")(store, corporation=corporation, **params)
        out = pd.concat({"complexes": res.extra["complexes"]}, names=["table"]).reset_index(level=0)
        if export.suffix.lower() == ".xlsx":
            with pd.ExcelWriter(export) as xw:
                res.extra["complexes"].to_excel(xw, sheet_name="complexen", index=False)
                res.extra["exposure"].to_excel(xw, sheet_name="blootstelling", index=False)
        else:
            out.drop(columns=["table"]).to_csv(export, index=False, sep=";", decimal=",", encoding="utf-8-sig")
        say("", f"wrote {len(res.extra['complexes'])} complexes of {res.params['corporation']} to {export} "
                "(exact numbers: keep this file inside your organisation)")
