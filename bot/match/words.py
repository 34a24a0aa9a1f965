"""Words as the query language sees them, in articles and in queries alike: how text splits
into words (`words`), the one fold, memoised per token (`fold`), and the English stem
(`stem`). The parser (`bot.match.grammar`) and the scan (`bot.match.keywords`) both use these,
so whatever a query term turns into, the same text in an article turns into the same thing.
"""

from __future__ import annotations

import re
import sys
import threading
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

import snowballstemmer

from bot.text import fold as fold_text

__all__ = ["fold", "stem", "words"]

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


def _mark_class() -> str:
    # Combining marks are not \w in Python's re, which would split Devanagari or decomposed
    # Latin words in two; list them once so they stay inside their word.
    out, start, prev = [], -1, -2
    for cp in range(0x300, sys.maxunicode + 1):
        if unicodedata.category(chr(cp)) in ("Mn", "Mc", "Me"):
            if cp != prev + 1:
                if start >= 0:
                    out.append((start, prev))
                start = cp
            prev = cp
    out.append((start, prev))
    return "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "")
                   for a, b in out)


# One CJK ideograph or kana per token (those scripts do not put spaces between words, so a
# term like 峰会 becomes a two-token phrase); otherwise runs of letters, digits and marks.
# A single character class with `+` cannot backtrack.
_WORD_RE = re.compile(rf"[{_CJK}]|(?:[^\W_{_CJK}]|[{_mark_class()}])+")
# A Snowball stemmer keeps its word in instance state: one shared by the polling threads
# raised IndexError mid-word (and could hand back another word's stem, which the cache below
# would then keep). One per thread.
_STEMMERS = threading.local()


def words(text: str) -> Iterator[tuple[str, int, int]]:
    """(folded word, start, end) for each word of `text` (offsets into `text`)."""
    for m in _WORD_RE.finditer(text):
        folded = fold(m.group())
        if folded:
            yield folded, m.start(), m.end()


# Tokens repeat across items: the one fold (bot.text), memoised per token.
fold = lru_cache(maxsize=200_000)(fold_text)


@lru_cache(maxsize=200_000)
def stem(folded: str) -> str:
    """English stem for English-looking words; anything else is compared whole."""
    if folded.isascii() and folded.isalpha() and len(folded) > 2:
        stemmer = getattr(_STEMMERS, "english", None)
        if stemmer is None:
            stemmer = _STEMMERS.english = snowballstemmer.stemmer("english")
        return str(stemmer.stemWord(folded))
    return folded
