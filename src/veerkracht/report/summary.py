"""The summary a board reads, and ``analyses.json``, which every figure of the summary traces to.

Choice (the rule is printed under the summary): every chapter proposes findings with a storyline
order and a weight by strength of evidence (2 = a 95% interval that excludes no-change, intervals that
do not overlap, or a turning point in ≥ 95% of bootstrap samples; 1 = a substantive count or change;
0 = other). The five heaviest are kept and shown in storyline order, each with what it means and what
to watch. A finding whose interval includes zero is worded as uncertain ('geen zeker verschil') and
labelled so — never as a finding.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ..i18n import Message, plural

__all__ = ["pick_findings", "summary_blocks", "write_analyses", "plain_numbers"]

#: how many findings the summary shows at most, and below how many it says why there are not more
MAX_FINDINGS, MIN_FINDINGS = 5, 3


def pick_findings(findings: list, n: int = MAX_FINDINGS) -> list:
    """The ``n`` heaviest findings (ties: storyline order), returned in storyline order."""
    best = sorted(findings, key=lambda f: (-f.weight, f.order))[:n]
    return sorted(best, key=lambda f: f.order)


def summary_blocks(ctx) -> list[dict]:
    """The summary chapter: an intro, the findings (each with meaning and what to watch), the rule."""
    picked = pick_findings(ctx.findings)
    blocks = [{"type": "p", "text": ctx.render("report.summary.intro", region=ctx.region.name, period=ctx.period())}]
    if picked:
        blocks.append({"type": "findings", "items": [
            {"text": f.text, "tag": ctx.render(f"report.summary.tag.{f.strength}"), "strength": f.strength,
             "meaning": f.meaning, "watch": f.watch,
             "meaning_label": ctx.render("report.summary.meaning.label"),
             "watch_label": ctx.render("report.summary.watch.label")} for f in picked]})
    if len(picked) < MIN_FINDINGS:
        found = plural(len(picked), "report.summary.n_findings.one", "report.summary.n_findings.many", ctx.lang)
        blocks.append({"type": "unavailable", "text": ctx.render("report.summary.too_few", findings=found)})
    blocks.append({"type": "rule", "text": ctx.render("report.summary.rule")})
    return blocks


def plain_numbers(d) -> dict:
    """The JSON-able scalars of a result's summary (messages and tables left out, NaN as null)."""
    out = {}
    for k, v in (d or {}).items():
        if isinstance(v, (bool, np.bool_)):
            out[k] = bool(v)
        elif isinstance(v, (int, float, np.integer, np.floating)):
            x = v.item() if hasattr(v, "item") else v
            out[k] = None if isinstance(x, float) and not math.isfinite(x) else x
        elif isinstance(v, str):
            out[k] = v
        elif isinstance(v, dict) and not isinstance(v, Message):
            out[k] = plain_numbers(v)
    return out


def write_analyses(ctx, out_dir: Path) -> dict:
    """``analyses.json``: per analysis the report ran, its parameters as used, its inputs, the scalars
    of its summary and the findings of the summary that quote it (text, figures as shown, meaning,
    what to watch, strength) — so anyone can trace a figure or ask the CLI the same question.
    Figures the report pools itself (the region's corporation share) stand under their own name."""
    picked = {id(f) for f in pick_findings(ctx.findings)}
    doc: dict = {name: {"params": r.params, "inputs": r.inputs, "summary": plain_numbers(r.summary)}
                 for name, r in ctx.results.items()}
    for name, entry in ctx.extra.items():
        doc[name] = {**entry, "summary": plain_numbers(entry.get("summary"))}
    for f in ctx.findings:
        if f.analysis in doc and id(f) in picked:
            doc[f.analysis].setdefault("findings", []).append(
                {"text": f.text, "figures": plain_numbers(f.figures), "meaning": f.meaning, "watch": f.watch,
                 "strength": f.strength})

    def plain(o):
        return o.item() if hasattr(o, "item") else str(o)
    (out_dir / "analyses.json").write_text(json.dumps(doc, indent=2, default=plain, ensure_ascii=False),
                                           encoding="utf-8")
    return doc
