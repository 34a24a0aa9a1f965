"""bot.deliver against the Bot API stand-in over real HTTP on loopback, and the console."""

from __future__ import annotations

import asyncio
import io
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.config import load
from bot.deliver import TelegramDeliverer
from bot.deliver.base import Deliverer, Sent
from bot.deliver.console import ConsoleDeliverer, terminal_text
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
from bot.service.service import make_deliverer
from tests.conftest import ROOT
from tests.fakes.telegram_api import TelegramAPIServer

CHAT = "@newsroom"
WRONG_TOKEN = "987654:WRONG-SECRET-never-shown"


def run(api: TelegramAPIServer, fn: Callable[[TelegramDeliverer], Awaitable[Any]], *,
        token: str | None = None, timeout: float = 5.0) -> Any:
    async def go() -> Any:
        async with TelegramDeliverer(token or api.token, api.base_url, timeout=timeout,
                                     send_timeout=timeout) as d:
            return await fn(d)
    return asyncio.run(go())


def test_send_posts_html_without_preview_and_returns_the_numeric_chat_id(
        telegram_api: TelegramAPIServer) -> None:
    sent = run(telegram_api, lambda d: d.send(CHAT, "<b>Title</b> &amp; more"))
    assert sent == Sent(chat_id=telegram_api.chat_id(CHAT), message_id=1)
    [call] = telegram_api.calls("sendMessage")
    assert call.params["parse_mode"] == "HTML"
    assert call.params["link_preview_options"] == {"is_disabled": True}
    assert "disable_notification" not in call.params
    assert telegram_api.texts(CHAT) == ["Title & more"]
    assert [r.method for r in telegram_api.requests] == ["getMe", "sendMessage"]


@pytest.mark.parametrize(("flags", "preview_field", "silent_field"), [
    ({}, {"is_disabled": True}, None),
    ({"preview": True}, None, None),
    ({"silent": True}, {"is_disabled": True}, "true"),
    ({"preview": True, "silent": True}, None, "true"),
])
def test_preview_and_silent_flags_arrive_as_form_fields(
        telegram_api: TelegramAPIServer, flags: dict[str, bool], preview_field: Any,
        silent_field: str | None) -> None:
    run(telegram_api, lambda d: d.send(CHAT, "x", **flags))
    [call] = telegram_api.calls("sendMessage")
    assert call.params.get("link_preview_options") == preview_field
    assert call.params.get("disable_notification") == silent_field


def test_edit_replaces_the_text_and_an_unchanged_edit_is_success(
        telegram_api: TelegramAPIServer) -> None:
    async def go(d: TelegramDeliverer) -> None:
        sent = await d.send(CHAT, "<b>v1</b>")
        await d.edit(CHAT, sent.message_id, "<b>v2</b>")
        await d.edit(CHAT, sent.message_id, "<b>v2</b>")      # "message is not modified"
        await d.edit(str(sent.chat_id), sent.message_id, "<b>v2</b>", preview=True)
    run(telegram_api, go)
    [msg] = telegram_api.messages(CHAT)
    assert (msg.text, msg.history) == ("v2", ["v1"])
    edits = telegram_api.calls("editMessageText")
    assert [r.status for r in edits] == [200, 400, 400]
    assert edits[0].params["link_preview_options"] == {"is_disabled": True}
    assert "link_preview_options" not in edits[2].params


def test_get_me_returns_the_bot_user(telegram_api: TelegramAPIServer) -> None:
    me = run(telegram_api, lambda d: d.get_me())
    assert me["username"] == "newsbot_test_bot" and me["is_bot"] is True


def _timed_out(api: TelegramAPIServer) -> None:
    api.slow(1.0, "sendMessage")


# (setup, chat, text, expected error, check on it)
ERRORS: list[tuple[str, Callable[[TelegramAPIServer], Any], str, str, type[DeliveryError],
                   Callable[[Any], bool]]] = [
    ("flood", lambda api: api.flood(1, 7), CHAT, "x", RetryLater,
     lambda e: e.retry_after == 7.0 and isinstance(e.retry_after, float)),
    ("502", lambda api: api.server_error(502, method="sendMessage"), CHAT, "x", RetryLater,
     lambda e: e.retry_after is None),
    ("500", lambda api: api.server_error(500, method="sendMessage"), CHAT, "x", RetryLater,
     lambda e: e.retry_after is None),
    ("429-no-retry-after", lambda api: api.fail(429, "Too Many Requests"), CHAT, "x",
     RetryLater, lambda e: e.retry_after is None),
    ("answered-late", _timed_out, CHAT, "x", Unanswered,
     lambda e: "may have been posted" in str(e) and e.retry_after is None),
    ("unknown-400", lambda api: api.fail(400, "Bad Request: bot is not a member of the API"),
     CHAT, "x", ApiRefused, lambda e: not isinstance(e, Rejected)),
    ("400-echoing-the-path", lambda api: api.refuse_echoing_path(method="sendMessage"), CHAT,
     "x", ApiRefused, lambda e: "<TELEGRAM_BOT_TOKEN>" in str(e)),
    ("kicked", lambda api: api.forbid(CHAT), CHAT, "x", ChatUnavailable,
     lambda e: "kicked" in str(e) and not isinstance(e, TokenRejected)),
    ("chat-not-found", lambda api: setattr(api, "strict_chats", True), "@nowhere", "x",
     ChatUnavailable, lambda e: "Chat not found" in str(e)),
    ("migrated", lambda api: api.migrate(-4001, -1004001), "-4001", "x", ChatMigrated,
     lambda e: e.new_chat_id == -1004001),
    ("bad-html", lambda api: None, CHAT, "<p>x</p>", Rejected,
     lambda e: 'unsupported start tag "p"' in str(e)),
    ("too-long", lambda api: None, CHAT, "a" * 4097, Rejected,
     lambda e: "too long" in str(e)),
    ("empty", lambda api: None, CHAT, "<b> </b>", Rejected,
     lambda e: "text is empty" in str(e)),
]


@pytest.mark.parametrize(("setup", "chat", "text", "expected", "check"),
                         [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_ptb_errors_map_onto_the_newsbot_error_tree(
        telegram_api: TelegramAPIServer, setup: Callable[[TelegramAPIServer], Any], chat: str,
        text: str, expected: type[DeliveryError], check: Callable[[Any], bool]) -> None:
    setup(telegram_api)
    with pytest.raises(expected) as info:
        run(telegram_api, lambda d: d.send(chat, text), timeout=0.5)
    assert info.value.chat == chat
    assert check(info.value), str(info.value)
    assert telegram_api.token.split(":")[1].lower() not in _everything_about(info.value).lower()


@pytest.mark.parametrize("call", ["start", "get_me"])
def test_a_400_checking_the_bot_is_about_the_bot_and_never_shows_the_token(
        telegram_api: TelegramAPIServer, caplog: pytest.LogCaptureFixture, call: str) -> None:
    """PTB lower-cases what follows "Bad Request: " (str.capitalize): the token echoed in
    the path comes back as "123456:test-token", and must still be redacted."""
    caplog.set_level(logging.DEBUG)
    telegram_api.refuse_echoing_path(method="getMe")
    with pytest.raises(ApiRefused) as info:
        run(telegram_api, lambda d: d.get_me()) if call == "get_me" else \
            run(telegram_api, lambda d: d.send(CHAT, "x"))
    assert not isinstance(info.value, Rejected)
    assert "/bot<telegram_bot_token>/getme" in str(info.value).lower()
    secret = telegram_api.token.split(":")[1]
    assert secret.lower() not in (_everything_about(info.value) + caplog.text).lower()


def test_retry_after_is_seconds_also_with_ptb_timedelta(
        telegram_api: TelegramAPIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    telegram_api.flood(1, 12)
    with pytest.raises(RetryLater) as info:
        run(telegram_api, lambda d: d.send(CHAT, "x"))
    assert info.value.retry_after == 12.0


@pytest.mark.parametrize("started", [False, True], ids=["lazy-start", "after-start"])
def test_unreachable_api_is_retry_later_and_recovers(
        telegram_api: TelegramAPIServer, started: bool) -> None:
    async def go() -> tuple[RetryLater, Sent]:
        d = TelegramDeliverer(telegram_api.token, telegram_api.base_url, timeout=2)
        if started:
            await d.start()
        telegram_api.go_down()
        try:
            await d.send(CHAT, "x")
        except RetryLater as exc:
            failure = exc
        telegram_api.come_back()
        sent = await d.send(CHAT, "y")
        await d.close()
        return failure, sent
    failure, sent = asyncio.run(go())
    assert failure.chat == CHAT and failure.retry_after is None
    assert "network or server error from http://127.0.0.1:" in str(failure)
    assert sent.message_id == 1 and telegram_api.texts(CHAT) == ["y"]


def test_start_failure_is_retry_later_for_every_chat(telegram_api: TelegramAPIServer) -> None:
    telegram_api.server_error(502)
    with pytest.raises(RetryLater) as info:
        run(telegram_api, lambda d: d.get_me())
    assert info.value.chat == "*"


def _everything_about(exc: BaseException) -> str:
    """Message, repr, and the whole traceback with chained causes, as a log would show."""
    return "\n".join([str(exc), repr(exc), *traceback.format_exception(exc)])


@pytest.mark.parametrize("when", ["start", "send", "edit", "get_me"])
def test_a_rejected_token_is_named_but_never_shown(
        telegram_api: TelegramAPIServer, caplog: pytest.LogCaptureFixture, when: str) -> None:
    caplog.set_level(logging.DEBUG)
    deliverer = TelegramDeliverer(WRONG_TOKEN, telegram_api.base_url)
    call = {"start": lambda: deliverer.start(), "send": lambda: deliverer.send(CHAT, "x"),
            "edit": lambda: deliverer.edit(CHAT, 1, "x"), "get_me": lambda: deliverer.get_me()}

    async def go() -> None:
        try:
            await call[when]()
        finally:
            await deliverer.close()
    with pytest.raises(TokenRejected) as info:
        asyncio.run(go())
    assert isinstance(info.value, ApiRefused)      # about the bot: pauses every chat
    assert "TELEGRAM_BOT_TOKEN was rejected" in str(info.value)
    shown = _everything_about(info.value) + caplog.text
    assert "WRONG-SECRET" not in shown and WRONG_TOKEN not in shown
    assert telegram_api.requests[0].status == 401


def test_no_log_line_at_debug_carries_the_token(
        telegram_api: TelegramAPIServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    async def go(d: TelegramDeliverer) -> None:
        sent = await d.send(CHAT, "<b>hello</b>")
        await d.edit(CHAT, sent.message_id, "<b>hello again</b>")
    run(telegram_api, go)
    assert caplog.records, "PTB logs at DEBUG; the check below must see something"
    assert telegram_api.token.split(":")[1] not in caplog.text
    assert logging.getLogger("httpx").level == logging.WARNING
    assert logging.getLogger("httpcore").level == logging.WARNING


def test_loopback_api_ignores_proxy_settings(
        telegram_api: TelegramAPIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")     # nothing listens there
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    assert run(telegram_api, lambda d: d.send(CHAT, "x")).message_id == 1


def test_empty_token_is_a_config_error_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        TelegramDeliverer("  ")


def test_a_token_picks_telegram_else_the_console() -> None:
    example = ROOT / "config" / "example.yaml"
    assert isinstance(make_deliverer(load(example, env={})), ConsoleDeliverer)
    env = {"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_API_URL": "http://127.0.0.1:1"}
    chosen = make_deliverer(load(example, env=env))
    assert isinstance(chosen, TelegramDeliverer) and isinstance(chosen, Deliverer)


# -- console ----------------------------------------------------------------------------------

class _TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


POST = '<b>Sanctions &amp; tariffs</b>\n<a href="https://ex.com/a?x=1&amp;y=2">Read</a> · ' \
       '<i>Reuters</i> &lt;3 <a href="https://ex.com">https://ex.com</a>'


def test_console_prints_posts_as_readable_text_with_header_and_separator() -> None:
    out = io.StringIO()

    async def go() -> tuple[Sent, Sent, Sent]:
        async with ConsoleDeliverer(out) as d:
            return (await d.send(CHAT, POST), await d.send(CHAT, "two", silent=True),
                    await d.send("-100123", "other"))
    first, second, other = asyncio.run(go())
    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)
    assert first.chat_id == second.chat_id and other.chat_id == -100123
    blocks = out.getvalue().split("─" * 60 + "\n")
    assert blocks[0] == ""
    assert blocks[1] == ("→ @newsroom\nSanctions & tariffs\n"
                         "Read (https://ex.com/a?x=1&y=2) · Reuters <3 https://ex.com\n")
    assert blocks[2] == "→ @newsroom (silent)\ntwo\n"
    assert "\x1b[" not in out.getvalue()


def test_console_uses_ansi_bold_only_on_a_terminal() -> None:
    out = _TTY()
    asyncio.run(ConsoleDeliverer(out).send(CHAT, "<b>big</b> <i>it</i>"))
    assert "\x1b[1mbig\x1b[22m \x1b[3mit\x1b[23m" in out.getvalue()


def test_console_edit_names_the_message_and_shows_the_new_text() -> None:
    out = io.StringIO()

    async def go() -> None:
        d = ConsoleDeliverer(out)
        sent = await d.send(CHAT, "v1")
        await d.edit(CHAT, sent.message_id, "<b>v2</b>")
    asyncio.run(go())
    assert out.getvalue().endswith("(edit of message 1 in @newsroom)\nv2\n")


@pytest.mark.parametrize(("html", "text"), [
    ("<blockquote>a\nb</blockquote>", "│ a\n│ b"),
    ("<a>no href</a>", "no href"),
    ("<b>unclosed", "unclosed"),
    ("&quot;q&quot; &#8212; ok", '"q" — ok'),
    ("<tg-spoiler>hidden</tg-spoiler> <code>x &lt; y</code>", "hidden x < y"),
])
def test_terminal_text_reads_like_the_post(html: str, text: str) -> None:
    assert terminal_text(html) == text


def test_close_then_send_starts_again(telegram_api: TelegramAPIServer) -> None:
    async def go() -> list[int]:
        d = TelegramDeliverer(telegram_api.token, telegram_api.base_url)
        first = await d.send(CHAT, "one")
        await d.close()
        await d.close()                      # twice is harmless
        second = await d.send(CHAT, "two")
        await d.close()
        return [first.message_id, second.message_id]
    assert asyncio.run(go()) == [1, 2]
    assert [r.method for r in telegram_api.requests] == ["getMe", "sendMessage"] * 2


def test_concurrent_sends_share_one_pool_and_all_arrive(telegram_api: TelegramAPIServer) -> None:
    async def go(d: TelegramDeliverer) -> list[Sent]:
        return list(await asyncio.gather(*(d.send(CHAT, f"<b>n{i}</b>") for i in range(40))))
    sent = run(telegram_api, go)
    assert sorted(s.message_id for s in sent) == list(range(1, 41))
    assert sorted(telegram_api.texts(CHAT)) == sorted(f"n{i}" for i in range(40))


def test_a_real_per_chat_rate_limit_becomes_retry_later_with_its_wait(
        telegram_api: TelegramAPIServer) -> None:
    telegram_api.set_rate_limit(2)

    async def go(d: TelegramDeliverer) -> RetryLater:
        await d.send(CHAT, "a")
        await d.send(CHAT, "b")
        with pytest.raises(RetryLater) as info:
            await d.send(CHAT, "c")
        await d.send("@other", "d")          # another chat is not held back
        return info.value
    failure = run(telegram_api, go)
    assert failure.retry_after is not None and 58 <= failure.retry_after <= 60
