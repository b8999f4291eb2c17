"""Readable words for the ids facts carry: sources and flags, in Dutch and English.

One owner of the flag vocabulary for every output: which flags make a value uncertain or an
estimate, and their words — for the map's profile and legend, the report and its appendix. A reader must never
meet ``bbga+aggregated`` or ``partial_coverage``: sources get their publisher's name, flags a short
word and an explanation.
"""
from __future__ import annotations

__all__ = ["UNRELIABLE_FLAGS", "ESTIMATE_FLAGS", "SOURCE_NAMES", "FLAG_NAMES", "source_name", "clean_sources",
           "flag_name", "flag_glossary",
           "flag_meaning"]

#: source id → (nl, en); unknown ids are shown as they are
SOURCE_NAMES = {
    "ois-woningvoorraad": ("Gemeente Amsterdam, OIS woningvoorraad", "City of Amsterdam, OIS housing stock"),
    "ois-bijstand": ("Gemeente Amsterdam, OIS bijstand", "City of Amsterdam, OIS social assistance"),
    "ois-veiligheidsindex": ("Gemeente Amsterdam, OIS veiligheidsindex", "City of Amsterdam, OIS safety index"),
    "bbga": ("Gemeente Amsterdam, BBGA", "City of Amsterdam, BBGA"),
    "leefbaarometer-3.0": ("Leefbaarometer 3.0 (BZK)", "Leefbaarometer 3.0 (BZK)"),
    "cbs-kwb": ("CBS Kerncijfers wijken en buurten", "CBS Key figures districts and neighbourhoods"),
    "cbs-ses-woa": ("CBS SES-WOA", "CBS SES-WOA"),
    "derived": ("afgeleid", "derived"),
}
_STEPS = {"aggregated": ("opgeteld uit buurten", "summed from buurten"),
          "harmonised": ("omgerekend naar deze indeling", "converted to this geography")}

#: flags that make a known value uncertain: drawn faded, never as a plain colour
UNRELIABLE_FLAGS = {"pct_over_100", "unreliable", "partial_coverage", "incomplete",
                    "split_estimate", "negative_value", "implausible",
                    "stale"}   # derived from facts a later load replaced: re-run harmonise/aggregate
#: a model estimate by design (every Leefbaarometer score is ``approx``): coloured like any value,
#: said once in the legend; hatching it would hatch whole maps and hide the truly doubtful ones
ESTIMATE_FLAGS = {"approx", "imputed"}

#: flag token → (nl, en); ``def:<column>`` and ``cbs_marker:<m>`` are handled by :func:`flag_name`
FLAG_NAMES = {
    "suppressed": ("onderdrukt", "suppressed"),
    "harmonised": ("omgerekend", "converted"),
    "aggregated": ("opgeteld", "summed"),
    "derived": ("afgeleid", "derived"),
    "approx": ("benadering", "approximation"),
    "num_from_pct": ("teller uit percentage", "numerator from percentage"),
    "partial_coverage": ("deels gedekt", "partly covered"),
    "incomplete": ("onvolledig", "incomplete"),
    "split_estimate": ("geschat bij splitsing", "split estimate"),
    "zero_denominator": ("noemer nul", "zero denominator"),
    "missing": ("geen waarde", "no value"),
    "woz_eur_to_k": ("omgezet naar × 1.000 euro", "converted to × 1,000 euro"),
    "pct_over_100": ("percentage boven 100", "percentage above 100"),
    "negative_value": ("negatieve waarde", "negative value"),
    "implausible": ("onwaarschijnlijke waarde", "implausible value"),
    "stale": ("verouderd", "stale"),
    "cbs_marker": ("CBS: geen cijfer", "CBS: no figure"),
    "def": ("telling volgens bronkolom", "count by source column"),
}
#: what each flag means, for the appendix glossary (nl, en)
_GLOSSARY = {
    "suppressed": ("onderdrukt: de waarde rust op kleine aantallen en wordt niet getoond",
                   "suppressed: the value rests on small numbers and is not shown"),
    "harmonised": ("met een koppeltabel omgerekend uit een andere gebiedsindeling",
                   "converted from another geography with a crosswalk"),
    "aggregated": ("opgeteld uit kleinere gebieden", "summed from smaller areas"),
    "derived": ("berekend uit andere indicatoren (teller en noemer uit verschillende bronnen)",
                "computed from other indicators (numerator and denominator from different sources)"),
    "approx": ("benadering: de bron geeft geen exacte teller of noemer", "approximation: the source gives no exact "
               "numerator or denominator"),
    "num_from_pct": ("de teller is teruggerekend uit een percentage en de noemer",
                     "the numerator was recomputed from a percentage and the denominator"),
    "partial_coverage": ("niet alle brongebieden van dit gebied hebben een waarde; de waarde dekt een deel",
                         "not all source areas of this area have a value; the value covers part of it"),
    "incomplete": ("berekend over de bekende deelgebieden", "computed over the known sub-areas only"),
    "split_estimate": ("een gesplitst gebied, naar oppervlak of adressen verdeeld",
                       "a split area, divided by area or addresses"),
    "zero_denominator": ("de noemer is nul: geen waarde te berekenen", "the denominator is zero: no value"),
    "missing": ("de bron geeft geen waarde", "the source gives no value"),
    "woz_eur_to_k": ("bedrag in euro omgezet naar duizenden euro", "amount in euro converted to thousands"),
    "pct_over_100": ("de bron geeft een percentage boven 100", "the source gives a percentage above 100"),
    "negative_value": ("de bron geeft een negatieve waarde", "the source gives a negative value"),
    "implausible": ("onwaarschijnlijke waarde in de bron", "implausible value in the source"),
    "stale": ("afgeleid uit cijfers die een latere lading heeft vervangen; opnieuw omrekenen (harmonise) "
              "werkt het bij", "derived from figures a later load replaced; harmonising again updates it"),
    "cbs_marker": ("CBS geeft geen cijfer (geheim of onbekend)", "CBS gives no figure (confidential or unknown)"),
    "def": ("de telling komt uit de genoemde bronkolom; de definitie verschilt tussen jaren",
            "the count comes from the named source column; the definition differs between years"),
}


def _i(lang: str) -> int:
    return 1 if lang == "en" else 0


def source_name(source: str, lang: str = "nl") -> str:
    """``'bbga+aggregated'`` → ``'Gemeente Amsterdam, BBGA (opgeteld uit buurten)'``."""
    head, *steps = str(source).split("+")
    name = SOURCE_NAMES.get(head, (head, head))[_i(lang)]
    extra = [_STEPS.get(s, (s, s))[_i(lang)] for s in dict.fromkeys(steps) if s]
    return name + (f" ({', '.join(extra)})" if extra else "")


def clean_sources(sources, lang: str = "nl") -> str:
    """Readable, de-duplicated source names, e.g. ``['bbga', 'bbga+aggregated']`` →
    ``'Gemeente Amsterdam, BBGA; Gemeente Amsterdam, BBGA (opgeteld uit buurten)'``."""
    names = list(dict.fromkeys(source_name(s, lang) for s in sources if str(s)))
    return "; ".join(names)


def _key(flag: str) -> tuple[str, str]:
    key, _, arg = str(flag).partition(":")
    return key, arg


def flag_name(flag: str, lang: str = "nl") -> str:
    """A flag token in words: ``'partial_coverage'`` → ``'deels gedekt'``; ``'def:wwb_x'`` → ``'… (wwb x)'``."""
    key, arg = _key(flag)
    word = FLAG_NAMES.get(key, (key.replace("_", " "),) * 2)[_i(lang)]
    return f"{word} ‘{arg.replace('_', ' ')}’" if arg else word


def flag_glossary(flags, lang: str = "nl") -> list[str]:
    """One line per distinct flag kind in ``flags``: the short word and what it means."""
    out = []
    for key in dict.fromkeys(_key(f)[0] for f in flags):
        word = FLAG_NAMES.get(key, (key.replace("_", " "),) * 2)[_i(lang)]
        meaning = _GLOSSARY.get(key)
        out.append(f"{word}: {meaning[_i(lang)]}" if meaning else word)
    return out


def flag_meaning(flag: str, lang: str = "nl") -> str:
    """What a flag token means, in a sentence (falls back to its short word)."""
    key, arg = _key(flag)
    meaning = _GLOSSARY.get(key)
    text = meaning[_i(lang)] if meaning else flag_name(flag, lang)
    return f"{text} ({arg.replace('_', ' ')})" if arg and meaning else text
