"""Text in Latin letters, with one name per country, for the salient terms of
bot.dedupe.terms. Pure.

Two reports of one event in two languages should share their names, but "Путин" is not
"Putin" to a pattern of Latin letters, and "Estados Unidos" is not "United States". So before
terms are taken (`latin`):

- the letters of other scripts are transliterated (anyascii, table-driven, no model).
  Cyrillic and Greek keep their capitals, so a name stays a name ("Путин" → "Putin"). Latin
  letters and symbols stay as written: strip_accents folds the accents later, and "€" stays a
  currency sign rather than "EUR";
- a country's name in any of 43 languages becomes its English name ("Corea del Norte",
  "Nordkorea", "Coreia do Norte" → "North Korea"; "Россия" → "Russia"), found where it starts
  with a capital if its script has them. The names are CLDR's (places.tsv, written by
  bench/build_places.py); one of fewer than 5 letters is left out unless it is English
  ("КНДР", "Man", "Chin" ...).

Limits: an inflected name is not found ("России", the Russian genitive, is not "Россия").
Arabic, Devanagari and CJK have no capitals, so their transliterated names count as words,
not names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from itertools import pairwise
from pathlib import Path

from anyascii import anyascii

__all__ = ["CJK", "PLACES", "WORD", "latin", "name_key", "transliterate"]

PLACES = Path(__file__).with_name("places.tsv")
# Runs of letters in scripts other than Latin: Greek to Mongolian (U+0370-1CFF, which leaves
# out the combining accents below it and Latin Extended Additional above it), Greek Extended,
# CJK, kana and Hangul (U+2E80-D7AF) and CJK compatibility ideographs.
_OTHER = re.compile(r"[\u0370-\u1cff\u1f00-\u1fff\u2e80-\ud7af\uf900-\ufaff]+")
# Scripts that write words without spaces between them: their names are found as written.
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A word: letters, with the marks that some scripts write inside words (Devanagari's vowel
# signs, Arabic's and Hebrew's vowel points, Thai's tone marks are not letters to `\w`).
WORD = re.compile(r"[^\W_](?:[^\W_]|[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a"
                  r"\u064b-\u065f\u0670\u06d6-\u06ed\u0900-\u0dff\u0e31-\u0e4e])*")
_BETWEEN = re.compile(r"[\s\-'’]+")   # what may stand between the words of one name


def transliterate(text: str) -> str:
    """`text` with every run of another script's letters written in Latin letters."""
    return text if text.isascii() else _OTHER.sub(lambda m: anyascii(m.group()), text)


def _fold(word: str) -> str:
    # Not bot.text.fold: that keeps letters NFKD does not decompose ("ł", "đ", "ʼ"), and a
    # key of a cased script must come out ASCII (`_places` tells the kinds apart by it).
    return anyascii(word).lower() if not word.isascii() else word.lower()


def name_key(name: str) -> str:
    """A country's name as places.tsv keys it when written with capitals: Latin letters,
    lower case, words joined by one space ("Côte d’Ivoire" → "cote d ivoire")."""
    return " ".join(_fold(w) for w in WORD.findall(transliterate(name)))


class _Names:
    """Names of several words, found word by word: the longest name that starts at a word."""

    def __init__(self, names: dict[str, str], capital: bool) -> None:
        self.names = names
        self.heads = {k.split(" ", 1)[0] for k in names}
        self.longest = max((k.count(" ") + 1 for k in names), default=1)
        self.capital = capital   # a name starts with a capital letter where the script has one

    def sub(self, text: str, fold: Callable[[str], str]) -> str:
        tokens = list(WORD.finditer(text))
        out: list[str] = []
        done = i = 0
        while i < len(tokens):
            first = tokens[i].group()
            if (first[0].isupper() or not self.capital) and fold(first) in self.heads:
                for n in range(min(self.longest, len(tokens) - i), 0, -1):
                    span = tokens[i:i + n]
                    if all(_BETWEEN.fullmatch(text[a.end():b.start()])
                           for a, b in pairwise(span)):
                        name = self.names.get(" ".join(fold(t.group()) for t in span))
                        if name:
                            out += [text[done:span[0].start()], name]
                            done, i = span[-1].end(), i + n - 1
                            break
            i += 1
        return "".join(out) + text[done:]


@cache
def _places() -> tuple[_Names, _Names, dict[str, str], re.Pattern[str]]:
    cased: dict[str, str] = {}
    caseless: dict[str, str] = {}
    cjk: dict[str, str] = {}
    for line in PLACES.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, name = line.split("\t")
            (cjk if CJK.search(key) else cased if key.isascii() else caseless)[key] = name
    cjk_names = re.compile("|".join(map(re.escape, sorted(cjk, key=len, reverse=True))))
    return _Names(cased, capital=True), _Names(caseless, capital=False), cjk, cjk_names


def latin(text: str) -> str:
    """`text` transliterated, each country's name in it written as its English name."""
    cased, caseless, cjk, cjk_names = _places()
    if not text.isascii():
        # Scripts without capitals first, as written: transliterated, "الصين" (China) would
        # be the lower-case "lsyn", which a word in another language could spell.
        if CJK.search(text):
            text = cjk_names.sub(lambda m: f" {cjk[m.group()]} ", text)
        text = transliterate(caseless.sub(text, str))
    return cased.sub(text, _fold)
