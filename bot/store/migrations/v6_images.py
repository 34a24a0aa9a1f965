"""v6 (posts people expect, issue #19): outbox.image, the article's image URL a post (and
the "Also:" edits of it) is previewed with (Bot API link_preview_options.url). Existing rows
have none: they go out as before."""

from __future__ import annotations

from sqlalchemy import Connection


def upgrade(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE outbox ADD COLUMN image TEXT")
