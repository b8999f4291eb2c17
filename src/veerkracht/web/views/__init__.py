"""The JSON API, one module per area: meta (+search), maps (geometry, values, layers), areas
(profile, compare) and export (CSV, GeoJSON, PDF)."""
from . import areas, export, maps, meta

__all__ = ["areas", "export", "maps", "meta", "ROUTERS"]

ROUTERS = [meta.router, maps.router, areas.router, export.router]
from . import labels  # noqa: E402  (map labels: name points and room)
ROUTERS.append(labels.router)
