"""Answers of the public services for the whole country (or some gemeenten), written to a server root.

:func:`write_fixture` lays out what :class:`tests.servers.public_data.PublicDataServer` serves:

- ``ogc/<year>/buurten|wijken|gemeenten.geojson`` — the PDOK wijk- en buurtkaart of each year, in
  PDOK's attribute names (``buurtcode``, ``buurtnaam``, ``wijkcode``, ``gemeentecode`` …). The buurten
  are the real 13,594 of CBS 2019; in the years of ``redraws`` neighbour pairs are merged and buurten
  split (cumulatively, with new codes), as CBS redraws them. Wijken and gemeenten are the dissolved
  2019 buurten, the same every year.
- ``files/kwb/kwb-<year>.csv`` — the published KWB file with CBS short names (``gwb_code_10``,
  ``regio``, ``recs``, ``a_inw`` … ``g_wozbag``) plus ``n_extra`` measures the registry does not use.
- ``odata/v3/<table>/…`` — the same table as CBS OData v3 answers (``DataProperties``,
  ``WijkenEnBuurten``, ``TypedDataSet`` in pages chained by ``odata.nextLink``), when ``odata=True``.

Values are synthetic but *planted*: counts live on the 2019 buurten ("atoms") and every version's
buurt is the area-weighted sum of its atoms, so a buurt, wijk, gemeente and the country add up, and
every year's national residents equal ``truth['residents'][year]`` whatever the geography.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import NATIONAL_GEOMETRY, _redraw  # noqa: E402

from veerkracht.geo.crosswalk import overlay_crosswalk  # noqa: E402
from veerkracht.sources.cbs_odata import KWB_TABLE_YEARS  # noqa: E402

__all__ = ["write_fixture", "TABLE_OF_YEAR", "atoms"]

TABLE_OF_YEAR = {y: t for t, y in KWB_TABLE_YEARS.items()}
_TEMPLATE = ROOT / "tests" / "data" / "cbs_odata" / "v3" / "85618NED"
# KWB short name → OData v3 key of the template table (85618NED)
_V3_KEY = {"a_inw": "AantalInwoners_5", "a_hh": "HuishoudensTotaal_29", "a_woning": "Woningvoorraad_35",
           "g_wozbag": "GemiddeldeWOZWaardeVanWoningen_36", "p_koopw": "Koopwoningen_41",
           "p_wcorpw": "InBezitWoningcorporatie_43", "p_hh_li": "k_40HuishoudensMetLaagsteInkomen_76",
           "p_hh_osm": "HuishOnderOfRondSociaalMinimum_79", "a_soz_wb": "PersonenPerSoortUitkeringBijstand_83"}
_RECS = {"buurt": "Buurt", "wijk": "Wijk", "gemeente": "Gemeente", "country": "Land"}


def atoms(gm_codes: list[str] | None = None) -> gpd.GeoDataFrame:
    """The real 2019 buurten (optionally of some gemeenten only)."""
    from veerkracht.sources import read

    a = read("geometry", NATIONAL_GEOMETRY, geo_version="cbs2019").areas
    if gm_codes:
        a = a[a["gm_code"].isin(gm_codes)].reset_index(drop=True)
    return a


def _versions(base: gpd.GeoDataFrame, years: list[int], redraws: dict[int, tuple[int, int]], seed: int):
    """Buurt geometry per year: the atoms, redrawn cumulatively in the years of ``redraws``."""
    rng = np.random.default_rng(seed)
    out, cur = {}, base[["code", "gm_code", "wk_code", "geometry"]]
    for n, year in enumerate(sorted(years)):
        if year in redraws:
            m, s = redraws[year]
            new = _redraw(cur.assign(level="buurt", name=cur["code"]), m, s, rng, f"cbs{year}")
            fresh = ~new["code"].isin(cur["code"])
            letters = {"M": "MNPQ"[n % 4], "L": "LSUW"[n % 4], "R": "RTVX"[n % 4]}
            new.loc[fresh, "code"] = [c[:6] + letters[c[6]] + c[7:] for c in new.loc[fresh, "code"]]
            new["wk_code"] = new["code"].map(dict(zip(cur["code"], cur["wk_code"])))
            # a new buurt lies in the wijk of the atom under a point of it
            pos = shapely.STRtree(base.geometry.values).query(
                shapely.point_on_surface(new.loc[fresh, "geometry"].values), predicate="intersects")
            wk = pd.Series(base["wk_code"].to_numpy()[pos[1]], index=new.index[fresh][pos[0]])
            new.loc[fresh, "wk_code"] = wk[~wk.index.duplicated()].reindex(new.index[fresh]).to_numpy()
            cur = new[["code", "gm_code", "wk_code", "geometry"]].reset_index(drop=True)
        out[year] = cur
    return out


def _atom_counts(base: gpd.GeoDataFrame, years: list[int], seed: int) -> dict[int, pd.DataFrame]:
    """Counts per atom and year (index = atom code)."""
    rng = np.random.default_rng(seed + 1)
    n = len(base)
    inw = np.round(rng.lognormal(6.5, 0.9, n))
    share = {"corp": rng.beta(1.2, 3, n), "koop": rng.beta(3, 2, n), "li": rng.beta(2, 4, n),
             "osm": rng.beta(1.2, 8, n), "soz": rng.beta(1, 25, n)}
    woz = rng.lognormal(5.6, 0.3, n)
    out = {}
    for year in years:
        t = year - min(years)
        a_inw = np.round(inw * (1 + 0.01 * t))
        a_woning = np.round(a_inw / 2.1)
        a_hh = np.round(a_inw / 2.0)
        out[year] = pd.DataFrame({
            "a_inw": a_inw, "a_hh": a_hh, "a_woning": a_woning,
            "n_corp": np.round(a_woning * share["corp"]), "n_koop": np.round(a_woning * share["koop"]),
            "n_li": np.round(a_hh * share["li"]), "n_osm": np.round(a_hh * share["osm"]),
            "a_soz_wb": np.round(a_inw * share["soz"] * (1 + 0.02 * t)), "woz_sum": woz * (1 + 0.03 * t) * a_woning,
        }, index=base["code"].to_numpy())
    return out


def _table(areas_by_level: dict[str, pd.DataFrame], counts: pd.DataFrame, n_extra: int, rng) -> pd.DataFrame:
    """One KWB table (short names) from counts per buurt, summed up the hierarchy."""
    rows = []
    bu = areas_by_level["buurt"]
    for level, key in (("buurt", "code"), ("wijk", "wk_code"), ("gemeente", "gm_code"), ("country", None)):
        group = bu[key] if key else pd.Series("NL01", index=bu.index)
        c = counts.groupby(group.to_numpy()).sum()
        c["recs"] = _RECS[level]
        rows.append(c)
    t = pd.concat(rows)
    out = pd.DataFrame({"gwb_code_10": t.index, "regio": t.index, "recs": t["recs"].to_numpy()})
    for short in ("a_inw", "a_hh", "a_woning", "a_soz_wb"):
        out[short] = t[short].to_numpy().astype(np.int64)
    for short, num, den in (("p_wcorpw", "n_corp", "a_woning"), ("p_koopw", "n_koop", "a_woning"),
                            ("p_hh_li", "n_li", "a_hh"), ("p_hh_osm", "n_osm", "a_hh")):
        out[short] = np.round(100 * t[num].to_numpy() / np.maximum(t[den].to_numpy(), 1)).astype(np.int64)
    out["g_wozbag"] = np.round(t["woz_sum"].to_numpy() / np.maximum(t["a_woning"].to_numpy(), 1)).astype(np.int64)
    extra = pd.DataFrame(rng.integers(0, 1000, (len(out), n_extra)), columns=[f"extra_{k:03d}" for k in range(n_extra)])
    return pd.concat([out, extra], axis=1)


def _geojson(gdf: gpd.GeoDataFrame, path: Path, props: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    g = gdf.rename(columns=props)[list(props.values()) + ["geometry"]]
    path.write_text(g.to_json(drop_id=True))


def _odata(root: Path, table: str, kwb: pd.DataFrame, names: dict, page: int) -> None:
    """The KWB table as OData v3 answers in the format of ``tests/data/cbs_odata``."""
    d = root / "odata" / "v3" / table
    d.mkdir(parents=True, exist_ok=True)
    props = json.loads((_TEMPLATE / "DataProperties.json").read_text())
    info = json.loads((_TEMPLATE / "TableInfos.json").read_text())
    info["value"][0].update(Identifier=table, Title=f"Kerncijfers wijken en buurten {table} (synthetic)")
    (d / "TableInfos.json").write_text(json.dumps(info).replace("85618NED", table))
    (d / "DataProperties.json").write_text(json.dumps(props).replace("85618NED", table))
    geo = [{"Key": c.ljust(10), "Title": names.get(c, c), "Description": None, "Municipality": "",
            "DetailRegionCode": c} for c in kwb["gwb_code_10"]]
    (d / "WijkenEnBuurten.json").write_text(json.dumps({"odata.metadata": "", "value": geo}))
    recs = kwb.rename(columns=_V3_KEY)
    recs = recs.assign(ID=np.arange(len(recs)), WijkenEnBuurten=kwb["gwb_code_10"].str.ljust(10),
                       Gemeentenaam_1="", SoortRegio_2=kwb["recs"].str.ljust(10),
                       Codering_3=kwb["gwb_code_10"].str.ljust(10))
    cols = ["ID", "WijkenEnBuurten", "Gemeentenaam_1", "SoortRegio_2", "Codering_3", *_V3_KEY.values()]
    records = recs[cols].to_dict("records")
    for start in range(0, len(records), page):
        doc = {"odata.metadata": f"{{base}}/ODataFeed/OData/{table}/$metadata", "value": records[start: start + page]}
        if start + page < len(records):
            doc["odata.nextLink"] = f"{{base}}/ODataFeed/odata/{table}/TypedDataSet?$format=json&$skip={start + page}"
        name = "TypedDataSet.json" if start == 0 else f"TypedDataSet.skip{start}.json"
        (d / name).write_text(json.dumps(doc, default=int))


def write_fixture(root: Path, years: list[int], gm_codes: list[str] | None = None,
                  redraws: dict[int, tuple[int, int]] | None = None, n_extra: int = 10,
                  odata: bool = False, csv: bool = True, page: int = 5000, seed: int = 0) -> dict:
    """Write the answers for ``years`` under ``root``; returns the planted truths.

    Returns ``{'residents': {year: national total}, 'buurten': {year: count}, 'codes': {year: set},
    'tables': {year: table id}, 'atoms': GeoDataFrame}``.
    """
    root = Path(root)
    base = atoms(gm_codes)
    redraws = redraws or {}
    vers = _versions(base, years, redraws, seed)
    counts = _atom_counts(base, years, seed)
    rng = np.random.default_rng(seed + 2)
    wk = base.dissolve("wk_code", as_index=False)[["wk_code", "gm_code", "geometry"]]
    gm = base.dissolve("gm_code", as_index=False)[["gm_code", "geometry"]]
    truth = {"residents": {}, "buurten": {}, "codes": {}, "tables": {}, "atoms": base}
    written: dict[int, Path] = {}
    for year in years:
        bu = vers[year]
        same = [y for y in written if vers[y] is bu]
        folder = root / "ogc" / str(year)
        if same:          # an unchanged geometry is the same file (hard link; no second copy)
            folder.mkdir(parents=True, exist_ok=True)
            for f in written[same[0]].glob("*.geojson"):
                os.link(f, folder / f.name)
        else:
            _geojson(bu.assign(name=bu["code"]), folder / "buurten.geojson",
                     {"code": "buurtcode", "name": "buurtnaam", "wk_code": "wijkcode", "gm_code": "gemeentecode"})
            _geojson(wk.assign(name=wk["wk_code"]), folder / "wijken.geojson",
                     {"wk_code": "wijkcode", "name": "wijknaam", "gm_code": "gemeentecode"})
            _geojson(gm.assign(name=gm["gm_code"]), folder / "gemeenten.geojson",
                     {"gm_code": "gemeentecode", "name": "gemeentenaam"})
            written[year] = folder
        if bu is base:
            c = counts[year]
        else:             # the version's buurten hold the area-weighted sum of their atoms
            cw = overlay_crosswalk(base, bu, "atoms", f"cbs{year}")
            c = counts[year].loc[cw["from_code"]].mul(cw["weight"].to_numpy(), axis=0)
            c = c.groupby(cw["to_code"].to_numpy()).sum().round()
            c = c.reindex(bu["code"]).fillna(0)
        c.index = bu["code"].to_numpy()
        kwb = _table({"buurt": bu}, c, n_extra, rng)
        truth["residents"][year] = int(kwb.loc[kwb["gwb_code_10"] == "NL01", "a_inw"].iloc[0])
        truth["buurten"][year] = len(bu)
        truth["codes"][year] = set(bu["code"])
        table = TABLE_OF_YEAR[year]
        truth["tables"][year] = table
        if csv:
            p = root / "files" / "kwb" / f"kwb-{year}.csv"
            p.parent.mkdir(parents=True, exist_ok=True)
            kwb.to_csv(p, sep=";", index=False)
        if odata:
            _odata(root, table, kwb, {}, page)
    return truth
