"""`newsbot run` explains itself: on the first start and on later ones, what this database
already did, what the first round of polls found, when the next poll is, and how to replay
the demo from scratch. Real `newsbot run` processes on one SQLite file."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.store import Store
from tests.feedgen import Item, rss
from tests.running import start_newsbot, wait_for

CHANNEL = "@startup_demo"
STORIES = {"wire": ["Leaders of Norland and Estmark agree to summit in Geneva",
                    "Harvest festival draws record crowds", "Ferry strike enters third day"],
           "herald": ["Tech summit opens with robots on stage",
                      "Central bank holds rates", "Marathon route changes for roadworks"]}


def demo(tmp_path: Path) -> Path:
    """Two local feeds with a few matching items, like the shipped demo."""
    now = datetime.now(UTC)
    for name in ("wire", "herald"):
        items = [Item(f"{name}-{n}", title, f"<p>{title}, the {name} reports.</p>",
                      now - timedelta(hours=n), f"https://{name}.example/{n}")
                 for n, title in enumerate(STORIES[name], 1)]
        (tmp_path / f"{name}.xml").write_bytes(rss(items, title=name.title()))
    config = tmp_path / "newsbot.yaml"
    config.write_text(f'channel: "{CHANNEL}"\nbackfill: 2\nfeeds:\n  - url: wire.xml\n'
                      "  - url: herald.xml\ntopics:\n  summits: {terms: [summit]}\n")
    return config


def run_until(config: Path, api, tmp_path: Path, text: str, name: str, posts: int = 0) -> str:
    bot = start_newsbot(config, api, tmp_path, name=name, ready=None)
    try:
        bot.wait_log(text)
        wait_for(lambda: len(api.texts(CHANNEL)) >= posts, f"{posts} posts")
    finally:
        assert bot.terminate() == 0, bot.log
    return bot.log


def test_first_and_later_starts_say_what_happened_and_what_comes_next(
        telegram_api, tmp_path: Path) -> None:
    config = demo(tmp_path)
    db_file = tmp_path / "newsbot.db"

    first = run_until(config, telegram_api, tmp_path, "first round:", "first", posts=2)
    assert f"first start with {db_file}" in first and "polling 2 feeds now" in first
    assert re.search(r"first round: polled 2 feeds: 6 items read, 6 new, 2 matched, 2 to post; "
                     r"next poll at \d\d:\d\d UTC \(in \d+ min\)", first), first

    # Started again at once: nothing is due, and it says so instead of falling silent.
    again = run_until(config, telegram_api, tmp_path, "no feed is due yet", "again")
    sent = len(telegram_api.texts(CHANNEL))
    assert f"{db_file} has run before: 2 posts sent, the last at " in again and sent == 2
    assert re.search(r"no feed is due yet: the next poll is at \d\d:\d\d UTC \(in \d+ min\)\. "
                     rf"To replay from scratch \(the demo, say\): stop newsbot, delete "
                     rf"{re.escape(str(db_file))} and start it again\.", again), again

    # Later, when the feeds are due again: everything was seen, and it says that too.
    store = Store(f"sqlite:///{db_file}")
    for url in (tmp_path / "wire.xml", tmp_path / "herald.xml"):
        store.update_feed(str(url), next_poll_at=None)
    store.close()
    later = run_until(config, telegram_api, tmp_path, "nothing new to post", "later")
    assert "first round: polled 2 feeds (2 unchanged since the last poll): 0 items read, " \
           "0 new, 0 matched, 0 to post" in later
    assert "every item was seen on an earlier run. To replay from scratch" in later
    assert len(telegram_api.texts(CHANNEL)) == sent          # nothing posted twice
