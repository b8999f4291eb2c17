"""The indicator registry: the open-data core set of METHOD.md with labels, unit and polarity.

``kind`` decides how an indicator is aggregated and harmonised (see ``store.schema.KINDS``);
``scale`` turns numerator/denominator into the published unit (100 for %, 1000 for per 1,000).
``higher_is_worse`` is the polarity used for colours and for the typology; ``None`` = neutral.
"""
from __future__ import annotations

import pandas as pd

__all__ = ["CORE_INDICATORS", "registry_frame", "label", "get", "unit_in", "UNIT_EN"]


def _ind(id, label_nl, label_en, unit, kind, scale, worse, num="", den="", source="",
         desc_nl="", desc_en="", restricted=False):
    return dict(id=id, label_nl=label_nl, label_en=label_en, unit=unit, kind=kind, scale=scale,
                higher_is_worse=worse, numerator_nl=num, denominator_nl=den, source=source,
                description_nl=desc_nl, description_en=desc_en, restricted=restricted)


_LBM_NOTE_NL = "Afwijking van het landelijke referentieniveau; Leefbaarometer 3.0."
_LBM_NOTE_EN = "Deviation from the national reference level; Leefbaarometer 3.0."

CORE_INDICATORS: list[dict] = [
    _ind("corp_share", "Woningen in bezit van corporaties", "Dwellings owned by housing associations",
         "%", "rate", 100, None, "corporatiewoningen", "woningen", "CBS KWB p_wcorpw; OIS; eigen bezit",
         "Aandeel van alle woningen dat eigendom is van een woningcorporatie.",
         "Share of all dwellings owned by a housing association."),
    _ind("low_income", "Huishoudens met laag inkomen", "Low-income households", "%", "rate", 100, True,
         "huishoudens met laag inkomen", "particuliere huishoudens", "CBS KWB p_hh_li",
         "Huishoudens in de laagste 40% (KWB) of 20% van de landelijke inkomensverdeling.",
         "Households in the national lowest 40% (KWB) or 20% of incomes."),
    _ind("social_minimum", "Huishoudens rond sociaal minimum", "Households at the social minimum", "%",
         "rate", 100, True, "huishoudens onder of rond het sociaal minimum", "particuliere huishoudens",
         "CBS KWB p_hh_osm",
         "Huishoudens met een inkomen onder of rond het sociaal minimum (CBS: tot 101%; METHOD.md noemt ~110%, "
         "KWB p_hh_110).",
         "Households with an income below or around the social minimum (CBS: up to 101%; METHOD.md's ~110% is "
         "KWB p_hh_110)."),
    _ind("bijstand", "Bijstandsontvangers", "Social assistance recipients", "per 1.000 inwoners", "rate",
         1000, True, "personen met bijstand", "inwoners", "CBS KWB a_soz_wb; gemeentelijke registratie",
         "Personen met een bijstandsuitkering per 1.000 inwoners.",
         "Persons on social assistance per 1,000 residents."),
    _ind("bijstand_15_64", "Bijstand (15–64 jaar)", "Social assistance (age 15–64)", "%", "rate", 100,
         True, "personen met bijstand", "inwoners 15–64 jaar", "gemeentelijke registratie (OIS)",
         "Percentage van de 15–64-jarigen met een bijstandsuitkering.",
         "Share of residents aged 15–64 on social assistance."),
    # OIS counts benefits (uitkeringen, per household), not persons, and has no denominator per
    # buurtcombinatie in the same table: a count of its own, not the per-1,000 rate `bijstand`.
    _ind("bijstand_benefits", "Bijstandsuitkeringen", "Social assistance benefits", "aantal", "count", 1,
         True, source="Gemeente Amsterdam, OIS (DWI)",
         desc_nl="Aantal lopende bijstandsuitkeringen (WWB/Participatiewet) op de peildatum.",
         desc_en="Number of running social assistance benefits on the reference date."),
    _ind("bijstand_per_100_dwellings", "Bijstandsuitkeringen per 100 woningen", "Social assistance benefits per 100 dwellings",
         "per 100 woningen", "rate", 100, True, "bijstandsuitkeringen (huishoudens)", "woningen",
         "afgeleid: gemeentelijke registratie / woningvoorraad",
         "Afgeleid waar geen inwoners- of huishoudenstal per jaar bekend is (Amsterdam OIS 2005–2017). Een "
         "uitkering geldt per huishouden; de definitie van de telling verschilt per jaar (zie flags).",
         "Derived where no residents or households per year are known (Amsterdam OIS 2005–2017). One benefit "
         "per household; the count's definition differs between years (see flags)."),
    _ind("psych", "Zelfstandig wonend met psychische problematiek",
         "Living independently with psychiatric problems", "%", "rate", 100, True, "personen", "inwoners",
         "WoonZorgwijzer", restricted=True),
    _ind("lvb", "Zelfstandig wonend met licht verstandelijke beperking",
         "Living independently with light intellectual disability", "%", "rate", 100, True, "personen",
         "inwoners", "WoonZorgwijzer", restricted=True),
    _ind("dementia", "Zelfstandig wonend met dementie", "Living independently with dementia", "%", "rate",
         100, True, "personen", "inwoners", "WoonZorgwijzer", restricted=True),
    _ind("refugee_origin", "Geboren in Syrië, Eritrea, Ethiopië, Irak of Iran",
         "Born in Syria, Eritrea, Ethiopia, Iraq or Iran", "%", "rate", 100, None, "personen", "inwoners",
         "CBS microdata", restricted=True),
    _ind("students", "Studenten", "Students", "%", "rate", 100, None, "studenten", "inwoners", "CBS / DUO"),
    # `lbm` holds the deviation (afw), not the score: its label says so (it read "totaalscore" until
    # issue 9; stores written before get the new labels when opened for writing)
    _ind("lbm", "Leefbaarometer: totaal (afwijking)", "Liveability (Leefbaarometer): total (deviation)", "afwijking",
         "score", 1, False, source="Leefbaarometer 3.0 (afw)", desc_nl=_LBM_NOTE_NL, desc_en=_LBM_NOTE_EN),
    _ind("lbm_won", "Leefbaarometer: woningvoorraad", "Liveability: housing stock", "afwijking", "score", 1,
         False, source="Leefbaarometer 3.0", desc_nl=_LBM_NOTE_NL, desc_en=_LBM_NOTE_EN),
    _ind("lbm_fys", "Leefbaarometer: fysieke omgeving", "Liveability: physical environment", "afwijking",
         "score", 1, False, source="Leefbaarometer 3.0", desc_nl=_LBM_NOTE_NL, desc_en=_LBM_NOTE_EN),
    _ind("lbm_vrz", "Leefbaarometer: voorzieningen", "Liveability: amenities", "afwijking", "score", 1,
         False, source="Leefbaarometer 3.0", desc_nl=_LBM_NOTE_NL, desc_en=_LBM_NOTE_EN),
    _ind("lbm_soc", "Leefbaarometer: sociale samenhang", "Liveability: social cohesion", "afwijking",
         "score", 1, False, source="Leefbaarometer 3.0", desc_nl=_LBM_NOTE_NL, desc_en=_LBM_NOTE_EN),
    _ind("lbm_onv", "Leefbaarometer: overlast en onveiligheid", "Liveability: nuisance and unsafety",
         "afwijking", "score", 1, False, source="Leefbaarometer 3.0", desc_nl=_LBM_NOTE_NL,
         desc_en=_LBM_NOTE_EN),
    _ind("lbm_score", "Leefbaarometer: totaalscore (absoluut)", "Liveability (Leefbaarometer): total score (absolute)",
         "score", "score", 1,
         False, source="Leefbaarometer 3.0 (lbm)",
         desc_nl="De gepubliceerde totaalscore (ca. 3,5–4,5); de afwijking t.o.v. landelijk staat in 'lbm'.",
         desc_en="The published total score (about 3.5–4.5); the deviation from national is 'lbm'."),
    _ind("lbm_class", "Leefbaarometer: klasse (1–9)", "Liveability class (1–9)", "klasse", "class", 1,
         False, source="Leefbaarometer 3.0",
         desc_nl="1 zeer onvoldoende … 9 uitstekend; 'mindere leefbaarheid' = zwak of slechter.",
         desc_en="1 very poor … 9 excellent; 'weak liveability' = class zwak or worse."),
    # Leefbaarometer 2.0 dimensions that 3.0 replaced: not the same quantity as lbm_soc / lbm_onv.
    _ind("lbm2_bew", "Leefbaarometer 2.0: bewoners", "Liveability 2.0: residents", "afwijking", "score", 1,
         False, source="Leefbaarometer 2.0",
         desc_nl="Dimensie 'bewoners' van model 2.0; niet vergelijkbaar met 'sociale samenhang' (3.0).",
         desc_en="Model 2.0 dimension 'residents'; not comparable with 'social cohesion' (3.0)."),
    _ind("lbm2_vei", "Leefbaarometer 2.0: veiligheid", "Liveability 2.0: safety", "afwijking", "score", 1,
         False, source="Leefbaarometer 2.0",
         desc_nl="Dimensie 'veiligheid' van model 2.0; niet vergelijkbaar met 'overlast en onveiligheid' (3.0).",
         desc_en="Model 2.0 dimension 'safety'; not comparable with 'nuisance and unsafety' (3.0)."),
    _ind("crime_rate", "Geregistreerde misdrijven", "Registered crimes", "per 1.000 inwoners", "rate",
         1000, True, "misdrijven", "inwoners", "Politie via CBS (47022NED)"),
    _ind("health_good", "Goed ervaren gezondheid", "Good self-rated health", "%", "rate", 100, False,
         "personen", "volwassenen", "RIVM/GGD Gezondheidsmonitor (50150NED)"),
    _ind("safety_index", "Veiligheidsindex", "Safety index", "index (stad = 100)", "score", 1, True,
         source="Gemeente Amsterdam, OIS Veiligheidsindex",
         desc_nl="Hoger is onveiliger; stad 2014 = 100.", desc_en="Higher is less safe; city 2014 = 100."),
    _ind("nuisance", "Overlast (veiligheidsindex)", "Nuisance (safety index)", "index (stad = 100)", "score",
         1, True, source="Gemeente Amsterdam, OIS Veiligheidsindex"),
    _ind("fear_of_crime", "Angst voor criminaliteit", "Fear of crime", "index (stad = 100)", "score", 1,
         True, source="Gemeente Amsterdam, OIS Veiligheidsindex"),
    _ind("ses_woa", "SES-WOA-score", "Socio-economic status (SES-WOA)", "score", "score", 1, False,
         source="CBS SES-WOA (85163NED)",
         desc_nl="Sociaal-economische status op basis van welvaart, opleiding en arbeid.",
         desc_en="Socio-economic status from wealth, education and employment."),
    _ind("dwellings", "Woningen", "Dwellings", "aantal", "count", 1, None, source="CBS KWB a_woning; OIS"),
    _ind("corp_dwellings", "Corporatiewoningen", "Housing-association dwellings", "aantal", "count", 1, None,
         source="OIS; CBS KWB (afgeleid)"),
    _ind("corp_share_200m", "Corporatiewoningen binnen 200 m", "Housing-association dwellings within 200 m",
         "%", "rate", 100, None, "corporatiewoningen binnen 200 m", "woningen binnen 200 m",
         "afgeleid: CBS-vierkanten 100 m (veerkracht grid surroundings)",
         "Directe woonomgeving: corporatiewoningen gedeeld door woningen, beide opgeteld over de 100 m-vierkanten "
         "waarvan het middelpunt binnen 200 m van het middelpunt van het vierkant ligt (13 vierkanten, het "
         "vierkant zelf meegeteld); het jaar is dat van de vierkantstatistiek.",
         "Direct surroundings: housing-association dwellings over dwellings, both summed across the 100 m cells "
         "whose centre lies within 200 m of the cell's centre (13 cells, the cell itself included); the year is "
         "that of the grid statistics."),
    _ind("residents", "Inwoners", "Residents", "aantal", "count", 1, None, source="CBS KWB a_inw; OIS"),
    _ind("households", "Huishoudens", "Households", "aantal", "count", 1, None, source="CBS KWB a_hh"),
    _ind("owner_occupied", "Koopwoningen", "Owner-occupied dwellings", "%", "rate", 100, None,
         "koopwoningen", "woningen", "CBS KWB p_koopw"),
    _ind("woz", "Gemiddelde WOZ-waarde", "Mean property value (WOZ)", "x 1.000 euro", "score", 1, False,
         source="CBS KWB g_wozbag"),
]

_BY_ID = {d["id"]: d for d in CORE_INDICATORS}


def registry_frame() -> pd.DataFrame:
    return pd.DataFrame(CORE_INDICATORS)


def get(indicator_id: str) -> dict:
    return _BY_ID[indicator_id]


# the registry's units are Dutch; their English form for --lang en and the map's English view
UNIT_EN = {
    "aantal": "count", "afwijking": "deviation", "score": "score", "klasse": "class", "%": "%",
    "per 1.000 inwoners": "per 1,000 residents", "per 100 woningen": "per 100 dwellings",
    "index (stad = 100)": "index (city = 100)", "x 1.000 euro": "x 1,000 euros",
}


def unit_in(unit: str | None, lang: str = "nl") -> str:
    """A unit in the user's language (units not in :data:`UNIT_EN` are shown as stored)."""
    unit = unit or ""
    return UNIT_EN.get(unit, unit) if lang == "en" else unit


def label(indicator_id: str, lang: str = "nl") -> str:
    d = _BY_ID.get(indicator_id)
    if d is None:
        return indicator_id
    return d["label_en"] if lang == "en" else d["label_nl"]
