"""Turn fetched feed bytes into a `ParsedFeed` of `Article`s.

The only newsbot module that imports a feed parser. Two parsers with one API:

- feedparser-rs (Rust, feedparser's dict API, ~15x faster) reads a well-formed document,
  and JSON Feed, which feedparser does not read;
- feedparser, the reference, reads everything else: whatever feedparser-rs calls malformed
  (bozo), cannot place (no version) or fails on, and every feed where feedparser-rs is not
  installed. Its loose parser recovers what it can from broken XML.

Both always get bytes, never a URL or path string (a string may be fetched or opened), and
only after `bot.parse.prolog.strip_doctype` has removed the DOCTYPE's internal subset: feedparser
blocks billion laughs and external entities but expands "safe" internal entities without
limit, so a 40 KiB feed can grow into a 100-million-character summary. Each entry's key
comes from `bot.parse.keys`.

Memory follows the document, not a multiple of it: a UTF-8 body is not transcoded
(`bot.parse.encoding`), a document over 4 MB is read a slice of items at a time, and at
most `MAX_ITEMS` items are read from one document (`bot.parse.slices`).
"""

from __future__ import annotations

import html
import io
import re
import time
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from feedparser.encodings import convert_to_utf8

from bot.errors import NotAFeed, ParseError
from bot.models import Article, ParsedFeed
from bot.parse.encoding import as_utf8
from bot.parse.keys import article_key
from bot.parse.media import entry_image
from bot.parse.prolog import strip_doctype
from bot.parse.slices import MAX_ITEMS, slices
from bot.text import HIDDEN_ELEMENTS, html_to_text

feedparser_rs: Any
try:
    import feedparser_rs
except ImportError:     # no wheel for this platform: feedparser reads every feed, slower
    feedparser_rs = None

# Publication dates outside this window are feed bugs (epoch defaults, year 2099), not news.
_EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)
_FUTURE_SLACK = timedelta(days=2)
_TAG = re.compile(r"<[^<>]*>")          # [^<>] keeps every attempt short: linear overall
_WS = re.compile(r"\s+")
# The elements html_to_text drops whole: their content is never reader-visible text.
_HIDDEN = re.compile(r"<(?:" + "|".join(sorted(HIDDEN_ELEMENTS)) + r")\b", re.IGNORECASE)
_HTML_HINT = re.compile(rb"<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Entries read in full even when known: `summarize.feed_boilerplate` reads the newest 20.
FULL_ENTRIES = 20
_WEB_LINK = re.compile(r"https?://[^\s/?#]", re.IGNORECASE)
# Base64 text constructs, which feedparser-rs leaves undecoded: Atom 0.3 mode="base64", and
# Atom 1.0 content/summary/title/... whose type is a MIME type that is neither text/* nor XML
# (RFC 4287 §4.1.3.3). The element is checked only where a binary type occurs (enclosures,
# media:content, text constructs).
# XML names and Atom 0.3's mode values are case-sensitive (as in feedparser); MIME types are
# not. A case-insensitive pattern would lose the literal-prefix search: 0.2 ms per 35 KB feed
# instead of 0.04 ms.
_BASE64_MODE = re.compile(rb"""mode\s*=\s*["']base64["']""")
_BINARY_TYPE = re.compile(rb"""type\s*=\s*["'](?!(?i:text)/)[\w.+-]+/(?![\w.+-]*(?i:xml)["'])""")
_TEXT_CONSTRUCT = re.compile(rb"<(?:content|summary|title|subtitle|rights)\s")

def _defuse(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str], str | None]:
    """Bytes and headers for the parsers, plus a note if the declared encoding was wrong.
    A UTF-8 document is decided by `bot.parse.encoding` (one bad byte no longer makes the
    whole document windows-1252) and not copied; any other is transcoded by feedparser."""
    utf8 = as_utf8(body, headers)
    if utf8 is not None:
        data, note = utf8
    else:
        scratch: dict[str, Any] = {}
        data = convert_to_utf8(headers, body, scratch)
        exc = scratch.get("bozo_exception")
        note = None
        if exc is not None and type(exc).__name__ != "NonXMLContentType":
            note = _short(exc)
        if not scratch.get("encoding"):
            return strip_doctype(body), headers, note
    # Now UTF-8, whatever its declaration says.
    headers = {**headers, "content-type": "application/xml; charset=utf-8"}
    return strip_doctype(data), headers, note


# --- parsing ----------------------------------------------------------------------------

def parse(body: bytes, headers: Mapping[str, str], url: str, *,
          source: str | None = None, known: Collection[str] = ()) -> ParsedFeed:
    """Parse feed bytes; raise `NotAFeed` for an empty body or a page that is not a feed.

    Malformed XML still yields the entries feedparser's loose parser recovers, with
    `ParsedFeed.bozo` set to a short reason. Articles come back in feed order.

    `known`: article keys the caller has already recorded. An entry whose GUID gives one of
    them comes back `brief` (key, GUID and date only), skipping most of the per-entry work;
    among the first `FULL_ENTRIES`, which boilerplate detection reads, with its summary too
    (and then not `brief`), but still without its title and link.
    """
    if not body.strip():
        raise NotAFeed(url, "empty response; the server sent no content, check the URL")
    hdrs = {k.lower(): v for k, v in headers.items()}
    kind = hdrs.get("content-type", "no Content-Type")
    try:
        data, hdrs, encoding_note = _defuse(body, hdrs)
        # Relative links resolve against Content-Location, else the feed URL (RFC 9110 §8.7).
        hdrs["content-location"] = urljoin(url, hdrs.get("content-location", "")) or url
        # JSON Feed (jsonfeed.org) is read by feedparser-rs only, from the bytes as sent: the
        # transcoding above prepends an XML declaration.
        if body.lstrip()[:1] == b"{":
            data = body
        # A big document is read a slice of items at a time (bot.parse.slices): only one
        # slice's parser structures are alive at once.
        sliced = slices(data, limit=MAX_ITEMS)
        docs = sliced.docs if sliced is not None else iter((data,))
        d = _read(next(docs), hdrs)
    except (KeyError, IndexError, UnicodeError, ValueError) as broken:
        raise _too_broken(url, broken) from broken
    version = d.get("version") or ""
    if not version and not d.entries:
        if _HTML_HINT.search(body[:8192]) or "html" in kind.lower():
            raise NotAFeed(url, f"not a feed: looks like an HTML page ({kind}); use the "
                                "site's RSS/Atom link (often <link rel=alternate> in the page)")
        raise NotAFeed(url, f"not a feed: no RSS, Atom or RDF document found ({kind}); "
                            "check the URL")
    bozo = _bozo(d)
    title = _plain(d.feed.get("title", ""), d.feed.get("title_detail"))
    name = source or title or urlsplit(url).hostname or url.rsplit("/", 1)[-1]
    ttl = _ttl(d.feed.get("ttl"))
    reader = _Articles(url, name, frozenset(known), MAX_ITEMS)
    reader.add(d.entries)
    del d
    try:
        for doc in docs:
            d = _read(doc, hdrs)
            bozo = bozo or _bozo(d)
            reader.add(d.entries)
            del d
    except (KeyError, IndexError, UnicodeError, ValueError) as broken:
        raise _too_broken(url, broken) from broken
    return ParsedFeed(url=url, title=title or name, version=version, bozo=bozo or encoding_note,
                      ttl_minutes=ttl, articles=tuple(reader.articles),
                      left_out=reader.left_out + (sliced.left_out if sliced else 0))


def _read(data: bytes, headers: dict[str, str]) -> Any:
    return _fast(data) or feedparser.parse(io.BytesIO(data), response_headers=headers,
                                           sanitize_html=False, resolve_relative_uris=False)


def _too_broken(url: str, broken: Exception) -> ParseError:
    # feedparser's own failures on mangled input (found by fuzzing: an undecodable
    # encoding name, a <link> closed before it opened): a broken feed, not our bug.
    return ParseError(url, f"the feed is too broken to read ({_short(broken)}); report it to "
                           "the site, or remove the feed")


def _bozo(d: Any) -> str | None:
    exc = d.get("bozo_exception")
    if not d.get("bozo") or exc is None or type(exc).__name__ == "NonXMLContentType":
        return None
    return _short(exc)


def _fast(data: bytes) -> Any:
    """feedparser-rs's reading of a well-formed feed, or None to let feedparser read it.

    Neither sanitizes content nor rewrites URIs inside it: we never forward feed HTML
    (summarize turns it into text) and resolve item links ourselves (~40% less time).

    Item links decide article keys, and the parsers disagree on some: feedparser-rs blanks
    links to private addresses (an SSRF guard), resolves relative ones against the channel
    <link> rather than xml:base or the feed URL, and turns an empty <link/> into the
    channel's. A feed whose links are not all absolute web URLs therefore goes to
    feedparser, so a feed keeps its keys when one malformed poll switches parsers.
    """
    if feedparser_rs is None or _base64_text(data):
        return None
    try:
        d = feedparser_rs.parse(data, sanitize_html=False, resolve_relative_uris=False)
    except Exception:   # a parser bug on one feed: the reference parser decides
        return None
    if not d.version or d.bozo:
        return None
    for e in d.entries:
        link = e.get("link")
        if link is not None and not _WEB_LINK.match(link):
            return None
        if not (link or e.get("title") or e.get("summary") or e.get("content")):
            return None     # an empty entry: feedparser may find what it holds (xhtml:body)
    return d


def _base64_text(data: bytes) -> bool:
    if b"base64" in data and _BASE64_MODE.search(data):
        return True
    return any(_TEXT_CONSTRUCT.match(data, max(0, data.rfind(b"<", 0, m.start())))
               for m in _BINARY_TYPE.finditer(data))


# Windows-1252 punctuation mislabelled as Latin-1 arrives as C1 controls (U+0080-U+009F);
# feedparser maps them back ("don\x92t" -> "don’t"), and so must the fast path.
_C1 = re.compile("[\x80-\x9f]")
_CP1252 = {b: bytes([b]).decode("cp1252") for b in range(0x80, 0xA0)
           if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}


def _demoronize(text: str) -> str:
    return text.translate(_CP1252) if _C1.search(text) else text


class _Articles:
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
        title = _plain(e.get("title", ""), e.get("title_detail"))
        link = _absolute(url, e.get("link"))
        summary = _summary(e)
        if not (title or link or summary.strip()):
            return None
        # With no title, the start of the text stands in so such entries stay distinct.
        key = article_key(url, guid, link, title or _plain(summary[:2000], {"type": "text/html"}),
                          published)
        return Article(key=key, feed_url=url, source=source, title=title, link=link,
                       guid=guid, summary_html=summary, published=published,
                       image=entry_image(e, url))


def _summary(entry: Any) -> str:
    """The entry's longest text: its content, or its summary."""
    return _demoronize(max([c.get("value") or "" for c in entry.get("content") or []]
                           + [entry.get("summary") or ""], key=len))


def _plain(text: str, detail: Mapping[str, Any] | None) -> str:
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


def _ttl(value: Any) -> int | None:
    """RSS 2.0 <ttl>: minutes the feed may be cached; nonsense values are ignored."""
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return minutes if 0 < minutes <= 7 * 24 * 60 else None


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 200 else text[:197] + "..."
