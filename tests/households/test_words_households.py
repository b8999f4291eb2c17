"""The words of the two analyses on private microdata, checked as ``tests/analysis/test_words.py`` checks
those the demo can run: no sentence in their code, and clean Dutch and English in every rendered text."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.analysis.test_words import ANALYSIS_DIR, _bad, _figure_texts, _sentences
from veerkracht.analysis import get_analysis
from veerkracht.analysis.base import Analysis
from veerkracht.errors import StoreError
from veerkracht.i18n import LANGS, Message, render

MODULES = ("survey_trends.py", "dynamics.py", "_survey.py", "_flows.py")


def test_no_sentence_in_the_household_analyses():
    found = [f for m in MODULES for f in _sentences(Path(ANALYSIS_DIR) / m)]
    assert found == []


@pytest.mark.parametrize("name", ["survey-trends", "dynamics"])
def test_class_params_and_words(name, survey_store, tenant_store):
    a = get_analysis(name)
    assert isinstance(a, Analysis) and dataclasses.is_dataclass(a.Params)
    assert all(f.metadata.get("help") for f in dataclasses.fields(a.Params))
    with pytest.raises(StoreError, match="no parameter"):
        a(None, no_such_parameter=1)
    store = survey_store[0] if name == "survey-trends" else tenant_store[0]
    res = a(store) if name == "survey-trends" else a(store, level="wijk")
    assert isinstance(res.summary.get("message"), Message) and all(isinstance(n, Message) for n in res.notes)
    texts = {}
    for lang in LANGS:
        texts[lang] = (res.note_texts(lang) + [render(res.summary["message"], lang)] + res.about(lang)
                       + _figure_texts(res.figure(lang)) + [render(a.title, lang), render(a.summary, lang)])
        bad = {t: _bad(t) for t in texts[lang] if _bad(t)}
        assert bad == {}, f"{name} ({lang}): {bad}"
        assert "Message(" not in res.to_json(lang)
    assert len(texts["nl"]) == len(texts["en"])
    assert render(res.summary["message"], "nl") != render(res.summary["message"], "en")
