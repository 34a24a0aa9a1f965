"""What the Telegram Bot API stand-in knows: chats, messages, updates, programmed failures.

The methods that act on it are in telegram_methods.py, the HTTP server in telegram_api.py.
Every public method is thread-safe: the server answers each request in its own thread.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.telegram_html import EntityParseError, parse_html, utf16_len

MAX_TEXT = 4096                 # https://core.telegram.org/bots/api#sendmessage (after parsing)
JSON_PARAMS = {"link_preview_options", "reply_markup", "allowed_updates", "entities",
               "commands", "reply_parameters", "scope"}
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


class ApiError(Exception):
    """One error answer: HTTP status == error_code, as the real server does."""

    def __init__(self, status: int, description: str,
                 parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


@dataclass
class Chat:
    id: int
    type: str                        # "channel", "supergroup", "group" or "private"
    username: str | None = None
    title: str | None = None
    forbidden: bool = False
    migrate_to: int | None = None
    bot_member: dict[str, Any] | None = None     # getChatMember for the bot: telegram_members
    permissions: dict[str, bool] | None = None    # a group's ChatPermissions, in getChat
    topics: set[int] | None = None   # a forum supergroup's topics (message_thread_id)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.username:
            d["username"] = self.username
        if self.topics is not None:
            d["is_forum"] = True
        if self.type == "private":
            d["first_name"] = self.title or f"User {self.id}"
        else:
            d["title"] = self.title or (self.username or f"Chat {self.id}")
        return d


@dataclass
class PostedMessage:
    """A message as it stands in the chat: current text after edits, and what was asked."""

    chat_id: int
    message_id: int
    date: int
    text: str                        # entity-parsed plain text, as Telegram shows it
    html: str                        # the text parameter as sent (source of `text`)
    entities: list[dict[str, Any]]
    params: dict[str, Any]           # the last sendMessage/editMessageText parameters
    history: list[str] = field(default_factory=list)   # earlier texts, oldest first
    edit_date: int | None = None


@dataclass
class _Failure:
    method: str | None
    status: int
    description: str
    parameters: dict[str, Any] | None
    times: int | None                # None: until `until`
    until: float | None
    html_body: bool = False


def as_bool(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def decode_json_params(params: dict[str, Any]) -> dict[str, Any]:
    """Form and multipart bodies carry dicts/lists as JSON strings (Bot API "Making requests")."""
    out = dict(params)
    for key in JSON_PARAMS & out.keys():
        if isinstance(out[key], str):
            try:
                out[key] = json.loads(out[key])
            except ValueError as exc:
                raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from exc
    return out


class BotState:
    """The Bot API's state for one bot token."""

    def __init__(self, bot_id: int, *, strict_chats: bool = False,
                 strict_ampersand: bool = True) -> None:
        self.bot_id = bot_id
        self.strict_chats = strict_chats       # unknown chats -> "chat not found"
        self.strict_ampersand = strict_ampersand
        self.lock = threading.RLock()
        self.updates_changed = threading.Condition(self.lock)
        self.rate_limit: int | None = None      # sendMessage per chat per 60 s
        self._chats: dict[int, Chat] = {}
        self._next_chat = itertools.count(1001234567)
        self._messages: dict[int, list[PostedMessage]] = {}
        self._last_id: dict[int, int] = {}
        self._sent_at: dict[int, deque[float]] = {}
        self._failures: list[_Failure] = []
        self._updates: list[dict[str, Any]] = []
        self._next_update = itertools.count(100000001)
        self.commands: dict[str, list[dict[str, Any]]] = {}   # scope key -> menu
        self.poll_generation = 0
        self.closing = False

    # -- chats ---------------------------------------------------------------------------
    def add_chat(self, chat: int | str, type: str = "channel", *,
                 title: str | None = None) -> Chat:
        with self.lock:
            username = chat[1:] if isinstance(chat, str) and chat.startswith("@") else None
            chat_id = int(chat) if username is None else -1000000000000 - next(self._next_chat)
            found = self._chats.get(chat_id)
            if found is None:
                found = self._chats[chat_id] = Chat(chat_id, type, username, title)
            return found

    def chat(self, ref: int | str, *, create: bool = True) -> Chat:
        """Resolve a chat_id parameter (numeric id or "@username") like the server does."""
        with self.lock:
            text = str(ref).strip()
            if text.startswith("@"):
                for c in self._chats.values():
                    if c.username and c.username.lower() == text[1:].lower():
                        return c
            elif re.fullmatch(r"-?\d+", text) and int(text) in self._chats:
                return self._chats[int(text)]
            elif not re.fullmatch(r"-?\d+", text):
                raise ApiError(400, "Bad Request: chat not found")
            if self.strict_chats or not create:
                raise ApiError(400, "Bad Request: chat not found")
            if text.startswith("@"):
                return self.add_chat(text, "channel")
            chat_id = int(text)
            kind = ("private" if chat_id > 0 else
                    "channel" if str(chat_id).startswith("-100") else "group")
            return self.add_chat(chat_id, kind)

    def writable_chat(self, ref: int | str) -> Chat:
        c = self.chat(ref)
        if c.forbidden:
            where = {"channel": "the channel chat", "private": "the user"}.get(c.type,
                                                                                "the group chat")
            verb = "blocked by" if c.type == "private" else "kicked from"
            raise ApiError(403, f"Forbidden: bot was {verb} {where}")
        if c.migrate_to is not None:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           {"migrate_to_chat_id": c.migrate_to})
        return c

    def messages(self, ref: int | str) -> list[PostedMessage]:
        with self.lock:
            try:
                c = self.chat(ref, create=False)
            except ApiError:
                return []
            return list(self._messages.get(c.id, []))

    # -- failures ------------------------------------------------------------------------
    def add_failure(self, failure: _Failure) -> None:
        with self.lock:
            self._failures.append(failure)

    def clear_failures(self) -> None:
        with self.lock:
            self._failures.clear()
            self.rate_limit = None

    def injected_failure(self, method: str) -> _Failure | None:
        """The first programmed failure that applies to this call, consumed by one."""
        with self.lock:
            now = time.monotonic()
            self._failures = [f for f in self._failures
                              if (f.times is None or f.times > 0)
                              and (f.until is None or f.until > now)]
            for f in self._failures:
                if f.method is None or f.method.lower() == method.lower():
                    if f.times is not None:
                        f.times -= 1
                    return f
            return None

    def check_rate(self, chat_id: int) -> None:
        """A sliding 60 s window per chat (https://core.telegram.org/bots/faq#broadcasting)."""
        if self.rate_limit is None:
            return
        now = time.monotonic()
        window = self._sent_at.setdefault(chat_id, deque())
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= self.rate_limit:
            wait = max(1, math.ceil(window[0] + 60 - now))
            raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        window.append(now)

    # -- text ----------------------------------------------------------------------------
    def parse_text(self, params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        raw = params.get("text")
        text = "" if raw is None else str(raw)
        mode = str(params.get("parse_mode") or "").lower()
        if mode == "html":
            try:
                text, entities = parse_html(text, strict_ampersand=self.strict_ampersand)
            except EntityParseError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        elif mode:
            raise ApiError(400, f"Bad Request: unsupported parse_mode {params['parse_mode']}"
                           if mode not in ("markdown", "markdownv2") else
                           "Bad Request: the stand-in only parses HTML")
        else:
            text, entities = text.strip(), list(params.get("entities") or [])
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return text, entities

    # -- updates -------------------------------------------------------------------------
    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            update = {"update_id": next(self._next_update), **update}
            self._updates.append(update)
            self.updates_changed.notify_all()
            return update

    def take_updates(self, offset: int | None, limit: int,
                     allowed: list[str] | None) -> list[dict[str, Any]]:
        """Confirm updates below ``offset`` (https://core.telegram.org/bots/api#getupdates)."""
        with self.lock:
            if offset is not None and offset < 0:
                self._updates = self._updates[offset:]
            elif offset is not None:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            found = [u for u in self._updates
                     if not allowed or any(k in u for k in allowed)]
            return found[:max(1, min(limit, 100))]

    def new_message_id(self, chat_id: int) -> int:
        """Message ids count up per chat, shared by the bot's and the users' messages."""
        with self.lock:
            self._last_id[chat_id] = self._last_id.get(chat_id, 0) + 1
            return self._last_id[chat_id]

    def store(self, message: PostedMessage) -> None:
        with self.lock:
            self._messages.setdefault(message.chat_id, []).append(message)

    def remove(self, message: PostedMessage) -> None:
        with self.lock:
            self._messages[message.chat_id].remove(message)

    def find(self, chat_id: int, message_id: int) -> PostedMessage | None:
        with self.lock:
            return next((m for m in self._messages.get(chat_id, [])
                         if m.message_id == message_id), None)

    def command_entities(self, text: str) -> list[dict[str, Any]]:
        return [{"type": "bot_command", "offset": utf16_len(text[:m.start()]),
                 "length": utf16_len(m.group(0))} for m in _COMMAND.finditer(text)]
