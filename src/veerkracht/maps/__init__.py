"""Map rendering that every output shares: the read model, classes, legends and analysis layers.

Below both outputs (``web`` — the social map — and ``report``), above ``analysis``: the web app and
the report draw the same view from the same code, and neither imports the other.

* :mod:`.catalog` — the read model over a store: validated look-ups and facts with small numbers
  suppressed (nothing unsuppressed leaves it);
* :mod:`.legend` — class breaks pooled over years, polarity colours, legend rows;
* :mod:`.layers` — an analysis result drawn as a layer, from the analysis' own ``LayerSpec``;
* :mod:`.view` — one map view (version, level, region, indicator, mode, years): its table and legend.
"""
from .catalog import MAP_LEVELS, Catalog, ViewError
from .layers import AnalysisLayers
from .view import ViewParams, all_modes, map_view, validate

__all__ = ["Catalog", "ViewError", "MAP_LEVELS", "AnalysisLayers", "ViewParams", "map_view", "validate", "all_modes"]
