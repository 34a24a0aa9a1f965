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
limit, so a 40 KiB feed can grow into a 100-million-character summary. Each entry
becomes an `Article` in `bot.parse.entries` (its key from `bot.parse.keys`).

Memory follows the document, not a multiple of it: a UTF-8 body is not transcoded
(`bot.parse.encoding`), a document over 4 MB is read a slice of items at a time, and at
most `MAX_ITEMS` items are read from one document (`bot.parse.slices`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from feedparser.encodings import convert_to_utf8

from bot.errors import NotAFeed, ParseError
from bot.models import ParsedFeed
from bot.parse.encoding import as_utf8
from bot.parse.entries import Articles, plain
from bot.parse.prolog import strip_doctype
from bot.parse.slices import MAX_ITEMS, slices

feedparser_rs: Any
try:
    import feedparser_rs
except ImportError:     # no wheel for this platform: feedparser reads every feed, slower
    feedparser_rs = None

_HTML_HINT = re.compile(rb"<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE)
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
    title = plain(d.feed.get("title", ""), d.feed.get("title_detail"))
    name = source or title or urlsplit(url).hostname or url.rsplit("/", 1)[-1]
    ttl = _ttl(d.feed.get("ttl"))
    reader = Articles(url, name, frozenset(known), MAX_ITEMS)
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
