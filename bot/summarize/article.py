"""Full text for feeds that give only a teaser (`fetch_article: true` on the feed).

The article page is fetched through `fetch.fetch_page` (same caps and timeouts as feeds),
at most one request per `min_interval` per domain, and its main text is extracted with
trafilatura, with the page's image (og:image) from its metadata — the optional `article`
extra (`pip install -e '.[article]'`). Without the extra, or on any failure, the feed's
own teaser is used: full text is a bonus, never a reason to lose an item.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.errors import FeedError
from bot.fetch import FetchLimits, fetch_page
from bot.parse import image_url

log = logging.getLogger("newsbot.article")
TEASER_CHARS = 280          # a summary shorter than this is probably a teaser
_TEASER_ENDINGS = ("…", "...", "[…]", "[...]")


def is_teaser(summary: str) -> bool:
    text = summary.strip()
    return len(text) < TEASER_CHARS or text.endswith(_TEASER_ENDINGS)


@dataclass(frozen=True)
class ArticlePage:
    text: str | None            # the main text, None if nothing was extracted
    image: str | None           # its og:image (or like), checked as a web URL


class DomainThrottle:
    """At most one request per `interval` seconds to each domain, across threads."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.next_slot: dict[str, float] = {}
        self.lock = threading.Lock()

    def wait(self, url: str) -> None:
        domain = (urlsplit(url).hostname or "").removeprefix("www.")
        with self.lock:
            now = time.monotonic()
            slot = max(now, self.next_slot.get(domain, now))
            self.next_slot[domain] = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


class ArticleFetcher:
    def __init__(self, limits: FetchLimits, session: Any = None, *,
                 min_interval: float = 2.0) -> None:
        self.limits, self.session = limits, session
        self.throttle = DomainThrottle(min_interval)
        try:
            import trafilatura
        except ImportError:
            self.extractor = None
            log.warning("fetch_article is set but trafilatura is not installed: "
                        "pip install -e '.[article]'; using the feeds' teasers")
        else:
            self.extractor = trafilatura

    def read(self, url: str) -> ArticlePage | None:
        """The page's main text and image, or None (no extra, the fetch failed)."""
        if self.extractor is None or not url.startswith(("http://", "https://")):
            return None
        self.throttle.wait(url)
        try:
            page = fetch_page(url, limits=self.limits, session=self.session)
        except FeedError as exc:
            log.info("article page %s not fetched: %s", url, exc)
            return None
        # One pass gives the text and the metadata: og:image, twitter:image, ...
        doc = self.extractor.bare_extraction(page.body, url=page.url, fast=True,
                                             with_metadata=True, include_comments=False,
                                             include_tables=False)
        if doc is None:
            return ArticlePage(None, None)
        text = str(getattr(doc, "text", None) or "").strip() or None
        return ArticlePage(text, image_url(getattr(doc, "image", None), page.url))
