"""A story transaction: record a matching article and decide, in the same transaction,
whether it opens a story or is one more report of an earlier one.

The caller reads top to bottom (`bot.pipeline.refresh`):

    with store.story_tx(feed_url, record, now) as tx:
        if tx.recorded_before: ...                     # a concurrent poll was first
        for row in tx.candidates(url_key, title_key, bands, since): ...   # same story?
        tx.open_story(new_story, posts)   or   tx.join_story(tx.story_match(row), edits)

The store decides nothing about sameness: it finds candidates by their lookup keys and
writes what it is told.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, func, insert, select, update

from bot.store.db import upsert_ignore
from bot.store.records import ArticleRecord, NewStory, OutboxItem, StoryMatch, StoryRow
from bot.store.schema import articles, feeds, outbox, stories, story_bands
from bot.store.wrap import wrapped_methods

if TYPE_CHECKING:
    from bot.store.outbox import OutboxStore

__all__ = ["StoryTx"]

FEED_ID = select(feeds.c.id).where(feeds.c.url == bindparam("u"))
STORY_LOCK = 0x73746F72   # "stor": serialises story lookup + creation on PostgreSQL


@wrapped_methods
class StoryTx:
    """One article's story decision inside one open transaction (`Store.story_tx`)."""

    def __init__(self, conn: Connection, queue: OutboxStore, art: ArticleRecord,
                 article_id: int | None, now: datetime) -> None:
        self._conn, self._queue, self._art, self._now = conn, queue, art, now
        self._article_id = article_id
        self.story_id: int | None = None
        self.queued = 0

    @property
    def recorded_before(self) -> bool:
        """The article was recorded already (by a concurrent poll): write nothing more."""
        return self._article_id is None

    def vectors(self, since: datetime) -> list[tuple[int, datetime, bytes]]:
        """(story id, opened at, packed vector) of every story opened since `since` that has
        one: for a nearest-neighbour lookup (bot.semantic.VectorIndex), the way `candidates`
        looks up keys."""
        return [(int(r[0]), r[1], bytes(r[2])) for r in self._conn.execute(
            select(stories.c.id, stories.c.created_at, stories.c.embedding).where(
                stories.c.created_at >= since, stories.c.embedding.is_not(None)))]

    def opened_since(self, since: datetime) -> int:
        """How many stories were opened since `since` (how busy the news is)."""
        return int(self._conn.execute(select(func.count()).select_from(stories).where(
            stories.c.created_at >= since)).scalar_one())

    def candidates(self, url_key: str | None, title_key: str | None,
                   bands: Sequence[str], since: datetime,
                   also: Sequence[int] = ()) -> list[StoryRow]:
        """Stories opened since `since` sharing a lookup key (LSH band, URL, title), and the
        stories `also` names (nearest neighbours), oldest first."""
        conn = self._conn
        ids = set(conn.execute(select(story_bands.c.story_id).where(
            story_bands.c.band.in_(list(bands)), story_bands.c.created_at >= since)
        ).scalars()) if bands else set()
        ids.update(also)
        for col, key in ((stories.c.url_key, url_key), (stories.c.title_key, title_key)):
            if key:
                ids.update(conn.execute(select(stories.c.id).where(
                    col == key, stories.c.created_at >= since)).scalars())
        rows = conn.execute(select(stories).where(stories.c.id.in_(ids))
                            .order_by(stories.c.id)).mappings().all() if ids else []
        return [StoryRow(id=r["id"], fingerprint=r["signature"], render=json.loads(r["render"]),
                         vector=bytes(r["embedding"]) if r["embedding"] is not None else None)
                for r in rows]

    def story_match(self, story: StoryRow) -> StoryMatch:
        """What an earlier story looks like now: its earlier reports and its posts' chats."""
        conn = self._conn
        sources = conn.execute(select(articles.c.source, articles.c.url).where(
            articles.c.story_id == story.id, articles.c.id != self._article_id)
            .order_by(articles.c.id)).all()
        # Edits go to posts pending or sent; a post folded into a digest, or a row waiting
        # for one, still means the chat has the story (no second post there).
        rows = conn.execute(select(outbox.c.chat, outbox.c.kind, outbox.c.state).where(
            outbox.c.story_id == story.id, outbox.c.kind.in_(("post", "digest")),
            outbox.c.state.in_(("pending", "sent", "folded"))).distinct()).all()
        return StoryMatch(story=story, sources=[(r[0], r[1]) for r in sources],
                          chats=sorted({c for c, kind, state in rows
                                        if kind == "post" and state != "folded"}),
                          queued=frozenset(c for c, _, _ in rows))

    def open_story(self, story: NewStory, items: Sequence[OutboxItem]) -> int:
        """The article opens `story`; `items` are its outbox rows. Returns the story id."""
        conn = self._conn
        story_id = int(conn.execute(insert(stories).values(
            created_at=self._now, url_key=story.url_key, title_key=story.title_key,
            signature=story.fingerprint, render=json.dumps(story.render), embedding=story.vector,
        ).returning(stories.c.id)).scalar_one())
        if story.bands:
            conn.execute(insert(story_bands), [
                {"band": b, "story_id": story_id, "created_at": self._now}
                for b in story.bands])
        return self._attach(story_id, items)

    def update_render(self, story_id: int, render: dict[str, object]) -> None:
        """Replace what the story's posts are rendered from (`NewStory.render`)."""
        self._conn.execute(update(stories).where(stories.c.id == story_id)
                           .values(render=json.dumps(render)))

    def join_story(self, story_id: int, items: Sequence[OutboxItem]) -> int:
        """The article is one more report of story `story_id`; `items`: its outbox rows."""
        return self._attach(story_id, items)

    def _attach(self, story_id: int, items: Sequence[OutboxItem]) -> int:
        if self._article_id is None:
            raise RuntimeError("story_tx: this article was recorded before; write nothing")
        self._conn.execute(update(articles).where(articles.c.id == self._article_id)
                           .values(story_id=story_id))
        self._queue.enqueue(self._conn, story_id, items, self._now,
                            published_at=self._art.published_at)
        self.story_id, self.queued = story_id, len(items)
        return story_id


def insert_article(conn: Connection, feed_url: str, art: ArticleRecord,
                   now: datetime) -> int | None:
    """Insert one article of `feed_url`; None when it is recorded already."""
    feed_id = conn.execute(FEED_ID, {"u": feed_url}).scalar()
    return conn.execute(upsert_ignore(conn, articles).values(
        feed_id=feed_id, key=art.key, url=art.url, title=art.title,
        summary=art.summary, source=art.source, published_at=art.published_at,
        seen_at=now, topics=",".join(art.topics) or None,
    ).returning(articles.c.id)).scalar()
