"""v7 (judgement, issue #17): `stories.embedding`, the first report's sentence vector, for
finding the same story told in other words or another language (bot/dedupe/identity.py).
Stories recorded before it have none and are found by their keys, as before."""

from __future__ import annotations

from sqlalchemy import Connection, inspect


def upgrade(conn: Connection) -> None:
    if "embedding" in {c["name"] for c in inspect(conn).get_columns("stories")}:
        return          # a database made from a newer schema and stamped older (tests do)
    kind = "BYTEA" if conn.dialect.name == "postgresql" else "BLOB"
    conn.exec_driver_sql(f"ALTER TABLE stories ADD COLUMN embedding {kind}")
