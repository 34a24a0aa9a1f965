"""What an outage looks like in the log: one line per failed request (the sender writes it,
naming the chat and what it did), a summary every `SUMMARY_EVERY` while the outage lasts,
and one line when Telegram answers again. Pure: the caller passes `now` and logs the text."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.text import span

__all__ = ["SUMMARY_EVERY", "Outage"]

SUMMARY_EVERY = timedelta(seconds=60)


class Outage:
    """Failed requests to the Bot API since the last one it answered."""

    def __init__(self, every: timedelta = SUMMARY_EVERY) -> None:
        self.every = every
        self.started: datetime | None = None
        self.failures = 0
        self.chats: set[str] = set()
        self.last_summary: datetime | None = None

    def failed(self, chat: str, now: datetime) -> None:
        if self.started is None:
            self.started, self.last_summary = now, now
        self.failures += 1
        self.chats.add(chat)

    def summary(self, now: datetime, waiting: int) -> str | None:
        """The line to log now, if an outage is on and the last summary is old enough."""
        if self.started is None or self.last_summary is None \
                or now - self.last_summary < self.every:
            return None
        self.last_summary = now
        return (f"Telegram outage for {span(now - self.started)}: {self.failures} failed "
                f"request(s) to {len(self.chats)} chat(s), {waiting} message(s) waiting; "
                "retrying each chat with backoff")

    def recovered(self, now: datetime) -> str | None:
        """The line to log when a request succeeds, if it ends an outage."""
        if self.started is None:
            return None
        text = (f"Telegram answers again after {span(now - self.started)} "
                f"({self.failures} failed request(s)); the waiting messages go out oldest "
                "first")
        self.started, self.last_summary, self.failures = None, None, 0
        self.chats.clear()
        return text
