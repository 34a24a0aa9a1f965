"""Chat pauses: nothing is sent to a chat before its pause ends, in any process.

A 429's retry_after (https://core.telegram.org/bots/api#responseparameters: "the number of
seconds left to wait before the request can be repeated"), an outage's backoff and a chat
that refuses the bot all pause the chat, not a row: rows queued later wait too, and a
restarted or second process reads the same pause here. The chat "*" pauses every chat (an
error about the bot or the API). `failures` counts failures in a row for the backoff; a
message Telegram accepts ends the run (`clear`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select, update

from bot.store.db import dialect_insert, reader_of
from bot.store.schema import chat_pauses
from bot.store.wrap import wrapped_methods

EVERY_CHAT = "*"


@dataclass(frozen=True)
class ChatPause:
    chat: str
    until: datetime
    failures: int           # failures in a row (429s do not count: they say how long)
    reason: str | None
    since: datetime         # when this run of failures began
    alerted: bool           # the operator was told (once per run, across processes)


@wrapped_methods
class ChatPauses:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.reader = reader_of(engine)

    def pause(self, chat: str, now: datetime, *, reason: str, failed: bool,
              delay: Callable[[int], timedelta]) -> ChatPause:
        """Pause `chat` for `delay(failures)` from `now` (never shortening a pause another
        process set); `failed` counts one more failure in a row. One transaction."""
        with self.engine.begin() as conn:
            conn.execute(dialect_insert(conn, chat_pauses).values(
                chat=chat, until=now, failures=0, reason=reason, since=now, alerted=False)
                .on_conflict_do_nothing())
            pick = select(chat_pauses).where(chat_pauses.c.chat == chat)
            if conn.dialect.name == "postgresql":
                pick = pick.with_for_update()
            row = _pause(conn.execute(pick).mappings().one())
            failures = row.failures + (1 if failed else 0)
            until = max(row.until, now + delay(failures))
            conn.execute(update(chat_pauses).where(chat_pauses.c.chat == chat).values(
                until=until, failures=failures, reason=reason[:500]))
        return ChatPause(chat, until, failures, reason, row.since, row.alerted)

    def clear(self, chat: str) -> ChatPause | None:
        """Telegram accepted a message for `chat` (or, for "*", for any chat): the run of
        failures is over. Returns the pause that ended, if there was one."""
        with self.engine.begin() as conn:
            row = conn.execute(select(chat_pauses).where(chat_pauses.c.chat == chat)
                               ).mappings().first()
            if row is not None:
                conn.execute(delete(chat_pauses).where(chat_pauses.c.chat == chat))
        return _pause(row) if row is not None else None

    def mark_alerted(self, chat: str) -> bool:
        """True for the one caller that should tell the operator about this run."""
        with self.engine.begin() as conn:
            return bool(conn.execute(update(chat_pauses).where(
                chat_pauses.c.chat == chat, chat_pauses.c.alerted.is_(False))
                .values(alerted=True)).rowcount)

    def all(self) -> dict[str, ChatPause]:
        with self.reader.connect() as conn:
            return {r["chat"]: _pause(r)
                    for r in conn.execute(select(chat_pauses)).mappings().all()}


def _pause(row: object) -> ChatPause:
    return ChatPause(**{k: row[k] for k in ChatPause.__dataclass_fields__})  # type: ignore[index]
