"""The Bot API methods the stand-in implements, over BotState (telegram_state.py).

Each handler takes the decoded parameters and returns the ``result`` value or raises ApiError.
Descriptions are the real server's (https://core.telegram.org/bots/api#available-methods).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from tests.fakes.telegram_members import get_chat_member
from tests.fakes.telegram_state import ApiError, BotState, Chat, PostedMessage, as_bool

NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message")
CONFLICT = ("Conflict: terminated by other getUpdates request; make sure that only one bot "
            "instance is running")


def _require(params: dict[str, Any], name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise ApiError(400, f"Bad Request: {name} is empty")
    return value


def _int(params: dict[str, Any], name: str, default: int | None = None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: invalid {name} specified") from None


def bot_user(state: BotState) -> dict[str, Any]:
    return {"id": state.bot_id, "is_bot": True, "first_name": "Newsbot Test",
            "username": "newsbot_test_bot"}


def message_dict(state: BotState, chat: Chat, msg: PostedMessage) -> dict[str, Any]:
    """A Message object (https://core.telegram.org/bots/api#message)."""
    out: dict[str, Any] = {"message_id": msg.message_id, "date": msg.date,
                           "chat": chat.as_dict(), "text": msg.text}
    if chat.type == "channel":
        out["sender_chat"] = chat.as_dict()     # channel posts have no "from"
    else:
        out["from"] = bot_user(state)
    if msg.entities:
        out["entities"] = msg.entities
    if msg.params.get("message_thread_id") is not None:
        out["message_thread_id"] = int(msg.params["message_thread_id"])
        out["is_topic_message"] = True
    if msg.edit_date is not None:
        out["edit_date"] = msg.edit_date
    return out


def user_message_update(state: BotState, from_user_id: int, chat_id: int,
                        text: str) -> dict[str, Any]:
    """An Update with a Message from a user; /commands get bot_command entities, as real."""
    user = {"id": from_user_id, "is_bot": False, "first_name": f"User{from_user_id}",
            "username": f"user{from_user_id}", "language_code": "en"}
    kind = ("private" if chat_id > 0 else
            "supergroup" if str(chat_id).startswith("-100") else "group")
    with state.lock:
        chat = state.add_chat(chat_id, kind, title=user["first_name"] if kind == "private"
                              else None)
        message: dict[str, Any] = {"message_id": state.new_message_id(chat.id), "from": user,
                                   "chat": chat.as_dict(), "date": int(time.time()),
                                   "text": text}
        if entities := state.command_entities(text):
            message["entities"] = entities
        return state.push_update({"message": message})


def get_me(state: BotState, params: dict[str, Any]) -> Any:
    return {**bot_user(state), "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}


def _thread(chat: Chat, params: dict[str, Any]) -> None:
    """message_thread_id: a topic of a forum supergroup (https://core.telegram.org/bots/api
    #sendmessage); anywhere else, or a topic that does not exist, is refused."""
    thread = _int(params, "message_thread_id")
    if thread is not None and (chat.topics is None or thread not in chat.topics):
        raise ApiError(400, "Bad Request: message thread not found")


_PREVIEW_FLAGS = ("is_disabled", "prefer_small_media", "prefer_large_media", "show_above_text")


def _link_preview(params: dict[str, Any]) -> None:
    """LinkPreviewOptions (https://core.telegram.org/bots/api#linkpreviewoptions)."""
    options = params.get("link_preview_options")
    if options is None:
        return
    if not isinstance(options, dict) or any(
            not isinstance(options[k], bool) for k in _PREVIEW_FLAGS if k in options):
        raise ApiError(400, "Bad Request: can't parse link preview options")
    url = options.get("url")
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://",
                                                                           "https://"))):
        raise ApiError(400, "Bad Request: wrong HTTP URL specified")


def send_message(state: BotState, params: dict[str, Any]) -> Any:
    with state.lock:
        chat = state.writable_chat(_require(params, "chat_id"))
        _thread(chat, params)
        _link_preview(params)
        text, entities = state.parse_text(params)
        state.check_rate(chat.id)
        msg = PostedMessage(chat.id, state.new_message_id(chat.id), int(time.time()), text,
                            str(params["text"]), entities, dict(params))
        state.store(msg)
        return message_dict(state, chat, msg)


def edit_message_text(state: BotState, params: dict[str, Any]) -> Any:
    if params.get("inline_message_id"):
        raise ApiError(400, "Bad Request: the stand-in has no inline messages")
    with state.lock:
        chat = state.writable_chat(_require(params, "chat_id"))
        message_id = _int(params, "message_id")
        if message_id is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        msg = state.find(chat.id, message_id)
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        _link_preview(params)
        text, entities = state.parse_text(params)
        if text == msg.text and entities == msg.entities \
                and params.get("reply_markup") == msg.params.get("reply_markup"):
            raise ApiError(400, NOT_MODIFIED)
        msg.history.append(msg.text)
        msg.text, msg.html, msg.entities = text, str(params["text"]), entities
        thread = msg.params.get("message_thread_id")    # an edit stays in its topic
        msg.params = {**params, **({"message_thread_id": thread} if thread else {})}
        msg.edit_date = int(time.time())
        return message_dict(state, chat, msg)


def delete_message(state: BotState, params: dict[str, Any]) -> Any:
    with state.lock:
        chat = state.writable_chat(_require(params, "chat_id"))
        msg = state.find(chat.id, _int(params, "message_id") or 0)
        if msg is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        state.remove(msg)
        return True


def get_updates(state: BotState, params: dict[str, Any]) -> Any:
    """Long polling: wait up to ``timeout`` s for an update; a newer call ends this one (409)."""
    offset = _int(params, "offset")
    limit = _int(params, "limit", 100) or 100
    deadline = time.monotonic() + float(params.get("timeout") or 0)
    allowed = params.get("allowed_updates") or None
    with state.updates_changed:
        state.poll_generation += 1
        mine = state.poll_generation
        state.updates_changed.notify_all()
        while True:
            found = state.take_updates(offset, limit, allowed)
            if found or state.closing:
                return found
            if state.poll_generation != mine:
                raise ApiError(409, CONFLICT)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            state.updates_changed.wait(remaining)


def delete_webhook(state: BotState, params: dict[str, Any]) -> Any:
    if as_bool(params.get("drop_pending_updates")):
        state.take_updates(2**62, 1, None)     # an offset above all: every update confirmed
    return True


def get_webhook_info(state: BotState, params: dict[str, Any]) -> Any:
    return {"url": "", "has_custom_certificate": False,
            "pending_update_count": len(state.take_updates(None, 100, None))}


SCOPES = {"default", "all_private_chats", "all_group_chats", "all_chat_administrators",
          "chat", "chat_administrators", "chat_member"}


def _scope(state: BotState, params: dict[str, Any]) -> str:
    """The BotCommandScope as a key (https://core.telegram.org/bots/api#botcommandscope);
    a scope naming a chat needs a chat the bot knows, as real ("chat not found")."""
    scope = params.get("scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in SCOPES:
        raise ApiError(400, "Bad Request: can't parse BotCommandScope")
    if scope["type"] in ("chat", "chat_administrators", "chat_member"):
        scope = {**scope, "chat_id": state.chat(_require(scope, "chat_id")).id}
    return scope_key(scope)


def scope_key(scope: dict[str, Any] | None) -> str:
    return json.dumps(scope or {"type": "default"}, sort_keys=True)


def set_my_commands(state: BotState, params: dict[str, Any]) -> Any:
    commands = params.get("commands")
    if not isinstance(commands, list):
        raise ApiError(400, "Bad Request: can't parse commands JSON object")
    for c in commands:   # https://core.telegram.org/bots/api#botcommand
        if not isinstance(c, dict) or not re.fullmatch(r"[a-z0-9_]{1,32}", str(c.get("command"))):
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        if not 1 <= len(str(c.get("description") or "")) <= 256:
            raise ApiError(400, "Bad Request: command description is empty or too long")
    with state.lock:
        state.commands[_scope(state, params)] = [dict(c) for c in commands]
    return True


def get_my_commands(state: BotState, params: dict[str, Any]) -> Any:
    with state.lock:
        return list(state.commands.get(_scope(state, params), []))


def get_chat(state: BotState, params: dict[str, Any]) -> Any:
    """A ChatFullInfo; accent_color_id and max_reaction_count are required fields there."""
    chat = state.writable_chat(_require(params, "chat_id"))
    extra = {"permissions": chat.permissions} if chat.permissions is not None else {}
    return {**chat.as_dict(), "accent_color_id": 0, "max_reaction_count": 11, **extra}


METHODS: dict[str, Callable[[BotState, dict[str, Any]], Any]] = {
    name.lower(): fn for name, fn in {
        "getMe": get_me, "sendMessage": send_message, "editMessageText": edit_message_text,
        "deleteMessage": delete_message, "getUpdates": get_updates,
        "deleteWebhook": delete_webhook, "getWebhookInfo": get_webhook_info,
        "setMyCommands": set_my_commands, "getMyCommands": get_my_commands,
        "getChat": get_chat, "getChatMember": get_chat_member,
        "logOut": lambda s, p: True, "close": lambda s, p: True,
    }.items()
}
