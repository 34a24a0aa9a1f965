"""Versioned schema migrations, applied at start-up under a lock.

A fresh database gets the current schema (`schema.metadata.create_all`) and is stamped with
`LATEST`; an older one runs each step above its version in order, in one transaction.
Adding a column means: change `bot/store/schema.py`, bump LATEST, add `STEPS[LATEST]` doing the
ALTER. Several processes may start at once: PostgreSQL serialises them with an advisory lock,
SQLite with `BEGIN IMMEDIATE`.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, func, inspect, select

from bot.errors import StoreError
from bot.store.migrations import (
    v3_polling,
    v4_chat_aliases,
    v5_delivery,
    v6_images,
    v7_story_vectors,
)
from bot.store.schema import metadata, schema_version, state

LATEST = 7


def _v2_state_table(conn: Connection) -> None:
    """v2: the `state` key/value table (posting paused by /pause, shared by all processes)."""
    state.create(conn, checkfirst=True)


STEPS: dict[int, Callable[[Connection], None]] = {2: _v2_state_table,
                                                  3: v3_polling.upgrade,
                                                  4: v4_chat_aliases.upgrade,
                                                  5: v5_delivery.upgrade,
                                                  6: v6_images.upgrade,
                                                  7: v7_story_vectors.upgrade}
_LOCK_ID = 0x6E657773  # "news"


def migrate(engine: Engine) -> int:
    """Bring the schema to LATEST; return the version found before."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_ID})")
        if not inspect(conn).has_table("schema_version"):
            metadata.create_all(conn)
            conn.execute(schema_version.insert().values(version=LATEST))
            return 0
        current = conn.execute(select(func.max(schema_version.c.version))).scalar() or 0
        if current > LATEST:
            raise StoreError(f"the database schema is v{current}, newer than this newsbot "
                             f"understands (v{LATEST}): upgrade newsbot before running it")
        for version in range(current + 1, LATEST + 1):
            STEPS[version](conn)
            conn.execute(schema_version.update().values(version=version))
        return int(current)
