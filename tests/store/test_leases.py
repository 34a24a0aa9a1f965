"""Leases decide which process does which work, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from bot.store import Store
from tests.conftest import migrated_store

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=2)
FEED = "https://example.com/rss"


@pytest.fixture
def store(db_url: str):
    yield from migrated_store(db_url, [FEED], NOW)


def test_a_due_feed_goes_to_exactly_one_of_many_claimers(store: Store) -> None:
    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(lambda i: store.leases.claim_feed(FEED, f"p{i}", NOW, TTL),
                            range(16)))
    assert sum(won) == 1


def test_a_feed_not_yet_due_is_not_claimed(store: Store) -> None:
    store.update_feed(FEED, next_poll_at=NOW + timedelta(minutes=5))
    assert not store.leases.claim_feed(FEED, "a", NOW, TTL)
    assert store.leases.claim_feed(FEED, "a", NOW + timedelta(minutes=5), TTL)


def test_an_expired_feed_lease_is_taken_over(store: Store) -> None:
    assert store.leases.claim_feed(FEED, "dead", NOW, TTL)
    assert not store.leases.claim_feed(FEED, "b", NOW + TTL / 2, TTL)
    assert store.leases.claim_feed(FEED, "b", NOW + TTL * 2, TTL)


def test_released_feed_can_be_claimed_at_once(store: Store) -> None:
    assert store.leases.claim_feed(FEED, "a", NOW, TTL)
    store.leases.release_feed(FEED, "a")
    assert store.leases.claim_feed(FEED, "b", NOW, TTL)


@pytest.mark.parametrize("later, other_wins", [(timedelta(seconds=30), False),
                                               (timedelta(minutes=3), True)])
def test_named_lease_is_exclusive_until_it_expires(store: Store, later: timedelta,
                                                   other_wins: bool) -> None:
    assert store.leases.acquire("updates", "a", NOW, TTL)
    assert store.leases.acquire("updates", "a", NOW + timedelta(seconds=10), TTL)   # renew
    assert store.leases.acquire("updates", "b", NOW + later, TTL) is other_wins
    expected = "b" if other_wins else "a"
    assert store.leases.holder("updates", NOW + later) == expected


def test_release_all_frees_feeds_and_named_leases(store: Store) -> None:
    store.leases.claim_feed(FEED, "a", NOW, TTL)
    store.leases.acquire("updates", "a", NOW, TTL)
    store.leases.release_all("a")
    assert store.leases.holder("updates", NOW) is None
    assert store.leases.claim_feed(FEED, "b", NOW, TTL)
