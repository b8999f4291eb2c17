"""Indicator registry and derived indicators."""
from .registry import CORE_INDICATORS, get, label, registry_frame

__all__ = ["CORE_INDICATORS", "get", "label", "registry_frame"]
