"""Indicator registry and derived indicators."""
from .registry import CORE_INDICATORS, get, label, registry_frame
from .reliability import apply_suppression, suppress

__all__ = ["CORE_INDICATORS", "get", "label", "registry_frame", "suppress", "apply_suppression"]
