"""The long-lived process: APScheduler 3 as the local timer that polls each feed on its
own schedule (the polling itself: `bot.service.polling`), and an asyncio sender that drains
the outbox. Also `run --once`."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TextIO

from apscheduler.executors.pool import ThreadPoolExecutor as APThreadPool
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler

from bot.deliver import ConsoleDeliverer, Deliverer, Sender, TelegramDeliverer
from bot.errors import DeliveryError, TokenRejected
from bot.models import FeedState, utcnow
from bot.pipeline import FeedReport, build_context
from bot.poll import HostLimiter, ParsePool
from bot.service.host import ServiceHost
from bot.service.polling import PARSE_POOL_MIN_FEEDS, Polling
from bot.service.reclaim import reclaim_leases
from bot.service.watchdog import start_watchdog
from bot.settings import Settings
from bot.store import SharedState, Store

log = logging.getLogger("newsbot")
ONCE_MAX_WAIT = timedelta(seconds=60)   # --once waits this long for retries that are due soon
# SIGTERM: a send still waiting for Telegram's answer (up to delivery.send_timeout) is cut
# off after this long, counted as unanswered, so the process exits cleanly within 10 s.
SEND_GRACE = 4.0


def make_deliverer(settings: Settings, out: TextIO | None = None) -> Deliverer:
    if settings.token:
        return TelegramDeliverer(settings.token.reveal(), settings.api_url)
    log.info("TELEGRAM_BOT_TOKEN is not set: printing posts to the terminal instead")
    return ConsoleDeliverer(out) if out is not None else ConsoleDeliverer()


class Service(Polling):
    def __init__(self, settings: Settings, *, out: TextIO | None = None) -> None:
        self.settings = settings
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.store = Store(settings.database_url.reveal())
        self.store.migrate()
        self.store.ensure_feeds((f.url for f in settings.feeds), utcnow())
        reclaim_leases(self.store, self.owner)
        self.ctx = build_context(settings, self.store)
        self.limiter = HostLimiter(settings.polling.per_host)
        self.deliverer = make_deliverer(settings, out)
        self.sender = Sender(self.store, self.deliverer, settings.delivery, self.owner,
                             operator_chat=settings.operator_chat)
        self.stopping = False
        self.started_at = utcnow()
        # A poll must finish within its lease, or another process could take the feed.
        self.feed_ttl = timedelta(seconds=settings.polling.total_timeout + 30)
        self.hard_exit_after: float | None = None    # the CLI sets it: see service.watchdog
        # The CLI's listener for each scheduled poll (bot.cli.startup: the first round).
        self.on_report: Callable[[FeedReport], None] | None = None
        # Set by run_forever: the long-lived parts that `run --once` does not start.
        self.loop: asyncio.AbstractEventLoop | None = None
        self.wake: asyncio.Event | None = None
        self.scheduler: BackgroundScheduler | None = None
        self.parse_pool: ParsePool | None = None
        self._draining: asyncio.Future[int] | None = None

    # -- one cycle ---------------------------------------------------------------------------
    async def run_once(self, on_report: object = None, *, due_only: bool = False
                       ) -> list[FeedReport]:
        await self._start_deliverer()
        try:
            reports = await asyncio.to_thread(self.poll_all, on_report, due_only=due_only)
            paused = await asyncio.to_thread(SharedState(self.store.engine).paused)
            if paused is not None:       # /pause holds for cron runs too: queued, not sent
                log.warning("posting is paused (by %s since %s): matches stay queued; "
                            "/resume to send", paused.by, f"{paused.since:%Y-%m-%d %H:%M}")
                return reports
            deadline = utcnow() + ONCE_MAX_WAIT
            while True:
                await self.sender.drain()
                due = await self.sender.next_wake()
                if due is None or due > deadline:
                    break
                await asyncio.sleep(max(0.05, (due - utcnow()).total_seconds()))
            return reports
        finally:
            await self.close()

    # -- long-lived --------------------------------------------------------------------------
    async def run_forever(self) -> None:
        loop = asyncio.get_running_loop()
        self.wake = wake = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        self.loop = loop
        self.scheduler = scheduler = BackgroundScheduler(
            executors={"default": APThreadPool(self.settings.polling.workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone="UTC")
        self.parse_pool = ParsePool() if len(self.settings.feeds) >= PARSE_POOL_MIN_FEEDS \
            else None
        if self.parse_pool is not None:
            self.ctx = dataclasses.replace(self.ctx, fetch_parse=self.parse_pool)
        now = utcnow()
        states = {s.url: s for s in self.store.feed_states()}
        for feed in self.settings.feeds:
            state = states.get(feed.url) or FeedState(url=feed.url)
            if state.gone:
                log.warning("feed %s is gone (410) and not polled; remove it from the config",
                            feed.url)
            else:
                self._schedule(feed.url, max(now, state.next_poll_at or now))
        self._schedule_housekeeping(self.settings.retention, now)
        scheduler.start()
        await self._start_deliverer()
        self.host = ServiceHost(self)      # admin commands, config reload, /healthz
        await self.host.start()
        log.info("newsbot running: %d feeds, %d topics", len(self.settings.feeds),
                 len(self.settings.topics))
        try:
            while not self.stopping:
                if await self.host.may_send():       # not while an admin paused posting
                    await self._drain()
                due = await self.sender.next_wake()
                timeout = 30.0 if due is None else (due - utcnow()).total_seconds()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), max(0.2, min(timeout, 30.0)))
                wake.clear()
        finally:
            # Each step runs whatever the one before it raised: leases are released and
            # "newsbot stopped" is logged even if Telegram refuses the token meanwhile.
            await _quietly("stopping admin commands and the health server", self.host.stop())
            scheduler.shutdown(wait=False)
            if self.parse_pool is not None:
                self.parse_pool.close()
            await _quietly("releasing leases and closing", self.close())
            log.info("newsbot stopped")

    async def _drain(self) -> None:
        """One drain, which `stop()` may cut short (SEND_GRACE) if a send hangs."""
        self._draining = asyncio.ensure_future(self.sender.drain())
        try:
            await self._draining
        except asyncio.CancelledError:
            if not self.stopping:
                raise
        finally:
            self._draining = None

    # -- what the host (admin commands, config reload) asks of the service -------------
    async def apply_settings(self, settings: Settings) -> None:
        """Make a new config live: rebuild the pipeline Context (matcher, limits), create
        and schedule new feeds (at once), unschedule removed ones and forget their state
        (`Store.forget_feeds`: added again, a feed starts afresh). Delivery pacing, logging
        and health_port keep their start-up values until a restart."""
        old = self.settings
        now = utcnow()
        old_urls, new_urls = {f.url for f in old.feeds}, {f.url for f in settings.feeds}
        removed, added = old_urls - new_urls, sorted(new_urls - old_urls)
        if self.scheduler is not None:
            for url in removed:
                with contextlib.suppress(JobLookupError):
                    self.scheduler.remove_job(url)
        await asyncio.to_thread(self.store.ensure_feeds, (f.url for f in settings.feeds), now)
        ctx = build_context(settings, self.store)
        if self.parse_pool is not None:     # keep the running parse processes
            ctx = dataclasses.replace(ctx, fetch_parse=self.parse_pool)
        self.ctx, self.settings = ctx, settings
        # Once no new poll can start for them (`_poll_job` reads the settings).
        await asyncio.to_thread(self.store.forget_feeds, removed)
        if self.scheduler is not None:
            for url in added:
                state = await asyncio.to_thread(self.store.feed_state, url)
                if not state.gone:
                    self._schedule(url, now)
        if settings.retention != old.retention:
            self._schedule_housekeeping(settings.retention, now)
        log.info("config applied: %d feeds (+%d, -%d), %d topics", len(settings.feeds),
                 len(added), len(removed), len(settings.topics))

    def hold_sending(self, held: bool) -> None:
        """/pause cuts a drain in progress short (the message in flight still goes);
        /resume lets it run again, unless the process is stopping."""
        self.sender.stopping = held or self.stopping

    def wake_up(self) -> None:
        """Wake the send loop now (thread-safe); a no-op before `run_forever` starts it."""
        if self.loop is not None and self.wake is not None:
            self.loop.call_soon_threadsafe(self.wake.set)

    async def _start_deliverer(self) -> None:
        """Telegram unreachable at start is an outage like any other: the sender retries.
        A rejected token is not: TokenRejected propagates and the process exits with it."""
        try:
            await self.deliverer.start()
        except TokenRejected:
            raise
        except DeliveryError as exc:
            log.warning("Bot API not reachable at start (%s); posts wait in the outbox", exc)

    def stop(self) -> None:
        """SIGTERM: take no new work, let the in-flight send finish, release leases."""
        if not self.stopping:
            log.info("stopping: finishing in-flight work")
            if self.hard_exit_after is not None:
                start_watchdog(self.hard_exit_after)
        self.stopping = self.sender.stopping = True
        if self.wake is not None:
            self.wake.set()
        if self.loop is not None and self._draining is not None:
            self.loop.call_later(SEND_GRACE, self._draining.cancel)

    async def close(self) -> None:
        await _quietly("closing the Bot API connection", self.deliverer.close())
        await asyncio.to_thread(self.store.outbox.release, self.owner)
        await asyncio.to_thread(self.store.leases.release_all, self.owner)
        self.store.close()


async def _quietly(what: str, step: Awaitable[object]) -> None:
    """Run a shutdown step; a failure is one log line, and the next step still runs."""
    try:
        await step
    except Exception as exc:
        log.warning("%s failed: %s: %s", what, type(exc).__name__, exc)
