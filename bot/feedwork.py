"""One feed's network and parsing work as a single call with plain arguments, so it runs the
same inline or in a worker process (`bot.feedpool`): fetch → parse → (first poll) light text.

In a worker the body never crosses to the main process: only the parsed result does, and
on a first poll its never-posted items carry `quick_text` instead of their HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.fetch import FetchLimits, fetch
from bot.models import Article, Fetched, NotModified, ParsedFeed
from bot.parse import parse
from bot.summarize import quick_text


@dataclass(frozen=True)
class FetchParsed:
    """A 200 that was parsed. `fetched.body` is empty: the parsed feed is what is needed."""

    fetched: Fetched
    parsed: ParsedFeed
    light: bool = False     # items not newer than `light_before` hold quick_text already


def fetch_parse(url: str, *, etag: str | None, last_modified: str | None,
                body_hash: str | None, limits: FetchLimits, source: str | None,
                light_before: datetime | None = None, session: Any = None
                ) -> NotModified | FetchParsed:
    """`fetch` then `parse`; raises their FeedErrors.

    `light_before` (a feed's first poll, no backfill): items published at or before it are
    recorded, never posted, so their `summary_html` is cut to `quick_text` here, where the
    parse already runs, rather than carried back whole.
    """
    result = fetch(url, etag=etag, last_modified=last_modified, body_hash=body_hash,
                   limits=limits, session=session)
    if isinstance(result, NotModified):
        return result
    parsed = parse(result.body, result.headers, result.url, source=source)
    if light_before is not None:
        parsed = replace(parsed, articles=tuple(_light(a, light_before)
                                                for a in parsed.articles))
    return FetchParsed(replace(result, body=b""), parsed, light=light_before is not None)


def _light(article: Article, before: datetime) -> Article:
    if article.published is not None and article.published > before:
        return article          # may be posted: the full summary is made from its HTML
    return replace(article, summary_html=quick_text(article.summary_html))
