"""Analyses of METHOD.md: one module each, one public entry point ``run(store, **params) -> Result``."""
from .base import ANALYSES, Result, analysis, get_analysis

__all__ = ["ANALYSES", "Result", "analysis", "get_analysis"]
