"""Stories keep their first report's vector (schema v7), found again by `StoryTx.vectors`;
a v6 database gains the column and its stories, without vectors, are still found by key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import inspect

from bot.semantic import pack, unpack
from bot.store import ArticleRecord, NewStory, Store
from bot.store.schema import schema_version

NOW = datetime(2026, 3, 3, 9, tzinfo=UTC)
FEED = "https://news.example/feed.xml"


def record(store: Store, key: str, vector: bytes | None, now: datetime = NOW) -> int:
    art = ArticleRecord(key=key, url=f"https://news.example/{key}", title=f"Story {key}",
                        summary="", source="News", published_at=now)
    with store.story_tx(FEED, art, now) as tx:
        return tx.open_story(NewStory(url_key=None, title_key=f"story {key}", fingerprint="{}",
                                      bands=(), render={}, vector=vector), [])


def test_a_story_keeps_its_vector_and_is_found_by_it(db_url: str) -> None:
    store = Store(db_url)
    store.migrate()
    store.ensure_feeds([FEED], NOW)
    v = np.linspace(-1, 1, 384, dtype=np.float32)
    with_vector, without = record(store, "a", pack(v / np.linalg.norm(v))), record(store, "b", None)
    art = ArticleRecord(key="c", url=None, title="c", summary="", source="News",
                        published_at=NOW)
    with store.story_tx(FEED, art, NOW) as tx:
        [(found, opened, data)] = tx.vectors(NOW - timedelta(hours=1))
        assert found == with_vector and opened == NOW
        assert np.allclose(unpack(data), v / np.linalg.norm(v), atol=1e-3)
        rows = {r.id: r for r in tx.candidates(None, "story b", (), NOW - timedelta(hours=1),
                                                 also=[with_vector])}
        assert set(rows) == {with_vector, without} and rows[without].vector is None
    store.close()


def test_a_v6_database_gains_the_vector_column(db_url: str) -> None:
    store = Store(db_url)
    store.migrate()
    store.ensure_feeds([FEED], NOW)
    record(store, "old", None)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE stories DROP COLUMN embedding")
        conn.execute(schema_version.update().values(version=6))
    store.close()
    again = Store(db_url)
    assert again.migrate() == 6
    assert "embedding" in {c["name"] for c in inspect(again.engine).get_columns("stories")}
    record(again, "new", pack(np.ones(384, np.float32) / np.sqrt(384)))
    again.close()


def test_how_many_stories_were_opened_since_a_moment(db_url: str) -> None:
    store = Store(db_url)
    store.migrate()
    store.ensure_feeds([FEED], NOW)
    for key, hours in (("old", 7), ("a", 5), ("b", 1), ("c", 0)):
        record(store, key, None, NOW - timedelta(hours=hours))
    art = ArticleRecord(key="d", url=None, title="d", summary="", source="News",
                        published_at=NOW)
    with store.story_tx(FEED, art, NOW) as tx:
        assert [tx.opened_since(NOW - timedelta(hours=h)) for h in (6, 2, 0, 8)] == [3, 2, 1, 4]
    store.close()
