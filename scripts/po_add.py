"""Add messages to both gettext catalogs (nl and en) of veerkracht.

Usage: python scripts/po_add.py FILE.py   where FILE.py defines
    M = [("message.id", "Nederlandse tekst {n}", "English text {n}", "optional translator comment"), ...]
Ids that already exist are reported and left alone. tests/i18n checks that both catalogs hold the same
ids with the same placeholders, and that every id the code uses exists.
"""
import pathlib
import runpy
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1] / "src" / "veerkracht" / "i18n" / "locale"


def _esc(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def main(path: str) -> None:
    messages = runpy.run_path(path)["M"]
    for lang, idx in (("nl", 1), ("en", 2)):
        po = ROOT / lang / "LC_MESSAGES" / "veerkracht.po"
        text = po.read_text(encoding="utf-8")
        add = []
        for m in messages:
            if f'msgid "{_esc(m[0])}"' in text:
                print("exists", m[0])
                continue
            comment = f"#. {m[3]}\n" if len(m) > 3 and m[3] else ""
            add.append(f'{comment}msgid "{_esc(m[0])}"\nmsgstr "{_esc(m[idx])}"\n')
        po.write_text(text.rstrip("\n") + "\n\n" + "\n".join(add) if add else text, encoding="utf-8")
    print("added", len(messages))


if __name__ == "__main__":
    main(sys.argv[1])
