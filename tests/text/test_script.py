"""bot.text.latin: other scripts in Latin letters, a country's name in any language as its
English name, and words that are a country's name somewhere else left alone."""

from __future__ import annotations

import pytest

from bot.text import latin, transliterate
from bot.text.script import PLACES, name_key


@pytest.mark.parametrize(("text", "expected"), [
    # a country's name in another language, of one word or several, with or without accents
    ("Estados Unidos y China firmaron", "USA y China firmaron"),
    ("Le président de la Corée du Nord", "Le président de la North Korea"),
    ("Gipfel in Nordkorea", "Gipfel in North Korea"),
    ("Vereinigte Staaten", "USA"),
    # Cyrillic and Greek keep their capitals: a name stays a name
    ("Путин прибыл в Россию", "Putin pribyl v Rossiyu"),
    ("Η Ευρωπαϊκή Ένωση και η Ρωσία", "I EU kai i Russia"),
    # scripts without capitals: the name is found as written, before transliteration
    ("قمة الصين", "qmh China"),
    ("भारत और रूस", "India aur Russia"),
    # CJK writes no spaces: the name is found inside the run
    ("中国和美国", " China He USA "),
    # a short name in one language is a word in another: left alone ("Man", "Sec", "Chin")
    ("Man arrested; SEC; a chin; Oma; Law", "Man arrested; SEC; a chin; Oma; Law"),
    # a name is written with a capital where the script has one
    ("los estados unidos", "los estados unidos"),
    # Latin letters and symbols stay as written: the accents are folded later, € stays a sign
    ("€60 cap — “quoted” in São Tomé", "€60 cap — “quoted” in São Tomé"),
    # an English name is its own name (CLDR writes "&")
    ("Bosnia and Herzegovina", "Bosnia & Herzegovina"),
    ("", ""),
])
def test_latin_writes_other_scripts_and_countries_names_one_way(text: str, expected: str) -> None:
    assert latin(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Путин", "Putin"),
    ("Zürich, 60 €", "Zürich, 60 €"),   # Latin text is left to strip_accents
    ("plain ASCII", "plain ASCII"),
])
def test_transliterate_touches_only_other_scripts(text: str, expected: str) -> None:
    assert transliterate(text) == expected


def test_a_hostile_text_is_written_in_bounded_time() -> None:
    # 100 KB of one name's first word: each word tries the longest names once, no more
    text = "Bosnia " * 15_000 + "Путин " * 2_000
    out = latin(text)
    assert out.count("Bosnia") == 15_000 and out.count("Putin") == 2_000


def test_the_shipped_names_are_keyed_as_the_module_reads_them() -> None:
    # places.tsv is written by bench/build_places.py; a Latin key is folded as the module
    # folds a text's words (lower case, one space between words), so a hand edit that
    # breaks the fold is caught
    lines = [line.split("\t") for line in PLACES.read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    assert len(lines) > 5_000 and all(len(row) == 2 and row[1] for row in lines)
    latin_keys = [key for key, _ in lines if key.isascii()]
    assert all(key == key.lower() == " ".join(key.split()) for key in latin_keys)
    assert name_key("Corée du Nord") == "coree du nord"
    assert dict(lines)["corea del norte"] == "North Korea"
