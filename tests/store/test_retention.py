"""Retention on real SQLite and PostgreSQL: what is deleted, and what must never be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.pipeline import refresh_feed
from bot.store import ArticleRecord, NewStory, OutboxItem, Store, queue_alert
from bot.store.schema import articles, outbox, stories, story_bands
from tests.conftest import migrated_store
from tests.feedgen import rss
from tests.outbox_helpers import record_article
from tests.poll.test_polling import setup, story

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=40)          # beyond the 30-day retention
FEED = "https://example.com/feed.xml"
OTHER = "https://other.example/feed.xml"
BEFORE = NOW - timedelta(days=30)


@pytest.fixture
def store(db_url: str):
    yield from migrated_store(db_url, [FEED, OTHER], OLD)


def article(key: str) -> ArticleRecord:
    return ArticleRecord(key=key, url=f"https://example.com/{key}", title=key, summary="s",
                         source="Example", published_at=None)


def story_with_post(store: Store, key: str, when: datetime, *, sent: bool) -> int:
    story_id = record_article(store,
        FEED, article(key), when, new_story=NewStory(
            url_key=key, title_key=None, fingerprint="{}", bands=(f"b:{key}",), render={}),
        outbox=[OutboxItem(chat=f"@{key}", kind="post", topic="t", body="x", not_before=when)])
    assert story_id is not None
    if sent:
        [row] = store.outbox.claim("me", when, chat=f"@{key}")
        assert store.outbox.mark_sent(row.id, "me", chat_id=1, message_id=1, now=when)
    return story_id


def count(store: Store, table, *where) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar())


def keys(store: Store, feed: str) -> set[str]:
    return {k for k in ("gone-old", "listed-old", "gone-new", "other-old")
            if not store.unseen_keys(feed, [k])}


def test_a_feed_forgets_only_items_it_no_longer_lists_that_are_old(store: Store) -> None:
    store.record_seen(FEED, [article("gone-old"), article("listed-old")], OLD)
    store.record_seen(FEED, [article("gone-new")], NOW - timedelta(days=1))
    store.record_seen(OTHER, [article("other-old")], OLD)
    assert store.retention.prune_feed(FEED, ["listed-old", "fresh"], BEFORE) == 1
    # Still listed: kept however old (deleting it would make it look new and post it again).
    assert keys(store, FEED) == {"listed-old", "gone-new"}
    assert keys(store, OTHER) == {"other-old"}          # another feed's items: untouched


def test_a_huge_listing_prunes_nothing_rather_than_overflow_the_database(store: Store) -> None:
    store.record_seen(FEED, [article("gone-old")], OLD)
    listed = [f"k{i}" for i in range(70_000)]        # beyond PostgreSQL's 65,535 binds
    assert store.retention.prune_feed(FEED, listed, BEFORE) == 0
    assert keys(store, FEED) == {"gone-old"}


def test_old_finished_stories_go_with_their_keys_and_rows_pending_ones_stay(
        store: Store) -> None:
    done = story_with_post(store, "done", OLD, sent=True)
    waiting = story_with_post(store, "waiting", OLD, sent=False)
    recent = story_with_post(store, "recent", NOW - timedelta(days=1), sent=True)
    assert store.retention.sweep(BEFORE) == (1, 0)
    with store.engine.connect() as conn:
        left = set(conn.execute(select(stories.c.id)).scalars())
    assert left == {waiting, recent}
    assert count(store, story_bands, story_bands.c.story_id == done) == 0
    assert count(store, outbox, outbox.c.story_id == done) == 0
    assert count(store, outbox, outbox.c.state == "pending") == 1    # nothing unsent is lost
    # The item that reported it stays (its feed may still list it), without a story.
    assert count(store, articles, articles.c.key == "done", articles.c.story_id.is_(None)) == 1


def test_finished_alerts_go_pending_ones_stay(store: Store) -> None:
    queue_alert(store, "@ops", "old and sent", OLD)
    queue_alert(store, "@ops", "old and waiting", OLD)
    queue_alert(store, "@ops", "recent and sent", NOW)
    for row in store.outbox.claim("me", NOW)[::2]:          # the first and the third
        store.outbox.mark_sent(row.id, "me", chat_id=1, message_id=1, now=NOW)
    assert store.retention.sweep(BEFORE) == (0, 1)
    assert count(store, outbox) == 2 and count(store, outbox, outbox.c.state == "pending") == 1


def test_polls_forget_items_their_feed_dropped_long_ago_but_not_on_an_empty_document(
        feed_server, tmp_path) -> None:
    url = feed_server.set_feed("/r.xml", rss([story(1), story(2)]))
    settings, ctx = setup(tmp_path, [url])
    feed = settings.feeds[0]

    def stored() -> set[str]:
        with ctx.store.engine.connect() as conn:
            return set(conn.execute(select(articles.c.url)).scalars())

    start = datetime.now(UTC)
    refresh_feed(ctx, feed, start)
    feed_server.set_feed("/r.xml", rss([story(2), story(3)]))          # story 1 dropped
    refresh_feed(ctx, feed, start + timedelta(days=1))
    assert stored() == {f"https://news.example/{n}" for n in (1, 2, 3)}  # too recent to go
    feed_server.set_feed("/r.xml", rss([story(2), story(4)]))          # story 3 dropped
    refresh_feed(ctx, feed, start + timedelta(days=40))
    # 1 and 3 are gone from the feed and were first seen over 30 days ago; 2 is as old but
    # still listed, so it stays (forgetting it would post it again).
    assert stored() == {f"https://news.example/{n}" for n in (2, 4)}
    feed_server.set_feed("/r.xml", rss([]))                             # a glitch: no items
    refresh_feed(ctx, feed, start + timedelta(days=80))
    assert stored() == {f"https://news.example/{n}" for n in (2, 4)}
    ctx.store.close()
