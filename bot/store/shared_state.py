"""Small facts every newsbot process shares through the database (the `state` table).

Whether posting is paused (/pause, /resume): it lives in the database, not in memory, so it
survives restarts and every process's sender honours it. How the admin update reader is
doing (up or down, since when, why), written by the process that reads updates, read by
`newsbot status`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, select

from bot.store.db import dialect_insert, reader_of
from bot.store.schema import state
from bot.store.wrap import wrapped_methods

PAUSED = "posting_paused"
ADMIN_READER = "admin_reader"


@dataclass(frozen=True)
class Paused:
    by: str                 # who paused it, for /status and `newsbot status`
    since: datetime


@wrapped_methods
class SharedState:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.reader = reader_of(engine)

    def get(self, key: str) -> tuple[str, datetime] | None:
        with self.reader.connect() as conn:
            row = conn.execute(select(state.c.value, state.c.updated_at)
                               .where(state.c.key == key)).first()
        return (str(row[0]), row[1]) if row else None

    def set(self, key: str, value: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(dialect_insert(conn, state).values(key=key, value=value, updated_at=now)
                         .on_conflict_do_update(index_elements=["key"],
                                                set_={"value": value, "updated_at": now}))

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(state).where(state.c.key == key))

    # -- posting paused ----------------------------------------------------------------
    def paused(self) -> Paused | None:
        got = self.get(PAUSED)
        return Paused(by=got[0], since=got[1]) if got else None

    def pause(self, by: str, now: datetime) -> None:
        self.set(PAUSED, by, now)

    def resume(self) -> None:
        self.clear(PAUSED)

    # -- the admin update reader -------------------------------------------------------
    def admin_reader(self) -> dict[str, Any] | None:
        got = self.get(ADMIN_READER)
        return dict(json.loads(got[0])) if got else None

    def set_admin_reader(self, doc: dict[str, Any] | None, now: datetime) -> None:
        """Record the reader's state (None: no process reads updates now)."""
        if doc is None:
            self.clear(ADMIN_READER)
        else:
            self.set(ADMIN_READER, json.dumps(doc), now)
