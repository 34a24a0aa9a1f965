"""SIGTERM on a real `newsbot run`: no new work, the in-flight send finishes, every lease is
released, exit code 0 within 10 seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select

from bot.store.schema import feeds, leases, outbox
from tests.feedgen import Item, rss
from tests.running import start_newsbot, wait_for

CHANNEL = "@sigterm_e2e"


def test_sigterm_finishes_the_send_in_flight_releases_leases_and_exits_0(
        feed_server, telegram_api, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    items = [Item(guid=f"s-{n}", title=f"Summit number {n}", description=f"<p>Talks {n}</p>",
                  published=now + timedelta(minutes=n), link=f"https://news.example/s{n}")
             for n in range(5)]
    url = feed_server.set_feed("/s.xml", rss(items))
    config = tmp_path / "newsbot.yaml"
    config.write_text(f'channel: "{CHANNEL}"\nfeeds:\n  - url: {url}\n'
                      "topics:\n  summits:\n    terms: [summit]\n")
    telegram_api.slow(2.0, "sendMessage")            # the message is taken, the answer late
    bot = start_newsbot(config, telegram_api, tmp_path)
    wait_for(lambda: telegram_api.calls("sendMessage"), "a send in flight")

    assert bot.terminate(timeout=10) == 0, bot.log     # within 10 s, cleanly
    assert "newsbot stopped" in bot.log
    engine = create_engine(bot.db_url)
    try:
        with engine.connect() as conn:
            held = conn.execute(select(outbox.c.id).where(outbox.c.lease_owner.isnot(None)))
            assert held.all() == []
            assert conn.execute(select(feeds.c.url).where(
                feeds.c.lease_owner.isnot(None))).all() == []
            assert conn.execute(select(leases.c.name)).all() == []
            sent = conn.execute(select(outbox.c.id).where(outbox.c.state == "sent")).all()
    finally:
        engine.dispose()
    # What Telegram took is recorded as sent (it will not be sent twice); the rest wait.
    assert len(sent) == len(telegram_api.texts(CHANNEL)) >= 1
    assert len(sent) < len(items)
