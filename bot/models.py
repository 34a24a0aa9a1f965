"""Plain data passed between the stages. All datetimes are timezone-aware UTC."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Article:
    """One feed entry, normalised by `parse`.

    `key` is stable across polls of the same feed (see `article_key.article_key` for the chain).
    `summary_html` is the entry's richest text as the feed gave it (HTML or plain text);
    `summarize` turns it into clean text.

    `image`: the entry's media:content/enclosure image or thumbnail, checked as a web URL.

    `brief`: an entry `parse` was told is already known (its `known` keys), so only `key`,
    `guid` and `published` were read; title, link and summary are empty. A known entry among
    the newest `bot.parse.entries.FULL_ENTRIES` is not brief: its summary is read
    (boilerplate detection reads those), its title and link are empty all the same.
    """

    key: str
    feed_url: str
    source: str
    title: str
    link: str | None
    guid: str | None
    summary_html: str
    published: datetime | None
    brief: bool = False
    image: str | None = None        # http(s) URL of the entry's image (bot.parse.media)


@dataclass(frozen=True)
class ParsedFeed:
    url: str
    title: str
    version: str                    # feedparser's, e.g. "rss20", "atom10"
    bozo: str | None                # why the XML was malformed (entries may still be there)
    ttl_minutes: int | None         # RSS <ttl>
    articles: tuple[Article, ...]
    left_out: int = 0               # items past `bot.parse.slices.MAX_ITEMS`, not read


@dataclass(frozen=True)
class Fetched:
    """A 2xx response with its (decoded, size-capped) body."""

    url: str                        # final URL after redirects
    status: int
    body: bytes
    headers: Mapping[str, str]
    etag: str | None
    last_modified: str | None
    body_hash: str                  # sha256 hex of body
    moved_to: str | None = None     # set on a permanent redirect (301/308)


@dataclass(frozen=True)
class NotModified:
    """304 Not Modified (RFC 9110 §15.4.5): a normal, cheap outcome."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Match:
    """Why an article matched a topic: the topic, the surface terms its query found, and
    the topic's meaning score when the semantic signal weighed in."""

    topic: str
    terms: tuple[str, ...]
    channel: str | None = None      # topic-level destination override
    score: float | None = None      # 0..1: how much the item reads like the topic's examples
    query: bool = True              # the topic's query matched (else the meaning alone did)
    # The meaning alone decided from the topic's bar for another language (foreign_min_score).
    foreign: bool = False

    @property
    def why(self) -> str:
        """"terms", "meaning 0.82", "terms, meaning 0.82" or "meaning 0.48 (another
        language)": which signal fired, and from which bar where it is not the usual one."""
        parts = ["terms"] if self.query else []
        if self.score is not None:
            parts.append(f"meaning {self.score:.2f}" + (" (another language)"
                                                         if self.foreign else ""))
        return ", ".join(parts)


@dataclass(frozen=True)
class FeedState:
    """What the store remembers about one feed between polls."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    last_success: datetime | None = None
    last_attempt: datetime | None = None
    error_count: int = 0
    failing_since: datetime | None = None
    last_error: str | None = None
    next_poll_at: datetime | None = None
    gone: bool = False
    alerted: bool = False           # the operator was told it is failing
    created_at: datetime | None = None
    poll_count: int = 0             # successful polls so far (0 = first poll: no flood)
    publish_interval: int | None = None   # seconds between items, for `every: auto`
    moved_to: str | None = None     # a 301/308 pointed here; polled instead of the config URL
