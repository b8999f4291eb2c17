"""Typology and watch-list (METHOD.md analysis 5; report appendix, map 4).

Each area gets one class, the rule that fired (a message), a shade and a watch flag:

* ``problem`` (red): a nuisance problem and a high vulnerable share;
* ``vulnerable`` (blue): a high vulnerable share, no nuisance problem ("(nog) geen problemen");
* ``watch`` (orange, the preventive watch-list): vulnerable share at or below the threshold but
  rising faster than ``rise_threshold``, no nuisance problem yet;
* ``none`` otherwise; ``unknown`` when the status year lacks a value.

``watch`` is True for every area rising fast without a nuisance problem (blue ones included). The
shade of problem and vulnerable areas says how their vulnerable share moved over the period:
1 = not or hardly risen (≤ half the rise threshold), 2 = risen, 3 = risen strongly (more than the
rise threshold, as on the watch-list). Status is measured in ``year_to``, the rise between
``year_from`` and ``year_to``.

Inputs are chosen once, in :meth:`Typology.resolve`, so every output that asks the same question
gets the same answer. Vulnerable share: ``lvb`` (%, report threshold 35%). When the store has no
``lvb``, a documented *stand-in* is used: the mean of the components' z-scores (those of
:data:`STANDIN_COMPONENTS` with values in both years; standardised on the region's ``year_from``
mean and sd, so a general rise counts as a rise), expressed as the percentile of the region's
``year_from`` distribution (0–100). Default threshold then P90, rise threshold 10 percentile
points. Nuisance: ``lbm_onv`` ≤ −0.10 (roughly *zwak* or worse), or a stand-in
(:data:`NUISANCE_STANDINS`) as the percentile of the region's values, worse end high; default
threshold P80. The nuisance year is ``year_to`` when it has values, else the latest year inside
the period; only when no measure has a value inside the period, the nearest year outside it — and
then a note says so. The result's ``inputs`` and notes always say which year was used.

Sensitivity (``extra['sensitivity']``): class counts with each threshold moved by −10, −5, 0, +5,
+10 *points*: percentage points / percentile points, and 0.01 for a Leefbaarometer score.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import NotComputable, StoreError
from . import _common as c
from ._spatial import area_layer, percentile_of, two_years
from ._caveats import definition_notes
from ._smallarea import smooth_two_years
from .base import Analysis, ClassSpec, LayerSpec, Message, Result, register

__all__ = ["Typology", "run", "typology_map", "CLASSES", "COLOURS", "STANDIN_COMPONENTS", "NUISANCE_STANDINS"]

CLASSES = ["problem", "vulnerable", "signal", "none", "unknown"]
#: colour per (class, shade); shade 0 = rise unknown
COLOURS = {("problem", 0): "#ef3b2c", ("problem", 1): "#fcae91", ("problem", 2): "#fb6a4a",
           ("problem", 3): "#a50f15", ("vulnerable", 0): "#4292c6", ("vulnerable", 1): "#bdd7e7",
           ("vulnerable", 2): "#6baed6", ("vulnerable", 3): "#08519c", ("signal", 0): "#fd8d3c",
           ("none", 0): "#f0f0f0", ("unknown", 0): "#ffffff"}
STANDIN_COMPONENTS = ["bijstand", "low_income", "social_minimum", "bijstand_15_64", "bijstand_per_100_dwellings"]
NUISANCE_STANDINS = ["nuisance", "crime_rate", "safety_index"]
STEPS = (-10, -5, 0, 5, 10)


def _layer_classes() -> tuple[ClassSpec, ...]:
    out = []
    for k in ("problem", "vulnerable"):
        for shade in (3, 2, 1, 0):
            label = Message(f"typology.class.{k}") if shade == 0 else \
                Message("typology.class_shade", {"cls": Message(f"typology.class.{k}"),
                                                 "shade": Message(f"typology.shade.{shade}")})
            out.append(ClassSpec(f"{k}:{shade}", label, COLOURS[k, shade]))
    out += [ClassSpec("signal", Message("typology.class.signal"), COLOURS["signal", 0]),
            ClassSpec("none", Message("typology.class.none"), COLOURS["none", 0])]
    return tuple(out)


def _help(text: str, default=None):
    return field(default=default, metadata={"help": text})


@dataclass
class TypologyParams:
    vulnerable: str = field(default="lvb", metadata={"help": "vulnerable-share indicator (stand-in when missing)"})
    nuisance: str = field(default="lbm_onv", metadata={"help": "nuisance indicator (stand-in when missing)"})
    year_from: int | None = _help("start of the rise (default: the first year with values)")
    year_to: int | None = _help("status year (default: the last year with values)")
    region: list[str] | str | None = _help("gemeente/wijk/area codes (default: every area of the level)")
    geo_version: str | None = _help("geography version (default: the only one holding the inputs)")
    level: str | None = _help("level (default: the finest level holding the inputs)")
    indicator: str | None = _help("ignored: the typology chooses its own inputs (accepted from map views)")
    vulnerable_threshold: float | None = _help("default 35 (% LVB) or 90 (percentile, stand-in)")
    nuisance_threshold: float | None = _help("default −0.10 (Leefbaarometer score, problem when ≤) or 80 (percentile)")
    rise_threshold: float | None = _help("default 2 (%-points LVB) or 10 (percentile points, stand-in)")
    standin_components: list[str] | None = _help("stand-in components (default: those with values in both years)")
    sensitivity_steps: tuple = field(default=STEPS, metadata={"help": "threshold shifts of the sensitivity table"})
    group_by: str = _help("the year whose vulnerable share decides 'high': 'end' (year_to, the status) or 'start' "
                          "(year_from); both share noise with the rise (regression to the mean)", default="end")
    group_year: int | None = _help("decide 'high' on this year instead (an earlier, independent year: no regression "
                                   "to the mean in the rise of the high areas)")
    smooth: bool = _help("smooth the vulnerable rates (empirical-Bayes Poisson–gamma) before the thresholds, so a "
                         "noisy small area does not jump onto the watch-list", default=False)

    def __post_init__(self):
        c.choice("group_by", self.group_by, ("end", "start"))


@dataclass
class Scope:
    """What the typology rests on, decided once: inputs, years, areas, scales and thresholds."""

    p: TypologyParams
    geo_version: str
    level: str
    areas: pd.DataFrame
    comps: list[str]
    v_standin: bool
    nuis: str
    n_standin: bool
    n_percentile: bool
    worse_high: bool
    y0: int
    y1: int
    ny: int
    notes: list[Message]


@register
class Typology(Analysis):
    name = "typology"
    Params = TypologyParams
    title = "analysis.typology.title"
    summary = "analysis.typology.summary"
    layer = LayerSpec(order=20, kind="categorical", column="layer_class", classes=_layer_classes(), rule_column="rule",
                      own_indicator=False, label=Message("analysis.typology.title"))

    # -------------------------------------------------------------------- resolve
    def resolve(self, store, p: TypologyParams) -> Scope:
        cands = [p.vulnerable] + [k for k in (p.standin_components or STANDIN_COMPONENTS) if k != p.vulnerable]
        have = [k for k in cands if not store.facts(indicator=k, geo_version=p.geo_version).empty]
        if not have:
            raise NotComputable(Message("typology.err.no_input", {"wanted": p.vulnerable, "standins": cands[1:]}))
        geo_version = c.resolve_geo_version(store, have[0], p.geo_version)
        level = c.resolve_level(store, geo_version, p.level, indicator=have[0])
        _, areas = c.region_codes(store, p.region, geo_version, level)
        codes = None if p.region is None else areas["code"].tolist()
        years = {k: c.available_years(store, k, geo_version, codes) for k in have}
        v_standin = p.vulnerable not in have
        pool = [k for k in have if k != p.vulnerable] if v_standin else [p.vulnerable]
        notes: list[Message] = []
        first = next((k for k in pool if len(years[k]) >= 2), pool[0])
        y1 = _year_in(years[first], p.year_to, p.year_from, first, "year_to")
        y0 = _year_in([y for y in years[first] if y <= y1], p.year_from, None, first, "year_from", first=True)
        for asked, used in ((p.year_to, y1), (p.year_from, y0)):
            if asked is not None and asked != used:
                notes.append(Message("typology.note.year_moved", {"asked": asked, "used": used, "ind": first}))
        comps = [k for k in pool if y0 in years[k] and y1 in years[k]] if v_standin else [first]
        if not comps:
            raise NotComputable(Message("typology.err.no_component_both", {"y0": y0, "y1": y1, "inds": pool}))
        nuis, ny = self._nuisance(store, p, geo_version, codes, y0, y1)
        n_standin = nuis != p.nuisance
        n_percentile = n_standin or not str(nuis).startswith("lbm")
        worse_high = c.indicator_meta(store, nuis).get("higher_is_worse") not in (False, 0)
        if not y0 <= ny <= y1:
            notes.append(Message("typology.note.nuisance_outside", {"ind": nuis, "year": ny, "y0": y0, "y1": y1}))
        elif ny != y1:
            notes.append(Message("typology.note.nuisance_year", {"ind": nuis, "year": ny, "year_to": y1}))
        return Scope(p, geo_version, level, areas, comps, v_standin, nuis, n_standin, n_percentile, worse_high,
                     int(y0), int(y1), int(ny), notes)

    @staticmethod
    def _nuisance(store, p, geo_version, codes, y0, y1) -> tuple[str, int]:
        """The nuisance measure and year: one observed in ``y1`` first, else the latest inside the period."""
        cands = [p.nuisance] + [k for k in NUISANCE_STANDINS if k != p.nuisance]
        years = {k: c.available_years(store, k, geo_version, codes) for k in cands}
        for k in cands:
            if y1 in years[k]:
                return k, y1
        inside = [(max(y for y in years[k] if y0 <= y <= y1), k) for k in cands
                  if any(y0 <= y <= y1 for y in years[k])]
        if inside:
            ny, k = max(inside, key=lambda t: (t[0], -cands.index(t[1])))
            return k, ny
        # nothing inside the period: the year nearest to it (said in a note), never silently
        near = [(min(abs(y - y1), abs(y - y0)), y > y1, cands.index(k), y, k) for k in cands for y in years[k]]
        if not near:
            raise NotComputable(Message("typology.err.no_nuisance", {"inds": cands}))
        *_, ny, k = min(near)
        return k, ny

    # -------------------------------------------------------------------- compute
    def compute(self, store, s: Scope) -> Result:
        p = s.p
        codes = s.areas["code"].tolist()
        f = two_years(store, s.comps, s.geo_version, codes, s.y0, s.y1)
        smoothed = []
        if p.smooth:
            f, smoothed = smooth_two_years(f, s.comps, {k: float(c.indicator_meta(store, k).get("scale") or 1)
                                                        for k in s.comps})
        nf = two_years(store, [s.nuis], s.geo_version, codes, s.ny, s.ny)
        v_from, v_to = _vulnerable(f, s)
        rise = v_to - v_from if s.y0 != s.y1 else pd.Series(np.nan, index=f.index)
        v_sup = f[[f"{k}_suppressed" for k in s.comps]].any(axis=1)
        n_raw = nf[f"{s.nuis}_to"]
        sign = 1 if s.worse_high else -1
        n_val = percentile_of(n_raw * sign, n_raw * sign) if s.n_percentile else n_raw

        vt = (90.0 if s.v_standin else 35.0) if p.vulnerable_threshold is None else float(p.vulnerable_threshold)
        nt = (80.0 if s.n_percentile else -0.10) if p.nuisance_threshold is None else float(p.nuisance_threshold)
        rt = (10.0 if s.v_standin else 2.0) if p.rise_threshold is None else float(p.rise_threshold)
        gy = _group_year(p, s)
        v_group = v_to if gy == s.y1 else v_from if gy == s.y0 else \
            _vulnerable(two_years(store, s.comps, s.geo_version, codes, gy, s.y0), s)[0].reindex(f.index)
        base = pd.DataFrame({"vulnerable": v_group, "vulnerable_from": v_from, "rise": rise, "nuisance": n_val})
        cls = classify(base, vt, nt, rt, s.n_percentile)
        words = _Words(s, vt, nt, rt)

        table = pd.DataFrame({"code": f.index, "gm_code": s.areas.set_index("code").loc[f.index, "gm_code"].to_numpy()})
        for col in cls:
            table[col] = cls[col].to_numpy()
        table["layer_class"] = [f"{k}:{sh}" if k in ("problem", "vulnerable") else k
                                for k, sh in zip(table["class"], table["shade"])]
        table["colour"] = [COLOURS.get((k, sh), COLOURS.get((k, 0))) for k, sh in zip(table["class"], table["shade"])]
        table["rule"] = [words.rule(k, r) for k, r in zip(cls["class"], base.itertuples())]
        table["vulnerable"], table["vulnerable_from"] = v_to.to_numpy(), v_from.to_numpy()
        table["vulnerable_group"] = v_group.to_numpy()
        table["rise"], table["nuisance"] = rise.to_numpy(), n_val.to_numpy()
        if s.n_percentile:
            table["nuisance_value"] = n_raw.to_numpy()
        table["suppressed"] = (v_sup | nf[f"{s.nuis}_suppressed"]).to_numpy()

        sens = _sensitivity(base, vt, nt, rt, s.n_percentile, p.sensitivity_steps)
        counts = table["class"].value_counts().reindex(CLASSES, fill_value=0)
        summary = {**{f"n_{k}": int(v) for k, v in counts.items()}, "n_watch": int(table["watch"].sum()),
                   "n_areas": int(len(table)),
                   "message": Message("typology.summary", {"problem": int(counts["problem"]),
                                                           "vulnerable": int(counts["vulnerable"]),
                                                           "signal": int(counts["signal"]), "n": int(len(table))})}
        params = {"vulnerable": p.vulnerable, "vulnerable_used": "standin" if s.v_standin else s.comps[0],
                  "vulnerable_standin": s.v_standin, "standin_components": s.comps if s.v_standin else None,
                  "nuisance": p.nuisance, "nuisance_used": s.nuis, "nuisance_standin": s.n_standin,
                  "nuisance_scale": "percentile" if s.n_percentile else "score",
                  "vulnerable_threshold": vt, "nuisance_threshold": nt, "rise_threshold": rt,
                  "year_from": s.y0, "year_to": s.y1, "nuisance_year": s.ny, "region": p.region,
                  "group_by": p.group_by, "group_year": gy,
                  "geo_version": s.geo_version, "level": s.level, "sensitivity_steps": list(p.sensitivity_steps)}
        used = store.facts(indicator=s.comps + [s.nuis], geo_version=s.geo_version, years=sorted({s.y0, s.y1, s.ny}))
        vint = c.vintage(store, used, s.geo_version, s.level)
        inputs = {"vulnerable": {"indicators": s.comps, "years": [s.y0, s.y1], "standin": s.v_standin},
                  "nuisance": {"indicators": [s.nuis], "years": [s.ny], "standin": s.n_standin},
                  "geo_version": s.geo_version, "level": s.level,
                  "sources": sorted({src for v in vint["indicators"].values() for src in v["sources"]})}
        notes = s.notes + _notes(s, vt, nt, int(table["suppressed"].sum()))
        if smoothed:
            notes.append(Message("inference.note.smoothed", {"inds": smoothed}))
        if s.y0 != s.y1:      # 'high' and the rise share a year's noise unless grouped on an earlier year
            rtm = Message("typology.note.rtm", {"y0": s.y0, "y1": s.y1}) if gy == s.y1 else \
                Message("analysis.typology.note.rtm_start", {"y0": s.y0}) if gy == s.y0 else \
                Message("analysis.typology.note.rtm_independent", {"gy": gy, "y0": s.y0})
            notes += [rtm] + definition_notes(s.comps, s.y0, s.y1, used)
        return Result("typology", table, params, vint, notes, {"sensitivity": sens}, summary,
                      _figure=_figure, _layer=lambda r, st: _layer(r, st or store), inputs=inputs)


def run(store, **params) -> Result:
    """The typology (see :class:`Typology`); kept as a function for callers of the old entry point."""
    from .base import ANALYSES
    return ANALYSES["typology"](store, **params)


def _year_in(years: list[int], asked: int | None, lower: int | None, ind: str, what: str, first: bool = False) -> int:
    """``asked`` when ``ind`` has it; else the nearest year on the period's inner side (never outside it)."""
    if not years:
        raise NotComputable(Message("typology.err.no_values", {"ind": ind}))
    if asked is None:
        return years[0] if first else years[-1]
    if asked in years:
        return int(asked)
    inside = [y for y in years if (y >= asked if first else (y <= asked and (lower is None or y >= lower)))]
    if not inside:
        raise NotComputable(Message("typology.err.year", {"ind": ind, "asked": asked,
                                                          "years": ", ".join(map(str, years))}))
    return int(inside[0] if first else inside[-1])


def _group_year(p: TypologyParams, s: Scope) -> int:
    """The year whose vulnerable share decides 'high': ``group_year``, else year_to or year_from."""
    if p.group_year is None:
        return s.y1 if p.group_by == "end" else s.y0
    gy = int(p.group_year)
    if s.y0 < gy < s.y1 or gy > s.y1:
        raise StoreError(f"group_year {gy} lies inside or after the period {s.y0}–{s.y1}: it must be year_to, "
                         "year_from or an earlier, independent year")
    return gy


def _vulnerable(f: pd.DataFrame, s: Scope) -> tuple[pd.Series, pd.Series]:
    if not s.v_standin:
        k = s.comps[0]
        return f[f"{k}_from"], f[f"{k}_to"]
    z: dict[str, list] = {"from": [], "to": []}
    for k in s.comps:
        mu, sd = f[f"{k}_from"].mean(), f[f"{k}_from"].std()
        for t in z:
            z[t].append((f[f"{k}_{t}"] - mu) / (sd if sd > 0 else 1))
    comp_from, comp_to = (pd.concat(z[t], axis=1).mean(axis=1) for t in ("from", "to"))
    return percentile_of(comp_from, comp_from), percentile_of(comp_to, comp_from)


def classify(d: pd.DataFrame, vt: float, nt: float, rt: float, n_percentile: bool) -> pd.DataFrame:
    """``class``, ``shade`` and ``watch`` per row of ``d`` (vulnerable, rise, nuisance)."""
    known = d["vulnerable"].notna() & d["nuisance"].notna()
    problem = (d["nuisance"] >= nt) if n_percentile else (d["nuisance"] <= nt)
    high = d["vulnerable"] > vt
    rising = d["rise"] > rt
    watch = known & rising & ~problem
    cls = np.select([~known, problem & high, high, watch], ["unknown", "problem", "vulnerable", "signal"], "none")
    shade = np.select([d["rise"].isna(), d["rise"] <= rt / 2, d["rise"] <= rt], [0, 1, 2], 3)
    shade = np.where(np.isin(cls, ["problem", "vulnerable"]), shade, 0)
    return pd.DataFrame({"class": cls, "shade": shade.astype(int), "watch": watch.to_numpy()}, index=d.index)


def _sensitivity(base, vt, nt, rt, n_percentile, steps) -> pd.DataFrame:
    unit = {"vulnerable": 1.0, "nuisance": 1.0 if n_percentile else 0.01, "rise": 1.0}
    thr = {"vulnerable": vt, "nuisance": nt, "rise": rt}
    rows = []
    for name in thr:
        for step in steps:
            t = dict(thr, **{name: round(thr[name] + step * unit[name], 9)})   # −0.1−0.05 ≠ −0.15 in floats
            k = classify(base, t["vulnerable"], t["nuisance"], t["rise"], n_percentile)
            counts = k["class"].value_counts().reindex(CLASSES, fill_value=0)
            rows.append({"threshold": name, "shift": step, "value": t[name], **counts.to_dict(),
                         "watch": int(k["watch"].sum())})
    return pd.DataFrame(rows)


class _Words:
    """The rule that fired, as messages: measure names, values with their unit, thresholds."""

    def __init__(self, s: Scope, vt: float, nt: float, rt: float):
        self.s, self.vt, self.nt, self.rt = s, vt, nt, rt
        self.v_name = Message("typology.measure.standin", {"inds": s.comps}) if s.v_standin else \
            Message("common.indicator_lc", {"ind": s.comps[0]})
        self.n_name = Message("typology.measure.nuisance_standin" if s.n_standin else "common.indicator_lc",
                              {"ind": s.nuis})
        self.v_unit = "typology.value.percentile" if s.v_standin else "typology.value.pct"
        self.rise_unit = "typology.rise.percentile_points" if s.v_standin else "typology.rise.points"

    def _n(self, value: float, problem: bool) -> Message:
        kind = "pct" if self.s.n_percentile else "score"
        return Message(f"typology.nuisance.{'problem' if problem else 'ok'}_{kind}",
                       {"name": self.n_name, "value": float(value), "limit": self.nt})

    def rule(self, k: str, r) -> Message:
        v = {"v_name": self.v_name, "v_value": Message(self.v_unit, {"x": float(r.vulnerable)}),
             "v_limit": Message(self.v_unit, {"x": self.vt})}
        if k == "unknown":
            missing = self.v_name if pd.isna(r.vulnerable) else self.n_name
            return Message("typology.rule.unknown", {"missing": missing})
        problem = (r.nuisance >= self.nt) if self.s.n_percentile else (r.nuisance <= self.nt)
        rise = {"rise": Message(self.rise_unit, {"x": float(r.rise)}),
                "rise_limit": Message(self.rise_unit, {"x": self.rt})}
        if k == "problem":
            return Message("typology.rule.problem", {**v, "n": self._n(r.nuisance, True)})
        if k == "vulnerable":
            return Message("typology.rule.vulnerable", {**v, "n": self._n(r.nuisance, False)})
        if k == "signal":
            return Message("typology.rule.signal", {**v, **rise, "n": self._n(r.nuisance, False)})
        key = "typology.rule.none" + ("_rise" if pd.notna(r.rise) else "") + ("_problem" if problem else "")
        return Message(key, {**v, **(rise if pd.notna(r.rise) else {}), "n": self._n(r.nuisance, problem)})


def _notes(s: Scope, vt: float, nt: float, n_sup: int) -> list[Message]:
    notes = []
    if s.v_standin:
        notes.append(Message("typology.note.standin", {"inds": s.comps, "year": s.y0, "limit": vt}))
    if s.n_standin:
        notes.append(Message("typology.note.nuisance_standin", {"wanted": s.p.nuisance, "ind": s.nuis}))
    if s.n_percentile:
        notes.append(Message("typology.note.nuisance_percentile", {"ind": s.nuis, "year": s.ny, "limit": nt}))
    if s.y0 == s.y1:
        notes.append(Message("typology.note.one_year"))
    if n_sup:
        notes.append(Message("typology.note.suppressed", {"n": n_sup}))
    return notes


def _layer(result: Result, store):
    return area_layer(result.rendered_table().drop(columns=["gm_code"]), store, result.params["geo_version"],
                      blank={"suppressed": ["vulnerable", "vulnerable_from", "rise", "nuisance", "nuisance_value"]})


def typology_map(result: Result, ax, store=None, lang: str = "nl"):
    """A static map of the classes in their colours on ``ax`` (the web app draws the interactive one)."""
    from matplotlib.patches import Patch

    from ..i18n import render
    lay = result.layer(store)
    lay.plot(ax=ax, color=lay["colour"], edgecolor="#bbbbbb", linewidth=0.1)
    ax.legend(handles=[Patch(color=COLOURS[(k, 3 if k in ("problem", "vulnerable") else 0)],
                             label=render(f"typology.class.{k}", lang)) for k in CLASSES[:4]],
              frameon=False, fontsize=8, loc="lower right")
    ax.set_axis_off()
    return ax


def _figure(result: Result, lang: str = "nl"):
    from ..i18n import render
    counts = result.table["class"].value_counts().reindex(CLASSES[:4], fill_value=0)
    fig, ax = c.new_figure(7, 4)
    ax.bar([render(f"typology.class.{k}", lang) for k in counts.index], counts.to_numpy(),
           color=[COLOURS[(k, 0)] for k in counts.index], edgecolor="#666666")
    ax.set_ylabel(c.tr("areas", lang))
    ax.set_title(render("typology.figure_title", lang, y0=result.params["year_from"], y1=result.params["year_to"]))
    return fig
