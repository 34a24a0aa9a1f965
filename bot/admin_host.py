"""The operations side of a running Service: admin commands, live config reload, the
health/metrics server, posting paused, operator alerts, and the SIGTERM watchdog.

Kept out of bot/service.py so the service stays about polling and sending; the service
calls `start()`, `may_send()` and `stop()`, and this is the `Host` the commands act on.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import html
import logging
import os
import sys
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.jobstores.base import JobLookupError

from bot import metrics
from bot.admin_commands import Commands
from bot.admin_state import SharedState
from bot.errors import ConfigError, DeliveryError
from bot.models import utcnow
from bot.ops import OpsServer
from bot.reload import INTERVAL, ConfigWatcher
from bot.settings import Settings
from bot.store import Store

if TYPE_CHECKING:
    from bot.admin import AdminBot
    from bot.service import Service

log = logging.getLogger("newsbot")
UPDATES_LEASE = "telegram-updates"
UPDATES_TTL = timedelta(seconds=30)       # renewed every watch tick (INTERVAL)
ADMIN_RETRY = timedelta(seconds=60)


class ServiceHost:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.shared = SharedState(service.store.engine)
        self.watcher = ConfigWatcher(service.settings.path)
        self.admin: AdminBot | None = None
        self.ops: OpsServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._next_admin_start = utcnow()

    # -- Host (what admin commands see) ------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self.service.settings

    @property
    def store(self) -> Store:
        return self.service.store

    @property
    def started_at(self) -> datetime:
        return self.service.started_at

    async def apply_settings(self, settings: Settings, *, written: bool = False) -> None:
        """Make a new config live: rebuild the pipeline Context (matcher, limits), create
        and schedule new feeds, unschedule removed ones. Delivery pacing, logging and
        health_port keep their start-up values until a restart."""
        from bot.service import build_context

        svc, old = self.service, self.service.settings
        if written:
            self.watcher.mark_current()         # our own write: no second reload
        now = utcnow()
        await asyncio.to_thread(svc.store.ensure_feeds, (f.url for f in settings.feeds), now)
        ctx = build_context(settings, svc.store)
        pool = getattr(svc, "parse_pool", None)
        if pool is not None:          # keep the running parse processes (see run_forever)
            ctx = dataclasses.replace(ctx, fetch_parse=pool)
        svc.ctx = ctx
        svc.settings = settings
        old_urls, new_urls = {f.url for f in old.feeds}, {f.url for f in settings.feeds}
        scheduler = getattr(svc, "scheduler", None)
        if scheduler is not None:
            for url in old_urls - new_urls:
                with contextlib.suppress(JobLookupError):
                    scheduler.remove_job(url)
            for url in sorted(new_urls - old_urls):
                state = await asyncio.to_thread(svc.store.feed_state, url)
                if not state.gone:
                    svc._schedule(url, max(now, state.next_poll_at or now))
        log.info("config applied: %d feeds (+%d, -%d), %d topics", len(settings.feeds),
                 len(new_urls - old_urls), len(old_urls - new_urls), len(settings.topics))

    def set_paused(self, by: str | None) -> None:
        """Persisted in the database, so every process and a restart honour it."""
        if by is None:
            self.shared.resume()
        else:
            self.shared.pause(by, utcnow())
            # Cut a drain in progress short: at most the message in flight still goes.
            self.service.sender.stopping = True
        loop = getattr(self.service, "loop", None)
        if loop is not None:
            loop.call_soon_threadsafe(self.service.wake.set)

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        s = self.settings
        if s.health_port:
            try:
                self.ops = OpsServer(s.health_port, self.health).start()
            except OSError as exc:
                log.error("health/metrics server not started on port %d: %s",
                          s.health_port, exc.strerror or exc)
        await self.claim_updates()
        self._task = asyncio.create_task(self._watch(), name="newsbot-config-watch")

    async def claim_updates(self) -> None:
        """Only one process reads Telegram updates (a second getUpdates reader makes the
        Bot API answer 409 Conflict): the holder of a lease in the database. Renewed on
        every watch tick; a holder killed with -9 is replaced once the lease expires."""
        s, now = self.settings, utcnow()
        if not (s.token and s.admins) or self.service.stopping:
            return
        mine = await asyncio.to_thread(self.store.leases.acquire, UPDATES_LEASE,
                                       self.service.owner, now, UPDATES_TTL)
        if not mine:
            if self.admin is not None:
                log.warning("another process now reads Telegram updates; admin commands "
                            "move there")
                await self.admin.stop()
                self.admin = None
            return
        if self.admin is None:
            from bot.admin import AdminBot

            self.admin = AdminBot(s.token.reveal(), s.api_url, Commands(self),
                                  lambda: self.settings.admins)
        if not self.admin.running and now >= self._next_admin_start:
            self._next_admin_start = now + ADMIN_RETRY      # Telegram down: retry, not spin
            await self.admin.start()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.admin is not None:
            await self.admin.stop()
        if self.ops is not None:
            self.ops.stop()

    async def may_send(self) -> bool:
        """The service loop asks before each drain: not while posting is paused."""
        paused = await asyncio.to_thread(self.shared.paused)
        if paused is None:
            self.service.sender.stopping = self.service.stopping   # undo a /pause cut
        return paused is None and not self.service.stopping

    # -- config watch ------------------------------------------------------------------
    async def _watch(self) -> None:
        while not self.service.stopping:
            await asyncio.sleep(INTERVAL)
            try:
                result = await asyncio.to_thread(self.watcher.check)
                if isinstance(result, ConfigError):
                    log.error("config change refused, keeping the last good config: %s",
                              result)
                    await self.notify_operator(
                        f"newsbot: config change refused, still running the last good "
                        f"config.\n{result}")
                elif result is not None:
                    await self.apply_settings(result)
                await self.claim_updates()
                await asyncio.to_thread(self._gauges)
            except asyncio.CancelledError:
                raise
            except Exception:                   # never let the watcher die silently
                log.exception("config watch failed; trying again")

    def _gauges(self) -> None:
        metrics.QUEUE_DEPTH.set(self.store.outbox.pending())
        metrics.FEEDS_FAILING.set(sum(1 for s in self.store.feed_states() if s.error_count))

    async def notify_operator(self, text: str) -> None:
        """Straight through the deliverer, not the outbox: outbox rows belong to stories
        (story_id NOT NULL, unique per chat/story), and an alert must go out even while
        posting is paused or a backlog is waiting."""
        s = self.settings
        chat = s.operator_chat or (str(s.admins[0]) if s.admins else None)
        if chat is None:
            return
        try:
            await self.service.deliverer.send(chat, html.escape(text[:3500]))
        except DeliveryError as exc:
            log.warning("could not alert the operator in %s: %s", chat, exc)

    def health(self) -> tuple[bool, dict[str, Any]]:
        svc = self.service
        paused = self.shared.paused()           # also proves the database answers
        return (not svc.stopping, {
            "uptime_seconds": int((utcnow() - svc.started_at).total_seconds()),
            "feeds": len(svc.settings.feeds), "topics": len(svc.settings.topics),
            "paused": paused is not None, "stopping": svc.stopping})


def start_watchdog(seconds: float) -> None:
    """SIGTERM must end the process within 10 s even if a feed fetch is stuck in a worker
    thread (threads are joined at exit). Data is safe: every write is one transaction and
    leases have been released by then."""

    def expire() -> None:
        log.warning("shutdown took longer than %.0f s: exiting now", seconds)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(0)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
