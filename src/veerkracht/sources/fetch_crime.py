"""Registered crime per wijk and buurt (Politie via CBS, OData v3) → ``crimes`` counts per year.

The tables have three dimensions — ``WijkenEnBuurten``, ``Perioden`` and ``SoortMisdrijf`` — and a
topic ``GeregistreerdeMisdrijven_<n>``. Only the total of all kinds (``SoortMisdrijf`` ``0.0.0``) is
read. A period ``2023JJ00`` is a year; monthly periods ``2023MM01`` … are summed per year, and a
year with fewer than twelve months gets the flag ``partial_year:<n>m`` (the count is the sum of the
months there are, not an annual figure). The crime *rate* needs residents: derive it in the store
with :func:`veerkracht.indicators.derive.derive_rate` (``crime_rate`` = ``crimes`` / ``residents``).

The tables live on ``dataderden.cbs.nl`` (see :mod:`veerkracht.sources.public`); pass ``table=`` to choose
47018NED (annual) instead of the default 47022NED (monthly).
"""
from __future__ import annotations

import re

import pandas as pd

from ..errors import InputError
from ..store.base import Batch, Provenance
from .cbs_odata import ODataClient, parse_location
from .download import DownloadCache
from .fetch import region_filter, restrict
from .public import CRIME_TABLES, Services

__all__ = ["fetch_crime", "CRIMES_INDICATOR"]

CRIMES_INDICATOR = pd.DataFrame([{
    "id": "crimes", "label_nl": "Geregistreerde misdrijven (aantal)", "label_en": "Registered crimes (count)",
    "unit": "aantal", "kind": "count", "scale": 1.0, "higher_is_worse": True, "numerator_nl": "",
    "denominator_nl": "", "source": "Politie via CBS", "description_nl": "Alle soorten misdrijven (0.0.0).",
    "description_en": "All kinds of crime (0.0.0).", "restricted": False}])


def fetch_crime(years: list[int], cache: DownloadCache, services: Services = Services(),
                region: list[str] | None = None, table: str = CRIME_TABLES["monthly"], geo_version: str | None = None,
                progress=None) -> Batch:
    """Registered crimes per area and year (total of all kinds) from a Politie/CBS table.

    ``geo_version`` is the indeling of the table's codes; default ``cbs<year>`` of each year.
    """
    _, base, table = parse_location(f"cbs:{table}", "v3", services.crime_odata())
    url = f"{base}/{table}"
    client = ODataClient(transport=cache.transport(), retries=cache.retries, backoff=cache.backoff)
    try:
        props = client.collect(f"{url}/DataProperties", {"$format": "json"})
        keys = {p.get("Type"): p.get("Key") for p in props if p.get("Type") in ("GeoDimension", "TimeDimension")}
        topic = next((p["Key"] for p in props if p.get("Type") == "Topic"
                      and re.sub(r"_\d+$", "", str(p.get("Key"))) == "GeregistreerdeMisdrijven"), None)
        kind = next((p["Key"] for p in props if p.get("Type") == "Dimension"
                     and "misdrijf" in str(p.get("Key")).lower()), None)
        if topic is None or kind is None or len(keys) < 2:
            found = ", ".join(f"{p.get('Type')}:{p.get('Key')}" for p in props if p.get("Key"))
            raise InputError(f"{url}/DataProperties", "expected dimensions WijkenEnBuurten, Perioden, SoortMisdrijf "
                                                      f"and topic GeregistreerdeMisdrijven; the table has: {found}")
        geo, period = keys["GeoDimension"], keys["TimeDimension"]
        terms = [f"{kind} eq '0.0.0 '"] + ([f"({region_filter(region, geo)})"] if region else [])
        rows = client.collect(f"{url}/TypedDataSet", {"$format": "json", "$filter": " and ".join(terms)}, progress)
        checksum = client.checksum
    finally:
        client.close()
    df = pd.DataFrame(rows)
    if df.empty:
        raise InputError(f"{url}/TypedDataSet", "the answer holds no rows")
    df = df[df[kind].astype(str).str.strip() == "0.0.0"]        # the service may ignore $filter
    p = df[period].astype(str).str.strip()
    df = df.assign(code=df[geo].astype(str).str.strip().str.upper(), year=pd.to_numeric(p.str[:4]),
                   annual=p.str[4:6] == "JJ", n=pd.to_numeric(df[topic], errors="coerce"))
    df = df[df["year"].isin([int(y) for y in years])]
    annual = df[df["annual"]].groupby(["code", "year"])["n"].sum(min_count=1)
    monthly = df[~df["annual"]].groupby(["code", "year"])["n"].agg(["sum", "count"])
    out = pd.DataFrame({"value": monthly["sum"], "months": monthly["count"]})
    out = out[~out.index.isin(annual.index)]
    out["flags"] = ["" if m == 12 else f"partial_year:{m}m" for m in out["months"]]
    facts = pd.concat([annual.rename("value").to_frame().assign(flags=""), out[["value", "flags"]]]).reset_index()
    facts = facts.assign(geo_version=geo_version or ("cbs" + facts["year"].astype(int).astype(str)), indicator="crimes",
                         source="politie-cbs", year=facts["year"].astype(int))
    prov = Provenance("politie-cbs", f"{url}/TypedDataSet", checksum, f"Politie via CBS {table}",
                      {"years": sorted(int(y) for y in years), "table": table})
    return restrict(Batch(prov, facts=facts, indicators=CRIMES_INDICATOR), region)
