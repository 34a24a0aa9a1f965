"""Feed item HTML → a short clean summary: boilerplate out, lead sentences in. Pure.

Two kinds of junk are removed:
- per-feed chrome, learned from the feed itself (`feed_boilerplate`: lines that repeat across
  a feed's items), so no site list has to be maintained;
- promo/meta lines recognised by general shapes ("Source: X", "The post … appeared first on …",
  "Subscribe …", image credits), which also catch chrome in a feed's first, lone item.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from html import unescape

from bot.text import html_to_text, split_sentences

__all__ = ["feed_boilerplate", "html_to_text", "normalise_line", "summarize"]

_PUNCT = re.compile(r"[^\w\s]+")

# Promo/meta line shapes. Applied only to whole short lines (see _MAX_PROMO_LINE): a real
# paragraph that happens to start with "Support for the bill ..." is longer and kept.
_PROMO = re.compile(
    r"""^(?:
      support\b.{0,80}\b(?:ad[\s-]?free|donate|patreon|journalism|our\ work|us)\b
    | (?:go|get)\ ad[\s-]?free\b
    | (?:our\ )?comment(?:ing|s)?\ (?:rules|policy|guidelines)\b
    | (?:source|sources|via|h/t|hat\ tip)\s*:
    | the\ post\b.*\bappeared\ first\ on\b
    | (?:read\ more|continue\ reading|keep\ reading|read\ the\ full|full\ story|read\ also
        |also\ read|see\ also|related|recommended|more\ on\ this|listen\ to\ this)\b
    | (?:subscribe|sign\ up|click\ here|tap\ here|share\ this|follow\ us|like\ us\ on
        |advertisement|sponsored|copyright|©|all\ rights\ reserved)\b
    | \(?(?:photo|image|picture|photograph|video|illustration|graphic|credit|file\ photo)s?
        (?:\s*[:(/|–—-]|\ (?:by|credit|courtesy|source)\b)
    | (?:getty\ images|reuters\ photo|ap\ photo)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_MAX_PROMO_LINE = 300
# Trailing "Continue reading →" / "[…]" glued to the end of a real paragraph.
_TRAILING_PROMO = re.compile(
    r"\s*(?:\[(?:…|\.\.\.)\]|(?:continue reading|read more|read the full (?:story|article))"
    r"\b[^.!?]{0,60}?[»→›…]?)\s*$",
    re.IGNORECASE,
)
_TERMINAL = ".!?…:;\"'”’)]。！？"


def normalise_line(line: str) -> str:
    """The comparison form of a line: case, punctuation and spacing ignored."""
    return " ".join(_PUNCT.sub(" ", line.casefold()).split())


def feed_boilerplate(texts: Sequence[str], *, min_share: float = 0.5,
                     max_items: int = 20) -> frozenset[str]:
    """Normalised lines repeated across a feed's items: site chrome printed in every item.

    A line counts when it is in at least 2 items and, with 3 or more items, in at least
    `min_share` of them. Identical items (a feed repeating an entry) are counted once, or every
    line of a repeated entry would look like chrome. Only the first `max_items` distinct
    items are read (feeds list the newest first, so: the current template's chrome): chrome
    is in every item, and reading all of a 50-item feed cost more than parsing it.
    """
    unique = list(dict.fromkeys(texts))[:max_items]
    counts: Counter[str] = Counter()
    for text in unique:
        counts.update(_lines(text))
    n = len(unique)
    need = 2 if n < 3 else max(2, min_share * n)
    return frozenset(line for line, c in counts.items() if c >= need)


def _lines(text: str) -> frozenset[str]:
    """An item's distinct normalised lines, remembered by the text's digest: when a feed gains
    an item, the other 19 of its newest 20 were read at its previous poll (1.2 ms of HTML
    parsing per changed feed). Bounded: emptied past `_LINES_KEPT` entries."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    lines = _LINES.get(digest)
    if lines is None:
        lines = frozenset(normalise_line(ln) for ln in html_to_text(text).split("\n")) - {""}
        if len(_LINES) >= _LINES_KEPT:
            _LINES.clear()
        _LINES[digest] = lines
    return lines


_LINES: dict[bytes, frozenset[str]] = {}
_LINES_KEPT = 8192


def is_promo(line: str) -> bool:
    """True for promo/meta lines ("Subscribe …", "Source: X", "Photo: …") by general shape."""
    return len(line) <= _MAX_PROMO_LINE and bool(_PROMO.match(line.strip()))


def clean_lines(html: str, *, boilerplate: frozenset[str] = frozenset(),
                title: str = "") -> list[str]:
    """Content lines of an item: text minus boilerplate, promo lines and a repeated title."""
    lines = []
    for raw in html_to_text(html).split("\n"):
        line = _TRAILING_PROMO.sub("", raw).strip()
        if not line or is_promo(line) or normalise_line(line) in boilerplate:
            continue
        lines.append(line)
    # Pages often repeat the headline as their first line; the post already shows it.
    if lines and title and normalise_line(lines[0]) == normalise_line(title):
        lines.pop(0)
    return lines


def summarize(html: str, *, boilerplate: frozenset[str] = frozenset(), title: str = "",
              limit: int = 400) -> str:
    """The lead sentences of an item's text, at most `limit` characters.

    Cut at a sentence boundary; if even the first sentence is too long, at a word boundary
    with "…" (at a character boundary only for text without spaces, such as Chinese).
    """
    sentences: list[str] = []
    for line in clean_lines(html, boilerplate=boilerplate, title=title):
        # A heading or dek has no full stop; give it one so it reads as a sentence.
        if line[-1] not in _TERMINAL:
            line += "."
        sentences.extend(split_sentences(line))
    out = ""
    for sentence in sentences:
        candidate = f"{out} {sentence}" if out else sentence
        if len(candidate) > limit:
            break
        out = candidate
    if not out and sentences:
        out = shorten(sentences[0], limit)
    return out


def shorten(text: str, limit: int, ellipsis: str = "…") -> str:
    """`text` cut to at most `limit` characters at a word boundary, marked with `ellipsis`."""
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    if room <= 0:
        return ellipsis[:max(limit, 0)]
    head = text[:room + 1]
    cut = head.rfind(" ")
    # Cut at the last space, unless that throws away a long run without spaces (Chinese,
    # Japanese, one giant token): then between characters, which is how such text breaks.
    head = head[:cut] if cut > 0 and (room - cut < 20 or cut >= room // 2) else head[:room]
    return head.rstrip(" ,;:-–—") + ellipsis


_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def quick_text(html: str, limit: int = 500) -> str:
    """Cheap plain text for items recorded but never posted (a feed's first poll): kept
    for `newsbot match` dry runs, without the full summarize pass's cost."""
    text = _SPACE.sub(" ", unescape(_TAG.sub(" ", html[:limit * 4]))).strip()
    return text if len(text) <= limit else shorten(text, limit)
