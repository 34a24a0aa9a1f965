"""Replies as Telegram takes them: split into messages (`chunks`), who sent a command
(`who`), and what a stranger (anyone not in `admins`) hears, and how often. Pure
(`telegram` only for the Update type).

Replies are plain text (no parse_mode: Telegram shows them as written, so a query or a
title echoed back needs no escaping). The refusal is worded for whoever wrote: what the
bot is and what they can do, never how the config is laid out. A stranger is answered
once per `REFUSE_EVERY`, however much they send.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from telegram import Update

from bot.format import MAX_MESSAGE

MAX_TEXT = MAX_MESSAGE - 96  # sendMessage takes 1-4096 characters; leave a margin
REFUSAL = ("Sorry, this bot takes commands only from its administrators. If it is yours, "
           "your Telegram user id is {uid}: the person who runs it can add you.")
REFUSE_EVERY = timedelta(days=1)
REFUSED_KEPT = 10_000            # strangers remembered; the longest-ago refused go first


class Strangers:
    """When each stranger was last refused. In memory: only one process reads admin
    updates (the host's lease), so no other process would answer them; a restart forgets,
    costing each stranger one more refusal at most. Not in the database, so that strangers
    cannot make newsbot write there."""

    def __init__(self, every: timedelta = REFUSE_EVERY, kept: int = REFUSED_KEPT) -> None:
        self.every, self.kept = every, kept
        self._last: dict[int, datetime] = {}     # insertion order: oldest refusal first

    def refusal(self, uid: int, now: datetime) -> str | None:
        """The refusal to send this stranger now, or None: refused less than `every` ago."""
        last = self._last.get(uid)
        if last is not None and now - last < self.every:
            return None
        self._last.pop(uid, None)
        self._last[uid] = now
        while len(self._last) > self.kept:
            del self._last[next(iter(self._last))]
        return REFUSAL.format(uid=uid)


def chunks(text: str, size: int = MAX_TEXT) -> list[str]:
    """Split on line breaks into messages Telegram accepts (an overlong line is cut)."""
    lines: list[str] = []
    for line in text.split("\n"):
        lines += [line[i:i + size] for i in range(0, len(line), size)] or [""]
    out: list[str] = []
    cur: str | None = None
    for line in lines:
        if cur is not None and len(cur) + 1 + len(line) > size:
            out.append(cur)
            cur = None
        cur = line if cur is None else f"{cur}\n{line}"
    if cur and cur.strip():
        out.append(cur)
    return [part for part in out if part.strip()] or ["(empty)"]


def who(update: Update) -> str:
    user = update.effective_user
    if user is None:
        return "unknown"
    return f"@{user.username} ({user.id})" if user.username else f"{user.full_name} ({user.id})"
