"""Is an item written in another language than English (`foreign`)? The matcher consults a
topic's meaning for such an item whatever its words: the lists cannot name a topic in every
language the encoder reads (bot.match.matcher).

Two tests, either enough:

- its letters: at least `FOREIGN` of them beyond ASCII (and 3 of them). Other scripts are near
  100 %; Spanish, German, French and Portuguese prose 1-4 %; English naming an "Erdoğan" or
  "Zürich" stays below.
- its words: `MIN_WORDS` or more plain-letter words, of which under `ENGLISH_SHARE` are
  `ENGLISH_MARKERS`. Indonesian, Malay, Tagalog, Swahili, and Italian or Dutch written without
  an accent, have no letter beyond ASCII: a two-sentence Indonesian report of two leaders
  meeting passed the first test as English, and reached the meaning only where a list word
  cued it.

The markers are English function words that other Latin-script languages do not spell alike
("a", "in", "is", "was", "an", "also", "do", "no" are left out: Spanish, Italian, German, Dutch
and Portuguese use them too). English ledes have 9 % or more of them, headlines often none,
which is why a text shorter than `MIN_WORDS` is judged by its letters alone.
"""

from __future__ import annotations

from bot.match.words import words

__all__ = ["ENGLISH_MARKERS", "ENGLISH_SHARE", "FOREIGN", "MIN_WORDS", "SAMPLE", "foreign"]

FOREIGN = 0.01
ENGLISH_MARKERS = frozenset({
    "about", "after", "are", "be", "been", "but", "by", "for", "from", "has", "have", "her",
    "his", "into", "it", "its", "of", "on", "said", "says", "than", "that", "the", "their",
    "there", "these", "they", "this", "those", "to", "were", "which", "who", "will", "with",
    "would"})
ENGLISH_SHARE = 0.04
MIN_WORDS = 12
# The encoder reads 256 characters (bot.semantic.MAX_CHARS); a language shows in far fewer.
SAMPLE = 2000


def foreign(text: str) -> bool:
    """Is `text` (mostly) written in another language than English? See the module's doc.
    Its start tells: a 100 KB lede costs no more than `SAMPLE` characters."""
    text = text[:SAMPLE]
    letters = [c for c in text if c.isalpha()]
    other = sum(not c.isascii() for c in letters)
    if other >= 3 and other >= FOREIGN * len(letters):
        return True
    plain = [w for w, _, _ in words(text) if w.isalpha()]
    return (len(plain) >= MIN_WORDS
            and sum(w in ENGLISH_MARKERS for w in plain) < ENGLISH_SHARE * len(plain))
