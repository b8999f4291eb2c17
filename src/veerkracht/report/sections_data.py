"""The data section: sources, vintages, geography versions, harmonisation, suppression and the limits
of every indicator the report used — all read from the store, nothing typed in by hand except the
known limits of the indicators (:data:`LIMITS`)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..indicators.registry import unit_in
from ..indicators.reliability import SUPPRESS_MIN_DENOMINATOR, SUPPRESS_MIN_NUMERATOR, apply_suppression
from .sections_trends import _h, _p
from .words import clean_sources, flag_glossary, flag_name

__all__ = ["data_section", "LIMITS"]

#: what a reader must know about an indicator before drawing conclusions (nl, en)
LIMITS = {
    "corp_share": ("Alle woningen in corporatiebezit, ook boven de liberalisatiegrens; de gemeentelijke (OIS) en "
                   "CBS-telling verschillen in peildatum.",
                   "All association-owned dwellings, also above the liberalisation threshold; municipal (OIS) "
                   "and CBS counts differ in reference date."),
    "bijstand_per_100_dwellings": ("Uitkeringen (per huishouden) gedeeld door woningen, niet door inwoners: "
                                   "gebieden met veel lege of niet-bewoonde woningen scoren lager; de telling van "
                                   "uitkeringen verschilt tussen jaren.",
                                   "Benefits (per household) divided by dwellings, not residents: areas with many "
                                   "empty dwellings score lower; the benefit count differs between years."),
    "bijstand": ("Personen met bijstand per 1.000 inwoners; door afronding van CBS-cijfers onzeker in kleine "
                 "gebieden.", "Persons on assistance per 1,000 residents; CBS rounding makes small areas uncertain."),
    "low_income": ("KWB gebruikt de laagste 40%, het rapport de laagste 20%: niveaus zijn niet uitwisselbaar.",
                   "KWB uses the lowest 40%, the report the lowest 20%: levels are not interchangeable."),
    "lbm": ("Modelscore (Leefbaarometer 3.0), teruggerekend naar eerdere jaren; afwijking van een landelijk "
            "referentieniveau, geen meting bij bewoners. Van PC4 naar buurten omgerekend via adressen.",
            "Model score (Leefbaarometer 3.0), back-cast to earlier years; a deviation from a national reference, "
            "not a survey. Converted from PC4 to buurten via addresses."),
    "lbm_onv": ("Dimensie ‘overlast en onveiligheid’ van Leefbaarometer 3.0; niet dezelfde grootheid als "
                "‘veiligheid’ in 2.0.", "Dimension ‘nuisance and unsafety’ of Leefbaarometer 3.0; not the same "
                "quantity as ‘safety’ in 2.0."),
    "nuisance": ("Index (stad = 100) van de Amsterdamse veiligheidsmonitor: alleen binnen Amsterdam te vergelijken.",
                 "Index (city = 100) of the Amsterdam safety monitor: comparable only within Amsterdam."),
    "safety_index": ("Index (stad = 100) van de Amsterdamse veiligheidsmonitor: alleen binnen Amsterdam te "
                     "vergelijken.", "Index (city = 100) of the Amsterdam safety monitor: comparable only within "
                     "Amsterdam."),
}


def data_section(ctx) -> list[dict]:
    used = pd.DataFrame(ctx.used, columns=["indicator", "geo_version", "level", "years"])
    blocks = [_h(ctx.t("Bronnen en versies", "Sources and vintages"))]
    prov = ctx.store.provenance()
    shown = pd.DataFrame({ctx.t("Soort", "Kind"): prov["kind"],
                          # a break opportunity after '_' lets long file names wrap between words, not mid-word
                          ctx.t("Bestand", "File"): [Path(str(x)).name.replace("_", "_\u200b") for x in prov["location"]],
                          ctx.t("Versie", "Vintage"): prov["vintage"].fillna(""),
                          ctx.t("Geladen", "Loaded"): prov["loaded_at"].astype(str).str[:10],
                          ctx.t("Feiten", "Facts"): prov["n_facts"],
                          "SHA-256": prov["checksum"].astype(str).str[:12]})
    blocks.append(ctx.table("sources", shown, ctx.t("Alle bronnen in de database, met controlegetal",
                                                    "All sources in the store, with checksum"),
                            csv=prov.drop(columns=["options"], errors="ignore")))
    if used.empty:
        blocks.append(_p(ctx.t("Geen enkele indicator kon voor deze regio en periode worden gebruikt.",
                               "No indicator could be used for this region and period.")))
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
        rows.append({ctx.t("Indicator", "Indicator"): ctx.label(r.indicator),
                     ctx.t("Eenheid", "Unit"): unit_in(meta.get("unit"), ctx.lang),
                     ctx.t("Geografie", "Geography"): f"{r.geo_version}, {r.level}",
                     ctx.t("Jaren", "Years"): ", ".join(map(str, r.years)),
                     ctx.t("Bron", "Source"): clean_sources(sorted(set(f["source"].astype(str))), ctx.lang)})
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
    blocks.append(ctx.table("indicators_used", pd.DataFrame(rows), ctx.t(
        "Gebruikte indicatoren: geografie, jaren en bron", "Indicators used: geography, years and source")))

    blocks.append(_h(ctx.t("Geografie en harmonisatie", "Geography and harmonisation")))
    versions = sorted(set(agg["geo_version"]))
    blocks.append(_p(ctx.t(
        f"Gebruikte geografische indelingen: {', '.join(versions)}. Cijfers uit andere indelingen zijn met een "
        "koppeltabel (crosswalk) omgerekend: aantallen naar gewicht verdeeld, percentages opnieuw berekend uit "
        "verdeelde tellers en noemers, nooit gemiddeld.",
        f"Geographies used: {', '.join(versions)}. Figures from other geographies were converted with a crosswalk: "
        "counts redistributed by weight, rates recomputed from redistributed numerators and denominators, never "
        "averaged.")))
    lin = pd.DataFrame(lineage)
    if len(lin):
        shown = pd.DataFrame({"Indicator": [ctx.label(i) for i in lin["indicator"]],
                              ctx.t("Naar", "To"): lin["geo_version"] + ", " + lin["level"],
                              ctx.t("Herkomst", "Origin"): lin["origin_version"],
                              ctx.t("Feiten", "Facts"): lin["facts"],
                              ctx.t("Geharmoniseerd", "Harmonised"): lin["harmonised"]})
        blocks.append(ctx.table("lineage", shown, ctx.t("Herkomst van de gebruikte cijfers (regio, gebruikte jaren)",
                                                        "Lineage of the figures used (region, years used)"), csv=lin))
    cw = ctx.store.crosswalk()
    cw = cw[cw["to_version"].isin(versions)]
    if len(cw):
        g = cw.groupby(["from_version", "to_version", "basis"])
        cws = pd.DataFrame({"rows": g.size(), "from_codes": g["from_code"].nunique(),
                            "to_codes": g["to_code"].nunique()}).reset_index()
        shown = pd.DataFrame({ctx.t("Van", "From"): cws["from_version"], ctx.t("Naar", "To"): cws["to_version"],
                              ctx.t("Gewicht", "Basis"): cws["basis"], ctx.t("Regels", "Rows"): cws["rows"],
                              ctx.t("Brongebieden", "Source areas"): cws["from_codes"],
                              ctx.t("Doelgebieden", "Target areas"): cws["to_codes"]})
        blocks.append(ctx.table("crosswalks", shown, ctx.t("Koppeltabellen naar de gebruikte indelingen",
                                                           "Crosswalks into the geographies used"), csv=cws))

    blocks.append(_h(ctx.t("Onderdrukking en betrouwbaarheid", "Suppression and reliability")))
    blocks.append(_p(ctx.t(
        f"Een waarde die rust op kleine aantallen (noemer < {SUPPRESS_MIN_DENOMINATOR} of teller "
        f"1–{SUPPRESS_MIN_NUMERATOR - 1}) wordt nergens in dit rapport getoond: op kaarten is zo'n gebied grijs "
        "gearceerd, in tabellen staat ‘onderdrukt’ of ontbreekt de rij.",
        f"A value resting on small numbers (denominator < {SUPPRESS_MIN_DENOMINATOR} or numerator "
        f"1–{SUPPRESS_MIN_NUMERATOR - 1}) is shown nowhere in this report: on maps such an area is hatched grey, in "
        "tables it reads ‘suppressed’ or the row is left out.")))
    sp = pd.DataFrame(supp)
    shown = pd.DataFrame({"Indicator": [ctx.label(i) for i in sp["indicator"]], ctx.t("Niveau", "Level"): sp["level"],
                          ctx.t("Waarden", "Values"): sp["facts"], ctx.t("Onderdrukt", "Suppressed"): sp["suppressed"],
                          ctx.t("Overige kenmerken", "Other flags"): sp["flags_shown"]})
    blocks.append(ctx.table("suppression", shown, ctx.t("Onderdrukte waarden en kenmerken per indicator (regio)",
                                                        "Suppressed values and flags per indicator (region)"),
                            csv=sp.drop(columns=["flags_shown"])))
    if seen:
        blocks.append({"type": "h4", "text": ctx.t("Betekenis van de kenmerken", "Meaning of the flags")})
        blocks.append({"type": "list", "items": flag_glossary(seen, ctx.lang)})

    blocks.append(_h(ctx.t("Beperkingen per indicator", "Limits of each indicator")))
    items = []
    for ind in dict.fromkeys(agg["indicator"]):
        meta = ctx.store.indicator(ind)
        lim = LIMITS.get(ind, (None, None))[1 if ctx.en else 0]
        desc = meta.get("description_en" if ctx.en else "description_nl") or ""
        items.append(f"{ctx.label(ind)}: " + " ".join(x for x in (desc, lim) if x))
    blocks.append({"type": "list", "items": items})
    return blocks
