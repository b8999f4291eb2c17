"""Reader ``cbs-odata``: a client of the CBS OData API for the Kerncijfers wijken en buurten tables.

Two API generations are spoken:

- **v3** (``https://opendata.cbs.nl/ODataFeed/odata/<table>``): ``DataProperties`` describes the
  columns (``Type``, ``Key``, ``Title``, ``Unit`` …), ``TypedDataSet`` holds one row per region with
  one key per measure (``AantalInwoners_5``, ``InBezitWoningcorporatie_42`` …); pages are chained by
  ``odata.nextLink``. ``ODataFeed`` is the default because ``ODataApi`` refuses answers over 10,000
  rows; a location naming ``…/ODataApi/…`` is used as given.
- **v4** (``https://datasets.cbs.nl/odata/v1/CBS/<table>``): ``MeasureCodes`` and ``Dimensions``
  describe the table, ``Observations`` holds one row per region and measure (``Measure``, ``Value``,
  ``ValueAttribute``); pages are chained by ``@odata.nextLink``.

Measures are matched to the KWB short names of ``_kwb_mapping`` — v3 by the ``Key`` without its
``_NN`` suffix (the number differs per year), v4 by the measure title — and only when the ``Unit``
is the one the mapping expects (else skipped, with a warning). A ``null`` value is StatLine's ``.``
and gives a fact with value NaN and flag ``cbs_marker:.``; a v4 ``ValueAttribute`` other than
``None`` adds the flag ``cbs_attr:<attribute>``.

Examples
--------
>>> from veerkracht.sources import read
>>> batch = read("cbs-odata", "cbs:85984NED")                  # doctest: +SKIP
>>> batch = read("cbs-odata", "cbs:86165NED", api="v4",        # doctest: +SKIP
...              progress=lambda done, total: print(done, total))
"""
from __future__ import annotations

import hashlib
import json
import re
import time
from typing import Callable, Iterator
from urllib.parse import urljoin

import httpx
import pandas as pd

from ..errors import InputError
from ..store.base import Batch, Provenance
from ..store.schema import merge_flags
from ._kwb_mapping import BY_SHORT, ODATA_KEY_TO_SHORT, TITLE_TO_SHORT, areas_and_facts, canonical_text, strip_key_suffix
from .base import reader

__all__ = ["read_odata", "ODataClient", "KWB_TABLE_YEARS", "V3_BASE", "V4_BASE", "parse_location"]

V3_BASE = "https://opendata.cbs.nl/ODataFeed/odata"
V4_BASE = "https://datasets.cbs.nl/odata/v1/CBS"
# The KWB table of each year (CBS StatLine identifiers): the year when the table has no period column.
KWB_TABLE_YEARS = {
    "82339NED": 2013, "82931NED": 2014, "83220NED": 2015, "83487NED": 2016, "83765NED": 2017,
    "84286NED": 2018, "84583NED": 2019, "84799NED": 2020, "85039NED": 2021, "85318NED": 2022,
    "85618NED": 2023, "85984NED": 2024, "86165NED": 2025,
}
_TABLE_RE = re.compile(r"^[0-9]{5}[A-Z]{3}$", re.I)


class ODataClient:
    """GET with bounded retries and backoff, paging by nextLink, a record of every raw answer.

    Retries on timeouts, connection errors, 429 and 5xx (``retries`` times, waiting
    ``backoff * 2**attempt`` seconds, at most ``max_wait``); any other 4xx is an :class:`InputError`.
    """

    def __init__(self, timeout: float = 30.0, retries: int = 4, backoff: float = 0.5, max_wait: float = 8.0,
                 transport: httpx.BaseTransport | None = None, max_pages: int = 10_000,
                 max_answer_bytes: int = 512 * 2**20):
        self.http = httpx.Client(timeout=timeout, follow_redirects=True, transport=transport,
                                 headers={"Accept": "application/json"})
        self.retries, self.backoff, self.max_wait = retries, backoff, max_wait
        self.max_pages, self.max_answer_bytes = max_pages, max_answer_bytes
        self.raw: list[bytes] = []
        self.attempts = 0

    def _body(self, r: httpx.Response, url: str) -> bytes:
        """The (decompressed) body, read in pieces and stopped at ``max_answer_bytes``."""
        parts, n = [], 0
        for piece in r.iter_bytes():
            n += len(piece)
            if n > self.max_answer_bytes:
                raise InputError(url, f"the answer exceeds {self.max_answer_bytes / 2**20:,.0f} MiB (after "
                                      "decompression): not a CBS OData page; pass max_answer_bytes= if it is")
            parts.append(piece)
        return b"".join(parts)

    def close(self) -> None:
        self.http.close()

    def get_json(self, url: str, params: dict | None = None) -> dict:
        last = ""
        for attempt in range(self.retries + 1):
            self.attempts += 1
            try:
                with self.http.stream("GET", url, params=params) as r:
                    body = self._body(r, url)
            except (httpx.TimeoutException, httpx.TransportError, httpx.DecodingError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                text = body[:200].decode("utf-8", errors="replace")
                if r.status_code < 400:
                    self.raw.append(body)
                    try:
                        doc = json.loads(body)
                    except ValueError:
                        raise InputError(url, f"answer is not JSON: {text[:120]!r}") from None
                    if not isinstance(doc, dict):
                        raise InputError(url, f"answer is JSON but not an OData object: {text[:120]!r}")
                    return doc
                if r.status_code < 500 and r.status_code != 429:
                    raise InputError(url, f"HTTP {r.status_code}: {text}")
                last = f"HTTP {r.status_code}"
            if attempt < self.retries:
                time.sleep(min(self.backoff * 2 ** attempt, self.max_wait))
        raise InputError(url, f"no answer after {self.retries + 1} attempts; last: {last}")

    def pages(self, url: str, params: dict | None = None,
              progress: Callable[[int, int | None], None] | None = None) -> Iterator[list[dict]]:
        """Yield the ``value`` list of each page, following ``odata.nextLink``/``@odata.nextLink``."""
        done, seen = 0, set()
        while url:
            key = (url, tuple(sorted((params or {}).items())))
            if key in seen:
                raise InputError(url, f"the answer's nextLink points back to a page already read (after {len(seen)} "
                                      "pages): the server loops; stopped")
            if len(seen) >= self.max_pages:
                raise InputError(url, f"more than {self.max_pages} pages: stopped (pass max_pages= for a "
                                      "bigger table)")
            seen.add(key)
            doc = self.get_json(url, params)
            rows = doc.get("value") if isinstance(doc, dict) else None
            if not isinstance(rows, list):
                raise InputError(url, "answer has no 'value' list (not an OData collection)")
            done += len(rows)
            if progress is not None:
                total = doc.get("odata.count", doc.get("@odata.count"))
                progress(done, int(total) if total is not None else None)
            yield rows
            nxt = doc.get("odata.nextLink") or doc.get("@odata.nextLink")
            if nxt is not None and not isinstance(nxt, str):
                raise InputError(url, f"nextLink is not a URL: {nxt!r}")
            if nxt and not rows:
                raise InputError(url, "an empty page with a nextLink: the server would page forever; stopped")
            url, params = (urljoin(url, nxt), None) if nxt else (None, None)

    def collect(self, url: str, params: dict | None = None, progress=None) -> list[dict]:
        return [row for page in self.pages(url, params, progress) for row in page]

    @property
    def checksum(self) -> str:
        return hashlib.sha256(b"".join(self.raw)).hexdigest()


def parse_location(location: str, api: str | None, base_url: str | None) -> tuple[str, str, str]:
    """``(api, base, table)`` from ``cbs:<table>`` or a URL of either API generation."""
    loc = str(location).strip()
    if loc.lower().startswith("cbs:"):
        table = loc[4:].strip()
        api = (api or "v3").lower()
        base = (base_url or (V3_BASE if api == "v3" else V4_BASE)).rstrip("/")
        if base_url and api == "v3" and "/odata" not in base.lower():
            base += "/ODataFeed/odata"      # base_url given as a host only
        elif base_url and api == "v4" and "/odata/v1" not in base.lower():
            base += "/odata/v1/CBS"
    elif loc.lower().startswith(("http://", "https://")):
        m = re.match(r"^(.*?/(?:ODataApi|ODataFeed)/odata)/([^/?]+)", loc, re.I)
        if m:
            api, base, table = "v3", m.group(1), m.group(2)
        else:
            m = re.match(r"^(.*?/CBS)/([^/?]+)", loc)
            if not m:
                raise InputError(loc, "not a CBS OData URL: expected …/ODataApi|ODataFeed/odata/<table> (v3) "
                                      "or …/odata/v1/CBS/<table> (v4)")
            api, base, table = "v4", m.group(1), m.group(2)
    else:
        raise InputError(loc, "location must be cbs:<table id> (e.g. cbs:85984NED) or an OData URL")
    if api not in ("v3", "v4"):
        raise InputError(loc, f"api must be 'v3' or 'v4', not {api!r}")
    if not _TABLE_RE.match(table):
        raise InputError(loc, f"{table!r} is not a CBS table id like 85984NED")
    return api, base, table


def _unit_ok(short: str, unit: str | None) -> bool:
    return unit is None or re.sub(r"\s", "", unit.lower()) in BY_SHORT[short].units


def _period_year(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.astype(str).str.strip().str[:4], errors="coerce")


def _read_v3(client: ODataClient, url: str, filter_: str | None, progress, warnings: list[str]):
    fmt = {"$format": "json"}
    props = client.collect(f"{url}/DataProperties", fmt)
    geo = next((p["Key"] for p in props if p.get("Type") in ("GeoDetail", "GeoDimension")), "WijkenEnBuurten")
    period = next((p["Key"] for p in props if p.get("Type") == "TimeDimension"), None)
    names = {str(c["Key"]).strip(): c.get("Title") for c in client.collect(f"{url}/{geo}", fmt)}
    keys: dict[str, str] = {}                       # short → Key of this table
    for p in props:
        short = ODATA_KEY_TO_SHORT.get(strip_key_suffix(str(p.get("Key", ""))))
        if p.get("Type") != "Topic" or short is None or short in keys:
            continue
        if _unit_ok(short, p.get("Unit")):
            keys[short] = p["Key"]
        else:
            warnings.append(f"{p['Key']}: unit {p.get('Unit')!r} is not the expected "
                            f"{'/'.join(BY_SHORT[short].units)}; skipped")
    rows = client.collect(f"{url}/TypedDataSet", {**fmt, **({"$filter": filter_} if filter_ else {})}, progress)
    if not rows:
        raise InputError(f"{url}/TypedDataSet", "the answer holds no rows")
    df = pd.DataFrame(rows)
    if geo not in df:
        raise InputError(f"{url}/TypedDataSet", "no region column", row=1, column=geo)
    wide = pd.DataFrame({"code": df[geo].astype(str).str.strip().str.upper()})
    wide["name"] = wide["code"].map(names)
    recs = next((c for c in df.columns if strip_key_suffix(c) == "SoortRegio"), None)
    if recs:
        wide["recs"] = df[recs]
    for short, key in keys.items():
        # null is StatLine's "." (no figure); keep it as the marker it is
        wide[short] = canonical_text(df[key].where(df[key].notna(), ".")) if key in df else "."
    labels = {"code": geo, **keys, **({"recs": recs} if recs else {})}
    years = _period_year(df[period]) if period and period in df else None
    return wide, labels, years, None


def _read_v4(client: ODataClient, url: str, filter_: str | None, progress, warnings: list[str]):
    measures = client.collect(f"{url}/MeasureCodes")
    dims = client.collect(f"{url}/Dimensions")
    geo = next((d["Identifier"] for d in dims if d.get("Kind") == "GeoDimension"), "WijkenEnBuurten")
    period = next((d["Identifier"] for d in dims if d.get("Kind") == "TimeDimension"), None)
    names = {str(c["Identifier"]).strip(): c.get("Title") for c in client.collect(f"{url}/{geo}Codes")}
    by_id: dict[str, str] = {}                      # measure identifier → short
    for m in measures:
        short = TITLE_TO_SHORT.get(re.sub(r"\s+", " ", str(m.get("Title", "")).strip().lower()))
        if short is None or short in by_id.values():
            continue
        if _unit_ok(short, m.get("Unit")):
            by_id[m["Identifier"]] = short
        else:
            warnings.append(f"{m['Identifier']} ({m.get('Title')}): unit {m.get('Unit')!r} is not the "
                            f"expected {'/'.join(BY_SHORT[short].units)}; skipped")
    obs = client.collect(f"{url}/Observations", {"$filter": filter_} if filter_ else None, progress)
    if not obs:
        raise InputError(f"{url}/Observations", "the answer holds no observations")
    df = pd.DataFrame(obs)
    for col in ("Measure", "Value", geo):
        if col not in df:
            raise InputError(f"{url}/Observations", "column missing from the observations", row=1, column=col)
    df = df[df["Measure"].isin(list(by_id))].copy()
    df["code"] = df[geo].astype(str).str.strip().str.upper()
    df["short"] = df["Measure"].map(by_id)
    df["year_key"] = _period_year(df[period]) if period and period in df else -1
    dup = df.duplicated(["code", "year_key", "short"])
    if dup.any():
        i = int(df.index[dup.to_numpy().argmax()])
        raise InputError(f"{url}/Observations", f"measure {df.loc[i, 'Measure']} twice for {df.loc[i, 'code']}",
                         row=i + 1, column="Measure")
    df["text"] = canonical_text(df["Value"].where(df["Value"].notna(), "."))
    wide = df.pivot(index=["code", "year_key"], columns="short", values="text").reset_index()
    wide.columns.name = None
    for short in by_id.values():       # a measure absent for a region is missing, not a number
        wide[short] = wide[short].fillna("") if short in wide else ""
    wide["name"] = wide["code"].map(names)
    years = wide["year_key"].where(wide["year_key"] >= 0) if period else None
    attrs = df.get("ValueAttribute", pd.Series("None", index=df.index)).fillna("None").astype(str)
    special = df[~attrs.isin(["None", ""])].assign(attr=attrs)
    attr_flags = pd.DataFrame({"code": special["code"], "year_key": special["year_key"],
                               "indicator": special["short"].map(lambda s: BY_SHORT[s].indicator),
                               "attr_flag": "cbs_attr:" + special["attr"]})
    labels = {"code": geo, **{s: i for i, s in by_id.items()}}
    return wide.drop(columns="year_key"), labels, years, attr_flags


@reader("cbs-odata", help="CBS OData API (v3 TypedDataSet or v4 Observations), KWB tables")
def read_odata(location, year: int | None = None, geo_version: str | None = None, base_url: str | None = None,
               api: str | None = None, filter: str | None = None, progress: Callable | None = None,
               timeout: float = 30.0, retries: int = 4, backoff: float = 0.5, known_codes=None,
               source: str = "cbs-kwb", transport: httpx.BaseTransport | None = None, max_pages: int = 10_000,
               max_answer_bytes: int = 512 * 2**20, decimal: str | None = None, pct_form: str = "auto") -> Batch:
    """Fetch a KWB table from the CBS OData API into areas (no geometry) and facts.

    Parameters
    ----------
    location : ``cbs:<table>`` (with ``api`` 'v3' (default) or 'v4' and optional ``base_url``) or a URL.
    year : the KWB year; default from a period column, else from :data:`KWB_TABLE_YEARS`.
    geo_version : default ``cbs{year}``.
    filter : an OData ``$filter`` passed to the data request (e.g. ``startswith(WijkenEnBuurten,'GM')``).
    progress : ``callable(done, total)`` called after every data page (``total`` None when unknown),
        e.g. ``lambda d, t: bar.update(task, completed=d, total=t)`` for a rich progress bar.
    timeout, retries, backoff : per request; retries on 5xx/429/timeouts with exponential backoff.
    known_codes, source : as for ``cbs-kwb``.
    max_pages : stop with an error after this many pages of one request (a nextLink that points back to
        a page already read stops at once).
    max_answer_bytes : largest answer of one request, after decompression (default 512 MiB).
    decimal, pct_form : as for ``cbs-kwb`` (numbers sent as text, e.g. ``"2.220"``, are ambiguous
        without ``decimal``).
    transport : an ``httpx`` transport (tests).

    The provenance checksum is the sha256 of all raw answers in the order they were read.

    Examples
    --------
    ``veerkracht ingest cbs-odata cbs:85618NED -o api=v3 -o "filter=startswith(WijkenEnBuurten,'GM')"``
    """
    api, base, table = parse_location(location, api, base_url)
    url = f"{base}/{table}"
    # options may arrive as text from the command line (-o timeout=10)
    client = ODataClient(timeout=float(timeout), retries=int(retries), backoff=float(backoff), transport=transport,
                         max_pages=int(max_pages), max_answer_bytes=int(max_answer_bytes))
    warnings: list[str] = []
    try:
        read = _read_v3 if api == "v3" else _read_v4
        wide, labels, years, attr_flags = read(client, url, filter, progress, warnings)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        # an answer of the wrong shape (a row that is no object, a missing Key …): say so, no traceback
        raise InputError(url, f"the answer does not have the shape of a CBS OData {api} table: "
                              f"{type(exc).__name__}: {exc}") from None
    finally:
        client.close()
    if year is not None:
        years = pd.Series(int(year), index=wide.index)
    elif years is None or years.isna().any():
        if table.upper() not in KWB_TABLE_YEARS:
            raise InputError(url, "cannot tell the year: no period column and not a known KWB table; pass year=")
        years = pd.Series(KWB_TABLE_YEARS[table.upper()], index=wide.index)
    wide["year"] = years.astype(int).to_numpy()
    # "row" in errors is the region's position in the answer (v3: its TypedDataSet record)
    areas, facts = areas_and_facts(wide, file=url, first_row=1, source=source, geo_version=geo_version,
                                   known_codes=known_codes, labels=labels, warnings=warnings, decimal=decimal,
                                   pct_form=pct_form)
    if attr_flags is not None and len(attr_flags):
        # the year of an attribute is its period, else the one year of the table
        by_code = dict(zip(wide["code"], wide["year"]))
        attr_flags["year"] = attr_flags["year_key"].where(attr_flags["year_key"] >= 0,
                                                          attr_flags["code"].map(by_code)).astype(int)
        if year is not None:
            attr_flags["year"] = int(year)
        facts = facts.merge(attr_flags.drop(columns="year_key"), on=["code", "year", "indicator"], how="left")
        facts["flags"] = merge_flags(facts["flags"], facts.pop("attr_flag"))
    prov = Provenance("cbs-odata", str(location), client.checksum, f"CBS {table.upper()} (OData {api})",
                      {"api": api, "year": year, "geo_version": geo_version, "filter": filter, "source": source})
    return Batch(prov, areas=areas, facts=facts, warnings=warnings)
