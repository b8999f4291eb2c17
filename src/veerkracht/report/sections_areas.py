"""Sections on areas (report appendix and §5.6): typology and watch-list, concentration, relative
view, benchmark against peer gemeenten."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis import get_analysis
from ..analysis.typology import STANDIN_COMPONENTS
from ..errors import NotComputable, StoreError
from ..i18n import Message, plural, render
from .context import Finding, direction, message_numbers
from .maps import area_map
from .plan import VULNERABLE, Unavailable
from .sections_trends import _h, _na, _p, _src, national_reference

__all__ = ["typology", "typology_scope", "watch_list", "concentration", "relative", "benchmark"]

CONCENTRATION = ["low_income", "social_minimum", "bijstand", "bijstand_15_64", "bijstand_per_100_dwellings"]


def _names(ctx, version: str) -> pd.Series:
    a = ctx.cov.areas[ctx.cov.areas["geo_version"] == version]
    return a.set_index("code")["name"].fillna(pd.Series(a["code"].values, index=a["code"]))


# --------------------------------------------------------------------------- §4
def typology_scope(cov) -> tuple[str, str, list[int]]:
    """The (version, level, years) the report runs the typology on: LVB where it exists, else the
    finest level of a stand-in component. The analysis itself chooses its inputs on that scope."""
    try:
        return cov.choose("lvb")
    except Unavailable:
        found = cov.available(STANDIN_COMPONENTS)
        if not found:
            raise cov.missing("lvb") from None
        _, v, lv, ys = found[0]
        return v, lv, ys


def typology(ctx) -> list[dict]:
    v, lv, ys = typology_scope(ctx.cov)
    y0, y1 = ys[0], ys[-1]
    try:
        r = get_analysis("typology")(ctx.store, region=ctx.region.codes, geo_version=v, level=lv,
                                     year_from=y0, year_to=y1)
    except NotComputable as e:
        raise Unavailable(e.message) from None
    except StoreError as e:
        raise Unavailable("report.typology.error", error=str(e)) from None
    ctx.results["typology"] = r
    for role in ("vulnerable", "nuisance"):
        for ind in r.inputs[role]["indicators"]:
            ctx.use(ind, v, lv, r.inputs[role]["years"])
    s, t = r.summary, r.table
    ry0, ry1 = r.params["year_from"], r.params["year_to"]
    blocks = [_p(render("report.typology.intro", ctx.lang, n=len(t), level=lv, problem=s["n_problem"],
                        vulnerable=s["n_vulnerable"], signal=s["n_signal"], unknown=s["n_unknown"],
                        y0=ry0, y1=ry1))]
    blocks += [{"type": "note", "text": x} for x in r.note_texts(ctx.lang)]
    ctx.findings.append(Finding(
        4, 1 if s["n_problem"] + s["n_signal"] > 0 else 0,
        render("report.typology.finding", ctx.lang, year=ry1, summary=s["message"]), "typology",
        analysis="typology", figures={"year": ry1, **message_numbers(s["message"])},
        meaning=ctx.render("report.summary.meaning.typology" if s["n_problem"] else
                           "report.summary.meaning.typology.no_problem",
                           problem=s["n_problem"], signal=s["n_signal"]),
        watch=ctx.render("report.summary.watch.typology")))
    sup = set(t.loc[t["suppressed"], "code"])
    listed = watch_list(r)
    try:
        blocks.append(area_map(ctx, "map_typology", v, lv, r.inputs["vulnerable"]["indicators"][0], "typology",
                               year=ry1, year_from=ry0, result=r, suppressed_codes=sup, label_codes=list(listed["code"]),
                               title=render("typology.figure_title", ctx.lang, y0=ry0, y1=ry1)))
    except Unavailable as e:
        blocks.append(_na(ctx, e))
    hidden = int((t["suppressed"] & t["class"].isin(LISTED)).sum())
    names = _names(ctx, v)
    shown = pd.DataFrame({ctx.render("report.col.code"): listed["code"],
                          ctx.render("report.col.area"): listed["code"].map(names),
                          ctx.render("report.col.class"): [render(f"typology.class.{k}", ctx.lang) for k in listed["class"]],
                          ctx.render("report.typology.col.rule"): [render(x, ctx.lang) for x in listed["rule"]]})
    note = render("report.typology.hidden", ctx.lang, n=hidden) if hidden else ""
    if len(shown):
        blocks.append(ctx.table("typology_areas", shown, ctx.render("report.typology.areas.caption"),
                                csv=r.rendered_table(ctx.lang).loc[listed.index].drop(columns=["colour"]), note=note))
    sens = r.extra["sensitivity"]
    shown = pd.DataFrame({ctx.render("report.typology.col.threshold"): [ctx.render(f"report.typology.threshold.{k}")
                                                                         for k in sens["threshold"]],
                          ctx.render("report.typology.col.shift"): [ctx.fmt(x, sign=True) if x else "0" for x in sens["shift"]],
                          ctx.render("report.col.value"): [ctx.fmt(x, 0 if float(x).is_integer() else 2)
                                                           for x in sens["value"]],
                          ctx.render("report.typology.col.problem"): sens["problem"],
                          ctx.render("report.typology.col.vulnerable"): sens["vulnerable"],
                          ctx.render("report.typology.col.signal"): sens["signal"]})
    blocks.append(ctx.table("typology_sensitivity", shown, ctx.render("report.typology.sensitivity.caption"), csv=sens))
    return blocks


#: the classes the watch-list names, in the order it names them
LISTED = ["problem", "vulnerable", "signal"]


def watch_list(result) -> pd.DataFrame:
    """The areas the typology names (problem, vulnerable, signal; not suppressed), in the report's
    order: class, then the largest rise first. The same list as the map's and the export's."""
    t = result.table
    pick = t[t["class"].isin(LISTED) & ~t["suppressed"]]
    order = pick["class"].map({k: i for i, k in enumerate(LISTED)})
    return pick.assign(_o=order, _r=-pick["rise"].fillna(-np.inf)).sort_values(["_o", "_r", "code"]).drop(
        columns=["_o", "_r"])


# --------------------------------------------------------------------------- §5
def concentration(ctx) -> list[dict]:
    found = ctx.cov.available(CONCENTRATION)
    if not found:
        raise ctx.cov.missing("low_income")
    ind, v, lv, ys = found[0]
    r = get_analysis("concentration")(ctx.store, indicator=ind, year_from=ys[0], year_to=ys[-1],
                                      region=ctx.region.codes, geo_version=v, level=lv)
    ctx.results["concentration"] = r
    ctx.use(ind, v, lv, [ys[0], ys[-1]])
    t, label = r.table, ctx.label(ind)
    known = t[(t["level_class"] > 0) & ~t["suppressed"]]
    hr = int(((known["level_class"] == 3) & (known["change_class"] == 3)).sum())
    hf = int(((known["level_class"] == 3) & (known["change_class"] == 1)).sum())
    lr = int(((known["level_class"] == 1) & (known["change_class"] == 3)).sum())
    band = r.params["stable_band"]
    band = (Message("report.concentration.band.tercile") if band == "tercile"
            else Message("report.concentration.band.points", {"band": float(band)}))
    counts = dict(label=label, y0=ys[0], y1=ys[-1], n=len(known), hr=hr)
    text = ctx.render("report.concentration.text", band=band, hf=hf, lr=lr, **counts)
    ctx.findings.append(Finding(
        5, 1 if hr > 0 else 0, ctx.render("report.concentration.finding", **counts), "concentration",
        analysis="concentration", figures={"high_rising": hr, "n_classified_shown": len(known),
                                           "year_from": ys[0], "year_to": ys[-1]},
        meaning=ctx.render("report.summary.meaning.concentration", label=ctx.label_lc(ind)),
        watch=ctx.render("report.summary.watch.concentration")))
    blocks = [_p(text)]
    try:
        blocks.append(area_map(ctx, "map_concentration", v, lv, ind, "concentration", year=ys[-1], year_from=ys[0],
                               result=r, suppressed_codes=set(t.loc[t["suppressed"], "code"]),
                               label_codes=list(known.loc[(known["level_class"] == 3) & (known["change_class"] == 3),
                                                          "code"]),
                               title=ctx.render("report.concentration.map_title", label=ctx.label_lc(ind), y0=ys[0],
                                                y1=ys[-1])))
    except Unavailable as e:
        blocks.append(_na(ctx, e))
    grid = pd.crosstab(known["level_class"], known["change_class"]).reindex(index=[3, 2, 1], columns=[1, 2, 3],
                                                                            fill_value=0)
    shown = pd.DataFrame({ctx.render("report.col.level"): [render(f"concentration.level.{i}", ctx.lang) for i in grid.index],
                          **{render(f"concentration.change.{c}", ctx.lang): grid[c].to_numpy() for c in grid.columns}})
    blocks.append(ctx.table("concentration_counts", shown, ctx.render("report.concentration.caption"),
                            csv=r.rendered_table(ctx.lang)[~t["suppressed"]].drop(columns=["colour"])))
    blocks += [{"type": "note", "text": x} for x in r.note_texts(ctx.lang)]
    return blocks


# --------------------------------------------------------------------------- §6
def relative(ctx) -> list[dict]:
    blocks = []
    order = CONCENTRATION + [i for i in VULNERABLE if i not in CONCENTRATION]
    # the indicator of the concentration map when it has a trend, else any with one year
    found = ctx.cov.available(order) or ctx.cov.available(order, min_years=1)
    run = get_analysis("relative")
    if found:
        ind, v, lv, ys = found[0]
        r = run(ctx.store, indicator=ind, year=ys[-1], region=ctx.region.codes, geo_version=v, level=lv)
        ctx.results["relative"] = r
        ctx.use(ind, v, lv, [ys[-1]])
        blocks += _relative_areas(ctx, r, ind, v, lv, ys[-1])
    else:
        blocks.append(_na(ctx, ctx.cov.missing("low_income", min_years=1)))
    blocks.append(_h(ctx.render("report.relative.country.head")))
    done = False
    for ind in [f[0] for f in found] + ["corp_share"]:
        try:
            v, lv, ys = ctx.cov.choose(ind, levels=["gemeente"], min_years=1, min_areas=1)
        except Unavailable:
            continue
        if not national_reference(ctx, v, "gemeente"):
            continue
        r = run(ctx.store, indicator=ind, year=ys[-1], region=ctx.region.gemeenten, geo_version=v, level="gemeente")
        ctx.use(ind, v, "gemeente", [ys[-1]])
        for _, row in r.table[~r.table["suppressed"] & r.table["value"].notna()].iterrows():
            word = direction(row["diff_nl"], up="report.relative.higher", down="report.relative.lower",
                             same="report.relative.equal", tol=0.05)
            blocks.append(_p(ctx.render("report.relative.country", label=ctx.label(ind), name=row["name"], year=ys[-1],
                                        value=row["value"], unit=ctx.unit(ind), word=word, country=row["nl_value"],
                                        diff=row["diff_nl"])))
            done = True
        break
    if not done:
        blocks.append(_na(ctx, Unavailable("report.relative.no_country", period=ctx.period())))
    return blocks


def _relative_areas(ctx, r, ind, v, lv, year) -> list[dict]:
    t = r.table[~r.table["suppressed"] & r.table["value"].notna()]
    label, out = ctx.label(ind), []
    above = int((t["diff_gm"] > 0).sum())
    gm_value = float(t["gm_value"].iloc[0]) if len(t) else np.nan
    out.append(_p(ctx.render(f"report.relative.above.{'one' if above == 1 else 'many'}", label=label, year=year,
                             above=above, n=len(t), level=lv, gm=gm_value, unit=ctx.unit(ind))))
    if not national_reference(ctx, v, lv):
        out.append(_na(ctx, Unavailable("report.relative.no_national_level", level=lv, version=v,
                                        region=ctx.region.name)))
    top = t.sort_values("diff_gm", ascending=False).head(10)
    try:
        out.append(area_map(ctx, "map_relative", v, lv, ind, "relative", year=year, result=r,
                            suppressed_codes=set(r.table.loc[r.table["suppressed"], "code"]), label_codes=list(top["code"]),
                            title=ctx.render("report.relative.map_title", label=label, year=year)))
    except Unavailable as e:
        out.append(_na(ctx, e))
    shown = pd.DataFrame({ctx.render("report.col.area"): top["name"],
                          ctx.render("report.col.value"): [ctx.fmt(x, 1) for x in top["value"]],
                          ctx.render("report.col.gemeente"): [ctx.fmt(x, 1) for x in top["gm_value"]],
                          ctx.render("report.col.difference"): [ctx.fmt(x, 1, sign=True) for x in top["diff_gm"]],
                          ctx.render("report.relative.col.rank"): [
                              f"{int(a)}/{int(b)}" + (f" ({int(lo)}–{int(hi)})" if pd.notna(lo) else "")
                              for a, b, lo, hi in zip(top["rank_gm"], top["n_gm"],
                                                      top.get("rank_gm_lo", top["rank_gm"] * np.nan),
                                                      top.get("rank_gm_hi", top["rank_gm"] * np.nan))]})
    out.append(ctx.table("relative_top", shown, ctx.render("report.relative.caption", what=ctx.label_unit(ind)),
                         csv=t.drop(columns=["value_lower", "value_upper"]), note=_rank_note(ctx, r.table, top)))
    return out


def _rank_note(ctx, table: pd.DataFrame, top: pd.DataFrame) -> str:
    """Why ranks in ``top`` skip: the rank counts every area of the gemeente, also suppressed ones."""
    if top.empty:
        return ""
    sup = table[table["suppressed"] & table["gm_code"].isin(set(top["gm_code"]))
                & (table["rank_gm"] <= top["rank_gm"].max())]
    ranks = sorted({int(x) for x in sup["rank_gm"].dropna()} - {int(x) for x in top["rank_gm"]})
    if not ranks:
        return ""
    return render(f"report.relative.rank_note.{'one' if len(ranks) == 1 else 'many'}", ctx.lang,
                  n=len(ranks), nums=", ".join(map(str, ranks)))


# --------------------------------------------------------------------------- §7
def benchmark(ctx) -> list[dict]:
    chosen = None
    for ind in VULNERABLE + ["corp_share"]:
        try:
            v, lv, ys = ctx.cov.choose(ind, levels=["gemeente"], min_areas=1)
        except Unavailable:
            continue
        n_gm = len(ctx.store.areas(geo_version=v, level="gemeente", geometry=False))
        if n_gm >= 10:
            chosen = (ind, v, ys, n_gm)
            break
    if chosen is None:
        t = ctx.cov.table
        t = t[(t["level"] == "gemeente") & (t["indicator"] == "corp_share")]
        many = [r for r in t.itertuples() if len(r.years) >= 2
                and len(ctx.store.areas(geo_version=r.geo_version, level="gemeente", geometry=False)) >= 10]
        have = ", ".join(f"{min(r.years)}–{max(r.years)} ({r.geo_version})" for r in many) or Message("report.word.none")
        raise Unavailable("report.benchmark.unavailable", period=ctx.period(), have=have)
    ind, v, ys, n_gm = chosen
    r = get_analysis("benchmark")(ctx.store, indicator=ind, geo_version=v, level="gemeente", year_from=ys[0],
                                  year_to=ys[-1], with_typology=False, n_boot=100)
    ctx.results["benchmark"] = r
    ctx.use(ind, v, "gemeente", [ys[0], ys[-1]])
    t = r.table.set_index("group")
    names = ctx.store.areas(geo_version=v, level="gemeente", geometry=False).set_index("code")["name"]
    blocks, label = [], ctx.label(ind)
    meta_worse = ctx.store.indicator(ind).get("higher_is_worse")
    neutral = meta_worse is None or pd.isna(meta_worse)
    blocks.append(_p(ctx.render("report.benchmark.intro", n=len(t), label=ctx.label_lc(ind), y0=ys[0], y1=ys[-1])))
    if t["growth"].isna().all():
        blocks.append({"type": "note", "text": ctx.render("report.benchmark.trend_only")})
    for gm in ctx.region.gemeenten:
        if gm not in t.index or pd.isna(t.loc[gm, "peer_group"]):
            blocks.append(_na(ctx, Unavailable("report.benchmark.missing", code=gm)))
            continue
        row = t.loc[gm]
        peers = t[t["peer_group"] == row["peer_group"]]
        med = float(peers["trend"].median())
        d = row["trend"] - med
        if neutral:
            word = direction(d, up="report.benchmark.rose_more", down="report.benchmark.fell_more",
                             same="report.benchmark.changed_as_much", tol=0.05)
        else:
            better = (d < 0) if (meta_worse not in (False, 0)) else (d > 0)
            word = Message("report.benchmark.better" if better and abs(d) > 0.05 else
                           "report.benchmark.worse" if abs(d) > 0.05 else "report.benchmark.equal")
        nm = names.get(gm, gm)
        trend = ctx.render("report.benchmark.trend", label=label, v0=row["value_from"], v1=row["value_to"],
                           trend=row["trend"], median=med, name=nm, word=word, rank=int(row["rank_trend"]), n=len(peers))
        peers_text = plural(len(peers), "report.n_gemeenten.one", "report.n_gemeenten.many", ctx.lang)
        blocks.append(_p(ctx.render("report.benchmark.peers", name=nm, size=row["size"], corp=row["corp_share"],
                                    group=row["peer_group"], peers=peers_text) + " " + trend))
        q = row["rank_trend"] / len(peers)
        ctx.findings.append(Finding(
            6, 1 if (q <= 0.25 or q > 0.75) and abs(d) > 0.05 else 0, trend, "benchmark", analysis="benchmark",
            figures={"value_from": float(row["value_from"]), "value_to": float(row["value_to"]),
                     "trend": float(row["trend"]), "median": med, "rank": int(row["rank_trend"]), "n": len(peers)},
            meaning=ctx.render("report.summary.meaning.benchmark", name=nm, n=len(peers)),
            watch=ctx.render("report.summary.watch.benchmark")))
        blocks.append(_benchmark_figure(ctx, peers, gm, nm, label, ys, row["peer_group"]))
        close = peers.assign(_d=(np.log(peers["size"].clip(lower=1)) - np.log(max(row["size"], 1))).abs())
        close = close.sort_values("_d").head(12).sort_values("trend")
        shown = pd.DataFrame({ctx.render("report.col.gemeente"): [names.get(g, g) for g in close.index],
                              ctx.render("report.col.residents"): [ctx.fmt(x) for x in close["size"]],
                              ctx.render("report.benchmark.col.corp"): [ctx.fmt(x, 0) for x in close["corp_share"]],
                              str(ys[0]): [ctx.fmt(x, 1) for x in close["value_from"]],
                              str(ys[-1]): [ctx.fmt(x, 1) for x in close["value_to"]],
                              ctx.render("report.col.change"): [ctx.fmt(x, 1, sign=True) for x in close["trend"]]})
        blocks.append(ctx.table(f"benchmark_{gm}", shown, ctx.render("report.benchmark.caption", name=nm), csv=r.table))
    return blocks


def _benchmark_figure(ctx, peers, gm, nm, label, ys, group) -> dict:
    from ..analysis._common import COLORS, new_figure
    fig, ax = new_figure(7.5, 4)
    others = peers.drop(index=gm)
    ax.scatter(others["corp_share"], others["trend"], s=16, color=COLORS[0],
               label=ctx.render("report.benchmark.figure.others"))
    ax.scatter([peers.loc[gm, "corp_share"]], [peers.loc[gm, "trend"]], s=60, color=COLORS[1], zorder=3, label=nm)
    ax.annotate(nm, (peers.loc[gm, "corp_share"], peers.loc[gm, "trend"]), xytext=(6, 4), textcoords="offset points")
    ax.axhline(float(peers["trend"].median()), color="#333333", ls="--", lw=1,
               label=ctx.render("report.benchmark.figure.median"))
    ax.set_xlabel(ctx.render("report.benchmark.figure.x", year=ys[-1]))
    ax.set_ylabel(ctx.render("report.benchmark.figure.y", y0=ys[0], y1=ys[-1]))
    ax.set_title(ctx.render("report.benchmark.figure.title", label=label, group=group), fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    return ctx.figure(f"benchmark_{gm}", fig, ctx.render("report.benchmark.figure", name=nm),
                      source=_src(ctx, ctx.results["benchmark"], ctx.results["benchmark"].params["geo_version"], "gemeente"))
