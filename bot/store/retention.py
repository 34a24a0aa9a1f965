"""How long the database remembers: old items, stories and finished posts are deleted.

Without this the tables grow for as long as the bot runs (every item of every feed, with
its summary). What is kept, and why:

- An item stays while its feed still lists it, however old: deleting it would make it
  look unseen on the next poll and post it again. Once gone from the feed, it is deleted
  when it was first seen more than `retention` ago (`prune_feed`, on a poll that read the
  feed: only then is "still listed" known).
- A story (with its lookup keys and finished outbox rows) is deleted once it is older than
  `retention` and has nothing pending to send (`sweep`). `retention` is at least the dedupe
  window, so a story is never deleted while a later report could still join it.
- Operator alerts (outbox rows without a story) go the same way once finished.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Engine, bindparam, delete, exists, select
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import StoreError
from bot.store.schema import articles, feeds, outbox, stories
from bot.store.wrap import wrapped_methods

__all__ = ["MAX_LISTED", "Retention"]

MAX_LISTED = 10_000     # SQLite binds at most 32,766 parameters, PostgreSQL 65,535

_FEED_ID = select(feeds.c.id).where(feeds.c.url == bindparam("u")).scalar_subquery()
_PRUNE_FEED = delete(articles).where(
    articles.c.feed_id == _FEED_ID, articles.c.seen_at < bindparam("before"),
    articles.c.key.not_in(bindparam("keep", expanding=True)))
_PENDING = exists().where(outbox.c.story_id == stories.c.id, outbox.c.state == "pending")
# Deleting a story cascades to its lookup keys and outbox rows; its items keep a NULL story.
_OLD_STORIES = delete(stories).where(stories.c.created_at < bindparam("before"), ~_PENDING)
_OLD_ALERTS = delete(outbox).where(outbox.c.story_id.is_(None), outbox.c.state != "pending",
                                   outbox.c.created_at < bindparam("before"))


@wrapped_methods
class Retention:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def prune_feed(self, feed_url: str, listed: Collection[str], before: datetime) -> int:
        """Delete this feed's items first seen before `before` that the feed no longer lists
        (`listed`: the keys of every item in the document just read). Returns how many.

        A document listing more than `MAX_LISTED` items is not used for pruning (the key list
        would exceed the databases' bound-parameter limits); keeping items is always safe."""
        if len(listed) > MAX_LISTED:
            return 0
        with self.engine.begin() as conn:
            return int(conn.execute(_PRUNE_FEED, {"u": feed_url, "before": before,
                                                  "keep": list(listed) or [""]}).rowcount)

    def sweep(self, before: datetime) -> tuple[int, int]:
        """Delete stories opened before `before` with nothing pending, and finished alerts
        queued before it. Returns (stories, alerts) deleted."""
        try:
            with self.engine.begin() as conn:
                gone = conn.execute(_OLD_STORIES, {"before": before}).rowcount
                alerts = conn.execute(_OLD_ALERTS, {"before": before}).rowcount
        except SQLAlchemyError as exc:
            raise StoreError(f"retention sweep failed: {type(exc).__name__}: "
                             f"{str(exc).splitlines()[0]}") from None
        return int(gone), int(alerts)
