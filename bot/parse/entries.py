"""Feed entries into `Article`s, as both parsers give them (feedparser's dict API): plain
titles, absolute web links, the richest text, plausible dates, the entry's key
(`bot.parse.keys`) and image (`bot.parse.media`); an entry already known is read briefly.
Used by `bot.parse.feed`, which reads the document."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from bot.models import Article
from bot.parse.keys import article_key
from bot.parse.media import entry_image
from bot.text import HIDDEN_ELEMENTS, html_to_text

# Publication dates outside this window are feed bugs (epoch defaults, year 2099), not news.
_EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)
_FUTURE_SLACK = timedelta(days=2)
_TAG = re.compile(r"<[^<>]*>")          # [^<>] keeps every attempt short: linear overall
_WS = re.compile(r"\s+")
# The elements html_to_text drops whole: their content is never reader-visible text.
_HIDDEN = re.compile(r"<(?:" + "|".join(sorted(HIDDEN_ELEMENTS)) + r")\b", re.IGNORECASE)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Entries read in full even when known: `summarize.feed_boilerplate` reads the newest 20.
FULL_ENTRIES = 20

# Windows-1252 punctuation mislabelled as Latin-1 arrives as C1 controls (U+0080-U+009F);
# feedparser maps them back ("don\x92t" -> "don’t"), and so must the fast path (`_fast`
# in bot.parse.feed: feedparser-rs).
_C1 = re.compile("[\x80-\x9f]")
_CP1252 = {b: bytes([b]).decode("cp1252") for b in range(0x80, 0xA0)
           if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}


def _demoronize(text: str) -> str:
    return text.translate(_CP1252) if _C1.search(text) else text


class Articles:
    """Entries into Articles, in feed order, across the slices of one document: a key
    already taken is skipped, and the first `FULL_ENTRIES` are the document's first."""

    def __init__(self, url: str, source: str, known: frozenset[str], limit: int) -> None:
        self.url, self.source, self.known, self.limit = url, source, known, limit
        self.articles: list[Article] = []
        self.seen: set[str] = set()
        self.count = 0          # entries read so far
        self.left_out = 0       # entries past `limit`, not read

    def add(self, entries: list[Any]) -> None:
        room = max(0, self.limit - self.count)
        self.left_out += max(0, len(entries) - room)
        for e in entries[:room]:
            article = self._article(e, self.count)
            self.count += 1
            if article is not None and article.key not in self.seen:
                self.seen.add(article.key)
                self.articles.append(article)

    def _article(self, e: Any, n: int) -> Article | None:
        url, source = self.url, self.source
        guid = (e.get("id") or "").strip() or None
        # dict.get: FeedParserDict maps a missing updated_parsed to published_parsed with a
        # DeprecationWarning; plain lookups keep the two apart.
        get = dict.get if isinstance(e, dict) else type(e).get
        published = _when(get(e, "published_parsed") or get(e, "updated_parsed"))
        if guid and self.known:
            key = article_key(url, guid, None, "", None)    # a GUID alone decides the key
            if key in self.known:
                # Among the newest FULL_ENTRIES, its summary is kept for boilerplate
                # detection (it is not brief there); its title and link, never used for an
                # item seen before, are not worked out.
                window = n < FULL_ENTRIES
                return Article(key=key, feed_url=url, source=source, title="", link=None,
                               guid=guid, summary_html=_summary(e) if window else "",
                               published=published, brief=not window)
        title = plain(e.get("title", ""), e.get("title_detail"))
        link = _absolute(url, e.get("link"))
        summary = _summary(e)
        if not (title or link or summary.strip()):
            return None
        # With no title, the start of the text stands in so such entries stay distinct.
        key = article_key(url, guid, link, title or plain(summary[:2000], {"type": "text/html"}),
                          published)
        return Article(key=key, feed_url=url, source=source, title=title, link=link,
                       guid=guid, summary_html=summary, published=published,
                       image=entry_image(e, url))


def _summary(entry: Any) -> str:
    """The entry's longest text: its content, or its summary."""
    return _demoronize(max([c.get("value") or "" for c in entry.get("content") or []]
                           + [entry.get("summary") or ""], key=len))


def plain(text: str, detail: Mapping[str, Any] | None) -> str:
    """Plain text: tags dropped for HTML titles, entities unescaped, whitespace collapsed,
    cp1252 punctuation repaired (feed and item titles alike)."""
    if _HIDDEN.search(text or ""):
        # <script>/<style> content is never title text, whatever type the feed declares
        # (feedparser calls an escaped "&lt;script&gt;" in an RSS title plain text): drop
        # the elements whole. The HTML parser unescapes entities: no second unescape.
        return _demoronize(_WS.sub(" ", html_to_text(text)).strip())
    if detail is not None and detail.get("type") in _HTML_TYPES:
        text = _TAG.sub(" ", text)
    return _demoronize(_WS.sub(" ", html.unescape(text or "")).strip())


def _absolute(base: str, link: str | None) -> str | None:
    if not link or not link.strip():
        return None
    try:
        absolute = urljoin(base, link.strip())
    except ValueError:      # "http://example.c[o.test/": not a URL anyone can open
        return None
    # Only web links are posted: javascript:, data: or file: links from a feed are dropped.
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


def _when(parsed: time.struct_time | None) -> datetime | None:
    """feedparser's UTC struct_time → aware datetime; None if missing or implausible."""
    if not parsed:
        return None
    try:
        when = datetime(*parsed[:5], min(parsed[5], 59), tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None
    if when < _EARLIEST or when > datetime.now(UTC) + _FUTURE_SLACK:
        return None
    return when
