"""The summary a board reads: 3–5 findings, each with 'wat betekent dit' and 'waar op letten', chosen by
strength of evidence, and every figure in it traceable to a result in ``analyses.json``."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from veerkracht.analysis._common import fmt

from .conftest import pdf_text


def _numbers(text: str, lang: str) -> list[tuple[float, int, str]]:
    """(value, decimals, token) of every number in ``text`` as the report prints it (Dutch: 1.234,5;
    English: 1,234.5), with its sign."""
    th, dec = (r"\.", ",") if lang == "nl" else (",", r"\.")
    pattern = re.compile(rf"(?<![\w.,])([+\-−]?)(\d{{1,3}}(?:{th}\d{{3}})+|\d+)((?:{dec})\d+)?(?!\w)")
    out = []
    for sign, whole, frac in pattern.findall(text):
        x = float(re.sub(r"\D", "", whole) + ("." + frac[1:] if frac else ""))
        out.append((-x if sign in ("-", "−") else x, len(frac) - 1 if frac else 0, sign + whole + frac))
    return out


def _all_numbers(obj) -> list[float]:
    if isinstance(obj, bool):
        return []
    if isinstance(obj, (int, float)):
        return [float(obj)]
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in _all_numbers(v)]
    if isinstance(obj, list):
        return [x for v in obj for x in _all_numbers(v)]
    return []


def _summary_text(res: dict) -> str:
    text = pdf_text(res["pdf"])
    start = text.index("De belangrijkste uitkomsten") if "De belangrijkste" in text else text.index("Summary")
    return text[start:text.index("Hoe gekozen") if "Hoe gekozen" in text else text.index("How chosen")]


def test_summary_has_three_to_five_findings_with_meaning_and_caution(report_nl, report_en):
    for res, meaning, watch in ((report_nl, "Wat betekent dit?", "Waar op letten?"),
                                (report_en, "What does this mean?", "What to watch for?")):
        doc = json.loads((Path(res["pdf"]).parent / "analyses.json").read_text(encoding="utf-8"))
        findings = [f for e in doc.values() for f in e.get("findings", [])]
        assert 3 <= len(findings) <= 5
        text = _summary_text(res)
        assert text.count(meaning) == text.count(watch) == len(findings)
        for f in findings:
            assert " ".join(f["text"].split()) in text
            assert f["meaning"] and f["watch"] and f["strength"] in ("clear", "uncertain", "count")


def test_every_figure_in_the_summary_traces_to_analyses_json(report_nl, report_en, demo_store):
    """Every number a finding prints is one of the figures ``analyses.json`` holds for the result it
    quotes (its figures, parameters or summary), rounded as printed; the only other numbers are the
    95 of '95%-interval' and those in indicator labels ('per 100 woningen')."""
    reg = demo_store.indicators()
    labels = sorted({x for c in ("label_nl", "label_en") for x in reg[c].dropna()}, key=len, reverse=True)
    for res, lang in ((report_nl, "nl"), (report_en, "en")):
        doc = json.loads((Path(res["pdf"]).parent / "analyses.json").read_text(encoding="utf-8"))
        checked = 0
        for name, entry in doc.items():
            for f in entry.get("findings", []):
                pool = _all_numbers(f["figures"]) + _all_numbers(entry["params"]) + _all_numbers(entry["summary"])
                text = f["text"]
                for label in labels:
                    text = text.replace(label, " ").replace(label[0].lower() + label[1:], " ")
                for value, digits, token in _numbers(text, lang):
                    if value == 95 and digits == 0:
                        continue
                    tol = 0.5 * 10 ** -digits + 1e-9
                    assert any(abs(v - value) <= tol for v in pool), (name, token, f["text"])
                    checked += 1
        assert checked >= 15


def test_summary_figures_are_the_results(report_nl, demo_store):
    """The figures ``analyses.json`` gives for the summary are the results, checked by hand: the
    corporation share pooled from the store's facts, the profile's gap and growth from its summary,
    the typology's counts from its table CSV."""
    out = Path(report_nl["pdf"]).parent
    doc = json.loads((out / "analyses.json").read_text(encoding="utf-8"))
    share = doc["corp-share"]
    f = demo_store.facts(indicator="corp_share", geo_version=share["params"]["geo_version"])
    areas = demo_store.areas(geo_version="cbs2019", level=share["params"]["level"], geometry=False)
    f = f[f["code"].isin(areas.loc[areas["gm_code"] == "GM0363", "code"])]
    for key, year in (("share_from", 2005), ("share_to", 2017)):
        y = f[f["year"] == year]
        assert share["summary"][key] == pytest.approx(y["numerator"].sum() / y["denominator"].sum() * 100)
    text = _summary_text(report_nl)
    assert f"van {fmt(share['summary']['share_from'], 1)}% in 2005 naar {fmt(share['summary']['share_to'], 1)}% in 2017" in text
    cp = doc["corp-profile"]
    fig = cp["findings"][0]["figures"]
    assert fig["growth"] == pytest.approx(cp["summary"]["growth"] * 100)
    assert fig["gap_from"] == cp["summary"]["gap_from"]
    # an interval that includes zero is worded as uncertain, never as a finding
    if cp["summary"]["growth_lo"] < 0 < cp["summary"]["growth_hi"]:
        assert cp["findings"][0]["strength"] == "uncertain"
        assert "Geen zeker verschil bij" in text and "omvat ook nul" in text
    ty = pd.read_csv(out / "tables" / "typology_areas.csv")
    t_fig = doc["typology"]["findings"][0]["figures"]
    assert t_fig["problem"] == doc["typology"]["summary"]["n_problem"] >= int((ty["class"] == "problem").sum()) >= 1
