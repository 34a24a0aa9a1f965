"""The store on real SQLite and real PostgreSQL: same code, same behaviour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.store import ArticleRecord, NewStory, OutboxItem, Store
from bot.store.migrations import LATEST
from bot.store.schema import schema_version, stories
from tests.conftest import migrated_store
from tests.outbox_helpers import record_article

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
FEED = "https://example.com/feed.xml"


@pytest.fixture
def store(db_url: str):
    yield from migrated_store(db_url, [FEED], NOW)


def article(key: str, **kw: object) -> ArticleRecord:
    values = {"key": key, "url": f"https://example.com/{key}", "title": f"Title {key}",
              "summary": "text", "source": "Example", "published_at": NOW}
    values.update(kw)
    return ArticleRecord(**values)  # type: ignore[arg-type]


def story(render: str = "x", bands: tuple[str, ...] = ("b0:aa", "b1:bb")) -> NewStory:
    return NewStory(url_key="example.com/a", title_key="title a", fingerprint='{"v": 1}',
                    bands=bands, render={"r": render})


def post(chat: str = "@chan") -> OutboxItem:
    return OutboxItem(chat=chat, kind="post", topic="summits", body="<b>hi</b>",
                      not_before=NOW)


def test_migrate_is_idempotent_and_stamps_latest(store: Store) -> None:
    assert store.migrate() == LATEST
    with store.engine.connect() as conn:
        assert conn.execute(select(schema_version.c.version)).scalars().all() == [LATEST]


def test_timestamps_come_back_aware_utc(store: Store) -> None:
    store.update_feed(FEED, next_poll_at=NOW + timedelta(minutes=5), error_count=2)
    state = store.feed_state(FEED)
    assert state.next_poll_at == NOW + timedelta(minutes=5)
    assert state.next_poll_at.tzinfo is not None
    assert state.error_count == 2 and state.created_at == NOW


def test_unseen_keys_forgets_nothing_recorded(store: Store) -> None:
    record_article(store, FEED, article("a"), NOW)
    assert store.unseen_keys(FEED, ["a", "b"]) == {"b"}


def test_article_story_and_outbox_are_recorded_together(store: Store) -> None:
    sid = record_article(store, FEED, article("a"), NOW, new_story=story(), outbox=[post()])
    assert sid is not None
    rows = store.outbox.claim("me", NOW)
    assert [(r.chat, r.story_id, r.kind) for r in rows] == [("@chan", sid, "post")]


def test_recording_the_same_article_twice_queues_nothing_more(store: Store) -> None:
    record_article(store, FEED, article("a"), NOW, new_story=story(), outbox=[post()])
    again = record_article(store, FEED, article("a"), NOW, new_story=story(), outbox=[post()])
    assert again is None
    assert store.outbox.pending() == 1


def test_story_candidates_by_band_and_keys_within_window(store: Store) -> None:
    sid = record_article(store, FEED, article("a"), NOW, new_story=story(), outbox=[post()])
    with store.story_tx(FEED, article("b"), NOW) as tx:
        by_band = tx.candidates(None, None, ["b1:bb"], NOW - timedelta(hours=1))
        by_url = tx.candidates("example.com/a", None, [], NOW - timedelta(hours=1))
        too_old = tx.candidates(None, None, ["b1:bb"], NOW + timedelta(hours=1))
    assert [c.id for c in by_band] == [c.id for c in by_url] == [sid]
    assert by_band[0].fingerprint == '{"v": 1}' and by_band[0].render == {"r": "x"}
    assert too_old == []


def test_claimed_rows_are_invisible_to_others_until_the_lease_expires(store: Store) -> None:
    record_article(store, FEED, article("a"), NOW, new_story=story(), outbox=[post()])
    assert len(store.outbox.claim("one", NOW)) == 1
    assert store.outbox.claim("two", NOW) == []
    assert len(store.outbox.claim("two", NOW + timedelta(minutes=5))) == 1


def test_only_the_lease_holder_can_mark_sent(store: Store) -> None:
    record_article(store, FEED, article("a"), NOW, new_story=story(), outbox=[post()])
    row = store.outbox.claim("one", NOW)[0]
    assert not store.outbox.mark_sent(row.id, "two", chat_id=-100, message_id=7, now=NOW)
    assert store.outbox.mark_sent(row.id, "one", chat_id=-100, message_id=7, now=NOW)
    assert store.outbox.pending() == 0
    assert store.outbox.sent_message("@chan", row.story_id) == (-100, 7)


def test_retry_counts_an_attempt_and_gives_the_row_back(store: Store) -> None:
    record_article(store, FEED, article("a"), NOW, new_story=story(), outbox=[post()])
    row = store.outbox.claim("one", NOW)[0]
    store.outbox.retry([row.id], "one", error="400 for this digest")
    again = store.outbox.claim("one", NOW)
    assert again[0].attempts == 1


def test_edit_rows_are_replaced_not_duplicated(store: Store) -> None:
    sid = record_article(store, FEED, article("a"), NOW, new_story=story(), outbox=[post()])
    for n, key in enumerate(("b", "c")):
        edit = OutboxItem(chat="@chan", kind="edit", topic=None, body=f"edit {n}",
                          not_before=NOW)
        record_article(store, FEED, article(key), NOW, story_id=sid, outbox=[edit])
    rows = store.outbox.claim("me", NOW)
    assert sorted((r.kind, r.body) for r in rows) == [("edit", "edit 1"), ("post", "<b>hi</b>")]


def test_oldest_first(store: Store) -> None:
    for key in "abc":
        record_article(store, FEED, article(key), NOW, new_story=story(key), outbox=[post()])
    rows = store.outbox.claim("me", NOW)
    assert [r.story_id for r in rows] == sorted(r.story_id for r in rows)


def record_report(store: Store, key: str, chat: str = "@chan") -> tuple[int, int, bool] | None:
    """One more report of the same story (same URL key), as the pipeline records it:
    (story id, outbox rows, new story?), or None when the article was recorded before."""
    with store.story_tx(FEED, article(key, source=f"Outlet {key}"), NOW) as tx:
        if tx.recorded_before:
            return None
        rows = tx.candidates(story().url_key, None, [], since=NOW - timedelta(hours=72))
        if not rows:
            return tx.open_story(story(), [post(chat)]), tx.queued, True
        earlier = tx.story_match(rows[0])
        tx.join_story(rows[0].id, [OutboxItem(chat=c, kind="edit", topic=None, not_before=NOW,
                                              body=f"also {len(earlier.sources)}")
                                   for c in earlier.chats])
        return rows[0].id, tx.queued, False


def test_a_later_report_joins_the_story_and_sees_its_sources_and_chats(store: Store) -> None:
    first = record_report(store, "a")
    second = record_report(store, "b")
    assert first is not None and second is not None
    assert first[2] is True and second[2] is False and first[0] == second[0]
    rows = store.outbox.claim("me", NOW)
    assert sorted((r.kind, r.body) for r in rows) == [("edit", "also 1"), ("post", "<b>hi</b>")]
    assert record_report(store, "b") is None          # the same article again: nothing


def test_simultaneous_reports_of_one_story_open_it_once(store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda k: record_report(store, f"k{k}"), range(12)))
    assert sum(1 for r in results if r and r[2]) == 1
    assert len({r[0] for r in results if r}) == 1



def test_a_forgotten_feed_loses_its_state_and_items_but_not_its_stories(db_url: str) -> None:
    other = "https://other.example/feed.xml"
    store = next(migrated_store(db_url, [FEED, other], NOW))
    try:
        store.update_feed(FEED, error_count=4, last_error="HTTP 500",
                          next_poll_at=NOW + timedelta(minutes=13), poll_count=7)
        story_id = record_article(store, FEED, article("a"), NOW, new_story=story(),
                                  outbox=[post()])
        store.record_seen(FEED, [article("b")], NOW)
        store.record_seen(other, [article("c")], NOW)
        assert store.forget_feeds([FEED]) == 1
        assert FEED not in {s.url for s in store.feed_states()}
        assert store.feed_state(FEED).error_count == 0
        store.ensure_feeds([FEED], NOW)             # added again: a new feed
        fresh = store.feed_state(FEED)
        assert (fresh.poll_count, fresh.next_poll_at, fresh.last_error) == (0, None, None)
        assert store.unseen_keys(FEED, ["a", "b"]) == {"a", "b"}     # its items went too
        assert store.unseen_keys(other, ["c"]) == set()               # not another's
        with store.engine.connect() as conn:
            assert conn.execute(select(stories.c.id)).scalars().all() == [story_id]
        assert store.forget_feeds([]) == 0
    finally:
        store.close()
