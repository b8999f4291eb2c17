"""The stakeholder report on the demo store: PDF renders, HTML self-contained, numbers from the
analyses in the text, missing data said plainly, both languages, privacy."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from veerkracht.analysis import get_analysis
from veerkracht.analysis._common import fmt

from .conftest import html_text, pdf_text


def _render_pages(pdf: str, tmp_path: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", "30", "-png", pdf, str(tmp_path / "page")], check=True)
    return sorted(tmp_path.glob("page-*.png"))


@pytest.mark.parametrize("which", ["report_nl", "report_en", "report_gemeente", "report_no_lbm"])
def test_pdf_opens_and_every_page_renders_with_content(which, request, tmp_path):
    from PIL import Image
    res = request.getfixturevalue(which)
    pages = _render_pages(res["pdf"], tmp_path)
    assert len(pages) == res["pages"]
    assert len(pages) >= (15 if which in ("report_nl", "report_en") else 6)      # chapters flow (test_layout)
    for p in pages:
        a = np.asarray(Image.open(p).convert("L"), dtype=float)
        assert a.shape[0] > a.shape[1]                       # portrait A4
        assert a.std() > 2.0, f"{p.name} looks blank"          # text or figures, not an empty page
    info = subprocess.run(["pdfinfo", res["pdf"]], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+595\.\d* x 841\.\d* pts \(A4\)", info)


def test_pdf_has_page_numbers_and_a_table_of_contents(report_nl):
    text = pdf_text(report_nl["pdf"])
    assert f"Pagina 3 van {report_nl['pages']}" in text
    toc = text[text.index("Inhoud"):text.index("Samenvatting De belangrijkste")]
    # every chapter with the page number it really starts on (target-counter)
    for title in ("Corporatiebezit en kwetsbare groepen", "Omslagpunten", "Gegevens en verantwoording"):
        m = re.search(re.escape(title) + r"[ .]*?(\d+)", toc)
        assert m, title
        page = int(m.group(1))
        out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), report_nl["pdf"], "-"],
                             capture_output=True, text=True, check=True).stdout
        assert title in " ".join(out.split())


@pytest.mark.parametrize("which", ["report_nl", "report_en", "report_gemeente"])
def test_html_is_self_contained(which, request):
    res = request.getfixturevalue(which)
    html = Path(res["html"]).read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html
    assert "<link" not in html and "<script" not in html and "@import" not in html
    srcs = re.findall(r'<img[^>]*src="([^"]*)"', html)
    assert len(srcs) >= (8 if which != "report_gemeente" else 1)
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    for f in res["figures"]:
        assert Path(f).stat().st_size > 1000
    assert any(f.endswith(".svg") for f in res["figures"]) and any(f.endswith(".png") for f in res["figures"])
    for t in res["tables"]:
        assert len(pd.read_csv(t)) >= 1


def _pooled_share(store, year):
    areas = store.areas(geo_version="cbs2019", level="buurt", geometry=False)
    f = store.facts(indicator="corp_share", geo_version="cbs2019", years=[year])
    f = f[f["code"].isin(areas["code"])]
    return f["numerator"].sum() / f["denominator"].sum() * 100


def test_text_holds_the_numbers_of_the_store_and_the_analyses(report_nl, demo_store):
    pdf, html = pdf_text(report_nl["pdf"]), html_text(report_nl["html"])
    expected = []
    # corporation share of the region, pooled from the store's buurt facts
    expected += [fmt(_pooled_share(demo_store, y), 1) + "%" for y in (2005, 2017)]
    # the profile's gap and growth
    cp = get_analysis("corp-profile")(demo_store, indicator="bijstand_per_100_dwellings", region=["GM0363"],
                                      geo_version="cbs2019", level="wijk", year_from=2005, year_to=2017,
                                      index_on="regional")
    s = cp.summary
    expected += [f"van {fmt(s['gap_from'])} naar {fmt(s['gap_to'])} indexpunten",
                 fmt(s["growth"] * 100, sign=True) + "%", fmt(s["growth_lo"] * 100, sign=True) + "%"]
    # tipping point of the total score over the Leefbaarometer years within 2005–2017
    tp = get_analysis("tipping-point")(demo_store, outcome="lbm", region=["GM0363"], geo_version="cbs2019",
                                       level="buurt", year_from=2008, year_to=2016)
    r = tp.table.iloc[0]
    expected += [f"{fmt(r['breakpoint'])}%", f"{fmt(r['break_lo'])}% – {fmt(r['break_hi'])}%"]
    # typology counts (stand-in from benefits, nuisance index of 2017)
    ty = get_analysis("typology")(demo_store, year_from=2005, year_to=2017,
                                  region=["GM0363"], geo_version="cbs2019", level="wijk")
    assert ty.params["standin_components"] == ["bijstand_per_100_dwellings"] and ty.params["nuisance_used"] == "nuisance"
    expected.append(f"hoog aandeel kwetsbare bewoners): {ty.summary['n_problem']};")
    expected.append(f"(nog) geen overlastprobleem is: {ty.summary['n_signal']}.")
    # liveability: lowest decile's mean change in the last period, grouped by start year
    lv = get_analysis("liveability")(demo_store, indicator="lbm", region=["GM0363"], geo_version="cbs2019",
                                     level="buurt", periods=[(2008, 2012), (2012, 2014), (2014, 2016)])
    last = lv.table[lv.table["period"] == "2014–2016"]
    expected.append(fmt(last.loc[last["group"] == 1, "mean_change"].iloc[0], 3, sign=True))
    for e in expected:
        assert e in pdf, e
        assert e in html, e


def test_missing_data_gives_plain_not_available_sections(report_gemeente, report_no_lbm):
    st = report_gemeente["sections"]
    assert st["liveability"] == st["tipping"] == st["typology"] == "unavailable"
    assert st["benchmark"] == "ok"                        # 342 gemeenten with corp_share 2020–2025
    text = pdf_text(report_gemeente["pdf"])
    assert text.count("Niet beschikbaar") >= 5
    assert "Niet beschikbaar: de database bevat geen gegevens over ‘Leefbaarometer: totaal (afwijking)’" in text
    # chapters with nothing to show are one list in the introduction, not a page each
    assert "Niet in dit rapport, en wat het zou aanvullen" in text and "veerkracht build --region" in text
    assert "Ontwikkeling van de leefbaarheid —" in text
    assert report_gemeente["pages"] <= 10          # was 14, 7 of them near-empty 'niet beschikbaar' pages
    assert "Groningen" in text and "vergelijkingsgroep" in text

    st = report_no_lbm["sections"]
    assert st["liveability"] == "unavailable" and st["tipping"] == "unavailable"
    text = pdf_text(report_no_lbm["pdf"])
    assert "binnen 2013–2015; beschikbare jaren: 2002, 2008, 2012, 2014, 2016, 2018, 2020, 2022" in text
    assert "Gegevens en verantwoording" in text           # the report still runs to its end


def test_english_report(report_en, demo_store):
    text = pdf_text(report_en["pdf"])
    assert "Summary" in text and "Not available" in text and "Page 3 of" in text
    assert fmt(_pooled_share(demo_store, 2005), 1, lang="en") + "%" in text    # decimal point
    assert "Samenvatting" not in text


def test_corporation_named_and_portfolio_chapter_says_how_to_load_it(report_nl, report_en):
    """``--corporation``: the portfolio chapter (the hook for the portfolio reader) says plainly that the
    store holds no portfolio and how to load it, in the list of missing parts; no data are invented.
    Without a corporation there is no such chapter."""
    text = pdf_text(report_nl["pdf"])
    assert "Woonstichting De Proef" in text
    assert report_nl["sections"]["portfolio"] == "unavailable"
    assert ("Bezit van de corporatie — Niet beschikbaar: de database bevat geen bezit van Woonstichting De Proef. "
            "Laad uw bezit met `veerkracht ingest portfolio BESTAND") in text
    assert "portfolio" not in report_en["sections"]


def test_suppressed_values_are_not_printed(report_nl, demo_store):
    html = html_text(report_nl["html"])
    ty = get_analysis("typology")(demo_store, year_from=2005, year_to=2017,
                                  region=["GM0363"], geo_version="cbs2019", level="wijk")
    t = ty.table
    hidden = t[t["suppressed"] & t["class"].isin(["problem", "vulnerable", "signal"])]
    shown = t[~t["suppressed"] & t["class"].isin(["problem", "vulnerable", "signal"])]
    assert len(hidden) >= 1 and len(shown) >= 1
    from veerkracht.i18n import render
    for rule in hidden["rule"]:
        assert " ".join(render(rule, "nl").split()) not in html
    for rule in shown["rule"]:
        assert " ".join(render(rule, "nl").split()) in html
    csv = Path(report_nl["html"]).parent / "tables" / "typology_areas.csv"
    assert not set(pd.read_csv(csv)["code"]) & set(hidden["code"])
    rel = pd.read_csv(Path(report_nl["html"]).parent / "tables" / "relative_top.csv")
    assert not rel["suppressed"].any()


def test_region_by_name_and_summary_rule(demo_store):
    from veerkracht.report.context import Finding
    from veerkracht.report.plan import resolve_region
    from veerkracht.report import pick_findings

    reg = resolve_region(demo_store, "amsterdam")
    assert reg.codes == ["GM0363"] and reg.name == "Amsterdam" and reg.gemeenten == ["GM0363"]
    f = [Finding(0, 1, "a", "x"), Finding(1, 0, "b", "x"), Finding(2, 2, "c", "x"), Finding(3, 0, "d", "x"),
         Finding(4, 1, "e", "x"), Finding(5, 0, "f", "x"), Finding(6, 2, "g", "x")]
    # weights 2 (c, g), then 1 (a, e), then the first weight-0 in storyline order (b); shown in order
    assert [x.text for x in pick_findings(f)] == ["a", "b", "c", "e", "g"]


def _prose(text: str) -> str:
    """PDF text without file names: the CSV paths (``tables/profile_<indicator>.csv``) and the table of
    used source files (``ois_ses_woa_2019.csv``) name files, they are not prose."""
    text = re.sub(r"(Bronnen die dit rapport gebruikt|Sources this report uses).*?tables/sources\.csv", " ", text)
    return re.sub(r"tables/\S+\.csv", " ", text)


def test_no_internal_ids_in_the_text(report_nl, report_en, demo_store):
    nl, en = _prose(pdf_text(report_nl["pdf"])), _prose(pdf_text(report_en["pdf"]))
    ids = [i for i in demo_store.indicators()["id"] if "_" in i]
    assert "bijstand_per_100_dwellings" in ids
    for text in (nl, en):
        for i in ids:
            assert i not in text, i
        for raw in ("def:", "partial_coverage", "zero_denominator", "num_from_pct", "+aggregated", " (+)",
                    "ois-woningvoorraad", "leefbaarometer-3.0", "Source: derived", "Bron: derived"):
            assert raw not in text, raw
    assert "derived" not in nl and "nuisance" not in nl
    # what stands there instead: publishers' names, the registry's labels, flags in words with a glossary
    assert "Gemeente Amsterdam, OIS woningvoorraad (opgeteld uit buurten)" in nl
    assert "Leefbaarometer 3.0 (BZK)" in nl and "afgeleid" in nl
    assert "Overlast gemeten met overlast (veiligheidsindex) als percentiel" in nl
    assert "vervangende kwetsbaarheidsindex (bijstandsuitkeringen per 100 woningen; geen LVB)" in html_text(report_nl["html"])
    assert "Betekenis van de kenmerken" in nl and "deels gedekt: niet alle brongebieden" in nl
    assert "telling volgens bronkolom ‘wwb levensonderhoud’" in html_text(report_nl["html"])   # PDF may hyphenate
    assert "City of Amsterdam, OIS housing stock (summed from buurten)" in en and "Meaning of the flags" in en


def test_no_internal_ids_or_code_where_data_are_missing(report_nl, report_en, report_gemeente, report_no_lbm,
                                                        demo_store):
    """The reports with missing chapters name indicators by their labels too (the list of vulnerable-group
    indicators once read 'bijstand_15_64, bijstand_per_100_dwellings, …'); no report shows a message id,
    a Python repr or an exception name."""
    ids = [i for i in demo_store.indicators()["id"] if "_" in i]
    gm, nolbm = _prose(pdf_text(report_gemeente["pdf"])), _prose(pdf_text(report_no_lbm["pdf"]))
    for text in (gm, nolbm):
        for i in ids:
            assert i not in text, i
        assert "geen van de indicatoren voor kwetsbare groepen (bijstandsontvangers; bijstand (15–64 jaar); " \
               "bijstandsuitkeringen per 100 woningen;" in text
    assert "meer dan 0 bevindingen" in nolbm and "bevinding(en)" not in nolbm
    for text in (gm, nolbm, _prose(pdf_text(report_nl["pdf"])), _prose(pdf_text(report_en["pdf"]))):
        assert not re.search(r"[{}]|Message\(|\breport\.[a-z_]+\.|\bnan\b|\bNone\b|Error\b|Traceback", text)


def test_units_ranks_and_counts_read_well(report_nl, report_en, demo_store):
    nl, en = pdf_text(report_nl["pdf"]), pdf_text(report_en["pdf"])
    assert "per 100 woningen, per 100 woningen" not in nl and "per 100 dwellings, per 100 dwellings" not in en
    assert "liggen (bijstandsuitkeringen per 100 woningen)" in nl
    # ranks count suppressed areas too: the report names the ranks it cannot show
    rel = get_analysis("relative")(demo_store, indicator="bijstand_per_100_dwellings", year=2017, region=["GM0363"],
                                   geo_version="cbs2019", level="wijk")
    t = rel.table
    top = t[~t["suppressed"] & t["value"].notna()].sort_values("diff_gm", ascending=False).head(10)
    hidden = sorted(int(r) for r in t.loc[t["suppressed"] & (t["rank_gm"] <= top["rank_gm"].max()), "rank_gm"])
    assert hidden and hidden[0] not in set(top["rank_gm"].astype(int))
    if len(hidden) == 1:
        assert f"1 rang ({hidden[0]}) hoort bij een gebied dat op kleine aantallen rust" in nl
        assert f"1 rank ({hidden[0]}) belongs to an area that rests on small numbers" in en
    else:
        assert f"{len(hidden)} rangen ({', '.join(map(str, hidden))}) horen bij gebieden" in nl
    # typology: one hidden area is '1 gebied … rust', never '1 gebieden … rusten'
    ty = get_analysis("typology")(demo_store, year_from=2005, year_to=2017,
                                  region=["GM0363"], geo_version="cbs2019", level="wijk")
    tt = ty.table
    n_hidden = int((tt["suppressed"] & tt["class"].isin(["problem", "vulnerable", "signal"])).sum())
    assert f"Gebieden in deze klassen die op kleine aantallen rusten, zijn niet getoond: {n_hidden}." in nl
    assert not re.search(r"\b1 gebieden\b", nl) and not re.search(r"\b1 areas\b", en)


def test_tables_and_figures_are_laid_out_alike(report_nl):
    html = Path(report_nl["html"]).read_text(encoding="utf-8")
    # short tables are kept on one page; codes and short labels never wrap
    assert html.count('class="tblock keep"') >= 8
    assert re.search(r'<td class="nw">WK036341</td>', html)
    # every chart is drawn 8 in wide at 150 dpi, so its text has the same size on the page
    from PIL import Image
    charts = [f for f in report_nl["figures"] if f.endswith(".png") and "/map_" not in f]
    assert len(charts) >= 4
    widths = [Image.open(f).size[0] / 150 for f in charts]
    assert all(7.0 <= w <= 8.3 for w in widths) and max(widths) - min(widths) < 0.5, widths
    shown = [float(x) for x in re.findall(r'style="width: ([\d.]+)%"', html)]
    assert len(shown) >= len(charts) and all(80 <= x <= 100 for x in shown)


def test_a_failing_section_shows_no_exception_and_is_not_summarised(demo_store, tmp_path, monkeypatch):
    """Amsterdam 2018–2025 printed "ValueError: 'xerr' must not contain negative values" in its
    tipping-point chapter while the summary quoted that chapter. Now the tipping point draws (its
    crossing interval may miss the point estimate), and a section that does fail shows no exception
    text and is not quoted in the summary."""
    from veerkracht.report import build as b
    from veerkracht.report.context import Finding

    orig = b._sections

    def boom(ctx):
        ctx.findings.append(Finding(0, 9, "BOOM-FINDING", "corp"))
        raise ValueError("'xerr' must not contain negative values")

    monkeypatch.setattr(b, "_sections", lambda: [(k, t, boom if k == "corp" else fn) for k, t, fn in orig()])
    res = b.build_report(demo_store, region=["GM0363"], year_from=2018, year_to=2025, out_dir=tmp_path)
    text = pdf_text(res["pdf"])
    assert res["sections"]["corp"] == "unavailable" and res["sections"]["tipping"] == "ok"
    assert "BOOM-FINDING" not in text and "BOOM-FINDING" not in res["findings"]
    for raw in ("ValueError", "xerr", "Traceback", "Error:"):
        assert raw not in text, raw
    assert "door een fout in het programma niet worden berekend" in text
