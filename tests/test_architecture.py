"""The layers of docs/architecture.md, checked on the imports: a stage imports only stages to its
left, and no output imports another output."""
from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "veerkracht"
#: stage → the packages it may import (its own included)
ALLOWED = {
    "i18n": {"i18n", "indicators"},
    "sources": {"sources", "store", "errors", "indicators", "i18n"},
    "store": {"store", "errors", "indicators"},
    "geo": {"geo", "store", "errors", "indicators", "sources"},
    "build": {"build", "geo", "store", "errors", "indicators", "sources"},
    "indicators": {"indicators", "store", "errors", "i18n"},
    "analysis": {"analysis", "indicators", "store", "errors", "geo", "i18n"},
    "maps": {"maps", "analysis", "indicators", "store", "errors", "geo", "i18n"},
    "web": {"web", "maps", "analysis", "indicators", "store", "errors", "geo", "i18n"},
    "report": {"report", "maps", "analysis", "indicators", "store", "errors", "geo", "i18n"},
}
OUTPUTS = {"web", "report", "cli", "cli_analyse", "cli_report", "export"}


def _imports(path: Path) -> set[str]:
    """First-level veerkracht packages a module imports (relative and absolute)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg_parts = path.relative_to(SRC).parts[:-1]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(pkg_parts[: len(pkg_parts) - node.level + 1])
                mod = base + (node.module.split(".") if node.module else [])
                names = [mod[0]] if mod else [a.name for a in node.names]
                out.update(names)
            elif node.module and node.module.startswith("veerkracht."):
                out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[1] for a in node.names if a.name.startswith("veerkracht."))
    return out


def test_each_stage_imports_only_stages_to_its_left():
    bad = []
    for stage, allowed in ALLOWED.items():
        for path in (SRC / stage).rglob("*.py"):
            for imp in _imports(path) - allowed - {"__init__", "__version__"}:
                bad.append(f"{path.relative_to(SRC)} imports {imp}")
    assert bad == []


def test_no_output_imports_another_output():
    bad = []
    for path in SRC.rglob("*.py"):
        top = path.relative_to(SRC).parts[0].removesuffix(".py")
        if top in ("web", "report"):
            for imp in _imports(path) & (OUTPUTS - {top}):
                bad.append(f"{path.relative_to(SRC)} imports {imp}")
    assert bad == []
