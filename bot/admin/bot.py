"""Admin commands in Telegram: reads updates with python-telegram-bot beside our own asyncio
work, and answers only the user ids listed in `admins` (everyone else gets a polite refusal).

The second module that imports ``telegram`` (after bot.deliver). The getUpdates loop is ours,
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

from telegram import LinkPreviewOptions, Update
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.admin.commands import Commands
from bot.format import MAX_MESSAGE
from bot.models import utcnow
from bot.settings import redact

log = logging.getLogger("newsbot.admin")
POLL_TIMEOUT = 10            # getUpdates long-poll seconds: short enough for a quick stop
MAX_TEXT = MAX_MESSAGE - 96  # sendMessage takes 1-4096 characters; leave a margin
RETRY_FIRST = 1.0            # seconds before the first retry of a failed getUpdates ...
RETRY_MAX = 30.0             # ... doubling up to this: back within 30 s of a recovery
STOP_WAIT = 3.0              # seconds each shutdown step may take (SIGTERM: exit in 10 s)
REFUSAL = ("Sorry, this bot's commands are for its administrators only. "
           "If you run this bot, add your user id ({uid}) to `admins:` in the config.")


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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


def who(update: Update) -> str:
    user = update.effective_user
    if user is None:
        return "unknown"
    return f"@{user.username} ({user.id})" if user.username else f"{user.full_name} ({user.id})"


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
        self.app.add_handler(TypeHandler(Update, self._gate), group=-1)
        self.app.add_handler(MessageHandler(filters.COMMAND, self._command))
        self.app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND,
                                            self._chatter))
        self.app.add_error_handler(self._error)
        self.state = ReaderState("starting", utcnow())
        self._task: asyncio.Task[None] | None = None
        self._offset: int | None = None
        self._stopping = False

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
            for update in updates:
                self._offset = update.update_id + 1   # confirmed by the next getUpdates
                try:
                    await self.app.process_update(update)
                except Exception:                       # a bug in a command: keep reading
                    log.exception("admin update %d failed", update.update_id)

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

    # -- handlers ----------------------------------------------------------------------
    async def _gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs first for every update: strangers stop here."""
        user, message = update.effective_user, update.effective_message
        if message is None or user is None:
            raise ApplicationHandlerStop
        if user.id in self.admins():
            return
        text = message.text or ""
        # In groups only a command gets an answer; chatter there is none of our business.
        if message.chat.type == "private" or text.startswith("/"):
            log.warning("refused %r from %s: not an admin", text.split(" ", 1)[0][:40],
                        who(update))
            await self._reply(update, REFUSAL.format(uid=user.id))
        raise ApplicationHandlerStop

    async def _command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        head, _, args = message.text.partition(" ")
        command = head[1:].split("@", 1)[0]      # "/status@newsbot" in groups
        log.info("admin %s: /%s %s", who(update), command, args[:200])
        await self._reply(update, await self.commands.run(command, args, who(update)))

    async def _chatter(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply(update, "Send /help for the commands.")

    async def _reply(self, update: Update, text: str) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        for part in chunks(redact(text)):
            # Plain text (no parse_mode): replies echo queries and titles verbatim.
            await self.app.bot.send_message(chat.id, part, link_preview_options=(
                LinkPreviewOptions(is_disabled=True)))

    async def _error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        exc = context.error
        log.error("admin command failed: %s: %s", exc.__class__.__name__, exc,
                  exc_info=not isinstance(exc, TelegramError))
        if isinstance(update, Update) and not isinstance(exc, TelegramError):
            with contextlib.suppress(TelegramError):
                await self._reply(update, f"That failed: {exc.__class__.__name__}. "
                                          "See the log for details.")
