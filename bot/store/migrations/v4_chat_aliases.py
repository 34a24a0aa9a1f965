"""v4 (delivery, issue #5): `chat_aliases`, where a group that became a supergroup now lives
(Bot API: a 400 with parameters.migrate_to_chat_id), so later posts to the configured id go
to the new one."""

from __future__ import annotations

from sqlalchemy import Connection

from bot.store.schema import chat_aliases


def upgrade(conn: Connection) -> None:
    chat_aliases.create(conn, checkfirst=True)
