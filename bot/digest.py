"""Digest decisions, pure: when a burst is folded into one message, what one digest message
holds, when a scheduled digest is due, quiet hours and retry backoff. `now` is always passed in.

Telegram allows about 20 messages a minute to one channel or group
(https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this): a burst of
500 matches would take 25 minutes one by one. Past `digest_after` waiting posts for one chat,
the oldest overflow goes out as one digest ("12 more stories on #sanctions: ..."), the newest
posts individually after it, so the channel still reads oldest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.format import render_digest, visible_len
from bot.settings import DeliverySettings
from bot.store import OutboxItem

MAX_TEXT = 4096             # https://core.telegram.org/bots/api#sendmessage (after parsing)
PERIODS = ("hourly", "daily")


def fold_count(waiting_posts: int, digest_after: int) -> int:
    """How many of a chat's oldest waiting posts to fold into a digest now (0: none).

    More than `digest_after` waiting: fold all but the newest `digest_after - 1`, so the
    digest and the posts left make `digest_after` messages."""
    if waiting_posts <= digest_after:
        return 0
    return waiting_posts - max(0, digest_after - 1)


def fit_digest(items: Sequence[tuple[str | None, str, str | None]],
               max_len: int = MAX_TEXT) -> tuple[str, int]:
    """One message for the oldest `items` (topic, title, link) that fit whole, one section
    per topic in order of first appearance; returns (text, how many items it holds).

    Never the "… and N more" form: a story that does not fit waits for the next digest
    rather than being mentioned without its link."""
    lo, hi = 0, len(items)              # longest prefix that fits: a binary search
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if visible_len(_render(items[:mid])) <= max_len:
            lo = mid
        else:
            hi = mid - 1
    return (_render(items[:lo]) if lo else ""), lo


def _render(items: Sequence[tuple[str | None, str, str | None]]) -> str:
    sections: dict[str, list[tuple[str, str | None]]] = {}
    for topic, title, link in items:
        sections.setdefault(topic or "news", []).append((title, link))
    return "\n\n".join(render_digest(topic=t, items=rows, max_len=10**9)
                       for t, rows in sections.items())


def scheduled_period(topics: Sequence[str], digests: Sequence[tuple[str, str]]) -> str | None:
    """"hourly"/"daily" when every topic routed to a chat is collected into a scheduled
    digest (the shortest period wins); None: post the story on its own."""
    periods = dict(digests)
    found = [periods.get(t) for t in topics]
    if not found or any(p is None for p in found):
        return None
    return min((p for p in found if p), key=PERIODS.index)


def queue_item(chat: str, topics: Sequence[str], body: str, settings: DeliverySettings,
               now: datetime) -> OutboxItem:
    """The outbox row for a new story in `chat`: a post due now, or (kind "digest") a row
    due when its topic's scheduled digest goes out."""
    period = scheduled_period(topics, settings.digests)
    if period is None:
        return OutboxItem(chat=chat, kind="post", topic=topics[0], body=body, not_before=now)
    return OutboxItem(chat=chat, kind="digest", topic=topics[0], body=body,
                      not_before=period_end(now, period, settings.timezone))


def period_end(now: datetime, period: str, timezone: str = "UTC") -> datetime:
    """When the digest collecting a story seen at `now` goes out: the next full hour, or
    the next local midnight, in `timezone`."""
    local = now.astimezone(ZoneInfo(timezone))
    if period == "hourly":
        start = local.replace(minute=0, second=0, microsecond=0)
        return (start + timedelta(hours=1)).astimezone(now.tzinfo)
    if period == "daily":
        day = (local + timedelta(days=1)).date()
        midnight = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))
        return midnight.astimezone(now.tzinfo)
    raise ValueError(f"unknown digest period {period!r}: expected one of {PERIODS}")


def is_quiet(now: datetime, hours: tuple[int, int] | None, timezone: str = "UTC") -> bool:
    """Inside quiet hours (start, end minutes of the local day; may wrap midnight)?"""
    if hours is None:
        return False
    local = now.astimezone(ZoneInfo(timezone))
    minute = local.hour * 60 + local.minute
    start, end = hours
    return start <= minute < end if start <= end else (minute >= start or minute < end)


def backoff(attempts: int, base: timedelta, cap: timedelta) -> timedelta:
    """Network errors and 5xx: base, 2×base, 4×base ... capped, forever."""
    return min(base * 2 ** min(attempts, 20), cap)
