"""Operator alerts ("feed failing", "feed recovered", "feed gone") through the outbox.

An alert is an outbox row of kind "alert" with no story (outbox.story_id is NULL since
schema v3) addressed to `operator_chat`; the sender delivers it like a post. Without an
operator chat the log line the caller writes is the only report.
"""

from __future__ import annotations

import html
from datetime import datetime

from sqlalchemy import insert

from bot.settings import redact
from bot.store.schema import outbox
from bot.store.store import Store


def queue_alert(store: Store, chat: str | None, text: str, now: datetime) -> bool:
    """Queue `text` (plain) for the operator; False when no operator chat is configured."""
    if not chat:
        return False
    with store.engine.begin() as conn:
        conn.execute(insert(outbox).values(
            chat=chat, story_id=None, kind="alert", topic=None, body=html.escape(redact(text)),
            state="pending", attempts=0, not_before=now, created_at=now))
    return True
