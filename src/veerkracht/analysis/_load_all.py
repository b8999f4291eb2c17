"""Import every analysis module so that each registers itself in ``ANALYSES``."""
import importlib
import pkgutil

from .. import analysis as _pkg

for _m in pkgutil.iter_modules(_pkg.__path__):
    if not _m.name.startswith("_") and _m.name not in ("base",):
        importlib.import_module(f"{_pkg.__name__}.{_m.name}")
