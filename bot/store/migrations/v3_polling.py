"""v3 (polling, issue #3): feeds.publish_interval for `every: auto`; outbox.story_id NULL
for story-less operator alerts (kind "alert")."""

from __future__ import annotations

import re

from sqlalchemy import Connection


def upgrade(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE feeds ADD COLUMN publish_interval INTEGER")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ALTER TABLE outbox ALTER COLUMN story_id DROP NOT NULL")
    else:
        _sqlite_drop_not_null(conn, "outbox", "story_id")


def _sqlite_drop_not_null(conn: Connection, table: str, column: str) -> None:
    """SQLite cannot ALTER a column's constraints: rebuild the table from its own DDL
    (https://www.sqlite.org/lang_altertable.html#otheralter), keeping every column and
    index it has at this point, whatever later migrations add."""
    ddl = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type='table' AND name=?",
                               (table,)).scalar_one()
    new_ddl, n = re.subn(rf"(\b{column}\b[^,]*?)\s+NOT NULL", r"\1", ddl, count=1)
    if n == 0:
        return                                  # already nullable
    indexes = [r[0] for r in conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name=? AND sql IS NOT NULL",
        (table,))]
    cols = ", ".join(f'"{r[1]}"' for r in conn.exec_driver_sql(f'PRAGMA table_info("{table}")'))
    conn.exec_driver_sql(f'ALTER TABLE "{table}" RENAME TO "{table}_old"')
    conn.exec_driver_sql(new_ddl)
    conn.exec_driver_sql(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM "{table}_old"')
    conn.exec_driver_sql(f'DROP TABLE "{table}_old"')   # drops the old indexes with it
    for sql in indexes:
        conn.exec_driver_sql(sql)
