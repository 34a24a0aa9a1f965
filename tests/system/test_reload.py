"""Live config: edits to the file apply without a restart; a bad edit keeps the last good
config and is reported with file:line:key (log and operator chat)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

from bot.config import ConfigWatcher
from bot.errors import ConfigError
from bot.settings import Settings
from tests.feedgen import Item, rss
from tests.running import start_newsbot, wait_for

CHANNEL, OPS = "@reload_e2e", "@reload_ops"


def config_text(feeds: list[str], topics: str = "  summits:\n    terms: [summit]\n") -> str:
    lines = "".join(f"  - url: {u}\n" for u in feeds)
    return (f'channel: "{CHANNEL}"\noperator_chat: "{OPS}"\ndefaults: {{every: 10m}}\n'
            f"feeds:\n{lines}topics:\n{topics}")


def fresh(n: int, title: str) -> Item:
    return Item(guid=f"r-{n}", title=title, description=f"<p>{title}.</p>",
                published=datetime.now(UTC) + timedelta(minutes=n),
                link=f"https://news.example/r{n}")


def test_a_valid_edit_applies_at_once_and_a_new_topic_starts_matching(
        feed_server, telegram_api, tmp_path: Path) -> None:
    world = feed_server.set_feed("/world.xml", rss([]))
    config = tmp_path / "newsbot.yaml"
    config.write_text(config_text([world]))
    bot = start_newsbot(config, telegram_api, tmp_path)
    try:
        geo = feed_server.set_feed("/geo.xml", rss([fresh(1, "Volcano erupts again")]))
        # An operator's edit, as an editor writes it (in place, not atomically).
        config.write_text(config_text([world, geo], "  summits:\n    terms: [summit]\n"
                                                    "  volcanoes:\n    terms: [volcano]\n"))
        bot.wait_log("config applied: 2 feeds (+1, -0), 2 topics")
        post = wait_for(lambda: telegram_api.texts(CHANNEL), "a post for the new topic")
        assert "Volcano erupts again" in unescape(post[0]) and "#volcanoes" in post[0]
    finally:
        assert bot.terminate() == 0, bot.log


def test_an_invalid_edit_keeps_the_old_config_and_reports_file_line_key(
        feed_server, telegram_api, tmp_path: Path) -> None:
    world = feed_server.set_feed("/world.xml", rss([]))
    config = tmp_path / "newsbot.yaml"
    config.write_text(config_text([world]))
    bot = start_newsbot(config, telegram_api, tmp_path)
    try:
        config.write_text(config_text([world], "  summits:\n    terms: [summit]\n"
                                               "  broken:\n    query: 'summit AND ('\n"))
        where = f"{config}:10 topics.broken.query"       # the `query:` line
        bot.wait_log(f"config change refused, keeping the last good config: {where}")
        alert = wait_for(lambda: telegram_api.texts(OPS), "the operator alert")
        assert where in unescape(alert[0])
        # Still running the old config: a later valid edit applies on top of it.
        geo = feed_server.set_feed("/geo.xml", rss([fresh(2, "Summit in Lima")]))
        config.write_text(config_text([world, geo]))
        bot.wait_log("config applied: 2 feeds (+1, -0), 1 topics")
        wait_for(lambda: telegram_api.texts(CHANNEL), "a post from the old topics")
    finally:
        assert bot.terminate() == 0, bot.log


def test_the_watcher_reloads_on_content_changes_only(tmp_path: Path) -> None:
    (tmp_path / "topics.yaml").write_text("topics:\n  summits:\n    terms: [summit]\n")
    config = tmp_path / "newsbot.yaml"
    config.write_text('channel: "@w_chan"\ninclude: [topics.yaml]\n'
                      "feeds:\n  - https://feeds.example/a.xml\n")
    watcher = ConfigWatcher(config, env={})
    assert watcher.check() is None
    config.write_text(config.read_text())                 # same bytes, new mtime
    assert watcher.check() is None
    (tmp_path / "topics.yaml").write_text("topics:\n  summits:\n    terms: [summit, talks]\n")
    changed = watcher.check()                              # an include counts too
    assert isinstance(changed, Settings) and "talks" in changed.topics[0].source
    (tmp_path / "topics.yaml").write_text("topics:\n  summits:\n    termz: [x]\n")
    error = watcher.check()
    assert isinstance(error, ConfigError) and error.key == "topics.summits.termz"
    assert error.file == str(tmp_path / "topics.yaml") and error.line == 3
    assert watcher.check() is None                         # reported once, not every 2 s
