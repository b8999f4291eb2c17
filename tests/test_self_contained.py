"""A clone is all a user has: nothing in the project may read data from beside the repository."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: ways code could reach a folder next to the clone: a relative path up to it, the parent of the
#: repository joined with its name, or the old environment variable (the name is built here so that
#: this checker does not itself contain the paths it looks for)
_SIBLING = "sha" + "red"
_OUTSIDE = re.compile(r"\.\./" + _SIBLING + r"|parents?\b[^\n]*[\"']" + _SIBLING + r"[\"']|VEERKRACHT_"
                      + _SIBLING.upper() + "_DATA")


def _project_files():
    for folder in ("src", "tests", "benchmarks", "scripts", "docs"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".toml", ".sh") and "data" not in path.relative_to(ROOT).parts[:2]:
                yield path
    yield ROOT / "dev"
    yield ROOT / ".ci" / "run"


def test_no_file_reads_beside_the_repository():
    offenders = [f"{p.relative_to(ROOT)}:{i}" for p in _project_files()
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if _OUTSIDE.search(line) and p.name != "test_self_contained.py"]
    assert offenders == []


def test_real_test_data_is_in_the_repository_with_its_attribution():
    real = ROOT / "tests" / "data" / "real"
    sources = (real / "SOURCES.md").read_text(encoding="utf-8")
    files = [p for p in real.rglob("*") if p.is_file() and p.name not in ("SOURCES.md", "README.md")]
    assert len(files) >= 25
    # every data file is described in SOURCES.md by its folder
    assert all(p.parent.name in sources for p in files)
