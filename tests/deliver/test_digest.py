"""Digests: the pure decisions, then bursts folded and scheduled digests sent through the
Bot API stand-in on real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from bot.deliver.pacing import backoff, fold_count, is_quiet
from bot.format import MAX_MESSAGE, fit_digest, visible_len
from bot.pipeline.queue import period_end, queue_item, scheduled_period
from bot.settings import DeliverySettings
from tests.fakes.telegram_api import TelegramAPIServer
from tests.outbox_helpers import T0, Clock, make_sender, open_store, queue, rows, run, title

CHAT = "@burst_watch"


# -- pure decisions ------------------------------------------------------------------------
@pytest.mark.parametrize("waiting, after, fold", [(3, 10, 0), (10, 10, 0), (11, 10, 2),
                                                  (500, 10, 491), (2, 1, 2)])
def test_fold_count_leaves_digest_after_messages_in_all(waiting: int, after: int,
                                                        fold: int) -> None:
    assert fold_count(waiting, after) == fold


def test_a_digest_holds_only_whole_items_and_fits_telegrams_limit() -> None:
    items = [("sanctions", f"A rather long headline number {n} " + "x" * 150,
              f"https://news.example/{n}") for n in range(100)]
    text, n = fit_digest(items)
    assert 0 < n < 100 and visible_len(text) <= MAX_MESSAGE
    assert "… and" not in text and text.count("<a href=") == n
    assert text.startswith(f"{n} more stories on #sanctions:")


def test_a_digest_has_one_section_per_topic_in_order() -> None:
    text, n = fit_digest([("summits", "S1", None), ("sanctions", "X1", None),
                                 ("summits", "S2", None)])
    assert n == 3
    assert text.split("\n\n") == ["2 more stories on #summits:\n• S1\n• S2",
                                  "1 more story on #sanctions:\n• X1"]


def test_scheduled_period_only_when_every_topic_is_collected() -> None:
    digests = (("markets", "daily"), ("weather", "hourly"))
    assert scheduled_period(["markets"], digests) == "daily"
    assert scheduled_period(["markets", "weather"], digests) == "hourly"
    assert scheduled_period(["markets", "sanctions"], digests) is None


def test_period_end_is_the_next_hour_or_local_midnight() -> None:
    now = datetime(2026, 3, 28, 22, 40, tzinfo=UTC)
    assert period_end(now, "hourly") == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    # Berlin: 23:40 local on the day before summer time; midnight is 23:00 UTC.
    assert period_end(now, "daily", "Europe/Berlin") == datetime(
        2026, 3, 28, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize("hhmm, quiet", [("23:30", True), ("06:59", True), ("07:00", False),
                                         ("12:00", False)])
def test_quiet_hours_wrap_past_midnight(hhmm: str, quiet: bool) -> None:
    h, m = map(int, hhmm.split(":"))
    assert is_quiet(T0.replace(hour=h, minute=m), (22 * 60, 7 * 60)) is quiet


def test_backoff_doubles_up_to_its_cap() -> None:
    base, cap = timedelta(seconds=5), timedelta(minutes=10)
    assert [backoff(a, base, cap).total_seconds() for a in (0, 1, 2, 10, 99)] == [
        5, 10, 20, 600, 600]


def test_queue_item_holds_a_collected_topic_until_the_period_ends() -> None:
    settings = DeliverySettings(digests=(("markets", "hourly"),))
    post = queue_item("@c", ["sanctions"], "b", settings, T0)
    held = queue_item("@c", ["markets"], "b", settings, T0 + timedelta(minutes=5))
    assert (post.kind, post.not_before) == ("post", T0)
    assert (held.kind, held.not_before) == ("digest", T0 + timedelta(hours=1))


# -- through the stand-in --------------------------------------------------------------------
def test_a_burst_folds_its_oldest_overflow_into_one_digest_then_posts_the_rest(
        telegram_api: TelegramAPIServer, db_url: str) -> None:
    store = open_store(db_url)
    queue(store, range(12), CHAT)
    sender = make_sender(store, telegram_api, clock=Clock(), digest_after=4)
    assert run(sender, sender.drain) == 4
    first, *posts = [unescape(t) for t in telegram_api.texts(CHAT)]
    assert first.startswith("9 more stories on #sanctions:")
    assert all(title(n) in first for n in range(9))
    assert posts == [title(n) for n in (9, 10, 11)]
    by_state = {r["state"] for r in rows(store)[:9]}
    assert by_state == {"folded"}
    assert len({r["message_id"] for r in rows(store)[:9]}) == 1


def test_a_failed_digest_leaves_every_story_pending(telegram_api: TelegramAPIServer,
                                                    db_url: str) -> None:
    store, clock = open_store(db_url), Clock()
    queue(store, range(6), CHAT)
    telegram_api.server_error(502, times=1, method="sendMessage")
    sender = make_sender(store, telegram_api, clock=clock, digest_after=2)
    assert run(sender, sender.drain) == 0
    assert {r["state"] for r in rows(store)} == {"pending"}
    clock.advance(60)
    assert run(sender, sender.drain) == 2
    assert [r["state"] for r in rows(store)] == ["folded"] * 5 + ["sent"]


def test_scheduled_digest_collects_a_topic_and_sends_once_per_period(
        telegram_api: TelegramAPIServer, db_url: str) -> None:
    store, clock = open_store(db_url), Clock(T0 + timedelta(minutes=10))
    end = T0 + timedelta(hours=1)
    queue(store, range(3), CHAT, kind="digest", topic="markets", not_before=end)
    sender = make_sender(store, telegram_api, clock=clock)
    assert run(sender, sender.drain) == 0                  # the hour is not over
    clock.now = end
    assert run(sender, sender.drain) == 1
    [text] = [unescape(t) for t in telegram_api.texts(CHAT)]
    assert text.startswith("3 more stories on #markets:")
    assert {r["state"] for r in rows(store)} == {"folded"}
