"""Drain the outbox: oldest first, paced per destination, "sent" recorded only after
Telegram accepted the message, and every failure mapped to a retry time, never a drop.

A chat is only claimed from when its pacer allows a message now, and one message is sent
per chat per round: rows are never claimed only to be put back, so pacing costs no
attempts and no busy loop. What each message is (a post, an "Also:" edit, a burst folded
into a digest, a scheduled digest, an operator alert) is decided in `_step`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bot.deliver.base import Deliverer, Sent
from bot.deliver.pacing import WINDOW, Pacer, backoff, fold_count, is_quiet
from bot.errors import ChatMigrated, ChatUnavailable, DeliveryError, Rejected, RetryLater
from bot.format import fit_digest
from bot.metrics import LAG, POSTS_SENT, QUEUE_DEPTH, RETRY_AFTER
from bot.models import utcnow
from bot.settings import DeliverySettings
from bot.store import OutboxRow, Store, queue_alert

log = logging.getLogger("newsbot.sender")
EDIT_WAIT = timedelta(seconds=30)        # an edit whose post has not gone out yet
FOLD_BATCH = 200                         # rows looked at for one digest message
CHAT_LEASE = timedelta(seconds=60)       # one sender per chat across processes
MAX_DIGEST_ATTEMPTS = 3                  # a digest refused this often: post those one by one


class Sender:
    def __init__(self, store: Store, deliverer: Deliverer, settings: DeliverySettings,
                 owner: str, *, clock: Callable[[], datetime] = utcnow,
                 operator_chat: str | None = None) -> None:
        self.store, self.deliverer, self.settings = store, deliverer, settings
        self.owner, self.clock, self.operator_chat = owner, clock, operator_chat
        self.pacer = Pacer(settings)
        self.sent_count = 0
        self.stopping = False
        self.unavailable: set[str] = set()    # chats the operator was told about
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
        QUEUE_DEPTH.set(await asyncio.to_thread(outbox.pending))
        return self.sent_count - before

    async def _hold(self, chat: str) -> bool:
        """One process at a time sends to a chat (a lease in the database), so several
        processes together keep to the chat's pace. Taking a chat over, it paces from the
        messages every process sent there in the last minute."""
        now, leases = self.clock(), self.store.leases
        taken = self.held.get(chat)
        if taken is None or now - taken >= CHAT_LEASE / 2:      # take, or renew in time
            if not await asyncio.to_thread(leases.acquire, f"send:{chat}", self.owner, now,
                                           CHAT_LEASE):
                self.held.pop(chat, None)
                return False
            self.held[chat] = now
            if taken is None:
                sends = await asyncio.to_thread(self.store.outbox.recent_sends, now - WINDOW)
                self.pacer.reset(chat, sorted(when for c, when in sends if c == chat))
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
        if counts.get("digest"):             # a scheduled digest's period is over
            rows = await asyncio.to_thread(outbox.claim, self.owner, now, chat=chat,
                                           kinds=("digest",), limit=FOLD_BATCH, lease=s.lease)
            return await self._send_digest(chat, rows)
        fold = fold_count(counts.get("post", 0), s.digest_after)
        if fold > 1:                         # a burst: the oldest overflow in one message
            rows = await asyncio.to_thread(
                outbox.claim, self.owner, now, chat=chat, kinds=("post",), lease=s.lease,
                limit=min(fold, FOLD_BATCH), max_attempts=MAX_DIGEST_ATTEMPTS)
            if rows:
                return await self._send_digest(chat, rows)
        rows = await asyncio.to_thread(outbox.claim, self.owner, now, chat=chat,
                                       kinds=("post", "edit", "alert"), lease=s.lease,
                                       limit=1)
        return bool(rows) and await self._send_one(rows[0])

    async def _send_one(self, row: OutboxRow) -> bool:
        outbox = self.store.outbox
        try:
            if row.kind == "edit":
                return await self._edit(row)
            msg = await self._deliver(row.chat, row.body, quiet=row.kind != "alert")
        except DeliveryError as exc:
            return await self._failed(exc, row.chat, [row], single=True)
        await asyncio.to_thread(outbox.mark_sent, row.id, self.owner, chat_id=msg.chat_id,
                                message_id=msg.message_id, now=self.clock())
        self._accepted(row.kind, row.chat)
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
                await asyncio.to_thread(outbox.finish, row.id, self.owner, state="failed",
                                        error=f"no post to edit (post {state})")
            return True                      # the chat's other rows may go now
        self.pacer.record(row.chat, self.clock())
        await self.deliverer.edit(str(target[0]), target[1], row.body,
                                  preview=self.settings.preview)
        await asyncio.to_thread(outbox.mark_sent, row.id, self.owner, chat_id=target[0],
                                message_id=target[1], now=self.clock())
        self._accepted("edit", row.chat)
        return True

    async def _send_digest(self, chat: str, rows: Sequence[OutboxRow]) -> bool:
        """Fold `rows` (oldest first) into one message; they become "folded" only once
        Telegram accepted it. Rows that do not fit stay pending for the next one."""
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
            return await self._failed(exc, chat, taken, single=False)
        await asyncio.to_thread(outbox.fold, [r.id for r in taken], self.owner,
                                chat_id=msg.chat_id, message_id=msg.message_id,
                                now=self.clock())
        self._accepted("digest", chat)
        log.info("folded %d stories into one digest for %s", len(taken), chat)
        return True

    async def _deliver(self, chat: str, text: str, *, quiet: bool) -> Sent:
        now = self.clock()
        self.pacer.record(chat, now)
        silent = quiet and is_quiet(now, self.settings.quiet_hours,
                                           self.settings.timezone)
        return await self.deliverer.send(chat, text, preview=self.settings.preview,
                                         silent=silent)

    def _accepted(self, kind: str, chat: str) -> None:
        self.sent_count += 1
        POSTS_SENT.labels(kind=kind).inc()
        if chat in self.unavailable:
            self.unavailable.discard(chat)
            log.warning("chat %s accepts posts again", chat)

    async def _failed(self, exc: DeliveryError, chat: str, rows: Sequence[OutboxRow], *,
                      single: bool) -> bool:
        """Map a failure to when to try again. The first row counts an attempt; the chat
        is paused so nothing overtakes it (order kept, other chats unaffected). True: the
        rows may go again at once (the chat moved)."""
        outbox, s, now = self.store.outbox, self.settings, self.clock()
        first, others = rows[0], [r.id for r in rows[1:]]
        if isinstance(exc, ChatMigrated):
            new = str(exc.new_chat_id)
            log.warning("%s", exc)
            await asyncio.to_thread(outbox.reassign_chat, chat, new, now)
            await asyncio.to_thread(outbox.defer, [r.id for r in rows], self.owner,
                                    not_before=now)
            return True
        if isinstance(exc, Rejected) and single:
            log.error("Telegram refused a message (outbox row %d): %s", first.id, exc)
            await asyncio.to_thread(outbox.finish, first.id, self.owner, state="failed",
                                    error=str(exc))
            return True
        if isinstance(exc, RetryLater) and exc.retry_after is not None:
            # 429: "retry_after: the number of seconds left to wait before the request can
            # be repeated" (https://core.telegram.org/bots/api#responseparameters)
            RETRY_AFTER.inc()
            delay = timedelta(seconds=exc.retry_after)
            self.pacer.pause(chat, now + delay)
        elif isinstance(exc, ChatUnavailable):
            delay = s.unavailable_retry
            await self._alert(chat, exc, now)
        else:   # network, 5xx, or a refused digest: back off, forever
            delay = backoff(first.attempts, s.retry_base, s.retry_max)
        log.warning("%s; retrying in %s", exc, delay)
        await asyncio.to_thread(outbox.pause_chat, chat, now + delay)
        if isinstance(exc, Rejected):        # a refused digest: count it on every row
            for row in rows:
                await asyncio.to_thread(outbox.retry, row.id, self.owner,
                                        not_before=now + delay, error=str(exc))
            return False
        await asyncio.to_thread(outbox.retry, first.id, self.owner, not_before=now + delay,
                                error=str(exc))
        await asyncio.to_thread(outbox.defer, others, self.owner, not_before=now + delay)
        return False

    async def _alert(self, chat: str, exc: DeliveryError, now: datetime) -> None:
        """403 / chat not found: keep the rows, tell the operator once (log, operator chat)."""
        if chat in self.unavailable:
            return
        self.unavailable.add(chat)
        every = self.settings.unavailable_retry
        log.error("%s; keeping its posts and retrying every %s", exc, every)
        if self.operator_chat != chat:
            text = f"newsbot cannot post to {chat}: {exc}. Posts kept, retried every {every}."
            await asyncio.to_thread(queue_alert, self.store, self.operator_chat, text, now)
