"""The corporation's own portfolio (METHOD analysis 11), for ``veerkracht report --corporation NAME``.

This is the hook for the portfolio work: a reader ``veerkracht ingest portfolio`` is being built
separately. Until it exists the chapter says plainly that the portfolio is not in the store and how to
load it — it never shows invented data. When the store holds a portfolio load (provenance of kind
:data:`PORTFOLIO_KIND` whose options name the corporation), the chapter hands it to
:data:`PORTFOLIO_CHAPTER` — the function the portfolio work supplies (``fn(ctx, provenance_rows) ->
blocks``); while that is None the chapter says the portfolio is loaded but not yet shown.

The chapter is only made when a corporation is named; an unavailable chapter is listed with the other
missing parts in the introduction, with what would supply it.
"""
from __future__ import annotations

import json

import pandas as pd

from .plan import Unavailable

__all__ = ["portfolio", "portfolio_loads", "PORTFOLIO_KIND", "PORTFOLIO_CHAPTER"]

#: the provenance kind the portfolio reader will write (``veerkracht ingest portfolio``)
PORTFOLIO_KIND = "portfolio"
#: the chapter the portfolio work supplies: ``fn(ctx, provenance_rows) -> list[block]``
PORTFOLIO_CHAPTER = None


def portfolio_loads(store, corporation: str) -> pd.DataFrame:
    """The provenance rows of portfolio loads of ``corporation`` (its name in the load's options,
    case-insensitive; a load that names no corporation counts for any)."""
    prov = store.provenance()
    prov = prov[prov["kind"] == PORTFOLIO_KIND]

    def named(options) -> bool:
        try:
            o = json.loads(options) if isinstance(options, str) and options else {}
        except ValueError:
            o = {}
        who = o.get("corporation")
        return not who or str(who).strip().lower() == corporation.strip().lower()
    return prov[prov["options"].map(named)] if len(prov) else prov


def portfolio(ctx) -> list[dict]:
    """The portfolio chapter (see the module docstring)."""
    loads = portfolio_loads(ctx.store, ctx.corporation or "")
    if loads.empty:
        raise Unavailable("report.portfolio.none", corporation=ctx.corporation)
    if PORTFOLIO_CHAPTER is None:
        raise Unavailable("report.portfolio.not_yet", corporation=ctx.corporation,
                          files=", ".join(str(x) for x in loads["location"]))
    return PORTFOLIO_CHAPTER(ctx, loads)
