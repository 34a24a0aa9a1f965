"""A successful poll's feed bookkeeping, written in batches during a polling cycle.

Most polls end in a 304 or an unchanged body, and all they change is the feed's row: last
and next poll, counters, validators, and (several processes) its lease. One transaction
each, that cost more CPU than the request itself: 0.4 ms per poll with eight polling
threads on SQLite, against 0.03 ms in a batch (`python bench/poll.py`, docs/polling.md).
So `poll_cycle` opens a batch; inside it these writes queue and go out `BATCH` at a time,
and at the end, in one transaction: each feed's row first, then the release of its lease,
so no other process can claim a feed whose poll is not yet recorded.

Safe to lose: the items a poll found are recorded at once, in their own transactions, never
here. If a batch never lands (kill -9, a database error), those feeds keep the row from
before the poll: they are polled again, any changed body is parsed again and its items are
found already recorded, and their leases expire. A recovery after failures (the operator
is told) and a moved URL are written at once (`bot.pipeline.outcome`), as is every failure. Outside
a batch (the scheduler's one-feed jobs) everything is written at once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, bindparam, update
from sqlalchemy.exc import SQLAlchemyError

from bot.store.leases import RELEASE_FEED
from bot.store.schema import feeds
from bot.store.wrap import wrapped_methods

log = logging.getLogger("newsbot.store")

UPDATE_FEED = update(feeds).where(feeds.c.url == bindparam("_url"))   # SET from the params


@wrapped_methods
class FeedWrites:
    BATCH = 64

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._flushing = threading.Lock()   # one flush at a time: writes land in queue order
        self._open = 0                                  # batches open (poll cycles running)
        self._states: dict[str, dict[str, Any]] = {}    # url -> column values
        self._releases: dict[str, str] = {}             # url -> lease owner

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        with self._lock:
            self._open += 1
        try:
            yield
        finally:
            with self._lock:
                self._open -= 1
            self.flush()

    def update(self, url: str, values: dict[str, Any], *, defer: bool = False) -> None:
        """Set columns of one feed; with `defer` (a successful poll's bookkeeping, nothing
        that must not be lost) queued while a batch is open."""
        if defer and self._queue(self._states, url, values):
            return
        with self.engine.begin() as conn:
            conn.execute(UPDATE_FEED, {"_url": url, **values})

    def release(self, url: str, owner: str) -> None:
        """Give the feed's lease back: after its queued state, if a batch is open."""
        if self._queue(self._releases, url, owner):
            return
        with self.engine.begin() as conn:
            conn.execute(RELEASE_FEED, {"_url": url, "_owner": owner})

    def _queue(self, queue: dict[str, Any], url: str, value: Any) -> bool:
        with self._lock:
            if not self._open:
                return False
            queue[url] = value
            full = len(queue) >= self.BATCH
        if full:
            self.flush()
        return True

    def flush(self) -> None:
        with self._flushing:
            with self._lock:
                states, self._states = self._states, {}
                releases, self._releases = self._releases, {}
            if states or releases:
                self._write(states, releases)

    def _write(self, states: dict[str, dict[str, Any]], releases: dict[str, str]) -> None:
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for url, values in states.items():
            groups.setdefault(tuple(sorted(values)), []).append({"_url": url, **values})
        try:
            with self.engine.begin() as conn:
                for rows in groups.values():
                    conn.execute(UPDATE_FEED, rows)
                if releases:
                    conn.execute(RELEASE_FEED, [{"_url": url, "_owner": owner}
                                                for url, owner in releases.items()])
        except SQLAlchemyError as exc:
            log.error("could not record %d feed poll(s) (%s: %s); their items are recorded, "
                      "those feeds will simply be fetched again; check the database",
                      len(states), type(exc).__name__, str(exc).splitlines()[0])
