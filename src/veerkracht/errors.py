"""Errors that point the user at the exact place of bad input."""
from __future__ import annotations

__all__ = ["VeerkrachtError", "InputError", "StoreError", "NotComputable", "StoreLocked"]


class VeerkrachtError(Exception):
    """Base class of the errors the CLI shows to the user without a traceback."""


class InputError(VeerkrachtError):
    """Bad input: names the file, the row and the column where it went wrong.

    ``row`` is the 1-based line number in the file as a user sees it in an editor
    (the header is line 1), or the 1-based feature/record number for non-tabular input.
    """

    def __init__(self, file, message: str, row: int | None = None, column: str | None = None):
        self.file = str(file)
        self.row = row
        self.column = column
        self.message = message
        where = [f"file {self.file}"]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}")


class StoreError(VeerkrachtError):
    """The store cannot do what was asked (unknown version, indicator, …)."""


class NotComputable(StoreError):
    """An analysis cannot run on this selection; ``message`` (an ``i18n.Message``) says why and
    what input would make it work, in the user's language. ``str()`` is the English text."""

    def __init__(self, message):
        from .i18n import render
        self.message = message
        super().__init__(render(message, "en"))

    def text(self, lang: str = "nl") -> str:
        from .i18n import render
        return render(self.message, lang)


class StoreLocked(StoreError):
    """Another process holds the store (DuckDB: one writer, or many readers). ``str()`` is the
    English text of message ``error.store_locked``; ``text(lang)`` gives it in another language."""

    def __init__(self, path: str, pid: str, waited: float):
        from .i18n import Message, render
        self.message = Message("error.store_locked", {"path": str(path), "pid": pid or "?", "waited": int(round(waited))})
        super().__init__(render(self.message, "en"))

    def text(self, lang: str = "nl") -> str:
        from .i18n import render
        return render(self.message, lang)
