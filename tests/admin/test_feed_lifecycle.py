"""/addfeed checks a feed before adding it and may reach only public addresses; /rmfeed
forgets a feed's state. Through the Bot API stand-in, against a real `newsbot run`."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import create_engine, select

from bot.config import load
from bot.store.schema import feeds
from tests.admin.test_admin import ADMIN, CHANNEL, ask, fresh, write_config
from tests.feedgen import rss
from tests.running import start_newsbot, wait_for


@pytest.fixture
def newsbot(feed_server, telegram_api, tmp_path):
    """A flaky feed in the config by hand, besides World; /addfeed may add loopback feeds
    (polling.allow_private)."""
    world = feed_server.set_feed("/world.xml", rss([]))
    flaky = feed_server.set_status("/flaky.xml", 500)
    config = write_config(tmp_path, world, more_feeds=f"  - url: {flaky}\n    name: Flaky\n")
    bot = start_newsbot(config, telegram_api, tmp_path, ready="admin commands on")
    yield bot
    assert bot.terminate() == 0, bot.log


@pytest.fixture
def strict_newsbot(feed_server, telegram_api, tmp_path):
    """Without polling.allow_private: /addfeed may add public addresses only."""
    config = write_config(tmp_path, feed_server.set_feed("/world.xml", rss([])),
                          allow_private=False)
    bot = start_newsbot(config, telegram_api, tmp_path, ready="admin commands on")
    yield bot
    assert bot.terminate() == 0, bot.log


def test_addfeed_reads_the_feed_first_and_takes_a_name(newsbot, telegram_api,
                                                       feed_server) -> None:
    url = feed_server.set_feed("/geo.xml", rss([fresh(1, "Summit on the volcano"),
                                                fresh(2, "Markets close")], title="Geo Wire"))
    reply = ask(telegram_api, f'/addfeed {url} name="Geo Desk" 15m', expect="added")
    assert reply.startswith("Feed “Geo Wire” as “Geo Desk” added: 2 items in it now; "
                            "polled every 15m, the first time now.")
    assert f'  - url: {url}\n    name: Geo Desk\n    every: 15m\n    origin: telegram\n' \
        in newsbot.config.read_text()
    post = wait_for(lambda: telegram_api.texts(CHANNEL), "the new feed's first post")
    assert "Summit on the volcano" in unescape(post[0]) and "Geo Desk" in unescape(post[0])
    # Written back with its origin: a reload keeps it a feed from Telegram.
    added = load(newsbot.config, env={}).feed(url)
    assert added is not None and added.origin == "telegram" and not added.trusted


@pytest.mark.parametrize(("path", "setup", "reason"), [
    ("/page.html", "html", "not a feed: looks like an HTML page"),
    ("/empty.xml", "empty", "empty response"),
    ("/gone.xml", "404", "HTTP 404: not found"),
], ids=["html-page", "empty", "not-found"])
def test_addfeed_refuses_what_is_not_a_feed_and_changes_nothing(newsbot, telegram_api,
                                                                 feed_server, path, setup,
                                                                 reason) -> None:
    url = (feed_server.set_html(path) if setup == "html" else
           feed_server.set_feed(path, b"") if setup == "empty" else
           feed_server.set_status(path, 404))
    before = newsbot.config.read_bytes()
    reply = ask(telegram_api, f"/addfeed {url}", expect="Not added")
    assert reply.startswith("Not added, nothing changed: ") and reason in reply
    assert newsbot.config.read_bytes() == before


@pytest.mark.parametrize("args", ['https://example.com/rss.xml name="unclosed',
                                  "https://example.com/rss.xml 10m 20m",
                                  "https://example.com/rss.xml sometimes",
                                  "ftp://example.com/rss.xml", ""])
def test_addfeed_arguments_it_cannot_read_get_the_usage(newsbot, telegram_api, args) -> None:
    reply = ask(telegram_api, f"/addfeed {args}", expect="Usage")
    assert reply.startswith("Refused, nothing changed: ")


def test_addfeed_may_not_reach_loopback_local_files_or_other_schemes(
        strict_newsbot, telegram_api, feed_server) -> None:
    url = feed_server.set_feed("/inside.xml", rss([fresh(1, "Summit inside")]))
    before = strict_newsbot.config.read_bytes()
    for spelling in ("127.0.0.1", "0x7f000001", "2130706433", "localhost"):
        reply = ask(telegram_api, f"/addfeed {url.replace('127.0.0.1', spelling)}",
                    expect="Not added")
        assert "loopback address; a feed added through Telegram or OPML may only reach " \
            "public addresses; polling.allow_private: true" in reply
    for other in ("file:///proc/self/environ", "file:///etc/passwd", "gopher://127.0.0.1/"):
        reply = ask(telegram_api, f"/addfeed {other}", expect="Refused")
        assert "must be an http(s) URL" in reply
    assert feed_server.requests_for("/inside.xml") == []       # not even a connection
    assert strict_newsbot.config.read_bytes() == before


def test_a_removed_feed_forgets_its_state_and_comes_back_polled_at_once(
        newsbot, telegram_api, feed_server) -> None:
    flaky = feed_server.url("/flaky.xml")
    wait_for(lambda: "1 failing" in ask(telegram_api, "/status", expect="feeds:"),
             "the flaky feed to fail")
    ask(telegram_api, f"/rmfeed {flaky}", expect="removed")
    status = ask(telegram_api, "/status", expect="feeds:")
    assert "1 ok, 0 failing" in status and "Flaky" not in status
    engine = create_engine(newsbot.db_url)
    try:
        with engine.connect() as conn:      # forgotten: no error count, no next poll left
            assert conn.execute(select(feeds.c.url).where(feeds.c.url == flaky)).all() == []
    finally:
        engine.dispose()
    # Fixed, and added again: polled at once, not when its backoff would have let it.
    feed_server.set_feed("/flaky.xml", rss([fresh(5, "Summit back on")]))
    ask(telegram_api, f"/addfeed {flaky}", expect="added")
    post = wait_for(lambda: telegram_api.texts(CHANNEL), "the re-added feed's post")
    assert "Summit back on" in unescape(post[0])
    feeds_reply = ask(telegram_api, "/feeds", expect="feeds")
    assert "failing" not in feeds_reply and "every 10m, ok" in feeds_reply
    newsbot.wait_log(f"admin @user{ADMIN} ({ADMIN}): /rmfeed {flaky}")
