"""`newsbot check`, the chats: every destination the config names, asked of Telegram.

A wrong `channel:`, or a bot that is not an administrator there, is the most common first-day
mistake, and posting is the wrong time to find out. For each chat, getChat says whether it
exists for this bot and getChatMember (the bot's own id, from getMe) what the bot may do
there; `judge` reads those answers by the Bot API's ChatMember rules
(https://core.telegram.org/bots/api#chatmember):

- channel: the creator, or an administrator with `can_post_messages`;
- group or supergroup: the creator, an administrator, a member while the group's
  permissions let members send, or a restricted member who is still in the chat and
  keeps `can_send_messages`;
- a user's private chat: it exists for the bot only once the user has started the bot.
"""

from __future__ import annotations

import asyncio

from bot.deliver import ChatAccess, TelegramProbe
from bot.errors import DeliveryError, NewsbotError
from bot.settings import Settings, chat_thread

Row = tuple[str, str, str]          # what, status (OK, FAIL, SKIP), detail
POST_RIGHT = '"Post messages"'      # as Telegram's apps name can_post_messages


def destinations(settings: Settings) -> dict[str, list[str]]:
    """Each chat newsbot may send to -> the config keys that send there, in config order."""
    out: dict[str, list[str]] = {}

    def add(chat: str | None, key: str) -> None:
        if chat:
            out.setdefault(chat, []).append(key)

    add(settings.channel, "channel")
    for i, feed in enumerate(settings.feeds):
        add(feed.channel, f"feeds[{i}].channel")
    for topic in settings.topics:
        add(topic.channel, f"topics.{topic.name}.channel")
    if settings.operator_chat:
        add(settings.operator_chat, "operator_chat")
    elif settings.admins:           # alerts go to the first admin then (bot.service.host)
        add(str(settings.admins[0]), "admins[0], for alerts")
    return out


def judge(access: ChatAccess) -> tuple[bool, str]:
    """(may post, why) from getChat's and getChatMember's answers."""
    info, member = access.info, access.member
    if info is None:
        return False, f"Telegram says {access.refused!r}: {_not_found_hint(access.chat)}"
    kind = str(info.get("type"))
    name = info.get("title") or info.get("first_name") or access.chat
    what = f'{kind} "{name}"'
    if kind == "private":
        return True, f"{what}: the user has started the bot"
    if member is None:
        return False, (f"{what}: Telegram will not say what the bot may do here "
                       f"({access.refused}): make the bot an administrator")
    status = str(member.get("status"))
    if kind == "channel":
        if status == "creator" or (status == "administrator"
                                   and member.get("can_post_messages")):
            return True, f"{what}: the bot is an administrator that can post"
        if status == "administrator":
            return False, (f"{what}: the bot is an administrator without {POST_RIGHT}: turn "
                           "it on in the channel's administrator settings")
        return False, (f"{what}: the bot is not an administrator (status: {status}): add it "
                       f"as an administrator with {POST_RIGHT}")
    if chat_thread(access.chat)[1] is not None and not info.get("is_forum"):
        return False, (f"{what} has no forum topics: turn topics on in the group's settings, "
                       "or drop the :topic from the chat")
    if status in ("creator", "administrator"):
        return True, f"{what}: the bot is an administrator"
    if status == "member":
        if (info.get("permissions") or {}).get("can_send_messages") is False:
            return False, (f"{what}: members may not send messages here: make the bot an "
                           "administrator, or let members send")
        return True, f"{what}: the bot is a member that can send messages"
    if status == "restricted" and member.get("is_member"):
        if member.get("can_send_messages"):
            return True, f"{what}: the bot is a member (restricted, but may send messages)"
        return False, f"{what}: the bot is restricted from sending messages: lift it"
    if status == "kicked":
        return False, f"{what}: the bot was removed and banned: unban it and add it again"
    return False, f"{what}: the bot is not a member (status: {status}): add it to the chat"


def _not_found_hint(chat: str) -> str:
    if chat.startswith("@"):
        return ("check the name, and add the bot to the chat (a private channel has no "
                "@name: use its numeric id, -100...)")
    if not chat.startswith("-"):
        return "a user's chat exists for the bot only after they send it /start"
    return "check the id, and add the bot to the chat"


def telegram_rows(settings: Settings) -> list[Row]:
    """getMe, then one row per destination."""
    chats = destinations(settings)
    if not settings.token:
        return [("Bot API", "SKIP", "TELEGRAM_BOT_TOKEN not set: posts go to the terminal"),
                *[(f"chat {chat}", "SKIP", f"not asked without a token ({', '.join(keys)})")
                  for chat, keys in chats.items()]]
    token = settings.token.reveal()

    async def ask() -> list[Row]:
        probe = TelegramProbe(token, settings.api_url)
        try:
            await probe.start()
            me = await probe.get_me()
            rows = [("Bot API getMe", "OK", f"@{me.get('username')} via {settings.api_url}")]
            for chat, keys in chats.items():
                try:
                    ok, why = judge(await probe.access(chat))
                except DeliveryError as exc:
                    ok, why = False, str(exc)
                rows.append((f"chat {chat}", "OK" if ok else "FAIL",
                             f"{why} ({', '.join(keys)})"))
            return rows
        finally:
            await probe.close()

    try:
        return asyncio.run(ask())
    except NewsbotError as exc:
        return [("Bot API getMe", "FAIL", str(exc)),
                *[(f"chat {chat}", "SKIP", f"not asked: getMe failed ({', '.join(keys)})")
                  for chat, keys in chats.items()]]
