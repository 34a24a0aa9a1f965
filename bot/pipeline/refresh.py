"""One feed, from fetch to the outbox, top to bottom: `refresh_feed`.

    fetch + parse ─► unseen, oldest first ─► summarize ─► match ─► dedupe ─► format ─► record

Delivery is not here: recorded outbox rows are drained by `bot.deliver.Sender`; what the
poll's outcome does to the feed's state (next poll, backoff, alerts) is `outcome`. Every decision
takes `now` as an argument; the only I/O is through `ctx.fetch_parse` (inline, or in worker
processes: `bot.poll.pool`) and the `Store`.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import bot.pipeline.schedule as schedule
from bot import metrics
from bot.dedupe import BUSY_WINDOW, SAME, fingerprint, merge_bar, strength
from bot.errors import FeedError
from bot.feedwork import KnownKeys
from bot.models import Article, FeedState, Match, NotModified
from bot.pipeline.context import Context, FeedReport
from bot.pipeline.outcome import body_was_sent, record_failure, record_success
from bot.pipeline.posts import (
    also_edits,
    also_outlets,
    destinations,
    first_report,
    render_story,
    story_render,
)
from bot.pipeline.queue import queue_item
from bot.semantic import LazyVector, pack
from bot.settings import FeedConfig
from bot.store import ArticleRecord, NewStory
from bot.summarize import feed_boilerplate, is_teaser, quick_text, summarize

log = logging.getLogger("newsbot.pipeline")


def refresh_feed(ctx: Context, feed: FeedConfig, now: datetime,
                 state: FeedState | None = None) -> FeedReport:
    """Poll one feed and queue a post for every new matching story. Never raises FeedError.
    `state`: the feed's stored state if the caller already read it (`poll_cycle` reads
    every feed's in one query), else it is read here."""
    report = FeedReport(url=feed.url)
    state = state or ctx.store.feed_state(feed.url)
    first_poll = state.poll_count == 0
    since = state.created_at or now
    known = None if first_poll else KnownKeys(ctx.store, feed.url)   # read only on a 200
    try:
        # After a 301/308 the stored URL is polled; the config still names the old one.
        out = ctx.fetch_parse(state.moved_to or feed.url, etag=state.etag,
                              last_modified=state.last_modified, body_hash=state.body_hash,
                              limits=ctx.limits_for(feed), source=feed.name,
                              session=ctx.session,
                              # a first poll posts only items newer than `since` (_postable)
                              light_before=since if first_poll and not ctx.settings.backfill
                              else None,
                              known=known)
        if isinstance(out, NotModified):
            # 304, or a 200 whose body hashes as before (the server ignored our
            # validators): either way nothing to parse.
            report.outcome = "unchanged" if body_was_sent(out) else "not_modified"
            record_success(ctx, feed, state, out, None, now, report)
            return report
        result, parsed = out.fetched, out.parsed
        if parsed.bozo:
            log.warning("feed %s is not well-formed (%s); keeping the %d item(s) the tolerant "
                        "parser recovered", feed.url, parsed.bozo, len(parsed.articles))
        if parsed.left_out:
            log.warning("feed %s lists %d items past the first %d; those are left out, to "
                        "bound memory (a feed lists its newest first)", feed.url,
                        parsed.left_out, len(parsed.articles))
    except FeedError as exc:
        record_failure(ctx, feed, state, exc, now, report)
        return report

    articles = oldest_first(parsed.articles)
    report.items = len(articles)
    listed = [a.key for a in articles]
    if known is not None and known.complete:
        # The keys read for the parse are every key this feed has recorded, and only this
        # poll (it holds the feed) records more: no second look at the database needed.
        recorded = known()
        fresh = [a for a in articles if not a.brief and a.key not in recorded]
        unlisted: set[str] | None = set(recorded).difference(listed)
    else:
        unseen = ctx.store.unseen_keys(feed.url, [a.key for a in articles if not a.brief])
        fresh, unlisted = [a for a in articles if a.key in unseen], None
    report.new = len(fresh)
    # Boilerplate detection reads the newest items: only worth it when something may be posted.
    boilerplate = (feed_boilerplate([a.summary_html for a in parsed.articles if not a.brief])
                   if fresh and (not first_poll or ctx.settings.backfill) else frozenset())
    postable = _postable(ctx, fresh, boilerplate, first_poll=first_poll, since=since,
                         last_success=state.last_success)
    if len(postable) < len(fresh) and not first_poll:
        log.info("feed %s: %d unseen item(s) dated more than %s before its last successful "
                 "poll: recorded, not posted (re-keyed or archive items, not news)", feed.url,
                 len(fresh) - len(postable), ctx.settings.dedupe_window)
    seen: list[ArticleRecord] = []      # no topic matched: recorded together, one transaction
    for article in fresh:
        wanted = article.key in postable
        if wanted:
            summary, article = _summary(ctx, feed, article, boilerplate)
        else:
            summary = (article.summary_html if out.light       # quick_text already
                       else quick_text(article.summary_html))
        vector = LazyVector(ctx.semantic, article.title, summary)   # embedded if asked
        hits = ctx.matcher.match(article.title, summary, vector) if wanted else []
        _record_article(ctx, feed, article, summary, hits, now, report, seen, vector)
    ctx.store.record_seen(feed.url, seen, now)
    # An empty document is more likely a glitch than news; nothing unlisted, nothing to prune.
    if articles and not first_poll and unlisted != set():
        ctx.store.retention.prune_feed(feed.url, listed, now - ctx.settings.retention)
    metrics.ITEMS_PARSED.inc(len(articles))
    record_success(ctx, feed, state, result, parsed.ttl_minutes, now, report,
                   schedule.publishing_interval(a.published for a in articles))
    return report


def oldest_first(articles: Sequence[Article]) -> list[Article]:
    """Dated items by date; undated ones keep their place relative to the feed's order,
    which is newest first by convention, so reverse it."""
    ordered = list(reversed(articles))
    floor = datetime.min.replace(tzinfo=UTC)
    return sorted(ordered, key=lambda a: a.published or floor) if any(
        a.published for a in ordered) else ordered


def _summary(ctx: Context, feed: FeedConfig, article: Article,
             boilerplate: frozenset[str]) -> tuple[str, Article]:
    """Clean lead sentences; from the article page when the feed gives only a teaser, and
    then the page's image (og:image) if the feed named none."""
    summary = summarize(article.summary_html, boilerplate=boilerplate, title=article.title)
    if feed.fetch_article and ctx.articles and article.link and is_teaser(summary):
        page = ctx.articles.read(article.link)
        if page is not None and article.image is None and page.image:
            article = replace(article, image=page.image)
        if page is not None and page.text:
            return summarize(html.escape(page.text), title=article.title) or summary, article
    return summary, article


def _postable(ctx: Context, fresh: list[Article], boilerplate: frozenset[str], *,
              first_poll: bool, since: datetime, last_success: datetime | None) -> set[str]:
    """Which unseen items may be posted; the others are recorded as seen.

    - No flood on first start: a feed's first poll marks what it already had as seen,
      posting only items published after the feed was added, plus `backfill` matches.
    - No flood when a feed re-keys old items (a new GUID scheme, an archive page): an unseen
      item dated more than the dedupe window before the feed's last successful poll would
      have been seen then, and dedupe can no longer match it to what was posted.
      Undated items and news that arrived while we were down (dated after that) still post.
    """
    if not first_poll:
        horizon = last_success - ctx.settings.dedupe_window if last_success else None
        return {a.key for a in fresh
                if horizon is None or a.published is None or a.published >= horizon}
    keys = {a.key for a in fresh if a.published and a.published > since}
    if ctx.settings.backfill:
        matching = [a for a in fresh if ctx.matcher.match(a.title, summarize(
            a.summary_html, boilerplate=boilerplate, title=a.title))]
        keys.update(a.key for a in matching[-ctx.settings.backfill:])
    return keys


def _record_article(ctx: Context, feed: FeedConfig, article: Article, summary: str,
                    hits: list[Match], now: datetime, report: FeedReport,
                    seen: list[ArticleRecord], vector: LazyVector) -> None:
    record = ArticleRecord(key=article.key, url=article.link, title=article.title,
                           summary=summary, source=article.source,
                           published_at=article.published, topics=tuple(h.topic for h in hits))
    if not hits:
        seen.append(record)
        return
    report.matched += 1
    report.topics.extend(h.topic for h in hits)
    # Undated items are dated by when we first saw them: reports of one event arrive together.
    fp = fingerprint(article.title, summary, article.link, published=article.published or now,
                     vector=vector())
    render = story_render(article, summary, hits)
    routed = destinations(ctx.settings, feed, hits)

    # One transaction: the article, its story (new, or the earlier one it reports), and
    # the outbox rows that follow: a post per destination, or an "Also:" edit.
    with ctx.store.story_tx(feed.url, record, now) as tx:
        if tx.recorded_before:
            return                       # a concurrent poll recorded it first
        since = now - ctx.settings.dedupe_window
        # Stories sharing a key, and those whose first report reads most like this one (a
        # report in another language shares no key): each compared with its FIRST report.
        # In a busy stretch a merge needs more evidence (identity.merge_bar says why); the
        # rules without vectors have no bar.
        near, bar = [], SAME
        if fp.vector is not None:
            ctx.vectors.add(tx.vectors(ctx.vectors.fresh_since(since)), since)
            near = ctx.vectors.nearest(fp.vector)
            bar = merge_bar(tx.opened_since(now - BUSY_WINDOW), ctx.settings.dedupe_merge)
        # Of several it may report, the one it most surely does (a busy hour has several).
        ranked = [(strength(fp, first_report(row.fingerprint, row.vector), bar), row)
                  for row in tx.candidates(fp.url_key, fp.title_key, fp.bands, since=since,
                                           also=near)]
        sure, best = max(ranked, key=lambda pair: pair[0], default=(0.0, None))
        earlier = best if sure > 0.0 else None
        if earlier is None:
            # A post now, or a row waiting for its topic's scheduled digest (queue_item).
            tx.open_story(NewStory(url_key=fp.url_key, title_key=fp.title_key,
                                   fingerprint=fp.dumps(), bands=fp.bands, render=render,
                                   vector=pack(fp.vector) if fp.vector is not None else None),
                          [queue_item(chat, topics, render_story(render, topics=topics, now=now),
                                      ctx.settings.delivery, now, image=article.image)
                           for chat, topics in routed.items()])
            report.queued += tx.queued
            return
        # A later report of a story: "Also:" on its posts; and a post in every chat this
        # report's topics route to that has none of the story yet (once per destination).
        story = tx.story_match(earlier)
        fresh = {chat: topics for chat, topics in routed.items() if chat not in story.queued}
        also = also_outlets(story.sources, first=record.source)
        tx.join_story(earlier.id, also_edits(story, record, now, ctx.settings.delivery) + [
            queue_item(chat, topics, render_story(render, topics=topics, also=also, now=now),
                       ctx.settings.delivery, now, image=article.image)
            for chat, topics in fresh.items()])
        if fresh:    # those posts lead with this report: the first report's edits skip them
            own = sorted({*story.story.render.get("own", ()), *fresh})
            tx.update_render(earlier.id, {**story.story.render, "own": own})
        report.duplicates += 1
        report.queued += len(fresh)
