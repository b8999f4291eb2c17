"""What every analysis shares: the registry, the result contract, region selection and panels.

An analysis is a subclass of :class:`Analysis` registered with :func:`register`: typed parameters
(a dataclass with defaults and help text), a ``resolve`` step (which indicators, years, geography
version and level the question needs, decided once), a ``compute`` step that returns a
:class:`Result`, and — when it has one — a :class:`LayerSpec` that tells every output how to draw
it on a map. The social map's modes, the report's maps, ``veerkracht analyse`` and the exports
are all derived from this registry (``docs/decisions/0003-result-contract.md``).

Every analysis is called the same way: ``get_analysis(name)(store, **params)``.
"""
from __future__ import annotations

import dataclasses
import inspect
import json
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping

import numpy as np
import pandas as pd

from ..errors import NotComputable, StoreError
from ..i18n import Message, render
from ..i18n import catalog as _catalog
from ..indicators.choice import one_fact_per_area_year
from ..indicators.reliability import SUPPRESS_MIN_DENOMINATOR, SUPPRESS_MIN_NUMERATOR, suppress

__all__ = [
    "register", "Analysis", "LayerSpec", "ClassSpec", "ReportSpec", "Message", "mapped_analyses",
    "reported_analyses",
    "ANALYSES", "get_analysis", "Result", "select_region", "panel", "one_fact_per_area_year",
    "suppress",
    "SUPPRESS_MIN_DENOMINATOR", "SUPPRESS_MIN_NUMERATOR",
]

#: name → a registered analysis: an :class:`Analysis` instance or a function with ``analysis_name``
ANALYSES: dict[str, Any] = {}

def get_analysis(name: str) -> Callable:
    from . import _load_all  # noqa: F401
    if name not in ANALYSES:
        raise StoreError(f"unknown analysis {name!r}; known: {', '.join(sorted(ANALYSES))}")
    return ANALYSES[name]


@dataclass
class Result:
    """A tidy table plus everything needed to trust and show it.

    ``table``: one row per area or per group. ``params``: the parameters as used (defaults filled).
    ``vintage``: the data used (indicator → years, geo version, sources). ``notes``: caveats
    and warnings a reader must see (e.g. regression to the mean). ``extra``: further tables by name.
    """

    name: str
    table: pd.DataFrame
    params: dict
    vintage: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)   # headline numbers (and sentences) for report & CLI
    _figure: Callable | None = None
    _layer: Callable | None = None
    #: what the result rests on, per role (``vulnerable``, ``nuisance`` …): indicator, years,
    #: geography version, level and sources — so no output has to guess which year was used
    inputs: dict = field(default_factory=dict)

    def note_texts(self, lang: str = "nl") -> list[str]:
        """The notes in one language (their messages rendered)."""
        return note_texts(self.notes, lang)

    def figure(self, lang: str = "nl"):
        """A matplotlib Figure; Dutch labels by default, English with ``lang='en'``."""
        if self._figure is None:
            raise StoreError(f"analysis {self.name} has no figure")
        return self._figure(self, lang)

    def layer(self, store=None):
        """A GeoDataFrame with one row per area (spatial analyses only)."""
        if self._layer is None:
            raise StoreError(f"analysis {self.name} is not spatial: it has no map layer")
        return self._layer(self, store)

    @property
    def is_spatial(self) -> bool:
        return self._layer is not None

    def about(self, lang: str = "nl") -> list[str]:
        """What the result rests on, in words: each input with its label and years, the geography
        and the sources (for a CSV's companion text, a caption, a CLI footer)."""
        from ..indicators.words import source_name
        lines = []
        roles = {k: v for k, v in self.inputs.items() if isinstance(v, dict) and "indicators" in v}
        if not roles:       # analyses not yet on the result contract: their vintage
            roles = {f"input:{k}": {"indicators": [k], "years": v.get("years", [])}
                     for k, v in self.vintage.get("indicators", {}).items()}
        for role, v in roles.items():
            key = f"result.role.{role}" if f"result.role.{role}" in _catalog(lang) else "result.role.input"
            lines.append(render("result.about.input", lang, role=Message(key),
                                inds=list(v["indicators"]), years=", ".join(map(str, v.get("years", [])))))
        gv = self.inputs.get("geo_version") or self.vintage.get("geo_version")
        lv = self.inputs.get("level") or self.vintage.get("level")
        if gv:
            lines.append(render("result.about.geography", lang, version=gv, level=lv or ""))
        srcs = self.inputs.get("sources") or sorted({s for v in self.vintage.get("indicators", {}).values()
                                                     for s in v.get("sources", [])})
        if srcs:
            lines.append(render("result.about.sources", lang,
                                sources="; ".join(dict.fromkeys(source_name(x, lang) for x in srcs))))
        return lines

    def shown_table(self) -> pd.DataFrame:
        """The table as outputs show it: suppressed rows without values or rule texts."""
        from ._hidden import blanked
        spec = getattr(ANALYSES.get(self.name), "layer", None)
        return blanked(self.table, spec.rule_column if spec is not None else None)

    def rendered_table(self, lang: str = "nl") -> pd.DataFrame:
        """The shown table (:meth:`shown_table`) with every :class:`Message` cell rendered in ``lang``."""
        return rendered(self.shown_table(), lang)

    def to_json(self, lang: str = "nl") -> str:
        def frame(df):
            return json.loads(rendered(df, lang).to_json(orient="records", double_precision=6))
        return json.dumps({
            "analysis": self.name, "params": self.params, "inputs": self.inputs, "vintage": self.vintage,
            "notes": self.note_texts(lang), "table": frame(self.shown_table()),
            "summary": {k: render(v, lang) if isinstance(v, Message) else v for k, v in self.summary.items()},
            "extra": {k: frame(v) for k, v in self.extra.items()},
        }, indent=2, default=_json_default, ensure_ascii=False)


def rendered(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A copy of ``df`` with :class:`Message` cells rendered as text in ``lang``."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object and out[col].map(lambda v: isinstance(v, Message)).any():
            out[col] = out[col].map(lambda v: render(v, lang) if isinstance(v, Message) else v)
    return out


def note_texts(notes, lang: str = "nl") -> list[str]:
    """Notes in one language: every note is a :class:`Message`, rendered here."""
    return [render(n, lang) if isinstance(n, Message) else str(n) for n in notes]


# ------------------------------------------------------------------------ registered analyses
@dataclass(frozen=True)
class ClassSpec:
    """One class of a map layer: its key in the result table, its label and its colour."""

    key: str
    label: Message
    colour: str


@dataclass(frozen=True)
class LayerSpec:
    """How every output draws an analysis on a map (the map, the report's maps, the exports).

    ``kind``: ``categorical`` (``classes`` in legend order), ``bivariate`` (3×3 ``classes`` with
    ``row``/``col`` given by their key ``"<level>-<change>"``) or ``numeric`` (``column`` holds a
    value, drawn with a diverging palette around 0). ``column``: the per-area column to draw;
    ``rule_column``: a :class:`Message` per area saying why it has its class. ``own_indicator``:
    the analysis runs on the map's indicator (so that indicator's suppressed values stay hidden);
    False when it chooses its own inputs (the typology).
    """

    kind: str
    column: str
    classes: tuple[ClassSpec, ...] = ()
    rule_column: str | None = None
    own_indicator: bool = True
    label: Message | None = None
    #: numeric layers with a choice of reference: reference → column (e.g. gemeente → ``diff_gm``)
    refs: Mapping[str, str] = field(default_factory=dict)
    #: place among the map's modes (lower first)
    order: int = 100
    #: key of ``Result.extra`` holding the per-area table (default: ``Result.table``), for analyses whose
    #: main table is not one row per area (the survey's figures)
    table: str | None = None
    #: numeric layers: ``diverging`` around 0 (a change, a difference) or ``sequential`` (a level, e.g. a
    #: share in %, drawn light → dark in ``unit``)
    scale: str = "diverging"
    unit: str | None = None

    def column_for(self, ref: str | None = None) -> str:
        return self.refs.get(ref or "", self.column) if self.refs else self.column


@dataclass(frozen=True)
class ReportSpec:
    """How the report shows an analysis that has no hand-written chapter of its own.

    ``order``: place among the chapters (corporation share 10 … benchmark 70); ``title``: the
    chapter title; ``indicators``: the indicators to run it on, in order of preference (the first
    the region has in the period is used); empty for analyses that choose their own inputs.
    """

    order: int
    title: Message
    indicators: tuple[str, ...] = ()


class Analysis:
    """Base of a registered analysis: ``Params`` → ``resolve`` → ``compute`` → :class:`Result`.

    Subclasses set ``name``, ``Params`` (a dataclass; a field's ``metadata['help']`` is its help
    text), ``title`` and ``summary`` (message ids) and, when they have a map, ``layer``. Calling the
    instance validates the parameters and runs both steps.
    """

    name: ClassVar[str]
    Params: ClassVar[type]
    title: ClassVar[str]
    summary: ClassVar[str]
    layer: ClassVar[LayerSpec | None] = None
    report: ClassVar[ReportSpec | None] = None

    def params(self, **given) -> Any:
        """``Params`` from keyword arguments; an unknown key is an error listing the valid ones."""
        names = [f.name for f in dataclasses.fields(self.Params)]
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise StoreError(f"analysis {self.name} has no parameter {', '.join(unknown)}; "
                             f"its parameters: {', '.join(names)}")
        return self.Params(**given)

    def available(self, store) -> bool:
        """Whether the store holds what this analysis needs at all; the map offers it as a mode only then.

        True by default; analyses of private data a user loads (a portfolio, a tenant panel) say False
        until it is loaded, so a store without it shows no dead mode.
        """
        return True

    def report_table(self, result: "Result", lang: str = "nl") -> pd.DataFrame | None:
        """A small table (strings, headers in words) the report's generic chapter shows; None: no table."""
        return None

    def resolve(self, store, p) -> Any:          # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def compute(self, store, scope) -> Result:   # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __call__(self, store, **params) -> Result:
        """Validate, resolve, compute — and complete the suppression of the result: the cells
        secondary suppression hides are hidden in every result too (:mod:`._hidden`)."""
        from ._hidden import complete
        p = self.params(**params)
        result = self.compute(store, self.resolve(store, p))
        return complete(store, result)

    @property
    def __signature__(self) -> inspect.Signature:
        """``(store, *, <Params fields>)``: what the CLI and the map pass as keyword arguments."""
        ps = [inspect.Parameter("store", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        ps += [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, annotation=f.type,
                                 default=f.default if f.default is not dataclasses.MISSING else
                                 (f.default_factory() if f.default_factory is not dataclasses.MISSING  # type: ignore[misc]
                                  else inspect.Parameter.empty))
               for f in dataclasses.fields(self.Params)]
        return inspect.Signature(ps)

    @property
    def summary_nl(self) -> str:
        return render(self.summary, "nl")

    @property
    def summary_en(self) -> str:
        return render(self.summary, "en")

    @property
    def analysis_name(self) -> str:
        return self.name


def register(cls: type[Analysis]) -> type[Analysis]:
    """Class decorator: register an :class:`Analysis` subclass under its ``name``."""
    ANALYSES[cls.name] = cls()
    return cls


def reported_analyses() -> dict[str, Any]:
    """Every registered analysis with a :class:`ReportSpec`, by its ``order``."""
    from . import _load_all  # noqa: F401
    have = [(a.report.order, k, a) for k, a in ANALYSES.items() if getattr(a, "report", None) is not None]
    return {k: a for _, k, a in sorted(have, key=lambda t: (t[0], t[1]))}


def mapped_analyses() -> dict[str, Any]:
    """Every registered analysis that has a map layer, in registration order (the map's modes)."""
    from . import _load_all  # noqa: F401
    have = [(a.layer.order, k, a) for k, a in ANALYSES.items() if getattr(a, "layer", None) is not None]
    return {k: a for _, k, a in sorted(have, key=lambda t: (t[0], t[1]))}


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return None if np.isnan(o) else float(o)
    return str(o)


def select_region(store, region: list[str] | str | None, geo_version: str, level: str = "buurt") -> pd.DataFrame:
    """Areas of ``level`` in ``geo_version`` inside the region (gemeente/wijk codes, or area codes).

    ``region=None`` or ``NL01`` means the whole country. Returns the area table without geometry.
    """
    areas = store.areas(geo_version=geo_version, level=level, geometry=False)
    if areas.empty:
        raise NotComputable(Message("analysis.err.no_areas", {"level": level, "version": geo_version}))
    if region is None or region == [] or region == "NL01" or region == ["NL01"]:
        return areas
    codes = [region] if isinstance(region, str) else list(region)
    keep = areas["code"].isin(codes) | areas["gm_code"].isin(codes) | areas["wk_code"].isin(codes)
    if not keep.any():
        raise NotComputable(Message("analysis.err.region_empty", {"level": level, "version": geo_version,
                                                                  "region": ", ".join(codes)}))
    return areas[keep]


def panel(store, indicators: list[str], geo_version: str, codes=None, years=None) -> pd.DataFrame:
    """Wide panel: one row per (code, year), columns ``<ind>``, ``<ind>_num``, ``<ind>_den``, ``<ind>_flags``."""
    facts = one_fact_per_area_year(store.facts(indicator=indicators, geo_version=geo_version, codes=codes,
                                               years=years))
    if facts.empty:
        raise NotComputable(Message("analysis.err.no_facts", {"inds": list(indicators), "version": geo_version,
                                                              "years": ", ".join(map(str, years or [])) or "-"}))
    wide = facts.pivot_table(index=["code", "year"], columns="indicator",
                             values=["value", "numerator", "denominator"], aggfunc="first")
    out = pd.DataFrame(index=wide.index)
    for ind in indicators:
        for part, suffix in (("value", ""), ("numerator", "_num"), ("denominator", "_den")):
            out[ind + suffix] = wide[(part, ind)] if (part, ind) in wide.columns else np.nan
    flags = facts.pivot_table(index=["code", "year"], columns="indicator", values="flags", aggfunc="first")
    for ind in indicators:
        out[ind + "_flags"] = flags[ind] if ind in flags.columns else ""
    return out.reset_index()
