"""Readable words in the report: indicator ids inside analysis notes become registry labels.

Sources and flags are worded in :mod:`veerkracht.indicators.words`, shared with the social map.
"""
from __future__ import annotations

import re

from ..indicators.words import (FLAG_NAMES, SOURCE_NAMES, clean_sources, flag_glossary, flag_meaning,  # noqa: F401
                                flag_name, source_name)

__all__ = ["SOURCE_NAMES", "FLAG_NAMES", "source_name", "clean_sources", "flag_name", "flag_glossary",
           "flag_meaning", "humanize_ids"]


def humanize_ids(text: str, label, ids, lower: bool = True) -> str:
    """Replace indicator ids in ``text`` by their labels (``label(id)``).

    Ids with an underscore are replaced wherever they stand as a word; ids that are ordinary
    words (``nuisance``) only where an analysis prints them as a measure: before a percentile
    (``nuisance P93``), a stand-in tag or ``als percentiel``/``as a percentile``.
    """
    for ind in sorted(set(ids), key=len, reverse=True):
        name = label(ind)
        if lower and len(name) > 1 and not name[1].isupper() and not name.startswith("Leefbaarometer"):
            name = name[0].lower() + name[1:]
        if "_" in ind:
            pattern = rf"(?<![\w:]){re.escape(ind)}(?!\w)"
        else:
            pattern = rf"(?<![\w:]){re.escape(ind)}(?=\s+(?:P\d|\((?:vervanging|stand-in)\)|als percentiel|as a percentile))"
        text = re.sub(pattern, lambda m: name, text)
    return text
