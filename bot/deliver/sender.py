"""Drain the outbox: oldest first, paced per destination, "sent" recorded only after
Telegram accepted the message, and every failure mapped to a retry time, never a drop.

A chat is only claimed from when its pacer allows a message now, and one message is sent
per chat per round: rows are never claimed only to be put back, so pacing costs no
attempts and no busy loop. What each message is (a post, an "Also:" edit, a burst folded
into a digest, a scheduled digest, an operator alert) is decided in `_step`; what a failure
means (a pause of the chat or of every chat, stored where every process sees it) in
`bot.deliver.failures`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bot.deliver.base import Deliverer, Sent
from bot.deliver.failures import Failures
from bot.deliver.pacing import WINDOW, Pacer, fold_count, is_quiet
from bot.errors import DeliveryError
from bot.format import fit_digest
from bot.metrics import LAG, POSTS_SENT, QUEUE_DEPTH
from bot.models import utcnow
from bot.settings import DeliverySettings, chat_thread
from bot.store import OutboxRow, Store

log = logging.getLogger("newsbot.sender")
EDIT_WAIT = timedelta(seconds=30)        # an edit whose post has not gone out yet
FOLD_BATCH = 200                         # rows looked at for one digest message
MAX_DIGEST_ATTEMPTS = 3                  # a digest refused this often: post those one by one


class Sender:
    def __init__(self, store: Store, deliverer: Deliverer, settings: DeliverySettings,
                 owner: str, *, clock: Callable[[], datetime] = utcnow,
                 operator_chat: str | None = None) -> None:
        self.store, self.deliverer, self.settings = store, deliverer, settings
        self.owner, self.clock, self.operator_chat = owner, clock, operator_chat
        self.pacer = Pacer(settings)
        self.failures = Failures(store, settings, owner, operator_chat)
        self.sent_count = 0
        self.stopping = False
        self.held: dict[str, datetime] = {}   # chats whose send lease we hold: since when
        self._seeded = False

    async def drain(self) -> int:
        """Send every message due now that pacing permits; return how many went out."""
        outbox, before = self.store.outbox, self.sent_count
        if not self._seeded:     # a restart keeps counting the last minute's messages
            since = self.clock() - WINDOW
            for chat, when in await asyncio.to_thread(outbox.recent_sends, since):
                self.pacer.record(chat, when)
            self._seeded = True
        progressed = True
        while progressed and not self.stopping:
            progressed = False
            await self.failures.refresh()     # the pauses every process has set
            for chat, counts in await asyncio.to_thread(outbox.due_chats, self.clock()):
                if self.stopping:
                    break
                if self.pacer.wait_for(chat, self.clock()) > timedelta(0):
                    continue                  # not claimed: no attempt, no churn
                if not await self._hold(chat):
                    continue                  # another process is sending to this chat
                progressed |= await self._step(chat, counts)
        await asyncio.to_thread(outbox.release, self.owner)
        await self._let_go()
        waiting = await asyncio.to_thread(outbox.pending)
        QUEUE_DEPTH.set(waiting)
        self.failures.summarise(self.clock(), waiting)
        return self.sent_count - before

    async def _hold(self, chat: str) -> bool:
        """One process at a time sends to a chat (a lease in the database), so several
        processes together keep to the chat's pace; it lasts `delivery.lease`, like a
        claimed row, so a killed process holds its chats no longer than its rows. Taking a
        chat over, it paces from the messages every process sent there in the last minute."""
        now, leases, ttl = self.clock(), self.store.leases, self.settings.lease
        taken = self.held.get(chat)
        if taken is None or now - taken >= ttl / 2:             # take, or renew in time
            if not await asyncio.to_thread(leases.acquire, f"send:{chat}", self.owner, now,
                                           ttl):
                self.held.pop(chat, None)
                return False
            self.held[chat] = now
            if taken is None:
                sends = await asyncio.to_thread(self.store.outbox.recent_sends, now - WINDOW)
                group = chat_thread(chat)[0]      # its forum topics share its pace
                self.pacer.reset(chat, sorted(when for c, when in sends
                                              if chat_thread(c)[0] == group))
        return self.pacer.wait_for(chat, now) <= timedelta(0)

    async def _let_go(self) -> None:
        for chat in self.held:
            await asyncio.to_thread(self.store.leases.release, f"send:{chat}", self.owner)
        self.held.clear()

    async def next_wake(self) -> datetime | None:
        """When `drain` next has something to do: rows due and their chat's pacer free."""
        now = self.clock()
        dues = await asyncio.to_thread(self.store.outbox.due_by_chat)
        return min((max(due, now + self.pacer.wait_for(chat, now))
                    for chat, due in dues.items()), default=None)

    async def _step(self, chat: str, counts: dict[str, int]) -> bool:
        """One message to `chat`; True when Telegram accepted one (or the chat moved and its
        rows are due again at once)."""
        now, outbox, s = self.clock(), self.store.outbox, self.settings
        if counts.get("batch"):              # a digest that went unanswered: exactly it again
            rows = await asyncio.to_thread(outbox.claim, self.owner, now, chat=chat,
                                           batched=True, limit=FOLD_BATCH, lease=s.lease)
            if rows:
                return await self._send_digest(chat, rows)
        if counts.get("digest"):             # a scheduled digest's period is over
            rows = await asyncio.to_thread(outbox.claim, self.owner, now, chat=chat,
                                           kinds=("digest",), limit=FOLD_BATCH, lease=s.lease)
            return await self._send_digest(chat, rows)
        fold = fold_count(counts.get("post", 0), s.digest_after)
        if fold > 1:                         # a burst: the oldest overflow in one message
            rows = await asyncio.to_thread(
                outbox.claim, self.owner, now, chat=chat, kinds=("post",), lease=s.lease,
                limit=min(fold, FOLD_BATCH))
            alone = next((i for i, r in enumerate(rows) if _goes_alone(r)), len(rows))
            if alone == 0:                   # the oldest must go by itself, and first
                await asyncio.to_thread(outbox.defer, [r.id for r in rows[1:]], self.owner,
                                        not_before=now)
                return await self._send_one(rows[0])
            if rows:                         # oldest first: the digest stops before it
                await asyncio.to_thread(outbox.defer, [r.id for r in rows[alone:]],
                                        self.owner, not_before=now)
                return await self._send_digest(chat, rows[:alone])
        rows = await asyncio.to_thread(outbox.claim, self.owner, now, chat=chat,
                                       kinds=("post", "edit", "alert"), lease=s.lease,
                                       limit=1)
        return bool(rows) and await self._send_one(rows[0])

    async def _send_one(self, row: OutboxRow) -> bool:
        outbox = self.store.outbox
        try:
            if row.kind == "edit":
                return await self._edit(row)
            msg = await self._deliver(row.chat, row.body, quiet=row.kind != "alert",
                                      image=self._image(row))
        except DeliveryError as exc:
            return await self.failures.handle(exc, row.chat, [row], now=self.clock(),
                                              single=True)
        except asyncio.CancelledError:       # SIGTERM while waiting for the answer
            self.failures.cut_short([row])
            raise
        await asyncio.to_thread(outbox.mark_sent, row.id, self.owner, chat_id=msg.chat_id,
                                message_id=msg.message_id, now=self.clock())
        await self._accepted(row.kind, row.chat)
        if row.published_at is not None and row.kind == "post":
            LAG.observe(max(0.0, (self.clock() - row.published_at).total_seconds()))
        return True

    async def _edit(self, row: OutboxRow) -> bool:
        """An "Also:" edit of the story's post (editMessageText); throttled by the
        edit_interval its row was queued with, paced like a message."""
        outbox = self.store.outbox
        assert row.story_id is not None
        target = await asyncio.to_thread(outbox.sent_message, row.chat, row.story_id)
        if target is None:
            state = await asyncio.to_thread(outbox.post_state, row.chat, row.story_id)
            if state == "pending":           # edit after the post went out; not an attempt
                await asyncio.to_thread(outbox.defer, [row.id], self.owner,
                                        not_before=self.clock() + EDIT_WAIT,
                                        note="waiting for the post to be sent")
            else:                            # folded into a digest, refused, or gone
                await asyncio.to_thread(outbox.finish, [row.id], self.owner, state="failed",
                                        error=f"no post to edit (post {state})")
            return True                      # the chat's other rows may go now
        self.pacer.record(row.chat, self.clock())
        await self.deliverer.edit(str(target[0]), target[1], row.body,
                                  preview=self.settings.preview, image=self._image(row))
        await asyncio.to_thread(outbox.mark_sent, row.id, self.owner, chat_id=target[0],
                                message_id=target[1], now=self.clock())
        await self._accepted("edit", row.chat)
        return True

    async def _send_digest(self, chat: str, rows: Sequence[OutboxRow]) -> bool:
        """Fold `rows` (oldest first) into one message; they become "folded" only once
        Telegram accepted it. Rows that do not fit stay pending for the next one. Rows of an
        unanswered digest come back as exactly that digest (same rows, same order)."""
        outbox = self.store.outbox
        links = await asyncio.to_thread(outbox.story_links,
                                        [r.story_id for r in rows if r.story_id is not None])
        items = [(r.topic, *links.get(r.story_id or 0, ("(untitled)", None))) for r in rows]
        text, n = fit_digest(items)
        taken, rest = list(rows[:n]), [r.id for r in rows[max(n, 1):]]
        await asyncio.to_thread(outbox.defer, rest, self.owner, not_before=self.clock())
        if not taken:                        # cannot happen with titles capped: post it
            return await self._send_one(rows[0])
        try:
            msg = await self._deliver(chat, text, quiet=True)
        except DeliveryError as exc:
            return await self.failures.handle(exc, chat, taken, now=self.clock(),
                                              single=False)
        except asyncio.CancelledError:       # SIGTERM while waiting for the answer
            self.failures.cut_short(taken)
            raise
        await asyncio.to_thread(outbox.fold, [r.id for r in taken], self.owner,
                                chat_id=msg.chat_id, message_id=msg.message_id,
                                now=self.clock())
        await self._accepted("digest", chat)
        log.info("folded %d stories into one digest for %s", len(taken), chat)
        return True

    async def _deliver(self, chat: str, text: str, *, quiet: bool,
                       image: str | None = None) -> Sent:
        now = self.clock()
        self.pacer.record(chat, now)
        silent = quiet and is_quiet(now, self.settings.quiet_hours,
                                           self.settings.timezone)
        return await self.deliverer.send(chat, text, preview=self.settings.preview,
                                         silent=silent, image=image)

    def _image(self, row: OutboxRow) -> str | None:
        """The article's image above a post and its edits, unless `delivery.images` is off
        (read when sending: turning it off applies to posts already queued)."""
        return row.image if self.settings.images else None

    async def _accepted(self, kind: str, chat: str) -> None:
        self.sent_count += 1
        POSTS_SENT.labels(kind=kind).inc()
        await self.failures.accepted(chat, self.clock())


def _goes_alone(row: OutboxRow) -> bool:
    """Never folded into a digest: a post refused in digests this often, or one that may
    already be in the channel (an unanswered send): a digest would show it twice."""
    return row.attempts >= MAX_DIGEST_ATTEMPTS or row.unanswered > 0
