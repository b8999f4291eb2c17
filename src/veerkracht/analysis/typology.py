"""Typology and watch-list (METHOD.md analysis 5; report appendix, map 4).

Each area gets one class, the rule that fired (Dutch and English), a shade and a watch flag:

* ``probleemgebied`` (red): a nuisance problem and a high vulnerable share;
* ``kwetsbaar`` (blue): a high vulnerable share, no nuisance problem ("(nog) geen problemen");
* ``signaal`` (orange, the preventive watch-list): vulnerable share below the threshold but rising
  faster than ``rise_threshold``, no nuisance problem yet;
* ``geen`` otherwise; ``onbekend`` when the status year lacks a value.

``watch`` is True for every area rising fast without a nuisance problem (blue ones included). The
shade 1–3 is the tercile of the rise over the period among the region's areas (0 = no rise known).
Status is measured in ``year_to``, the rise between ``year_from`` and ``year_to``.

Vulnerable share: ``lvb`` (%, report threshold 35%). When the store has no ``lvb``, a documented
*stand-in* is used: the mean of the components' z-scores (``bijstand``, ``low_income``,
``social_minimum`` — those present; standardised on the region's ``year_from`` mean and sd, so a
general rise counts as a rise), expressed as the percentile of the region's ``year_from``
distribution (0–100). Default threshold then P90, rise threshold 10 percentile points.
Nuisance: ``lbm_onv`` ≤ −0.10 (roughly *zwak* or worse; the bottom ~6% of PC4 areas in 2022), or a
stand-in (``nuisance``, ``crime_rate``, ``safety_index``) as the percentile of the region's
``year_to`` values, worse end high; default threshold P80.

Sensitivity (``extra['sensitivity']``): class counts with each threshold moved by −10, −5, 0, +5,
+10 *points*: percentage points / percentile points, and 0.01 for a Leefbaarometer score.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import StoreError
from . import _common as c
from ._spatial import area_layer, percentile_of, two_years
from .base import Result, analysis

__all__ = ["run", "typology_map", "CLASSES", "COLOURS", "STANDIN_COMPONENTS", "NUISANCE_STANDINS"]

CLASSES = ["probleemgebied", "kwetsbaar", "signaal", "geen", "onbekend"]
CLASS_EN = {"probleemgebied": "problem area", "kwetsbaar": "vulnerable, no problems (yet)",
            "signaal": "watch-list", "geen": "none", "onbekend": "unknown"}
#: colour per (class, shade); shade 0 = rise unknown
COLOURS = {("probleemgebied", 0): "#ef3b2c", ("probleemgebied", 1): "#fcae91",
           ("probleemgebied", 2): "#fb6a4a", ("probleemgebied", 3): "#a50f15",
           ("kwetsbaar", 0): "#4292c6", ("kwetsbaar", 1): "#bdd7e7", ("kwetsbaar", 2): "#6baed6",
           ("kwetsbaar", 3): "#08519c", ("signaal", 0): "#fd8d3c", ("geen", 0): "#f0f0f0",
           ("onbekend", 0): "#ffffff"}
STANDIN_COMPONENTS = ["bijstand", "low_income", "social_minimum"]
NUISANCE_STANDINS = ["nuisance", "crime_rate", "safety_index"]
STEPS = (-10, -5, 0, 5, 10)


@analysis("typology",
          "Typologie per gebied: probleemgebied, kwetsbaar (nog geen problemen), signaal (preventief)",
          "Typology per area: problem area, vulnerable (no problems yet), watch-list (preventive)")
def run(store, vulnerable: str = "lvb", nuisance: str = "lbm_onv", year_from: int | None = None,
        year_to: int | None = None, region=None, geo_version: str | None = None, level: str | None = None,
        vulnerable_threshold: float | None = None, nuisance_threshold: float | None = None,
        rise_threshold: float | None = None, standin_components: list[str] | None = None,
        sensitivity_steps=STEPS) -> Result:
    """Classify every area of the region; see the module docstring for the rules.

    Parameters
    ----------
    vulnerable, nuisance : indicators; a stand-in is used (and said) when the store lacks them.
    vulnerable_threshold : default 35 (% LVB) or 90 (percentile, stand-in).
    nuisance_threshold : default −0.10 (``lbm*`` score, problem when ≤) or 80 (percentile, problem when ≥).
    rise_threshold : default 2 (%-points LVB) or 10 (percentile points, stand-in).
    """
    wanted = {vulnerable, nuisance, *(standin_components or STANDIN_COMPONENTS), *NUISANCE_STANDINS}
    inds = {k for k in wanted if not store.facts(indicator=k, geo_version=geo_version).empty}
    v_standin = vulnerable not in inds
    comps = [k for k in (standin_components or STANDIN_COMPONENTS) if k in inds] if v_standin else [vulnerable]
    if not comps:
        raise StoreError(f"the store has neither {vulnerable!r} nor any stand-in component "
                         f"({', '.join(standin_components or STANDIN_COMPONENTS)})")
    n_standin = nuisance not in inds
    nuis = next((k for k in NUISANCE_STANDINS if k in inds), None) if n_standin else nuisance
    if nuis is None:
        raise StoreError(f"the store has neither {nuisance!r} nor a nuisance stand-in "
                         f"({', '.join(NUISANCE_STANDINS)})")
    geo_version = c.resolve_geo_version(store, comps[0], geo_version)
    level = c.resolve_level(store, geo_version, level, indicator=comps[0])
    _, areas = c.region_codes(store, region, geo_version, level)
    codes = areas["code"].tolist()
    years = c.available_years(store, comps[0], geo_version, None if region is None else codes)
    y0 = years[0] if year_from is None and years else year_from
    y1 = years[-1] if year_to is None and years else year_to
    if y1 is None:
        raise StoreError(f"no values of {comps[0]!r} in the region")
    n_years = c.available_years(store, nuis, geo_version, None if region is None else codes)
    ny = y1 if y1 in n_years else (max(n_years) if n_years else y1)
    f = two_years(store, comps, geo_version, codes, y0, y1)
    nf = two_years(store, [nuis], geo_version, codes, ny, ny)

    if v_standin:
        z = {t: [] for t in ("from", "to")}
        for k in comps:
            mu, sd = f[f"{k}_from"].mean(), f[f"{k}_from"].std()
            for t in z:
                z[t].append((f[f"{k}_{t}"] - mu) / (sd if sd > 0 else 1))
        comp_from, comp_to = (pd.concat(z[t], axis=1).mean(axis=1) for t in ("from", "to"))
        v_from, v_to = percentile_of(comp_from, comp_from), percentile_of(comp_to, comp_from)
    else:
        v_from, v_to = f[f"{vulnerable}_from"], f[f"{vulnerable}_to"]
    rise = v_to - v_from if y0 != y1 else pd.Series(np.nan, index=f.index)
    v_sup = f[[f"{k}_suppressed" for k in comps]].any(axis=1)

    meta_n = c.indicator_meta(store, nuis)
    n_raw = nf[f"{nuis}_to"]
    n_percentile = n_standin or not str(nuis).startswith("lbm")
    worse_high = meta_n.get("higher_is_worse") not in (False, 0)
    if n_percentile:
        sign = 1 if worse_high else -1
        n_val = percentile_of(n_raw * sign, n_raw * sign)
    else:
        n_val = n_raw
    ctx = _Context(v_standin, comps, nuis, n_standin, n_percentile, worse_high)

    vt = (90.0 if v_standin else 35.0) if vulnerable_threshold is None else float(vulnerable_threshold)
    nt = (80.0 if n_percentile else -0.10) if nuisance_threshold is None else float(nuisance_threshold)
    rt = (10.0 if v_standin else 2.0) if rise_threshold is None else float(rise_threshold)
    base = pd.DataFrame({"vulnerable": v_to, "vulnerable_from": v_from, "rise": rise, "nuisance": n_val})
    valid_rise = rise.dropna()
    breaks = valid_rise.quantile([1 / 3, 2 / 3]).to_numpy() if len(valid_rise) else np.array([np.nan] * 2)
    cls = _classify(base, vt, nt, rt, ctx, breaks, rules=True)

    table = pd.DataFrame({"code": f.index, "gm_code": areas.set_index("code").loc[f.index, "gm_code"].to_numpy()})
    for col in cls:
        table[col] = cls[col].to_numpy()
    table["vulnerable"], table["vulnerable_from"] = v_to.to_numpy(), v_from.to_numpy()
    table["rise"], table["nuisance"] = rise.to_numpy(), n_val.to_numpy()
    if n_percentile:
        table["nuisance_value"] = n_raw.to_numpy()
    table["suppressed"] = (v_sup | nf[f"{nuis}_suppressed"]).to_numpy()

    unit = {"vulnerable": 1.0, "nuisance": 1.0 if n_percentile else 0.01, "rise": 1.0}
    thr = {"vulnerable": vt, "nuisance": nt, "rise": rt}
    rows = []
    for name in thr:
        for step in sensitivity_steps:
            t = dict(thr, **{name: round(thr[name] + step * unit[name], 9)})   # −0.1−0.05 ≠ −0.15 in floats
            k = _classify(base, t["vulnerable"], t["nuisance"], t["rise"], ctx, breaks, rules=False)
            counts = k["class"].value_counts().reindex(CLASSES, fill_value=0)
            rows.append({"threshold": name, "shift": step, "value": t[name], **counts.to_dict(),
                         "watch": int(k["watch"].sum())})
    sens = pd.DataFrame(rows)

    notes = _notes(ctx, vt, nt, rt, y0, y1, ny, int(table["suppressed"].sum()))
    counts = table["class"].value_counts().reindex(CLASSES, fill_value=0)
    summary = {**{f"n_{k}": int(v) for k, v in counts.items()}, "n_watch": int(table["watch"].sum())}
    n = c.n_of
    summary["sentence_nl"] = (f"{n(counts['probleemgebied'], 'probleemgebied', 'probleemgebieden')}, "
                              f"{n(counts['kwetsbaar'], 'kwetsbaar gebied', 'kwetsbare gebieden')} zonder (zichtbare) "
                              f"problemen en {n(counts['signaal'], 'signaalgebied', 'signaalgebieden')} (preventief) "
                              f"van {len(table)} gebieden.")
    summary["sentence_en"] = (f"{n(counts['probleemgebied'], 'problem area', 'problem areas')}, "
                              f"{n(counts['kwetsbaar'], 'vulnerable area', 'vulnerable areas')} without (visible) "
                              f"problems and {n(counts['signaal'], 'watch-list area', 'watch-list areas')} of "
                              f"{len(table)} areas.")
    params = {"vulnerable": vulnerable, "vulnerable_used": "standin" if v_standin else vulnerable,
              "vulnerable_standin": v_standin, "standin_components": comps if v_standin else None,
              "nuisance": nuisance, "nuisance_used": nuis, "nuisance_standin": n_standin,
              "nuisance_scale": "percentile" if n_percentile else "score",
              "vulnerable_threshold": vt, "nuisance_threshold": nt, "rise_threshold": rt,
              "year_from": int(y0), "year_to": int(y1), "nuisance_year": int(ny), "region": region,
              "geo_version": geo_version, "level": level, "shade_breaks": [float(b) for b in breaks],
              "sensitivity_steps": list(sensitivity_steps)}
    vint = c.vintage(store, store.facts(indicator=comps + [nuis], geo_version=geo_version,
                                        years=sorted({y0, y1, ny})), geo_version, level)
    return Result("typology", table, params, vint, notes, {"sensitivity": sens}, summary,
                  _figure=_figure, _layer=lambda r, s: _layer(r, s or store))


class _Context:
    """What the rule text must say about the measures (names, units, stand-ins)."""

    def __init__(self, v_standin, comps, nuis, n_standin, n_percentile, worse_high):
        self.n_percentile, self.worse_high, self.v_standin = n_percentile, worse_high, v_standin
        if v_standin:
            self.v = {"nl": f"vervangende kwetsbaarheidsindex ({', '.join(comps)}; geen LVB)",
                      "en": f"stand-in vulnerability index ({', '.join(comps)}; no LVB)"}
        else:
            self.v = {"nl": "LVB" if comps[0] == "lvb" else comps[0], "en": "LVB" if comps[0] == "lvb" else comps[0]}
        tag = {"nl": " (vervanging)", "en": " (stand-in)"} if n_standin else {"nl": "", "en": ""}
        self.n = {lang: nuis + tag[lang] for lang in ("nl", "en")}

    def v_fmt(self, x, lang):
        return f"P{c.fmt(x, 0, lang)}" if self.v_standin else f"{c.fmt(x, 1, lang)}%"

    def rise_fmt(self, x, lang):
        unit = {"nl": " percentielpunten", "en": " percentile points"} if self.v_standin else \
            {"nl": " procentpunt", "en": " points"}
        return c.fmt(x, 1, lang, sign=True) + unit[lang]

    def n_fmt(self, x, lang):
        return f"P{c.fmt(x, 0, lang)}" if self.n_percentile else c.fmt(x, 2, lang)


def _classify(d: pd.DataFrame, vt, nt, rt, ctx: _Context, breaks, rules: bool) -> pd.DataFrame:
    known = d["vulnerable"].notna() & d["nuisance"].notna()
    problem = (d["nuisance"] >= nt) if ctx.n_percentile else (d["nuisance"] <= nt)
    high = d["vulnerable"] > vt
    rising = d["rise"] > rt
    watch = known & rising & ~problem
    cls = np.select([~known, problem & high, high, watch], ["onbekend", "probleemgebied", "kwetsbaar", "signaal"],
                    "geen")
    shade = np.where(d["rise"].isna(), 0, 1 + (d["rise"] > breaks[0]).astype(int) + (d["rise"] > breaks[1]).astype(int))
    shade = np.where(np.isin(cls, ["probleemgebied", "kwetsbaar"]), shade, 0)
    out = pd.DataFrame({"class": cls, "shade": shade.astype(int), "watch": watch.to_numpy()}, index=d.index)
    if rules:
        out["class_en"] = out["class"].map(CLASS_EN)
        out["colour"] = [COLOURS.get((k, s), COLOURS.get((k, 0))) for k, s in zip(out["class"], out["shade"])]
        for lang in ("nl", "en"):
            out[f"rule_{lang}"] = [_rule(k, r, vt, nt, rt, ctx, lang) for k, r in zip(cls, d.itertuples())]
    return out


def _rule(k, r, vt, nt, rt, ctx: _Context, lang) -> str:
    nl = lang == "nl"
    v = f"{ctx.v[lang]} {ctx.v_fmt(r.vulnerable, lang)}" if pd.notna(r.vulnerable) else ""
    if ctx.n_percentile:
        n_cmp = f"{ctx.n[lang]} {ctx.n_fmt(r.nuisance, lang)}"
        prob = f"{n_cmp} ≥ {ctx.n_fmt(nt, lang)} ({'overlastprobleem' if nl else 'nuisance problem'})"
        noprob = f"{n_cmp} < {ctx.n_fmt(nt, lang)}"
    else:
        n_cmp = f"{ctx.n[lang]} {ctx.n_fmt(r.nuisance, lang)}"
        prob = f"{n_cmp} ≤ {ctx.n_fmt(nt, lang)} ({'zwak of slechter' if nl else 'weak or worse'})"
        noprob = f"{n_cmp} > {ctx.n_fmt(nt, lang)}"
    vt_s = ctx.v_fmt(vt, lang)
    rise = f"{'stijging' if nl else 'rise'} {ctx.rise_fmt(r.rise, lang)}" if pd.notna(r.rise) else ""
    and_ = " en " if nl else " and "
    if k == "onbekend":
        return ("ontbrekende gegevens" if nl else "missing data") + f" ({ctx.v[lang] if pd.isna(r.vulnerable) else ctx.n[lang]})"
    if k == "probleemgebied":
        return f"{prob}{and_}{v} > {vt_s}"
    if k == "kwetsbaar":
        return f"{v} > {vt_s}{and_}{noprob} ({'(nog) geen overlastprobleem' if nl else 'no nuisance problem (yet)'})"
    if k == "signaal":
        return f"{rise} > {ctx.rise_fmt(rt, lang)}{and_}{noprob}; {v} ≤ {vt_s}"
    tail = f"; {prob}" if ((r.nuisance >= nt) if ctx.n_percentile else (r.nuisance <= nt)) else ""
    return f"{v} ≤ {vt_s}" + (f", {rise} ≤ {ctx.rise_fmt(rt, lang)}" if rise else "") + tail


def _notes(ctx, vt, nt, rt, y0, y1, ny, n_sup) -> list[str]:
    notes = []
    if ctx.v_standin:
        notes += c.bilingual(
            f"LVB ontbreekt: als vervanging dient {ctx.v['nl']}, het gemiddelde van de z-scores "
            f"(gestandaardiseerd op {y0}) als percentiel van de verdeling in {y0}. Drempel P{vt:g}: "
            "een relatieve maat, niet te vergelijken met de 35%-LVB-grens uit het rapport.",
            f"LVB is missing: a {ctx.v['en']} stands in, the mean of z-scores (standardised on {y0}) "
            f"as a percentile of the {y0} distribution. Threshold P{vt:g}: a relative measure, not "
            "comparable with the report's 35% LVB limit.")
    if ctx.n_percentile:
        notes += c.bilingual(
            f"Overlast gemeten met {ctx.n['nl']} als percentiel binnen de regio ({ny}); probleem vanaf P{nt:g}.",
            f"Nuisance measured by {ctx.n['en']} as a percentile within the region ({ny}); problem from P{nt:g}.")
    if y0 == y1:
        notes += c.bilingual("Maar één jaar: geen stijging, dus geen schaduw en geen signaallijst.",
                             "Only one year: no rise, hence no shading and no watch-list.")
    if ny != y1:
        notes += c.bilingual(f"Overlast uit {ny} (geen gegevens in {y1}).", f"Nuisance from {ny} (no data for {y1}).")
    if n_sup:
        notes += c.bilingual(f"{n_sup} gebieden rusten op kleine aantallen (gemarkeerd, waarden niet op de kaart).",
                             f"{n_sup} areas rest on small numbers (flagged; values not shown on the map).")
    return notes


def _layer(result: Result, store):
    return area_layer(result.table.drop(columns=["gm_code"]), store, result.params["geo_version"],
                      blank={"suppressed": ["vulnerable", "vulnerable_from", "rise", "nuisance", "nuisance_value"]})


def typology_map(result: Result, ax, store=None, lang: str = "nl"):
    """A static map of the classes in their colours on ``ax`` (the web app draws the interactive one)."""
    lay = result.layer(store)
    lay.plot(ax=ax, color=lay["colour"], edgecolor="#bbbbbb", linewidth=0.1)
    from matplotlib.patches import Patch
    ax.legend(handles=[Patch(color=COLOURS[(k, 0 if k not in ("probleemgebied", "kwetsbaar") else 3)],
                             label=CLASS_EN[k] if lang == "en" else k) for k in CLASSES[:4]],
              frameon=False, fontsize=8, loc="lower right")
    ax.set_axis_off()
    return ax


def _figure(result: Result, lang: str = "nl"):
    counts = result.table["class"].value_counts().reindex(CLASSES[:4], fill_value=0)
    fig, ax = c.new_figure(7, 4)
    labels = [CLASS_EN[k] if lang == "en" else k for k in counts.index]
    ax.bar(labels, counts.to_numpy(), color=[COLOURS[(k, 0)] for k in counts.index], edgecolor="#666666")
    ax.set_ylabel(c.tr("areas", lang))
    ax.set_title(("Typology" if lang == "en" else "Typologie")
                 + f" {result.params['year_from']}–{result.params['year_to']}")
    return fig
