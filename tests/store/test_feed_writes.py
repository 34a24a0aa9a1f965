"""bot.store.feed_writes: a no-news poll's bookkeeping is batched during a cycle, each feed's lease
released only after its state, and written at once outside a cycle; on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.store import Store
from bot.store.schema import feeds
from tests.conftest import migrated_store

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=5)
URLS = [f"https://feeds.example/{n}.xml" for n in range(3)]


@pytest.fixture
def store(db_url: str):
    yield from migrated_store(db_url, URLS, NOW)


def row(store: Store, url: str) -> dict[str, object]:
    with store.engine.connect() as conn:
        found = conn.execute(select(feeds).where(feeds.c.url == url)).mappings().one()
    return dict(found)


def test_outside_a_cycle_deferred_bookkeeping_is_written_at_once(store: Store) -> None:
    store.update_feed(URLS[0], defer=True, poll_count=1, next_poll_at=NOW)
    assert row(store, URLS[0])["poll_count"] == 1


def test_in_a_cycle_it_lands_at_the_end_and_news_lands_at_once(store: Store) -> None:
    with store.feed_writes.batch():
        store.update_feed(URLS[0], defer=True, poll_count=1)
        store.update_feed(URLS[1], etag='"v2"', poll_count=1)      # learned something
        assert row(store, URLS[0])["poll_count"] == 0
        assert row(store, URLS[1])["etag"] == '"v2"'
    assert row(store, URLS[0])["poll_count"] == 1


def test_a_full_batch_is_written_without_waiting_for_the_cycle(store: Store) -> None:
    store.feed_writes.BATCH = 2
    with store.feed_writes.batch():
        store.update_feed(URLS[0], defer=True, poll_count=1)
        store.update_feed(URLS[1], defer=True, poll_count=1)
        assert row(store, URLS[0])["poll_count"] == row(store, URLS[1])["poll_count"] == 1
        store.update_feed(URLS[2], defer=True, poll_count=1)
        assert row(store, URLS[2])["poll_count"] == 0


def test_a_lease_is_released_only_with_or_after_the_polls_state(store: Store) -> None:
    assert store.leases.claim_feed(URLS[0], "me", NOW, TTL)
    with store.feed_writes.batch():
        store.update_feed(URLS[0], defer=True, poll_count=1, next_poll_at=NOW + TTL)
        store.feed_writes.release(URLS[0], "me")
        # Still ours: another process must not claim a feed whose poll is not recorded.
        assert not store.leases.claim_feed(URLS[0], "other", NOW, TTL)
    after = row(store, URLS[0])
    assert after["lease_owner"] is None and after["poll_count"] == 1
    # Released, and no longer due: the recorded next poll holds the others off too.
    assert not store.leases.claim_feed(URLS[0], "other", NOW, TTL)
    assert store.leases.claim_feed(URLS[0], "other", NOW + TTL, TTL)


def test_a_release_outside_a_cycle_is_immediate_and_only_for_the_owner(store: Store) -> None:
    assert store.leases.claim_feed(URLS[1], "me", NOW, TTL)
    store.feed_writes.release(URLS[1], "someone else")
    assert row(store, URLS[1])["lease_owner"] == "me"
    store.feed_writes.release(URLS[1], "me")
    assert row(store, URLS[1])["lease_owner"] is None


def test_many_polling_threads_queue_into_one_batch(store: Store) -> None:
    with store.feed_writes.batch():
        threads = [threading.Thread(target=store.update_feed, args=(url,),
                                    kwargs={"defer": True, "poll_count": 7}) for url in URLS]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert {row(store, url)["poll_count"] for url in URLS} == {7}


def test_a_batch_that_cannot_be_written_is_logged_and_dropped(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="newsbot.store"), store.feed_writes.batch():
        store.update_feed(URLS[0], defer=True, poll_count=1)
        store.update_feed(URLS[1], defer=True, no_such_column=1)
    # The batch fails as a whole: both feeds are simply polled again, nothing raises.
    assert "could not record 2 feed poll(s)" in caplog.text
    assert row(store, URLS[0])["poll_count"] == 0
