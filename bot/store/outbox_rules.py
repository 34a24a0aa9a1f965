"""The outbox queue's rules as SQL, shared by its queries (bot/store/outbox.py): when a row
may be claimed (`claimable`), which goes first (`AGE`: oldest story first) and when a
pending row is next due (`DUE`), with `utc`/`opt_utc` to read such times back.

Kept apart from the statements that use them so the rules read in one place: a row is
claimable only while pending, due, unleased (or its lease expired) and neither its chat
nor every chat ("*") is paused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, or_

from bot.store.pauses import EVERY_CHAT
from bot.store.schema import chat_pauses, outbox

__all__ = ["AGE", "DUE", "claimable", "opt_utc", "utc"]


def claimable(now: datetime) -> Any:
    paused = exists().where(or_(chat_pauses.c.chat == outbox.c.chat,
                                chat_pauses.c.chat == EVERY_CHAT), chat_pauses.c.until > now)
    return and_(outbox.c.state == "pending", outbox.c.not_before <= now,
                or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now), ~paused)


AGE = func.coalesce(outbox.c.published_at, outbox.c.created_at)
# When a pending row can next be claimed: its not_before, or later if someone holds it.
DUE = case((outbox.c.lease_until > outbox.c.not_before, outbox.c.lease_until),
           else_=outbox.c.not_before)


def opt_utc(value: Any) -> datetime | None:
    return None if value is None else utc(value)


def utc(value: Any) -> datetime:
    """min() over a CASE comes back as text on SQLite: parse it as the UTC it is."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
