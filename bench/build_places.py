"""Build bot/text/places.tsv: what countries are called in the languages news is written in,
each with the English name newsbot's terms use (bot.text.script).

    python bench/build_places.py        # needs `pip install babel` (CLDR); rewrites the file

The names are CLDR's territory names (Unicode Common Locale Data Repository, through Babel):
the short names an outlet writes ("Corea del Norte", "Nordkorea", "Россия"), not ISO's formal
ones ("Korea, Democratic People's Republic of"). Each line holds a name's key, as
`bot.text.script.name_key` folds it, and the English name: "USA", "UK", "EU", "UN" for the
four that bot.dedupe.terms already writes so. Names in scripts without capitals (Arabic,
Hindi, Chinese...) stay as written: they are matched before the text is transliterated. A key
that two countries share in two languages keeps the first, English first; a folded key of fewer
than `MIN_LETTERS` letters in another language than English is left out: "Man", "Chin",
"Sec", "Mỹ" ("my") are words somewhere else.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.text.script import CJK, PLACES, WORD, name_key

# English first; then the languages of the world's news wires and of the dev data, and more.
LANGUAGES = """en es fr de it pt nl ro pl cs sk hu sv da nb fi is et lv lt sl hr sr bg uk ru
el tr id ms tl vi ar fa he hi bn ur ja zh ko th sw""".split()  # noqa: SIM905
MIN_LETTERS = 5
SAME_AS_TERMS = {"US": "USA", "GB": "UK", "EU": "EU", "UN": "UN"}


def caseless(name: str) -> bool:
    """Arabic, Hebrew, the Indic scripts, Thai...: letters without upper and lower case."""
    return not any(c.isupper() or c.islower() for c in name)


def without_aside(name: str) -> str:
    """"Myanmar (Burma)" → "Myanmar": outlets write the name, not CLDR's aside."""
    return re.sub(r"\s*\(.*\)", "", name)


def english(code: str, name: str) -> str:
    return SAME_AS_TERMS.get(code) or without_aside(name).replace("’", "'")


def main() -> int:
    from babel import Locale  # only to build the file: newsbot reads the file

    names = Locale("en").territories
    codes = [c for c in names if (len(c) == 2 and c.isalpha()) or c in SAME_AS_TERMS]
    rows: dict[str, str] = {}
    for language in LANGUAGES:
        territories = Locale.parse(language).territories
        for code in codes:
            name = territories.get(code)
            if not name:
                continue
            name = without_aside(name)
            if CJK.search(name):
                key = name
            elif caseless(name):
                key = " ".join(WORD.findall(name))
            else:
                key = name_key(name)
                # "Man" (Isle of Man), "Chin", "Law", "Sec", "Oma": a short name in one
                # language is a word in another. English names only ever map to themselves.
                if language != "en" and len(key.replace(" ", "")) < MIN_LETTERS:
                    continue
            rows.setdefault(key, english(code, names[code]))
    lines = [f"{k}\t{v}" for k, v in sorted(rows.items())]
    PLACES.write_text("# bench/build_places.py from CLDR (Babel): name key, English name\n"
                      + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{PLACES}: {len(lines)} names of {len(codes)} places in {len(LANGUAGES)} languages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
