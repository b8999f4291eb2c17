"""What every view needs: the app context, shared query parameters and JSON cleaning."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from fastapi import Query, Request

from ..catalog import Catalog
from ..geometry import GeometryService
from ..layers import AnalysisLayers
from ..mapview import ViewParams, validate

__all__ = ["Context", "ctx", "view_params", "clean", "Lang", "VERSION", "LEVEL", "INDICATOR", "CODE"]

VERSION = r"^[A-Za-z0-9_.#-]{1,40}$"
LEVEL = r"^[a-z0-9]{1,12}$"
INDICATOR = r"^[a-z0-9_]{1,40}$"
CODE = r"^[A-Za-z0-9]{2,16}$"
Lang = Annotated[Literal["nl", "en"], Query(description="Language of labels: nl (default) or en")]


@dataclass
class Context:
    catalog: Catalog
    geometry: GeometryService
    layers: AnalysisLayers
    meta_cache: dict | None = None


def ctx(request: Request) -> Context:
    return request.app.state.web


def view_params(
    request: Request,
    version: Annotated[str, Query(pattern=VERSION, description="Geography version, e.g. cbs2019")],
    level: Annotated[str, Query(pattern=LEVEL, description="gemeente, wijk, buurt or pc4")],
    indicator: Annotated[str, Query(pattern=INDICATOR, description="Indicator id, e.g. corp_share")],
    mode: Annotated[Literal["value", "change", "relative", "typology", "concentration", "hotspots"],
                    Query(description="What to colour")] = "value",
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    year_from: Annotated[int | None, Query(ge=1900, le=2100, description="Start year of a change")] = None,
    region: Annotated[str | None, Query(pattern=CODE, description="Gemeente or wijk code")] = None,
    ref: Annotated[Literal["gemeente", "country"], Query(description="Reference of the relative view")] = "gemeente",
    scheme: Annotated[Literal["quantiles", "fisher_jenks", "equal_interval"], Query()] = "quantiles",
    k: Annotated[int, Query(ge=3, le=9, description="Number of classes")] = 5,
) -> tuple[ViewParams, dict]:
    p = ViewParams(version=version, level=level, indicator=indicator, mode=mode, year=year,
                   year_from=year_from, region=region, ref=ref, scheme=scheme, k=k)
    return validate(ctx(request).catalog, p)


def clean(obj):
    """JSON-safe copy: NaN/NA → None, numpy scalars → Python."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return None if not math.isfinite(float(obj)) else round(float(obj), 6)
    if obj is pd.NA or obj is None:
        return None
    try:
        if pd.isna(obj):
            return None
    except (TypeError, ValueError):
        pass
    return obj
