"""An article's stable key within its feed, by a documented fallback chain. Pure."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

__all__ = ["article_key", "canonical_link"]

# A key is a stored identity, so its spelling of a link is frozen: it drops only the five
# parameters it dropped when keys were first written. Widening it to all of
# `bot.text.TRACKING` would re-key every stored link carrying, say, ?ref=: those items would
# look unseen after an upgrade and post again. tests/parse checks these stay within TRACKING.
KEY_TRACKING = re.compile(r"(utm_\w+|fbclid|gclid|mc_cid|mc_eid)", re.IGNORECASE)
_WS = re.compile(r"\s+")


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
                       if not KEY_TRACKING.fullmatch(k)])
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", query, ""))
