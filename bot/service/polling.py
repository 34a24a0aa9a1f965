"""How the service polls its feeds: every feed once (`run --once`; with `--due` only those
whose interval has come), or each on its own date as an APScheduler job (`run`). Each poll
holds the feed's lease, so several processes on one database poll a feed once per interval;
the retention sweep runs after a cycle and at a cadence that follows `retention`.

`Polling` is a part of `bot.service.service.Service`, which sets up what it reads (the
store, the pipeline Context, the host limiter, the scheduler) and wakes its sender."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

import bot.service.ops as ops
from bot.errors import StoreError
from bot.models import utcnow
from bot.pipeline import Context, FeedReport
from bot.poll import HostLimiter, ParsePool, poll_cycle, poll_one
from bot.settings import Settings
from bot.store import Store

log = logging.getLogger("newsbot")
HOUSEKEEP_MAX = timedelta(hours=6)     # the sweep's cadence: see `housekeep_every`
HOUSEKEEP_MIN = timedelta(seconds=1)
HOUSEKEEP_FIRST = timedelta(minutes=1)  # after start, or sooner if the cadence is shorter
PARSE_POOL_MIN_FEEDS = 20   # fewer feeds: parsing inline costs less than starting processes


def housekeep_every(retention: timedelta) -> timedelta:
    """How often `newsbot run` sweeps: a tenth of `retention`, from 1 s to 6 h. A story then
    lives at most 1.1 × retention (or retention + 6 h), so what a long-lived process keeps
    is bounded by retention, however short it is set: with one fixed 6-hour sweep, a 2-minute
    retention kept every story for 6 hours."""
    return min(HOUSEKEEP_MAX, max(HOUSEKEEP_MIN, retention / 10))


class Polling:
    """Polling a Service's feeds: the one cycle of `run --once`, and the scheduled jobs of
    `run` (each feed's poll, the retention sweep)."""

    # Set by Service: what polling reads, and the sender it wakes for what a poll queued.
    settings: Settings
    store: Store
    ctx: Context
    limiter: HostLimiter
    owner: str
    feed_ttl: timedelta
    stopping: bool
    on_report: Callable[[FeedReport], None] | None
    scheduler: BackgroundScheduler | None
    wake_up: Callable[[], None]

    def poll_all(self, on_report: object = None, *, due_only: bool = False
                 ) -> list[FeedReport]:
        """Every feed once (`run --once`), or with `due_only` only the feeds whose interval
        has come (`run --once --due`: cron, or several processes splitting one cycle)."""
        def report(r: FeedReport) -> None:
            ops.record_report(r)
            if callable(on_report):
                on_report(r)

        gone = {s.url for s in self.store.feed_states() if s.gone}     # one query, not N
        feeds = [f for f in self.settings.feeds if f.url not in gone]
        pool = ParsePool() if len(feeds) >= PARSE_POOL_MIN_FEEDS else None
        # Every feed once, unless another process polled it since this cycle began.
        gate = self._feed_gate if due_only else functools.partial(
            self._feed_gate, not_polled_since=utcnow())
        try:
            return poll_cycle(self.ctx, feeds, workers=self.settings.polling.workers,
                              limiter=self.limiter, parse_pool=pool,
                              on_report=report, gate=gate)
        finally:
            if pool is not None:
                pool.close()
            self.housekeep()

    def housekeep(self) -> None:
        """Delete stories and finished alerts older than `retention` (bot.retention)."""
        retention = self.ctx.settings.retention
        try:
            stories, alerts = self.store.retention.sweep(utcnow() - retention)
        except StoreError as exc:           # the database is down: next time
            log.warning("%s; will retry", exc)
            return
        if stories or alerts:
            log.info("retention: deleted %d stories and %d alerts older than %s", stories,
                     alerts, retention)

    def _schedule_housekeeping(self, retention: timedelta, now: datetime) -> None:
        """The retention sweep: soon after start, then every `housekeep_every(retention)`;
        rescheduled when a reload changes `retention`."""
        if self.scheduler is None:
            return
        every = housekeep_every(retention)
        self.scheduler.add_job(self.housekeep, "interval", seconds=every.total_seconds(),
                               next_run_time=now + min(every, HOUSEKEEP_FIRST),
                               id="housekeep", replace_existing=True)

    def _schedule(self, url: str, when: datetime) -> None:
        if self.scheduler is None:
            return                          # run --once schedules nothing
        self.scheduler.add_job(self._poll_job, "date", run_date=when, args=[url], id=url,
                               replace_existing=True)

    def _poll_job(self, url: str) -> None:
        feed = self.ctx.settings.feed(url)
        if feed is None or self.stopping:
            return
        report = poll_one(self.ctx, feed, self.limiter, gate=self._feed_gate)
        if self.on_report is not None:
            self.on_report(report)
        if report.outcome == "skipped":
            # Another process polls it, or just did: follow the schedule in the database.
            self._schedule(url, self.store.leases.feed_next(url, utcnow()))
            return
        ops.record_report(report)
        if report.outcome == "gone":
            log.error("feed %s is gone (410); polling stopped. Remove it from the config",
                      url)
        elif report.next_poll_at is not None and not self.stopping:
            self._schedule(url, report.next_poll_at)
        if report.queued:
            self.wake_up()

    @contextlib.contextmanager
    def _feed_gate(self, url: str, *,
                   not_polled_since: datetime | None = None) -> Iterator[bool]:
        """Hold the feed's lease while polling it: with several processes on one
        database, each feed is polled by one of them per interval."""
        leases = self.store.leases
        mine = leases.claim_feed(url, self.owner, utcnow(), self.feed_ttl,
                                 not_polled_since=not_polled_since)
        try:
            yield mine
        finally:
            if mine:    # after the poll's state; batched while a cycle runs
                self.store.feed_writes.release(url, self.owner)
