"""The sender on real SQLite and PostgreSQL, posting through PTB to the Bot API stand-in on
loopback: pacing, flood control, outages, unavailable and migrated chats, quiet hours, edits."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

from bot.deliver.pacing import WINDOW
from bot.deliver.sender import EDIT_WAIT
from bot.metrics import REGISTRY
from bot.models import utcnow
from bot.store import ArticleRecord, OutboxItem
from tests.fakes.telegram_api import TelegramAPIServer
from tests.outbox_helpers import (
    FEED,
    T0,
    Clock,
    drain_until_empty,
    make_sender,
    open_store,
    queue,
    record_article,
    rows,
    run,
    title,
)

CHAT = "@wire_watch"


def sends(api: TelegramAPIServer, chat: str | None = None) -> list:
    return [r for r in api.calls("sendMessage")
            if chat is None or str(r.params.get("chat_id")) == chat]


def test_posts_go_out_oldest_first_and_are_marked_sent(
        telegram_api: TelegramAPIServer, db_url: str) -> None:
    store = open_store(db_url)
    queue(store, [3, 1, 2], CHAT)
    sender = make_sender(store, telegram_api, clock=Clock())
    assert run(sender, sender.drain) == 3
    assert [unescape(t) for t in telegram_api.texts(CHAT)] == [title(1), title(2), title(3)]
    assert {r["state"] for r in rows(store)} == {"sent"}
    assert all(r["message_id"] and r["lease_owner"] is None for r in rows(store))


def test_pacing_leaves_rows_unclaimed_and_costs_no_attempts(
        telegram_api: TelegramAPIServer, db_url: str) -> None:
    store, clock = open_store(db_url), Clock()
    queue(store, range(5), CHAT)
    sender = make_sender(store, telegram_api, clock=clock, per_chat_per_minute=3,
                         digest_after=100)

    async def go() -> tuple[int, int, object]:
        first = await sender.drain()
        again = await sender.drain()          # same instant: nothing to do, nothing claimed
        return first, again, await sender.next_wake()

    first, again, wake = run(sender, go)
    assert (first, again) == (3, 0)
    assert len(sends(telegram_api)) == 3      # no request was made only to be deferred
    waiting = [r for r in rows(store) if r["state"] == "pending"]
    assert len(waiting) == 2
    assert all(r["attempts"] == 0 and r["lease_owner"] is None for r in waiting)
    assert wake == T0 + WINDOW                # sleeps until the window frees a slot
    clock.advance(WINDOW.total_seconds())
    assert run(sender, sender.drain) == 2


def test_forum_topics_of_one_group_share_its_pace(telegram_api: TelegramAPIServer,
                                                  db_url: str) -> None:
    """Telegram counts messages per chat: two topics of one supergroup are one window."""
    forum = telegram_api.add_forum(-1007770001, topics=(1, 2))
    store = open_store(db_url)
    queue(store, [1, 2], f"{forum}:1")
    queue(store, [3, 4], f"{forum}:2")
    sender = make_sender(store, telegram_api, clock=Clock(), per_chat_per_minute=3,
                         digest_after=100)
    assert run(sender, sender.drain) == 3
    threads = sorted(r.params["message_thread_id"] for r in sends(telegram_api, str(forum)))
    assert threads == ["1", "1", "2"]
    assert len(telegram_api.texts(forum, thread=1)) == 2


def test_pacing_survives_a_restart(telegram_api: TelegramAPIServer, db_url: str) -> None:
    store, clock = open_store(db_url), Clock()
    queue(store, range(4), CHAT)
    first = make_sender(store, telegram_api, clock=clock, per_chat_per_minute=2,
                        digest_after=100)
    assert run(first, first.drain) == 2
    clock.advance(10)
    second = make_sender(store, telegram_api, clock=clock, per_chat_per_minute=2,
                         digest_after=100)
    assert run(second, second.drain) == 0     # the last minute's sends are in the database


def test_retry_after_pauses_only_that_chat_and_is_honoured(
        telegram_api: TelegramAPIServer, db_url: str) -> None:
    store = open_store(db_url)
    now = utcnow()
    queue(store, range(3), CHAT, now=now)
    queue(store, range(10, 13), "@other_chat", now=now)
    telegram_api.flood(times=1, retry_after=1)     # the first request, to CHAT
    sender = make_sender(store, telegram_api)
    counted = REGISTRY.get_sample_value("newsbot_telegram_429_total") or 0
    run(sender, lambda: drain_until_empty(sender))
    assert REGISTRY.get_sample_value("newsbot_telegram_429_total") == counted + 1
    calls = sends(telegram_api)
    flooded = [r for r in calls if r.status == 429]
    assert len(flooded) == 1 and flooded[0].params["chat_id"] == CHAT
    later = [r for r in sends(telegram_api, CHAT) if r.time > flooded[0].time]
    assert later and min(r.time for r in later) >= flooded[0].time + 1
    other = sends(telegram_api, "@other_chat")     # not held up by CHAT's pause
    assert other[0].time < flooded[0].time + 1
    assert len(telegram_api.texts(CHAT)) == 3 and len(telegram_api.texts("@other_chat")) == 3


def test_5xx_and_refused_connections_retry_with_backoff_in_order(
        telegram_api: TelegramAPIServer, db_url: str) -> None:
    store = open_store(db_url)
    queue(store, range(4), CHAT, now=utcnow())
    telegram_api.server_error(502, times=2, method="sendMessage")
    sender = make_sender(store, telegram_api, retry_base=timedelta(seconds=0.1),
                         retry_max=timedelta(seconds=0.3))

    async def go() -> None:
        telegram_api.down_for(0.5)            # and connections refused for a while
        await drain_until_empty(sender)

    run(sender, go)
    assert [unescape(t) for t in telegram_api.texts(CHAT)] == [title(n) for n in range(4)]
    assert all(r["attempts"] == 0 for r in rows(store))     # the chat failed, not the rows
    assert store.pauses.all() == {}                          # the run of failures ended


def test_forbidden_chat_keeps_rows_alerts_the_operator_and_retries(
        telegram_api: TelegramAPIServer, db_url: str) -> None:
    store = open_store(db_url)
    queue(store, range(2), CHAT, now=utcnow())
    telegram_api.add_chat(CHAT)
    telegram_api.forbid(CHAT)
    sender = make_sender(store, telegram_api, operator_chat="@ops_room",
                         unavailable_retry=timedelta(seconds=1))

    async def go() -> None:
        await sender.drain()
        await sender.drain()
        assert len(telegram_api.texts("@ops_room")) == 1
        assert all(r["state"] == "pending" for r in rows(store, CHAT))
        telegram_api.state.chat(CHAT).forbidden = False      # the bot is added back
        await drain_until_empty(sender)

    run(sender, go)
    [alert] = telegram_api.texts("@ops_room")
    assert CHAT in alert and "Forbidden" in alert
    assert len(telegram_api.texts(CHAT)) == 2
    assert len(sends(telegram_api, CHAT)) == 3       # one refused, then retried slowly


def test_migrated_group_is_followed_now_and_for_later_posts(
        telegram_api: TelegramAPIServer, db_url: str) -> None:
    store = open_store(db_url)
    old, new = "-4001", -1009990001
    telegram_api.add_chat(int(old), "group")
    telegram_api.migrate(int(old), new)
    queue(store, range(2), old)
    sender = make_sender(store, telegram_api, clock=Clock())
    assert run(sender, sender.drain) == 2
    assert len(telegram_api.texts(new)) == 2
    queue(store, [5], old)                           # the config still names the old id
    assert [r["chat"] for r in rows(store)][-1] == str(new)


def test_quiet_hours_send_without_notification(
        telegram_api: TelegramAPIServer, db_url: str) -> None:
    store, clock = open_store(db_url), Clock(T0.replace(hour=23, minute=30))
    queue(store, [1], CHAT)
    sender = make_sender(store, telegram_api, clock=clock, quiet_hours=(22 * 60, 7 * 60))
    run(sender, sender.drain)
    clock.now = T0.replace(hour=12)
    queue(store, [2], CHAT, now=clock.now)
    run(sender, sender.drain)
    quiet, loud = sends(telegram_api)
    assert quiet.params.get("disable_notification") in (True, "true", "True")
    assert "disable_notification" not in loud.params


def test_edit_waits_for_its_post_and_is_paced_like_a_message(
        telegram_api: TelegramAPIServer, db_url: str) -> None:
    store, clock = open_store(db_url), Clock()
    [sid] = queue(store, [1], CHAT)
    edit = OutboxItem(chat=CHAT, kind="edit", topic=None, body="<b>edited</b> Also: B",
                      not_before=T0 - timedelta(minutes=1))
    record_article(store, FEED, ArticleRecord(key="dup", url="https://b.example/1",
                                             title="dup", summary="", source="B",
                                             published_at=T0 - timedelta(minutes=1)),
                         T0, story_id=sid, outbox=[edit])
    sender = make_sender(store, telegram_api, clock=clock, per_chat_per_minute=2)
    assert run(sender, sender.drain) == 1            # the post; the older edit waits for it
    assert [r["attempts"] for r in rows(store)] == [0, 0]
    clock.advance(EDIT_WAIT.total_seconds())
    assert run(sender, sender.drain) == 1            # now the edit
    [msg] = telegram_api.messages(CHAT)
    assert msg.text == "edited Also: B"
    assert all(r["state"] == "sent" and r["attempts"] == 0 for r in rows(store))
    queue(store, [2], CHAT)
    assert run(sender, sender.drain) == 0            # the edit used the window's 2nd slot


def test_an_edit_re_armed_while_pending_keeps_its_due_time(db_url: str) -> None:
    store = open_store(db_url)
    [sid] = queue(store, [1], CHAT)
    for n, due in enumerate((T0 + timedelta(minutes=5), T0 + timedelta(minutes=9))):
        edit = OutboxItem(chat=CHAT, kind="edit", topic=None, body=f"v{n}", not_before=due)
        record_article(store, FEED, ArticleRecord(key=f"d{n}", url=None, title="d", summary="",
                                                 source="B", published_at=None),
                             T0, story_id=sid, outbox=[edit])
    [row] = [r for r in rows(store) if r["kind"] == "edit"]
    assert row["body"] == "v1" and row["not_before"] == T0 + timedelta(minutes=5)
