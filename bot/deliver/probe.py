"""Asking Telegram about a destination without posting to it, for `newsbot check`.

getChat says whether the chat exists for this bot; getChatMember with the bot's own id (from
getMe) says what the bot may do there (https://core.telegram.org/bots/api#getchatmember). The
answers are handed back as the Bot API's own JSON objects; judging them is the caller's job
(`bot.cli.destinations`). Telegram refusing to answer about one chat (400, 403) is an answer
too, kept as its description; a wrong token or an unreachable Bot API raises, as in sending.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.error import BadRequest, Forbidden, TelegramError

from bot.deliver.telegram import TelegramDeliverer
from bot.deliver.telegram_errors import delivery_error, safe_cause
from bot.settings import chat_thread, redact


@dataclass(frozen=True)
class ChatAccess:
    chat: str                        # as configured: @username or a numeric id
    info: dict[str, Any] | None      # getChat's ChatFullInfo; None if Telegram refused
    member: dict[str, Any] | None    # getChatMember for the bot; None: refused or not asked
    refused: str | None = None       # Telegram's description when it refused (400/403)


class TelegramProbe(TelegramDeliverer):
    """A deliverer that only asks: getMe, getChat, getChatMember."""

    async def access(self, chat: str) -> ChatAccess:
        """`chat` as configured; of "chat:N" (a forum topic) the chat is asked about."""
        await self._start(chat)
        chat_id = chat_thread(chat)[0]
        try:
            info = (await self._bot.get_chat(chat_id=chat_id)).to_dict()
        except (BadRequest, Forbidden) as exc:
            return ChatAccess(chat, None, None, redact(exc.message))
        except TelegramError as exc:
            raise delivery_error(exc, chat, self._where) from safe_cause(exc)
        if info.get("type") == "private":     # a user's chat: no membership to ask about
            return ChatAccess(chat, info, None)
        try:
            member = (await self._bot.get_chat_member(chat_id=chat_id,
                                                      user_id=self._bot.id)).to_dict()
        except (BadRequest, Forbidden) as exc:
            return ChatAccess(chat, info, None, redact(exc.message))
        except TelegramError as exc:
            raise delivery_error(exc, chat, self._where) from safe_cause(exc)
        return ChatAccess(chat, info, member)
