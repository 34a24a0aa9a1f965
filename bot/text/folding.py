"""The one case- and accent-insensitive form of text, used by matching, dedupe and the
bold matched terms of a post: NFKD (UAX #15), combining marks dropped, then casefold."""

from __future__ import annotations

import unicodedata

__all__ = ["fold", "fold_indexed", "strip_accents"]


def strip_accents(text: str) -> str:
    """`text` in NFKD without its combining marks ("Zürich" -> "Zurich"); case is kept."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Case- and accent-insensitive form: "Élysée" and "ELYSEE" both give "elysee"."""
    if text.isascii():
        return text.lower()         # the same as casefold() for ASCII, and much cheaper
    return strip_accents(text).casefold()


def fold_indexed(text: str) -> tuple[str, list[int]]:
    """`fold(text)` with, for each folded character, the index in `text` it came from."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for f in fold(ch):
            out.append(f)
            index.append(i)
    return "".join(out), index
