"""The stand-in's getChatMember: who the bot is in each chat, as `newsbot check` asks.

Kept apart from the posting methods (telegram_methods.py) on purpose. Objects follow the Bot
API's ChatMember types (https://core.telegram.org/bots/api#chatmember): every field the real
server sends, so python-telegram-bot builds them as it would from Telegram.

By default the bot may post wherever the stand-in knows the chat (a channel: administrator
with can_post_messages; a group: member), so tests that only post need nothing. A test sets
another status with `set_bot_member`, and group-wide rights with `set_chat_permissions`.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.telegram_state import ApiError, BotState, Chat

_ADMIN_RIGHTS = ("can_manage_chat", "can_delete_messages", "can_manage_video_chats",
                 "can_restrict_members", "can_promote_members", "can_change_info",
                 "can_invite_users", "can_post_stories", "can_edit_stories",
                 "can_delete_stories")
_CHANNEL_RIGHTS = ("can_post_messages", "can_edit_messages")
_GROUP_RIGHTS = ("can_pin_messages", "can_manage_topics")
_SEND_RIGHTS = ("can_send_messages", "can_send_audios", "can_send_documents",
                "can_send_photos", "can_send_videos", "can_send_video_notes",
                "can_send_voice_notes", "can_send_polls", "can_send_other_messages",
                "can_add_web_page_previews", "can_change_info", "can_invite_users",
                "can_pin_messages", "can_manage_topics", "can_edit_tag",
                "can_react_to_messages")
STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")


def set_bot_member(api: Any, chat: int | str, status: str, *, type: str = "channel",
                   **rights: bool) -> None:
    """The bot's membership in `chat` (made known as a `type` chat if it is not): a status
    from STATUSES and the rights that differ from "all granted", e.g.
    `can_post_messages=False`."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}")
    state: BotState = api.state
    with state.lock:
        try:
            found = state.chat(chat, create=False)
        except ApiError:
            found = state.add_chat(chat, type)
        found.bot_member = {"status": status, **rights}


def set_chat_permissions(api: Any, chat: int | str, **permissions: bool) -> None:
    """A group's default member permissions (ChatPermissions in getChat), e.g.
    `can_send_messages=False` for a group where only administrators write."""
    state: BotState = api.state
    with state.lock:
        state.chat(chat).permissions = dict(permissions)


def _member(state: BotState, chat: Chat) -> dict[str, Any]:
    from tests.fakes.telegram_methods import bot_user  # here: that module imports this one

    wanted = chat.bot_member or {"status": "administrator" if chat.type == "channel"
                                 else "member"}
    status = wanted["status"]
    out: dict[str, Any] = {"status": status, "user": bot_user(state)}
    if status == "creator":
        out["is_anonymous"] = False
    elif status == "administrator":
        names = _ADMIN_RIGHTS + (_CHANNEL_RIGHTS if chat.type == "channel" else _GROUP_RIGHTS)
        out.update({"can_be_edited": False, "is_anonymous": False})
        out.update({name: bool(wanted.get(name, True)) for name in names})
    elif status == "restricted":
        out.update({"is_member": bool(wanted.get("is_member", True)), "until_date": 0})
        out.update({name: bool(wanted.get(name, True)) for name in _SEND_RIGHTS})
    elif status == "kicked":
        out["until_date"] = 0
    return out


def get_chat_member(state: BotState, params: dict[str, Any]) -> Any:
    """https://core.telegram.org/bots/api#getchatmember"""
    ref, user = params.get("chat_id"), params.get("user_id")
    if ref in (None, ""):
        raise ApiError(400, "Bad Request: chat_id is empty")
    try:
        user_id = int(str(user))
    except ValueError:
        raise ApiError(400, "Bad Request: invalid user_id specified") from None
    with state.lock:
        chat = state.writable_chat(ref)
        if user_id == state.bot_id:
            return _member(state, chat)
        if chat.type == "private" and user_id == chat.id:
            return {"status": "member", "user": {"id": user_id, "is_bot": False,
                                                 "first_name": chat.title or f"User {user_id}"}}
        raise ApiError(400, "Bad Request: user not found")
