"""``veerkracht synth survey|tenants``: synthetic household data with planted truths, to try the survey and
tenant readers and analyses without private files (and used by the tests)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

__all__ = ["register"]


def register(app, open_current, say) -> None:
    synth = typer.Typer(no_args_is_help=True, help="Synthetic survey and tenant files with planted truths.")
    app.add_typer(synth, name="synth")

    @synth.command("survey")
    def survey(out: Path = typer.Option(..., "--out", help="File to write: .sav (SPSS), .csv or .parquet."),
               n: int = typer.Option(8000, "--n", help="Respondents per survey year (about)."),
               seed: int = typer.Option(1, "--seed"),
               mapping: Optional[Path] = typer.Option(None, "--mapping-out", help="Mapping file (default <out>.toml)."),
               store_areas: bool = typer.Option(False, "--store-areas", help="Spread the respondents over the current "
                                                "store's buurten (e.g. the demo's), so the survey's map layer shows "
                                                "them; default: made-up codes."),
               region: Optional[str] = typer.Option(None, "--region", "-r", help="With --store-areas: only the buurten "
                                                    "of this gemeente or wijk code.")):
        """A WoON-like survey 1998–2018 with the report's national figures planted, and its mapping."""
        from .synth.survey import write_survey
        codes = None
        if store_areas:
            from .synth.tenants import area_codes
            store = open_current(read_only=True)
            try:
                codes = area_codes(store, level="buurt", region=region)
            finally:
                store.close()
        res = write_survey(out, n_per_year=n, seed=seed, mapping_out=mapping, area_codes=codes)
        say("", f"wrote {res['file']} ({res['respondents']} respondents, years "
                f"{', '.join(map(str, res['years']))}) and its mapping {res['mapping']}; load it with "
                f"`veerkracht ingest survey {res['file']} --mapping {res['mapping']}`")

    @synth.command("tenants")
    def tenants(out: Path = typer.Option(..., "--out", help="File to write: .csv, .xlsx or .parquet."),
                geo_version: Optional[str] = typer.Option(None, "--geo-version", help="Version of the areas "
                                                          "(default: the store's version with most areas)."),
                level: str = typer.Option("wijk", "--level", help="Level of the areas."),
                region: Optional[str] = typer.Option(None, "--region", "-r", help="Gemeente code, e.g. GM0363."),
                first_year: int = typer.Option(2012, "--from"), last_year: int = typer.Option(2020, "--to"),
                dwellings: int = typer.Option(150, "--dwellings", help="Mean number of dwellings per area."),
                seed: int = typer.Option(1, "--seed"),
                truth: Optional[Path] = typer.Option(None, "--truth", help="Also write the planted rates (JSON).")):
        """A corporation's tenant panel on the store's areas (e.g. the demo's), with planted rates."""
        from .synth.tenants import write_tenants
        store = open_current(read_only=True)
        try:
            res = write_tenants(store, out, geo_version=geo_version, level=level, region=region,
                                years=(first_year, last_year), dwellings=dwellings, seed=seed, truth_out=truth)
        finally:
            store.close()
        say("", f"wrote {res['file']} ({res['contracts']} contracts on {res['areas']} areas of {res['geo_version']}, "
                f"{first_year}–{last_year}) and its mapping {res['mapping']}; load it with "
                f"`veerkracht ingest tenants {res['file']} --mapping {res['mapping']}`")
