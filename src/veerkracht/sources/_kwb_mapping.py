"""The one mapping from CBS Kerncijfers wijken en buurten (KWB) variables to indicator ids.

Every KWB reader (the published files, the PDOK attribute schema, the long Baarn series and the
OData API) first renames its columns to the KWB *short names* (``a_inw``, ``p_wcorpw`` …) and then
calls :func:`facts_from_wide`, so that markers, units, numerators and denominators are treated the
same way whatever the input.

Decisions (see the readers' docstrings):

- ``p_wcorpw`` is a share of *all* dwellings (CBS: "vermeld als percentage van het totaal aantal
  woningen"), so its denominator is ``a_woning``; the numerator is derived, flag ``num_from_pct``.
- ``p_hh_li`` is the share of households in the national *lowest 40%* of incomes. The CBS share of
  households below the *lage-inkomensgrens* (OData ``HuishoudensMetEenLaagInkomen``, PDOK
  ``percentage_huishoudens_met_laag_inkomen``, KWB ``p_hh_lkk``) is a different quantity (≈ 3–10%
  against ≈ 20–50%) and is deliberately *not* mapped to ``low_income``.
- ``a_soz_wb`` is a count of persons; ``bijstand`` = a_soz_wb / a_inw × 1000.
- Percentages over 100 keep their value and get the flag ``pct_over_100``; negative percentages get
  ``negative_value``. Negative counts are an :class:`InputError`.
- ``g_wozbag`` is in × 1,000 euro. A file whose median is above 5,000 is in euros (the 2020–2025
  gemeente file was multiplied by 1,000): it is divided by 1,000 and flagged ``woz_eur_to_k``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from ..errors import InputError
from ._codes import PREFIX_LEVEL, parent_codes
from ._numbers import (check_count, check_fraction, check_part_of_whole, check_unit_jumps, detect_decimal,
                       first_row_of)
from ._tabular import join_flags
from .base import CBS_MARKERS, check_duplicates, check_rates, decode_text, parse_cbs_number, read_bytes

__all__ = [
    "KwbMeasure", "MEASURES", "BY_SHORT", "ODATA_KEY_TO_SHORT", "PDOK_TO_SHORT", "TITLE_TO_SHORT",
    "strip_key_suffix", "canonical_text", "level_of", "area_frame", "facts_from_wide",
    "CODE_RE", "RECS_LEVEL", "areas_and_facts", "known_code_set",
]


@dataclass(frozen=True)
class KwbMeasure:
    """One KWB variable: its short name, the indicator it feeds and how."""

    short: str                      # KWB short name (column of the published files)
    indicator: str                  # registry id
    kind: str                       # "count" | "pct" | "per1000" | "mean"
    den: str | None                 # short name of the denominator
    units: tuple[str, ...]          # accepted OData/metadata units (lower case, spaces removed)
    odata_keys: tuple[str, ...]     # OData v3 DataProperties Key without the _NN suffix
    pdok: tuple[str, ...]           # PDOK wijken-en-buurten attribute names
    titles: tuple[str, ...]         # OData v4 MeasureCodes titles (lower case)


_COUNT = ("aantal", "personen")
MEASURES: tuple[KwbMeasure, ...] = (
    KwbMeasure("a_inw", "residents", "count", None, _COUNT, ("AantalInwoners",), ("aantal_inwoners",),
               ("aantal inwoners",)),
    KwbMeasure("a_hh", "households", "count", None, _COUNT, ("HuishoudensTotaal",),
               ("aantal_huishoudens",), ("huishoudens totaal", "particuliere huishoudens")),
    KwbMeasure("a_woning", "dwellings", "count", None, _COUNT, ("Woningvoorraad",), ("woningvoorraad",),
               ("woningvoorraad",)),
    KwbMeasure("p_wcorpw", "corp_share", "pct", "a_woning", ("%",), ("InBezitWoningcorporatie",),
               ("perc_huurwoningen_in_bezit_woningcorporaties",), ("in bezit woningcorporatie",)),
    KwbMeasure("p_koopw", "owner_occupied", "pct", "a_woning", ("%",), ("Koopwoningen",),
               ("percentage_koopwoningen",), ("koopwoningen",)),
    KwbMeasure("p_hh_li", "low_income", "pct", "a_hh", ("%",), ("k_40HuishoudensMetLaagsteInkomen",),
               ("percentage_huishoudens_met_laagste_inkomen",),
               ("40% huishoudens met laagste inkomen", "huishoudens met laagste inkomen")),
    KwbMeasure("p_hh_osm", "social_minimum", "pct", "a_hh", ("%",), ("HuishOnderOfRondSociaalMinimum",),
               ("percentage_huishoudens_onder_of_rond_sociaal_minimum",),
               ("huishoudens onder of rond sociaal minimum", "huish. onder of rond sociaal minimum")),
    KwbMeasure("a_soz_wb", "bijstand", "per1000", "a_inw", _COUNT, ("PersonenPerSoortUitkeringBijstand",),
               ("aantal_personen_met_een_alg_bijstandsuitkering_tot",),
               ("personen per soort uitkering; bijstand", "bijstand")),
    KwbMeasure("g_wozbag", "woz", "mean", None, ("x1000euro", "x1.000euro"),
               ("GemiddeldeWOZWaardeVanWoningen", "GemiddeldeWoningwaarde"), ("gemiddelde_woningwaarde",),
               ("gemiddelde woz-waarde van woningen", "gemiddelde woningwaarde")),
)
BY_SHORT = {m.short: m for m in MEASURES}
ODATA_KEY_TO_SHORT = {k: m.short for m in MEASURES for k in m.odata_keys}
PDOK_TO_SHORT = {k: m.short for m in MEASURES for k in m.pdok}
TITLE_TO_SHORT = {k: m.short for m in MEASURES for k in m.titles}

CODE_RE = re.compile(r"^(GM\d{4}|WK\d{4}[0-9A-Z]{2}|BU\d{4}[0-9A-Z]{4}|NL\d{2})$")
RECS_LEVEL = {"gemeente": "gemeente", "wijk": "wijk", "buurt": "buurt", "land": "country"}
_WOZ_EURO_MEDIAN = 5000.0   # no Dutch mean WOZ value is 5 million euro; every one is above 5,000 euro
_WOZ_PLAUSIBLE = (10.0, 10_000.0)   # x 1,000 euro: flagged outside


def strip_key_suffix(key: str) -> str:
    """``InBezitWoningcorporatie_42`` → ``InBezitWoningcorporatie`` (the number differs per year)."""
    return re.sub(r"_\d+$", "", key)


def canonical_text(values: pd.Series) -> pd.Series:
    """Values of any type as the text :func:`parse_cbs_number` expects.

    JSON numbers become their shortest text (``-99995.0`` → ``"-99995"`` so the marker is seen),
    ``None``/NaN become ``""``.
    """
    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return ""
        if isinstance(v, bool):
            return str(v)
        if isinstance(v, (int, np.integer)):
            return str(int(v))
        if isinstance(v, (float, np.floating)):
            return str(int(v)) if float(v).is_integer() else repr(float(v))
        s = str(v).strip()
        if re.fullmatch(r"-\d+\.0+", s) and s.split(".")[0] in CBS_MARKERS:
            return s.split(".")[0]
        return s
    return pd.Series([one(v) for v in values], index=values.index, dtype="object")


def _take(values: np.ndarray, idx: np.ndarray) -> pd.Categorical:
    """A categorical of ``values[idx]`` (values per category, idx per row) without a string per row."""
    codes, uniques = pd.factorize(values)
    return pd.Categorical.from_codes(codes[idx], categories=pd.Index(uniques))


def level_of(codes: pd.Series, recs: pd.Series | None, file, column: str, first_row: int,
             recs_column: str = "recs") -> pd.Categorical:
    """Level from ``recs`` (Gemeente/Wijk/Buurt/Land) where given, else from the code prefix.

    A code that is no CBS area code, or a ``recs`` that contradicts the prefix, is an error. The work
    is done on the distinct codes (a KWB series repeats each code every year).
    """
    cat = codes.array if isinstance(codes.dtype, pd.CategoricalDtype) else pd.Categorical(codes)
    cats = pd.Series(cat.categories)
    bad = ~cats.str.match(CODE_RE).fillna(False).to_numpy()
    if bad.any():
        i = int(np.isin(cat.codes, np.flatnonzero(bad)).argmax())
        raise InputError(file, f"{codes.iloc[i]!r} is not a CBS area code (GM0363, WK036300, BU03630000, NL01)",
                         row=first_row + i, column=column)
    prefix_level = cats.str[:2].map(PREFIX_LEVEL).to_numpy(dtype=object)
    if recs is not None:
        rc = pd.Categorical(recs.fillna("").astype(str).str.strip().str.lower())
        recs_level = pd.Series(rc.categories).map(RECS_LEVEL).to_numpy(dtype=object)
        given = np.asarray(rc.categories, dtype=object)[rc.codes] != ""
        wrong = given & (recs_level[rc.codes] != prefix_level[cat.codes])
        if wrong.any():
            i = int(wrong.argmax())
            raise InputError(file, f"region type {recs.iloc[i]!r} does not fit code {codes.iloc[i]!r}",
                             row=first_row + i, column=recs_column)
    return _take(prefix_level, cat.codes)


def area_frame(geo_version: pd.Categorical, codes: pd.Categorical, levels: pd.Categorical,
               names: pd.Series) -> gpd.GeoDataFrame:
    """Areas without geometry, one row per (geo_version, code): the first row of each pair."""
    key = np.asarray(geo_version.codes, dtype=np.int64) * (len(codes.categories) + 1) + codes.codes
    first = np.sort(np.unique(key, return_index=True)[1])     # in file order
    gm, wk = parent_codes(pd.Series(codes.categories))
    idx = codes.codes[first]
    df = pd.DataFrame({"geo_version": geo_version[first], "code": pd.Categorical.from_codes(idx, codes.categories),
                       "level": levels[first],
                       "name": names.iloc[first].reset_index(drop=True) if names is not None else None,
                       "gm_code": _take(gm.to_numpy(dtype=object), idx), "wk_code": _take(wk.to_numpy(dtype=object), idx)})
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(np.full(len(df), None, dtype=object), crs="EPSG:4326"))


def _parse(wide: pd.DataFrame, file, labels: dict, first_row: int, years: pd.Series | None = None,
           decimal: str | None = None, pct_form: str = "auto",
           deferred: bool = False) -> dict[str, tuple[pd.Series, pd.Series]]:
    """Parse and check every mapped column by what it means: ``{short: (values, flags)}``.

    One decimal separator for the whole file; counts whole and ≥ 0; percentages not fractions (unless
    ``pct_form`` says so) and flagged outside [0, 100]; a part (``a_soz_wb``) no more than its whole
    (``a_inw``); no unit jump between the years of the file; a mean (WOZ) not negative.
    ``deferred``: the checks that need the whole file (fractions, unit jumps) are left to the caller,
    which reads the file in pieces (:mod:`._kwb_chunks`).
    """
    cols = {short: wide[short] for short in BY_SHORT if short in wide}
    if decimal is None:
        decimal = detect_decimal({labels.get(k, k): v for k, v in cols.items()}, file, first_row)
    if pct_form not in ("auto", "percent", "fraction"):
        raise InputError(file, f"pct_form must be auto, percent or fraction, not {pct_form!r}")
    out = {}
    for short, m in BY_SHORT.items():
        if short not in wide:
            continue
        label = labels.get(short, short)
        vals, flags = parse_cbs_number(wide[short], file, label, first_row, decimal=decimal,
                                       percent=m.kind == "pct")
        if m.kind in ("count", "per1000"):
            vals = check_count(vals, file, label, first_row, decimal)
        elif m.kind == "pct":
            if pct_form == "fraction":
                vals = vals * 100.0
            elif pct_form == "auto" and not deferred:
                check_fraction(vals, file, label, first_row)
            flags = join_flags(flags, check_rates(vals, file, label, first_row=first_row))
        elif (vals < 0).any():
            neg = vals < 0
            raise InputError(file, f"negative value {vals[neg].iloc[0]:g} for a mean that cannot be negative",
                             row=first_row_of(neg, first_row), column=label)
        if years is not None and not deferred:
            check_unit_jumps(vals, wide["code"], years, file, label, first_row)
        out[short] = (vals, flags)
    for short, m in BY_SHORT.items():
        if m.kind == "per1000" and short in out and m.den in out:
            extra = check_part_of_whole(out[short][0], out[m.den][0], file, labels.get(short, short), first_row,
                                        labels.get(m.den, m.den))
            out[short] = (out[short][0], join_flags(out[short][1], extra))
    return out


def _woz_to_thousands(vals: pd.Series, flags: pd.Series, warnings: list[str], file) -> tuple[pd.Series, pd.Series]:
    med = vals.median()
    if pd.notna(med) and med > _WOZ_EURO_MEDIAN:
        warnings.append(f"{file}: g_wozbag looks like euros (median {med:,.0f}); divided by 1,000 "
                        "to the KWB unit x 1,000 euro and flagged woz_eur_to_k")
        flags = join_flags(flags, pd.Series("woz_eur_to_k", index=vals.index).where(vals.notna(), ""))
        vals = vals / 1000.0
    odd = (vals.notna() & ~vals.between(*_WOZ_PLAUSIBLE)).fillna(False)
    if odd.any():
        flags = join_flags(flags, pd.Series(np.where(odd, "implausible", ""), index=vals.index))
    return vals, flags


def facts_from_wide(wide: pd.DataFrame, *, file, years: pd.Series, geo_versions: pd.Series,
                    source: str, first_row: int = 2, labels: dict | None = None,
                    warnings: list[str] | None = None, decimal: str | None = None,
                    pct_form: str = "auto", codes: pd.Categorical | None = None,
                    deferred: bool = False) -> pd.DataFrame:
    """Turn a frame with a ``code`` column and KWB short-name columns (text) into facts.

    Parameters
    ----------
    wide : one row per area (and year); mapped columns hold text as published (markers included).
    file : named in errors. ``first_row`` is the file row of ``wide.iloc[0]``; rows must be contiguous.
    years, geo_versions : per row of ``wide``.
    labels : ``{short: column name in the input}`` so that errors name the user's column.
    warnings : list that receives notes (e.g. the WOZ unit conversion).
    """
    labels = labels or {}
    warnings = warnings if warnings is not None else []
    parsed = _parse(wide, file, labels, first_row, years, decimal=decimal, pct_form=pct_form, deferred=deferred)
    if "g_wozbag" in parsed and not deferred:
        parsed["g_wozbag"] = _woz_to_thousands(*parsed["g_wozbag"], warnings, file)
    nan = pd.Series(np.nan, index=wide.index)
    empty = pd.Series("", index=wide.index)
    # categoricals: millions of facts share a few thousand codes and a handful of versions and flags
    codes = pd.Categorical(wide["code"]) if codes is None else codes
    versions = geo_versions if isinstance(geo_versions, pd.Categorical) else pd.Categorical(np.asarray(geo_versions))
    year_arr = np.asarray(years, dtype=np.int32)
    frames = []
    for short, (vals, flags) in parsed.items():
        m = BY_SHORT[short]
        den, den_flags = parsed.get(m.den, (nan, empty)) if m.den else (nan, empty)
        num = nan
        value = vals
        extra = empty
        if m.kind == "pct":
            ok = vals.notna() & den.notna()
            num = (vals / 100.0 * den).where(ok)
            extra = pd.Series(np.where(ok, "num_from_pct", np.where(vals.notna(), "no_denominator", "")),
                              index=wide.index)
        elif m.kind == "per1000":
            num = vals
            ok = vals.notna() & den.notna() & (den > 0)
            value = (vals / den * 1000.0).where(ok)
            extra = pd.Series(np.where(ok | vals.isna(), "",
                                       np.where(den.eq(0), "zero_denominator", "no_denominator")),
                              index=wide.index)
        else:
            den = nan
        frames.append(pd.DataFrame({
            "geo_version": versions, "code": codes, "year": year_arr,
            "indicator": pd.Categorical([m.indicator]).repeat(len(wide)), "numerator": num.to_numpy(),
            "denominator": den.to_numpy(), "value": value.to_numpy(),
            "source": pd.Categorical([source]).repeat(len(wide)),
            "flags": pd.Categorical(join_flags(flags, extra).to_numpy()),
            **({"_row": first_row + np.arange(len(wide), dtype=np.int32)} if deferred else {}),
        }))
    if not frames:
        return pd.DataFrame(columns=["geo_version", "code", "year", "indicator", "numerator",
                                     "denominator", "value", "source", "flags"])
    return concat_categorical(frames)


def concat_categorical(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """``pd.concat`` that keeps categorical columns categorical (their categories united).

    Consumes ``frames``: each column is dropped from them once it is joined, so that a large read never
    holds its facts twice.
    """
    out = {}
    for col in list(frames[0].columns):
        parts = [f[col] for f in frames]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            out[col] = union_categoricals([p.array for p in parts], ignore_order=True)
        else:
            out[col] = np.concatenate([p.to_numpy() for p in parts])
        del parts
        for f in frames:
            del f[col]
    return pd.DataFrame(out)


def known_code_set(known_codes) -> set[str] | None:
    """``known_codes`` as a set: any iterable of codes, a comma-separated string, or a file of codes
    (any text in which the codes appear, e.g. a one-column csv; other tokens are ignored)."""
    if known_codes is None:
        return None
    if isinstance(known_codes, (str, Path)):
        path = Path(known_codes)
        if path.is_file():
            text = decode_text(read_bytes(path), path)
            return {t for t in re.split(r"[\s,;\"']+", text.upper()) if CODE_RE.match(t)}
        return {t.strip().upper() for t in str(known_codes).split(",") if t.strip()}
    return {str(c).strip().upper() for c in known_codes}


def areas_and_facts(wide: pd.DataFrame, *, file, first_row: int, source: str,
                    geo_version: str | None = None, known_codes=None, labels: dict | None = None,
                    warnings: list[str] | None = None, decimal: str | None = None,
                    pct_form: str = "auto", deferred: bool = False) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Validate a wide KWB frame and split it into areas and facts.

    ``wide`` has ``code``, ``year`` (int), optional ``name`` and ``recs``, and short-name columns.
    Checks: area codes, ``recs`` against the code, duplicate codes within a year, and (when
    ``known_codes`` is given) that every gemeente/wijk/buurt code belongs to the geography version.
    """
    labels = labels or {}
    code_label = labels.get("code", "code")
    codes = pd.Categorical(wide["code"])
    levels = level_of(pd.Series(codes, index=wide.index), wide.get("recs"), file, code_label, first_row,
                      labels.get("recs", "recs"))
    year_idx, year_vals = pd.factorize(wide["year"])
    dup = pd.Series(codes.codes.astype(np.int64) * (len(year_vals) + 1) + year_idx).duplicated().to_numpy()
    if dup.any():
        check_duplicates(wide, ["year", "code"], file, first_row, column=code_label)   # names both rows
    versions = (pd.Categorical.from_codes(np.zeros(len(wide), dtype=np.int8), [geo_version]) if geo_version
                else pd.Categorical.from_codes(year_idx, ["cbs" + str(y) for y in year_vals]))
    known = known_code_set(known_codes)
    if known is not None:
        unknown = ~wide["code"].isin(known).to_numpy() & (np.asarray(levels) != "country")
        if unknown.any():
            i = int(unknown.argmax())
            raise InputError(file, f"code {wide['code'].iloc[i]} not in geography version {versions[i]}",
                             row=first_row + i, column=code_label)
    names = wide["name"] if "name" in wide else None
    areas = area_frame(versions, codes, levels, names)
    facts = facts_from_wide(wide, file=file, years=wide["year"], geo_versions=versions, source=source,
                            first_row=first_row, labels=labels, warnings=warnings, decimal=decimal,
                            pct_form=pct_form, codes=codes, deferred=deferred)
    return areas, facts
