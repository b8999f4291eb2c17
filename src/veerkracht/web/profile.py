"""The area profile: key figures, trend lines against gemeente and country, typology, reliability, sources."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..indicators.registry import unit_in
from ..indicators.words import flag_meaning
from ..indicators.reliability import suppress
from ..store.schema import level_rank
from ..maps.catalog import ViewError, Catalog
from ..maps.layers import AnalysisLayers
from ..maps.legend import decimals

__all__ = ["area_profile", "beyond_turn", "compare", "search", "STATUS_TEXT", "MAX_COMPARE"]

#: areas side by side in a comparison (five still fit the panel)
MAX_COMPARE = 5

STATUS_TEXT = {
    "suppressed": ("Niet getoond: te kleine aantallen (privacy en betrouwbaarheid).",
                   "Not shown: numbers too small (privacy and reliability)."),
    "unreliable": ("Onzeker: benaderde of gecorrigeerde waarde.", "Uncertain: approximated or corrected value."),
    "missing": ("Geen waarde bekend.", "No value known."),
}
#: a "country" line pooled from areas needs national coverage, not one city
_MIN_GEMEENTEN_FOR_COUNTRY = 100


def _num(v):
    return None if v is None or pd.isna(v) else round(float(v), 4)


def _flag_notes(flags: str, lang: str) -> list[str]:
    """Each flag of a fact in words (the glossary shared with the report)."""
    return [flag_meaning(tok, lang) for tok in dict.fromkeys(filter(None, str(flags or "").split(",")))]


def _pooled(cat: Catalog, indicator: str, ind: dict, version: str, codes: list[str]) -> list[dict]:
    """Reference series pooled from areas: Σ numerators / Σ denominators (rates), else the mean."""
    raw = cat.raw_facts(indicator, version)
    raw = raw[raw["code"].isin(codes)]
    if raw.empty:
        return []
    if ind.get("kind") == "rate" and raw["denominator"].notna().any():
        g = raw.groupby("year")[["numerator", "denominator"]].sum(min_count=1)
        scale = float(ind.get("scale") or 1)
        val = g["numerator"] / g["denominator"] * scale
        hidden = suppress(g["numerator"], g["denominator"])
        val[hidden] = np.nan
    elif ind.get("kind") in ("score", "rate"):
        val = raw.groupby("year")["value"].mean()
    else:
        return []
    return [{"year": int(y), "value": _num(v), "status": "ok" if pd.notna(v) else "suppressed", "pooled": True}
            for y, v in val.items()]


def _reference(cat: Catalog, indicator: str, ind: dict, version: str, level: str, code: str | None,
               col: str | None) -> list[dict]:
    """The stored series of a gemeente or the country, else one pooled from its areas (memoised:
    every buurt of a gemeente shares it)."""
    if code is None:
        return []
    return cat.memo(("reference", indicator, version, level, code, col),
                    lambda: _build_reference(cat, indicator, ind, version, level, code, col))


def _build_reference(cat: Catalog, indicator: str, ind: dict, version: str, level: str, code: str,
                     col: str | None) -> list[dict]:
    stored = cat.series(indicator, version, code)
    if any(s["value"] is not None or s["status"] == "suppressed" for s in stored):
        return stored
    t = cat.area_table
    t = t[(t["geo_version"] == version) & (t["level"] == level)]
    if col is None and t["gm_code"].nunique() < _MIN_GEMEENTEN_FOR_COUNTRY:
        return []
    members = t["code"] if col is None else t.loc[t[col] == code, "code"]
    return _pooled(cat, indicator, ind, version, list(members))


def _key_figures(cat: Catalog, version: str, code: str, lang: str, year: int | None = None
                 ) -> tuple[list[dict], pd.DataFrame]:
    """Per indicator the fact of ``year`` (when the indicator has it), else of its latest year."""
    facts = cat.area_facts(version, code)
    order = {k: i for i, k in enumerate(cat.registry.index)}
    out = []
    for indicator, g in sorted(facts.groupby("indicator"), key=lambda kv: order.get(kv[0], 999)):
        if indicator not in cat.registry.index:
            continue
        ind = cat.registry.loc[indicator]
        g = g.sort_values("year")
        last = g[g["year"] == year].iloc[-1] if year in set(g["year"]) else g.iloc[-1]
        desc = ind.get("description_en" if lang == "en" else "description_nl")
        out.append({"indicator": indicator, "label": ind["label_en" if lang == "en" else "label_nl"],
                    "description": desc if isinstance(desc, str) and desc.strip() else None,
                    "unit": unit_in(ind["unit"], lang), "decimals": decimals(ind["kind"], ind["unit"]),
                    "year": int(last["year"]), "value": _num(last["value"]),
                    "status": last["status"], "source": str(last["source"]),
                    "notes": _flag_notes(last["flags"], lang)
                    + ([STATUS_TEXT[last["status"]][lang == "en"]] if last["status"] in STATUS_TEXT else []),
                    "years": [int(y) for y in g["year"]]})
    return out, facts


def area_profile(cat: Catalog, layers: AnalysisLayers, version: str, code: str, indicator: str | None = None,
                 year: int | None = None, lang: str = "nl") -> dict:
    area = cat.check_code(version, code)
    level = area["level"]
    figures, facts = _key_figures(cat, version, code, lang, year)
    if indicator is None:
        indicator = figures[0]["indicator"] if figures else None
    elif indicator not in cat.registry.index:
        cat.check_indicator(indicator)
    trends = []
    for fig in figures:
        if fig["indicator"] != indicator and len(fig["years"]) < 2:
            continue
        ind = cat.registry.loc[fig["indicator"]].to_dict()
        comparable = ind.get("kind") in ("rate", "score")   # a count is not comparable with a total
        trends.append({
            "indicator": fig["indicator"], "label": fig["label"], "unit": fig["unit"], "decimals": fig["decimals"],
            "area": cat.series(fig["indicator"], version, code),
            "gemeente": _reference(cat, fig["indicator"], ind, version, level, area.get("gm_code"), "gm_code")
            if level != "gemeente" and comparable else [],
            "country": _reference(cat, fig["indicator"], ind, version, level, "NL01", None) if comparable else [],
        })
    trends.sort(key=lambda t: t["indicator"] != indicator)
    typ = layers.layer("typology", version, level, area.get("gm_code"), indicator, year, None, lang=lang)
    typ_class, typ_rule = _class_label(typ, code, lang), typ["rules"].get(code)
    if not typ["available"] and area.get("wk_code") and level == "buurt":
        # the typology may exist one level up (stand-ins per wijk): the buurt's wijk, said as such
        up = layers.layer("typology", version, "wijk", area.get("gm_code"), indicator, year, None, lang=lang)
        if up["available"] and _class_label(up, area["wk_code"], lang):
            typ = up
            typ_class = _class_label(up, area["wk_code"], lang) + (
                f" ({'district' if lang == 'en' else 'wijk'} {cat.name_of(version, area['wk_code'])})")
            typ_rule = up["rules"].get(area["wk_code"])
    flags = sorted({n for f in figures for n in f["notes"]})
    used = set(facts["source"].astype(str))
    prov = cat.provenance
    prov_rows = [{"kind": r.kind, "file": Path(str(r.location)).name, "vintage": r.vintage or "",
                  "loaded_at": r.loaded_at} for r in prov.itertuples()
                 if any(str(r.kind) in s or s.split("+")[0] in str(r.kind) for s in used)] or \
                [{"kind": r.kind, "file": Path(str(r.location)).name, "vintage": r.vintage or "",
                  "loaded_at": r.loaded_at} for r in prov.itertuples()]
    return {
        "code": code, "name": area.get("name") or code, "level": level, "geo_version": version,
        "wk_code": area.get("wk_code"), "wk_name": cat.name_of(version, area.get("wk_code")),
        "gm_code": area.get("gm_code"), "gm_name": cat.name_of(version, area.get("gm_code")),
        "key_figures": figures, "trends": trends, "reliability": flags,
        "typology": {"available": typ["available"], "message": typ.get("message", ""),
                     "class": typ_class, "rule": typ_rule},
        "sources": sorted(used), "provenance": prov_rows,
        "beyond_turn": beyond_turn(layers, version, code, level),
    }


#: the grid tipping point as the profile asks it: only its point estimates are used (the turn and the
#: per-buurt shares), so few replicates; one result for every buurt of the version (cached)
_GRID_TURN_PARAMS = {"n_boot": 20, "n_test": 9}


def beyond_turn(layers: AnalysisLayers, version: str, code: str, level: str) -> dict:
    """How many of a buurt's dwellings lie in 100 m cells whose corporation share within 200 m is beyond the
    turn (the share where the grid tipping point's change turns negative). ``available`` False (with the
    reason) without a grid crosswalked to ``version``; the share is hidden (``status`` suppressed) when it
    rests on fewer than 50 dwellings or 1–9 dwellings beyond the turn, as for every other figure."""
    if level != "buurt":
        return {"available": False, "reason": ""}
    res, why = layers.result("grid-tipping-point", buurt_version=version, **_GRID_TURN_PARAMS)
    if res is None:
        return {"available": False, "reason": str(why)}
    prof = res.extra.get("buurt_profile")
    turn = float(res.summary.get("zero_crossing", np.nan))
    row = prof[prof["buurt"] == code] if prof is not None and len(prof) else pd.DataFrame()
    if row.empty or not np.isfinite(turn):
        return {"available": False, "reason": "", "turn": _num(turn)}
    dw, share = float(row["dwellings"].iloc[0]), float(row["share_beyond_turn"].iloc[0])
    beyond = dw * share / 100
    hidden = bool(suppress(pd.Series([beyond]), pd.Series([dw])).iloc[0])
    return {"available": True, "turn": _num(turn), "dwellings": None if hidden else int(round(dw)),
            "beyond": None if hidden else int(round(beyond)), "share": None if hidden else round(share, 1),
            "status": "suppressed" if hidden else "ok", "year": int(res.params["year_from"])}


def _class_label(layer: dict, code: str, lang: str) -> str | None:
    key = layer["values"].get(code)
    entry = next((e for e in layer["legend"] if e["cls"] == key), None)
    return None if key is None else (entry["label_en" if lang == "en" else "label_nl"] if entry else key)


def compare(cat: Catalog, layers: AnalysisLayers, version: str, codes: list[str], lang: str = "nl",
            year: int | None = None) -> dict:
    """Key figures of 2–5 areas side by side in ``year`` (the map's; an indicator without that year shows its
    latest), each with its series for a sparkline (``trend``: ``[[year, value], …]``)."""
    if not 2 <= len(codes) <= MAX_COMPARE:
        raise ViewError(f"compare takes 2 to {MAX_COMPARE} area codes")
    profiles = [area_profile(cat, layers, version, c, lang=lang, year=year) for c in codes]
    inds = []
    for p in profiles:
        for f in p["key_figures"]:
            if f["indicator"] not in [i["indicator"] for i in inds]:
                inds.append({k: f[k] for k in ("indicator", "label", "unit", "decimals", "description")})
    rows = []
    for i in inds:
        cells = []
        for p in profiles:
            f = next((f for f in p["key_figures"] if f["indicator"] == i["indicator"]), None)
            trend = [[s["year"], s["value"]] for s in cat.series(i["indicator"], version, p["code"])]
            cells.append(None if f is None else {"value": f["value"], "year": f["year"], "status": f["status"],
                                                 "trend": trend})
        rows.append({**i, "cells": cells})
    return {"year": year, "areas": [{"code": p["code"], "name": p["name"], "level": p["level"], "gm_name": p["gm_name"],
                                     "wk_name": p["wk_name"]} for p in profiles], "rows": rows}


def search(cat: Catalog, q: str, version: str | None = None, limit: int = 20) -> list[dict]:
    q = (q or "").strip().lower()
    if not 1 <= len(q) <= 60:
        raise ViewError("search text must be 1 to 60 characters")
    t = cat.area_table
    if version is not None:
        cat.check_version(version)
        t = t[t["geo_version"] == version]
    t = t[t["level"] != "country"]
    code_hit = t["code"].str.lower().str.startswith(q)
    name = t["name"].fillna("").str.lower()
    name_hit = name.str.contains(q, regex=False)
    hits = t[code_hit | name_hit].assign(_rank=np.where(code_hit[code_hit | name_hit], 0,
                                                        np.where(name[code_hit | name_hit].str.startswith(q), 1, 2)))
    hits = hits.assign(_lv=hits["level"].map(level_rank)).sort_values(["_rank", "_lv", "name"]).head(limit)
    return [{"code": r.code, "name": r.name, "level": r.level, "geo_version": r.geo_version,
             "gm_code": r.gm_code if isinstance(r.gm_code, str) else None} for r in hits.itertuples()]
