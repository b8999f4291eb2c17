"""The Leefbaarometer's nine classes: one owner for their names (message ids) and colours.

Leefbaarometer 3.0 publishes a score per area and a class 1–9 from *zeer onvoldoende* to
*uitstekend*. The class bounds are not in the data this project has; a stored ``class``
indicator carries the publisher's own class, which every output names and colours from here.
"""
from __future__ import annotations

from ..i18n import Message

__all__ = ["LBM_CLASS_COLOURS", "lbm_class_label", "lbm_classes"]

#: BrBG (ColorBrewer), brown = insufficient … teal = excellent
LBM_CLASS_COLOURS = {1: "#8c510a", 2: "#bf812d", 3: "#dfc27d", 4: "#f6e8c3", 5: "#c7eae5", 6: "#80cdc1",
                     7: "#35978f", 8: "#01665e", 9: "#003c30"}


def lbm_class_label(k: int) -> Message:
    """The published name of class ``k`` (1–9) as a message."""
    return Message(f"lbm.class.{int(k)}")


def lbm_classes() -> list[tuple[int, Message, str]]:
    """``(class, label, colour)`` for classes 1–9, worst first."""
    return [(k, lbm_class_label(k), LBM_CLASS_COLOURS[k]) for k in range(1, 10)]
