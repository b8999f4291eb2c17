"""Portfolio overlay (METHOD.md analysis 11): where a corporation's own dwellings lie, and in which areas.

Reads the private ``portfolio`` table (``veerkracht ingest portfolio``) and the typology and watch-list
(:mod:`.typology`) of the same geography version and level:

* per area: the corporation's dwellings and complexes, their share of the area's dwelling stock and of
  the corporation's whole stock, and the area's class (problem, vulnerable, signal, watch);
* **exposure**: per period of the typology, how many of the corporation's dwellings and complexes lie in
  each class — over time, one row per consecutive pair of years the typology can use;
* per complex (``extra['complexes']``): the class of its area in each period — for the corporation's own
  export only (``veerkracht portfolio export``), never on the map or in the report.

Privacy: an area with fewer than :data:`~veerkracht.indicators.reliability.SUPPRESS_MIN_NUMERATOR`
of the corporation's dwellings is shown as "fewer than 10" (counts and shares blanked), and exposure
cells below that threshold are blanked too; nothing of it is in the public API's facts or exports.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import NotComputable, StoreError
from ..indicators.reliability import SUPPRESS_MIN_NUMERATOR
from . import _common as c
from .base import Analysis, ClassSpec, LayerSpec, Message, ReportSpec, Result, register

__all__ = ["Portfolio", "run", "SHARE_BINS", "CLASSES"]

#: share of the area's dwellings owned by the corporation: class key, upper bound (%)
SHARE_BINS = (("lt10", 10.0), ("10_25", 25.0), ("25_50", 50.0), ("ge50", np.inf))
#: typology classes counted in the exposure, in the order a board reads them
CLASSES = ("problem", "vulnerable", "signal", "none", "unknown")
_COLOURS = {"lt10": "#deebf7", "10_25": "#9ecae1", "25_50": "#4292c6", "ge50": "#08519c",
            "few": "#bdbdbd", "none": "#f7f7f7"}


def _layer_classes() -> tuple[ClassSpec, ...]:
    keys = [k for k, _ in SHARE_BINS] + ["few", "none"]
    return tuple(ClassSpec(k, Message(f"portfolio.class.{k}"), _COLOURS[k]) for k in keys)


@dataclass
class PortfolioParams:
    corporation: str | None = c.param(None, "the corporation whose portfolio to overlay (default: the only one)")
    year_from: int | None = c.param(None, "start of the typology period (default: the typology's)")
    year_to: int | None = c.param(None, "end of the typology period (default: the typology's)")
    region: list[str] | str | None = c.param(None, "gemeente/wijk codes (default: every area)")
    geo_version: str | None = c.param(None, "geography version (default: the typology's)")
    level: str | None = c.param(None, "level of the areas (default: the typology's; buurt, wijk or gemeente)")
    over_time: bool = c.param(True, "also the exposure in each consecutive pair of years within the period")


@dataclass
class Scope:
    p: PortfolioParams
    owner: str
    periods: list[tuple[int | None, int | None]]


def _owner(store, asked: str | None) -> str:
    owners = store.portfolio_owners() if hasattr(store, "portfolio_owners") else []
    if not owners:
        raise NotComputable(Message("portfolio.err.none"))
    if asked is None:
        if len(owners) > 1:
            raise NotComputable(Message("portfolio.err.which", {"owners": ", ".join(owners)}))
        return owners[0]
    if asked not in owners:
        raise NotComputable(Message("portfolio.err.unknown", {"asked": asked, "owners": ", ".join(owners)}))
    return asked


def _share_class(own: float, share: float) -> str:
    if own == 0:
        return "none"
    if own < SUPPRESS_MIN_NUMERATOR:
        return "few"
    return next(k for k, hi in SHARE_BINS if share < hi) if share == share else "lt10"


@register
class Portfolio(Analysis):
    name = "portfolio"
    Params = PortfolioParams
    title = "analysis.portfolio.title"
    summary = "analysis.portfolio.summary"
    layer = LayerSpec(order=80, kind="categorical", column="share_class", classes=_layer_classes(), rule_column="rule",
                      own_indicator=False, label=Message("analysis.portfolio.title"))
    report = ReportSpec(order=75, title=Message("analysis.portfolio.title"))

    def available(self, store) -> bool:
        """Only a store holding a portfolio offers this analysis (map mode, report chapter)."""
        return bool(store.portfolio_owners()) if hasattr(store, "portfolio_owners") else False

    def report_table(self, result: Result, lang: str = "nl") -> pd.DataFrame:
        """The report's "uw bezit" table: per area class, the corporation's dwellings and complexes."""
        from ..i18n import fmt_number, render
        e = result.extra["exposure"]
        e = e[e["period"] == e["period"].iloc[0]]
        few = render("portfolio.fewer_than", lang, n=SUPPRESS_MIN_NUMERATOR)
        return pd.DataFrame({
            render("col.area_class", lang): [render(f"portfolio.area.{k}", lang).lstrip(" —") for k in e["class"]],
            render("col.dwellings", lang): [few if s_ else fmt_number(int(n), ",.0f", lang)
                                           for n, s_ in zip(e["dwellings"], e["suppressed"])],
            render("col.complexes", lang): ["" if s_ else fmt_number(int(n), ",.0f", lang)
                                           for n, s_ in zip(e["complexes"], e["suppressed"])],
            render("col.share_of_portfolio", lang): ["" if s_ else fmt_number(float(x), ".1f", lang)
                                                    for x, s_ in zip(e["share"], e["suppressed"])]})

    def resolve(self, store, p: PortfolioParams) -> Scope:
        owner = _owner(store, p.corporation)
        periods: list[tuple[int | None, int | None]] = [(p.year_from, p.year_to)]
        if p.over_time:
            from .typology import Typology
            ty = Typology()
            s = ty.resolve(store, ty.params(**self._typology_args(p, p.year_from, p.year_to)))
            codes = None if p.region is None else s.areas["code"].tolist()
            years = [y for y in c.available_years(store, s.comps[0], s.geo_version, codes) if s.y0 <= y <= s.y1]
            steps = list(zip(years[:-1], years[1:]))
            if len(steps) > 1:
                periods += steps
        return Scope(p, owner, periods)

    @staticmethod
    def _typology_args(p: PortfolioParams, y0, y1) -> dict:
        return {"year_from": y0, "year_to": y1, "region": p.region, "geo_version": p.geo_version, "level": p.level}

    def compute(self, store, s: Scope) -> Result:
        from .typology import Typology
        ty = Typology()
        runs, notes = [], []
        for y0, y1 in s.periods:
            try:
                runs.append(ty(store, **self._typology_args(s.p, y0, y1)))
            except StoreError as exc:
                if not runs:
                    raise
                notes.append(Message("portfolio.note.period_skipped", {"y0": y0, "y1": y1, "why": str(exc)}))
        main = runs[0]
        gv, level = main.params["geo_version"], main.params["level"]
        rows = store.portfolio(s.owner, gv)
        if rows.empty:
            where = sorted(set(store.portfolio(s.owner)["geo_version"]))
            raise NotComputable(Message("portfolio.err.version", {"owner": s.owner, "version": gv,
                                                                  "versions": ", ".join(where)}))
        total = int(rows["dwellings"].sum())
        rows = rows.assign(area=self._area_codes(store, rows, gv, level),
                           complex=rows["complex_id"].fillna(rows["unit_id"]))
        outside = rows["area"].isna() | ~rows["area"].isin(set(main.table["code"]))
        if outside.any():
            notes.append(Message("portfolio.note.outside", {"n": int(rows.loc[outside, "dwellings"].sum()),
                                                            "total": total}))
        table = self._per_area(store, rows, main, gv, level, total)
        exposure = pd.concat([self._exposure(rows, r, total) for r in runs], ignore_index=True)
        complexes = self._complexes(rows, runs)
        complexes, grid_note = _surroundings(store, rows, complexes, int(main.params["year_to"]))
        if grid_note is not None:
            notes.append(grid_note)
        first = exposure[exposure["period"] == exposure["period"].iloc[0]].set_index("class")
        counts = {k: (None if pd.isna(first.loc[k, "dwellings"]) else int(first.loc[k, "dwellings"]))
                  if k in first.index else 0 for k in (*CLASSES, "watch")}
        summary = {"owner": s.owner, "n_dwellings": total, "n_complexes": int(rows["complex"].nunique()),
                   **{f"n_{k}": v for k, v in counts.items()},
                   "message": Message("portfolio.summary", {
                       "owner": s.owner, "n": total, "y0": main.params["year_from"], "y1": main.params["year_to"],
                       **{k: ("<10" if v is None else v) for k, v in counts.items()}})}
        notes.append(Message("portfolio.note.private", {"min": SUPPRESS_MIN_NUMERATOR}))
        params = {"corporation": s.owner, "geo_version": gv, "level": level, "region": s.p.region,
                  "year_from": main.params["year_from"], "year_to": main.params["year_to"],
                  "over_time": s.p.over_time}
        inputs = {**main.inputs, "portfolio_owner": s.owner}
        return Result(self.name, table, params, vintage={"typology": main.params}, notes=main.notes + notes,
                      extra={"exposure": exposure, "complexes": complexes}, summary=summary, inputs=inputs,
                      _figure=_figure)

    @staticmethod
    def _area_codes(store, rows: pd.DataFrame, gv: str, level: str) -> pd.Series:
        if level == "buurt":
            return rows["code"]
        col = {"wijk": "wk_code", "gemeente": "gm_code"}.get(level)
        if col is None:
            raise NotComputable(Message("portfolio.err.level", {"level": level}))
        up = store.areas(geo_version=gv, level="buurt", geometry=False).set_index("code")[col]
        return rows["code"].map(up)

    @staticmethod
    def _per_area(store, rows, typ: Result, gv: str, level: str, total: int) -> pd.DataFrame:
        t = typ.table[["code", "class", "watch", "suppressed"]].rename(columns={"suppressed": "class_suppressed"})
        own = rows.groupby("area").agg(own_dwellings=("dwellings", "sum"), own_complexes=("complex", "nunique"))
        y1 = typ.params["year_to"]
        stock = store.facts(indicator="dwellings", geo_version=gv, codes=t["code"].tolist())
        stock = stock[stock["value"].notna()]
        if not stock.empty:
            best = stock.assign(d=(stock["year"] - y1).abs()).sort_values(["code", "d", "year"]).drop_duplicates("code")
            area_stock = best.set_index("code")["value"]
        else:
            area_stock = pd.Series(dtype=float)
        df = t.join(own, on="code").fillna({"own_dwellings": 0, "own_complexes": 0})
        df["area_dwellings"] = df["code"].map(area_stock)
        share = df["own_dwellings"] / df["area_dwellings"] * 100
        df["share_of_area"] = share.where(df["area_dwellings"] > 0)
        df["share_of_portfolio"] = df["own_dwellings"] / total * 100
        few = (df["own_dwellings"] > 0) & (df["own_dwellings"] < SUPPRESS_MIN_NUMERATOR)
        df["share_class"] = [_share_class(o, sh) for o, sh in zip(df["own_dwellings"], df["share_of_area"])]
        df["suppressed"] = few
        for col in ("own_dwellings", "own_complexes", "share_of_area", "share_of_portfolio"):
            df[col] = df[col].astype(float).where(~few)
        df["rule"] = [Message("portfolio.rule.few" if f else "portfolio.rule.none" if k == "none" else
                              "portfolio.rule.own" if sh == sh else "portfolio.rule.own_nostock",
                              {"own": o, "share": sh, "cls": Message(f"portfolio.area.{cl}"),
                               "watch": Message("portfolio.area.watch") if w else ""})
                      for f, k, o, sh, cl, w in zip(few, df["share_class"], df["own_dwellings"], df["share_of_area"],
                                                    df["class"], df["watch"])]
        order = ["code", "own_dwellings", "share_of_area", "class", "watch", "share_of_portfolio", "own_complexes",
                 "area_dwellings", "share_class", "rule", "class_suppressed", "suppressed"]
        return df[order].reset_index(drop=True)

    @staticmethod
    def _exposure(rows: pd.DataFrame, typ: Result, total: int) -> pd.DataFrame:
        cls = typ.table.set_index("code")
        r = rows.assign(cls=rows["area"].map(cls["class"]).fillna("unknown"),
                        watch=rows["area"].map(cls["watch"]).fillna(False).astype(bool))
        period = f"{typ.params['year_from']}-{typ.params['year_to']}"
        out = []
        for k in (*CLASSES, "watch"):
            sel = r[r["watch"]] if k == "watch" else r[r["cls"] == k]
            n = int(sel["dwellings"].sum())
            shown = n >= SUPPRESS_MIN_NUMERATOR or n == 0
            out.append({"period": period, "year_from": typ.params["year_from"], "year_to": typ.params["year_to"],
                        "class": k, "dwellings": n if shown else np.nan,
                        "complexes": int(sel["complex"].nunique()) if shown else np.nan,
                        "share": n / total * 100 if shown else np.nan, "suppressed": not shown})
        return pd.DataFrame(out)

    @staticmethod
    def _complexes(rows: pd.DataFrame, runs: list[Result]) -> pd.DataFrame:
        g = rows.groupby("complex").agg(dwellings=("dwellings", "sum"), buurt=("code", "first"), area=("area", "first"))
        for r in runs:
            cls = r.table.set_index("code")
            period = f"{r.params['year_from']}-{r.params['year_to']}"
            g[f"class_{period}"] = g["area"].map(cls["class"]).fillna("unknown")
            g[f"watch_{period}"] = g["area"].map(cls["watch"]).fillna(False).astype(bool)
        return g.reset_index().rename(columns={"complex": "complex_id"})


#: liveability classes of a cell's surroundings by its Leefbaarometer nuisance-and-safety deviation (lower is
#: worse): problem ≤ −0.10 < weak ≤ −0.05 < fine — the trajectories' default classes
_CELL_BREAKS = (-0.10, -0.05)


def _surroundings(store, rows: pd.DataFrame, complexes: pd.DataFrame, year: int) -> tuple[pd.DataFrame, Message | None]:
    """Per complex the direct surroundings on the 100 m grid, where the store has it: the cell holding most
    of its dwellings (located by coordinates), the corporation share within 200 m of that cell and the
    cell's Leefbaarometer nuisance class, each at ``year`` or the latest year before it. Values on too small
    numbers are blank (the catalog's rule)."""
    from ..geo.grid_store import latest_values
    from ..indicators.reliability import apply_suppression, small_count_indicators
    located = rows.dropna(subset=["cell"]) if "cell" in rows else rows.iloc[0:0]
    if located.empty:
        return complexes, None
    per = (located.groupby(["complex", "cell"], as_index=False)["dwellings"].sum()
           .sort_values(["complex", "dwellings", "cell"], ascending=[True, False, True]).drop_duplicates("complex"))
    facts = store.facts(indicator=["corp_share_200m", "lbm_onv"], geo_version="grid100",
                        codes=sorted(per["cell"].unique()))
    if facts.empty:
        return complexes, Message("portfolio.note.no_grid")
    facts = apply_suppression(facts, small_count_indicators(store.indicators()))
    share = latest_values(facts, "corp_share_200m", year)
    onv = latest_values(facts, "lbm_onv", year)
    cell = per.set_index("complex")["cell"]
    out = complexes.copy()
    out["cell"] = out["complex_id"].map(cell)
    out["corp_share_200m"] = out["cell"].map(share).astype(float)
    out["cell_lbm_onv"] = out["cell"].map(onv).astype(float)
    v = out["cell_lbm_onv"]
    out["cell_class"] = np.select([v <= _CELL_BREAKS[0], v <= _CELL_BREAKS[1], v.notna()], ["problem", "weak", "fine"],
                                  default="unknown")
    n = int(out["cell"].notna().sum())
    return out, Message("portfolio.note.grid", {"n": n, "total": len(out), "year": year})


_CLASS_COLOURS = {"problem": "#b2182b", "vulnerable": "#ef8a62", "signal": "#fddbc7", "none": "#e0e0e0",
                  "unknown": "#ffffff"}


def _figure(result: Result, lang: str = "nl"):
    """Exposure over time: per period, the share of the corporation's dwellings in each area class."""
    from ..i18n import render
    e = result.extra["exposure"]
    e = e[e["class"] != "watch"]
    periods = list(dict.fromkeys(e.sort_values(["year_to", "year_from"])["period"]))
    fig, ax = c.new_figure(7, 4)
    bottom = np.zeros(len(periods))
    for k in CLASSES:
        share = e[e["class"] == k].set_index("period")["share"].reindex(periods).fillna(0).to_numpy()
        ax.bar([p.replace("-", "–") for p in periods], share, bottom=bottom, color=_CLASS_COLOURS[k],
               edgecolor="#666666", label=render(f"portfolio.area.{k}", lang))
        bottom += share
    ax.set_ylabel(c.tr("portfolio_share", lang))
    ax.set_title(render("portfolio.figure_title", lang, owner=result.params["corporation"]))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def run(store, **params) -> Result:
    """Portfolio overlay with ``params`` (see :class:`PortfolioParams`)."""
    from .base import ANALYSES
    return ANALYSES["portfolio"](store, **params)
