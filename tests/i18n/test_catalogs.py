"""The message catalogs: every message in Dutch and English, the same placeholders in both, and
every message id the code uses present in both."""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from veerkracht.i18n import LANGS, Message, catalog, render

SRC = Path(__file__).resolve().parents[2] / "src" / "veerkracht"
#: a message id as the code writes it: Message("a.b"), render("a.b", …), Message(f"a.{k}") …
_USED = re.compile(r"""(?:Message|render|plural)\(\s*(f?)["']([a-z_]+(?:\.[A-Za-z0-9_{}\[\]"'.]+)+)["']""")


def _fields(text: str) -> set[tuple[str, str | None]]:
    return {(name, conv) for _, name, _, conv in string.Formatter().parse(text) if name is not None}


def test_both_languages_have_every_message():
    nl, en = catalog("nl"), catalog("en")
    assert set(nl) == set(en) and len(nl) > 50
    empty = [k for k in nl if not nl[k].strip() or not en[k].strip()]
    assert empty == []


def test_placeholders_agree_between_languages():
    nl, en = catalog("nl"), catalog("en")
    assert [k for k in nl if _fields(nl[k]) != _fields(en[k])] == []


def _used_ids() -> list[tuple[str, bool]]:
    out = []
    for path in SRC.rglob("*.py"):
        for f, mid in _USED.findall(path.read_text(encoding="utf-8")):
            out.append((mid, bool(f)))
    return out


def test_every_message_the_code_uses_exists():
    ids = set(catalog("nl"))
    used = _used_ids()
    assert len(used) > 40
    missing = []
    for mid, is_f in used:
        if is_f or "{" in mid:          # f-string: the fixed prefix must start some message
            prefix = mid.split("{")[0]
            if not any(k.startswith(prefix) for k in ids):
                missing.append(mid)
        elif mid not in ids:
            missing.append(mid)
    assert missing == []


def test_numbers_follow_the_language():
    m = Message("typology.rise.points", {"x": 1234.56})
    assert render(m, "nl") == "+1234,6 procentpunt" and render(m, "en") == "+1234.6 percentage points"
    assert render("typology.note.suppressed", "nl", n=3) == \
        "3 gebieden rusten op kleine aantallen (gemarkeerd, waarden niet op de kaart)."
    # years are never grouped; indicator ids become labels, inside a sentence with a lower-case initial
    text = render("typology.note.nuisance_year", "nl", ind="nuisance", year=2016, year_to=2017)
    assert text == "Overlast (overlast (veiligheidsindex)) uit 2016: er zijn geen gegevens over 2017."


@pytest.mark.parametrize("lang", LANGS)
def test_unknown_message_is_a_bug_not_a_blank(lang):
    with pytest.raises(KeyError):
        render("no.such.message", lang)
