"""The report's words live in the message catalogs, never in its code.

Three checks, like ``tests/analysis/test_words.py`` for the analyses: no module of
``veerkracht.report`` holds a user-facing sentence (a string literal of two or more words outside
docstrings, errors for the analyst, log lines and matplotlib placement keywords) or a bilingual
``t(nl, en)`` pair; the templates hold no literal words, only ``t('<message id>')`` calls; and every
message id the report names exists in Dutch and English.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from veerkracht.i18n import catalog

from ..analysis.test_words import _docstrings

REPORT_DIR = Path(__file__).resolve().parents[2] / "src" / "veerkracht" / "report"

#: calls whose string arguments are not words for the reader: errors for the analyst at the CLI (in
#: English), log lines, SQL queries to the store
_EXEMPT_CALLS = {"StoreError", "ValueError", "TypeError", "KeyError", "RuntimeError",
                 "debug", "info", "warning", "error", "exception", "sql"}
#: keyword arguments that take matplotlib placement words, not text ('upper left', 'offset points')
_EXEMPT_KEYWORDS = {"loc", "textcoords", "ha", "va", "fontweight", "alignment"}
#: two words of letters: a phrase that belongs in a catalog
_WORDS = re.compile(r"[A-Za-zÀ-ÿ]{2,}[,;:]?\s+[A-Za-zÀ-ÿ]{2,}")
#: one-word labels the report once typed in (column headers, map and figure words)
_LABELS = {"Jaar", "Gebieden", "Gebied", "Klasse", "Waarde", "Niveau", "Verschil", "Verandering", "Inwoners",
           "Uitkomst", "Periode", "Knik", "Drempel", "Verschuiving", "Probleem", "Kwetsbaar", "Signaal", "Bron",
           "Soort", "Bestand", "Versie", "Geladen", "Feiten", "Eenheid", "Geografie", "Jaren", "Naar", "Herkomst",
           "Geharmoniseerd", "Van", "Gewicht", "Regels", "Brongebieden", "Doelgebieden", "Waarden", "Onderdrukt",
           "onderdrukt", "Legenda", "Kaart", "Figuur", "Samenvatting", "Nederland", "geografie", "mediaan", "geen",
           "Year", "Areas", "Area", "Value", "Difference", "Residents", "Outcome", "Legend", "Source", "Summary"}
#: a message id as the report writes it (``"report.corp.share.head"``, ``f"report.title.{key}"``)
_ID = re.compile(r"^(?:report|typology|concentration)\.[a-z0-9_.]+$(?<!\.html)(?<!\.pdf)(?<!\.css)")


def _call_name(node: ast.Call) -> str | None:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _exempt(tree: ast.AST) -> set[int]:
    """Ids of the string constants inside exempt calls, analyst errors and placement keywords."""
    out = set()
    for node in ast.walk(tree):
        inside = []
        if isinstance(node, ast.Call) and _call_name(node) in _EXEMPT_CALLS:
            inside = [node]
        elif isinstance(node, ast.keyword) and node.arg in _EXEMPT_KEYWORDS:
            inside = [node.value]
        for n in inside:
            out |= {id(c) for c in ast.walk(n) if isinstance(c, ast.Constant)}
    return out


def _pairs(tree: ast.AST) -> list[ast.Call]:
    """Calls that hand over words in two languages: ``t("…", "…")``, ``Unavailable("…", "…")``."""
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and sum(isinstance(a, (ast.Constant, ast.JoinedStr)) for a in node.args) >= 2
            and _call_name(node) in ("t", "Unavailable", "bilingual")]


def _sentences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree) | _exempt(tree)
    found = [f"{path.name}:{c.lineno}: bilingual pair {_call_name(c)}(…)" for c in _pairs(tree)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value
            if _WORDS.search(text) or text.strip() in _LABELS:
                found.append(f"{path.name}:{node.lineno}: {text!r}")
    return found


def _ids(path: Path) -> list[str]:
    """Message ids the module names: whole string constants, and the fixed start of f-strings."""
    out = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _ID.match(node.value) \
                and id(node) not in parts:
            out.append(node.value)
        elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant) \
                and _ID.match(str(node.values[0].value)):
            out.append(str(node.values[0].value) + "*")
    return out


def test_no_sentence_is_written_in_the_report_code():
    modules = sorted(REPORT_DIR.glob("*.py"))
    assert len(modules) >= 9
    found = [s for m in modules for s in _sentences(m)]
    assert found == []


def test_the_scan_finds_what_it_must(tmp_path):
    """The check itself, on the kinds of text the report code once held."""
    p = tmp_path / "planted.py"
    p.write_text('"""A module docstring with many words is fine."""\n'
                 'def f(ctx, lv, n):\n'
                 '    """So is this one."""\n'
                 '    a = ctx.t("Aandeel corporatiewoningen", "Share of housing-association dwellings")\n'
                 '    b = ctx.t("Jaar", "Year")\n'
                 '    c = f"{n} gebieden, niveau {lv}"\n'
                 '    d = {"type": "p", "text": "Samenhang is geen oorzaak."}\n'
                 '    e = Unavailable(f"{lv} ontbreekt", f"{lv} is missing")\n'
                 '    head = "Legenda"\n'
                 '    log.exception("report section %s failed", n)\n'
                 '    fig.legend(loc="upper left")\n'
                 '    ok = ctx.render("report.corp.share.head", year=n)\n'
                 '    raise ValueError("need year_from < year_to for the analyst")\n', encoding="utf-8")
    found = "\n".join(_sentences(p))
    for planted in ("Aandeel corporatiewoningen", "bilingual pair t(", "'Jaar'", "gebieden, niveau",
                    "Samenhang is geen oorzaak", "bilingual pair Unavailable(", "'Legenda'"):
        assert planted in found, planted
    for fine in ("docstring", "So is this", "report section", "upper left", "report.corp", "for the analyst"):
        assert fine not in found, fine


def test_every_message_id_the_report_names_exists_in_both_languages():
    nl, en = catalog("nl"), catalog("en")
    ids = [i for m in sorted(REPORT_DIR.glob("*.py")) for i in _ids(m)]
    assert len(ids) > 150
    missing = []
    for i in ids:
        if i.endswith("*"):          # an f-string: some message must start with its fixed part
            ok = any(k.startswith(i[:-1]) for k in nl) and any(k.startswith(i[:-1]) for k in en)
        else:
            ok = i in nl and i in en
        if not ok:
            missing.append(i)
    assert missing == []


def test_the_templates_hold_no_literal_words():
    nl, en = catalog("nl"), catalog("en")
    html = (REPORT_DIR / "templates" / "report.html").read_text(encoding="utf-8")
    css = (REPORT_DIR / "templates" / "report.css").read_text(encoding="utf-8")
    used = re.findall(r"\bt\('([^']+)'", html + css)
    assert len(used) >= 10 and all(i in nl and i in en for i in used), used
    assert not re.search(r"\bt\('[^']*',\s*'", html + css)          # no t('nl', 'en') pairs
    # the text between tags, outside {{ … }} and {% … %}: no words but the program's name
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", html, flags=re.S)
    text = re.sub(r"<style>.*?</style>|<[^>]+>", " ", text, flags=re.S)
    assert set(re.findall(r"[A-Za-zÀ-ÿ]{2,}", text)) <= {"veerkracht"}
    # CSS: every quoted content string is rendered from a message
    quoted = re.findall(r'content:\s*"([^"]*)"', re.sub(r"\{\{.*?\}\}", "", css))
    assert not [q for q in quoted if re.search("[A-Za-z]", q)]


def test_numbers_and_wording_helpers_follow_the_language():
    """``Ctx.fmt`` is :func:`veerkracht.i18n.fmt_number` (one owner of number formatting); the wording
    helpers return messages chosen from the numbers."""
    from veerkracht.i18n import fmt_number, render
    from veerkracht.report.context import Ctx, direction, interval_verdict, n_areas

    nl, en = Ctx(None, None, None, "nl", Path(".")), Ctx(None, None, None, "en", Path("."))
    assert nl.fmt(12345.678, 1) == "12.345,7" == fmt_number(12345.678, ",.1f", "nl")
    assert en.fmt(12345.678, 1) == "12,345.7" and en.fmt(-0.25, 2, sign=True) == "-0.25" and nl.fmt(3, sign=True) == "+3"
    assert nl.fmt(float("inf")) == nl.fmt(None) == nl.fmt(float("nan")) == "n.b." and en.fmt(float("-inf")) == "n/a"
    # an infinite growth (a gap that grew from zero) reads n.b., never 'inf'
    assert nl.render("report.corp.share.one_year", region="X", b=float("inf"), yb=2017) == \
        "Het aandeel corporatiewoningen in X was n.b.% in 2017; er is maar één jaar in de periode."
    assert render(direction(0.2, tol=0.05), "nl") == "gestegen" and render(direction(-0.2), "en") == "fallen"
    assert render(direction(0.01, tol=0.05), "nl") == "gelijk gebleven" and render(direction(float("nan")), "en") == "unknown"
    assert render(interval_verdict(0.1, 0.4), "en") == \
        "the 95% interval lies wholly above zero: the change is statistically clear"
    assert render(interval_verdict(-0.1, 0.4, what="report.corp.profile.growth"), "nl") == \
        "het 95%-interval omvat nul: de groei van het verschil is statistisch niet zeker"
    assert render(interval_verdict(float("nan"), 0.4), "nl") == "er is geen interval te berekenen"
    assert (n_areas(1, "nl"), n_areas(12, "nl"), n_areas(1, "en")) == ("1 gebied", "12 gebieden", "1 area")


def test_unavailable_carries_a_message_not_a_sentence():
    import pytest

    from veerkracht.indicators.registry import label
    from veerkracht.report.plan import Unavailable
    e = Unavailable("report.plan.no_data", ind="lbm")
    assert e.text("nl") == f"de database bevat geen gegevens over ‘{label('lbm', 'nl')}’ voor deze regio"
    assert e.text("en") == str(e) == f"the store holds no data on ‘{label('lbm', 'en')}’ for this region"
    with pytest.raises(KeyError):          # a sentence where a message id belongs fails at once
        Unavailable("de database bevat geen gegevens")
