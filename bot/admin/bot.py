"""Admin commands in Telegram: reads updates with python-telegram-bot beside our own asyncio
work, and answers only the user ids listed in `admins` (everyone else gets a polite refusal).

The second module that imports ``telegram`` (after bot.deliver). Lifecycle per the PTB docs for
running beside other asyncio code: initialize, start, ``updater.start_polling``; on stop the
reverse. `start()`/`stop()` are the seam where a later DB lease ("only one process reads
updates": getUpdates from two processes makes Telegram answer 409 Conflict,
https://core.telegram.org/bots/api#getupdates) will gate this.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from telegram import LinkPreviewOptions, Update
from telegram.error import TelegramError
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

from bot.admin.commands import Commands
from bot.format import MAX_MESSAGE

log = logging.getLogger("newsbot.admin")
POLL_TIMEOUT = 10            # getUpdates long-poll seconds: short enough for a quick stop
MAX_TEXT = MAX_MESSAGE - 96  # sendMessage takes 1-4096 characters; leave a margin
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


def who(update: Update) -> str:
    user = update.effective_user
    if user is None:
        return "unknown"
    return f"@{user.username} ({user.id})" if user.username else f"{user.full_name} ({user.id})"


class AdminBot:
    def __init__(self, token: str, api_url: str, commands: Commands,
                 admins: Callable[[], tuple[int, ...]]) -> None:
        self.commands, self.admins = commands, admins
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
        self.running = False

    async def start(self) -> None:
        try:
            await self.app.initialize()          # getMe: checks the token
            await self.app.start()
            assert self.app.updater is not None
            await self.app.updater.start_polling(
                timeout=POLL_TIMEOUT, allowed_updates=["message"],
                error_callback=lambda exc: log.warning("reading admin commands: %s", exc))
        except TelegramError as exc:
            log.error("admin commands are off: the Bot API refused to start (%s)",
                      exc.__class__.__name__)
            return
        self.running = True
        log.info("admin commands on for %d admin(s)", len(self.admins()))

    async def stop(self) -> None:
        if not self.running:
            return
        self.running = False
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()        # confirms the offset: no command runs twice
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

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
        for part in chunks(text):
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
