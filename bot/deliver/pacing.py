"""Pacing decisions, pure: Telegram's rate limits per chat and overall, when a burst is
folded into one digest, quiet hours and retry backoff.

Telegram allows about 20 messages a minute to one channel or group and about 30 a second
overall (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
a burst of 500 matches would take 25 minutes one by one. Past `digest_after` waiting posts
for one chat, the oldest overflow goes out as one digest, the newest posts individually
after it, so the channel still reads oldest first.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.settings import DeliverySettings, chat_thread

__all__ = ["SECOND", "WINDOW", "Pacer", "backoff", "fold_count", "is_quiet"]

# The per-chat window, with a margin: Telegram counts arrivals, we count departures.
WINDOW = timedelta(seconds=60.5)
SECOND = timedelta(seconds=1.05)


class Pacer:
    """Sliding-window limits: N messages per chat per minute, M per second overall. (A
    RetryAfter pauses its chat in the database: `bot.store` chat_pauses.) The forum topics
    of one supergroup ("chat:N") share their chat's window: Telegram counts per chat."""

    def __init__(self, settings: DeliverySettings) -> None:
        self.per_chat, self.per_second = settings.per_chat_per_minute, settings.per_second
        self.sent: dict[str, deque[datetime]] = defaultdict(deque)
        self.recent: deque[datetime] = deque()

    def wait_for(self, chat: str, now: datetime) -> timedelta:
        """How long before one more message may go to `chat` (zero: now)."""
        log_ = self.sent[chat_thread(chat)[0]]
        while log_ and now - log_[0] >= WINDOW:
            log_.popleft()
        while self.recent and now - self.recent[0] >= SECOND:
            self.recent.popleft()
        waits = [timedelta(0)]
        if len(log_) >= self.per_chat:
            waits.append(log_[-self.per_chat] + WINDOW - now)
        if len(self.recent) >= self.per_second:
            waits.append(self.recent[-self.per_second] + SECOND - now)
        return max(waits)

    def record(self, chat: str, now: datetime) -> None:
        self.sent[chat_thread(chat)[0]].append(now)
        self.recent.append(now)

    def reset(self, chat: str, sends: Sequence[datetime]) -> None:
        """Replace what we know of `chat`'s last minute (other processes sent there too):
        `sends` to the chat and each of its forum topics."""
        self.sent[chat_thread(chat)[0]] = deque(sends)


def fold_count(waiting_posts: int, digest_after: int) -> int:
    """How many of a chat's oldest waiting posts to fold into a digest now (0: none).

    More than `digest_after` waiting: fold all but the newest `digest_after - 1`, so the
    digest and the posts left make `digest_after` messages."""
    if waiting_posts <= digest_after:
        return 0
    return waiting_posts - max(0, digest_after - 1)


def is_quiet(now: datetime, hours: tuple[int, int] | None, timezone: str = "UTC") -> bool:
    """Inside quiet hours (start, end minutes of the local day; may wrap midnight)?"""
    if hours is None:
        return False
    local = now.astimezone(ZoneInfo(timezone))
    minute = local.hour * 60 + local.minute
    start, end = hours
    return start <= minute < end if start <= end else (minute >= start or minute < end)


def backoff(attempts: int, base: timedelta, cap: timedelta) -> timedelta:
    """A chat's network errors and 5xx in a row: base, 2×base, 4×base ... capped, forever."""
    return min(base * 2 ** min(attempts, 20), cap)
