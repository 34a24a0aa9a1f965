"""What Telegram actually does (issue #18), against the Bot API stand-in on loopback with the
real Sender on SQLite and PostgreSQL: a retry_after every sender honours, answers that come
late, outages, errors about the bot rather than the message, and the token in any case."""

from __future__ import annotations

import asyncio
import itertools
import logging
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from bot.models import utcnow
from bot.store import EVERY_CHAT, Store
from bot.store.schema import outbox
from tests.fakes.telegram_api import TelegramAPIServer
from tests.outbox_helpers import drain_until_empty, make_sender, open_store, queue, rows, run, title

CHAT = "@fault_watch"
FAST = {"retry_base": timedelta(seconds=0.2), "retry_max": timedelta(seconds=1)}


def lazily(sender, fn) -> None:
    """Run `fn()` with the deliverer not started first: getMe comes with the first send."""
    async def go() -> None:
        try:
            await fn()
        finally:
            await sender.deliverer.close()
    asyncio.run(go())


def sends(api: TelegramAPIServer, chat: str = CHAT) -> list:
    return [r for r in api.calls("sendMessage") if str(r.params.get("chat_id")) == chat]


def test_a_retry_after_holds_later_rows_and_a_second_sender_until_it_ends(
        telegram_api: TelegramAPIServer, db_url: str) -> None:
    store = open_store(db_url)
    queue(store, [1], CHAT, now=utcnow())
    telegram_api.flood_chat(CHAT, retry_after=2)
    first = make_sender(store, telegram_api)
    run(first, first.drain)                              # 429: the chat is closed for 2 s
    queue(store, [2, 3], CHAT, now=utcnow())             # queued inside the window
    other = Store(db_url)                                # a second process
    second = make_sender(other, telegram_api)
    second.owner = "second-process"

    async def go() -> None:
        for _ in range(5):                               # both keep trying inside the window
            await second.drain()
            await first.drain()
            await asyncio.sleep(0.2)
        await drain_until_empty(second)
    run(second, go)
    assert telegram_api.violations() == []               # nothing inside retry_after
    [flood] = [r for r in sends(telegram_api) if r.status == 429]
    assert min(r.time for r in sends(telegram_api) if r.status == 200) >= flood.time + 2
    assert [unescape(t) for t in telegram_api.texts(CHAT)] == [title(n) for n in (1, 2, 3)]
    other.close()


@pytest.mark.parametrize("late, timeout, copies, state", [
    (0.6, 2.0, 1, "sent"),           # an answer slower than usual but inside send_timeout
    (0.6, 0.3, 2, "sent"),           # no answer in time: one retry after the pause
], ids=["inside-send-timeout", "past-send-timeout"])
def test_a_late_answer_is_waited_for_or_retried_once(
        telegram_api: TelegramAPIServer, db_url: str, late: float, timeout: float,
        copies: int, state: str) -> None:
    store = open_store(db_url)
    queue(store, [1], CHAT, now=utcnow())
    telegram_api.answer_late(late, times=1)
    sender = make_sender(store, telegram_api, send_timeout=timedelta(seconds=timeout), **FAST)
    sender.deliverer = type(sender.deliverer)(telegram_api.token, telegram_api.base_url,
                                              send_timeout=timeout)
    run(sender, lambda: drain_until_empty(sender))
    assert len(telegram_api.texts(CHAT)) == copies
    [row] = rows(store)
    assert row["state"] == state and row["unanswered"] == copies - 1
    if copies > 1:                       # the retry waited at least send_timeout
        first, second = sends(telegram_api)
        assert second.time - first.time >= timeout + timeout


def test_never_answered_twice_is_unconfirmed_not_sent_a_third_time(
        telegram_api: TelegramAPIServer, db_url: str) -> None:
    store = open_store(db_url)
    queue(store, [1, 2], CHAT, now=utcnow())
    telegram_api.answer_late(0.5, times=2)
    sender = make_sender(store, telegram_api, send_timeout=timedelta(seconds=0.2), **FAST)
    sender.deliverer = type(sender.deliverer)(telegram_api.token, telegram_api.base_url,
                                              send_timeout=0.2)
    run(sender, lambda: drain_until_empty(sender))
    assert [r["state"] for r in rows(store)] == ["unconfirmed", "sent"]
    assert len([r for r in sends(telegram_api) if "Story 1" in unescape(r.params["text"])]) == 2


def test_an_unanswered_digest_is_resent_as_is_never_with_more_folded_in(
        telegram_api: TelegramAPIServer, db_url: str) -> None:
    store = open_store(db_url)
    queue(store, range(5), CHAT, now=utcnow())
    telegram_api.answer_late(0.5, times=1)
    sender = make_sender(store, telegram_api, digest_after=2,
                         send_timeout=timedelta(seconds=0.2), **FAST)
    sender.deliverer = type(sender.deliverer)(telegram_api.token, telegram_api.base_url,
                                              send_timeout=0.2)

    async def go() -> None:
        await sender.drain()                             # the digest of 0-3: no answer
        queue(store, range(5, 9), CHAT, now=utcnow())    # more arrive meanwhile
        await drain_until_empty(sender)
    run(sender, go)
    texts = [unescape(t) for t in telegram_api.texts(CHAT)]
    digests = [t for t in texts if "more stories" in t]
    assert digests[0] == digests[1]                      # the same digest, nothing added
    assert all(title(n) in digests[0] for n in range(4))
    assert title(4) not in digests[0]
    assert sum(title(8) in t for t in texts) == 1        # the rest went out once


def test_an_outage_backs_off_per_chat_and_everything_goes_out_oldest_first(
        telegram_api: TelegramAPIServer, db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    store = open_store(db_url)
    queue(store, range(3), CHAT, now=utcnow())
    telegram_api.outage("502", seconds=2.5)
    sender = make_sender(store, telegram_api, digest_after=4, **FAST)

    async def go() -> None:
        for n in range(3, 9):                            # more queued during the outage
            await sender.drain()
            queue(store, [n], CHAT, now=utcnow())
            await asyncio.sleep(0.3)
        await drain_until_empty(sender)
    lazily(sender, go)
    failed = [r.time for r in telegram_api.requests if r.status == 502]   # getMe, then sends
    gaps = [b - a for a, b in itertools.pairwise(failed)]
    assert len(failed) <= 5, f"{len(failed)} attempts in a 2.5 s outage: no backoff"
    # Never before the chat's pause ended: 0.2 s, 0.4 s, 0.8 s, then the 1 s cap.
    assert all(gap >= min(0.2 * 2 ** i, 1.0) for i, gap in enumerate(gaps)), gaps
    texts = [unescape(t) for t in telegram_api.texts(CHAT)]
    order = [n for t in texts for n in range(9) if title(n) in t]
    assert order == list(range(9))                       # the digest has the oldest
    lines = [r for r in caplog.records if r.name == "newsbot.sender" and "502" in r.message]
    assert len(lines) == len(failed) and not any(r.exc_info for r in lines)
    assert any("answers again" in r.message for r in caplog.records)


def test_a_400_on_getme_fails_no_post_pauses_every_chat_and_alerts_once(
        telegram_api: TelegramAPIServer, db_url: str) -> None:
    store = open_store(db_url)
    queue(store, range(14), CHAT, now=utcnow())
    telegram_api.refuse_echoing_path(method="getMe", seconds=1.5)
    sender = make_sender(store, telegram_api, operator_chat="@ops_room", digest_after=100,
                         **FAST)

    async def go() -> None:
        await sender.drain()                             # getMe 400 before the first post
        assert EVERY_CHAT in store.pauses.all()
        await drain_until_empty(sender)
    lazily(sender, go)
    assert [r["state"] for r in rows(store, CHAT)] == ["sent"] * 14
    [alert] = telegram_api.texts("@ops_room")
    assert "paused every chat" in alert and "test-token" not in alert.lower()
    with store.engine.connect() as conn:
        errors = " ".join(str(e) for e in conn.execute(select(outbox.c.last_error)).scalars())
    assert "getme" in errors.lower() and telegram_api.token.split(":")[1].lower() \
        not in errors.lower()
    assert store.pauses.all() == {}
