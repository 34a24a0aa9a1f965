"""The outbox queue's SQL: enqueue in the caller's transaction, claim under a lease,
complete only while still holding it (a fenced write), oldest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, and_, func, or_, select, update

from bot.schema import outbox

if TYPE_CHECKING:
    from bot.store import OutboxItem


@dataclass(frozen=True)
class OutboxRow:
    id: int
    chat: str
    story_id: int
    kind: str
    topic: str | None
    body: str
    attempts: int
    created_at: datetime
    published_at: datetime | None
    target_message_id: int | None


def _claimable(now: datetime) -> Any:
    return and_(outbox.c.state == "pending", outbox.c.not_before <= now,
                or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now))


class OutboxStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def enqueue(self, conn: Connection, story_id: int, items: Sequence[OutboxItem],
                now: datetime, *, published_at: datetime | None = None) -> None:
        """Insert rows in the caller's transaction. A post is unique per chat and story;
        an edit row is reused: its body is replaced and it becomes pending again."""
        from bot.store import dialect_insert

        for item in items:
            values = {"chat": item.chat, "story_id": story_id, "kind": item.kind,
                      "topic": item.topic, "body": item.body, "state": "pending",
                      "attempts": 0, "not_before": item.not_before, "created_at": now,
                      "published_at": published_at,
                      "target_message_id": item.target_message_id}
            stmt = dialect_insert(conn, outbox).values(**values)
            if item.kind != "edit":
                stmt = stmt.on_conflict_do_nothing()
            else:
                stmt = stmt.on_conflict_do_update(
                    index_elements=["chat", "story_id", "kind"],
                    set_={"body": item.body, "state": "pending", "attempts": 0,
                          "not_before": item.not_before,
                          "target_message_id": item.target_message_id})
            conn.execute(stmt)

    def claim(self, owner: str, now: datetime, *, limit: int = 50,
              lease: timedelta = timedelta(seconds=120), chat: str | None = None
              ) -> list[OutboxRow]:
        """Lease up to `limit` due rows, oldest first. PostgreSQL skips rows another
        process holds (FOR UPDATE SKIP LOCKED); SQLite's BEGIN IMMEDIATE serialises."""
        cond = _claimable(now) if chat is None else and_(_claimable(now), outbox.c.chat == chat)
        # Oldest story first (by publication, else by when it was queued), then queue order.
        age = func.coalesce(outbox.c.published_at, outbox.c.created_at)
        pick = select(outbox.c.id).where(cond).order_by(age, outbox.c.id).limit(limit)
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
            rows = conn.execute(update(outbox).where(outbox.c.id.in_(pick.scalar_subquery()))
                                .values(lease_owner=owner, lease_until=now + lease)
                                .returning(*outbox.c)).mappings().all()
        return sorted((OutboxRow(**{k: r[k] for k in OutboxRow.__dataclass_fields__})
                       for r in rows), key=lambda r: (r.published_at or r.created_at, r.id))

    def _fenced(self, row_id: int, owner: str, **values: Any) -> bool:
        with self.engine.begin() as conn:
            return bool(conn.execute(update(outbox).where(
                outbox.c.id == row_id, outbox.c.lease_owner == owner,
                outbox.c.state == "pending").values(**values)).rowcount)

    def mark_sent(self, row_id: int, owner: str, *, chat_id: int, message_id: int,
                  now: datetime) -> bool:
        return self._fenced(row_id, owner, state="sent", sent_at=now, chat_id=chat_id,
                            message_id=message_id, lease_owner=None, lease_until=None)

    def retry(self, row_id: int, owner: str, *, not_before: datetime, error: str) -> bool:
        return self._fenced(row_id, owner, not_before=not_before, last_error=error[:500],
                            attempts=outbox.c.attempts + 1, lease_owner=None,
                            lease_until=None)

    def finish(self, row_id: int, owner: str, *, state: str, error: str | None = None) -> bool:
        """End a row without a message: `failed` (Telegram refused it as is) or `folded`
        (it went out inside a digest)."""
        return self._fenced(row_id, owner, state=state, last_error=error,
                            lease_owner=None, lease_until=None)

    def release(self, owner: str) -> None:
        """Give back every lease this process holds (clean shutdown)."""
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.lease_owner == owner,
                                              outbox.c.state == "pending")
                         .values(lease_owner=None, lease_until=None))

    def sent_message(self, chat: str, story_id: int) -> tuple[int, int] | None:
        """(chat_id, message_id) of the story's post in that chat, once Telegram took it."""
        with self.engine.connect() as conn:
            row = conn.execute(select(outbox.c.chat_id, outbox.c.message_id).where(
                outbox.c.chat == chat, outbox.c.story_id == story_id,
                outbox.c.kind == "post", outbox.c.state == "sent")).first()
        return (int(row[0]), int(row[1])) if row else None

    def pending(self, chat: str | None = None) -> int:
        q = select(func.count()).select_from(outbox).where(outbox.c.state == "pending")
        if chat is not None:
            q = q.where(outbox.c.chat == chat)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar() or 0)

    def next_due(self) -> datetime | None:
        with self.engine.connect() as conn:
            return conn.execute(select(func.min(outbox.c.not_before)).where(
                outbox.c.state == "pending")).scalar()

    def last_sent(self) -> datetime | None:
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(outbox.c.sent_at))).scalar()

    def reassign_chat(self, old: str, new: str) -> None:
        """ChatMigrated: the group became a supergroup with a new id; follow it."""
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.chat == old,
                                              outbox.c.state == "pending").values(chat=new))

    def story_chats(self, story_id: int) -> list[str]:
        """Chats a story's post went (or is going) to: where an "Also:" edit belongs."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(outbox.c.chat).where(
                outbox.c.story_id == story_id, outbox.c.kind == "post",
                outbox.c.state.in_(("pending", "sent")))).scalars())
