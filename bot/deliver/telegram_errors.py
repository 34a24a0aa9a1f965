"""PTB's errors -> `bot.errors.DeliveryError` subclasses, so the rest of newsbot decides
retry/skip/alert without knowing PTB. Apart from `bot.deliver.telegram` so that the table of
Bot API error texts and the order of the checks sit in one place, read by the deliverer and by
`bot.deliver.probe` alike.

Which errors fail a message: only a 400 whose description is certainly about the message itself
(its text, its entities: `_MESSAGE_PROBLEMS`). A 400 about the chat pauses the chat; any other
400, a 401/404 and anything raised while checking the bot (getMe) is about the bot, the token
or the API (`ApiRefused`): no row is failed for it. A send that timed out waiting for the answer
is `Unanswered`: Telegram may have posted it. No error made here carries the bot token
(`safe_cause`, `bot.settings.redact`).
"""

from __future__ import annotations

import warnings
from datetime import timedelta

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
from telegram.warnings import PTBDeprecationWarning

from bot.errors import (
    ApiRefused,
    ChatMigrated,
    ChatUnavailable,
    DeliveryError,
    Rejected,
    RetryLater,
    TokenRejected,
    Unanswered,
)
from bot.settings import redact

__all__ = ["delivery_error", "safe_cause"]

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


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def safe_cause(exc: BaseException) -> BaseException | None:
    """Chain PTB's exception only if nothing in its chain shows the token."""
    seen: BaseException | None = exc
    while seen is not None:
        if redact(str(seen)) != str(seen) or redact(repr(seen)) != repr(seen):
            return None
        seen = seen.__cause__ or seen.__context__
    return exc


def delivery_error(exc: TelegramError, chat: str, where: str, *,
                   about_bot: bool = False) -> DeliveryError:
    """PTB's error -> ours. `where`: the Bot API as shown in errors (scheme://host:port);
    `about_bot`: raised checking the bot (getMe), not sending."""
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
        return TokenRejected(chat, where)
    if isinstance(exc, Forbidden) and not about_bot:
        return ChatUnavailable(chat, f"{msg}: add the bot to the chat with the right to post")
    if isinstance(exc, BadRequest):
        lower = msg.lower()
        if not about_bot and any(p in lower for p in _CHAT_PROBLEMS):
            return ChatUnavailable(chat, f"{msg}: check the chat name and the bot's rights")
        if not about_bot and any(p in lower for p in _MESSAGE_PROBLEMS):
            return Rejected(chat, f"Telegram refused this message: {msg}")
    if isinstance(exc, BadRequest | Forbidden):
        return ApiRefused(chat, f"the Bot API at {where} refused the bot ({msg}): "
                                "check TELEGRAM_BOT_TOKEN and TELEGRAM_API_URL; posts are "
                                "kept and retried")
    if isinstance(exc, TimedOut):
        cause = type(exc.__cause__).__name__
        if cause in _NOT_SENT or "Pool timeout" in msg:
            return RetryLater(chat, f"timed out connecting to {where}: {msg}")
        # The request reached Telegram and no answer came: it may have posted it, and a
        # retry can post twice (the Bot API has no idempotency key).
        return Unanswered(chat, f"no answer from {where} in time ({cause}): "
                                "the message may have been posted")
    if isinstance(exc, NetworkError):
        return RetryLater(chat, f"network or server error from {where}: {msg}")
    return RetryLater(chat, f"unexpected answer from {where}: {msg}")
