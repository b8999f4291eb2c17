"""The social map: ``create_app(store_path)`` (FastAPI) and ``serve(store_path, host, port)``."""
from __future__ import annotations

__all__ = ["create_app", "serve"]


def create_app(store_path: str, warm: bool = True):
    from .app import create_app as _create
    return _create(store_path, warm=warm)


def serve(store_path: str, host: str = "127.0.0.1", port: int = 8000, allow_host: list[str] | tuple = ()) -> None:
    from .app import serve as _serve
    _serve(store_path, host=host, port=port, allow_host=allow_host)
