"""The Bot API stand-in behaves like the real Bot API, checked over real HTTP on loopback.

Raw calls use httpx (form bodies, as PTB sends them); the PTB-facing checks use a real
``telegram.Bot`` pointed at the stand-in, so what PTB raises is what newsbot will see.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import telegram
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import HTTPXRequest

from tests.conftest import ROOT
from tests.fakes.telegram_api import TelegramAPIServer

CHAT = "@newsroom"


def call(api: TelegramAPIServer, method: str, *, token: str | None = None,
         http_timeout: float = 15, **params: Any) -> tuple[int, dict[str, Any]]:
    """POST a form like PTB does: dicts/lists as JSON strings, booleans as true/false."""
    form = {k: json.dumps(v) if isinstance(v, dict | list | bool) else str(v)
            for k, v in params.items()}
    with httpx.Client(trust_env=False, timeout=http_timeout) as client:
        r = client.post(f"{api.base_url}/bot{token or api.token}/{method}", data=form)
    return r.status_code, r.json()


def send_html(api: TelegramAPIServer, text: str, chat: str = CHAT) -> tuple[int, dict[str, Any]]:
    return call(api, "sendMessage", chat_id=chat, text=text, parse_mode="HTML")


def with_bot(api: TelegramAPIServer, fn: Callable[[telegram.Bot], Awaitable[Any]],
             token: str | None = None, read_timeout: float = 5) -> Any:
    async def run() -> Any:
        request = HTTPXRequest(read_timeout=read_timeout, httpx_kwargs={"trust_env": False})
        bot = telegram.Bot(token or api.token, base_url=api.bot_base_url, request=request)
        try:
            return await fn(bot)
        finally:
            await bot.shutdown()
    return asyncio.run(run())


# -- HTML parse mode (https://core.telegram.org/bots/api#html-style) -----------------------

GOOD_HTML = [
    ("<b>bold</b> <strong>s</strong> <i>i</i> <em>e</em>", "bold s i e",
     ["bold", "bold", "italic", "italic"]),
    ("<u>u</u><ins>i</ins><s>s</s><strike>k</strike><del>d</del>", "uiskd",
     ["underline", "underline", "strikethrough", "strikethrough", "strikethrough"]),
    ('<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler>', "xy", ["spoiler", "spoiler"]),
    ('<a href="https://ex.com/?a=1&amp;b=2">link</a>', "link", ["text_link"]),
    ("<code>x &lt; y</code> <pre>p</pre>", "x < y p", ["code", "pre"]),
    ('<pre><code class="language-python">a=1</code></pre>', "a=1", ["pre"]),
    ("<blockquote>q</blockquote><blockquote expandable>e</blockquote>", "qe",
     ["blockquote", "expandable_blockquote"]),
    ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍", ["custom_emoji"]),
    ("&lt;&gt;&amp;&quot; &#38; &#x263A; 5 > 3", '<>&" & ☺ 5 > 3', []),
    ("<B>upper-case tags</B>", "upper-case tags", ["bold"]),
    ("<b>nested <i>fine</i></b>", "nested fine", ["bold", "italic"]),
    ("  padded  ", "padded", []),
]


@pytest.mark.parametrize(("html", "text", "types"), GOOD_HTML, ids=[g[0][:30] for g in GOOD_HTML])
def test_allowed_html_is_accepted_and_parsed_to_text_and_entities(
        telegram_api: TelegramAPIServer, html: str, text: str, types: list[str]) -> None:
    status, body = send_html(telegram_api, html)
    assert (status, body["ok"]) == (200, True), body
    assert body["result"]["text"] == text
    assert [e["type"] for e in body["result"].get("entities", [])] == types
    assert telegram_api.texts(CHAT) == [text]


def test_entity_offsets_are_utf16_code_units(telegram_api: TelegramAPIServer) -> None:
    _, body = send_html(telegram_api, "😀 <b>x</b>")
    assert body["result"]["entities"] == [{"type": "bold", "offset": 3, "length": 1}]


BAD_HTML = [
    ("<p>para</p>", 'Unsupported start tag "p" at byte offset 0'),
    ("<br>", 'Unsupported start tag "br" at byte offset 0'),
    ("a <div>x</div>", 'Unsupported start tag "div" at byte offset 2'),
    ("é<p>", 'Unsupported start tag "p" at byte offset 2'),
    ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
    ("x<b", "Unclosed start tag at byte offset 1"),
    ('<a href="x>t</a>', "Unclosed start tag at byte offset 0"),
    ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("<b>x</b", "Unclosed end tag at byte offset 4"),
    ('<span class="red">x</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ("Q&A", 'Unsupported HTML entity "&" at byte offset 1; escape "&" as "&amp;"'),
    ("a&nbsp;b", 'Unsupported HTML entity "&nbsp;" at byte offset 1; escape "&" as "&amp;"'),
    ("&mdash;", 'Unsupported HTML entity "&mdash;" at byte offset 0; escape "&" as "&amp;"'),
]


@pytest.mark.parametrize(("html", "reason"), BAD_HTML, ids=[b[0] for b in BAD_HTML])
def test_bad_html_is_refused_with_the_real_description(
        telegram_api: TelegramAPIServer, html: str, reason: str) -> None:
    status, body = send_html(telegram_api, html)
    assert status == 400
    assert body == {"ok": False, "error_code": 400,
                    "description": f"Bad Request: can't parse entities: {reason}"}
    assert telegram_api.messages(CHAT) == []


LENGTHS = [
    ("a" * 4096, 200),
    ("a" * 4097, 400),
    ("<b>" + "a" * 4096 + "</b>", 200),          # tags do not count, only the parsed text
    ("&amp;" * 4096, 200),
    ("😀" * 2048, 200),                            # 2 UTF-16 code units each
    ("😀" * 2048 + "a", 400),
]


@pytest.mark.parametrize(("html", "status"), LENGTHS, ids=["4096", "4097", "tags-free",
                                                           "entities-count-1", "emoji-4096",
                                                           "emoji-4097"])
def test_length_limit_counts_utf16_units_of_parsed_text(
        telegram_api: TelegramAPIServer, html: str, status: int) -> None:
    got, body = send_html(telegram_api, html)
    assert got == status
    if status == 400:
        assert body["description"] == "Bad Request: message is too long"


@pytest.mark.parametrize("text", ["", "   ", "<b></b>", "<b> </b>\n"])
def test_empty_text_is_refused(telegram_api: TelegramAPIServer, text: str) -> None:
    assert send_html(telegram_api, text) == (400, {
        "ok": False, "error_code": 400, "description": "Bad Request: message text is empty"})


def test_without_parse_mode_text_is_taken_literally(telegram_api: TelegramAPIServer) -> None:
    status, body = call(telegram_api, "sendMessage", chat_id=CHAT, text="<p>Q&A</p>")
    assert status == 200 and body["result"]["text"] == "<p>Q&A</p>"


def test_lenient_mode_shows_bare_ampersands_literally_like_the_real_server() -> None:
    with TelegramAPIServer(strict_ampersand=False) as api:
        _, body = send_html(api, "Q&A a&nbsp;b")
        assert body["result"]["text"] == "Q&A a&nbsp;b"


# -- wire protocol (https://core.telegram.org/bots/api#making-requests) --------------------

def test_form_json_and_multipart_bodies_are_all_understood(
        telegram_api: TelegramAPIServer) -> None:
    url = f"{telegram_api.base_url}/bot{telegram_api.token}/sendMessage"
    preview = {"is_disabled": True}
    with httpx.Client(trust_env=False) as client:
        a = client.post(url, data={"chat_id": CHAT, "text": "form",
                                   "link_preview_options": json.dumps(preview)})
        b = client.post(url, json={"chat_id": CHAT, "text": "json",
                                   "link_preview_options": preview})
        c = client.post(url, data={"chat_id": CHAT, "text": "multi",
                                   "link_preview_options": json.dumps(preview)},
                        files={"doc": ("a.txt", b"abc")})
        d = client.get(url, params={"chat_id": CHAT, "text": "query"})
    assert [r.status_code for r in (a, b, c, d)] == [200, 200, 200, 200]
    assert telegram_api.texts(CHAT) == ["form", "json", "multi", "query"]
    sent = telegram_api.calls("sendMessage")
    assert [r.params.get("link_preview_options") for r in sent] == [preview] * 3 + [None]
    assert all(r.status == 200 for r in sent)


ANSWERS = [   # (path suffix after base_url, status, description)
    ("/bot999:WRONG/getMe", 401, "Unauthorized"),
    ("/bot999:WRONG/noSuchMethod", 401, "Unauthorized"),   # the token is checked first
    ("/botMALFORMED/getMe", 404, "Not Found"),
    ("/bot{token}/noSuchMethod", 404, "Not Found"),
    ("/{token}/getMe", 404, "Not Found"),
    ("/bot{token}/getMe/extra", 404, "Not Found"),
]


@pytest.mark.parametrize(("path", "status", "description"), ANSWERS,
                         ids=["wrong-token", "wrong-token-first", "malformed-token",
                              "unknown-method",
                              "no-bot-prefix", "extra-path"])
def test_errors_are_json_with_http_status_equal_to_error_code(
        telegram_api: TelegramAPIServer, path: str, status: int, description: str) -> None:
    with httpx.Client(trust_env=False) as client:
        r = client.post(telegram_api.base_url + path.format(token=telegram_api.token))
    assert r.status_code == status
    assert r.json() == {"ok": False, "error_code": status, "description": description}


def test_method_names_are_case_insensitive_like_the_real_api(
        telegram_api: TelegramAPIServer) -> None:
    assert call(telegram_api, "getme")[0] == 200


def test_send_returns_a_message_with_ids_counting_up_per_chat(
        telegram_api: TelegramAPIServer) -> None:
    ids = [send_html(telegram_api, f"n{i}", chat)[1]["result"]["message_id"]
           for i, chat in enumerate([CHAT, CHAT, "@other", CHAT])]
    assert ids == [1, 2, 1, 3]
    _, body = send_html(telegram_api, "x")
    msg = body["result"]
    numeric = msg["chat"]["id"]
    assert msg["chat"] == {"id": numeric, "type": "channel", "username": "newsroom",
                           "title": "newsroom"}
    assert numeric < -1000000000000 and isinstance(msg["date"], int)
    assert "sender_chat" in msg and "from" not in msg     # channel posts have no "from"
    # the numeric id reaches the same chat as the @username
    assert send_html(telegram_api, "by id", str(numeric))[1]["result"]["message_id"] == 5
    assert telegram_api.texts(numeric) == telegram_api.texts(CHAT)


def test_edit_changes_the_text_and_same_text_is_not_modified(
        telegram_api: TelegramAPIServer) -> None:
    send_html(telegram_api, "<b>v1</b>")
    edit = {"chat_id": CHAT, "message_id": 1, "parse_mode": "HTML"}
    status, body = call(telegram_api, "editMessageText", text="<b>v2</b>", **edit)
    assert status == 200 and body["result"]["text"] == "v2" and "edit_date" in body["result"]
    status, body = call(telegram_api, "editMessageText", text="<b>v2</b>", **edit)
    assert status == 400
    assert body["description"].startswith("Bad Request: message is not modified: ")
    status, body = call(telegram_api, "editMessageText", text="<i>v2</i>", **edit)
    assert status == 200, "other entities are a modification"
    edit["message_id"] = 99
    status, body = call(telegram_api, "editMessageText", text="v3", **edit)
    assert (status, body["description"]) == (400, "Bad Request: message to edit not found")
    [msg] = telegram_api.messages(CHAT)
    assert (msg.text, msg.html, msg.history) == ("v2", "<i>v2</i>", ["v1", "v2"])


# -- chats -----------------------------------------------------------------------------

CHAT_ERRORS = [  # (setup, chat, status, description, parameters)
    (lambda api: setattr(api, "strict_chats", True), "@nowhere", 400,
     "Bad Request: chat not found", None),
    (lambda api: api.forbid(CHAT), CHAT, 403,
     "Forbidden: bot was kicked from the channel chat", None),
    (lambda api: api.migrate(-4001, -1004001), "-4001", 400,
     "Bad Request: group chat was upgraded to a supergroup chat",
     {"migrate_to_chat_id": -1004001}),
    (lambda api: None, "not-a-chat", 400, "Bad Request: chat not found", None),
]


@pytest.mark.parametrize(("setup", "chat", "status", "description", "parameters"), CHAT_ERRORS,
                         ids=["unknown-chat", "kicked", "migrated", "malformed-id"])
def test_chat_problems_answer_like_the_real_api(
        telegram_api: TelegramAPIServer, setup: Callable[[TelegramAPIServer], None], chat: str,
        status: int, description: str, parameters: dict[str, Any] | None) -> None:
    setup(telegram_api)
    got, body = send_html(telegram_api, "hello", chat)
    expected: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        expected["parameters"] = parameters
    assert (got, body) == (status, expected)


def test_strict_chats_accept_only_registered_chats(telegram_api: TelegramAPIServer) -> None:
    telegram_api.strict_chats = True
    chat_id = telegram_api.add_chat("@known")
    assert send_html(telegram_api, "a", "@known")[0] == 200
    assert send_html(telegram_api, "b", str(chat_id))[0] == 200
    assert send_html(telegram_api, "c", "@unknown")[0] == 400


# -- PTB sees the errors it would see from Telegram ------------------------------------------

PTB_CASES = [  # (setup, chat, PTB exception, check)
    (lambda api: api.flood(1, retry_after=7), CHAT, RetryAfter,
     lambda e: e.retry_after in (7, __import__("datetime").timedelta(seconds=7))),
    (lambda api: api.forbid(CHAT), CHAT, Forbidden,
     lambda e: "kicked" in str(e)),
    (lambda api: api.migrate(-4001, -1004001), "-4001", ChatMigrated,
     lambda e: e.new_chat_id == -1004001),
    (lambda api: setattr(api, "strict_chats", True), "@gone", BadRequest,
     lambda e: str(e) == "Chat not found"),
    (lambda api: api.server_error(502), CHAT, NetworkError,
     lambda e: "Bad Gateway (502)" in str(e) and not isinstance(e, BadRequest)),
    (lambda api: api.server_error(500), CHAT, NetworkError,
     lambda e: str(e) == "Internal Server Error"),
    (lambda api: api.fail(429, "Too Many Requests"), CHAT, NetworkError,
     lambda e: not isinstance(e, RetryAfter)),     # 429 without retry_after (field notes)
]


@pytest.mark.parametrize(("setup", "chat", "exc_type", "check"), PTB_CASES,
                         ids=["429-retry-after", "403-forbidden", "migrated", "chat-not-found",
                              "502-html-page", "500-json", "429-without-retry-after"])
def test_ptb_raises_its_own_error_types_for_the_stand_in_answers(
        telegram_api: TelegramAPIServer, setup: Callable[[TelegramAPIServer], None], chat: str,
        exc_type: type[Exception], check: Callable[[Any], bool]) -> None:
    setup(telegram_api)
    with pytest.raises(exc_type) as info:
        with_bot(telegram_api, lambda bot: bot.send_message(chat, "hi"))
    assert check(info.value), repr(info.value)


def test_ptb_bad_html_and_not_modified_are_bad_requests(telegram_api: TelegramAPIServer) -> None:
    async def go(bot: telegram.Bot) -> list[str]:
        errors = []
        for text in ("<p>x</p>", "ok"):
            try:
                await bot.send_message(CHAT, text, parse_mode="HTML")
            except BadRequest as exc:
                errors.append(str(exc))
        try:
            await bot.edit_message_text("ok", chat_id=CHAT, message_id=1, parse_mode="HTML")
        except BadRequest as exc:
            errors.append(str(exc))
        return errors
    errors = with_bot(telegram_api, go)
    assert errors[0] == "Can't parse entities: unsupported start tag \"p\" at byte offset 0"
    assert errors[1].startswith("Message is not modified")


def test_ptb_wrong_token_is_invalid_token(telegram_api: TelegramAPIServer) -> None:
    with pytest.raises(InvalidToken):
        with_bot(telegram_api, lambda bot: bot.get_me(), token="999:WRONG")


def test_ptb_bot_methods_the_bot_uses_work(telegram_api: TelegramAPIServer) -> None:
    async def go(bot: telegram.Bot) -> tuple[Any, ...]:
        async with bot:
            await bot.delete_webhook()
            await bot.set_my_commands([("status", "Show status"), ("help", "Help")])
            chat = await bot.get_chat(CHAT)
            msg = await bot.send_message(CHAT, "<b>hi</b>", parse_mode="HTML",
                                         disable_notification=True)
            return bot.username, chat.username, msg.text, msg.entities[0].type
    assert with_bot(telegram_api, go) == ("newsbot_test_bot", "newsroom", "hi", "bold")
    [cmds] = telegram_api.calls("setMyCommands")
    assert cmds.params["commands"] == [{"command": "status", "description": "Show status"},
                                       {"command": "help", "description": "Help"}]
    assert telegram_api.calls("sendMessage")[0].params["disable_notification"] == "true"


# -- getUpdates (https://core.telegram.org/bots/api#getupdates) ----------------------------

def test_pushed_message_is_a_real_update_with_command_entities(
        telegram_api: TelegramAPIServer) -> None:
    telegram_api.push_message(42, 42, "/status@newsbot_test_bot now")
    updates = with_bot(telegram_api, lambda bot: bot.get_updates(timeout=0))
    [update] = updates
    msg = update.message
    assert (msg.from_user.id, msg.chat.id, msg.chat.type) == (42, 42, "private")
    assert msg.text == "/status@newsbot_test_bot now"
    assert msg.entities[0].type == "bot_command" and msg.entities[0].length == 24
    assert msg.parse_entities(["bot_command"]) != {}


def test_offset_confirms_updates_and_timeout_zero_answers_at_once(
        telegram_api: TelegramAPIServer) -> None:
    ids = [telegram_api.push_message(7, -100777, f"/n{i}")["update_id"] for i in range(3)]
    _, body = call(telegram_api, "getUpdates", timeout=0)
    assert [u["update_id"] for u in body["result"]] == ids
    _, body = call(telegram_api, "getUpdates", offset=ids[1], timeout=0)
    assert [u["update_id"] for u in body["result"]] == ids[1:]
    _, body = call(telegram_api, "getUpdates", offset=ids[2] + 1, timeout=0)
    assert body["result"] == []
    started = time.monotonic()
    _, body = call(telegram_api, "getUpdates", timeout=0)
    assert body["result"] == [] and time.monotonic() - started < 0.5, "confirmed stay gone"


def test_long_poll_waits_for_an_update_and_wakes_when_one_arrives(
        telegram_api: TelegramAPIServer) -> None:
    started = time.monotonic()
    assert call(telegram_api, "getUpdates", timeout=1)[1]["result"] == []
    assert 0.9 < time.monotonic() - started < 3
    threading.Timer(0.3, telegram_api.push_message, (5, 5, "hello")).start()
    started = time.monotonic()
    _, body = call(telegram_api, "getUpdates", timeout=10)
    assert [u["message"]["text"] for u in body["result"]] == ["hello"]
    assert time.monotonic() - started < 3


def test_a_second_poller_ends_the_first_with_409_conflict(
        telegram_api: TelegramAPIServer) -> None:
    first: list[tuple[int, dict[str, Any]]] = []
    t = threading.Thread(target=lambda: first.append(call(telegram_api, "getUpdates",
                                                          timeout=5)))
    t.start()
    time.sleep(0.3)
    call(telegram_api, "getUpdates", timeout=0)
    t.join(5)
    assert first[0][0] == 409
    assert first[0][1]["description"].startswith("Conflict: terminated by other getUpdates")


# -- failure injection ---------------------------------------------------------------------

def test_flood_answers_429_n_times_then_accepts(telegram_api: TelegramAPIServer) -> None:
    telegram_api.flood(2, retry_after=4)
    answers = [send_html(telegram_api, f"m{i}") for i in range(3)]
    assert [s for s, _ in answers] == [429, 429, 200]
    assert answers[0][1] == {"ok": False, "error_code": 429,
                             "description": "Too Many Requests: retry after 4",
                             "parameters": {"retry_after": 4}}
    assert telegram_api.texts(CHAT) == ["m2"]


def test_rate_limit_is_a_sliding_minute_per_chat_with_the_real_retry_after(
        telegram_api: TelegramAPIServer) -> None:
    telegram_api.set_rate_limit(3)
    assert [send_html(telegram_api, f"a{i}")[0] for i in range(3)] == [200] * 3
    status, body = send_html(telegram_api, "a3")
    assert status == 429 and 58 <= body["parameters"]["retry_after"] <= 60
    assert send_html(telegram_api, "b0", "@elsewhere")[0] == 200, "other chats are separate"
    numeric = telegram_api.chat_id(CHAT)
    assert send_html(telegram_api, "by id", str(numeric))[0] == 429, "same chat by numeric id"
    assert telegram_api.texts(CHAT) == ["a0", "a1", "a2"]


def test_server_errors_for_a_while_then_recovery(telegram_api: TelegramAPIServer) -> None:
    telegram_api.server_error(502, seconds=1.0)
    with httpx.Client(trust_env=False) as client:
        url = f"{telegram_api.base_url}/bot{telegram_api.token}/getMe"
        during = [client.post(url) for _ in range(3)]
        time.sleep(1.1)
        after = client.post(url)
    assert [r.status_code for r in during] == [502] * 3
    assert during[0].headers["content-type"] == "text/html"     # nginx's page, not JSON
    assert after.status_code == 200


def test_down_refuses_connections_and_comes_back_on_the_same_port(
        telegram_api: TelegramAPIServer) -> None:
    port = telegram_api.port
    assert call(telegram_api, "getMe")[0] == 200
    telegram_api.go_down()
    with pytest.raises(httpx.ConnectError):
        call(telegram_api, "getMe")
    with pytest.raises(NetworkError):
        with_bot(telegram_api, lambda bot: bot.send_message(CHAT, "x"))
    telegram_api.come_back()
    assert telegram_api.port == port and call(telegram_api, "getMe")[0] == 200
    telegram_api.down_for(0.3)
    time.sleep(0.6)
    assert call(telegram_api, "getMe")[0] == 200


def test_slow_answers_time_out_the_client_but_the_message_was_posted(
        telegram_api: TelegramAPIServer) -> None:
    telegram_api.slow(1.0, "sendMessage")
    with pytest.raises(TimedOut):
        with_bot(telegram_api, lambda bot: bot.send_message(CHAT, "late"), read_timeout=0.2)
    assert telegram_api.texts(CHAT) == ["late"]      # the duplicate-on-retry window is real
    telegram_api.slow(0)
    assert send_html(telegram_api, "fast")[0] == 200


def test_concurrent_sends_get_distinct_ids_and_are_all_recorded(
        telegram_api: TelegramAPIServer) -> None:
    threads = [threading.Thread(target=send_html, args=(telegram_api, f"t{i}"))
               for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(m.message_id for m in telegram_api.messages(CHAT)) == list(range(1, 21))
    assert len(telegram_api.calls("sendMessage")) == 20


def test_runs_standalone_and_prints_what_it_receives() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakes.telegram_api", "--port", "0",
                             "--rate-limit", "20"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert "TELEGRAM_API_URL=http://127.0.0.1:" in banner
        base = banner.split("TELEGRAM_API_URL=")[1].split()[0]
        with httpx.Client(trust_env=False) as client:
            r = client.post(f"{base}/bot123456:TEST-TOKEN/sendMessage",
                            data={"chat_id": "@x", "text": "<b>hi</b>", "parse_mode": "HTML"})
        assert r.json()["result"]["text"] == "hi"
        line = proc.stdout.readline()
        assert "200 sendMessage chat_id='@x' text='<b>hi</b>'" in line
    finally:
        proc.terminate()
        proc.wait(10)


FORUM = -1003330001


@pytest.mark.parametrize(("params", "status", "says"), [
    ({"message_thread_id": 45}, 200, None),
    ({"message_thread_id": 46}, 400, "message thread not found"),        # no such topic
    ({"link_preview_options": {"url": "https://img.example/a.jpg", "prefer_large_media": True,
                               "show_above_text": True}}, 200, None),
    ({"link_preview_options": {"url": "javascript:alert(1)"}}, 400, "wrong HTTP URL"),
    ({"link_preview_options": {"is_disabled": "yes"}}, 400, "link preview options"),
])
def test_send_message_checks_forum_topics_and_link_previews(telegram_api, params: dict,
                                                            status: int,
                                                            says: str | None) -> None:
    telegram_api.add_forum(FORUM, topics=(45,))
    code, body = call(telegram_api, "sendMessage", chat_id=FORUM, text="hi", **params)
    assert code == status and (says is None or says in body["description"]), body
    if status == 200 and "message_thread_id" in params:
        assert body["result"]["message_thread_id"] == 45 and body["result"]["is_topic_message"]


def test_a_thread_outside_a_forum_is_refused(telegram_api) -> None:
    code, body = call(telegram_api, "sendMessage", chat_id=CHAT, text="hi", message_thread_id=3)
    assert code == 400 and "message thread not found" in body["description"]


def test_command_menus_are_kept_per_scope(telegram_api) -> None:
    telegram_api.add_chat(111, "private")
    menu = [{"command": "status", "description": "how it is going"}]
    scope = {"type": "chat", "chat_id": 111}
    assert call(telegram_api, "setMyCommands", commands=menu, scope=scope)[0] == 200
    assert telegram_api.menu(scope) == menu and telegram_api.menu() == []
    assert call(telegram_api, "getMyCommands", scope=scope)[1]["result"] == menu
    telegram_api.strict_chats = True            # a user who never wrote to the bot
    code, body = call(telegram_api, "setMyCommands", commands=menu,
                      scope={"type": "chat", "chat_id": 222})
    assert code == 400 and "chat not found" in body["description"]
    code, body = call(telegram_api, "setMyCommands", commands=menu, scope={"type": "nope"})
    assert code == 400
