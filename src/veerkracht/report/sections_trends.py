"""Sections on the trends (report §2.3–2.7): corporation share and vulnerable groups, liveability,
tipping points. Every sentence is composed from the result's numbers (see ``context``)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis import get_analysis
from ..analysis.base import suppress
from ..i18n import render
from .context import Finding, clean_sources, direction, interval_verdict
from .maps import area_map
from .plan import SUB_LEVELS, VULNERABLE, Unavailable

__all__ = ["corp_and_vulnerable", "liveability", "tipping_points", "national_reference"]

DIMENSIONS = ["lbm_won", "lbm_fys", "lbm_vrz", "lbm_soc", "lbm_onv"]


def _p(text: str) -> dict:
    return {"type": "p", "text": text}


def _h(text: str) -> dict:
    return {"type": "h3", "text": text}


def _na(ctx, exc: Unavailable | Exception) -> dict:
    text = exc.text(ctx.lang) if isinstance(exc, Unavailable) else str(exc)
    return {"type": "unavailable", "text": ctx.t("Niet beschikbaar: ", "Not available: ") + text}


def national_reference(ctx, version: str, level: str) -> bool:
    """True when the store holds areas of ``version``/``level`` outside the region's gemeenten, so an
    index on 'Nederland' means more than the region itself."""
    a = ctx.store.areas(geo_version=version, level=level, geometry=False)
    return bool((~a["gm_code"].isin(ctx.region.gemeenten)).any())


def pooled_share(ctx, version: str, level: str, years) -> pd.DataFrame:
    """Σ corporation dwellings / Σ dwellings of the region's areas per year (suppressed if small)."""
    raw = ctx.catalog.raw_facts("corp_share", version)
    codes = ctx.cov.areas.loc[(ctx.cov.areas["geo_version"] == version) & (ctx.cov.areas["level"] == level), "code"]
    f = raw[raw["code"].isin(set(codes)) & raw["year"].isin(years)]
    g = f.groupby("year")
    out = pd.DataFrame({"num": g["numerator"].sum(min_count=1), "den": g["denominator"].sum(min_count=1),
                        "mean": g["value"].mean(), "n": g["code"].nunique()})
    out["share"] = np.where(out["den"] > 0, out["num"] / out["den"] * 100, out["mean"])
    out.loc[suppress(out["num"], out["den"]), "share"] = np.nan
    return out.reset_index()


# --------------------------------------------------------------------------- §1
def corp_and_vulnerable(ctx) -> list[dict]:
    """Corporation share in the region, its map, and the profile of every vulnerable indicator."""
    blocks = []
    v, lv, ys = ctx.cov.choose("corp_share", levels=SUB_LEVELS + ["gemeente"], min_years=1, min_areas=1)
    ctx.use("corp_share", v, lv, ys)
    share = pooled_share(ctx, v, lv, ys).dropna(subset=["share"])
    blocks.append(_h(ctx.t("Aandeel corporatiewoningen", "Share of housing-association dwellings")))
    if len(share) >= 1:
        a, b = share.iloc[0], share.iloc[-1]
        if len(share) >= 2:
            d = b["share"] - a["share"]
            word = direction(d, ctx.lang, tol=0.05)
            text = ctx.t(
                f"Het aandeel corporatiewoningen in {ctx.region.name} is {word}: van {ctx.fmt(a['share'], 1)}% in "
                f"{int(a['year'])} naar {ctx.fmt(b['share'], 1)}% in {int(b['year'])} "
                f"({ctx.fmt(d, 1, sign=True)} procentpunt"
                + (f"; {int(b['n'])} gebieden, niveau {lv})." if lv != "gemeente" else ")."),
                f"The share of housing-association dwellings in {ctx.region.name} has {word}: from "
                f"{ctx.fmt(a['share'], 1)}% in {int(a['year'])} to {ctx.fmt(b['share'], 1)}% in {int(b['year'])} "
                f"({ctx.fmt(d, 1, sign=True)} percentage points"
                + (f"; {int(b['n'])} areas, level {lv})." if lv != "gemeente" else ")."))
            ctx.findings.append(Finding(0, 1 if abs(d) >= 1 else 0, text, "corp"))
        else:
            text = ctx.t(f"Het aandeel corporatiewoningen in {ctx.region.name} was {ctx.fmt(b['share'], 1)}% in "
                         f"{int(b['year'])}; er is maar één jaar in de periode.",
                         f"The share of housing-association dwellings in {ctx.region.name} was "
                         f"{ctx.fmt(b['share'], 1)}% in {int(b['year'])}; the period holds one year only.")
        blocks.append(_p(text))
        shown = pd.DataFrame({ctx.t("Jaar", "Year"): share["year"].astype(int),
                              ctx.t("Aandeel (%)", "Share (%)"): [ctx.fmt(x, 1) for x in share["share"]],
                              ctx.t("Gebieden", "Areas"): share["n"].astype(int)})
        blocks.append(ctx.table("corp_share_region", shown, ctx.t(
            f"Aandeel corporatiewoningen, {ctx.region.name} (Σ corporatiewoningen / Σ woningen)",
            f"Housing-association share, {ctx.region.name} (Σ association dwellings / Σ dwellings)"),
            csv=share[["year", "share", "n"]]))
    if lv != "gemeente":
        try:
            blocks.append(area_map(ctx, "map_corp_share", v, lv, "corp_share", "value", year=ys[-1],
                                   title=ctx.t(f"Aandeel corporatiewoningen, {ys[-1]}",
                                               f"Housing-association share, {ys[-1]}")))
        except Unavailable as e:
            blocks.append(_na(ctx, e))

    blocks.append(_h(ctx.t("Kwetsbare groepen naar aandeel corporatiewoningen",
                           "Vulnerable groups by housing-association share")))
    found = ctx.cov.available(VULNERABLE, with_corp=True)
    missing = [i for i in VULNERABLE if i not in {f[0] for f in found}]
    if not found:
        blocks.append(_na(ctx, Unavailable(
            f"geen van de indicatoren voor kwetsbare groepen ({', '.join(VULNERABLE)}) is er voor deze regio "
            f"in twee jaren binnen {ctx.period()} samen met het aandeel corporatiewoningen",
            f"none of the vulnerable-group indicators ({', '.join(VULNERABLE)}) exists for this region in two "
            f"years within {ctx.period()} together with the housing-association share")))
    else:
        blocks.append(_p(ctx.t(
            "Per klasse van het aandeel corporatiewoningen is de indicator samengevoegd (Σ tellers / Σ noemers) "
            "en geïndexeerd; het verschil is de index van de hoogste klasse min die van de laagste. "
            "Intervallen: bootstrap over gebieden (95%).",
            "Per class of housing-association share the indicator is pooled (Σ numerators / Σ denominators) "
            "and indexed; the gap is the index of the top class minus that of the bottom class. Intervals: "
            "bootstrap over areas (95%).")))
    if missing:
        names = ", ".join(ctx.label(i) for i in missing)
        blocks.append(_na(ctx, Unavailable(
            f"profielen voor {names}: geen gegevens voor deze regio in twee jaren binnen {ctx.period()} "
            "(psychische problematiek, LVB, dementie en vluchtelingen zijn geen open data: lever een eigen bestand)",
            f"profiles for {names}: no data for this region in two years within {ctx.period()} (psychiatric "
            "problems, LVB, dementia and refugees are not open data: bring your own file)")))
    for k, (ind, iv, ilv, iys) in enumerate(found):
        blocks += _profile(ctx, ind, iv, ilv, iys, main=k == 0)
    return blocks


def _profile(ctx, ind, v, lv, ys, main: bool) -> list[dict]:
    national = national_reference(ctx, v, lv)
    r = get_analysis("corp-profile")(ctx.store, indicator=ind, region=ctx.region.codes, geo_version=v, level=lv,
                                     year_from=ys[0], year_to=ys[-1], index_on="national" if national else "regional")
    ctx.results.setdefault("corp-profile", r)
    ctx.use(ind, v, lv, [ys[0], ys[-1]])
    s, label = r.summary, ctx.label(ind)
    out = [{"type": "h4", "text": label}]
    ref = ctx.t("Nederland", "the Netherlands") if national else ctx.t("de regio", "the region")
    if not np.isfinite(s["gap_from"]):
        out.append(_na(ctx, Unavailable("minder dan twee klassen met gegevens na onderdrukking",
                                        "fewer than two classes with data after suppression")))
        return out
    t = r.table.set_index(["year", "bin_label"])
    y0, y1, top, bot = ys[0], ys[-1], s["top_bin"], s["bottom_bin"]
    word = direction(s["gap_to"] - s["gap_from"], ctx.lang, up=("groter", "larger"), down=("kleiner", "smaller"),
                     same=("even groot", "the same"))
    verdict = interval_verdict(s["growth_lo"], s["growth_hi"], ctx.lang,
                               what=("de groei van het verschil", "the growth of the gap"))
    text = ctx.t(
        f"In {y0} lag {label.lower()} in gebieden met {top}% corporatiewoningen op index "
        f"{ctx.fmt(t.loc[(y0, top), 'index'])} en in gebieden met {bot}% op {ctx.fmt(t.loc[(y0, bot), 'index'])} "
        f"({ref} = 100); in {y1} op {ctx.fmt(t.loc[(y1, top), 'index'])} en {ctx.fmt(t.loc[(y1, bot), 'index'])}. "
        f"Het verschil is {word} geworden: van {ctx.fmt(s['gap_from'])} naar {ctx.fmt(s['gap_to'])} indexpunten "
        f"({ctx.fmt(s['growth'] * 100, sign=True)}%, 95%-interval {ctx.fmt(s['growth_lo'] * 100, sign=True)}% tot "
        f"{ctx.fmt(s['growth_hi'] * 100, sign=True)}%); {verdict}.",
        f"In {y0}, {label.lower()} stood at index {ctx.fmt(t.loc[(y0, top), 'index'])} in areas with {top}% "
        f"housing-association dwellings and at {ctx.fmt(t.loc[(y0, bot), 'index'])} in areas with {bot}% "
        f"({ref} = 100); in {y1} at {ctx.fmt(t.loc[(y1, top), 'index'])} and {ctx.fmt(t.loc[(y1, bot), 'index'])}. "
        f"The gap has become {word}: from {ctx.fmt(s['gap_from'])} to {ctx.fmt(s['gap_to'])} index points "
        f"({ctx.fmt(s['growth'] * 100, sign=True)}%, 95% interval {ctx.fmt(s['growth_lo'] * 100, sign=True)}% to "
        f"{ctx.fmt(s['growth_hi'] * 100, sign=True)}%); {verdict}.")
    out.append(_p(text))
    if s.get("decomposition") is not None:        # whose change moved the gap (top vs bottom bin, composition)
        out.append(_p(render(s["decomposition"], ctx.lang)))
    if not national:
        out.append(_p(ctx.t("De database bevat voor deze geografie alleen gebieden van de regio zelf; daarom is "
                            "geïndexeerd op de regio in plaats van op Nederland.",
                            "For this geography the store only holds the region's own areas, so the index is "
                            "on the region instead of the Netherlands.")))
    clear = s["growth_lo"] > 0 or s["growth_hi"] < 0
    ctx.findings.append(Finding(1, 2 if clear else (1 if main else 0), ctx.t(
        f"{label}: het verschil tussen gebieden met veel ({top}%) en weinig ({bot}%) corporatiewoningen is "
        f"{word} geworden, van {ctx.fmt(s['gap_from'])} naar {ctx.fmt(s['gap_to'])} indexpunten ({y0}–{y1}; "
        f"{ctx.fmt(s['growth'] * 100, sign=True)}%, 95%-interval {ctx.fmt(s['growth_lo'] * 100, sign=True)}% tot "
        f"{ctx.fmt(s['growth_hi'] * 100, sign=True)}%)"
        + ("." if clear else "; het interval omvat ook geen groei of krimp: niet statistisch zeker."),
        f"{label}: the gap between areas with many ({top}%) and few ({bot}%) housing-association dwellings has "
        f"become {word}, from {ctx.fmt(s['gap_from'])} to {ctx.fmt(s['gap_to'])} index points ({y0}–{y1}; "
        f"{ctx.fmt(s['growth'] * 100, sign=True)}%, 95% interval {ctx.fmt(s['growth_lo'] * 100, sign=True)}% to "
        f"{ctx.fmt(s['growth_hi'] * 100, sign=True)}%)"
        + ("." if clear else "; the interval includes no change: not statistically certain.")), "profile"))
    fig = r.figure(ctx.lang)
    out.append(ctx.figure(f"profile_{ind}", fig, ctx.t(f"{label} naar aandeel corporatiewoningen, {y0} en {y1}",
                                                       f"{label} by housing-association share, {y0} and {y1}"),
                          source=_src(ctx, r, v, lv)))
    tab = r.table
    cells = {}
    for y in (y0, y1):
        d = tab[tab["year"] == y].set_index("bin_label")
        sp = d["suppressed"]
        cells[f"{ctx.t('Gebieden', 'Areas')} {y}"] = d["n_areas"]
        cells[f"Index {y}"] = [ctx.t("onderdrukt", "suppressed") if h else ctx.fmt(x) for x, h in zip(d["index"], sp)]
        cells[f"{ctx.t('95%-interval', '95% interval')} {y}"] = ["" if h else f"{ctx.fmt(a)} – {ctx.fmt(b)}"
                                                                for a, b, h in zip(d["index_lo"], d["index_hi"], sp)]
    shown = pd.DataFrame({ctx.t("Klasse (%)", "Class (%)"): tab.loc[tab["year"] == y0, "bin_label"].to_numpy(),
                          **{k: np.asarray(v) for k, v in cells.items()}})
    out.append(ctx.table(f"profile_{ind}", shown, ctx.t(f"Index per klasse van het aandeel corporatiewoningen ({ref} = 100)",
                                                        f"Index per class of housing-association share ({ref} = 100)"),
                         csv=tab.drop(columns=["numerator", "denominator"])))
    return out


def _src(ctx, r, v, lv) -> str:
    srcs = sorted({s for m in r.vintage.get("indicators", {}).values() for s in m.get("sources", [])},
                  key=lambda s: (s.startswith("derived"), s))          # publishers first, then 'derived'
    return f"{ctx.t('Bron', 'Source')}: {clean_sources(srcs, ctx.lang)} · {ctx.t('geografie', 'geography')} {v}, {lv}"


# --------------------------------------------------------------------------- §2
def _periods(years: list[int]) -> list[tuple[int, int]]:
    """Consecutive measurement years; at most four periods (five spread years) to stay readable."""
    if len(years) > 5:
        idx = np.unique(np.round(np.linspace(0, len(years) - 1, 5)).astype(int))
        years = [years[i] for i in idx]
    return list(zip(years[:-1], years[1:]))


def liveability(ctx) -> list[dict]:
    """Development by level (grouped by start and by end year) and by dimension."""
    v, lv, ys = ctx.cov.choose("lbm")
    ctx.use("lbm", v, lv, ys)
    periods = _periods(ys)
    run = get_analysis("liveability")
    base = dict(indicator="lbm", region=ctx.region.codes, geo_version=v, level=lv, periods=periods)
    start = run(ctx.store, group_by="start", **base)
    end = run(ctx.store, group_by="end", **base)
    ctx.results["liveability"] = start
    blocks = [_h(ctx.t("Naar niveau van leefbaarheid", "By level of liveability"))]
    last = f"{periods[-1][0]}–{periods[-1][1]}"

    def low_high(r):
        d = r.table[r.table["period"] == last].set_index("group")
        return d.loc[d.index.min()], d.loc[d.index.max()]
    (ls, hs), (le, he) = low_high(start), low_high(end)

    def cmp(lo, hi):
        return direction(lo["mean_change"] - hi["mean_change"], ctx.lang, up=("gunstiger", "more favourably"),
                         down=("ongunstiger", "less favourably"), same=("even gunstig", "equally"))
    separate = ls["ci_lo"] > hs["ci_hi"] or ls["ci_hi"] < hs["ci_lo"]
    text = ctx.t(
        f"De buurten zijn per periode in tien groepen (decielen) van de Leefbaarometer-score ingedeeld. Ingedeeld "
        f"naar het beginjaar ontwikkelde in {last} het laagste deciel zich {cmp(ls, hs)} dan het hoogste: gemiddeld "
        f"{ctx.fmt(ls['mean_change'], 3, sign=True)} tegen {ctx.fmt(hs['mean_change'], 3, sign=True)} "
        f"(95%-intervallen {ctx.fmt(ls['ci_lo'], 3)} tot {ctx.fmt(ls['ci_hi'], 3)} en {ctx.fmt(hs['ci_lo'], 3)} tot "
        f"{ctx.fmt(hs['ci_hi'], 3)}; ze {'overlappen niet' if separate else 'overlappen'}). Ingedeeld naar het "
        f"eindjaar ontwikkelde het laagste deciel zich {cmp(le, he)} dan het hoogste "
        f"({ctx.fmt(le['mean_change'], 3, sign=True)} tegen {ctx.fmt(he['mean_change'], 3, sign=True)}).",
        f"Areas are grouped per period into ten groups (deciles) of the Leefbaarometer score. Grouped by the start "
        f"year, in {last} the lowest decile developed {cmp(ls, hs)} than the highest: on average "
        f"{ctx.fmt(ls['mean_change'], 3, sign=True)} against {ctx.fmt(hs['mean_change'], 3, sign=True)} (95% "
        f"intervals {ctx.fmt(ls['ci_lo'], 3)} to {ctx.fmt(ls['ci_hi'], 3)} and {ctx.fmt(hs['ci_lo'], 3)} to "
        f"{ctx.fmt(hs['ci_hi'], 3)}; they {'do not overlap' if separate else 'overlap'}). Grouped by the end year, "
        f"the lowest decile developed {cmp(le, he)} than the highest ({ctx.fmt(le['mean_change'], 3, sign=True)} "
        f"against {ctx.fmt(he['mean_change'], 3, sign=True)}).")
    blocks.append(_p(text))
    ctx.findings.append(Finding(2, 2 if separate else 0, ctx.t(
        f"Leefbaarheid {last}: buurten in het laagste deciel (bij de start) ontwikkelden zich {cmp(ls, hs)} dan die "
        f"in het hoogste ({ctx.fmt(ls['mean_change'], 3, sign=True)} tegen {ctx.fmt(hs['mean_change'], 3, sign=True)}"
        f" Leefbaarometer-punten)" + ("." if separate else "; de intervallen overlappen: geen zeker verschil."),
        f"Liveability {last}: areas in the lowest decile (at the start) developed {cmp(ls, hs)} than those in the "
        f"highest ({ctx.fmt(ls['mean_change'], 3, sign=True)} against {ctx.fmt(hs['mean_change'], 3, sign=True)} "
        f"Leefbaarometer points)" + ("." if separate else "; the intervals overlap: no certain difference.")),
        "liveability"))
    blocks.append({"type": "caveat", "text": ctx.t(
        "Let op, regressie naar het gemiddelde: wie aan het eind van een periode laag scoort, kwam daar deels door "
        "toevallige tegenvallers in diezelfde periode. Indelen naar het eindjaar (zoals figuur 8 van het rapport) "
        "laat lage groepen daardoor achterblijven, ook als er niets structureels gebeurt; indelen naar het "
        "beginjaar laat ze juist wat inlopen. Alleen een verschil dat in beide indelingen dezelfde kant op wijst, "
        "is een sterke aanwijzing.",
        "Caution, regression to the mean: areas that end a period low got there partly through chance setbacks in "
        "that same period. Grouping by the end year (as the report's figure 8 does) therefore makes low groups "
        "fall behind even when nothing systematic happens; grouping by the start year makes them catch up a "
        "little. Only a difference pointing the same way in both groupings is strong evidence.")})
    blocks.append(ctx.figure("liveability_start", start.figure(ctx.lang), ctx.t(
        "Gemiddelde verandering van de Leefbaarometer-score per deciel, ingedeeld naar het beginjaar",
        "Mean change of the Leefbaarometer score per decile, grouped by the start year"), source=_src(ctx, start, v, lv)))
    blocks.append(ctx.figure("liveability_end", end.figure(ctx.lang), ctx.t(
        "Dezelfde verandering, ingedeeld naar het eindjaar (met regressie naar het gemiddelde)",
        "The same change, grouped by the end year (with regression to the mean)"), source=_src(ctx, end, v, lv)))
    for name, r in (("liveability_start", start), ("liveability_end", end)):
        ctx.table(name, pd.DataFrame(), "", csv=r.table)   # CSV only: the figure shows it
    blocks.append(_h(ctx.t("Naar dimensie in corporatiegebieden", "By dimension in housing-association areas")))
    try:
        blocks += _dimensions(ctx, v, lv)
    except Unavailable as e:
        blocks.append(_na(ctx, e))
    return blocks


def _dimensions(ctx, v, lv) -> list[dict]:
    dims = [d for d in DIMENSIONS if len(ctx.cov.years(d, v, lv)) >= 2]
    if not dims:
        have = ctx.cov.all_years("lbm_onv")
        raise Unavailable(f"de Leefbaarometer-dimensies zijn er niet in twee jaren binnen {ctx.period()} "
                          f"(gemeten in {', '.join(map(str, have)) or 'geen jaar'})",
                          f"the Leefbaarometer dimensions do not exist in two years within {ctx.period()} "
                          f"(measured in {', '.join(map(str, have)) or 'no year'})")
    ys = ctx.cov.years(dims[0], v, lv)
    share = ctx.store.facts(indicator="corp_share", geo_version=v, codes=ctx.cov.areas["code"].tolist())
    s0 = share[share["year"] <= ys[0]].sort_values("year").drop_duplicates("code", keep="last")
    threshold = 80.0 if (s0["value"] >= 80).sum() >= 10 else 50.0
    r = get_analysis("liveability")(ctx.store, mode="dimension", dimensions=dims, threshold=threshold,
                                    periods=[(ys[0], ys[-1])], region=ctx.region.codes, geo_version=v, level=lv)
    ctx.use("lbm_onv", v, lv, [ys[0], ys[-1]])
    t = r.table
    hi = t[t["group"].str.startswith("≥")].set_index("dimension")
    lo = t[~t["group"].str.startswith("≥")].set_index("dimension")
    worst = hi["mean_change"].idxmin()
    gap = hi["mean_change"] - lo["mean_change"].reindex(hi.index)
    behind = [ctx.label(d).split(": ")[-1] for d in gap.index if gap[d] < 0]
    text = ctx.t(
        f"In gebieden met ten minste {threshold:g}% corporatiewoningen ({int(hi['n'].max())} gebieden) veranderde "
        f"tussen {ys[0]} en {ys[-1]} de dimensie ‘{ctx.label(worst).split(': ')[-1]}’ het minst gunstig "
        f"({ctx.fmt(hi.loc[worst, 'mean_change'], 3, sign=True)}). Ten opzichte van de overige gebieden bleven zij "
        + (f"achter op: {', '.join(behind)}." if behind else "op geen enkele dimensie achter."),
        f"In areas with at least {threshold:g}% housing-association dwellings ({int(hi['n'].max())} areas) the "
        f"dimension ‘{ctx.label(worst).split(': ')[-1]}’ changed least favourably between {ys[0]} and {ys[-1]} "
        f"({ctx.fmt(hi.loc[worst, 'mean_change'], 3, sign=True)}). Compared with the other areas they fell "
        + (f"behind on: {', '.join(behind)}." if behind else "behind on no dimension."))
    if threshold == 50:
        text += ctx.t(" (Drempel 50% in plaats van de 80% van het rapport: minder dan tien gebieden halen 80%.)",
                      " (Threshold 50% instead of the report's 80%: fewer than ten areas reach 80%.)")
    out = [_p(text), ctx.figure("liveability_dimensions", r.figure(ctx.lang), ctx.t(
        f"Verandering per dimensie {ys[0]}–{ys[-1]}, gebieden met ≥{threshold:g}% en <{threshold:g}% corporatiewoningen",
        f"Change per dimension {ys[0]}–{ys[-1]}, areas with ≥{threshold:g}% and <{threshold:g}% housing-association "
        "dwellings"), source=_src(ctx, r, v, lv))]
    ctx.table("liveability_dimensions", pd.DataFrame(), "", csv=t)
    return out


# --------------------------------------------------------------------------- §3
def tipping_points(ctx) -> list[dict]:
    """Segmented regression of liveability change on the corporation share, total and dimensions."""
    v, lv, ys = ctx.cov.choose("lbm", with_corp=True)
    run = get_analysis("tipping-point")
    results = [run(ctx.store, outcome="lbm", region=ctx.region.codes, geo_version=v, level=lv,
                   year_from=ys[0], year_to=ys[-1])]
    dims = [d for d in DIMENSIONS if len(ctx.cov.years(d, v, lv)) >= 2]
    blocks = []
    if dims:
        dy = ctx.cov.years(dims[0], v, lv)
        try:
            results.append(run(ctx.store, outcome="all", region=ctx.region.codes, geo_version=v, level=lv,
                               year_from=dy[0], year_to=dy[-1], n_boot=500))
        except Exception as e:  # a dimension fit that fails must not take the total down
            blocks.append(_na(ctx, e))
    ctx.results["tipping-point"] = results[0]
    table = pd.concat([r.table for r in results], ignore_index=True).drop_duplicates(
        ["outcome", "year_from", "year_to"])
    first = table.iloc[0]
    blocks.insert(0, _p(ctx.t(
        f"Voor elk gebied is de verandering van de leefbaarheid ({int(first['year_from'])}–{int(first['year_to'])}) "
        "uitgezet tegen het aandeel corporatiewoningen aan het begin. Een gesegmenteerde regressie zoekt het "
        "aandeel waar de lijn knikt en waar de gemiddelde ontwikkeling van positief naar negatief omslaat; de "
        "intervallen komen uit een bootstrap over gebieden (of over hun bron-eenheden, zoals PC4), en een toets "
        "zegt of er überhaupt een knik is.",
        f"For every area the change in liveability ({int(first['year_from'])}–{int(first['year_to'])}) is plotted "
        "against its housing-association share at the start. A segmented regression finds the share where the "
        "line bends and where the average development turns from positive to negative; intervals come from a "
        "bootstrap over areas (or over their source units, such as PC4), and a test says whether there is a break "
        "at all.")))
    for _, r in table.iterrows():
        blocks.append(_p(render(r["message"], ctx.lang)))
    blocks += [{"type": "note", "text": x} for x in results[0].note_texts(ctx.lang)]
    turns = first["pattern"] == "turns_negative"
    evidenced = bool(first.get("break_evidence", True))     # no evidence of a break: never a strong finding
    ctx.findings.append(Finding(3, 2 if turns and first["zero_share"] >= 0.95 and evidenced else 1 if turns else 0,
                                render(first["message"], ctx.lang), "tipping"))
    for i, r in enumerate(results):
        blocks.append(ctx.figure(f"tipping_point_{i + 1}", r.figure(ctx.lang), ctx.t(
            f"Verandering van de leefbaarheid naar aandeel corporatiewoningen, {r.params['year_from']}–{r.params['year_to']}",
            f"Change in liveability by housing-association share, {r.params['year_from']}–{r.params['year_to']}"),
            source=_src(ctx, r, v, lv)))
        ctx.use("lbm" if i == 0 else "lbm_onv", v, lv, [r.params["year_from"], r.params["year_to"]])
    pct = lambda x: ctx.fmt(x) + "%" if np.isfinite(x) else "—"   # noqa: E731
    shown = pd.DataFrame({
        ctx.t("Uitkomst", "Outcome"): [ctx.label(o).split(": ")[-1] for o in table["outcome"]],
        ctx.t("Periode", "Period"): [f"{a}–{b}" for a, b in zip(table["year_from"], table["year_to"])],
        ctx.t("Gebieden", "Areas"): table["n"],
        ctx.t("Knik", "Bend"): [pct(x) for x in table["breakpoint"]],
        ctx.t("95%-interval knik", "95% interval bend"): [f"{pct(a)} – {pct(b)}"
                                                          for a, b in zip(table["break_lo"], table["break_hi"])],
        ctx.t("Omslag naar negatief", "Turns negative"): [pct(x) for x in table["zero_crossing"]],
        ctx.t("95%-interval omslag", "95% interval turn"): [f"{pct(a)} – {pct(b)}" if np.isfinite(z) else "—"
                                                           for a, b, z in zip(table["zero_lo"], table["zero_hi"],
                                                                              table["zero_crossing"])]})
    blocks.append(ctx.table("tipping_points", shown, ctx.t("Knik- en omslagpunten met 95%-intervallen",
                                                           "Bends and turning points with 95% intervals"),
                            csv=table.assign(message=[render(m, ctx.lang) for m in table["message"]])))
    return blocks
