"""Posting to Telegram: with `bot.deliver.telegram_errors` and `bot.deliver.probe`, the only
modules of the deliver stage that import ``telegram`` (bot.admin is the other importer).

`TelegramDeliverer` talks to the Bot API (or a self-hosted Bot API server, ``TELEGRAM_API_URL``)
through python-telegram-bot and turns its errors into `bot.errors.DeliveryError` subclasses
(`bot.deliver.telegram_errors`, which also says which errors fail a message), so the rest of
newsbot decides retry/skip/alert without knowing PTB. `ConsoleDeliverer`
(`bot.deliver.console`) prints the posts instead, for runs without ``TELEGRAM_BOT_TOKEN``.

The bot token is a secret that also sits in every request URL: the ``httpx``/``httpcore`` loggers
(which log URLs) are set to WARNING here, the token is registered with `bot.settings.redact`
(any letter case: PTB lower-cases 400 descriptions), and no error raised from this module
carries it.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any
from urllib.parse import urlsplit

import telegram
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.request import HTTPXRequest

from bot.deliver.base import Deliverer, Sent
from bot.deliver.telegram_errors import delivery_error, safe_cause
from bot.errors import ConfigError
from bot.settings import chat_thread, redact

for _name in ("httpx", "httpcore"):       # their INFO/DEBUG lines contain the token-bearing URL
    logging.getLogger(_name).setLevel(logging.WARNING)


class _RedactTokens(logging.Filter):
    """PTB's Bot logs "Set Bot API URL: .../bot<TOKEN>" at DEBUG: blank the token out, also
    where no newsbot log handler (bot.service.logs) is installed."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        clean = redact(text)
        if clean != text:
            record.msg, record.args = clean, None
        return True


for _name in ("telegram.Bot", "telegram.ext.ExtBot"):   # the loggers that log the URLs
    logging.getLogger(_name).addFilter(_RedactTokens())

DEFAULT_API_URL = "https://api.telegram.org"
CONNECT_TIMEOUT = 10.0    # connecting: nothing was sent yet, a retry cannot post twice
# Waiting for the answer to a send: Telegram can take tens of seconds to answer a message it
# has already posted; giving up earlier and sending again posts it twice (issue #18).
SEND_TIMEOUT = 45.0


def _is_loopback(host: str | None) -> bool:
    if host is None or host.lower() == "localhost":
        return host is not None
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _preview(preview: bool, image: str | None) -> LinkPreviewOptions | None:
    """https://core.telegram.org/bots/api#linkpreviewoptions. With an image: a preview of
    the image's own URL, large (prefer_large_media counts only with an explicit url) and
    above the text, as a news card; the post's "Read more" still links the article.
    Without: Telegram's preview of the first link, or none (`delivery.preview`)."""
    if image:
        return LinkPreviewOptions(url=image, prefer_large_media=True, show_above_text=True)
    return None if preview else LinkPreviewOptions(is_disabled=True)


class TelegramDeliverer(Deliverer):
    def __init__(self, token: str, api_url: str = DEFAULT_API_URL, *,
                 timeout: float = CONNECT_TIMEOUT, send_timeout: float = SEND_TIMEOUT) -> None:
        """`timeout`: connecting and waiting for a pooled connection; `send_timeout`:
        writing a request and waiting for its answer."""
        if not token or not token.strip():
            raise ConfigError("is empty: set the token @BotFather gave",
                              key="TELEGRAM_BOT_TOKEN")
        self._token = token.strip()
        redact.add(self._token)
        parts = urlsplit(api_url.rstrip("/"))
        # Shown in errors: scheme://host:port only, never userinfo or a path with secrets.
        self._where = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port
                                                              else "")
        # A self-hosted Bot API server on loopback must not go through an HTTP(S)_PROXY.
        extra = {"trust_env": False} if _is_loopback(parts.hostname) else None

        def request() -> HTTPXRequest:
            return HTTPXRequest(connection_pool_size=8, connect_timeout=timeout,
                                read_timeout=send_timeout, write_timeout=send_timeout,
                                pool_timeout=timeout, httpx_kwargs=extra)

        self._bot = telegram.Bot(self._token, base_url=f"{api_url.rstrip('/')}/bot",
                                 request=request(), get_updates_request=request())
        self._started = False

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        """Open the HTTP pool and check the token with getMe."""
        await self._start("*")

    async def _start(self, chat: str) -> None:
        """getMe before the first call: what fails here is about the bot, never a message."""
        if self._started:
            return
        try:
            await self._bot.initialize()
        except TelegramError as exc:     # its InvalidToken message contains the token itself
            raise delivery_error(exc, chat, self._where, about_bot=True) from safe_cause(exc)
        self._started = True

    async def close(self) -> None:
        """Close the HTTP pool (also after a failed start); `send` after this starts again."""
        self._started = False
        await self._bot.shutdown()

    async def get_me(self) -> dict[str, Any]:
        try:
            return (await self._bot.get_me()).to_dict()
        except TelegramError as exc:
            raise delivery_error(exc, "*", self._where, about_bot=True) from safe_cause(exc)

    # -- posting -------------------------------------------------------------------------
    async def send(self, chat: str, text: str, *, preview: bool = False,
                   silent: bool = False, image: str | None = None) -> Sent:
        await self._start(chat)
        chat_id, thread = chat_thread(chat)
        try:
            msg = await self._bot.send_message(
                chat_id=chat_id, text=text, parse_mode=ParseMode.HTML,
                message_thread_id=thread, link_preview_options=_preview(preview, image),
                disable_notification=True if silent else None)
        except TelegramError as exc:
            raise delivery_error(exc, chat, self._where) from safe_cause(exc)
        return Sent(chat_id=msg.chat.id, message_id=msg.message_id)

    async def edit(self, chat: str, message_id: int, text: str, *,
                   preview: bool = False, image: str | None = None) -> None:
        # A message id names the message in its chat, whatever its topic: no thread here.
        await self._start(chat)
        try:
            await self._bot.edit_message_text(
                text, chat_id=chat_thread(chat)[0], message_id=message_id,
                parse_mode=ParseMode.HTML, link_preview_options=_preview(preview, image))
        except BadRequest as exc:
            # https://core.telegram.org/bots/api#editmessagetext: an unchanged edit is refused
            # with "message is not modified"; for us the post already says what we want.
            if "message is not modified" not in str(exc).lower():
                raise delivery_error(exc, chat, self._where) from safe_cause(exc)
        except TelegramError as exc:
            raise delivery_error(exc, chat, self._where) from safe_cause(exc)
