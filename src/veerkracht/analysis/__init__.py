"""Analyses of METHOD.md: one module each, an :class:`~.base.Analysis` subclass registered with
:func:`~.base.register`, called as ``get_analysis(name)(store, **params) -> Result``."""
from .base import ANALYSES, Analysis, Result, get_analysis, register

__all__ = ["ANALYSES", "Analysis", "Result", "get_analysis", "register"]
