"""One feed, from fetch to the outbox, top to bottom: `refresh_feed`.

    fetch ─► parse ─► unseen, oldest first ─► summarize ─► match ─► dedupe ─► format ─► record

Delivery is not here: recorded outbox rows are drained by `bot.sender`. Every decision
takes `now` as an argument; the only I/O is through `fetch` and the `Store`.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot import digest, schedule
from bot.article import ArticleFetcher, is_teaser
from bot.dedupe import StoryFingerprint, fingerprint, same_story
from bot.errors import FeedError, FeedGone
from bot.fetch import FetchLimits, fetch
from bot.format import render_post
from bot.match import Matcher
from bot.models import Article, Fetched, Match, NotModified
from bot.parse import parse
from bot.settings import FeedConfig, Settings
from bot.store import ArticleRecord, NewStory, OutboxItem, Store
from bot.summarize import feed_boilerplate, summarize

log = logging.getLogger("newsbot.pipeline")


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
    session: Any = None          # a shared requests.Session (connection pooling)
    articles: ArticleFetcher | None = None   # for feeds with fetch_article: true


def refresh_feed(ctx: Context, feed: FeedConfig, now: datetime) -> FeedReport:
    """Poll one feed and queue a post for every new matching story. Never raises FeedError."""
    report = FeedReport(url=feed.url)
    state = ctx.store.feed_state(feed.url)
    try:
        result = fetch(feed.url, etag=state.etag, last_modified=state.last_modified,
                       body_hash=state.body_hash, limits=ctx.limits, session=ctx.session)
        if isinstance(result, NotModified):
            report.outcome = "not_modified"
            _record_success(ctx, feed, state, result, None, now, report)
            return report
        parsed = parse(result.body, result.headers, result.url, source=feed.name)
    except FeedError as exc:
        _record_failure(ctx, feed, state, exc, now, report)
        return report

    articles = oldest_first(parsed.articles)
    report.items = len(articles)
    unseen = ctx.store.unseen_keys(feed.url, [a.key for a in articles])
    fresh = [a for a in articles if a.key in unseen]
    report.new = len(fresh)
    boilerplate = feed_boilerplate([a.summary_html for a in parsed.articles])
    postable = _postable(ctx, fresh, boilerplate, first_poll=state.poll_count == 0,
                         since=state.created_at or now)
    for article in fresh:
        wanted = article.key in postable
        summary = _summary(ctx, feed, article, boilerplate, full_text=wanted)
        hits = ctx.matcher.match(article.title, summary) if wanted else []
        _record_article(ctx, feed, article, summary, hits, now, report)
    _record_success(ctx, feed, state, result, parsed.ttl_minutes, now, report)
    return report


def oldest_first(articles: Sequence[Article]) -> list[Article]:
    """Dated items by date; undated ones keep their place relative to the feed's order,
    which is newest first by convention, so reverse it."""
    ordered = list(reversed(articles))
    floor = datetime.min.replace(tzinfo=UTC)
    return sorted(ordered, key=lambda a: a.published or floor) if any(
        a.published for a in ordered) else ordered


def _summary(ctx: Context, feed: FeedConfig, article: Article, boilerplate: frozenset[str],
             *, full_text: bool) -> str:
    """Clean lead sentences; from the article page when the feed gives only a teaser."""
    summary = summarize(article.summary_html, boilerplate=boilerplate, title=article.title)
    if full_text and feed.fetch_article and ctx.articles and article.link and is_teaser(summary):
        text = ctx.articles.text(article.link)
        if text:
            return summarize(html.escape(text), title=article.title) or summary
    return summary


def _postable(ctx: Context, fresh: list[Article], boilerplate: frozenset[str], *,
              first_poll: bool, since: datetime) -> set[str]:
    """No flood on first start: a feed's first poll marks what it already had as seen,
    posting only items published after the feed was added, plus `backfill` matches."""
    if not first_poll:
        return {a.key for a in fresh}
    keys = {a.key for a in fresh if a.published and a.published > since}
    if ctx.settings.backfill:
        matching = [a for a in fresh if ctx.matcher.match(a.title, summarize(
            a.summary_html, boilerplate=boilerplate, title=a.title))]
        keys.update(a.key for a in matching[-ctx.settings.backfill:])
    return keys


def _record_article(ctx: Context, feed: FeedConfig, article: Article, summary: str,
                    hits: list[Match], now: datetime, report: FeedReport) -> None:
    record = ArticleRecord(key=article.key, url=article.link, title=article.title,
                           summary=summary, source=article.source,
                           published_at=article.published, topics=tuple(h.topic for h in hits))
    if not hits:
        ctx.store.record_article(feed.url, record, now)
        return
    report.matched += 1
    report.topics.extend(h.topic for h in hits)
    fp = fingerprint(article.title, summary, article.link)
    story = _same_story(ctx, fp, now)
    if story is not None:
        _record_duplicate(ctx, feed, record, story.id, story.render, now, report)
        return
    render = {"title": article.title, "source": article.source, "link": article.link,
              "summary": summary, "published": _iso(article.published),
              "topics": [h.topic for h in hits],
              "terms": list(dict.fromkeys(t for h in hits for t in h.terms))}
    # A post now, or a row waiting for its topic's scheduled digest (bot.digest).
    items = [digest.queue_item(chat, topics, _render(render, topics=topics, now=now),
                               ctx.settings.delivery, now)
             for chat, topics in _destinations(ctx.settings, feed, hits).items()]
    new_story = NewStory(url_key=fp.url_key, title_key=fp.title_key, signature=fp.signature,
                         bands=fp.bands, render=render)
    if ctx.store.record_article(feed.url, record, now, new_story=new_story, outbox=items):
        report.queued += len(items)


def _same_story(ctx: Context, fp: StoryFingerprint, now: datetime) -> Any:
    since = now - ctx.settings.dedupe_window
    for row in ctx.store.story_candidates(fp.url_key, fp.title_key, fp.bands, since):
        other = StoryFingerprint(url_key=row.url_key, title_key=row.title_key,
                                 signature=row.signature, bands=())
        if same_story(fp, other):
            return row
    return None


def _record_duplicate(ctx: Context, feed: FeedConfig, record: ArticleRecord, story_id: int,
                      render: dict[str, Any], now: datetime, report: FeedReport) -> None:
    """A later report of a posted story: no new post; edit the first one to add "Also:"."""
    report.duplicates += 1
    sources = [*ctx.store.story_sources(story_id), (record.source, record.url)]
    first = sources[0][0]
    also = list({name: (name, url) for name, url in sources[1:]
                 if url and name != first}.values())
    edits = [OutboxItem(chat=chat, kind="edit", topic=None,
                        body=_render(render, topics=render["topics"], also=also, now=now),
                        not_before=now + ctx.settings.delivery.edit_interval)
             for chat in ctx.store.outbox.story_chats(story_id)] if also else []
    ctx.store.record_article(feed.url, record, now, story_id=story_id, outbox=edits)


def _destinations(settings: Settings, feed: FeedConfig,
                  hits: list[Match]) -> dict[str, list[str]]:
    """chat -> topics routed there (topic channel, else feed channel, else default)."""
    out: dict[str, list[str]] = {}
    for hit in hits:
        chat = settings.destination(feed, hit.channel)
        if chat:
            out.setdefault(chat, []).append(hit.topic)
    return out


def _render(render: dict[str, Any], *, topics: Sequence[str], now: datetime,
            also: Sequence[tuple[str, str]] = ()) -> str:
    published = datetime.fromisoformat(render["published"]) if render["published"] else None
    return render_post(title=render["title"], source=render["source"], link=render["link"],
                       summary=render["summary"], published=published, topics=topics,
                       terms=render["terms"], also=also, now=now)


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _record_success(ctx: Context, feed: FeedConfig, state: Any, result: Fetched | NotModified,
                    ttl_minutes: int | None, now: datetime, report: FeedReport) -> None:
    if isinstance(result, Fetched) and result.moved_to:
        log.warning("feed %s moved permanently to %s; update the config", feed.url,
                    result.moved_to)
    if state.alerted:
        log.warning("feed %s recovered after %d failures", feed.url, state.error_count)
    values: dict[str, Any] = {"last_attempt": now, "last_success": now, "error_count": 0,
                              "failing_since": None, "last_error": None, "alerted": False,
                              "poll_count": state.poll_count + 1}
    if isinstance(result, Fetched):
        values.update(etag=result.etag, last_modified=result.last_modified,
                      body_hash=result.body_hash, moved_to=result.moved_to)
    report.next_poll_at = values["next_poll_at"] = schedule.next_poll(
        now, every=feed.every or ctx.settings.every, polling=ctx.settings.polling,
        headers=getattr(result, "headers", {}), ttl_minutes=ttl_minutes, error_count=0,
        seed=feed.url)
    ctx.store.update_feed(feed.url, **values)


def _record_failure(ctx: Context, feed: FeedConfig, state: Any, exc: FeedError,
                    now: datetime, report: FeedReport) -> None:
    report.outcome, report.error = ("gone" if isinstance(exc, FeedGone) else "error"), str(exc)
    errors = state.error_count + 1
    log.warning("feed %s failed (%d in a row): %s", feed.url, errors, exc)
    report.next_poll_at = schedule.next_poll(
        now, every=feed.every or ctx.settings.every, polling=ctx.settings.polling,
        headers={}, ttl_minutes=None, error_count=errors, seed=feed.url,
        retry_after=getattr(exc, "retry_after", None))
    ctx.store.update_feed(feed.url, last_attempt=now, error_count=errors,
                          failing_since=state.failing_since or now, last_error=str(exc)[:500],
                          gone=isinstance(exc, FeedGone), next_poll_at=report.next_poll_at)

