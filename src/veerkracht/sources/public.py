"""Where the public sources live: table ids, download addresses and layer names per year.

Everything a fetch client needs to know about the outside world is here, in one place, so that a
changed address is one edit. :class:`Services` holds the base addresses; ``Services.loopback(url)``
points every one of them at a test server with the same path layout.

What was verified, and how (no internet here; checked against this repository and public code that
uses the services, via the project's search tool):

- KWB table ids 2013–2025: the ids of :data:`~veerkracht.sources.cbs_odata.KWB_TABLE_YEARS`
  (85618NED 2023 and 86165NED 2025 are the tables of the recorded answers in ``tests/data/cbs_odata``;
  85039NED 2021 and 85984NED 2024 are named in ``tests/data/real/SOURCES.md``; 84799NED and 85984NED
  appear in public scripts). 82339NED 2013 … 84583NED 2019 and 85318NED 2022 are **unverified** here.
- PDOK OGC API ``https://api.pdok.nl/cbs/wijken-en-buurten-<year>/ogc/v1`` with collections
  ``buurten``, ``wijken``, ``gemeenten`` and the ``gemeentecode`` filter: seen in public code for
  2022–2025; **unverified** for earlier years (PDOK serves them as WFS/Atom; use ``via='gpkg'``).
- PDOK GeoPackage ``https://service.pdok.nl/cbs/wijkenbuurten/<year>/atom/downloads/
  wijkenbuurten_<year>_v1.gpkg`` (layers ``buurten``, ``wijken``, ``gemeenten``): seen for 2023;
  other years **unverified** (2024 was also seen as ``wijkenbuurten_2024.gpkg``).
- KWB files ``https://www.cbs.nl/-/media/cbs/dossiers/nederland-regionaal/wijk-en-buurtstatistieken/
  _exel/kwb-<year>.xls``: seen for 2013–2020 (``.xls``); the ``.xlsx``/``.csv`` of later years are
  **unverified**. ``.xls`` is read with ``xlrd`` (:mod:`._xls`).
- CBS PC4 ``https://download.cbs.nl/postcode/2023-CBS_pc4_2022_v1.zip`` (GeoPackage
  ``cbs_pc4_2022_v1.gpkg``, layer ``cbs_pc4_2022``, code column ``postcode``): seen for 2022; the
  release prefix of other years is **unverified**.
- CBS grid statistics ``https://download.cbs.nl/vierkant/100/2025-cbs_vk100_2024_v1.zip`` (and
  ``2024-cbs_vk100_2023_v1.zip``; ``/vierkant/500/…`` for 500 m; a GeoPackage inside, id column
  ``crs28992res100m``): seen in several public scripts (search tool, 2026-11-30); a later final release
  is named ``…_vol.zip`` (``2024-cbs_vk100_2021_vol.zip`` seen): pass ``release='vol'``. Other years
  **unverified**.
- Leefbaarometer ``https://www.leefbaarometer.nl/resources/open-data-leefbaarometer-meting-2024.zip``:
  seen for 2024; the file names inside the zip are **unverified** (files are picked by level name).
- KWB table ids 2013–2022 (82339NED … 85318NED) were later checked against several independent public
  scripts that list the ids per year (search tool, 2026-11-30): all ten agree with the table here.
- Registered crime per wijk/buurt (Politie via CBS): not on opendata.cbs.nl but on the third-party
  host ``https://dataderden.cbs.nl/ODataApi/odata/<table>``: 47018NED (annual, ``Perioden`` ``2024JJ00``)
  and 47022NED (monthly, ``2025MM06``), dimensions ``WijkenEnBuurten`` and ``SoortMisdrijf`` (padded to six
  characters, ``'0.0.0 '`` = total), topic ``GeregistreerdeMisdrijven_1`` — seen in several public scripts
  (search tool, 2026-11-30). Pass ``table=`` to choose.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from .cbs_odata import KWB_TABLE_YEARS

__all__ = ["Services", "KWB_TABLES", "LAYERS", "KWB_API", "CRIME_TABLES", "kwb_table"]

KWB_TABLES = {year: table for table, year in KWB_TABLE_YEARS.items()}
# OData generation per KWB year: 86165NED (2025) is recorded in v4 format; older tables are in v3.
# Unverified whether 2025 is also in v3 — pass api= to choose.
KWB_API = {year: ("v4" if year >= 2025 else "v3") for year in KWB_TABLES}
LAYERS = {"buurt": "buurten", "wijk": "wijken", "gemeente": "gemeenten"}
# Politie via CBS, registered crimes per wijk and buurt, on dataderden.cbs.nl (see the module docstring)
CRIME_TABLES = {"annual": "47018NED", "monthly": "47022NED"}


def kwb_table(year: int) -> str:
    """The CBS table id of the KWB edition ``year`` (2013–2025)."""
    try:
        return KWB_TABLES[int(year)]
    except KeyError:
        raise ValueError(f"no KWB table known for {year}; known editions: {min(KWB_TABLES)}–{max(KWB_TABLES)}") from None

@dataclass(frozen=True)
class Services:
    """Base addresses of the public services (overridable, e.g. for a mirror or a test server)."""

    cbs_odata: str = "https://opendata.cbs.nl"                  # + /ODataFeed/odata/<table>
    cbs_odata_v4: str = "https://datasets.cbs.nl"               # + /odata/v1/CBS/<table>
    cbs_dataderden: str = "https://dataderden.cbs.nl"           # + /ODataApi/odata/<table> (Politie via CBS)
    pdok_api: str = "https://api.pdok.nl"                       # + /cbs/wijken-en-buurten-<year>/ogc/v1
    pdok_service: str = "https://service.pdok.nl"               # + /cbs/wijkenbuurten/<year>/atom/…
    cbs_web: str = "https://www.cbs.nl"                         # + /-/media/…/kwb-<year>.<ext>
    cbs_download: str = "https://download.cbs.nl"               # + /postcode/…
    leefbaarometer: str = "https://www.leefbaarometer.nl"       # + /resources/…
    kwb_extension: str = "xlsx"

    @classmethod
    def loopback(cls, base: str, kwb_extension: str = "csv") -> "Services":
        """Every service at ``base`` (a test server with the same paths; files under ``/files``)."""
        base = base.rstrip("/")
        return cls(cbs_odata=base, cbs_odata_v4=base, cbs_dataderden=base, pdok_api=base, pdok_service=base + "/files",
                   cbs_web=base + "/files", cbs_download=base + "/files", leefbaarometer=base + "/files",
                   kwb_extension=kwb_extension)

    def with_(self, **kw) -> "Services":
        return replace(self, **kw)

    # ------------------------------------------------------------------ addresses
    def ogc_api(self, year: int) -> str:
        return f"{self.pdok_api}/cbs/wijken-en-buurten-{year}/ogc/v1"

    def geopackage(self, year: int) -> str:
        return f"{self.pdok_service}/cbs/wijkenbuurten/{year}/atom/downloads/wijkenbuurten_{year}_v1.gpkg"

    def kwb_file(self, year: int) -> str:
        ext = "xls" if year <= 2020 and self.kwb_extension == "xlsx" else self.kwb_extension
        if self.cbs_web.endswith("/files"):        # loopback layout
            return f"{self.cbs_web}/kwb/kwb-{year}.{ext}"
        return f"{self.cbs_web}/-/media/cbs/dossiers/nederland-regionaal/wijk-en-buurtstatistieken/_exel/kwb-{year}.{ext}"

    def pc4_zip(self, year: int) -> str:
        return f"{self.cbs_download}/postcode/{year + 1}-CBS_pc4_{year}_v1.zip"

    def grid_zip(self, year: int, resolution: int = 100, release: str = "v1") -> str:
        """CBS grid statistics ("vierkantstatistieken") of ``year``: published the next year as
        ``/vierkant/<res>/<year+1>-cbs_vk<res>_<year>_<release>.zip`` holding ``cbs_vk<res>_<year>_<release>.gpkg``."""
        return f"{self.cbs_download}/vierkant/{resolution}/{year + 1}-cbs_vk{resolution}_{year}_{release}.zip"

    def leefbaarometer_zip(self, year: int) -> str:
        return f"{self.leefbaarometer}/resources/open-data-leefbaarometer-meting-{year}.zip"

    def crime_odata(self) -> str:
        """OData v3 root of the third-party tables (Politie via CBS)."""
        return f"{self.cbs_dataderden}/ODataApi/odata"

    def odata_base(self, api: str) -> str:
        return self.cbs_odata if api == "v3" else self.cbs_odata_v4
