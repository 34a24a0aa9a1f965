"""Where posts go: the `Deliverer` interface the Telegram and console deliverers implement
(after httpx's `_transports/base.py`), and the `Sent` receipt Telegram answers with."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any

__all__ = ["Deliverer", "Sent"]


@dataclass(frozen=True)
class Sent:
    chat_id: int            # the numeric id Telegram returned (also for "@channel")
    message_id: int


class Deliverer(abc.ABC):
    """Where posts go. Chats are ``"@channelname"`` or a numeric id as a string, either
    optionally with ``":N"``, a forum topic (bot.settings.chat_thread)."""

    @abc.abstractmethod
    async def start(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def get_me(self) -> dict[str, Any]: ...

    @abc.abstractmethod
    async def send(self, chat: str, text: str, *, preview: bool = False,
                   silent: bool = False, image: str | None = None) -> Sent:
        """Post Telegram-HTML ``text`` to ``chat`` (``"chat:N"``: forum topic N of a
        supergroup); ``image``: shown large above it. Raises a bot.errors.DeliveryError."""

    @abc.abstractmethod
    async def edit(self, chat: str, message_id: int, text: str, *,
                   preview: bool = False, image: str | None = None) -> None:
        """Replace a post's text (keeping its ``image``); the same text again is not an
        error."""

    async def __aenter__(self) -> Deliverer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
