"""`newsbot match 'QUERY'`: which items a query would match, and why — without posting.

Against the stored recent items (default: the last 2 days), or against one feed given by
URL or file. The admin `/test` command reuses `dry_run`. Given a configured topic's name
instead of a query, the topic decides as `newsbot run` does: query, meaning, exclusions.
With the semantic signal on, every hit shows how it scores against each topic's meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.errors import FeedError
from bot.fetch import FetchLimits, fetch
from bot.match import Matcher, Topic, compile_query, topics_of
from bot.models import NotModified
from bot.parse import parse
from bot.pipeline.refresh import oldest_first
from bot.semantic import LazyVector, load_semantic
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
    why: str = "terms"                       # which signal fired (bot.models.Match.why)
    scores: tuple[tuple[str, float], ...] = ()   # each topic's meaning score, when on

    @property
    def reason(self) -> str:
        """The terms found, or which signal fired where no term did."""
        return ", ".join(self.terms) if self.terms else self.why


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
    semantic = load_semantic(settings.semantic_model)
    configured = [t for t in settings.topics if t.name == query]
    matcher = Matcher(topics_of(configured, semantic) if configured else [
        Topic(name="query", query=compile_query(query, lists=dict(settings.lists),
                                                key="query"))])
    # Every topic's meaning score is shown, whichever topic or query decides.
    meanings = [(t.name, t.meaning) for t in topics_of(settings.topics, semantic) if t.meaning]
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
        vector = LazyVector(semantic, title, text)
        found = matcher.match(title, text, vector)
        if found:
            v = vector()
            scores = tuple((name, m(v)) for name, m in meanings) if v is not None else ()
            hits.append(Hit(title=title, source=source, link=link, published=published,
                            terms=found[0].terms, why=found[0].why, scores=scores))
    return len(items), hits


def meaning_line(hit: Hit) -> str:
    """"meaning: summits 0.83, sanctions 0.12", or "" without the semantic signal."""
    return "meaning: " + ", ".join(f"{n} {s:.2f}" for n, s in hit.scores) if hit.scores else ""


def render(looked_at: int, hits: list[Hit]) -> str:
    lines = [f"{len(hits)} of {looked_at} items match"]
    for hit in hits:
        when = f" ({hit.published:%Y-%m-%d %H:%M})" if hit.published else ""
        lines.append(f"• {hit.title} — {hit.source}{when}")
        lines.append(f"  why: {hit.reason or '(query matched)'}"
                     + (f" ({hit.why})" if hit.terms and hit.why != "terms" else ""))
        if hit.scores:
            lines.append(f"  {meaning_line(hit)}")
        if hit.link:
            lines.append(f"  {hit.link}")
    return "\n".join(lines)
