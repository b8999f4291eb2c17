"""Words live in the message catalogs, never in the computing code.

Two checks: no module of ``veerkracht.analysis`` holds a user-facing sentence (a string literal of
several words outside docstrings, error messages and parameter help; no ``bilingual(`` pairs, no
``sentence_nl``/``sentence_en`` keys, no Dutch class names as data keys), and every registered
analysis, run on the demo store, renders its notes, summary, table and figure in Dutch and English
without an internal id (``bijstand_per_100_dwellings``, ``lbm_onv``), a Python repr or an exception.
"""
from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from veerkracht.analysis import ANALYSES, get_analysis
from veerkracht.analysis import _load_all  # noqa: F401
from veerkracht.analysis.base import Analysis
from veerkracht.errors import StoreError
from veerkracht.i18n import LANGS, Message, render

ANALYSIS_DIR = Path(__file__).resolve().parents[2] / "src" / "veerkracht" / "analysis"

#: calls whose string arguments are not user-facing words of a result: errors (for the analyst at
#: the CLI, in English), parameter help (``--list``), warning filters
_EXEMPT_CALLS = {"StoreError", "ValueError", "TypeError", "KeyError", "RuntimeError", "param", "_help", "field",
                 "filterwarnings"}
#: a run of three or more words: a sentence or a phrase that belongs in a catalog
_WORDS = re.compile(r"[A-Za-zÀ-ÿ]{2,}(?:[ ,;:]+[A-Za-zÀ-ÿ]{2,}){2,}")
#: Dutch words that were once used as data keys or labels in the code
_DUTCH_KEYS = {"probleemgebied", "kwetsbaar", "signaal", "geen", "onbekend", "laag", "midden", "hoog", "dalend",
               "stabiel", "stijgend", "laagst", "hoogst", "gebieden", "Nederland", "regio"}
_FORBIDDEN = ("bilingual(", "sentence_nl", "sentence_en", 'f"NL: ', 'f"EN: ', "c.TEXT", "LBM_CLASSES")

#: what a rendered text must not contain
_SNAKE_ID = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")          # bijstand_per_100_dwellings, lbm_onv
_REPR = re.compile(r"[{}]|Message\(|\bnan\b|\bNone\b|\[\s*'|\bdict\(")
_EXCEPTION = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b|Traceback")


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _exempt(tree: ast.AST) -> set[int]:
    """Ids of the string constants inside exempt calls and ``raise`` statements."""
    out = set()
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
        if isinstance(node, ast.Raise) or name in _EXEMPT_CALLS:
            out |= {id(n) for n in ast.walk(node) if isinstance(n, ast.Constant)}
    return out


def _sentences(path: Path) -> list[str]:
    src = path.read_text(encoding="utf-8")
    tree = ast.parse(src)
    skip = _docstrings(tree) | _exempt(tree)
    found = [f"{path.name}: {token}" for token in _FORBIDDEN if token in src]
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value
            if _WORDS.search(text) or text.strip() in _DUTCH_KEYS:
                found.append(f"{path.name}:{node.lineno}: {text!r}")
    return found


def test_no_sentence_is_built_in_the_analyses():
    modules = sorted(ANALYSIS_DIR.glob("*.py"))
    assert len(modules) >= 12
    found = [s for m in modules for s in _sentences(m)]
    assert found == []


def test_the_scan_finds_what_it_must():
    """The check itself: a planted sentence, a bilingual pair and a Dutch key are caught."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "planted.py"
        p.write_text('"""Doc string with many words is fine."""\n'
                     'def f(c):\n'
                     '    """So is this one."""\n'
                     '    note = "De gebieden zijn ingedeeld naar niveau."\n'
                     '    raise StoreError("an error message for the analyst is fine")\n'
                     'x = c.bilingual("a", "b")\n'
                     'key = "probleemgebied"\n'
                     'col = "sentence_nl"\n', encoding="utf-8")
        found = _sentences(p)
    assert any("ingedeeld" in f for f in found) and any("bilingual(" in f for f in found)
    assert any("probleemgebied" in f for f in found) and any("sentence_nl" in f for f in found)
    assert not any("Doc string" in f or "analyst" in f for f in found)


# ------------------------------------------------------------------ every analysis on the demo store
A = ["GM0363"]
#: parameters for the demo (Amsterdam; the manifest's where it names the analysis)
DEMO_RUNS = {
    "corp-profile": dict(indicator="bijstand_per_100_dwellings", geo_version="cbs2019", level="wijk", region=A,
                         year_from=2005, year_to=2017, index_on="regional", n_boot=50),
    "tipping-point": dict(outcome="all", geo_version="cbs2019", level="buurt", region=A, year_from=2014,
                          year_to=2018, n_boot=50),
    "liveability": dict(indicator="lbm", geo_version="cbs2019", level="buurt", group_by="end", region=A),
    "typology": dict(geo_version="cbs2019", level="wijk", region=A, year_from=2013, year_to=2017),
    "concentration": dict(indicator="bijstand_per_100_dwellings", geo_version="cbs2019", level="wijk", region=A,
                          year_from=2005, year_to=2017),
    "relative": dict(indicator="corp_share", geo_version="cbs2019", level="buurt", region=A, year=2017),
    "hotspots": dict(indicator="lbm", geo_version="cbs2019", level="buurt", region=A, year=2018, permutations=99),
    "change-model": dict(indicator="nuisance", predictors=["fear_of_crime"], geo_version="cbs2019", level="wijk",
                         region=A),
    "scenario": dict(geo_version="cbs2019", level="buurt", region=A, start_share=0.42, n_sim=100),
    "segregation": dict(geo_version="cbs2019", level="buurt", region=A, n_boot=50, n_random=20),
    "trajectories": dict(geo_version="cbs2019", level="buurt", region=A, n_boot=50),
    "early-warning": dict(geo_version="cbs2019", level="buurt", region=A, n_boot=50),
    "benchmark": dict(indicator="corp_share", geo_version="cbs2023", level="gemeente", year_from=2020, year_to=2025,
                      with_typology=False, n_boot=20),
}
EXTRA_RUNS = {   # the other branches with words of their own
    "trajectories-typology": ("trajectories", dict(classes="typology", region=A, n_boot=50)),
    "liveability-dimensions": ("liveability", dict(mode="dimension", geo_version="cbs2019", level="buurt", region=A)),
    "concentration-band": ("concentration", dict(indicator="corp_share", geo_version="cbs2019", level="buurt",
                                                 region=A, year_from=2005, year_to=2017)),
}


#: analyses of private data a user loads: run on a copy of the demo store with such data planted
PRIVATE_RUNS = {
    "portfolio": dict(corporation="Woonstad", region=A),
}


@pytest.fixture(scope="module")
def private_store(demo_store, tmp_path_factory):
    from tests.corp.plant import copy_store, plant_portfolio
    from veerkracht.cli_portfolio import ingest_portfolio
    from veerkracht.sources import read
    from veerkracht.store import open_store
    folder = tmp_path_factory.mktemp("private")
    path = copy_store(demo_store, folder)
    csv = plant_portfolio(path, folder)[0]
    store = open_store(str(path))
    ingest_portfolio(store, read("portfolio", csv, corporation="Woonstad"), lambda *a, **k: None)
    yield store
    store.close()


#: analyses the demo store has no data for, with the test that checks their words on a store that has
ELSEWHERE = {"grid-tipping-point": "tests/grid/test_grid_tipping.py::test_words_render_cleanly",
             "survey-trends": "tests/households/test_words_households.py",
             "dynamics": "tests/households/test_words_households.py"}


def test_every_registered_analysis_is_run_here():
    assert set(DEMO_RUNS) | set(PRIVATE_RUNS) | set(ELSEWHERE) == set(ANALYSES)


@pytest.mark.parametrize("name", sorted(set(DEMO_RUNS) | set(PRIVATE_RUNS)))
def test_every_analysis_is_a_class_with_typed_params_help_and_words(name):
    a = get_analysis(name)
    assert isinstance(a, Analysis) and dataclasses.is_dataclass(a.Params)
    assert all(f.metadata.get("help") for f in dataclasses.fields(a.Params))
    for lang in LANGS:
        assert render(a.title, lang) and render(a.summary, lang)
    with pytest.raises(StoreError, match="no parameter"):
        a(None, no_such_parameter=1)


def _figure_texts(fig) -> list[str]:
    out = []
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels() + ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            out += [t.get_text() for t in legend.get_texts()] + [legend.get_title().get_text()]
    return [t for t in out if t]


def _bad(text: str) -> list[str]:
    return [m.group(0) for rx in (_SNAKE_ID, _REPR, _EXCEPTION) for m in rx.finditer(text)]


@pytest.mark.parametrize("key", list(DEMO_RUNS) + list(EXTRA_RUNS))
def test_words_render_cleanly_in_both_languages(demo_store, key):
    name, params = EXTRA_RUNS.get(key, (key, DEMO_RUNS.get(key)))
    _check_words(name, get_analysis(name)(demo_store, **params))


@pytest.mark.parametrize("name", list(PRIVATE_RUNS))
def test_words_of_private_data_analyses(private_store, name):
    _check_words(name, get_analysis(name)(private_store, **PRIVATE_RUNS[name]))


def _check_words(name, res):
    assert isinstance(res.summary.get("message"), Message)
    assert all(isinstance(n, Message) for n in res.notes)          # no finished sentence, no NL:/EN: pair
    assert res.inputs and res.inputs["geo_version"] and res.inputs["level"]
    roles = {k: v for k, v in res.inputs.items() if isinstance(v, dict)}
    assert roles and all(v["indicators"] and v["years"] for v in roles.values())
    texts = {}
    for lang in LANGS:
        table = res.rendered_table(lang)
        cells = [str(v) for col in table.columns if table[col].dtype == object
                 and res.table[col].map(lambda v: isinstance(v, Message)).any() for v in table[col]]
        texts[lang] = (res.note_texts(lang) + [render(res.summary["message"], lang)] + cells + res.about(lang)
                       + _figure_texts(res.figure(lang)))
        bad = {t: _bad(t) for t in texts[lang] if _bad(t)}
        assert bad == {}, f"{name} ({lang}): {bad}"
        assert "Message(" not in res.to_json(lang)
    # the two languages say the same things: as many texts, and not the same words
    assert len(texts["nl"]) == len(texts["en"])
    assert render(res.summary["message"], "nl") != render(res.summary["message"], "en")
