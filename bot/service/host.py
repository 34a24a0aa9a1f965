"""The operations side of a running Service: admin commands, live config reload, the
health/metrics server, posting paused, operator alerts, and the SIGTERM watchdog.

Kept out of bot/service.py so the service stays about polling and sending; the service
calls `start()`, `may_send()` and `stop()`, and this is the `Host` the commands act on.
What /healthz and /metrics report is read in bot/service/health.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.admin import Commands
from bot.config import INTERVAL, ConfigWatcher, needs_restart
from bot.errors import ConfigError, DeliveryError
from bot.models import utcnow
from bot.service.health import health_report, update_gauges
from bot.service.ops import OpsServer
from bot.service.types import Runner
from bot.settings import Settings
from bot.store import SharedState, Store, queue_alert

if TYPE_CHECKING:
    from bot.admin import AdminBot, ReaderState

log = logging.getLogger("newsbot")
UPDATES_LEASE = "telegram-updates"
UPDATES_TTL = timedelta(seconds=30)       # renewed every watch tick (INTERVAL)
# A reader down this long (network, 5xx) is worth a message; a refused token at once.
ADMIN_ALERT_AFTER = timedelta(seconds=60)


class ServiceHost:
    def __init__(self, service: Runner) -> None:
        self.service = service
        self.shared = SharedState(service.store.engine)
        self.watcher = ConfigWatcher(service.settings.path)
        self.started_with = service.settings       # what needs a restart is read from this
        self._restart_told: list[str] = []
        self.admin: AdminBot | None = None
        self.ops: OpsServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._reader_alerted = False

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
        """Make a new config live (`Runner.apply_settings`); `written`: our own write-back,
        so the file watcher does not reload it a second time."""
        if written:
            self.watcher.mark_current()
        await self.service.apply_settings(settings)

    def set_paused(self, by: str | None) -> None:
        """Persisted in the database, so every process and a restart honour it."""
        if by is None:
            self.shared.resume()
        else:
            self.shared.pause(by, utcnow())
            # Cut a drain in progress short: at most the message in flight still goes.
            self.service.hold_sending(True)
        self.service.wake_up()

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
                                  lambda: self.settings.admins, on_change=self._reader_changed)
        if not self.admin.running:          # it retries by itself; this restarts a crash
            await self.admin.start()
        elif self.admin.state.state == "down" and not self._reader_alerted \
                and now - self.admin.state.since >= ADMIN_ALERT_AFTER:
            await self._reader_changed(self.admin.state)

    async def _reader_changed(self, state: ReaderState) -> None:
        """The admin reader went down or came back: record it where `newsbot status` reads
        it, and tell the operator once per outage (a refused token at once, the network
        after ADMIN_ALERT_AFTER), and again when commands work again."""
        await asyncio.to_thread(self.shared.set_admin_reader,
                                {**state.as_dict(), "owner": self.service.owner}, utcnow())
        if state.state == "up" and self._reader_alerted:
            self._reader_alerted = False
            await self.alert("newsbot: admin commands work again.")
        elif state.state == "down" and not self._reader_alerted and (
                state.token_refused or utcnow() - state.since >= ADMIN_ALERT_AFTER):
            self._reader_alerted = True
            log.error("admin commands are off: %s; retrying with backoff", state.error)
            await self.alert(f"newsbot: admin commands are off ({state.error}); retrying "
                             "every 30 s at most. Check TELEGRAM_BOT_TOKEN if it says "
                             "Unauthorized.")

    async def alert(self, text: str) -> None:
        """Through the outbox: it goes out when Telegram takes it, not lost in an outage."""
        if await asyncio.to_thread(queue_alert, self.store, self._operator(), text, utcnow()):
            self.service.wake_up()

    def _operator(self) -> str | None:
        """Where alerts go: `operator_chat`, else the first admin's private chat."""
        s = self.settings
        return s.operator_chat or (str(s.admins[0]) if s.admins else None)

    async def stop(self) -> None:
        """Never raises: the service must still release its leases and log its stop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self.admin is not None:
            try:
                await self.admin.stop()
                await asyncio.to_thread(self.shared.set_admin_reader, None, utcnow())
            except Exception as exc:        # reported, not raised: shutting down anyway
                log.warning("stopping admin commands: %s: %s", type(exc).__name__, exc)
        if self.ops is not None:
            self.ops.stop()

    async def may_send(self) -> bool:
        """The service loop asks before each drain: not while posting is paused."""
        paused = await asyncio.to_thread(self.shared.paused)
        if paused is None:
            self.service.hold_sending(False)                     # undo a /pause cut
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
                    await self._tell_restart(needs_restart(self.started_with, result))
                await self.claim_updates()
                await asyncio.to_thread(update_gauges, self.settings, self.store)
            except asyncio.CancelledError:
                raise
            except Exception:                   # never let the watcher die silently
                log.exception("config watch failed; trying again")

    async def _tell_restart(self, pending: list[str]) -> None:
        """The rest applied live; these keep their start-up values (the old health port
        keeps serving). Said once per distinct set, in the log and to the operator."""
        if pending and pending != self._restart_told:
            text = (f"newsbot: config applied, except what needs a restart: "
                    f"{'; '.join(pending)}. Restart newsbot to apply them "
                    "(systemctl restart newsbot, docker restart newsbot).")
            log.warning("%s", text)
            await self.notify_operator(text)
        self._restart_told = pending

    async def notify_operator(self, text: str) -> None:
        """Straight through the deliverer, not the outbox: outbox rows belong to stories
        (story_id NOT NULL, unique per chat/story), and an alert must go out even while
        posting is paused or a backlog is waiting."""
        chat = self._operator()
        if chat is None:
            return
        try:
            await self.service.deliverer.send(chat, html.escape(text[:3500]))
        except DeliveryError as exc:
            log.warning("could not alert the operator in %s: %s", chat, exc)

    def health(self) -> tuple[bool, dict[str, Any]]:
        """/healthz's answer, for the ops server (`health_report`)."""
        return health_report(self.service, self.shared, self.admin)
