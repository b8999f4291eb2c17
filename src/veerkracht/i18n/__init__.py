"""User-facing words: gettext message catalogs (``locale/<lang>/LC_MESSAGES/veerkracht.po``).

Computing code never builds a sentence. It returns :class:`Message` objects — a message id plus
parameters — and an output renders them in the user's language with :func:`render`::

    >>> render(Message("typology.class.problem"), "en")
    'problem area'
    >>> render(Message("typology.rise.points", {"x": 1234.5}), "nl")
    '+1234,5 procentpunt'

Numbers are formatted by the format spec in the message (``{value:.1f}``, ``{n:,}`` for a
thousands separator; a plain ``{year}`` is never grouped), with a decimal comma and a thousands
point in Dutch. Conversions look words up: ``{x!i}`` renders an indicator id (or a list of ids) as
its registry label, ``{x!l}`` the same with a lower-case initial for use inside a sentence,
``{x!m}`` renders a message id (or a :class:`Message`) nested inside another; a list of
:class:`Message` parameters is rendered as their texts joined by commas. Catalogs are read with
Babel (no compile step); ``tests/i18n`` fails when a message lacks
Dutch or English, or when the two disagree on their placeholders.
"""
from __future__ import annotations

import math
import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

__all__ = ["Message", "render", "catalog", "LANGS", "fmt_number", "plural"]

LANGS = ("nl", "en")
_LOCALE = Path(__file__).parent / "locale"
_DECIMAL_COMMA = str.maketrans(",.", ".,")


@dataclass(frozen=True)
class Message:
    """A message id and its parameters: the only form in which analyses hand words to outputs."""

    id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, lang: str = "nl") -> str:
        return render(self, lang)

    def to_dict(self) -> dict:
        return {"id": self.id, "params": {k: (v.to_dict() if isinstance(v, Message) else v)
                                          for k, v in self.params.items()}}


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    """``{message id: text}`` of one language, read from its ``.po`` file."""
    from babel.messages.pofile import read_po

    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGS)}")
    with open(_LOCALE / lang / "LC_MESSAGES" / "veerkracht.po", "rb") as fh:
        cat = read_po(fh, locale=lang)
    return {str(m.id): str(m.string) for m in cat if m.id and not m.fuzzy}


def fmt_number(x: Any, spec: str = "", lang: str = "nl") -> str:
    """``x`` formatted by ``spec`` (``'.1f'``, ``'+,.0f'`` …), Dutch separators in Dutch; NaN → n.b./n/a."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a" if lang == "en" else "n.b."
    if not spec and isinstance(x, float):
        spec = ",.{}f".format(0 if float(x).is_integer() else 2)
    text = format(x, spec)
    return text if lang == "en" else text.translate(_DECIMAL_COMMA)


def plural(n: int, one: str, many: str, lang: str = "nl") -> str:
    """``'1 gebied'`` / ``'5 gebieden'``: a count with the message of the right number."""
    return render(Message(one if int(n) == 1 else many, {"n": int(n)}), lang)


def _lower_initial(name: str) -> str:
    if len(name) > 1 and name[0].isupper() and not name[1].isupper() and not name.startswith("Leefbaarometer"):
        return name[0].lower() + name[1:]
    return name


class _Formatter(string.Formatter):
    def __init__(self, lang: str):
        self.lang = lang

    def convert_field(self, value, conversion):
        if conversion in ("i", "l"):   # an indicator id (or a list of them) as its label(s)
            from ..indicators.registry import label
            items = value if isinstance(value, (list, tuple)) else [value]
            names = [label(str(v), self.lang) for v in items]
            if conversion == "l":          # inside a sentence: 'Bijstand…' → 'bijstand…', 'LVB' stays
                names = [_lower_initial(n) for n in names]
            return ", ".join(names)
        if conversion == "m":
            return render(value if isinstance(value, Message) else Message(str(value)), self.lang)
        return super().convert_field(value, conversion)

    def format_field(self, value, format_spec):
        if isinstance(value, Message):
            return render(value, self.lang)
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, Message) for v in value):
            return ", ".join(render(v, self.lang) for v in value)      # a list of messages
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return fmt_number(value, format_spec, self.lang)
        if hasattr(value, "item") and not isinstance(value, str):       # numpy scalars
            return self.format_field(value.item(), format_spec)
        return super().format_field(value, format_spec)


def render(message: Message | str, lang: str = "nl", /, **params) -> str:
    """The text of ``message`` in ``lang``; an unknown id raises ``KeyError`` (a bug, caught by tests)."""
    if isinstance(message, str):
        message = Message(message, params)
    elif params:
        message = Message(message.id, {**message.params, **params})
    text = catalog(lang)[message.id]
    return _Formatter(lang).format(text, **message.params) if message.params or "{" in text else text
