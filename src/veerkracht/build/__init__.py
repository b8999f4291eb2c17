"""One command from the public sources to a harmonised store: plan, resumable steps, coverage."""
from __future__ import annotations

from .coverage import coverage_summary, coverage_table
from .run import BuildPlan, Timings, run_build

__all__ = ["BuildPlan", "run_build", "Timings", "coverage_summary", "coverage_table"]
