"""Import every reader module so that each registers itself in ``READERS``."""
import importlib
import pkgutil

from .. import sources as _pkg

for _m in pkgutil.iter_modules(_pkg.__path__):
    if not _m.name.startswith("_") and _m.name != "base":
        importlib.import_module(f"{_pkg.__name__}.{_m.name}")
