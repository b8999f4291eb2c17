"""The text of ``ATTRIBUTION.md`` for the demo data (part of ``build_demo_data.py``)."""
from __future__ import annotations

__all__ = ["ENTRIES", "attribution"]

CBS = "CC BY 4.0 (CBS open data)"
PDOK = "CC BY 4.0 (PDOK / CBS geometry)"
AMS = "Gemeente Amsterdam (OIS / BBGA) municipal open data; source attribution required"
LBM = ("Leefbaarometer open data of the Ministry of BZK (two repositories cite CC0; not checked against the "
       "source)")
OIS_REPO = "github `maartjevdkoppel/Gentrification`"

# file -> (publisher, original source (repository, path), licence, processing)
ENTRIES: dict[str, tuple[str, str, str, str]] = {
    "ams_buurten_cbs2019.geojson": (
        "CBS wijk- en buurtkaart (PDOK); names CBS buurt code list 2022 and Gemeente Amsterdam OIS",
        "github `emielsanders/PowerBI`, `buurten.json` (topojson); names: github `fl00ra/ABM-PV-adoption-ams`, "
        "`2022-cbs-pc6huisnr20210801_buurt/brt2022.csv`; " + OIS_REPO + " (OIS 2017 names)",
        PDOK,
        "The 479 buurten of GM0363 cut from the national 2019/2020 layer (already decoded to GeoJSON, 5 decimals). "
        "`bu_naam` from the CBS 2022 code list where the code is in it, else the OIS 2017 name via "
        "`cbs_bu_code_afgeleid`. Snapped to a 1e-5° grid and made valid."),
    "ams_wijken_cbs2019.geojson": (
        "Gemeente Amsterdam (gebieden, `Overzicht buurten Amsterdam.csv`)", OIS_REPO + " (wijk polygons, RD WKT)",
        AMS, "99 buurtcombinaties (RD → WGS84, slightly simplified, as in SOURCES.md); properties `wk_code` "
             "(= `cbs_wijk_code`), `wk_naam`, `gm_code`; 5 decimals."),
    "ams_buurten_cbs2023.geojson": (
        "Gemeente Amsterdam (gebieden API), indeling 2022 with CBS codes", "github `Grrrolf/geoJSON`, "
        "`amsterdam_buurten.geojson`", AMS,
        "518 buurten; `bu_code` = `CBS_Buurtcode`, `bu_naam` = `Buurt`, `wk_code` = WK0363 + `Wijkcode`; "
        "coordinates rounded from 6 to 5 decimals."),
    "gemeenten_cbs2020.geojson.gz": (
        "CBS wijk- en buurtkaart (PDOK); names CBS KWB 2020", "github `emielsanders/PowerBI`, `buurten.json`; "
        "names: github `Marlinehuman/ProgrammingForEconG5`, `data/clean/kwb2020_clean.csv`", PDOK,
        "Dissolve of the 13,594 buurten by gemeente code (355 gemeenten, the 2020 indeling), simplified with "
        "0.0005° (topology preserved per gemeente: small gaps/overlaps between neighbours remain), valid."),
    "gemeenten_cbs2021.geojson.gz": (
        "CBS / PDOK, gemeentegrenzen 2021 (topojson simplified for Power BI)", "github `emielsanders/PowerBI`, "
        "`Gemeente 2021 CRM4326 TOPOJSON.json`", CBS,
        "From `geo_gemeente_2021/gemeenten_2021_nl_wgs84_topo_simplified.geojson.gz`: invalid rings repaired "
        "(make_valid), names from the KWB 2021 gemeente rows, 5 decimals."),
    "gemeenten_cbs2022.geojson.gz": (
        "PDOK/CBS `gemeente_gegeneraliseerd` 2022", "github `RishikeshGovind/nlstat`, `data/gemeenten.geojson`",
        PDOK, "345 gemeenten; properties `gm_code`, `gm_naam`; snapped to a 1e-5° grid and made valid."),
    "gemeenten_cbs2023.geojson.gz": (
        "PDOK/CBS `gemeente_gegeneraliseerd` 2022; names CBS KWB 2023", "github `RishikeshGovind/nlstat`, "
        "`data/gemeenten.geojson`; names: github `Marlinehuman/ProgrammingForEconG5`, `data/clean/kwb2023_clean.csv`",
        PDOK, "The 2022 polygons dissolved through `crosswalk_gemeente_cbs2022_cbs2023.csv` (342 gemeenten, "
              "equal to the KWB 2023 code set)."),
    "crosswalk_gemeente_cbs2022_cbs2023.csv": (
        "Derived here from CBS KWB 2022/2023 and the geometry above", "see the two gemeente files",
        CBS, "Codes in KWB 2022 and not 2023 (GM0457, GM0501, GM0530, GM0614) and the new code GM1992; each merge "
             "checked on the data (column `note`). Unchanged codes map to themselves. KWB 2023, 2024 and 2025 "
             "have the same 342 codes, so no further step is needed."),
    "crosswalk_ois2005_cbs2019.csv": (
        "Derived here from Gemeente Amsterdam OIS tables", OIS_REPO + ", `2015_overgang 2005 2010 2015.xlsx` and the "
        "woningvoorraad tables", AMS,
        "Version `ois2005`: the 470 buurten of 2005/2009 (2005 codes) and 2013 (2010 codes; both spellings are "
        "listed) → CBS 2019 buurt codes (= OIS 2015 codes via the derived rule `cbs_bu_code_afgeleid`). 419 map 1:1 "
        "by the transition table; 51 are curated by hand from its notes (splits, renames matched by name; see "
        "`note`). Split weights = 2017 dwelling counts (OIS, 1-1-2017) of the targets: an APPROXIMATION. Weights "
        "have 6 decimals and sum to exactly 1 per source. Version `ois2015`: the 481 OIS 2017 codes, 1:1. Two 2015 "
        "buurten (M50c, M50e, without dwellings) have no CBS 2019 buurt and go to the nearest one (`note`)."),
    "crosswalk_ois_wijk2005_cbs2019.csv": (
        "Derived here from Gemeente Amsterdam OIS tables", OIS_REPO, AMS,
        "OIS buurtcombinatie codes 2005–2013 (both spellings, X99 'niet te verdelen' left out) → CBS 2019 wijk "
        "codes, composed from the buurt crosswalk weighted by the 2013 dwellings of each wijk's buurten; the 2017 "
        "(= 2015) codes map 1:1 as version `ois2015`."),
    "ois_buurt_woningvoorraad_eigendom_2005_2017.csv": (
        "Gemeente Amsterdam, OIS yearbook 'Woningvoorraad naar buurten en eigendom' (1 January 2005/2009/2013/2017)",
        OIS_REPO + ", `Data/Data preparation/20xx_buurten_z_eigendom.xls(x)`, `2017_buurten_7_05.xlsx`", AMS,
        "Copy of `amsterdam_ois/amsterdam_buurt_woningvoorraad_eigendom_2005_2009_2013_2017.csv` (reshaped to csv "
        "and codes mapped by the data curator, see SOURCES.md); unchanged here."),
    "amsterdam_buurten_codes_overgang_2005_2010_2015.csv": (
        "Gemeente Amsterdam, OIS buurt code transitions 2005 → 2010 → 2015", OIS_REPO
        + ", `2015_overgang 2005 2010 2015.xlsx`", AMS,
        "Copy of `amsterdam_ois/amsterdam_buurten_codes_overgang_2005_2010_2015.csv`; unchanged."),
    "amsterdam_buurtcombinaties_codes_overgang_2005_2010_2015.csv": (
        "Gemeente Amsterdam, OIS buurtcombinatie code transitions 2005 → 2010 → 2015", OIS_REPO
        + ", `2015_overgang 2005 2010 2015.xlsx`", AMS,
        "Copy of `amsterdam_ois/amsterdam_buurtcombinaties_codes_overgang_2005_2010_2015.csv`; unchanged."),
    "ois_wijk_bijstand_2005_2017.csv": (
        "Gemeente Amsterdam, OIS 'Uitkeringen bij DWI'", OIS_REPO, AMS,
        "Copy of `amsterdam_ois/amsterdam_wijk_bijstand_wwb_2005_2009_2013_2017.csv`; unchanged."),
    "ois_wijk_veiligheidsindex_2014_2017.csv": (
        "Gemeente Amsterdam, Veiligheidsindex", "github `saBasKouw/InfoVis`, "
        "`data_functions/concat_ams_safety_index_district.csv`", AMS,
        "Copy of `amsterdam_ois/amsterdam_wijk_veiligheidsindex_2014_2017.csv` (codes matched by name, 92/93); "
        "unchanged."),
    "ois_ses_woa_2019.csv": (
        "CBS, SES-WOA 2019 (table 85163NED)", "github `HMels/inverseGerrymandering`, "
        "`Data/SES_WOA_scores_per_wijk_en_buurt_25042023_160857.csv`", CBS,
        "Copy of `amsterdam_ois/amsterdam_ses_woa_2019_cbs_codes.csv`; unchanged."),
    "ois_buurt_bbga_2014_2018.csv": (
        "Gemeente Amsterdam, BBGA", "github `saBasKouw/InfoVis`, `ams_stats_neighbourhoods.csv`", AMS,
        "Copy of `amsterdam_ois/amsterdam_buurt_bbga_2014_2018.csv`; unchanged."),
    "pc4_buurt2022_adressen.csv": (
        "CBS pc6-huisnummer-buurt table (Amsterdam part)", "github `fl00ra/ABM-PV-adoption-ams`, `pc6_to_buurt.csv`",
        CBS, "Copy of `amsterdam_buurten_2022_geo/amsterdam_pc4_buurt2022_adresgewichten.csv` (aggregated to PC4 by "
             "the data curator); unchanged."),
    "kwb_gemeente_2020_2025.csv": (
        "CBS Kerncijfers wijken en buurten 2020–2025, gemeente rows", "github `Marlinehuman/ProgrammingForEconG5`, "
        "`data/clean/kwb2020_clean.csv` … `kwb2025_clean.csv`", CBS,
        "Copy of `kwb_gemeente_2020_2025/kwb_gemeente_woningvoorraad_2020_2025.csv`; unchanged (`g_wozbag` in euros)."),
    "leefbaarometer_pc4_amsterdam.csv.gz": (
        "Leefbaarometer 3.0 (BZK), scores PC4 2002–2022", "github `semen-tarasov/Funda-Collector`, `data/scores.csv`",
        LBM, "The original lines of `leefbaarometer_pc4/leefbaarometer3_scores_pc4_2002_2022.csv.gz` for the PC4 "
             "areas of `pc4_buurt2022_adressen.csv` plus PC4 1000–1109 and 1380–1384 (Weesp), all years."),
}


def attribution(sizes: dict[str, int]) -> str:
    """The markdown text; ``sizes`` = bytes per file (listed in the table)."""
    assert set(sizes) == set(ENTRIES), f"attribution missing for {sorted(set(sizes) ^ set(ENTRIES))}"
    out = ["# Demo data: sources and attribution", "",
           "Built by `scripts/build_demo_data.py` from the shared data set (`shared/data`, described in its "
           "`SOURCES.md`). The repositories named below are where the files were found; the data belong to the "
           "publishers. CBS and PDOK data: Creative Commons Attribution 4.0 (CC BY 4.0) — "
           "source: CBS (Centraal Bureau voor de Statistiek) / PDOK. Gemeente Amsterdam data: source Gemeente "
           "Amsterdam, Onderzoek, Informatie en Statistiek (OIS). Leefbaarometer: source Ministerie van BZK, "
           "Leefbaarometer 3.0.", "",
           "| file | bytes |", "|---|---:|"]
    out += [f"| `{name}` | {size:,d} |" for name, size in sorted(sizes.items())]
    out += [f"| total | {sum(sizes.values()):,d} |", ""]
    for name in sorted(ENTRIES):
        pub, src, lic, proc = ENTRIES[name]
        out += [f"## {name}", "", f"- Publisher: {pub}", f"- Found in: {src}", f"- Licence: {lic}",
                f"- Processing: {proc}", ""]
    return "\n".join(out)
