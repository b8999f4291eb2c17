"""The stakeholder report (issue 5): one call, an HTML and a PDF report for a region.

>>> build_report(store, region=["GM0363"], year_from=2005, year_to=2017, lang="nl",
...              out_dir="out/report")                                   # doctest: +SKIP

The sections follow chapter 2 of the 2020 report; see :mod:`veerkracht.report.build` for the
summary rule and :mod:`veerkracht.report.plan` for how each section finds its data.
"""
from __future__ import annotations

from .build import build_report, pick_findings, section_keys

__all__ = ["build_report", "pick_findings", "section_keys"]
