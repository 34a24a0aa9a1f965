"""What `AdminBot` does with each update it reads: `gate` runs first and lets only the user
ids in `admins` through (strangers get a polite refusal, at most once a day: `Strangers`), then
a command goes to `Commands`, other private chatter gets a pointer to /help, and a command that
raised gets a reply saying so. Apart from `bot.admin.bot`, which owns the getUpdates loop and
its state, so that the authorisation check and the replies read on their own.

`AdminBot` builds one beside its PTB Application and registers its methods there (the gate
as a TypeHandler in group -1, which ends a stranger's update with ApplicationHandlerStop).
Replies are sendMessage in plain text without a link preview
(https://core.telegram.org/bots/api#sendmessage).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes

from bot.admin.commands import Commands
from bot.admin.replies import Strangers, chunks, who
from bot.models import utcnow
from bot.settings import redact

__all__ = ["UpdateHandlers"]

log = logging.getLogger("newsbot.admin")


class UpdateHandlers:
    """The handlers of `AdminBot`'s updates: `app` sends the replies, `commands` runs the
    commands of the user ids `admins()` returns."""

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any], commands: Commands,
                 admins: Callable[[], tuple[int, ...]]) -> None:
        self.app, self.commands, self.admins = app, commands, admins
        self.strangers = Strangers()

    async def gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs first for every update: strangers stop here."""
        user, message = update.effective_user, update.effective_message
        if message is None or user is None:
            raise ApplicationHandlerStop
        if user.id in self.admins():
            return
        text = message.text or ""
        # In groups only a command gets an answer; chatter there is none of our business.
        if message.chat.type == "private" or text.startswith("/"):
            refusal = self.strangers.refusal(user.id, utcnow())
            if refusal is not None:
                log.warning("refused %r from %s: not an admin", text.split(" ", 1)[0][:40],
                            who(update))
                await self._reply(update, refusal)
            else:
                log.debug("ignored %s: not an admin, refused already", who(update))
        raise ApplicationHandlerStop

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        head, _, args = message.text.partition(" ")
        command = head[1:].split("@", 1)[0]      # "/status@newsbot" in groups
        log.info("admin %s: /%s %s", who(update), command, args[:200])
        await self._reply(update, await self.commands.run(command, args, who(update)))

    async def chatter(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply(update, "Send /help for the commands.")

    async def _reply(self, update: Update, text: str) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        for part in chunks(redact(text)):
            # Plain text (no parse_mode): replies echo queries and titles verbatim.
            await self.app.bot.send_message(chat.id, part, link_preview_options=(
                LinkPreviewOptions(is_disabled=True)))

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        exc = context.error
        log.error("admin command failed: %s: %s", exc.__class__.__name__, exc,
                  exc_info=not isinstance(exc, TelegramError))
        if isinstance(update, Update) and not isinstance(exc, TelegramError):
            text = (update.effective_message.text or "") if update.effective_message else ""
            command = text.split(" ", 1)[0][:40] or "That"
            with contextlib.suppress(TelegramError):
                await self._reply(update, (
                    f"{command} failed: something unexpected went wrong inside newsbot "
                    f"({exc.__class__.__name__}). The details are in newsbot's log; send "
                    "/status to see that the bot still runs, and /feeds or /topics to see "
                    "whether the change was made."))
