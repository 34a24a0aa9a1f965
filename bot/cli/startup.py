"""What `newsbot run` tells the person who started it: what this database has already done,
and, once every feed due at start has been polled, what that first round found and when
the next poll is. Without it a second start of the demo looks dead: everything in the feeds
was seen (and posted) the first time, so nothing new is posted.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from bot.models import FeedState
from bot.pipeline import FeedReport
from bot.settings import Settings
from bot.store import Store

log = logging.getLogger("newsbot")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def when(at: datetime, now: datetime) -> str:
    """'09:22 UTC (in 10 min)'."""
    minutes = max(0, round((at - now).total_seconds() / 60))
    soon = "in under a minute" if minutes == 0 else (
        f"in {minutes} min" if minutes < 120 else f"in {minutes / 60:.0f} h")
    return f"{at.astimezone(UTC):%H:%M} UTC ({soon})"


class FirstRound:
    """Say what the database holds at start, then sum up the first round of polls.

    `add` is the service's `on_report` hook: it is called from the polling threads."""

    def __init__(self, settings: Settings, store: Store, now: datetime) -> None:
        self.now = now
        states: dict[str, FeedState] = {s.url: s for s in store.feed_states()}
        live = [states.get(f.url) or FeedState(url=f.url) for f in settings.feeds]
        live = [s for s in live if not s.gone]
        self.due = {s.url for s in live if s.next_poll_at is None or s.next_poll_at <= now}
        self.later = min((s.next_poll_at for s in live if s.url not in self.due
                          and s.next_poll_at is not None), default=None)
        self.ran_before = any(s.last_attempt is not None for s in states.values())
        sends = store.outbox.recent_sends(EPOCH)
        self.sent_before = len(sends)
        self.last_sent = max((at for _chat, at in sends), default=None)
        url = settings.database_url.reveal()
        self.sqlite_file = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") \
            and ":memory:" not in url else None
        self.where = self.sqlite_file or "the PostgreSQL database"
        self._reports: dict[str, FeedReport] = {}
        self._lock = threading.Lock()
        self._done = False

    def opening(self) -> list[str]:
        if not self.ran_before:
            lines = [f"first start with {self.where}: what the feeds hold now counts as "
                     "seen, except each feed's `backfill` most recent matches"]
        else:
            last = f", the last at {self.last_sent:%Y-%m-%d %H:%M} UTC" \
                if self.last_sent else ""
            lines = [f"{self.where} has run before: {self.sent_before} posts sent{last}; "
                     "items seen before are never posted again"]
        if self.due:
            lines.append(f"polling {len(self.due)} feeds now")
        elif self.later is not None:
            lines.append(f"no feed is due yet: the next poll is at {when(self.later, self.now)}"
                         f".{self._replay()}")
        return lines

    def _replay(self) -> str:
        if not (self.ran_before and self.sqlite_file):
            return ""
        return (f" To replay from scratch (the demo, say): stop newsbot, delete "
                f"{self.sqlite_file} and start it again.")

    def add(self, report: FeedReport) -> None:
        with self._lock:
            if self._done or report.url not in self.due:
                return
            self._reports[report.url] = report
            if set(self._reports) != self.due:
                return
            self._done = True
            reports = list(self._reports.values())
        try:
            for line in self.summary(reports, datetime.now(UTC)):
                log.info(line)
        except Exception:                 # a summary must never stop polling
            log.exception("could not sum up the first round")

    def summary(self, reports: list[FeedReport], now: datetime) -> list[str]:
        polled = [r for r in reports if r.outcome != "skipped"]
        failing = [r for r in reports if r.outcome in ("error", "gone")]
        queued = sum(r.queued for r in reports)
        nexts = [r.next_poll_at for r in reports if r.next_poll_at is not None]
        if self.later is not None:
            nexts.append(self.later)
        same = sum(r.outcome in ("not_modified", "unchanged") for r in reports)
        joined = sum(r.duplicates for r in reports)
        line = (f"first round: polled {len(polled)} feeds"
                + (f" ({same} unchanged since the last poll)" if same else "")
                + f": {sum(r.items for r in reports)} items read, {sum(r.new for r in reports)}"
                f" new, {sum(r.matched for r in reports)} matched"
                + (f" ({joined} joined a story already posted)" if joined else "")
                + f", {queued} to post")
        if failing:
            line += f"; {len(failing)} failing (newsbot status shows why)"
        if nexts:
            line += f"; next poll at {when(min(nexts), now)}"
        lines = [line]
        if queued == 0 and self.ran_before:
            lines.append("nothing new to post: every item was seen on an earlier run."
                         + self._replay())
        return lines
