"""Turn fetched feed bytes into a `ParsedFeed` of `Article`s.

The only newsbot module that imports a feed parser. Two parsers with one API:

- feedparser-rs (Rust, feedparser's dict API, ~15x faster) reads a well-formed document,
  and JSON Feed, which feedparser does not read;
- feedparser, the reference, reads everything else: whatever feedparser-rs calls malformed
  (bozo), cannot place (no version) or fails on, and every feed where feedparser-rs is not
  installed. Its loose parser recovers what it can from broken XML.

Both always get bytes, never a URL or path string (a string may be fetched or opened), and
only after `strip_doctype` has removed the DOCTYPE's internal subset: feedparser blocks
billion laughs and external entities but expands "safe" internal entities without limit,
so a 40 KiB feed can grow into a 100-million-character summary.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import feedparser
from feedparser.encodings import convert_to_utf8

from bot.errors import NotAFeed, ParseError
from bot.htmltext import html_to_text
from bot.models import Article, ParsedFeed

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
_HIDDEN = re.compile(r"<(?:script|style|iframe|noscript|template|svg|object)\b", re.IGNORECASE)
_TRACKING = re.compile(r"(utm_\w+|fbclid|gclid|mc_cid|mc_eid)", re.IGNORECASE)
_HTML_HINT = re.compile(rb"<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
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

# --- DOCTYPE defusing --------------------------------------------------------------------
# The prolog is scanned token by token with find()/search() that never re-scan text, so the
# cost is linear in the body whatever it holds (no backtracking regex over the subset).
_PROLOG = re.compile(rb"<(\?|!--|!DOCTYPE|!ENTITY|\w)", re.IGNORECASE)
_DECL = re.compile(rb"[\"'\[\]>]|<!--")
_ELEMENT = re.compile(rb"<\w")
# An entity whose replacement is one character reference cannot amplify (e.g. &nbsp;).
_SAFE_ENTITY = re.compile(rb"<!ENTITY\s+([\w.:-]{1,64})\s+([\"'])(&#(?:\d{1,7}|x[0-9a-fA-F]{1,6});)"
                          rb"\2\s*>")


def strip_doctype(data: bytes) -> bytes:
    """Remove the DOCTYPE's internal subset and any stray <!ENTITY> before the root element.

    Works on ASCII-compatible bytes (`parse` transcodes to UTF-8 first, the way feedparser
    does, so UTF-16/32, EBCDIC or UTF-7 payloads are caught too). Declarations whose value
    is a single character reference (`<!ENTITY nbsp "&#160;">`) are kept: they cannot
    amplify. A DOCTYPE without an internal subset is left as it is (feedparser reads the
    Netscape RSS 0.91 version from it). An unterminated declaration is cut up to the next
    element, where feedparser's own prolog scan stops.
    """
    out: list[bytes] = []
    pos = last = 0
    while (m := _PROLOG.search(data, pos)) is not None:
        kind = m.group(1).upper()
        if kind == b"?" or kind == b"!--":
            end = data.find(b"?>" if kind == b"?" else b"-->", m.end())
            if end < 0:
                break
            pos = end + (2 if kind == b"?" else 3)
            continue
        if kind not in (b"!DOCTYPE", b"!ENTITY"):
            break                                   # the root element: the prolog is over
        end, subset = _declaration(data, m.end())
        if end < 0:                                 # unterminated: cut to the next element
            nxt = _ELEMENT.search(data, m.end())
            end = nxt.start() if nxt else len(data)
            out.append(data[last:m.start()])
        elif kind == b"!ENTITY":
            out.append(data[last:m.start()])
        elif subset is None:
            pos = end
            continue
        else:
            keep = b"".join(b"\n<!ENTITY %s %s%s%s>" % (g[0], g[1], g[2], g[1])
                            for g in _SAFE_ENTITY.findall(data, subset[0], subset[1]))
            head = data[m.start():subset[0] - 1].rstrip()
            out.append(data[last:m.start()] + head + (b" [" + keep + b"\n]>" if keep else b">"))
        pos = last = end
    if not out:
        return data
    out.append(data[last:])
    return b"".join(out)


def _declaration(data: bytes, pos: int) -> tuple[int, tuple[int, int] | None]:
    """End of a <!DOCTYPE/<!ENTITY declaration (quote-, comment- and subset-aware), or -1."""
    subset_start, subset = -1, None
    while (m := _DECL.search(data, pos)) is not None:
        tok = m.group()
        if tok in (b'"', b"'") or tok == b"<!--":
            close = data.find(b"-->" if tok == b"<!--" else tok, m.end())
            if close < 0:
                return -1, None
            pos = close + (3 if tok == b"<!--" else 1)
            continue
        pos = m.end()
        if tok == b"[" and subset_start < 0:
            subset_start = pos
        elif tok == b"]" and subset_start >= 0 and subset is None:
            subset = (subset_start, m.start())
        elif tok == b">" and (subset_start < 0 or subset is not None):
            return pos, subset
    return -1, None


def _defuse(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str], str | None]:
    """Bytes and headers for feedparser, plus a note if the declared encoding was wrong."""
    scratch: dict[str, Any] = {}
    data = convert_to_utf8(headers, body, scratch)
    exc = scratch.get("bozo_exception")
    note = None
    if exc is not None and type(exc).__name__ != "NonXMLContentType":
        note = _short(exc)
    if scratch.get("encoding"):     # now UTF-8 with encoding='utf-8' in its declaration
        headers = {**headers, "content-type": "application/xml; charset=utf-8"}
        return strip_doctype(data), headers, note
    return strip_doctype(body), headers, note


# --- parsing ----------------------------------------------------------------------------

def parse(body: bytes, headers: Mapping[str, str], url: str, *,
          source: str | None = None) -> ParsedFeed:
    """Parse feed bytes; raise `NotAFeed` for an empty body or a page that is not a feed.

    Malformed XML still yields the entries feedparser's loose parser recovers, with
    `ParsedFeed.bozo` set to a short reason. Articles come back in feed order.
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
        d = _fast(body if body.lstrip()[:1] == b"{" else data) or feedparser.parse(
            io.BytesIO(data), response_headers=hdrs, sanitize_html=False,
            resolve_relative_uris=False)
    except (KeyError, IndexError, UnicodeError, ValueError) as broken:
        # feedparser's own failures on mangled input (found by fuzzing: an undecodable
        # encoding name, a <link> closed before it opened): a broken feed, not our bug.
        raise ParseError(url, f"the feed is too broken to read ({_short(broken)}); report it to "
                              "the site, or remove the feed") from broken
    version = d.get("version") or ""
    if not version and not d.entries:
        if _HTML_HINT.search(body[:8192]) or "html" in kind.lower():
            raise NotAFeed(url, f"not a feed: looks like an HTML page ({kind}); use the "
                                "site's RSS/Atom link (often <link rel=alternate> in the page)")
        raise NotAFeed(url, f"not a feed: no RSS, Atom or RDF document found ({kind}); "
                            "check the URL")
    exc = d.get("bozo_exception")
    bozo = _short(exc) if d.get("bozo") and exc is not None else None
    if bozo and type(exc).__name__ == "NonXMLContentType":
        bozo = None
    title = _plain(d.feed.get("title", ""), d.feed.get("title_detail"))
    name = source or title or urlsplit(url).hostname or url.rsplit("/", 1)[-1]
    return ParsedFeed(url=url, title=title or name, version=version, bozo=bozo or encoding_note,
                      ttl_minutes=_ttl(d.feed.get("ttl")),
                      articles=tuple(_articles(d.entries, url, name)))


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


def _articles(entries: list[Any], url: str, source: str) -> list[Article]:
    out: list[Article] = []
    seen: set[str] = set()
    for e in entries:
        title = _plain(e.get("title", ""), e.get("title_detail"))
        link = _absolute(url, e.get("link"))
        guid = (e.get("id") or "").strip() or None
        summary = _demoronize(max([c.get("value") or "" for c in e.get("content") or []]
                                  + [e.get("summary") or ""], key=len))
        if not (title or link or summary.strip()):
            continue
        # dict.get: FeedParserDict maps a missing updated_parsed to published_parsed with a
        # DeprecationWarning; plain lookups keep the two apart.
        get = dict.get if isinstance(e, dict) else type(e).get
        published = _when(get(e, "published_parsed") or get(e, "updated_parsed"))
        # With no title, the start of the text stands in so such entries stay distinct.
        key = article_key(url, guid, link, title or _plain(summary[:2000], {"type": "text/html"}),
                          published)
        if key in seen:
            continue
        seen.add(key)
        out.append(Article(key=key, feed_url=url, source=source, title=title, link=link,
                           guid=guid, summary_html=summary, published=published))
    return out


def article_key(feed_url: str, guid: str | None, link: str | None, title: str,
                published: datetime | None) -> str:
    """The entry's stable identity within its feed, by the first of these that exists:

    1. ``guid:<sha256>`` of the GUID (RSS <guid>, Atom <id>): the publisher's own identity,
       so an edited title or a moved link does not make the story new;
    2. ``link:<sha256>`` of the canonical link, resolved against `feed_url` (lower-case
       scheme and host, no default port, no #fragment, no utm_*/fbclid/gclid parameters);
    3. ``title:<sha256>`` of the normalised title (entities unescaped, case-folded,
       whitespace collapsed) plus the published date (YYYY-MM-DD, or nothing), so an
       entry with neither GUID nor link still has a key that survives re-polls.

    This follows miniflux (reader/rss/adapter.go: GUID, else link, else a hash of the
    entry's text). The key is scoped to the feed by the store (articles are unique per
    feed and key); `feed_url` is deliberately not hashed, so a redirect to another URL
    (permanent or temporary) does not renew every key.
    """
    if guid and guid.strip():
        tier, value = "guid", guid.strip()
    elif link and link.strip():
        tier, value = "link", canonical_link(urljoin(feed_url, link.strip()))
    else:
        day = published.astimezone(UTC).date().isoformat() if published else ""
        tier, value = "title", _WS.sub(" ", html.unescape(title)).strip().casefold() + "\n" + day
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{tier}:{digest}"


def canonical_link(link: str) -> str:
    parts = urlsplit(link)
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, default) else f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not _TRACKING.fullmatch(k)])
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", query, ""))


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
