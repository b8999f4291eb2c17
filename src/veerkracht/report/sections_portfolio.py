"""The corporation's own portfolio (METHOD analysis 11), for ``veerkracht report --corporation NAME``.

The chapter is made only when a corporation is named. When the store holds that corporation's portfolio
(``veerkracht ingest portfolio FILE -o corporation=NAME``, kept in the store's private ``portfolio``
table), it shows the overlay analysis (:mod:`veerkracht.analysis.portfolio`) the way every registered
analysis is shown — summary, notes, the table of dwellings and complexes per area class, the figure over
time and the map — through :func:`.sections_registry.chapter`. Otherwise it says plainly that the
portfolio is not in the store and how to load it, and is listed with the other missing parts in the
introduction; it never shows invented data.
"""
from __future__ import annotations

from .plan import Unavailable

__all__ = ["portfolio", "owner_of"]


def owner_of(store, corporation: str) -> str | None:
    """The portfolio owner in the store named ``corporation`` (case-insensitive), or None."""
    owners = store.portfolio_owners() if hasattr(store, "portfolio_owners") else []
    want = (corporation or "").strip().lower()
    return next((o for o in owners if o.strip().lower() == want), None)


def portfolio(ctx) -> list[dict]:
    """The portfolio chapter (see the module docstring)."""
    owner = owner_of(ctx.store, ctx.corporation or "")
    if owner is None:
        raise Unavailable("report.portfolio.none", corporation=ctx.corporation)
    from .sections_registry import chapter
    return chapter(ctx, "portfolio", corporation=owner)
