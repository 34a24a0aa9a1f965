"""Which outbox row a new story gets in a chat, pure: a post due now, or a row that waits
for its topic's scheduled digest (hourly: the next full hour; daily: local midnight)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.settings import DeliverySettings
from bot.store import OutboxItem

PERIODS = ("hourly", "daily")


def scheduled_period(topics: Sequence[str], digests: Sequence[tuple[str, str]]) -> str | None:
    """"hourly"/"daily" when every topic routed to a chat is collected into a scheduled
    digest (the shortest period wins); None: post the story on its own."""
    periods = dict(digests)
    found = [periods.get(t) for t in topics]
    if not found or any(p is None for p in found):
        return None
    return min((p for p in found if p), key=PERIODS.index)


def queue_item(chat: str, topics: Sequence[str], body: str, settings: DeliverySettings,
               now: datetime, *, image: str | None = None) -> OutboxItem:
    """The outbox row for a new story in `chat`: a post due now (with its `image`), or
    (kind "digest") a row due when its topic's scheduled digest goes out."""
    period = scheduled_period(topics, settings.digests)
    if period is None:
        return OutboxItem(chat=chat, kind="post", topic=topics[0], body=body, not_before=now,
                          image=image)
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
