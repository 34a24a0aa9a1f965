"""v5 (delivery faults, issue #18): `chat_pauses`, a chat's pause (429 retry_after, outage
backoff, "*" for every chat after a bot-level error) where every process and a restart see
it; outbox.unanswered and outbox.batch for sends that got no answer. Existing rows stay
valid: they have had no unanswered send and belong to no batch."""

from __future__ import annotations

from sqlalchemy import Connection

from bot.store.schema import chat_pauses


def upgrade(conn: Connection) -> None:
    chat_pauses.create(conn, checkfirst=True)
    conn.exec_driver_sql("ALTER TABLE outbox ADD COLUMN unanswered INTEGER NOT NULL DEFAULT 0")
    conn.exec_driver_sql("ALTER TABLE outbox ADD COLUMN batch BIGINT")
