"""Admin commands in Telegram: reads updates with python-telegram-bot beside our own asyncio
work, and answers only the user ids listed in `admins` (everyone else gets a polite refusal;
the handlers that check and answer each update are in `bot.admin.handlers`).

The second package that imports ``telegram`` (after bot.deliver). The getUpdates loop is ours,
not PTB's Updater: the Updater gives up for good on a 401 ("Invalid token. Aborting retry
loop") and logs a traceback per failed poll, and a failed start left it half started. Here
every failure (unreachable, 5xx, 401, 409) is one log line, a retry with backoff up to
`RETRY_MAX`, and a state change reported to `on_change` (the host alerts the operator and
shows it in /healthz and `newsbot status`); `stop()` never raises. Only one process reads
updates (a DB lease in the host: a second getUpdates reader makes Telegram answer 409,
https://core.telegram.org/bots/api#getupdates).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, MessageHandler, TypeHandler, filters
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.admin.commands import Commands
from bot.admin.handlers import UpdateHandlers
from bot.admin.wording import MENU
from bot.models import utcnow
from bot.settings import redact

log = logging.getLogger("newsbot.admin")
POLL_TIMEOUT = 10            # getUpdates long-poll seconds: short enough for a quick stop
RETRY_FIRST = 1.0            # seconds before the first retry of a failed getUpdates ...
RETRY_MAX = 30.0             # ... doubling up to this: back within 30 s of a recovery
STOP_WAIT = 3.0              # seconds each shutdown step may take (SIGTERM: exit in 10 s)
MENU_WAIT = 10.0                   # seconds setMyCommands may take at start


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ReaderState:
    """How the update reader is doing, for /healthz, `newsbot status` and alerts."""

    state: str                   # "starting" | "up" | "down"
    since: datetime
    error: str | None = None     # the last failure, redacted
    token_refused: bool = False  # a 401/404: the token, not the network

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "since": self.since.isoformat(), "error": self.error}


def _wait(exc: TelegramError, backoff: float) -> float:
    """Seconds before the next getUpdates: Telegram's retry_after, else the backoff."""
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():   # int now, timedelta with PTB_TIMEDELTA / v23
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            after = exc.retry_after
        return max(backoff, after.total_seconds() if isinstance(after, timedelta)
                   else float(after))
    return backoff


class AdminBot:
    def __init__(self, token: str, api_url: str, commands: Commands,
                 admins: Callable[[], tuple[int, ...]], *,
                 on_change: Callable[[ReaderState], Awaitable[None]] | None = None) -> None:
        self.commands, self.admins, self.on_change = commands, admins, on_change
        redact.add(token)
        # A self-hosted Bot API (or the test stand-in) on loopback must not go via a proxy.
        extra: dict[str, Any] | None = {"trust_env": False} if _loopback(api_url) else None
        self.app: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder().token(token).base_url(f"{api_url.rstrip('/')}/bot")
            .request(HTTPXRequest(httpx_kwargs=extra))
            .get_updates_request(HTTPXRequest(read_timeout=POLL_TIMEOUT + 10,
                                              httpx_kwargs=extra))
            .job_queue(None).build())
        handlers = UpdateHandlers(self.app, commands, admins)
        self.app.add_handler(TypeHandler(Update, handlers.gate), group=-1)
        self.app.add_handler(MessageHandler(filters.COMMAND, handlers.command))
        self.app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND,
                                            handlers.chatter))
        self.app.add_error_handler(handlers.error)
        self.state = ReaderState("starting", utcnow())
        self._task: asyncio.Task[None] | None = None
        self._offset: int | None = None
        self._stopping = False
        self._menu_set = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Start reading updates in the background; never fails: an unreachable or
        refusing Bot API is retried with backoff (see `_read`)."""
        if self.running:
            return
        self._stopping = False
        self._task = asyncio.create_task(self._read(), name="newsbot-admin-updates")

    async def _read(self) -> None:
        backoff = RETRY_FIRST
        while not self._stopping:
            try:
                await self.app.initialize()          # getMe: checks the token (once)
                updates = await self.app.bot.get_updates(
                    offset=self._offset, timeout=POLL_TIMEOUT, allowed_updates=["message"])
            except TelegramError as exc:
                wait = _wait(exc, backoff)
                await self._set(ReaderState(
                    "down", self.state.since if self.state.state == "down" else utcnow(),
                    redact(f"{type(exc).__name__}: {exc}")[:300],
                    token_refused=isinstance(exc, InvalidToken)))
                log.warning("reading admin commands failed (%s); retrying in %.0f s",
                            self.state.error, wait)
                await asyncio.sleep(wait)
                backoff = min(backoff * 2, RETRY_MAX)
                continue
            backoff = RETRY_FIRST
            if self.state.state != "up":
                await self._set(ReaderState("up", utcnow()))
                log.info("admin commands on for %d admin(s)", len(self.admins()))
            if not self._menu_set:
                self._menu_set = True
                await self.set_menu()
            for update in updates:
                self._offset = update.update_id + 1   # confirmed by the next getUpdates
                try:
                    await self.app.process_update(update)
                except Exception:                       # a bug in a command: keep reading
                    log.exception("admin update %d failed", update.update_id)

    async def set_menu(self) -> None:
        """The command menu beside the message box (setMyCommands), for each admin's private
        chat only (BotCommandScopeChat): strangers see no commands they may not use.
        https://core.telegram.org/bots/api#setmycommands. Never fails: a menu is a
        convenience, so a refusal is one log line and the commands work all the same."""
        menu = [BotCommand(command, description) for command, _, description in MENU]
        failed: list[str] = []
        for admin in self.admins():
            try:
                await asyncio.wait_for(self.app.bot.set_my_commands(
                    menu, scope=BotCommandScopeChat(admin)), MENU_WAIT)
            except (TelegramError, TimeoutError) as exc:
                failed.append(f"{admin}: {redact(str(exc)) or type(exc).__name__}")
        if failed:
            log.warning("the command menu was not set for %d admin(s) (%s); the commands "
                        "work without it (an admin who never wrote to the bot has no chat "
                        "with it yet)", len(failed), "; ".join(failed)[:300])

    async def _set(self, state: ReaderState) -> None:
        changed = (state.state, state.error) != (self.state.state, self.state.error)
        self.state = state
        if changed and self.on_change is not None:
            try:
                await self.on_change(state)
            except Exception:                           # reporting must not stop reading
                log.exception("reporting the admin reader's state failed")

    async def stop(self) -> None:
        """Stop reading: confirm the last offset (no command runs twice), close the pool.
        Never raises, and each step is bounded: SIGTERM must end the process cleanly even
        while the Bot API refuses the token or does not answer."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self._offset is not None:
            try:
                await asyncio.wait_for(self.app.bot.get_updates(
                    offset=self._offset, timeout=0, allowed_updates=["message"]), STOP_WAIT)
            except (TelegramError, TimeoutError) as exc:
                log.warning("could not confirm the last admin command to Telegram (%s); it "
                            "may be read again after a restart", type(exc).__name__)
        try:
            await asyncio.wait_for(self.app.shutdown(), STOP_WAIT)
        except (TelegramError, TimeoutError, RuntimeError) as exc:
            log.warning("admin reader shut down uncleanly (%s)", type(exc).__name__)
