"""The stand-in's getChat and getChatMember answer as the Bot API does, for known and unknown
chats, and python-telegram-bot builds the same objects from them as from Telegram."""

from __future__ import annotations

import pytest
import telegram

from tests.fakes.telegram_members import set_bot_member, set_chat_permissions
from tests.fakes.test_telegram_api_standin import call, with_bot


def test_an_unknown_chat_is_not_found_in_both_methods(telegram_api) -> None:
    telegram_api.strict_chats = True
    for method in ("getChat", "getChatMember"):
        status, body = call(telegram_api, method, chat_id="@nobody_here", user_id=123456)
        assert (status, body) == (400, {"ok": False, "error_code": 400,
                                        "description": "Bad Request: chat not found"})


def test_a_known_channel_has_the_bot_as_an_administrator_that_can_post(telegram_api) -> None:
    telegram_api.add_chat("@newsroom", "channel", title="Newsroom")
    status, body = call(telegram_api, "getChatMember", chat_id="@newsroom", user_id=123456)
    member = body["result"]
    assert status == 200 and member["status"] == "administrator"
    assert member["can_post_messages"] is True and member["user"]["id"] == 123456
    chat = call(telegram_api, "getChat", chat_id="@newsroom")[1]["result"]
    assert (chat["type"], chat["title"]) == ("channel", "Newsroom")


@pytest.mark.parametrize("status, rights, kind, check", [
    ("administrator", {"can_pin_messages": False}, telegram.ChatMemberAdministrator,
     lambda m: m.can_pin_messages is False and m.can_post_messages is None),  # channels only
    ("creator", {}, telegram.ChatMemberOwner, lambda m: m.is_anonymous is False),
    ("member", {}, telegram.ChatMemberMember, lambda m: True),
    ("restricted", {"can_send_messages": False}, telegram.ChatMemberRestricted,
     lambda m: m.can_send_messages is False and m.is_member is True),
    ("left", {}, telegram.ChatMemberLeft, lambda m: True),
    ("kicked", {}, telegram.ChatMemberBanned, lambda m: True),
])
def test_each_status_reaches_ptb_as_its_chat_member_type(telegram_api, status, rights, kind,
                                                        check) -> None:
    set_bot_member(telegram_api, "-1001234567890", status, type="supergroup", **rights)

    async def ask(bot: telegram.Bot) -> telegram.ChatMember:
        return await bot.get_chat_member(chat_id=-1001234567890, user_id=123456)

    member = with_bot(telegram_api, ask)
    assert isinstance(member, kind) and member.status == status and check(member)


def test_group_permissions_show_in_get_chat(telegram_api) -> None:
    telegram_api.add_chat(-1009876543210, "supergroup")
    set_chat_permissions(telegram_api, -1009876543210, can_send_messages=False)

    async def ask(bot: telegram.Bot) -> telegram.ChatFullInfo:
        return await bot.get_chat(chat_id=-1009876543210)

    chat = with_bot(telegram_api, ask)
    assert chat.permissions is not None and chat.permissions.can_send_messages is False


def test_another_user_and_a_bad_user_id_are_refused(telegram_api) -> None:
    telegram_api.add_chat("@newsroom", "channel")
    assert call(telegram_api, "getChatMember", chat_id="@newsroom", user_id=42)[1][
        "description"] == "Bad Request: user not found"
    assert call(telegram_api, "getChatMember", chat_id="@newsroom", user_id="x")[0] == 400
    assert call(telegram_api, "getChatMember", user_id=123456)[1][
        "description"] == "Bad Request: chat_id is empty"
