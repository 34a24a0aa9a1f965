"""Posting to Telegram: the only module of newsbot that imports ``telegram``.

`TelegramDeliverer` talks to the Bot API (or a self-hosted Bot API server, ``TELEGRAM_API_URL``)
through python-telegram-bot and turns its errors into `bot.errors.DeliveryError` subclasses, so
the rest of newsbot decides retry/skip/alert without knowing PTB. `ConsoleDeliverer`
(`bot.deliver.console`) prints the posts instead, for runs without ``TELEGRAM_BOT_TOKEN``.

The bot token is a secret that also sits in every request URL: the ``httpx``/``httpcore`` loggers
(which log URLs) are set to WARNING here, the token is registered with `bot.settings.redact`
(any letter case: PTB lower-cases 400 descriptions), and no error raised from this module
carries it.

Which errors fail a message: only a 400 whose description is certainly about the message itself
(its text, its entities: `_MESSAGE_PROBLEMS`). A 400 about the chat pauses the chat; any other
400, a 401/404 and anything raised while checking the bot (getMe) is about the bot, the token
or the API (`ApiRefused`): no row is failed for it. A send that timed out waiting for the answer
is `Unanswered`: Telegram may have posted it.
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
    ApiRefused,
    ChatMigrated,
    ChatUnavailable,
    ConfigError,
    DeliveryError,
    Rejected,
    RetryLater,
    TokenRejected,
    Unanswered,
)
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
# BadRequest descriptions that mean "this chat", not "this message" (Bot API error texts);
# a forum topic that is wrong, closed or deleted is the destination's problem too.
_CHAT_PROBLEMS = ("chat not found", "not enough rights", "have no rights", "need administrator",
                  "chat_write_forbidden", "peer_id_invalid", "chat_admin_required",
                  "message thread not found", "topic_closed", "topic_deleted",
                  "topic_id_invalid")
# BadRequest descriptions certainly about the message itself: only these fail a row.
_MESSAGE_PROBLEMS = ("can't parse entities", "message is too long", "text is too long",
                     "message text is empty", "text must be non-empty", "message_too_long",
                     "entities_too_long", "entity_text_invalid", "message to edit not found",
                     "message can't be edited", "message_id_invalid", "reply message not found",
                     "unsupported start tag", "can't find end tag", "wrong http url",
                     "button_url_invalid", "reply markup is too long")
# httpx timeouts raised before the request left: a retry cannot post twice.
_NOT_SENT = ("ConnectTimeout", "PoolTimeout")
_NOT_JSON = ". Parsing the server response"    # PTB's text for a non-JSON error answer

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


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


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
            raise self._map(exc, chat, about_bot=True) from self._cause(exc)
        self._started = True

    async def close(self) -> None:
        """Close the HTTP pool (also after a failed start); `send` after this starts again."""
        self._started = False
        await self._bot.shutdown()

    async def get_me(self) -> dict[str, Any]:
        try:
            return (await self._bot.get_me()).to_dict()
        except TelegramError as exc:
            raise self._map(exc, "*", about_bot=True) from self._cause(exc)

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
            raise self._map(exc, chat) from self._cause(exc)
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
                raise self._map(exc, chat) from self._cause(exc)
        except TelegramError as exc:
            raise self._map(exc, chat) from self._cause(exc)

    # -- errors --------------------------------------------------------------------------
    @staticmethod
    def _cause(exc: BaseException) -> BaseException | None:
        """Chain PTB's exception only if nothing in its chain shows the token."""
        seen: BaseException | None = exc
        while seen is not None:
            if redact(str(seen)) != str(seen) or redact(repr(seen)) != repr(seen):
                return None
            seen = seen.__cause__ or seen.__context__
        return exc

    def _map(self, exc: TelegramError, chat: str, *, about_bot: bool = False) -> DeliveryError:
        """PTB's error -> ours. `about_bot`: raised checking the bot (getMe), not sending."""
        # Order matters: BadRequest and TimedOut are subclasses of NetworkError in PTB.
        msg = redact(str(exc)).split(_NOT_JSON, 1)[0]
        if _NOT_JSON in str(exc):       # a 502 page from the front nginx, not the Bot API
            msg += ", not a Bot API answer"
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
        if isinstance(exc, Forbidden) and not about_bot:
            return ChatUnavailable(chat, f"{msg}: add the bot to the chat with the right to post")
        if isinstance(exc, BadRequest):
            lower = msg.lower()
            if not about_bot and any(p in lower for p in _CHAT_PROBLEMS):
                return ChatUnavailable(chat, f"{msg}: check the chat name and the bot's rights")
            if not about_bot and any(p in lower for p in _MESSAGE_PROBLEMS):
                return Rejected(chat, f"Telegram refused this message: {msg}")
        if isinstance(exc, BadRequest | Forbidden):
            return ApiRefused(chat, f"the Bot API at {self._where} refused the bot ({msg}): "
                                    "check TELEGRAM_BOT_TOKEN and TELEGRAM_API_URL; posts are "
                                    "kept and retried")
        if isinstance(exc, TimedOut):
            cause = type(exc.__cause__).__name__
            if cause in _NOT_SENT or "Pool timeout" in msg:
                return RetryLater(chat, f"timed out connecting to {self._where}: {msg}")
            # The request reached Telegram and no answer came: it may have posted it, and a
            # retry can post twice (the Bot API has no idempotency key).
            return Unanswered(chat, f"no answer from {self._where} in time ({cause}): "
                                    "the message may have been posted")
        if isinstance(exc, NetworkError):
            return RetryLater(chat, f"network or server error from {self._where}: {msg}")
        return RetryLater(chat, f"unexpected answer from {self._where}: {msg}")
