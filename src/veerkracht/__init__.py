"""veerkracht — monitor the resilience of Dutch neighbourhoods.

Sources → store → geo → indicators → analysis → outputs (social map, report, data).
"""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
