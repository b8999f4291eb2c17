"""``veerkracht ingest survey FILE --mapping M``: household-survey microdata (WoON, WBO) into the store.

Reads SPSS ``.sav`` (its value labels applied), CSV, xlsx or Parquet. The mapping (TOML, see
:mod:`._micro`) names the file's column for each role and maps the file's labels to the store's
categories (``store.schema.SURVEY_CATEGORIES``):

==================  ==========================================================  ========
role                categories                                                  required
==================  ==========================================================  ========
weight              a number > 0 (the survey weight)                            yes
year                the survey year                                             yes
tenure              corporation, private, owner                                 yes
income_group        lowest (national bottom 20 %), low (20–40 %), middle_high   yes
rent                below / above the liberalisation threshold
moved_in            yes/no: moved in within the last two years
previous_tenure     corporation, private, owner, none (movers' previous home)
education           low, middle, high
health              good, less_than_good (self-rated)
benefits            yes/no: a benefit other than state pension
household_type      single, couple, couple_children, single_parent, other
nuisance            yes/no: often nuisance from direct neighbours
fear                yes/no: afraid of being harassed or robbed in the neighbourhood
weak_area           yes/no: the home lies in an area of weak or worse liveability
area_code           the area code (buurt, wijk, PC4) for linking
stratum, psu        the design's strata and primary sampling units (optional)
==================  ==========================================================  ========

Quintiles map onto the groups in ``[values.income_group]`` (``"1e kwintiel" = "lowest"``,
``"2e kwintiel" = "low"``, the others ``"middle_high"``). The respondents are private: they stay in
the store (``survey_respondents``) and leave it only as weighted shares of cells large enough to
show (``veerkracht analyse survey-trends``).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..store.base import Provenance
from ..store.microdata import MicroBatch
from ..store.schema import SURVEY_CATEGORIES, SURVEY_FLAGS
from . import _micro as m
from .base import reader

__all__ = ["read_survey", "ROLES"]

#: role → required
ROLES = {"weight": True, "year": True, "tenure": True, "income_group": True, "rent": False, "moved_in": False,
         "previous_tenure": False, "education": False, "health": False, "benefits": False, "household_type": False,
         "nuisance": False, "fear": False, "weak_area": False, "area_code": False, "stratum": False, "psu": False}


@reader("survey", help="Household-survey microdata (WoON/WBO: SPSS .sav, CSV, xlsx, Parquet) with a mapping file")
def read_survey(location, mapping: str, dataset: str | None = None) -> MicroBatch:
    """Household-survey microdata into the store's private tables (roles and labels: the module documentation).

    Parameters
    ----------
    mapping : the TOML mapping naming the file's column per role and mapping its labels to categories.
    dataset : the name the respondents are kept under (default: the file's name); another file under the same
        name replaces them only with ``--replace``.

    Examples
    --------
    ``veerkracht ingest survey woon2018.sav --mapping woon.toml``
    """
    mp = m.load_micro_mapping(mapping, ROLES, "survey")
    df, first, digest = m.read_micro_file(location, mp)
    out = pd.DataFrame({"src_row": range(first, first + len(df))})
    out["weight"] = m.need(m.numbers(df, mp, "weight", first, positive=True)).to_numpy()
    year = m.need(m.numbers(df, mp, "year", first, whole=True))
    if year.isna().any():
        i = int(year.isna().to_numpy().argmax())
        from ..errors import InputError
        raise InputError(location, "the survey year is missing", row=first + i, column=mp.columns["year"])
    out["year"] = year.astype(int).to_numpy()
    for role, allowed in SURVEY_CATEGORIES.items():
        col = m.categories(df, mp, role, allowed, first)
        out[role] = None if col is None else col.to_numpy()
    for role in SURVEY_FLAGS:
        col = m.flags(df, mp, role, first)
        out[role] = pd.array([None] * len(df), dtype="boolean") if col is None else col.to_numpy()
    for role in ("area_code", "stratum", "psu"):
        col = m.text(df, mp, role)
        out[role] = None if col is None else col.to_numpy()
    ds = dataset or mp.get("dataset") or Path(location).stem
    prov = Provenance("survey", str(location), digest, vintage=f"survey {ds}", options={"dataset": ds})
    warnings = [f"{ds}: {len(out)} respondents, years {', '.join(map(str, sorted(out['year'].unique())))}; "
                "roles not in the mapping: " + (", ".join(r for r in ROLES if r not in mp.columns) or "none")]
    return MicroBatch(prov, warnings=warnings, dataset=ds, tables={"survey_respondents": out})


# `veerkracht ingest survey --help` shows the reader's docstring: the roles table of this module with it
read_survey.__doc__ = f"{__doc__}\n{read_survey.__doc__}"
