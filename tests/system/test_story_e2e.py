"""One story, one post: the same story from a second outlet edits the first post to add
"Also: <outlet>" instead of posting again (real subprocess, feed server, Bot API stand-in)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

from tests.feedgen import Item, rss
from tests.system.test_end_to_end import CHANNEL, run_once, write_config

LEDE = ("<p>President Ana Ruiz of Norland and Prime Minister Lars Holm of Estmark will meet "
        "in Geneva on 3 December, their offices said on Thursday, in the first summit between "
        "the two neighbours in a decade.</p><p>Talks are expected to cover the disputed river "
        "border and energy trade, officials from both governments said.</p>")


def test_a_syndicated_copy_edits_the_first_post_instead_of_posting(
        feed_server, telegram_api, tmp_path: Path) -> None:
    first = feed_server.set_feed("/wire.xml", rss([Item(
        guid="w1", title="Norland and Estmark leaders to hold summit", description=LEDE,
        published=datetime.now(UTC) + timedelta(minutes=1), link="https://wire.example/1")],
        title="Wire"))
    config = write_config(tmp_path, [first], extra="delivery: {edit_interval: 1s}\n")
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    run_once(config, db, telegram_api)
    assert len(telegram_api.texts(CHANNEL)) == 1

    copy = feed_server.set_feed("/copy.xml", rss([Item(
        guid="c1", title="Leaders of Norland, Estmark to hold Geneva summit",
        description="<p>Support Copycat News - Go Ad-Free!</p>" + LEDE,
        published=datetime.now(UTC) + timedelta(minutes=2),
        link="https://copycat.example/a?utm_source=x")],
        title="Copycat"))
    config = write_config(tmp_path, [first, copy], extra="delivery: {edit_interval: 1s}\n")
    # The copy's feed is new to the store: its first poll posts only items newer than the
    # feed, which this one is (published in the future relative to the feed's creation).
    run_once(config, db, telegram_api)

    [message] = telegram_api.messages(CHANNEL)
    text = unescape(message.text)
    assert len(telegram_api.calls("sendMessage")) == 1
    assert "Also: Feed 1" in text
    assert 'href="https://copycat.example/a"' in message.html        # tracking dropped
    assert "Ad-Free" not in text
