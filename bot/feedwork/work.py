"""One feed's network and parsing work with plain arguments: fetch → parse → (first poll)
light text. `fetch_parse` runs it all inline; `bot.poll.pool.FeedPool` fetches in the calling
thread and runs `parse_fetched` in a worker process.

Only a changed body goes to a worker and only the parsed result comes back; on a first poll
its never-posted items carry `quick_text` instead of their HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.fetch import FetchLimits, fetch
from bot.models import Article, Fetched, NotModified, ParsedFeed
from bot.parse import parse
from bot.summarize import quick_text

if TYPE_CHECKING:
    from bot.store import Store


@dataclass(frozen=True)
class FetchParsed:
    """A 200 that was parsed. `fetched.body` is empty: the parsed feed is what is needed."""

    fetched: Fetched
    parsed: ParsedFeed
    light: bool = False     # items not newer than `light_before` hold quick_text already


Known = Callable[[], Collection[str]]


def fetch_parse(url: str, *, etag: str | None, last_modified: str | None,
                body_hash: str | None, limits: FetchLimits, source: str | None,
                light_before: datetime | None = None, known: Known | None = None,
                session: Any = None, parse_with: Callable[..., FetchParsed] | None = None
                ) -> NotModified | FetchParsed:
    """`fetch` then `parse`; raises their FeedErrors. `parse_with`: what runs
    `parse_fetched` (`FeedPool` passes its worker processes); inline by default.

    `light_before` (a feed's first poll, no backfill): items published at or before it are
    recorded, never posted, so their `summary_html` is cut to `quick_text` here, where the
    parse already runs, rather than carried back whole.

    `known`: called after a 200 (never for a 304) for keys already recorded for this feed;
    their entries come back brief (`parse`): a changed feed mostly lists items seen before.
    """
    result = fetch(url, etag=etag, last_modified=last_modified, body_hash=body_hash,
                   limits=limits, session=session)
    if isinstance(result, NotModified):
        return result
    return (parse_with or parse_fetched)(result, source=source, light_before=light_before,
                                         known=known() if known else frozenset())


def parse_fetched(result: Fetched, *, source: str | None, light_before: datetime | None,
                  known: Collection[str] = ()) -> FetchParsed:
    """Parse a fetched body (raises ParseError); see `fetch_parse` for the options."""
    parsed = parse(result.body, result.headers, result.url, source=source, known=known)
    if light_before is not None:
        parsed = replace(parsed, articles=tuple(_light(a, light_before)
                                                for a in parsed.articles))
    return FetchParsed(replace(result, body=b""), parsed, light=light_before is not None)


def _light(article: Article, before: datetime) -> Article:
    if article.published is not None and article.published > before:
        return article          # may be posted: the full summary is made from its HTML
    return replace(article, summary_html=quick_text(article.summary_html))


class KnownKeys:
    """The keys a feed has recorded, read once and only if a changed body is to be parsed
    (`fetch_parse(known=...)`: such entries are read briefly), then reused to tell fresh
    items from seen ones. `complete` unless the feed holds more than `LIMIT` items (a feed
    publishing over ~65 items a day, with the default 30-day retention): then only its
    newest `LIMIT` keys are a hint, and `Store.unseen_keys` decides what is fresh."""

    LIMIT = 2000

    def __init__(self, store: Store, url: str) -> None:
        self.store, self.url = store, url
        self.keys: frozenset[str] | None = None

    def __call__(self) -> frozenset[str]:
        if self.keys is None:
            self.keys = frozenset(self.store.recent_keys(self.url, self.LIMIT + 1))
        return self.keys

    @property
    def complete(self) -> bool:
        return self.keys is not None and len(self.keys) <= self.LIMIT
