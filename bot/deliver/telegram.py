"""Posting to Telegram: the only module of newsbot that imports ``telegram``.

`TelegramDeliverer` talks to the Bot API (or a self-hosted Bot API server, ``TELEGRAM_API_URL``)
through python-telegram-bot and turns its errors into `bot.errors.DeliveryError` subclasses, so
the rest of newsbot decides retry/skip/alert without knowing PTB. `ConsoleDeliverer`
(`bot.deliver.console`) prints the posts instead, for runs without ``TELEGRAM_BOT_TOKEN``.

The bot token is a secret that also sits in every request URL: the ``httpx``/``httpcore`` loggers
(which log URLs) are set to WARNING here, and no error raised from this module carries it.
"""

from __future__ import annotations

import ipaddress
import logging
import warnings
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import telegram
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.error import ChatMigrated as PTBChatMigrated
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.deliver.base import Deliverer, Sent
from bot.errors import (
    ChatMigrated,
    ChatUnavailable,
    ConfigError,
    DeliveryError,
    Rejected,
    RetryLater,
    TokenRejected,
)

for _name in ("httpx", "httpcore"):       # their INFO/DEBUG lines contain the token-bearing URL
    logging.getLogger(_name).setLevel(logging.WARNING)


class _RedactTokens(logging.Filter):
    """PTB's Bot logs "Set Bot API URL: .../bot<TOKEN>" at DEBUG: blank the tokens out."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            text = clean = record.getMessage()
            for secret in sorted(self.secrets, key=len, reverse=True):
                clean = clean.replace(secret, "<TELEGRAM_BOT_TOKEN>")
            if clean != text:
                record.msg, record.args = clean, None
        return True


_REDACT = _RedactTokens()
for _name in ("telegram.Bot", "telegram.ext.ExtBot"):   # the loggers that log the URLs
    logging.getLogger(_name).addFilter(_REDACT)

DEFAULT_API_URL = "https://api.telegram.org"
# BadRequest descriptions that mean "this chat", not "this message" (Bot API error texts).
_CHAT_PROBLEMS = ("chat not found", "not enough rights", "have no rights", "need administrator",
                  "chat_write_forbidden", "peer_id_invalid", "chat_admin_required")


def _is_loopback(host: str | None) -> bool:
    if host is None or host.lower() == "localhost":
        return host is not None
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramDeliverer(Deliverer):
    def __init__(self, token: str, api_url: str = DEFAULT_API_URL, *,
                 timeout: float = 20.0) -> None:
        if not token or not token.strip():
            raise ConfigError("is empty: set the token @BotFather gave",
                              key="TELEGRAM_BOT_TOKEN")
        self._token = token.strip()
        _REDACT.secrets.update(s for s in (self._token, self._token.split(":", 1)[-1])
                               if len(s) >= 4)
        parts = urlsplit(api_url.rstrip("/"))
        # Shown in errors: scheme://host:port only, never userinfo or a path with secrets.
        self._where = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port
                                                              else "")
        # A self-hosted Bot API server on loopback must not go through an HTTP(S)_PROXY.
        extra = {"trust_env": False} if _is_loopback(parts.hostname) else None

        def request() -> HTTPXRequest:
            return HTTPXRequest(connection_pool_size=8, connect_timeout=timeout,
                                read_timeout=timeout, write_timeout=timeout,
                                pool_timeout=timeout, httpx_kwargs=extra)

        self._bot = telegram.Bot(self._token, base_url=f"{api_url.rstrip('/')}/bot",
                                 request=request(), get_updates_request=request())
        self._started = False

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        """Open the HTTP pool and check the token with getMe."""
        await self._start("*")

    async def _start(self, chat: str) -> None:
        if self._started:
            return
        try:
            await self._bot.initialize()
        except TelegramError as exc:     # its InvalidToken message contains the token itself
            raise self._map(exc, chat) from self._cause(exc)
        self._started = True

    async def close(self) -> None:
        """Close the HTTP pool (also after a failed start); `send` after this starts again."""
        self._started = False
        await self._bot.shutdown()

    async def get_me(self) -> dict[str, Any]:
        try:
            return (await self._bot.get_me()).to_dict()
        except TelegramError as exc:
            raise self._map(exc, "*") from self._cause(exc)

    # -- posting -------------------------------------------------------------------------
    async def send(self, chat: str, text: str, *, preview: bool = False,
                   silent: bool = False) -> Sent:
        await self._start(chat)
        try:
            msg = await self._bot.send_message(
                chat_id=chat, text=text, parse_mode=ParseMode.HTML,
                link_preview_options=None if preview else LinkPreviewOptions(is_disabled=True),
                disable_notification=True if silent else None)
        except TelegramError as exc:
            raise self._map(exc, chat) from self._cause(exc)
        return Sent(chat_id=msg.chat.id, message_id=msg.message_id)

    async def edit(self, chat: str, message_id: int, text: str, *,
                   preview: bool = False) -> None:
        await self._start(chat)
        try:
            await self._bot.edit_message_text(
                text, chat_id=chat, message_id=message_id, parse_mode=ParseMode.HTML,
                link_preview_options=None if preview else LinkPreviewOptions(is_disabled=True))
        except BadRequest as exc:
            # https://core.telegram.org/bots/api#editmessagetext: an unchanged edit is refused
            # with "message is not modified"; for us the post already says what we want.
            if "message is not modified" not in str(exc).lower():
                raise self._map(exc, chat) from self._cause(exc)
        except TelegramError as exc:
            raise self._map(exc, chat) from self._cause(exc)

    # -- errors --------------------------------------------------------------------------
    def _redact(self, text: str) -> str:
        secret = self._token.split(":", 1)[-1]
        text = text.replace(self._token, "<TELEGRAM_BOT_TOKEN>")
        return text.replace(secret, "<secret>") if len(secret) >= 4 else text

    def _cause(self, exc: BaseException) -> BaseException | None:
        """Chain PTB's exception only if nothing in its chain shows the token."""
        seen: BaseException | None = exc
        while seen is not None:
            if self._redact(str(seen)) != str(seen) or self._redact(repr(seen)) != repr(seen):
                return None
            seen = seen.__cause__ or seen.__context__
        return exc

    def _map(self, exc: TelegramError, chat: str) -> DeliveryError:
        # Order matters: BadRequest and TimedOut are subclasses of NetworkError in PTB.
        msg = self._redact(str(exc))
        if len(msg) > 300:
            msg = msg[:300] + "…"
        if isinstance(exc, RetryAfter):
            with warnings.catch_warnings():   # int now, timedelta with PTB_TIMEDELTA / v23
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                wait = _seconds(exc.retry_after)
            return RetryLater(chat, f"flood control: retry after {wait:g} s", retry_after=wait)
        if isinstance(exc, PTBChatMigrated):
            return ChatMigrated(chat, int(exc.new_chat_id))
        if isinstance(exc, InvalidToken):
            return TokenRejected(chat, self._where)
        if isinstance(exc, Forbidden):
            return ChatUnavailable(chat, f"{msg}: add the bot to the chat with the right to post")
        if isinstance(exc, BadRequest):
            if any(p in msg.lower() for p in _CHAT_PROBLEMS):
                return ChatUnavailable(chat, f"{msg}: check the chat name and the bot's rights")
            return Rejected(chat, f"Telegram refused this message: {msg}")
        if isinstance(exc, TimedOut):
            # The request may have reached Telegram: a retry can post twice (no idempotency key).
            return RetryLater(chat, f"timed out talking to {self._where}: {msg}")
        if isinstance(exc, NetworkError):
            return RetryLater(chat, f"network or server error from {self._where}: {msg}")
        return RetryLater(chat, f"unexpected answer from {self._where}: {msg}")
