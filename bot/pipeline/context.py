"""What every refresh shares: its `Context`, the `FeedReport` it returns, and the
`OutageDetector` that tells our own network outage from a feed's failure."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bot.feedwork import FetchParsed, fetch_parse
from bot.fetch import FetchLimits, make_session
from bot.match import Matcher, topics_of
from bot.models import NotModified
from bot.semantic import Semantic, VectorIndex, load_semantic
from bot.settings import FeedConfig, Settings
from bot.store import Store
from bot.summarize import ArticleFetcher

__all__ = ["Context", "FeedReport", "OutageDetector", "build_context", "fetch_limits"]

log = logging.getLogger("newsbot.poller")


@dataclass
class FeedReport:
    """What one refresh did, for logs, `--once` progress and metrics."""

    url: str
    outcome: str = "ok"          # ok | not_modified | unchanged | error | gone
    items: int = 0
    new: int = 0
    matched: int = 0
    queued: int = 0
    duplicates: int = 0
    error: str | None = None
    next_poll_at: datetime | None = None
    topics: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    """What every refresh needs; built once per config (re)load."""

    settings: Settings
    store: Store
    matcher: Matcher
    limits: FetchLimits
    session: Any = None          # a shared http_client.HttpClient (keep-alive pools)
    # bot.feedwork.fetch_parse, or a bot.poll.pool.FeedPool running it in worker processes
    fetch_parse: Callable[..., NotModified | FetchParsed] = fetch_parse
    outage: OutageDetector | None = None         # our own network down: failures don't count
    articles: ArticleFetcher | None = None   # for feeds with fetch_article: true
    semantic: Semantic | None = None         # the sentence encoder, when it loaded
    # Stories' vectors in memory, read from the store only as new stories open (the index
    # says why); one per config load, filled at the first lookup.
    vectors: VectorIndex = field(default_factory=VectorIndex)

    def limits_for(self, feed: FeedConfig) -> FetchLimits:
        return self.limits if feed.trusted else fetch_limits(self.settings, feed)


class OutageDetector:
    """Is it us? When at least `threshold` of the polls in the last `window` failed with
    network errors (and there were at least `min_samples`), every feed failing at once
    is our outage, not theirs: the pipeline then retries soon and counts nothing toward
    backoff or alerts. It stays down until a poll succeeds. Logs one line when the network
    goes down and one when it is back."""

    def __init__(self, *, window: timedelta = timedelta(minutes=5), threshold: float = 0.8,
                 min_samples: int = 5) -> None:
        self.window, self.threshold, self.min_samples = window, threshold, min_samples
        self._samples: deque[tuple[datetime, bool]] = deque()
        self._failed = 0        # failures among _samples: kept, not recounted per poll
        self._lock = threading.Lock()
        self.down = False

    def record(self, now: datetime, *, network_failure: bool) -> bool:
        """Add one poll's outcome; return whether the network appears down now."""
        with self._lock:
            self._samples.append((now, network_failure))
            self._failed += network_failure
            while self._samples and self._samples[0][0] < now - self.window:
                self._failed -= self._samples.popleft()[1]
            total, failed = len(self._samples), self._failed
            down = (total >= self.min_samples and failed >= self.threshold * total) or (
                self.down and failed == total)      # down until some poll succeeds again
            if down and not self.down:
                log.error("network appears down: %d of the last %d polls failed with network "
                          "errors; retrying every feed soon, not counting these failures "
                          "against the feeds", failed, total)
            elif self.down and not down:
                log.warning("network is back: polls succeed again")
            self.down = down
            return down


def fetch_limits(settings: Settings, feed: FeedConfig | None = None) -> FetchLimits:
    """What `feed` is fetched with (`polling.*`). A feed from Telegram or OPML reaches public
    addresses only (bot.fetch.guard), or private ones too with `polling.allow_private`; the
    operator's own feeds (and `feed` None) anything."""
    p = settings.polling
    limits = FetchLimits(connect_timeout=p.connect_timeout, read_timeout=p.read_timeout,
                         total_timeout=p.total_timeout, max_bytes=p.max_bytes)
    if feed is None or feed.trusted:
        return limits
    return replace(limits, reach="private" if p.allow_private else "public")


def build_context(settings: Settings, store: Store) -> Context:
    p = settings.polling
    limits = fetch_limits(settings)
    # Loaded once per process (a reload reuses it); None: queries and text keys only.
    semantic = load_semantic(settings.semantic_model)
    matcher = Matcher(topics_of(settings.topics, semantic))
    session = make_session(pool_size=p.workers * 2, engine=p.http_engine)
    articles = (ArticleFetcher(limits, session) if any(f.fetch_article for f in settings.feeds)
                else None)
    # "Every feed failing at once" needs a few feeds to tell us from them.
    outage = OutageDetector(min_samples=min(5, max(2, len(settings.feeds))))
    return Context(settings=settings, store=store, matcher=matcher, limits=limits,
                   session=session, articles=articles, outage=outage, semantic=semantic)
