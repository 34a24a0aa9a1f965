"""What a failed send means, and the pauses that follow: kept in the database
(`chat_pauses`), so every process and a restart honour them.

- 429 retry_after: the chat is paused `retry_after`; its rows are given back, no attempt.
- network, 5xx: the chat is paused with a backoff per chat (base × 2^failures in a row,
  capped); rows given back.
- no answer in time (`Unanswered`): the chat is paused at least `send_timeout`; the rows
  count it, and a second unanswered send makes them `unconfirmed` (never a third send).
- 403, chat not found: the chat is paused `unavailable_retry`; the operator is told once.
- about the bot, token or API (`ApiRefused`): **every** chat is paused with backoff; the
  operator is told once; no row fails.
- 400 about this message (`Rejected`): the row is `failed` (a digest: an attempt on each).
- the group moved (`ChatMigrated`): followed; the rows are due at once.

Telegram punishes requests inside a retry_after with longer bans
(https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this), and an
accepted-but-unanswered message is in the channel already: sending it again repeats it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bot.deliver.outage import Outage
from bot.deliver.pacing import backoff
from bot.errors import (
    ApiRefused,
    ChatMigrated,
    ChatUnavailable,
    DeliveryError,
    Rejected,
    RetryLater,
    Unanswered,
)
from bot.metrics import RETRY_AFTER
from bot.settings import DeliverySettings
from bot.store import EVERY_CHAT, ChatPause, OutboxRow, Store, queue_alert

log = logging.getLogger("newsbot.sender")


class Failures:
    def __init__(self, store: Store, settings: DeliverySettings, owner: str,
                 operator_chat: str | None) -> None:
        self.store, self.settings, self.owner = store, settings, owner
        self.operator_chat = operator_chat
        self.outage = Outage()
        self.pauses: dict[str, ChatPause] = {}     # as last read, for `accepted`

    async def refresh(self) -> None:
        self.pauses = await asyncio.to_thread(self.store.pauses.all)

    async def handle(self, exc: DeliveryError, chat: str, rows: Sequence[OutboxRow], *,
                     now: datetime, single: bool) -> bool:
        """Record what `exc` means for `chat` and its `rows` (claimed by us). True: the rows
        may go again at once (the chat moved, or a refused row is out of the way)."""
        outbox, s, ids = self.store.outbox, self.settings, [r.id for r in rows]
        if isinstance(exc, ChatMigrated):
            log.warning("%s", exc)
            await asyncio.to_thread(outbox.reassign_chat, chat, str(exc.new_chat_id), now)
            await asyncio.to_thread(outbox.defer, ids, self.owner, not_before=now)
            return True
        if isinstance(exc, Rejected) and single:
            log.error("Telegram refused a message (outbox row %d): %s", ids[0], exc)
            await asyncio.to_thread(outbox.finish, ids, self.owner, state="failed",
                                    error=str(exc))
            return True
        if isinstance(exc, Unanswered):
            return await self._unanswered(exc, chat, rows, now)
        if isinstance(exc, RetryLater) and exc.retry_after is not None:
            RETRY_AFTER.inc()
            wait = timedelta(seconds=exc.retry_after)
            await self._pause(chat, now, exc, failed=False, delay=lambda _n: wait)
        elif isinstance(exc, ApiRefused):
            self.outage.failed(EVERY_CHAT, now)
            pause = await self._pause(EVERY_CHAT, now, exc, failed=True, delay=self._backoff)
            await self._alert_once(pause, f"newsbot paused every chat: {exc}. Posts are kept "
                                          "and sent once the Bot API accepts the bot again.")
        elif isinstance(exc, ChatUnavailable):
            every = s.unavailable_retry
            pause = await self._pause(chat, now, exc, failed=True, delay=lambda _n: every)
            await self._alert_once(pause, f"newsbot cannot post to {chat}: {exc}. Posts "
                                          f"kept, retried every {every}.")
        else:                                 # network, 5xx, or a refused digest
            self.outage.failed(chat, now)
            await self._pause(chat, now, exc, failed=True, delay=self._backoff)
        if isinstance(exc, Rejected):         # a refused digest: count it on every row
            await asyncio.to_thread(outbox.retry, ids, self.owner, error=str(exc))
        else:
            await asyncio.to_thread(outbox.defer, ids, self.owner, not_before=now,
                                    note=str(exc))
        return False

    async def _unanswered(self, exc: Unanswered, chat: str, rows: Sequence[OutboxRow],
                          now: datetime) -> bool:
        """Sent, no answer: at most one more try, after a pause at least as long as the
        answer may take; then `unconfirmed` (probably posted), never a third send."""
        outbox, ids = self.store.outbox, [r.id for r in rows]
        self.outage.failed(chat, now)
        floor = self.settings.send_timeout
        await self._pause(chat, now, exc, failed=True,
                          delay=lambda n: max(floor, self._backoff(n)))
        if any(r.unanswered for r in rows):
            log.error("%s: sent twice without an answer; marked unconfirmed, not sent again "
                      "(outbox rows %s)", exc, ", ".join(map(str, ids)))
            await asyncio.to_thread(outbox.finish, ids, self.owner, state="unconfirmed",
                                    error=str(exc))
            return False
        batch = ids[0] if len(rows) > 1 or rows[0].batch is not None else None
        await asyncio.to_thread(outbox.unanswered, ids, self.owner, error=str(exc),
                                batch=batch)
        return False

    def cut_short(self, rows: Sequence[OutboxRow]) -> None:
        """SIGTERM cancelled a send waiting for its answer: it may have been posted, so
        count it as unanswered (synchronously: the task is being cancelled)."""
        batch = rows[0].id if len(rows) > 1 else None
        self.store.outbox.unanswered([r.id for r in rows], self.owner,
                                     error="stopped while waiting for Telegram's answer",
                                     batch=batch)

    def _backoff(self, failures: int) -> timedelta:
        return backoff(max(0, failures - 1), self.settings.retry_base, self.settings.retry_max)

    async def _pause(self, chat: str, now: datetime, exc: DeliveryError, *, failed: bool,
                     delay: Callable[[int], timedelta]) -> ChatPause:
        pause = await asyncio.to_thread(self.store.pauses.pause, chat, now, reason=str(exc),
                                        failed=failed, delay=delay)
        self.pauses[chat] = pause
        wait = pause.until - now
        what = "every chat" if chat == EVERY_CHAT else chat
        # One line per failure: what happened, to which chat, and what was done.
        log.warning("%s; retrying in %s (%s: failure %d in a row)", exc, _seconds(wait),
                    what, max(pause.failures, 1))
        return pause

    async def _alert_once(self, pause: ChatPause, text: str) -> None:
        """Tell the operator once per run of failures (across processes): an ERROR line,
        and a message to `operator_chat` (queued: it goes when Telegram takes it)."""
        if not await asyncio.to_thread(self.store.pauses.mark_alerted, pause.chat):
            return
        log.error("%s", text)
        if self.operator_chat and self.operator_chat != pause.chat:
            await asyncio.to_thread(queue_alert, self.store, self.operator_chat, text,
                                    pause.since)

    async def accepted(self, chat: str, now: datetime) -> None:
        """Telegram took a message for `chat`: its run of failures (and every chat's) ends."""
        for key in (chat, EVERY_CHAT):
            if key in self.pauses:
                ended = await asyncio.to_thread(self.store.pauses.clear, key)
                self.pauses.pop(key, None)
                if ended is not None and ended.alerted:
                    what = "the Bot API accepts the bot" if key == EVERY_CHAT else \
                        f"chat {key} accepts posts"
                    log.warning("%s again", what)
        back = self.outage.recovered(now)
        if back:
            log.warning("%s", back)

    def summarise(self, now: datetime, waiting: int) -> None:
        line = self.outage.summary(now, waiting)
        if line:
            log.warning("%s", line)


def _seconds(delta: timedelta) -> str:
    return f"{delta.total_seconds():.1f} s"
