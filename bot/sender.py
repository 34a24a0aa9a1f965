"""Drain the outbox: oldest first, paced per destination, "sent" recorded only after
Telegram accepted the message, and every failure mapped to a retry time, never a drop."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.deliver import Deliverer
from bot.errors import ChatMigrated, ChatUnavailable, Rejected, RetryLater
from bot.models import utcnow
from bot.outbox_store import OutboxRow
from bot.settings import DeliverySettings
from bot.store import Store

log = logging.getLogger("newsbot.sender")
SLOW_RETRY = timedelta(minutes=30)       # chat unavailable: keep the rows, try now and then
WINDOW = timedelta(seconds=60)


class Pacer:
    """Sliding-window limits: N messages per chat per minute, M per second overall.
    A RetryAfter pauses only the chat it came from."""

    def __init__(self, settings: DeliverySettings) -> None:
        self.per_chat, self.per_second = settings.per_chat_per_minute, settings.per_second
        self.sent: dict[str, deque[datetime]] = defaultdict(deque)
        self.recent: deque[datetime] = deque()
        self.paused: dict[str, datetime] = {}

    def wait_for(self, chat: str, now: datetime) -> timedelta:
        """How long before one more message may go to `chat` (zero: now)."""
        log_ = self.sent[chat]
        while log_ and now - log_[0] >= WINDOW:
            log_.popleft()
        while self.recent and now - self.recent[0] >= timedelta(seconds=1):
            self.recent.popleft()
        waits = [timedelta(0)]
        if len(log_) >= self.per_chat:
            waits.append(log_[0] + WINDOW - now)
        if len(self.recent) >= self.per_second:
            waits.append(self.recent[0] + timedelta(seconds=1) - now)
        if chat in self.paused:
            waits.append(self.paused[chat] - now)
        return max(waits)

    def record(self, chat: str, now: datetime) -> None:
        self.sent[chat].append(now)
        self.recent.append(now)

    def pause(self, chat: str, until: datetime) -> None:
        self.paused[chat] = max(until, self.paused.get(chat, until))


class Sender:
    def __init__(self, store: Store, deliverer: Deliverer, settings: DeliverySettings,
                 owner: str, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.store, self.deliverer, self.settings = store, deliverer, settings
        self.owner, self.clock = owner, clock
        self.pacer = Pacer(settings)
        self.sent_count = 0
        self.stopping = False

    async def drain(self) -> int:
        """Send every row due now (pacing permitting); return how many went out."""
        sent = 0
        while not self.stopping:
            now = self.clock()
            rows = await asyncio.to_thread(self.store.outbox.claim, self.owner, now, limit=50)
            if not rows:
                break
            progressed = False
            for row in rows:
                if self.stopping:
                    break
                wait = self.pacer.wait_for(row.chat, self.clock())
                if wait > timedelta(0):
                    # Leave it for later; other chats' rows in this batch may still go.
                    await asyncio.to_thread(self.store.outbox.retry, row.id, self.owner,
                                            not_before=self.clock() + wait, error="paced")
                    continue
                ok = await self._send(row)
                progressed |= ok
                sent += ok
            if not progressed:
                break
        await asyncio.to_thread(self.store.outbox.release, self.owner)
        return sent

    async def _send(self, row: OutboxRow) -> bool:
        now = self.clock()
        outbox = self.store.outbox
        try:
            if row.kind == "edit":
                return await self._edit(row)
            self.pacer.record(row.chat, now)
            msg = await self.deliverer.send(row.chat, row.body, preview=self.settings.preview,
                                            silent=self._quiet(now))
        except RetryLater as exc:
            delay = (timedelta(seconds=exc.retry_after) if exc.retry_after is not None
                     else _backoff(row.attempts))
            if exc.retry_after is not None:
                self.pacer.pause(row.chat, now + delay)
            log.warning("%s; retrying in %s", exc, delay)
            await asyncio.to_thread(outbox.retry, row.id, self.owner, not_before=now + delay,
                                    error=str(exc))
            return False
        except ChatMigrated as exc:
            new = str(exc.new_chat_id)
            log.warning("%s", exc)
            await asyncio.to_thread(outbox.reassign_chat, row.chat, new)
            return False
        except ChatUnavailable as exc:
            log.error("%s; keeping its posts and retrying in %s", exc, SLOW_RETRY)
            await asyncio.to_thread(outbox.retry, row.id, self.owner,
                                    not_before=now + SLOW_RETRY, error=str(exc))
            return False
        except Rejected as exc:
            log.error("Telegram refused a post (outbox row %d): %s", row.id, exc)
            await asyncio.to_thread(outbox.finish, row.id, self.owner, state="failed",
                                    error=str(exc))
            return False
        await asyncio.to_thread(outbox.mark_sent, row.id, self.owner, chat_id=msg.chat_id,
                                message_id=msg.message_id, now=self.clock())
        self.sent_count += 1
        return True

    async def _edit(self, row: OutboxRow) -> bool:
        outbox = self.store.outbox
        target = await asyncio.to_thread(outbox.sent_message, row.chat, row.story_id)
        if target is None:
            # The post itself has not gone out yet: edit after it does.
            await asyncio.to_thread(outbox.retry, row.id, self.owner,
                                    not_before=self.clock() + timedelta(seconds=30),
                                    error="waiting for the post to be sent")
            return False
        self.pacer.record(row.chat, self.clock())
        await self.deliverer.edit(str(target[0]), target[1], row.body,
                                  preview=self.settings.preview)
        await asyncio.to_thread(outbox.mark_sent, row.id, self.owner, chat_id=target[0],
                                message_id=target[1], now=self.clock())
        return True

    def _quiet(self, now: datetime) -> bool:
        hours = self.settings.quiet_hours
        if hours is None:
            return False
        from zoneinfo import ZoneInfo

        local = now.astimezone(ZoneInfo(self.settings.timezone))
        minute = local.hour * 60 + local.minute
        start, end = hours
        return start <= minute < end if start <= end else (minute >= start or minute < end)


def _backoff(attempts: int) -> timedelta:
    """Network errors and 5xx: 5 s, 10 s, 20 s ... capped at 10 minutes, forever."""
    return min(timedelta(seconds=5 * 2 ** min(attempts, 10)), timedelta(minutes=10))
