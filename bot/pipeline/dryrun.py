"""`newsbot match 'QUERY'`: which items a query would match, and why — without posting.

Against the stored recent items (default: the last 2 days), or against one feed given by
URL or file. The admin `/test` command reuses `dry_run`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.errors import FeedError
from bot.fetch import FetchLimits, fetch
from bot.match import Matcher, Topic, compile_query
from bot.models import NotModified
from bot.parse import parse
from bot.pipeline.refresh import oldest_first
from bot.settings import Settings
from bot.store import Store
from bot.summarize import feed_boilerplate, summarize


@dataclass(frozen=True)
class Hit:
    title: str
    source: str
    link: str | None
    published: datetime | None
    terms: tuple[str, ...]


def _candidates_from_feed(url: str, limits: FetchLimits) -> list[tuple[str, str, str,
                                                                       str | None,
                                                                       datetime | None]]:
    result = fetch(url, limits=limits)
    if isinstance(result, NotModified):  # no validators were sent; defensive only
        raise FeedError(url, "server answered 304 to an unconditional request")
    parsed = parse(result.body, result.headers, result.url)
    boilerplate = feed_boilerplate([a.summary_html for a in parsed.articles])
    return [(a.title, summarize(a.summary_html, boilerplate=boilerplate, title=a.title),
             a.source, a.link, a.published) for a in oldest_first(parsed.articles)]


def dry_run(query: str, settings: Settings, *, now: datetime, feed: str | None = None,
            since: timedelta = timedelta(days=2), store: Store | None = None,
            limit: int = 2000) -> tuple[int, list[Hit]]:
    """(items looked at, the ones that match). Raises QueryError for a bad query and
    FeedError for a feed that cannot be read."""
    compiled = compile_query(query, lists=dict(settings.lists), key="query")
    matcher = Matcher([Topic(name="query", query=compiled)])
    if feed is not None:
        items = _candidates_from_feed(feed, FetchLimits())
    else:
        own = store or Store(settings.database_url.reveal())
        try:
            own.migrate()
            rows = own.recent_articles(now - since, limit=limit)
        finally:
            if store is None:
                own.close()
        items = [(r["title"], r["summary"], r["source"], r["url"], r["published_at"])
                 for r in reversed(rows)]
    hits = []
    for title, text, source, link, published in items:
        found = matcher.match(title, text)
        if found:
            hits.append(Hit(title=title, source=source, link=link, published=published,
                            terms=found[0].terms))
    return len(items), hits


def render(looked_at: int, hits: list[Hit]) -> str:
    lines = [f"{len(hits)} of {looked_at} items match"]
    for hit in hits:
        when = f" ({hit.published:%Y-%m-%d %H:%M})" if hit.published else ""
        lines.append(f"• {hit.title} — {hit.source}{when}")
        lines.append(f"  why: {', '.join(hit.terms) or '(query matched)'}")
        if hit.link:
            lines.append(f"  {hit.link}")
    return "\n".join(lines)
