/* Labels of the social map: Dutch (default) and English. */
window.I18N = {
  nl: {
    title: "Sociale kaart", subtitle: "Veerkracht van buurten", search: "Zoek gebied",
    search_ph: "Zoek op naam of code", controls: "Kaartinstellingen", map: "Kaart", close: "Sluiten",
    indicator: "Indicator", mode: "Weergave", year: "Jaar", year_from: "Van jaar", ref: "Vergelijk met", ref_gemeente: "eigen gemeente", ref_country: "Nederland",
    level: "Niveau", version: "Gebiedsindeling", region: "Regio", whole: "Alles", export: "Exporteren",
    export_csv: "CSV", export_xls: "CSV (Excel)", export_geojson: "GeoJSON", export_png: "PNG", export_pdf: "PDF",
    hint: "Klik op een gebied voor het profiel. Met Ctrl/⌘-klik voeg je gebieden toe om te vergelijken.",
    lang_toggle: "English", lang_toggle_aria: "Switch to English",
    level_gemeente: "Gemeente", level_wijk: "Wijk", level_buurt: "Buurt", level_pc4: "Postcode 4",
    levels_gemeente: "gemeenten", levels_wijk: "wijken", levels_buurt: "buurten", levels_pc4: "postcodegebieden",
    suppressed: "Onderdrukt (kleine aantallen)", missing: "Geen gegevens", unreliable: "Onzeker (vervaagd)",
    pooled_note: "Klassen over alle jaren samen: een kleur betekent in elk jaar hetzelfde.",
    source: "Bron", unit: "Eenheid", loading: "Laden…", not_available: "Niet beschikbaar",
    no_geometry: "Voor dit niveau zijn geen gebiedsgrenzen in de database.",
    profile: "Profiel", codes: "Codes", key_figures: "Kerncijfers", trend: "Ontwikkeling",
    this_area: "Dit gebied", gemeente: "Gemeente", country: "Nederland", typology: "Typologie",
    more_notes: "Meer toelichting", rule: "Reden", reliability: "Betrouwbaarheid", sources: "Bronnen en versies", no_notes: "Geen bijzonderheden.",
    add_compare: "Toevoegen aan vergelijking", compare: "Vergelijk", compare_title: "Vergelijking",
    remove: "Verwijder", selected: "Geselecteerd", clear: "Wissen", zoom_to: "Zoom naar",
    typology_na: "Typologie nog niet beschikbaar", pooled: "berekend uit deelgebieden",
    year_short: "jaar", pdf_busy: "PDF wordt gemaakt…", error: "Fout", no_results: "Geen resultaten",
    change_unit_pp: "%-punt", legend: "Legenda", legend_hide: "Legenda inklappen", legend_show: "Legenda uitklappen",
    auto_level: "Deze weergave bestaat alleen per {to}: het niveau is automatisch van {from} naar {to} gezet."
  },
  en: {
    title: "Social map", subtitle: "Neighbourhood resilience", search: "Search area",
    search_ph: "Search by name or code", controls: "Map settings", map: "Map", close: "Close",
    indicator: "Indicator", mode: "View", year: "Year", year_from: "From year", ref: "Compare with", ref_gemeente: "own municipality", ref_country: "the Netherlands",
    level: "Level", version: "Area division", region: "Region", whole: "All", export: "Export",
    export_csv: "CSV", export_xls: "CSV (Excel)", export_geojson: "GeoJSON", export_png: "PNG", export_pdf: "PDF",
    hint: "Click an area for its profile. Ctrl/⌘-click adds areas to compare.",
    lang_toggle: "Nederlands", lang_toggle_aria: "Schakel naar Nederlands",
    level_gemeente: "Municipality", level_wijk: "District", level_buurt: "Neighbourhood", level_pc4: "Postcode 4",
    levels_gemeente: "municipalities", levels_wijk: "districts", levels_buurt: "neighbourhoods", levels_pc4: "postcode areas",
    suppressed: "Suppressed (small numbers)", missing: "No data", unreliable: "Uncertain (faded)",
    pooled_note: "Classes set on all years pooled: a colour means the same in every year.",
    source: "Source", unit: "Unit", loading: "Loading…", not_available: "Not available",
    no_geometry: "The database holds no boundaries for this level.",
    profile: "Profile", codes: "Codes", key_figures: "Key figures", trend: "Trend",
    this_area: "This area", gemeente: "Municipality", country: "Netherlands", typology: "Typology",
    more_notes: "More notes", rule: "Reason", reliability: "Reliability", sources: "Sources and vintages", no_notes: "Nothing to note.",
    add_compare: "Add to comparison", compare: "Compare", compare_title: "Comparison",
    remove: "Remove", selected: "Selected", clear: "Clear", zoom_to: "Zoom to",
    typology_na: "Typology not available yet", pooled: "computed from sub-areas",
    year_short: "year", pdf_busy: "Making PDF…", error: "Error", no_results: "No results",
    change_unit_pp: "%-points", legend: "Legend", legend_hide: "Collapse legend", legend_show: "Expand legend",
    auto_level: "This view exists per {to} only: the level was switched from {from} to {to} automatically."
  }
};
window.t = function (key) {
  const lang = (window.APP && window.APP.state.lang) || "nl";
  return (window.I18N[lang] && window.I18N[lang][key]) || window.I18N.nl[key] || key;
};
