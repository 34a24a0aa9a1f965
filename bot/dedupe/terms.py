"""Salient terms of a headline + lede, and the overlap score between two such term sets. Pure.

Independent write-ups of one event share few 3-word phrases but many *salient terms*: names,
acronyms, figures and content words ("Abramovich", "Chelsea", "$60", "seaborne"). This module
reduces a text to those terms, self-contained (no corpus statistics, no downloads):

- words are case- and accent-folded, English function words and generic news vocabulary
  (`STOPWORDS`: "said", "officials", weekdays, months...) dropped, and crudely stemmed, with a
  demonym folded into its place ("Nepalese" = "Nepal") and "U.S."/"US"/"United States" one term;
- a term is a *name* when written capitalised mid-sentence or as an acronym, a *number* when it
  has a digit; capitalisation stands in for rarity (IDF), which needs no corpus;
- other scripts are written in Latin letters and a country's name in any of 43 languages as
  its English name (`bot.text.latin`), so "Путин" is "Putin" and "Estados Unidos" the USA;
- a leading dateline ("MOSCOW, April 18 (Xinhua) --", "WASHINGTON (Reuters) -") is dropped:
  it names where the agency sat, not what happened, and same-day wire stories share it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from hashlib import blake2b

from bot.text import FUNCTION_WORDS, latin, strip_accents

__all__ = ["MAX_NAMES", "MAX_WORDS", "NAME_KEYS", "STOPWORDS", "WEIGHTS", "name_keys",
           "overlap", "salient_terms", "shared_names", "strip_dateline"]

MAX_NAMES = 24   # names/numbers kept per article (first occurrences: the lede leads)
MAX_WORDS = 48   # other content words kept per article
NAME_KEYS = 12   # the first this-many names give pair keys "e:<hash>" (66 keys at most)
# Relative weight by kind: a shared figure or name is stronger evidence than a shared word.
WEIGHTS = {"word": 1.0, "name": 2.0, "number": 3.0}

# Generic news vocabulary, written for this module (not derived from any evaluation data):
# with the English function words (bot.text.FUNCTION_WORDS), none tells one event from another.
_NEWS_WORDS = """
according added adding announced announcement asked calling called comes coming expected
following go going gone including know known let likely look looking meanwhile mr mrs ms news
official officially officials people report reported reporting reports sources statement
thing things time times told way week weeks weekend day days month months year years
president presidents prime minister ministers secretary chancellor leader leaders chief head
government governments spokesman spokeswoman spokesperson country countries state states world
group groups part number
monday tuesday wednesday thursday friday saturday sunday morning afternoon evening night
january february march april june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec
"""
STOPWORDS = FUNCTION_WORDS | frozenset(_NEWS_WORDS.split())

_TOKEN = re.compile(r"[$€£]?[A-Za-z0-9][A-Za-z0-9'’]*(?:[.,\-][A-Za-z0-9]+)*|[.!?:;\"“”(\n]")
_NUMBER = re.compile(r"[$€£]?\d[\d.,]*")
# Every word capitalised or a figure ("MOSCOW, April 18", "Washington, D.C."), an optional
# "(Agency)" or "/TASS/", then a dash, colon or bullet: a dateline, not the story.
_DATELINE = re.compile(
    r"^\s*[A-Z][\w'’.]*(?:[ ,]+[A-Z0-9][\w'’.]*){0,5}[ ,]*"
    r"(?:\([^()]{1,60}\)|/[A-Z]{2,10}/\.?)?\s*(?:[-—–:•]+|(?<=/\.))\s*")

# One spelling for the few places every world-news wire names in several ways ("U.S.", "US",
# "United States"); left alone, "U.S." became two one-letter "names" shared by any two US
# stories, and "US" was dropped as the pronoun "us".
_ALIASES = [(re.compile(p), a) for p, a in (
    (r"\bU\.S\.(?:A\.)?(?=\W|$)|\bUSA?\b|\bUnited States(?: of America)?\b", "USA"),
    (r"\bU\.K\.(?=\W|$)|\bUnited Kingdom\b|\bBritain\b|\bBritish\b", "UK"),
    (r"\bU\.N\.(?=\W|$)|\bUnited Nations\b", "UN"),
    (r"\bE\.U\.(?=\W|$)|\bEuropean Union\b", "EU"))]


def _aliased(text: str) -> str:
    for pattern, alias in _ALIASES:
        text = pattern.sub(alias, text)
    return text


def strip_dateline(text: str) -> str:
    """`text` without a leading wire dateline, or unchanged."""
    m = _DATELINE.match(text)
    return text[m.end():] if m and m.end() <= 80 and m.end() < len(text) else text


def _stem(word: str) -> str:
    """Crude suffix stripping: "sanctions"/"sanctioned" → "sanction", "cancelled" → "cancel",
    "meetings" → "meet" (a plural first, then one verb ending)."""
    for suffixes in (("ies", "sses", "es", "s"), ("ed", "ing")):
        for suffix in suffixes:
            if (word.endswith(suffix) and len(word) - len(suffix) >= 3
                    and not (suffix == "s" and word.endswith(("ss", "us", "is")))
                    and not (suffix == "es" and word.endswith("ese"))):
                word = word[:len(word) - len(suffix)] + {"ies": "y", "sses": "ss"}.get(suffix, "")
                if suffix in ("ed", "ing") and len(word) > 3 and word[-1] == word[-2]:
                    word = word[:-1]   # "cancell" → "cancel", "stopp" → "stop"
                break
    return word


def _place(word: str) -> str:
    """Fold a demonym into its place, so a country and its people are one term: "Nepal",
    "Nepali", "Nepalese" → "nepal"; "Russia"/"Russian" → "russ"; "China"/"Chinese" → "chin";
    "Korea"/"Korean" → "kor"; "Italy"/"Italian" → "ital". Applied to every word, as a word is
    not always a name ("Alliance"/"alliance" must fold alike); it strips one demonym ending and
    then trailing vowels, which at worst merges two rare spellings, never drops a term."""
    for suffix in ("ese", "ian", "ean", "i"):
        if word.endswith(suffix) and len(word) - len(suffix) >= (4 if suffix == "i" else 3):
            word = word[:-len(suffix)]
            break
    stem = word.rstrip("aeiouy")
    return stem if len(stem) >= 3 and len(word) >= 5 else word


def _title_case(title: str) -> bool:
    # In "Putin Vows to Brief Washington" capitals say nothing about which words are names.
    words = [w for w in title.split() if w[:1].isalpha()]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def salient_terms(title: str, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(names, words): names and figures in order of first appearance, then the other content
    words in order of first appearance; both stemmed, folded and capped (`MAX_NAMES`,
    `MAX_WORDS`). A term seen both as a name and as a plain word counts as a name."""
    kinds: dict[str, bool] = {}   # term -> is a name/number
    for part, is_title in ((latin(title), True), (strip_dateline(latin(text)), False)):
        plain_caps = is_title and (_title_case(part) or part.isupper())
        sentence_start = True
        for m in _TOKEN.finditer(_aliased(strip_accents(part))):
            tok = m.group()
            if len(tok) == 1 and not tok.isalnum():
                sentence_start = True
                continue
            lower = tok.lower().replace("’", "'").removesuffix("'s")
            capital = tok[0].isupper() and not sentence_start and not plain_caps
            acronym = len(tok) >= 2 and tok.isupper() and not plain_caps
            sentence_start = False
            if _NUMBER.fullmatch(lower):
                pieces = [lower.lstrip("$€£").replace(",", "").rstrip(".")]
            else:
                pieces = [p for p in re.split(r"[-.,']", lower) if p]
            for piece in pieces:
                has_digit = any(c.isdigit() for c in piece)
                if piece in STOPWORDS or (len(piece) < 3 and not has_digit and not acronym):
                    continue
                term = piece if has_digit else _place(_stem(piece))
                kinds[term] = kinds.get(term, False) or capital or acronym or has_digit
    names = tuple(t for t, is_name in kinds.items() if is_name)[:MAX_NAMES]
    words = tuple(t for t, is_name in kinds.items() if not is_name)[:MAX_WORDS]
    return names, words


def _weights(names: Iterable[str], words: Iterable[str]) -> dict[str, float]:
    out = {w: WEIGHTS["word"] for w in words}
    out.update((n, WEIGHTS["number" if any(c.isdigit() for c in n) else "name"]) for n in names)
    return out


def overlap(names_a: tuple[str, ...], words_a: tuple[str, ...],
            names_b: tuple[str, ...], words_b: tuple[str, ...]) -> float:
    """Weighted overlap coefficient: shared weight over the lighter text's total weight.

    The shorter text is the yardstick because ledes differ in length: a one-line report that is
    wholly about the longer one's event should score high, as it does here.
    """
    wa, wb = _weights(names_a, words_a), _weights(names_b, words_b)
    total = min(sum(wa.values()), sum(wb.values()))
    if not total:
        return 0.0
    return sum(min(wa[t], wb[t]) for t in wa.keys() & wb.keys()) / total


def shared_names(names_a: tuple[str, ...], names_b: tuple[str, ...]) -> int:
    """Names/figures shared among the first `NAME_KEYS` of each (those that have keys)."""
    return len(set(names_a[:NAME_KEYS]) & set(names_b[:NAME_KEYS]))


def name_keys(names: tuple[str, ...]) -> list[str]:
    """"e:<16 hex>" per unordered pair of the first `NAME_KEYS` names: two articles sharing two
    such names share a key, so the store's band lookup finds every pair the name rule can match.
    """
    head = sorted(set(names[:NAME_KEYS]))
    return ["e:" + blake2b("\x1f".join((x, y)).encode(), digest_size=8,
                           person=b"newsbot-e").hexdigest()
            for i, x in enumerate(head) for y in head[i + 1:]]
