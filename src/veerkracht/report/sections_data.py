"""The data section: sources, vintages, geography versions, harmonisation, suppression and the limits
of every indicator the report used — all read from the store, nothing typed in by hand except the
known limits of the indicators (:data:`LIMITS`, worded in the catalogs as ``report.data.limit.<id>``)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..indicators.registry import unit_in
from ..indicators.reliability import SUPPRESS_MIN_DENOMINATOR, SUPPRESS_MIN_NUMERATOR, apply_suppression
from .sections_trends import _h, _p
from .words import clean_sources, flag_glossary, flag_name

__all__ = ["data_section", "LIMITS"]

#: the indicators with a known limit a reader must know before drawing conclusions; the words are
#: the catalog messages ``report.data.limit.<indicator>``
LIMITS = ("corp_share", "bijstand_per_100_dwellings", "bijstand", "low_income", "lbm", "lbm_onv", "nuisance",
          "safety_index")


def data_section(ctx) -> list[dict]:
    used = pd.DataFrame(ctx.used, columns=["indicator", "geo_version", "level", "years"])
    blocks = [_h(ctx.render("report.data.sources.head"))]
    prov = ctx.sources()
    uses = {"facts": "report.data.use.facts", "geometry": "report.data.use.geometry",
            "crosswalk": "report.data.use.crosswalk"}
    shown = pd.DataFrame({ctx.render("report.data.col.use"): [ctx.render(uses[u]) for u in prov["use"]],
                          ctx.render("report.data.col.kind"): prov["kind"],
                          # a break opportunity after '_' lets long file names wrap between words, not mid-word
                          ctx.render("report.data.col.file"): [Path(str(x)).name.replace("_", "_\u200b")
                                                               for x in prov["location"]],
                          ctx.render("report.data.col.vintage"): prov["vintage"].fillna(""),
                          ctx.render("report.data.col.loaded"): prov["loaded_at"].astype(str).str[:10],
                          ctx.render("report.col.facts"): prov["n_facts"],
                          ctx.render("report.data.col.checksum"): prov["checksum"].astype(str).str[:12]})
    blocks.append(ctx.table("sources", shown, ctx.render("report.data.sources.used_caption"),
                            csv=prov.drop(columns=["options"], errors="ignore")))
    if used.empty:
        blocks.append(_p(ctx.render("report.data.none_used")))
        return blocks
    agg = (used.groupby(["indicator", "geo_version", "level"])["years"]
           .agg(lambda ys: sorted({y for t in ys for y in t})).reset_index())
    codes = ctx.cov.areas["code"].tolist()
    rows, lineage, supp, seen = [], [], [], []
    for r in agg.itertuples():
        f = ctx.store.facts(indicator=r.indicator, geo_version=r.geo_version, codes=codes, years=list(r.years))
        f = f.merge(ctx.cov.areas[["geo_version", "code", "level"]], on=["geo_version", "code"])
        f = f[f["level"] == r.level]
        meta = ctx.store.indicator(r.indicator)
        rows.append({ctx.render("report.col.indicator"): ctx.label(r.indicator),
                     ctx.render("report.data.col.unit"): unit_in(meta.get("unit"), ctx.lang),
                     ctx.render("report.col.geography"): f"{r.geo_version}, {r.level}",
                     ctx.render("report.col.years"): ", ".join(map(str, r.years)),
                     ctx.render("report.col.source"): clean_sources(sorted(set(f["source"].astype(str))), ctx.lang)})
        for (ov,), g in f.groupby(["origin_version"]):
            lineage.append({"indicator": r.indicator, "geo_version": r.geo_version, "level": r.level,
                            "origin_version": ov, "facts": len(g),
                            "harmonised": int(g["flags"].fillna("").str.contains("harmonised").sum())})
        s = apply_suppression(f)
        flags = f["flags"].fillna("").str.split(",").explode()
        flags = flags[flags != ""].value_counts()
        flags = flags[flags.index != "suppressed"]
        seen += list(flags.index)
        supp.append({"indicator": r.indicator, "level": r.level, "facts": len(f),
                     "suppressed": int(s["flags"].str.contains("suppressed").sum()),
                     "flags": ", ".join(f"{k} ({v})" for k, v in flags.items()),
                     "flags_shown": "; ".join(f"{flag_name(k, ctx.lang)} ({v})" for k, v in flags.items())})
    blocks.append(ctx.table("indicators_used", pd.DataFrame(rows), ctx.render("report.data.used.caption")))

    blocks.append(_h(ctx.render("report.data.geography.head")))
    versions = sorted(set(agg["geo_version"]))
    blocks.append(_p(ctx.render("report.data.geography.text", versions=", ".join(versions))))
    lin = pd.DataFrame(lineage)
    if len(lin):
        shown = pd.DataFrame({ctx.render("report.col.indicator"): [ctx.label(i) for i in lin["indicator"]],
                              ctx.render("report.col.to"): lin["geo_version"] + ", " + lin["level"],
                              ctx.render("report.data.col.origin"): lin["origin_version"],
                              ctx.render("report.col.facts"): lin["facts"],
                              ctx.render("report.data.col.harmonised"): lin["harmonised"]})
        blocks.append(ctx.table("lineage", shown, ctx.render("report.data.lineage.caption"), csv=lin))
    cw = ctx.store.crosswalk()
    cw = cw[cw["to_version"].isin(versions)]
    if len(cw):
        g = cw.groupby(["from_version", "to_version", "basis"])
        cws = pd.DataFrame({"rows": g.size(), "from_codes": g["from_code"].nunique(),
                            "to_codes": g["to_code"].nunique()}).reset_index()
        shown = pd.DataFrame({ctx.render("report.data.col.from"): cws["from_version"],
                              ctx.render("report.col.to"): cws["to_version"],
                              ctx.render("report.data.col.basis"): cws["basis"],
                              ctx.render("report.data.col.rows"): cws["rows"],
                              ctx.render("report.data.col.source_areas"): cws["from_codes"],
                              ctx.render("report.data.col.target_areas"): cws["to_codes"]})
        blocks.append(ctx.table("crosswalks", shown, ctx.render("report.data.crosswalks.caption"), csv=cws))

    blocks.append(_h(ctx.render("report.data.suppression.head")))
    blocks.append(_p(ctx.render("report.data.suppression.text", min_den=SUPPRESS_MIN_DENOMINATOR,
                                max_num=SUPPRESS_MIN_NUMERATOR - 1)))
    sp = pd.DataFrame(supp)
    shown = pd.DataFrame({ctx.render("report.col.indicator"): [ctx.label(i) for i in sp["indicator"]],
                          ctx.render("report.col.level"): sp["level"],
                          ctx.render("report.data.col.values"): sp["facts"],
                          ctx.render("report.data.col.suppressed"): sp["suppressed"],
                          ctx.render("report.data.col.other_flags"): sp["flags_shown"]})
    blocks.append(ctx.table("suppression", shown, ctx.render("report.data.suppression.caption"),
                            csv=sp.drop(columns=["flags_shown"])))
    if seen:
        blocks.append({"type": "h4", "text": ctx.render("report.data.flags.head")})
        blocks.append({"type": "list", "items": flag_glossary(seen, ctx.lang)})

    blocks.append(_h(ctx.render("report.data.limits.head")))
    items = []
    for ind in dict.fromkeys(agg["indicator"]):
        meta = ctx.store.indicator(ind)
        lim = ctx.render(f"report.data.limit.{ind}") if ind in LIMITS else None
        desc = meta.get("description_en" if ctx.en else "description_nl") or ""
        items.append(f"{ctx.label(ind)}: " + " ".join(x for x in (desc, lim) if x))
    blocks.append({"type": "list", "items": items})
    return blocks
