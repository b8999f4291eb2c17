"""Readable words in the report: sources and flags, as worded in :mod:`veerkracht.indicators.words`
(shared with the social map). Analysis words come from the message catalogs (:mod:`veerkracht.i18n`).
"""
from __future__ import annotations

from ..indicators.words import (FLAG_NAMES, SOURCE_NAMES, clean_sources, flag_glossary, flag_meaning,  # noqa: F401
                                flag_name, source_name)

__all__ = ["SOURCE_NAMES", "FLAG_NAMES", "source_name", "clean_sources", "flag_name", "flag_glossary",
           "flag_meaning"]
