"""`newsbot check` asks Telegram about every chat the config sends to (getChat, and
getChatMember for the bot itself): one line per chat, and a non-zero exit when the bot could
not post there. Against the Bot API stand-in on loopback, over its real JSON protocol."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.cli.check import check
from bot.config import load
from tests.fakes.telegram_members import set_bot_member, set_chat_permissions


def run_check(tmp_path: Path, api, text: str, *, offline: bool = False) -> tuple[int, str]:
    (tmp_path / "feed.xml").write_text(
        '<rss version="2.0"><channel><title>t</title><item><guid>1</guid><title>Summit'
        "</title></item></channel></rss>")
    path = tmp_path / "newsbot.yaml"
    path.write_text(text + "feeds:\n  - url: feed.xml\ntopics:\n  s: {terms: [summit]}\n")
    settings = load(path, env={"TELEGRAM_BOT_TOKEN": api.token,
                               "TELEGRAM_API_URL": api.base_url})
    out = io.StringIO()
    return check(settings, out, offline=offline), out.getvalue()


def line_for(output: str, chat: str) -> str:
    found = [line for line in output.splitlines() if line.startswith(f"chat {chat} ")]
    assert len(found) == 1, output
    return found[0]


@dataclass
class Seat:
    """How the bot sits in the chat, and what `check` must make of it."""

    why: str
    chat: str
    type: str
    status: str | None            # None: the stand-in's default for a known chat
    ok: bool
    says: str
    rights: dict[str, bool] = field(default_factory=dict)
    permissions: dict[str, bool] | None = None


SEATS = [
    Seat("channel admin that can post", "@world_watch", "channel", None, True,
         'channel "world_watch": the bot is an administrator that can post'),
    Seat("channel creator", "@world_watch", "channel", "creator", True, "can post"),
    Seat("channel admin without the post right", "@world_watch", "channel", "administrator",
         False, 'administrator without "Post messages"', {"can_post_messages": False}),
    Seat("channel subscriber only", "@world_watch", "channel", "member", False,
         "not an administrator (status: member)"),
    Seat("channel the bot left", "-1001234567890", "channel", "left", False,
         "not an administrator (status: left)"),
    Seat("supergroup member", "-1009876543210", "supergroup", None, True,
         "a member that can send messages"),
    Seat("group where members may not write", "-1009876543210", "supergroup", "member",
         False, "members may not send messages here", permissions={"can_send_messages": False}),
    Seat("group admin where members may not write", "-1009876543210", "supergroup",
         "administrator", True, "the bot is an administrator",
         permissions={"can_send_messages": False}),
    Seat("restricted from sending", "-1009876543210", "supergroup", "restricted", False,
         "restricted from sending messages", {"can_send_messages": False}),
    Seat("restricted and no longer in the group", "-1009876543210", "supergroup", "restricted",
         False, "not a member (status: restricted)", {"is_member": False}),
    Seat("banned from a group", "-4001234567", "group", "kicked", False, "banned"),
    Seat("a user who started the bot", "123456789", "private", None, True,
         "the user has started the bot"),
]


@pytest.mark.parametrize("seat", SEATS, ids=[s.why for s in SEATS])
def test_each_seat_of_the_bot_gets_its_verdict(telegram_api, tmp_path: Path,
                                               seat: Seat) -> None:
    telegram_api.strict_chats = True
    chat_id = telegram_api.add_chat(seat.chat, seat.type)
    if seat.status is not None:
        set_bot_member(telegram_api, seat.chat, seat.status, **seat.rights)
    if seat.permissions is not None:
        set_chat_permissions(telegram_api, seat.chat, **seat.permissions)
    code, output = run_check(tmp_path, telegram_api, f'channel: "{seat.chat}"\n')
    line = line_for(output, seat.chat)
    assert (" OK " in line, seat.says in line, code) == (seat.ok, True, 0 if seat.ok else 1), \
        output
    assert line.endswith("(channel)")
    if seat.type != "private":
        asked = telegram_api.calls("getChatMember")
        assert [(int(r.params["chat_id"]) if r.params["chat_id"].lstrip("-").isdigit()
                 else r.params["chat_id"], int(r.params["user_id"])) for r in asked] == \
            [(chat_id if not seat.chat.startswith("@") else seat.chat, 123456)]


@pytest.mark.parametrize("chat, hint", [
    ("@no_such_channel", "check the name"),
    ("-1001111111111", "check the id, and add the bot"),
    ("555000111", "after they send it /start"),
])
def test_a_chat_telegram_does_not_know_fails_with_a_hint(telegram_api, tmp_path: Path,
                                                        chat: str, hint: str) -> None:
    telegram_api.strict_chats = True
    code, output = run_check(tmp_path, telegram_api, f'channel: "{chat}"\n')
    line = line_for(output, chat)
    assert code == 1 and " FAIL " in line and "chat not found" in line.lower() and hint in line
    assert "1 problem(s)" in output


def test_every_destination_is_checked_and_named_by_the_keys_that_use_it(
        telegram_api, tmp_path: Path) -> None:
    telegram_api.strict_chats = True
    for chat in ("@main_chan", "@sanctions_chan", "@ops_chan"):
        telegram_api.add_chat(chat, "channel")
    set_bot_member(telegram_api, "@sanctions_chan", "left")
    (tmp_path / "feed.xml").write_text("<rss version='2.0'><channel><title>t</title>"
                                       "</channel></rss>")
    path = tmp_path / "newsbot.yaml"
    path.write_text('channel: "@main_chan"\noperator_chat: "@ops_chan"\n'
                    'feeds:\n  - url: feed.xml\n    channel: "@ops_chan"\n'
                    'topics:\n  s:\n    terms: [sanctions]\n    channel: "@sanctions_chan"\n')
    settings = load(path, env={"TELEGRAM_BOT_TOKEN": telegram_api.token,
                               "TELEGRAM_API_URL": telegram_api.base_url})
    out = io.StringIO()
    assert check(settings, out) == 1
    output = out.getvalue()
    assert " OK " in line_for(output, "@main_chan")
    assert line_for(output, "@main_chan").endswith("(channel)")
    assert line_for(output, "@ops_chan").endswith("(feeds[0].channel, operator_chat)")
    sanctions = line_for(output, "@sanctions_chan")
    assert " FAIL " in sanctions and "status: left" in sanctions
    assert sanctions.endswith("(topics.s.channel)") and "1 problem(s)" in output
    assert len(telegram_api.calls("getChat")) == 3      # each chat asked once


def test_without_operator_chat_the_first_admin_who_gets_alerts_is_checked(
        telegram_api, tmp_path: Path) -> None:
    telegram_api.strict_chats = True
    telegram_api.add_chat("@main_chan", "channel")
    code, output = run_check(tmp_path, telegram_api, 'channel: "@main_chan"\n'
                                                     "admins: [777000111]\n")
    line = line_for(output, "777000111")
    assert code == 1 and "/start" in line and line.endswith("(admins[0], for alerts)")


def test_offline_asks_nobody_and_names_the_destinations(telegram_api, tmp_path: Path) -> None:
    code, output = run_check(tmp_path, telegram_api, 'channel: "@main_chan"\n', offline=True)
    assert code == 0 and "posts go to: @main_chan (channel)" in output
    assert telegram_api.requests == []


@pytest.mark.parametrize(("forum", "ok", "says"), [
    (True, True, "the bot is a member that can send messages"),
    (False, False, "has no forum topics: turn topics on"),
])
def test_a_forum_topic_destination_asks_about_its_supergroup(tmp_path: Path, telegram_api,
                                                             forum: bool, ok: bool,
                                                             says: str) -> None:
    chat = -1004445556667
    if forum:
        telegram_api.add_forum(chat, topics=(45,))
    else:
        telegram_api.add_chat(chat, "supergroup")
    telegram_api.strict_chats = True
    code, out = run_check(tmp_path, telegram_api, f'channel: "{chat}:45"\n')
    line = line_for(out, f"{chat}:45")
    assert (" OK " in line or line.split()[2] == "OK") is ok and says in line, out
    assert [c.params["chat_id"] for c in telegram_api.calls("getChat")] == [str(chat)]
    assert (code == 0) is ok
