"""The outbox queue's SQL: enqueue in the caller's transaction, claim under a lease,
complete only while still holding it (a fenced write), oldest first.

Deferring a row (pacing, a paused chat, an edit waiting for its post) never counts as an
attempt; only a message Telegram refused does (`retry`). A chat's pause (`chat_pauses`, see
bot/store/pauses.py) holds every row of the chat, whenever it was queued: no row is
claimable while its chat, or every chat ("*"), is paused (the rules: bot/store/outbox_rules.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, case, func, select, update

from bot.settings import redact
from bot.store.db import reader_of
from bot.store.outbox_rules import AGE, DUE, claimable, opt_utc, utc
from bot.store.pauses import EVERY_CHAT
from bot.store.records import OutboxItem, OutboxRow
from bot.store.schema import chat_aliases, chat_pauses, outbox, stories
from bot.store.wrap import wrapped_methods


@wrapped_methods
class OutboxStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.reader = reader_of(engine)     # lock-free reads on SQLite

    def enqueue(self, conn: Connection, story_id: int | None, items: Sequence[OutboxItem],
                now: datetime, *, published_at: datetime | None = None) -> None:
        """Insert rows in the caller's transaction, addressed to where each chat lives now
        (`chat_aliases`). A post is unique per chat and story; an edit row is reused: its
        body is replaced and it is pending again, keeping an earlier due time if it was
        still pending (throttled, not pushed back by every new source)."""
        from bot.store.db import dialect_insert

        aliases = dict(conn.execute(select(chat_aliases.c.chat, chat_aliases.c.new_chat).where(
            chat_aliases.c.chat.in_({i.chat for i in items}))).all()) if items else {}
        for item in items:
            values = {"chat": aliases.get(item.chat, item.chat), "story_id": story_id,
                      "kind": item.kind, "topic": item.topic, "body": item.body,
                      "state": "pending", "attempts": 0, "not_before": item.not_before,
                      "created_at": now, "published_at": published_at,
                      "target_message_id": item.target_message_id, "image": item.image}
            stmt = dialect_insert(conn, outbox).values(**values)
            if item.kind != "edit":
                stmt = stmt.on_conflict_do_nothing()
            else:
                # An edit in flight loses its lease: its mark_sent fails, the new body goes.
                stmt = stmt.on_conflict_do_update(
                    index_elements=["chat", "story_id", "kind"],
                    set_={"body": item.body, "state": "pending", "attempts": 0,
                          "not_before": case((outbox.c.state == "pending", outbox.c.not_before),
                                             else_=stmt.excluded.not_before),
                          "lease_owner": None, "lease_until": None,
                          "target_message_id": item.target_message_id, "image": item.image})
            conn.execute(stmt)

    def due_chats(self, now: datetime) -> list[tuple[str, dict[str, int]]]:
        """Chats with claimable rows, the one with the oldest story first, and how many
        claimable rows of each kind each has."""
        batched = func.sum(case((outbox.c.batch.is_not(None), 1), else_=0))
        q = (select(outbox.c.chat, outbox.c.kind, func.count(), func.min(AGE), batched)
             .where(claimable(now)).group_by(outbox.c.chat, outbox.c.kind))
        with self.reader.connect() as conn:
            rows = conn.execute(q).all()
        out: dict[str, dict[str, int]] = {}
        oldest: dict[str, Any] = {}
        for chat, kind, count, age, in_batch in rows:
            counts = out.setdefault(chat, {})
            counts[kind] = int(count)
            if in_batch:                 # rows of an unanswered digest: "batch"
                counts["batch"] = counts.get("batch", 0) + int(in_batch)
            oldest[chat] = min(str(age), oldest.get(chat, str(age)))
        return sorted(out.items(), key=lambda kv: oldest[kv[0]])

    def claim(self, owner: str, now: datetime, *, limit: int = 50,
              lease: timedelta = timedelta(seconds=60), chat: str | None = None,
              kinds: Iterable[str] | None = None, batched: bool = False
              ) -> list[OutboxRow]:
        """Lease up to `limit` due rows, oldest first. PostgreSQL skips rows another
        process holds (FOR UPDATE SKIP LOCKED); SQLite's BEGIN IMMEDIATE serialises.
        `batched`: only the rows of the chat's oldest unanswered digest (`unanswered`)."""
        cond = [claimable(now)]
        if chat is not None:
            cond.append(outbox.c.chat == chat)
        if kinds is not None:
            cond.append(outbox.c.kind.in_(list(kinds)))
        if batched:
            first = select(func.min(outbox.c.batch)).where(
                outbox.c.chat == chat, outbox.c.state == "pending").scalar_subquery()
            cond.append(outbox.c.batch == first)
        else:                            # a batch goes whole, as its digest, or not at all
            cond.append(outbox.c.batch.is_(None))
        # Oldest story first (by publication, else by when it was queued), then queue order.
        pick = select(outbox.c.id).where(*cond).order_by(AGE, outbox.c.id).limit(limit)
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
            rows = conn.execute(update(outbox).where(outbox.c.id.in_(pick.scalar_subquery()))
                                .values(lease_owner=owner, lease_until=now + lease)
                                .returning(*outbox.c)).mappings().all()
        return sorted((OutboxRow(**{k: r[k] for k in OutboxRow.__dataclass_fields__})
                       for r in rows), key=lambda r: (r.published_at or r.created_at, r.id))

    def _fenced(self, ids: Sequence[int], owner: str, **values: Any) -> int:
        with self.engine.begin() as conn:
            return int(conn.execute(update(outbox).where(
                outbox.c.id.in_(list(ids)), outbox.c.lease_owner == owner,
                outbox.c.state == "pending").values(**values)).rowcount)

    def mark_sent(self, row_id: int, owner: str, *, chat_id: int, message_id: int,
                  now: datetime) -> bool:
        return bool(self._fenced([row_id], owner, state="sent", sent_at=now, chat_id=chat_id,
                                 message_id=message_id, lease_owner=None, lease_until=None))

    def fold(self, ids: Sequence[int], owner: str, *, chat_id: int, message_id: int,
             now: datetime) -> int:
        """These rows went out inside the digest `message_id`: one transaction."""
        return self._fenced(ids, owner, state="folded", sent_at=now, chat_id=chat_id,
                            message_id=message_id, lease_owner=None, lease_until=None)

    def retry(self, ids: Sequence[int], owner: str, *, error: str) -> int:
        """Telegram refused these rows' message (a digest's 400): count an attempt on each;
        they go again when their chat's pause ends."""
        return self._fenced(ids, owner, last_error=redact(error)[:500],
                            attempts=outbox.c.attempts + 1, lease_owner=None,
                            lease_until=None) if ids else 0

    def unanswered(self, ids: Sequence[int], owner: str, *, error: str,
                   batch: int | None) -> int:
        """The message holding these rows went out and got no answer: Telegram may have
        posted it. Count it; a digest's rows keep their `batch`, so a retry resends the
        same digest."""
        return self._fenced(ids, owner, last_error=redact(error)[:500], batch=batch,
                            unanswered=outbox.c.unanswered + 1, lease_owner=None,
                            lease_until=None) if ids else 0

    def defer(self, ids: Sequence[int], owner: str, *, not_before: datetime,
              note: str | None = None) -> int:
        """Give rows back unsent, due at `not_before`; not an attempt."""
        values: dict[str, Any] = {"not_before": not_before, "lease_owner": None,
                                  "lease_until": None}
        if note is not None:
            values["last_error"] = redact(note)[:500]
        return self._fenced(ids, owner, **values) if ids else 0

    def finish(self, ids: Sequence[int], owner: str, *, state: str,
               error: str | None = None) -> int:
        """End rows without a message of their own: `failed` (Telegram refused it as is),
        `folded` (it went out inside a digest) or `unconfirmed` (sent twice, answered
        neither time: probably posted, not sent a third time)."""
        return self._fenced(ids, owner, state=state,
                            last_error=None if error is None else redact(error)[:500],
                            lease_owner=None, lease_until=None) if ids else 0

    def release(self, owner: str) -> None:
        """Give back every lease this process holds (clean shutdown)."""
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.lease_owner == owner,
                                              outbox.c.state == "pending")
                         .values(lease_owner=None, lease_until=None))

    def sent_message(self, chat: str, story_id: int) -> tuple[int, int] | None:
        """(chat_id, message_id) of the story's post in that chat, once Telegram took it."""
        with self.reader.connect() as conn:
            row = conn.execute(select(outbox.c.chat_id, outbox.c.message_id).where(
                outbox.c.chat == chat, outbox.c.story_id == story_id,
                outbox.c.kind == "post", outbox.c.state == "sent")).first()
        return (int(row[0]), int(row[1])) if row else None

    def post_state(self, chat: str, story_id: int) -> str | None:
        with self.reader.connect() as conn:
            return conn.execute(select(outbox.c.state).where(
                outbox.c.chat == chat, outbox.c.story_id == story_id,
                outbox.c.kind == "post")).scalar()

    def story_links(self, story_ids: Iterable[int]) -> dict[int, tuple[str, str | None]]:
        """story id -> (title, link), as the story's first post was rendered."""
        with self.reader.connect() as conn:
            rows = conn.execute(select(stories.c.id, stories.c.render).where(
                stories.c.id.in_(list(story_ids)))).all()
        out = {}
        for sid, render in rows:
            data = json.loads(render)
            out[int(sid)] = (str(data.get("title") or ""), data.get("link"))
        return out

    def recent_sends(self, since: datetime) -> list[tuple[str, datetime]]:
        """(chat, when) of each message accepted since `since` (a digest counts once)."""
        with self.reader.connect() as conn:
            return [(r[0], r[2]) for r in conn.execute(
                select(outbox.c.chat, outbox.c.message_id, outbox.c.sent_at).distinct().where(
                    outbox.c.sent_at >= since, outbox.c.state.in_(("sent", "folded"))))]

    def pending(self, chat: str | None = None) -> int:
        q = select(func.count()).select_from(outbox).where(outbox.c.state == "pending")
        if chat is not None:
            q = q.where(outbox.c.chat == chat)
        with self.reader.connect() as conn:
            return int(conn.execute(q).scalar() or 0)

    def due_by_chat(self) -> dict[str, datetime]:
        """chat -> when its next pending row may be claimed (leases held and the chat's
        pause, or every chat's, count)."""
        with self.reader.connect() as conn:
            rows = conn.execute(select(outbox.c.chat, func.min(DUE)).where(
                outbox.c.state == "pending").group_by(outbox.c.chat)).all()
            pauses = dict(conn.execute(select(chat_pauses.c.chat, chat_pauses.c.until)).all())
        everyone = pauses.get(EVERY_CHAT)
        return {str(chat): max(d for d in (utc(due), opt_utc(pauses.get(chat)), opt_utc(everyone))
                               if d is not None) for chat, due in rows}

    def last_sent(self) -> datetime | None:
        with self.reader.connect() as conn:
            return conn.execute(select(func.max(outbox.c.sent_at))).scalar()

    def reassign_chat(self, old: str, new: str, now: datetime) -> None:
        """ChatMigrated: the group became a supergroup with a new id; follow it, for the
        rows waiting now (`chat_aliases` sends later ones there too)."""
        from bot.store.db import dialect_insert

        with self.engine.begin() as conn:
            conn.execute(dialect_insert(conn, chat_aliases).values(
                chat=old, new_chat=new, created_at=now).on_conflict_do_update(
                index_elements=["chat"], set_={"new_chat": new}))
            conn.execute(update(chat_aliases).where(chat_aliases.c.new_chat == old)
                         .values(new_chat=new))
            conn.execute(update(outbox).where(outbox.c.chat == old,
                                              outbox.c.state == "pending").values(chat=new))
