"""Sections on the trends (report §2.3–2.7): corporation share and vulnerable groups, liveability,
tipping points. Every sentence is a catalog message filled with the result's numbers (see ``context``)."""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..analysis import get_analysis
from ..analysis.base import suppress
from ..i18n import Message, render
from .context import Finding, clean_sources, direction, interval_verdict, message_numbers, n_areas
from .maps import area_map
from .plan import SUB_LEVELS, VULNERABLE, Unavailable

__all__ = ["corp_and_vulnerable", "liveability", "tipping_points", "national_reference"]

DIMENSIONS = ["lbm_won", "lbm_fys", "lbm_vrz", "lbm_soc", "lbm_onv"]
log = logging.getLogger("veerkracht.report")


def _p(text: str) -> dict:
    return {"type": "p", "text": text}


def _h(text: str) -> dict:
    return {"type": "h3", "text": text}


def _na(ctx, exc: Unavailable) -> dict:
    return {"type": "unavailable", "text": ctx.render("report.na", reason=exc.message)}


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
    blocks.append(_h(ctx.render("report.corp.share.head")))
    if len(share) >= 1:
        a, b = share.iloc[0], share.iloc[-1]
        if len(share) >= 2:
            d = b["share"] - a["share"]
            words = dict(region=ctx.region.name, word=direction(d, tol=0.05), a=a["share"], ya=int(a["year"]),
                         b=b["share"], yb=int(b["year"]), d=d)
            text = (ctx.render("report.corp.share.change_areas", areas=n_areas(int(b["n"]), ctx.lang), level=lv,
                               **words) if lv != "gemeente" else ctx.render("report.corp.share.change", **words))
            figures = {"share_from": float(a["share"]), "share_to": float(b["share"]), "change": float(d),
                       "year_from": int(a["year"]), "year_to": int(b["year"]), "n_areas": int(b["n"])}
            ctx.extra["corp-share"] = {"params": {"geo_version": v, "level": lv, "years": [int(y) for y in ys]},
                                       "inputs": {"corp_share": {"indicators": ["corp_share"], "years": list(ys)},
                                                  "geo_version": v, "level": lv},
                                       "summary": figures}
            key = "down" if d < -0.05 else "up" if d > 0.05 else "same"
            ctx.findings.append(Finding(
                0, 1 if abs(d) >= 1 else 0, text, "corp", analysis="corp-share", figures=figures,
                meaning=ctx.render(f"report.summary.meaning.corp_share.{key}", region=ctx.region.name),
                watch=ctx.render("report.summary.watch.corp_share")))
        else:
            text = ctx.render("report.corp.share.one_year", region=ctx.region.name, b=b["share"], yb=int(b["year"]))
        blocks.append(_p(text))
        shown = pd.DataFrame({ctx.render("report.col.year"): share["year"].astype(int),
                              ctx.render("report.corp.share.col.share"): [ctx.fmt(x, 1) for x in share["share"]],
                              ctx.render("report.col.areas"): share["n"].astype(int)})
        blocks.append(ctx.table("corp_share_region", shown, ctx.render("report.corp.share.caption",
                                                                       region=ctx.region.name),
                                csv=share[["year", "share", "n"]]))
    if lv != "gemeente":
        try:
            blocks.append(area_map(ctx, "map_corp_share", v, lv, "corp_share", "value", year=ys[-1],
                                   title=ctx.render("report.corp.share.map_title", year=ys[-1])))
        except Unavailable as e:
            blocks.append(_na(ctx, e))

    blocks.append(_h(ctx.render("report.corp.vulnerable.head")))
    found = ctx.cov.available(VULNERABLE, with_corp=True)
    missing = [i for i in VULNERABLE if i not in {f[0] for f in found}]
    if not found:
        # '; ' between the labels: a label may hold commas ('geboren in Syrië, Eritrea, …')
        blocks.append(_na(ctx, Unavailable("report.corp.vulnerable.none", period=ctx.period(),
                                           inds="; ".join(ctx.label_lc(i) for i in VULNERABLE))))
    else:
        blocks.append(_p(ctx.render("report.corp.vulnerable.method")))
    if missing:
        names = ", ".join(ctx.label(i) for i in missing)
        blocks.append(_na(ctx, Unavailable("report.corp.vulnerable.missing", names=names, period=ctx.period())))
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
    ref = Message("report.ref.country" if national else "report.ref.region")
    if not np.isfinite(s["gap_from"]):
        out.append(_na(ctx, Unavailable("report.corp.profile.no_gap")))
        return out
    t = r.table.set_index(["year", "bin_label"])
    y0, y1, top, bot = ys[0], ys[-1], s["top_bin"], s["bottom_bin"]
    gap = dict(top=top, bot=bot, gap_from=s["gap_from"], gap_to=s["gap_to"], growth=s["growth"] * 100,
               lo=s["growth_lo"] * 100, hi=s["growth_hi"] * 100,
               word=direction(s["gap_to"] - s["gap_from"], up="report.corp.gap.larger", down="report.corp.gap.smaller",
                              same="report.corp.gap.same"))
    out.append(_p(ctx.render("report.corp.profile.text", y0=y0, y1=y1, label=ctx.label_lc(ind), ref=ref,
                             i0_top=t.loc[(y0, top), "index"], i0_bot=t.loc[(y0, bot), "index"],
                             i1_top=t.loc[(y1, top), "index"], i1_bot=t.loc[(y1, bot), "index"],
                             verdict=interval_verdict(s["growth_lo"], s["growth_hi"], what="report.corp.profile.growth"),
                             **gap)))
    if s.get("decomposition") is not None:        # whose change moved the gap (top vs bottom bin, composition)
        out.append(_p(render(s["decomposition"], ctx.lang)))
    if not national:
        out.append(_p(ctx.render("report.corp.profile.regional_index")))
    clear = s["growth_lo"] > 0 or s["growth_hi"] < 0
    name = "corp-profile" if ctx.results["corp-profile"] is r else f"corp-profile:{ind}"
    ctx.results[name] = r
    larger = "larger" if s["gap_to"] > s["gap_from"] else "smaller"
    ctx.findings.append(Finding(
        1, 2 if clear else (1 if main else 0),
        ctx.render("report.corp.profile.finding.clear" if clear else "report.summary.profile.uncertain",
                   label=label if clear else ctx.label_lc(ind), y0=y0, y1=y1, **gap), "profile", analysis=name,
        figures={k: float(x) for k, x in gap.items() if k in ("gap_from", "gap_to", "growth", "lo", "hi")},
        meaning=ctx.render(f"report.summary.meaning.profile.{larger}" if clear else "report.summary.meaning.uncertain",
                           label=ctx.label_lc(ind)),
        watch=ctx.render("report.summary.watch.profile", label=ctx.label_lc(ind)),
        strength="clear" if clear else "uncertain"))
    fig = r.figure(ctx.lang)
    out.append(ctx.figure(f"profile_{ind}", fig, ctx.render("report.corp.profile.figure", label=label, y0=y0, y1=y1),
                          source=_src(ctx, r, v, lv)))
    tab = r.table
    cells = {}
    for y in (y0, y1):
        d = tab[tab["year"] == y].set_index("bin_label")
        sp = d["suppressed"]
        cells[ctx.render("report.corp.profile.col.areas", year=y)] = d["n_areas"]
        cells[ctx.render("report.corp.profile.col.index", year=y)] = [ctx.render("report.cell.suppressed") if h
                                                                      else ctx.fmt(x) for x, h in zip(d["index"], sp)]
        cells[ctx.render("report.corp.profile.col.interval", year=y)] = [
            "" if h else f"{ctx.fmt(a)} – {ctx.fmt(b)}" for a, b, h in zip(d["index_lo"], d["index_hi"], sp)]
    shown = pd.DataFrame({ctx.render("report.corp.profile.col.class"): tab.loc[tab["year"] == y0, "bin_label"].to_numpy(),
                          **{k: np.asarray(v) for k, v in cells.items()}})
    out.append(ctx.table(f"profile_{ind}", shown, ctx.render("report.corp.profile.caption", ref=ref),
                         csv=tab.drop(columns=["numerator", "denominator"])))
    return out


def _src(ctx, r, v, lv) -> str:
    srcs = sorted({s for m in r.vintage.get("indicators", {}).values() for s in m.get("sources", [])},
                  key=lambda s: (s.startswith("derived"), s))          # publishers first, then 'derived'
    return ctx.render("report.source", sources=clean_sources(srcs, ctx.lang), version=v, level=lv)


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
    blocks = [_h(ctx.render("report.liveability.by_level.head"))]
    last = f"{periods[-1][0]}–{periods[-1][1]}"

    def low_high(r):
        d = r.table[r.table["period"] == last].set_index("group")
        return d.loc[d.index.min()], d.loc[d.index.max()]
    (ls, hs), (le, he) = low_high(start), low_high(end)

    def cmp(lo, hi):
        return direction(lo["mean_change"] - hi["mean_change"], up="report.liveability.better",
                         down="report.liveability.worse", same="report.liveability.equal")
    separate = ls["ci_lo"] > hs["ci_hi"] or ls["ci_hi"] < hs["ci_lo"]
    blocks.append(_p(ctx.render(
        "report.liveability.text", period=last, cmp_start=cmp(ls, hs), low=ls["mean_change"], high=hs["mean_change"],
        low_lo=ls["ci_lo"], low_hi=ls["ci_hi"], high_lo=hs["ci_lo"], high_hi=hs["ci_hi"],
        overlap=Message("report.liveability.overlap.no" if separate else "report.liveability.overlap.yes"),
        cmp_end=cmp(le, he), low_end=le["mean_change"], high_end=he["mean_change"])))
    ctx.findings.append(Finding(
        2, 2 if separate else 0,
        ctx.render("report.liveability.finding.clear" if separate else "report.summary.liveability.uncertain",
                   period=last, cmp=cmp(ls, hs), low=ls["mean_change"], high=hs["mean_change"]), "liveability",
        analysis="liveability", figures={"low": float(ls["mean_change"]), "high": float(hs["mean_change"]),
                                         "low_lo": float(ls["ci_lo"]), "low_hi": float(ls["ci_hi"]),
                                         "high_lo": float(hs["ci_lo"]), "high_hi": float(hs["ci_hi"]),
                                         "year_from": periods[-1][0], "year_to": periods[-1][1]},
        meaning=ctx.render("report.summary.meaning.liveability.clear" if separate
                           else "report.summary.meaning.uncertain", label=ctx.label_lc("lbm")),
        watch=ctx.render("report.summary.watch.liveability"), strength="clear" if separate else "uncertain"))
    blocks.append({"type": "caveat", "text": ctx.render("report.liveability.caveat")})
    blocks.append(ctx.figure("liveability_start", start.figure(ctx.lang), ctx.render("report.liveability.figure.start"),
                             source=_src(ctx, start, v, lv)))
    blocks.append(ctx.figure("liveability_end", end.figure(ctx.lang), ctx.render("report.liveability.figure.end"),
                             source=_src(ctx, end, v, lv)))
    for name, r in (("liveability_start", start), ("liveability_end", end)):
        ctx.table(name, pd.DataFrame(), "", csv=r.table)   # CSV only: the figure shows it
    blocks.append(_h(ctx.render("report.liveability.by_dimension.head")))
    try:
        blocks += _dimensions(ctx, v, lv)
    except Unavailable as e:
        blocks.append(_na(ctx, e))
    return blocks


def _dimensions(ctx, v, lv) -> list[dict]:
    dims = [d for d in DIMENSIONS if len(ctx.cov.years(d, v, lv)) >= 2]
    if not dims:
        have = ctx.cov.all_years("lbm_onv")
        raise Unavailable("report.liveability.dims.none", period=ctx.period(),
                          years=", ".join(map(str, have)) or Message("report.liveability.dims.no_year"))
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
    text = ctx.render("report.liveability.dims.worst", threshold=threshold, areas=n_areas(int(hi["n"].max()), ctx.lang),
                      y0=ys[0], y1=ys[-1], worst=ctx.label(worst).split(": ")[-1], change=hi.loc[worst, "mean_change"])
    text += " " + (ctx.render("report.liveability.dims.behind", names=", ".join(behind)) if behind
                   else ctx.render("report.liveability.dims.behind_none"))
    if threshold == 50:
        text += " " + ctx.render("report.liveability.dims.threshold50")
    out = [_p(text), ctx.figure("liveability_dimensions", r.figure(ctx.lang), ctx.render(
        "report.liveability.dims.figure", y0=ys[0], y1=ys[-1], threshold=threshold), source=_src(ctx, r, v, lv))]
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
        except Exception:  # a dimension fit that fails must not take the total down (a bug: logged)
            log.exception("report: tipping points per dimension failed")
            blocks.append(_na(ctx, Unavailable("report.tipping.dimensions_failed")))
    ctx.results["tipping-point"] = results[0]
    table = pd.concat([r.table for r in results], ignore_index=True).drop_duplicates(
        ["outcome", "year_from", "year_to"])
    first = table.iloc[0]
    blocks.insert(0, _p(ctx.render("report.tipping.intro", y0=int(first["year_from"]), y1=int(first["year_to"]))))
    for _, r in table.iterrows():
        blocks.append(_p(render(r["message"], ctx.lang)))
    blocks += [{"type": "note", "text": x} for x in results[0].note_texts(ctx.lang)]
    turns = first["pattern"] == "turns_negative"
    evidenced = bool(first.get("break_evidence", True))     # no evidence of a break: never a strong finding
    strong = bool(turns and first["zero_share"] >= 0.95 and evidenced)
    ctx.findings.append(Finding(
        3, 2 if strong else 1 if turns else 0, render(first["message"], ctx.lang), "tipping",
        analysis="tipping-point", figures=message_numbers(first["message"]),
        meaning=ctx.render("report.summary.meaning.tipping.turns" if strong else
                           "report.summary.meaning.tipping.weak" if turns else "report.summary.meaning.tipping.none"),
        watch=ctx.render("report.summary.watch.tipping"),
        strength="clear" if strong else "uncertain"))
    for i, r in enumerate(results):
        blocks.append(ctx.figure(f"tipping_point_{i + 1}", r.figure(ctx.lang), ctx.render(
            "report.tipping.figure", y0=r.params["year_from"], y1=r.params["year_to"]), source=_src(ctx, r, v, lv)))
        ctx.use("lbm" if i == 0 else "lbm_onv", v, lv, [r.params["year_from"], r.params["year_to"]])
    pct = lambda x: ctx.fmt(x) + "%" if np.isfinite(x) else "—"   # noqa: E731
    shown = pd.DataFrame({
        ctx.render("report.col.outcome"): [ctx.label(o).split(": ")[-1] for o in table["outcome"]],
        ctx.render("report.col.period"): [f"{a}–{b}" for a, b in zip(table["year_from"], table["year_to"])],
        ctx.render("report.col.areas"): table["n"],
        ctx.render("report.tipping.col.bend"): [pct(x) for x in table["breakpoint"]],
        ctx.render("report.tipping.col.bend_interval"): [f"{pct(a)} – {pct(b)}"
                                                         for a, b in zip(table["break_lo"], table["break_hi"])],
        ctx.render("report.tipping.col.turn"): [pct(x) for x in table["zero_crossing"]],
        ctx.render("report.tipping.col.turn_interval"): [f"{pct(a)} – {pct(b)}" if np.isfinite(z) else "—"
                                                         for a, b, z in zip(table["zero_lo"], table["zero_hi"],
                                                                            table["zero_crossing"])]})
    blocks.append(ctx.table("tipping_points", shown, ctx.render("report.tipping.caption"),
                            csv=table.assign(message=[render(m, ctx.lang) for m in table["message"]])))
    return blocks
